//! `/api/v1/inspections`: record, list and read inspections with their hazards.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Anyone, Auth, Inspectors};
use crate::campaigns::handlers::IDEMPOTENCY;
use crate::enforcement::store::InspectionFilter;
use crate::enforcement::usecases::inspections::{self, CreateInspectionRequest, InspectionView};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::create_once;
use crate::http::ok;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CampaignId, EnterpriseId, GroupId, InspectionId};
use crate::state::AppState;

/// Records an inspection by two or more inspectors (members of the group, when one is named)
/// with the hazards it found, all in one transaction. Roles: admin, inspector.
#[utoipa::path(
    tag = "inspections",
    request_body = CreateInspectionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY)),
    responses((status = 201, body = InspectionView), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector"]))
)]
#[post("/inspections")]
pub async fn create_inspection(
    auth: Auth<Inspectors>,
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
        move |conn, now, input: CreateInspectionRequest| {
            inspections::create(conn, now, &user, &input)
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InspectionQuery {
    pub campaign_id: Option<i64>,
    pub group_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    /// Inclusive local date.
    pub from: Option<NaiveDate>,
    /// Inclusive local date.
    pub to: Option<NaiveDate>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists inspections with their hazards, newest first; an enterprise user sees only its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "inspections", params(InspectionQuery), responses((status = 200, body = Page<InspectionView>), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/inspections")]
pub async fn list_inspections(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    query: ApiQuery<InspectionQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let today = state.now().today;
    let scope = auth.scope();
    let filter = InspectionFilter {
        campaign_id: q.campaign_id.map(CampaignId),
        group_id: q.group_id.map(GroupId),
        enterprise_id: q.enterprise_id.map(EnterpriseId),
        scope: None,
        from: q.from,
        to: q.to,
    };
    state
        .db
        .read_case(move |conn| inspections::list(conn, today, scope, filter, page))
        .await
        .map(ok)
}

/// One inspection with its inspectors and hazards; an enterprise user reads only its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "inspections", params(("id" = i64, Path)), responses((status = 200, body = InspectionView), (status = 404, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/inspections/{id}")]
pub async fn get_inspection(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = InspectionId(id.into_inner());
    let today = state.now().today;
    let scope = auth.scope();
    state
        .db
        .read_case(move |conn| inspections::get(conn, today, scope, id))
        .await
        .map(ok)
}
