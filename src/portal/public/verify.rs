//! Certificate verification (PORTAL 7.3): `/verify` (a GET form: `number` and `code`) and
//! `/verify/{number}?code=…`, the address a certificate's QR code opens. Both call the JSON
//! route's use case (`permits::register::verify`), so a wrong code answers exactly as an
//! unknown number does: the same page, the same 404. What is shown of the certificate is what
//! its signature covers, read from the signed payload, and the signature is checked against
//! the bureau's published key as an offline verifier would.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use chrono::{DateTime, NaiveDate};
use serde_json::Value;

use super::super::page::Ctx;
use crate::error::ApiError;
use crate::http::extract::Segment;
use crate::permits::PermitError;
use crate::permits::certificates;
use crate::permits::domain::CertificateStatus;
use crate::permits::register;
use crate::permits::views::VerificationView;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(form).service(by_link);
}

/// The certificate as the page shows it.
struct Shown {
    name: String,
    holder: String,
    credit_code: String,
    number: String,
    /// The scope: each entry of the signed scope, in words.
    scope: Vec<(String, String)>,
    valid_from: String,
    valid_until: String,
    issuer: String,
    issued_on: String,
    status_text: String,
    status_class: &'static str,
    status_note: String,
    signature_ok: bool,
}

#[derive(Template)]
#[template(path = "portal/public/verify.html")]
struct VerifyPage<'a> {
    c: &'a Ctx,
    number: String,
    code: String,
    /// A check was asked for (and so `found` or "not found" is shown).
    asked: bool,
    found: Option<Shown>,
    checked_at: String,
}

/// The form, and with `number` and `code` the answer on the same page.
#[get("/verify")]
async fn form(c: Ctx, query: web::Query<Vec<(String, String)>>) -> Result<HttpResponse, ApiError> {
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    let (number, code) = (get("number"), get("code"));
    answer(&c, number, code).await
}

/// What a certificate's QR code opens.
#[get("/verify/{number}")]
async fn by_link(
    c: Ctx,
    number: web::Path<Segment>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let code = query
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.trim().to_owned());
    let number = number.into_inner().into_inner();
    answer(&c, Some(number), Some(code.unwrap_or_default())).await
}

async fn answer(
    c: &Ctx,
    number: Option<String>,
    code: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let now = c.state.clock.now();
    let tz = c.state.config.timezone;
    let local = now.with_timezone(&tz);
    let checked_at = format!(
        "{} {}",
        c.t.date(local.date_naive()),
        local.format("%H:%M:%S")
    );
    let asked = number.as_deref().is_some_and(|n| !n.is_empty());
    let mut found = None;
    if asked {
        let today = local.date_naive();
        let (n, k) = (
            number.clone().unwrap_or_default(),
            code.clone().unwrap_or_default(),
        );
        let verified = c
            .state
            .db
            .run(
                move |conn| match register::verify(conn, today, &n, Some(&k)) {
                    Ok(v) => Ok(Some(v)),
                    Err(PermitError::NotFound) => Ok(None),
                    Err(other) => Err(other.into()),
                },
            )
            .await?;
        found = verified.map(|v| shown(c, v));
    }
    let status = if asked && found.is_none() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    c.render_status(
        status,
        &VerifyPage {
            c,
            number: number.unwrap_or_default(),
            code: code.unwrap_or_default(),
            asked,
            found,
            checked_at,
        },
    )
}

fn date_text(c: &Ctx, d: NaiveDate) -> String {
    c.t.date(d)
}

/// A scope value in words: text as it is, yes/no, lists joined, objects by their values.
fn value_text(c: &Ctx, v: &Value) -> String {
    match v {
        Value::String(s) => c.t.t_or(&format!("pub-value-{s}"), s),
        Value::Bool(true) => c.t("verify-yes"),
        Value::Bool(false) => c.t("verify-no"),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| value_text(c, i))
            .collect::<Vec<_>>()
            .join(c.t("pub-list-sep").as_str()),
        Value::Object(map) => {
            let parts: Vec<String> = map.values().map(|i| value_text(c, i)).collect();
            parts.join(" ")
        }
        Value::Null => String::new(),
    }
}

fn shown(c: &Ctx, v: VerificationView) -> Shown {
    let key = certificates::public_key(&c.state.config.secrets.signing_key);
    let signature_ok = certificates::verify(&key, &v.signed_payload, &v.signature);
    let signed: Value = serde_json::from_str(&v.signed_payload).unwrap_or_default();
    let text = |path: &[&str]| {
        let mut at = &signed;
        for p in path {
            at = &at[*p];
        }
        at.as_str().unwrap_or_default().to_owned()
    };
    let scope = signed["scope"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, val)| {
                    (
                        c.t.t_or(&format!("verify-scope-{k}"), k),
                        value_text(c, val),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let issued_on = DateTime::parse_from_rfc3339(&text(&["issued_at"]))
        .map(|d| {
            c.t.date(d.with_timezone(&c.state.config.timezone).date_naive())
        })
        .unwrap_or_default();
    let (status_text, status_class, status_note) = match v.status {
        CertificateStatus::Active => ("verify-status-active", "ok", "verify-note-active"),
        CertificateStatus::Superseded => {
            ("verify-status-superseded", "warn", "verify-note-superseded")
        }
        CertificateStatus::Revoked => ("verify-status-revoked", "bad", "verify-note-revoked"),
        CertificateStatus::Expired => ("verify-status-expired", "bad", "verify-note-expired"),
    };
    let permit_name = text(&["permit_name"]);
    Shown {
        name: c
            .t
            .t_or(&format!("pub-type-{}", v.permit_type), &permit_name),
        holder: text(&["holder", "name"]),
        credit_code: text(&["holder", "credit_code"]),
        number: v.number,
        scope,
        valid_from: date_text(c, v.valid_from),
        valid_until: date_text(c, v.valid_until),
        issuer: text(&["issuer"]),
        issued_on,
        status_text: c.t(status_text),
        status_class,
        status_note: c.t(status_note),
        signature_ok,
    }
}
