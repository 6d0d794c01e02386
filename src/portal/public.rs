//! The public pages (PORTAL 7.3): no account needed.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::page::Ctx;
use crate::error::ApiError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home);
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
