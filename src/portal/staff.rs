//! The staff pages (PORTAL 7.5): inspectors, reviewers and administrators, under `/s/`.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::page::Signed;
use crate::auth::Staff;
use crate::error::ApiError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home);
}

#[derive(Template)]
#[template(path = "portal/staff_home.html")]
struct StaffHome<'a> {
    c: &'a super::page::Ctx,
    role: String,
}

/// The staff home: who is signed in, in which role.
#[get("/s/")]
async fn home(s: Signed<Staff>) -> Result<HttpResponse, ApiError> {
    let role = s.t(&format!("role-{}", s.user.role.as_str()));
    s.render(&StaffHome { c: &s.ctx, role })
}
