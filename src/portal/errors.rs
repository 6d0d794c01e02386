//! The portal's outer layer: the security headers of PORTAL 7.2 on every portal response, and
//! the error pages. A handler or extractor that fails answers the API's problem document; here,
//! for a portal address, it becomes a page in the portal's layout and the visitor's language
//! (a 401 becomes the way to sign in and back), never a raw error.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;

use super::page::Ctx;
use crate::http::observe::RequestId;
use crate::state::AppState;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

fn secure(headers: &mut actix_web::http::header::HeaderMap) {
    let set = |headers: &mut actix_web::http::header::HeaderMap,
               name: &'static str,
               value: &'static str| {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    };
    set(headers, "content-security-policy", CSP);
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "no-referrer");
    set(
        headers,
        "permissions-policy",
        "camera=(), geolocation=(), microphone=(), payment=(), usb=()",
    );
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(headers, "x-frame-options", "DENY");
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage<'a> {
    c: &'a Ctx,
    title: String,
    message: String,
    request_id: &'a str,
}

/// The problem document's `detail`, when the body is one.
fn detail_of(body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    value
        .get("detail")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_owned()
}

fn error_page(
    req: &HttpRequest,
    status: StatusCode,
    body: &[u8],
    retry_after: Option<String>,
) -> HttpResponse {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return HttpResponse::build(status).finish();
    };
    // No session is read to show an error: the page offers the way home, nothing more.
    let c = Ctx::build(req, state, None);
    let t = c.t;
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let detail = detail_of(body);
    let key = match status.as_u16() {
        400 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 503 => {
            format!("error-{}", status.as_u16())
        }
        s if s >= 500 => "error-500".to_owned(),
        _ => "error-400".to_owned(),
    };
    let mut message = t.t(&format!("{key}-text"));
    if status == StatusCode::TOO_MANY_REQUESTS
        && let Some(wait) = &retry_after
    {
        message = t.t1("error-429-wait", "seconds", wait);
    }
    // A conflict's detail names the state the record is in: worth showing as it is.
    if status == StatusCode::CONFLICT && !detail.is_empty() {
        message = format!("{message} ({detail})");
    }
    let page = ErrorPage {
        c: &c,
        title: t.t(&format!("{key}-title")),
        message,
        // Only a server error shows the id: the log has the cause under it.
        request_id: if status.is_server_error() {
            &request_id
        } else {
            ""
        },
    };
    let mut answer = c
        .render_status(status, &page)
        .unwrap_or_else(|_| HttpResponse::build(status).finish());
    if let Some(wait) = retry_after
        && let Ok(value) = HeaderValue::from_str(&wait)
    {
        answer.headers_mut().insert(header::RETRY_AFTER, value);
    }
    answer
}

/// Where a visitor without a session goes: the sign-in, then back to `here` (a form's own
/// page for a POST, whose draft the server has kept).
fn to_sign_in(req: &HttpRequest) -> HttpResponse {
    let here = if req.method() == Method::GET {
        match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        }
    } else {
        req.path().to_owned()
    };
    let to = format!(
        "/login?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("next", &here)
            .finish()
    );
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

pub async fn layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if !super::is_portal_path(req.path()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(err) => return Err(err),
    };
    let status = res.status();
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let mut res = if status.is_client_error() || status.is_server_error() {
        if html || res.request().path().starts_with("/assets/") {
            res
        } else {
            let retry_after = res
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let (req, res) = res.into_parts();
            let body = actix_web::body::to_bytes(res.into_body())
                .await
                .unwrap_or_default();
            let page = if status == StatusCode::UNAUTHORIZED {
                to_sign_in(&req)
            } else {
                error_page(&req, status, &body, retry_after)
            };
            ServiceResponse::new(req, page)
        }
    } else {
        res
    };
    secure(res.headers_mut());
    Ok(res)
}
