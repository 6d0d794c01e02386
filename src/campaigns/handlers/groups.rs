//! `/api/v1/inspection-groups` and their stationings (驻点).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::IDEMPOTENCY;
use crate::auth::{Admin, Auth, Staff};
use crate::campaigns::usecases::groups::{
    self, CreateGroupRequest, CreateStationingRequest, GroupView, StationingView,
};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::create_once;
use crate::http::ok;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CampaignId, GroupId};
use crate::state::AppState;

/// Forms an inspection group of one of the four modes: at least two inspectors (enforcement is
/// done by two officers or more), the leader among them; a cross-district group's target
/// differs from its home district. Roles: admin.
#[utoipa::path(
    tag = "campaigns",
    request_body = CreateGroupRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY)),
    responses((status = 201, body = GroupView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[post("/inspection-groups")]
pub async fn create_group(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.actor();
    create_once(
        &state,
        &req,
        auth.id,
        body,
        move |conn, now, input: CreateGroupRequest| groups::create_group(conn, now, &actor, &input),
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GroupQuery {
    pub campaign_id: Option<i64>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists inspection groups, newest first, optionally of one campaign. Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "campaigns", params(GroupQuery), responses((status = 200, body = Page<GroupView>), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/inspection-groups")]
pub async fn list_groups(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    query: ApiQuery<GroupQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let campaign_id = q.campaign_id.map(CampaignId);
    state
        .db
        .read_case(move |conn| groups::list_groups(conn, campaign_id, page))
        .await
        .map(ok)
}

/// One inspection group with its members. Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = GroupView), (status = 404, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/inspection-groups/{id}")]
pub async fn get_group(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    state
        .db
        .read_case(move |conn| groups::get_group(conn, id))
        .await
        .map(ok)
}

/// Stations the group at an enterprise (驻点) with some of its members. Roles: admin.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY)),
    request_body = CreateStationingRequest,
    responses((status = 201, body = StationingView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[post("/inspection-groups/{id}/stationings")]
pub async fn create_stationing(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let group_id = GroupId(id.into_inner());
    let actor = auth.actor();
    create_once(
        &state,
        &req,
        auth.id,
        body,
        move |conn, now, input: CreateStationingRequest| {
            groups::create_stationing(conn, now, &actor, group_id, &input)
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The group's stationings, newest first. Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "campaigns", params(("id" = i64, Path), PageQuery), responses((status = 200, body = Page<StationingView>), (status = 404, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/inspection-groups/{id}/stationings")]
pub async fn list_stationings(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let group_id = GroupId(id.into_inner());
    let page = PageRequest::parse(query.0.limit, query.0.cursor.as_deref())?;
    state
        .db
        .read_case(move |conn| groups::list_stationings(conn, group_id, page))
        .await
        .map(ok)
}
