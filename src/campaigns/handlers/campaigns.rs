//! `/api/v1/campaigns`: open, list, read and change campaigns.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::IDEMPOTENCY;
use crate::auth::{Admin, Auth, Staff};
use crate::campaigns::domain::CampaignStatus;
use crate::campaigns::usecases::campaigns::{
    self, CampaignView, CreateCampaignRequest, UpdateCampaignRequest,
};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::create_once;
use crate::http::ok;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::CampaignId;
use crate::state::AppState;

/// Opens a campaign (安全生产排查整治行动) with its dates and target industries; its status
/// follows the dates. Roles: admin.
#[utoipa::path(
    tag = "campaigns",
    request_body = CreateCampaignRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY)),
    responses((status = 201, body = CampaignView), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[post("/campaigns")]
pub async fn create_campaign(
    auth: Auth<Admin>,
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
        move |conn, now, input: CreateCampaignRequest| {
            campaigns::create(conn, now, &actor, user, &input)
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CampaignQuery {
    pub status: Option<CampaignStatus>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists campaigns, newest first, optionally by derived status. Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "campaigns", params(CampaignQuery), responses((status = 200, body = Page<CampaignView>), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/campaigns")]
pub async fn list_campaigns(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    query: ApiQuery<CampaignQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let today = state.now().today;
    state
        .db
        .read_case(move |conn| campaigns::list(conn, today, q.status, page))
        .await
        .map(ok)
}

/// One campaign with its timeline. Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = CampaignView), (status = 404, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/campaigns/{id}")]
pub async fn get_campaign(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = CampaignId(id.into_inner());
    let today = state.now().today;
    state
        .db
        .read_case(move |conn| campaigns::get(conn, today, id))
        .await
        .map(ok)
}

/// Renames, moves the end date, describes, or closes a campaign early (`closed: true`, once;
/// a closed campaign is 409). Roles: admin.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = i64, Path)),
    request_body = UpdateCampaignRequest,
    responses((status = 200, body = CampaignView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[patch("/campaigns/{id}")]
pub async fn update_campaign(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = CampaignId(id.into_inner());
    let patch: UpdateCampaignRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.now();
    state
        .db
        .write_case(move |conn| campaigns::update(conn, now, &actor, id, &patch))
        .await
        .map(ok)
}
