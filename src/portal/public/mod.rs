//! The public pages (PORTAL 7.3): no account needed. The home page is here; the service guide
//! (`services.rs`), certificate verification (`verify.rs`) and the reporter's pages
//! (`report.rs`: file a report, check it with the receipt) each have a file.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::page::Ctx;
use crate::error::ApiError;

mod services;
mod verify;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .configure(services::routes)
        .configure(verify::routes);
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage<'a> {
    c: &'a Ctx,
}

/// Who the bureau is, its services, how to verify a certificate and report a hazard safely.
#[get("/")]
async fn home(c: Ctx) -> Result<HttpResponse, ApiError> {
    c.render(&HomePage { c: &c })
}
