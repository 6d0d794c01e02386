//! `/e/certificates`, `/e/certificates/{id}` and `/e/certificates/{id}/print`: my electronic
//! certificates; one with its QR code (an SVG drawn by the server, encoding the public
//! `/verify/{number}?code=…` address) and the buttons that open its renewal, change or reissue
//! with the certificate already named; and the printable certificate (A4).

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use serde_json::Value;

use super::super::page::Ctx;
use super::{Ent, local, own, word};
use crate::error::ApiError;
use crate::http::pagination::PageRequest;
use crate::ids::CertificateId;
use crate::permits::domain::CertificateStatus;
use crate::permits::register::{self, CertificateQuery};
use crate::permits::views::CertificateView;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(detail).service(print);
}

pub struct CertLine {
    pub href: String,
    pub number: String,
    pub type_name: String,
    pub status: String,
    pub status_class: String,
    pub valid: String,
}

#[derive(Template)]
#[template(path = "portal/enterprise/certificates.html")]
struct ListPage<'a> {
    c: &'a Ctx,
    rows: Vec<CertLine>,
}

fn status_class(s: CertificateStatus) -> &'static str {
    match s {
        CertificateStatus::Active => "ok",
        CertificateStatus::Superseded => "warn",
        CertificateStatus::Revoked | CertificateStatus::Expired => "bad",
    }
}

fn valid_range(c: &Ctx, x: &CertificateView) -> String {
    format!("{} – {}", c.t.date(x.valid_from), c.t.date(x.valid_until))
}

/// My certificates, newest first, every status.
#[get("/e/certificates")]
async fn list(s: Ent) -> Result<HttpResponse, ApiError> {
    own(&s)?;
    let scope = s.user.scope();
    let today = s.state.now().today;
    let found = s
        .state
        .db
        .read_case(move |conn| {
            register::list(
                conn,
                today,
                scope,
                &CertificateQuery {
                    permit_type: None,
                    status: None,
                    enterprise_id: None,
                    expiring_within_days: None,
                    limit: None,
                    cursor: None,
                },
                PageRequest::first(200),
            )
        })
        .await?;
    let c = &s.ctx;
    let rows = found
        .items
        .iter()
        .map(|x| CertLine {
            href: format!("/e/certificates/{}", x.id),
            number: x.number.clone(),
            type_name: word(c, "e-type-", &x.permit_type),
            status: word(c, "e-cert-", x.status.as_str()),
            status_class: status_class(x.status).into(),
            valid: valid_range(c, x),
        })
        .collect();
    c.render(&ListPage { c, rows })
}

/// The public address a certificate's QR code opens: `/verify/{number}?code=…` on this
/// site, as the request reached it (scheme and host; the configuration has no public base
/// address).
pub fn verify_url(req: &HttpRequest, number: &str, code: &str) -> String {
    let info = req.connection_info();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", code)
        .finish();
    format!(
        "{}://{}/verify/{}?{query}",
        info.scheme(),
        info.host(),
        form_urlencoded::byte_serialize(number.as_bytes()).collect::<String>()
    )
}

/// `url` as an inline SVG QR code, with its text alternative.
fn qr(url: &str, label: &str) -> Result<String, ApiError> {
    let svg = crate::totp::domain::qr_svg(url).map_err(ApiError::internal)?;
    let svg = svg.get(svg.find("<svg").unwrap_or(0)..).unwrap_or(&svg);
    let label = label
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    Ok(svg.replacen(
        "<svg",
        &format!("<svg role=\"img\" aria-label=\"{label}\""),
        1,
    ))
}

pub struct Action {
    pub href: String,
    pub label: String,
}

pub struct Fact {
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "portal/enterprise/certificate.html")]
struct Detail<'a> {
    c: &'a Ctx,
    printable: bool,
    number: String,
    type_name: String,
    status: String,
    status_class: String,
    holder: Vec<Fact>,
    scope: Vec<Fact>,
    valid: String,
    issued: String,
    code: String,
    url: String,
    qr: String,
    actions: Vec<Action>,
    application_href: String,
    print_href: String,
    issuer: String,
}

async fn page(
    s: Ent,
    req: HttpRequest,
    id: i64,
    printable: bool,
) -> Result<HttpResponse, ApiError> {
    own(&s)?;
    let id = CertificateId(id);
    let scope = s.user.scope();
    let today = s.state.now().today;
    let (x, types) = s
        .state
        .db
        .read_case(move |conn| -> Result<_, ApiError> {
            let x = register::get(conn, today, scope, id)?;
            let types = crate::permits::types::list(conn)?;
            Ok((x, types))
        })
        .await?;
    let c = &s.ctx;
    let url = verify_url(&req, &x.number, &x.verification_code);
    let qr = qr(&url, &c.t1("e-cert-qr-label", "number", &x.number))?;
    // The renewal, change and reissue types that continue this licence.
    let actions = if x.status == CertificateStatus::Active {
        types
            .iter()
            .filter(|t| {
                t.active && t.kind.continues_licence() && t.applies_to.contains(&x.permit_type)
            })
            .map(|t| Action {
                href: format!(
                    "/e/apply/{}?{}",
                    t.code,
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("certificate", &x.number)
                        .finish()
                ),
                label: word(c, "e-cert-action-", t.kind.as_str()),
            })
            .collect()
    } else {
        Vec::new()
    };
    let holder = vec![
        Fact {
            label: c.t("e-held-name"),
            value: x.holder.name.clone(),
        },
        Fact {
            label: c.t("e-held-credit-code"),
            value: x.holder.credit_code.clone(),
        },
        Fact {
            label: c.t("e-held-address"),
            value: x.holder.address.clone(),
        },
        Fact {
            label: c.t("e-held-legal-representative"),
            value: x.holder.legal_representative.clone(),
        },
    ];
    let scope = match &x.scope {
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| Fact {
                label: c.t.t_or(&format!("e-scope-{k}"), k),
                value: match v {
                    Value::String(s) => s.clone(),
                    Value::Array(items) => items
                        .iter()
                        .map(|i| match i {
                            Value::Object(o) => o
                                .values()
                                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                                .collect::<Vec<_>>()
                                .join(" "),
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join("；"),
                    Value::Bool(true) => c.t("e-yes"),
                    Value::Bool(false) => c.t("e-no"),
                    other => other.to_string(),
                },
            })
            .collect(),
        _ => Vec::new(),
    };
    c.render(&Detail {
        c,
        printable,
        number: x.number.clone(),
        type_name: word(c, "e-type-", &x.permit_type),
        status: word(c, "e-cert-", x.status.as_str()),
        status_class: status_class(x.status).into(),
        holder,
        scope,
        valid: valid_range(c, &x),
        issued: local(c, x.issued_at),
        code: x.verification_code.clone(),
        url,
        qr,
        actions,
        application_href: format!("/e/applications/{}", x.application_id),
        print_href: format!("/e/certificates/{}/print", x.id),
        issuer: crate::permits::certificates::ISSUER.to_owned(),
    })
}

/// One certificate with its QR code and what may be done with it.
#[get("/e/certificates/{id}")]
async fn detail(s: Ent, req: HttpRequest, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    page(s, req, id.into_inner(), false).await
}

/// The certificate to print (A4, the print stylesheet hides the site's frame).
#[get("/e/certificates/{id}/print")]
async fn print(s: Ent, req: HttpRequest, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    page(s, req, id.into_inner(), true).await
}
