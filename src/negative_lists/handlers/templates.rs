//! `/api/v1/negative-list-templates`: the industries' templates.

use actix_web::{HttpResponse, get, put, web};

use crate::auth::{Admin, Anyone, Auth};
use crate::error::{ApiError, Problem};
use crate::http::extract::{JsonBody, Segment};
use crate::http::ok;
use crate::negative_lists::usecases::templates::{self, ItemsRequest, TemplateIndex, TemplateView};
use crate::state::AppState;

/// Every industry with the number of items of its negative-list template.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "negative-lists",
    responses((status = 200, body = TemplateIndex)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/negative-list-templates")]
pub async fn list_templates(
    _auth: Auth<Anyone>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.db.read_case(templates::index).await.map(ok)
}

/// An industry's negative-list template, in order (404 for an unknown industry).
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "negative-lists",
    params(("industry" = String, Path, description = "an industry code")),
    responses((status = 200, body = TemplateView), (status = 404, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/negative-list-templates/{industry}")]
pub async fn get_template(
    _auth: Auth<Anyone>,
    state: web::Data<AppState>,
    industry: web::Path<Segment>,
) -> Result<HttpResponse, ApiError> {
    let industry = industry.into_inner().into_inner();
    state
        .db
        .read_case(move |conn| templates::get(conn, industry))
        .await
        .map(ok)
}

/// Replaces an industry's template with the items sent (item codes unique, at least one item;
/// 422 otherwise). Lists already copied from it do not change. Roles: admin.
#[utoipa::path(
    tag = "negative-lists",
    params(("industry" = String, Path, description = "an industry code")),
    request_body = ItemsRequest,
    responses((status = 200, body = TemplateView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[put("/negative-list-templates/{industry}")]
pub async fn replace_template(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    industry: web::Path<Segment>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let industry = industry.into_inner().into_inner();
    let request: ItemsRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    state
        .db
        .write_case(move |conn| templates::replace(conn, now, &actor, industry, request))
        .await
        .map(ok)
}
