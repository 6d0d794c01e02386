//! The negative lists' JSON API, a file per sub-resource: `/api/v1/negative-list-templates`
//! ([`templates`]), `/api/v1/negative-lists` and `/api/v1/enterprises/{id}/negative-list`
//! ([`lists`]), `/api/v1/violations` ([`violations`]) and `/api/v1/stats/violations`
//! ([`figures`]). Each handler extracts, calls one use case of [`super::usecases`] in one
//! database section, and maps the answer to HTTP.

mod figures;
mod lists;
mod templates;
mod violations;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

pub use figures::*;
pub use lists::*;
pub use templates::*;
pub use violations::*;

use super::usecases::NegativeListError;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_templates)
        .service(get_template)
        .service(replace_template)
        .service(create_list)
        .service(replace_items)
        .service(publish_list)
        .service(discard_list)
        .service(list_lists)
        .service(get_list)
        .service(current_list)
        .service(record_violation)
        .service(list_violations)
        .service(get_violation)
        .service(correct_violation)
        .service(violation_stats);
}

/// A creation's answer as the idempotency store keeps it: 201 with the view.
fn created(view: impl Serialize) -> Result<(StatusCode, serde_json::Value), ApiError> {
    Ok((
        StatusCode::CREATED,
        serde_json::to_value(view).map_err(ApiError::internal)?,
    ))
}

/// 200 with the view of a read use case, run in one `state.db.run`.
async fn read<T, F>(state: &AppState, use_case: F) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, NegativeListError> + Send + 'static,
{
    let view = state.db.run(move |conn| Ok(use_case(conn)?)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// 200 with the view of a write use case, run at the clock's now in one `state.db.write`.
async fn write<T, F>(state: &AppState, use_case: F) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut DbConn, NaiveDateTime) -> Result<T, NegativeListError> + Send + 'static,
{
    let now = state.clock.now_naive();
    let view = state.db.write(move |conn| Ok(use_case(conn, now)?)).await?;
    Ok(HttpResponse::Ok().json(view))
}
