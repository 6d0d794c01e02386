//! The outermost middleware: gives every request an id (the incoming `x-request-id` when it is
//! a sane token), runs it inside a tracing span that carries the id, logs one line when it ends,
//! records metrics by route pattern, and marks API responses `Cache-Control: no-store`.
//!
//! It never logs the query string, headers, body or client address: tokens, receipts and
//! reporters' identities cannot reach the log through it.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use tracing::Instrument;

use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, readable by handlers through `req.extensions()`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn sane(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    ok.then(|| text.to_owned())
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(sane)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %request_id, http.method = %method, http.route = tracing::field::Empty);
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let mut res = result?;

    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status();
    let elapsed = started.elapsed();
    span.record("http.route", route.as_str());
    span.in_scope(|| {
        tracing::info!(
            http.status = status.as_u16(),
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request finished"
        );
    });
    if let Some(state) = state {
        state
            .metrics
            .requests
            .with_label_values(&[&route, &method, status.as_str()])
            .inc();
        state
            .metrics
            .latency
            .with_label_values(&[&route, &method])
            .observe(elapsed.as_secs_f64());
    }

    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID, value);
    }
    if !headers.contains_key(header::CACHE_CONTROL) && res.request().path().starts_with("/api/v1") {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_request_ids_are_kept() {
        assert_eq!(
            sane(&HeaderValue::from_static("abc-123_x.y")),
            Some("abc-123_x.y".into())
        );
        assert_eq!(sane(&HeaderValue::from_static("has space")), None);
        assert_eq!(sane(&HeaderValue::from_static("")), None);
        assert_eq!(sane(&HeaderValue::from_str(&"a".repeat(65)).unwrap()), None);
        assert_eq!(sane(&HeaderValue::from_static("inject\"quote")), None);
    }
}
