//! `/api/v1/campaigns`, `/tasks`, `/inspection-groups` and `/stats/inspections` (SPEC 4), a
//! file per sub-resource. Each handler extracts, calls one use case of `super::usecases` in
//! one transaction, and maps the answer. The enforcement records' routes are in
//! `crate::enforcement::handlers`.

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa_actix_web::service_config::ServiceConfig;

use super::usecases::Now;
use crate::auth::CurrentUser;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::idempotency;
use crate::state::AppState;

pub mod campaigns;
pub mod figures;
pub mod groups;
pub mod tasks;

pub use campaigns::*;
pub use figures::*;
pub use groups::*;
pub use tasks::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_campaign)
        .service(list_campaigns)
        .service(get_campaign)
        .service(update_campaign)
        .service(create_task)
        .service(list_tasks)
        .service(update_task)
        .service(create_group)
        .service(list_groups)
        .service(get_group)
        .service(create_stationing)
        .service(list_stationings)
        .service(inspection_stats);
}

pub(crate) const IDEMPOTENCY: &str = "replays the first response";

/// An idempotent creation (SPEC 1.4): the body parsed as `T`, then `create` in one write
/// transaction, once per `Idempotency-Key` of the caller; 201 with its view, or the first
/// response again.
pub(crate) async fn create_once<T, V, E>(
    state: &AppState,
    req: &HttpRequest,
    caller: &CurrentUser,
    body: JsonBody,
    create: impl FnOnce(&mut DbConn, Now, T) -> Result<V, E> + Send + 'static,
) -> Result<HttpResponse, ApiError>
where
    T: DeserializeOwned + Send + 'static,
    V: Serialize,
    E: Into<ApiError>,
{
    let (input, idem) = idempotency::parse_for_user(req, caller.id, body).await?;
    let now = state.now();
    idem.create(&state.db, now.at, move |conn| create(conn, now, input))
        .await
}
