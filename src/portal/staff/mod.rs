//! The staff pages (PORTAL 7.5): inspectors, reviewers and administrators, under `/s/`, a
//! file per sub-resource.

mod applications;
mod reviews;

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::page::Signed;
use crate::auth::{Role, Staff};
use crate::error::ApiError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home);
    reviews::routes(cfg);
    applications::routes(cfg);
}

#[derive(Template)]
#[template(path = "portal/staff/home.html")]
struct StaffHome<'a> {
    c: &'a super::page::Ctx,
    role: String,
    /// The pages of the role: address and the key of its name.
    links: Vec<(&'static str, &'static str)>,
}

/// The staff pages built so far, and the roles that may open them.
const PAGES: &[(&str, &str, &[Role])] = &[(
    "/s/reviews",
    "s-reviews-title",
    &[Role::Admin, Role::Reviewer],
)];

/// The staff home: who is signed in, in which role, and the pages of that role.
#[get("/s/")]
async fn home(s: Signed<Staff>) -> Result<HttpResponse, ApiError> {
    let role = s.t(&format!("role-{}", s.user.role.as_str()));
    let links = PAGES
        .iter()
        .filter(|(_, _, roles)| roles.contains(&s.user.role))
        .map(|(href, key, _)| (*href, *key))
        .collect();
    s.render(&StaffHome {
        c: &s.ctx,
        role,
        links,
    })
}
