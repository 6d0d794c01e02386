//! Shared HTTP machinery: extractors, middleware, pagination, idempotency, rate limits, metrics
//! and the operational endpoints.

pub mod cors;
pub mod extract;
pub mod idempotency;
pub mod import;
pub mod limits;
pub mod metrics;
pub mod observe;
pub mod ops;
pub mod pagination;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;

/// A JSON response with the given status.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status).json(body)
}

/// 200 with a use case's view as JSON.
pub fn ok<T: Serialize>(view: T) -> HttpResponse {
    HttpResponse::Ok().json(view)
}
