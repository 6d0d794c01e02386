//! The reward-situation catalogue: the list and the import (a JSON array or CSV).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Admin, Auth, Inspectors};
use crate::error::{ApiError, Problem};
use crate::http::extract::ApiQuery;
use crate::http::idempotency::Idempotent;
use crate::http::import::{self, Columns, Import, MAX_IMPORT_BYTES};
use crate::http::pagination::{Page, PageRequest};
use crate::reports::domain::Category;
use crate::reports::usecases::situations::{
    self as usecase, SITUATION_COLUMNS, SituationImportResult, SituationInput, SituationView,
};
use crate::state::AppState;

/// What a situation import's CSV file may hold.
const SITUATION_IMPORT: Columns = Columns {
    names: SITUATION_COLUMNS,
    of: "a situation import",
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SituationQuery {
    pub industry: Option<String>,
    pub category: Option<Category>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The reward-situation catalogue (奖励情形), newest first; filters `industry`, `category`.
/// Roles: admin, inspector.
#[utoipa::path(tag = "rewards", params(SituationQuery), responses((status = 200, body = Page<SituationView>), (status = 422, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[get("/reward-situations")]
pub async fn list_situations(
    _auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    query: ApiQuery<SituationQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let (industry, category) = (q.industry, q.category);
    let page = state
        .db
        .read_case(move |conn| usecase::list(conn, industry.as_deref(), category, page))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Imports reward situations from a JSON array or a CSV file with a header row
/// (`Content-Type: text/csv`), all or nothing; a situation whose code exists is replaced. A
/// 422 lists every bad row by index and field. Roles: admin.
#[utoipa::path(
    tag = "rewards",
    request_body(content = Vec<SituationInput>, description = "a JSON array, or text/csv with a header row"),
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")),
    responses((status = 201, body = SituationImportResult), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[post("/reward-situations")]
pub async fn import_situations(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Import {
        rows: inputs,
        bytes,
    } = import::read::<SituationInput>(&req, &mut payload, MAX_IMPORT_BYTES, SITUATION_IMPORT)
        .await?;
    let idem = Idempotent::for_user(&req, auth.id, &bytes)?;
    let actor = auth.actor();
    let now = state.now();
    idem.create_alone(&state.db, now.at, move |conn| {
        usecase::import(conn, now, &actor, &inputs)
    })
    .await
}
