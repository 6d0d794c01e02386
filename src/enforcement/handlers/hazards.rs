//! `/api/v1/hazards`: record hazards, list and read them, and move them through rectification
//! and verification.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Anyone, Auth, Caller, Inspectors, InspectorsOrEnterprise};
use crate::campaigns::handlers::IDEMPOTENCY;
use crate::enforcement::domain::{HazardLevel, HazardStatus};
use crate::enforcement::store::HazardFilter;
use crate::enforcement::usecases::hazards::{
    self, CreateHazardRequest, HazardView, RectificationRequest, RejectRequest, VerifyRequest,
};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::create_once;
use crate::http::ok;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CampaignId, EnterpriseId, HazardId};
use crate::state::AppState;

/// Records a hazard. An enterprise reports its own (自查自报, no inspection); an inspector
/// records one for any enterprise, with or without an inspection. Every major hazard is
/// supervised (挂牌督办) and needs a deadline and the five-essentials plan.
/// Roles: admin, inspector, enterprise.
#[utoipa::path(
    tag = "hazards",
    request_body = CreateHazardRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY)),
    responses((status = 201, body = HazardView), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector", "enterprise"]))
)]
#[post("/hazards")]
pub async fn create_hazard(
    auth: Auth<InspectorsOrEnterprise>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let user = auth.user.clone();
    create_once(
        &state,
        &req,
        auth.id,
        body,
        move |conn, now, input: CreateHazardRequest| hazards::create(conn, now, &user, &input),
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HazardQuery {
    pub enterprise_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub level: Option<HazardLevel>,
    pub status: Option<HazardStatus>,
    /// `true`: open and past the deadline.
    pub overdue: Option<bool>,
    /// The enterprise's district.
    pub district: Option<String>,
    /// The enterprise's industry.
    pub industry: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists hazards, newest first; `district` and `industry` are the enterprise's. An enterprise
/// user sees only its own. Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "hazards", params(HazardQuery), responses((status = 200, body = Page<HazardView>), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/hazards")]
pub async fn list_hazards(
    caller: Caller<Anyone>,
    state: web::Data<AppState>,
    query: ApiQuery<HazardQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let today = state.now().today;
    state
        .db
        .read_case(move |conn| -> Result<_, ApiError> {
            // The busiest list: the account is confirmed in this read, not in a trip of its own.
            let auth = caller.confirm(conn)?;
            let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
            let filter = HazardFilter {
                enterprise_id: q.enterprise_id.map(EnterpriseId),
                scope: None,
                campaign_id: q.campaign_id.map(CampaignId),
                level: q.level.map(|l| l.as_str().to_owned()),
                status: q.status.map(|s| s.as_str().to_owned()),
                overdue: q.overdue,
                district: q.district,
                industry: q.industry,
            };
            Ok(hazards::list(conn, today, auth.scope(), filter, page)?)
        })
        .await
        .map(ok)
}

/// One hazard with its timeline; an enterprise user reads only its own (another's is 404).
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "hazards", params(("id" = i64, Path)), responses((status = 200, body = HazardView), (status = 404, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/hazards/{id}")]
pub async fn get_hazard(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = HazardId(id.into_inner());
    let today = state.now().today;
    let scope = auth.scope();
    state
        .db
        .read_case(move |conn| hazards::get(conn, today, scope, id))
        .await
        .map(ok)
}

/// Reports a hazard rectified (`open` → `rectified`): the enterprise for its own hazards, or an
/// inspector. Roles: admin, inspector, enterprise.
#[utoipa::path(
    tag = "hazards",
    params(("id" = i64, Path)),
    request_body = RectificationRequest,
    responses((status = 200, body = HazardView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector", "enterprise"]))
)]
#[post("/hazards/{id}/rectification")]
pub async fn rectify_hazard(
    auth: Auth<InspectorsOrEnterprise>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let input: RectificationRequest = body.value().await?;
    let id = HazardId(id.into_inner());
    let (user, now) = (auth.user.clone(), state.now());
    state
        .db
        .write_case(move |conn| hazards::rectify(conn, now, &user, id, &input))
        .await
        .map(ok)
}

/// Accepts a rectified hazard and closes it (验收销号, `rectified` → `verified`).
/// Roles: admin, inspector.
#[utoipa::path(
    tag = "hazards",
    params(("id" = i64, Path)),
    request_body = VerifyRequest,
    responses((status = 200, body = HazardView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector"]))
)]
#[post("/hazards/{id}/verify")]
pub async fn verify_hazard(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let input: VerifyRequest = body.value().await?;
    let id = HazardId(id.into_inner());
    let (user, now) = (auth.user.clone(), state.now());
    state
        .db
        .write_case(move |conn| hazards::verify(conn, now, &user, id, &input))
        .await
        .map(ok)
}

/// Sends a rectified hazard back to `open`, with the reason. Roles: admin, inspector.
#[utoipa::path(
    tag = "hazards",
    params(("id" = i64, Path)),
    request_body = RejectRequest,
    responses((status = 200, body = HazardView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector"]))
)]
#[post("/hazards/{id}/reject")]
pub async fn reject_hazard(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let input: RejectRequest = body.value().await?;
    let id = HazardId(id.into_inner());
    let (user, now) = (auth.user.clone(), state.now());
    state
        .db
        .write_case(move |conn| hazards::reject(conn, now, &user, id, &input))
        .await
        .map(ok)
}
