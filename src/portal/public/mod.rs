//! The public pages (PORTAL 7.3): no account needed. The home page is here; the service guide
//! (`services.rs`), certificate verification (`verify.rs`) and the reporter's pages
//! (`report.rs`: file a report, check it with the receipt) each have a file.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use super::page::Ctx;
use crate::error::ApiError;

mod check;
mod report;
mod services;
mod verify;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .configure(services::routes)
        .configure(verify::routes)
        .configure(report::routes)
        .configure(check::routes);
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

/// A public form's token, and the cookie it stands for when the visitor needs a new one (set
/// with the page): the forms of the reporter's pages work for an anonymous visitor
/// (PORTAL 7.2). A visitor whose cookie still stands keeps it, so that a page open in another
/// tab (the receipt's, say) keeps working.
fn public_form(c: &Ctx, req: &HttpRequest) -> (Option<Cookie<'static>>, String) {
    let now = c.state.clock.now();
    match c.state.csrf.form_token_of(req, now) {
        Some(token) => (None, token),
        None => {
            let (cookie, token) = c.state.csrf.new_form(c.state.config.environment, now);
            (Some(cookie), token)
        }
    }
}

/// `page` rendered with `status`, and the public form's cookie when there is a new one.
fn render_form(
    c: &Ctx,
    status: StatusCode,
    page: &impl Template,
    cookie: Option<Cookie<'static>>,
) -> Result<HttpResponse, ApiError> {
    let mut answer = c.render_status(status, page)?;
    if let Some(cookie) = cookie {
        answer.add_cookie(&cookie).map_err(ApiError::internal)?;
    }
    Ok(answer)
}

/// What a form was sent with, and its problems by field in the page's language: every problem
/// beside its field and in the summary, the typed values kept.
#[derive(Default)]
struct Entered {
    values: Vec<(String, String)>,
    /// (field, message), in the order the use case named them.
    problems: Vec<(String, String)>,
}

impl Entered {
    fn of(form: &super::page::Form) -> Self {
        Self {
            values: form.fields.clone(),
            problems: Vec::new(),
        }
    }

    /// The value of `name` as typed.
    fn v(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn checked(&self, name: &str) -> bool {
        matches!(self.v(name), "true" | "on" | "1")
    }

    fn is(&self, name: &str, value: &str) -> bool {
        self.v(name) == value
    }

    /// The messages of `field`.
    fn errors(&self, field: &str) -> Vec<&str> {
        self.problems
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    fn bad(&self, field: &str) -> bool {
        self.problems.iter().any(|(f, _)| f == field)
    }

    /// Every problem with the id of its field, for the summary at the top.
    fn summary(&self) -> Vec<(String, String)> {
        self.problems
            .iter()
            .map(|(f, m)| (id_of(f), m.clone()))
            .collect()
    }

    fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    /// Adds the field errors of a 422, in the page's language: the area's text for the field
    /// and code, else for the code, else the API's own message. Any other error is returned.
    fn add(&mut self, c: &Ctx, err: ApiError) -> Result<(), ApiError> {
        let problems = super::page::Problems::from_error(err)?;
        for e in problems.items {
            let field = e.field.replace('.', "_");
            let text = c.t.t_or(
                &format!("report-problem-{field}-{}", e.code),
                &c.t.t_or(&format!("report-problem-{}", e.code), &e.message),
            );
            self.problems.push((e.field, text));
        }
        Ok(())
    }

    /// One problem of the page's own.
    fn push(&mut self, field: &str, text: String) {
        self.problems.push((field.to_owned(), text));
    }
}

/// An id for a field name (`reporter.name` → `reporter-name`).
fn id_of(name: &str) -> String {
    name.replace('.', "-")
}

/// A district's or an industry's name in the page's language: the stored (Chinese) name, or
/// on an English page its catalog name (`pub-industry-{code}`, `pub-district-{code}`) when
/// there is one.
fn code_name(c: &Ctx, table: crate::reference::store::Table, code: &str, stored: &str) -> String {
    if c.t.lang == super::i18n::Lang::Zh {
        return stored.to_owned();
    }
    let kind = match table {
        crate::reference::store::Table::Industries => "industry",
        crate::reference::store::Table::Districts => "district",
    };
    c.t.t_or(&format!("pub-{kind}-{code}"), stored)
}

/// The codes of a table with their names in the page's language.
fn code_names(
    c: &Ctx,
    table: crate::reference::store::Table,
    rows: Vec<crate::reference::store::CodeName>,
) -> Vec<crate::reference::store::CodeName> {
    rows.into_iter()
        .map(|r| crate::reference::store::CodeName {
            name: code_name(c, table, &r.code, &r.name),
            code: r.code,
        })
        .collect()
}
