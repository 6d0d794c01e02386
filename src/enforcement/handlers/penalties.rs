//! `/api/v1/penalties`: record administrative penalties, their payment, list and read them.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Anyone, Auth, Inspectors};
use crate::campaigns::handlers::IDEMPOTENCY;
use crate::enforcement::store::PenaltyFilter;
use crate::enforcement::usecases::penalties::{
    self, CreatePenaltyRequest, PayRequest, PenaltyView,
};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::create_once;
use crate::http::ok;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CampaignId, EnterpriseId, PenaltyId};
use crate::state::AppState;

/// Records an administrative penalty (行政处罚) with a unique decision number (409 on reuse)
/// and a fine in fen (≥ 0). Roles: admin, inspector.
#[utoipa::path(
    tag = "penalties",
    request_body = CreatePenaltyRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY)),
    responses((status = 201, body = PenaltyView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector"]))
)]
#[post("/penalties")]
pub async fn create_penalty(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.actor();
    let user = auth.id;
    create_once(
        &state,
        &req,
        auth.id,
        body,
        move |conn, now, input: CreatePenaltyRequest| {
            penalties::create(conn, now, &actor, user, &input)
        },
    )
    .await
}

/// Records that the fine was paid (once; a second payment is 409). Roles: admin, inspector.
#[utoipa::path(
    tag = "penalties",
    params(("id" = i64, Path)),
    request_body = PayRequest,
    responses((status = 200, body = PenaltyView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector"]))
)]
#[post("/penalties/{id}/pay")]
pub async fn pay_penalty(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = PenaltyId(id.into_inner());
    let input: PayRequest = body.value().await?;
    let (actor, now) = (auth.actor(), state.now());
    state
        .db
        .write_case(move |conn| penalties::pay(conn, now, &actor, id, &input))
        .await
        .map(ok)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PenaltyQuery {
    pub enterprise_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub paid: Option<bool>,
    /// Inclusive local date (decided_on).
    pub from: Option<NaiveDate>,
    /// Inclusive local date (decided_on).
    pub to: Option<NaiveDate>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists penalties, newest first; an enterprise user sees only its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "penalties", params(PenaltyQuery), responses((status = 200, body = Page<PenaltyView>), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/penalties")]
pub async fn list_penalties(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    query: ApiQuery<PenaltyQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let scope = auth.scope();
    let filter = PenaltyFilter {
        enterprise_id: q.enterprise_id.map(EnterpriseId),
        scope: None,
        campaign_id: q.campaign_id.map(CampaignId),
        paid: q.paid,
        from: q.from,
        to: q.to,
    };
    state
        .db
        .read_case(move |conn| penalties::list(conn, scope, filter, page))
        .await
        .map(ok)
}

/// One penalty with its timeline; an enterprise user reads only its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "penalties", params(("id" = i64, Path)), responses((status = 200, body = PenaltyView), (status = 404, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/penalties/{id}")]
pub async fn get_penalty(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = PenaltyId(id.into_inner());
    let scope = auth.scope();
    state
        .db
        .read_case(move |conn| penalties::get(conn, scope, id))
        .await
        .map(ok)
}
