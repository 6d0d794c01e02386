//! Operational endpoints and the fallbacks for unknown routes and methods.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`
    pub status: &'static str,
}

/// The process answers. Roles: public.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)), security(()))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers (503 otherwise). Roles: public.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health), (status = 503, body = crate::error::Problem)), security(()))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .run(crate::db::check_ready)
        .await
        .map_err(|e| match e {
            ApiError::Internal(cause) => ApiError::Unavailable(cause),
            other => other,
        })?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}

/// Prometheus text exposition: requests by route and status, latency histograms, pool usage
/// and domain counters. Roles: public (expose it to the monitoring network only).
#[utoipa::path(tag = "operations", responses((status = 200, content_type = "text/plain", body = String)), security(()))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(state.db.pool()))
}

/// Unknown route: 404; known route, wrong method: 405.
pub async fn fallback(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(if req.resource_map().has_resource(req.path()) {
        ApiError::MethodNotAllowed
    } else {
        ApiError::NotFound
    })
}
