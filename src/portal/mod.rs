//! The web portal (PORTAL 7): server-rendered pages for the public, enterprises and staff,
//! served by the same binary at `/`. Page handlers call the capabilities' use cases, as the
//! JSON handlers do; what is the portal's own is here: languages, sessions, form tokens, the
//! security headers, the error pages, the embedded files and the templates (`templates/`).

pub mod assets;
pub mod csrf;
pub(crate) mod enterprise;
mod errors;
pub mod i18n;
mod login;
pub mod page;
mod public;
pub mod session;
mod staff;
mod view;

use actix_web::web;

pub use errors::layer;

/// The portal's pages and files.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(assets::asset)
        .configure(login::routes)
        .configure(public::routes)
        .configure(enterprise::routes)
        .configure(staff::routes);
}

/// Whether a path is the portal's (its pages and files), not the API's or the probes'.
pub fn is_portal_path(path: &str) -> bool {
    !(path == "/api"
        || path.starts_with("/api/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics"))
}
