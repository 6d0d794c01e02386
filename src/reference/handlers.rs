//! `/api/v1/reference/…`.

use actix_web::{HttpResponse, get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::codes;
use super::store::{self, CodeName, Table};
use crate::auth::{Admin, Anyone, Auth, CurrentUser};
use crate::error::{ApiError, Problem};
use crate::http::extract::{JsonBody, Segment};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_districts)
        .service(list_industries)
        .service(put_district)
        .service(put_industry);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeList {
    pub items: Vec<CodeName>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutName {
    pub name: String,
}

async fn list(state: web::Data<AppState>, table: Table) -> Result<HttpResponse, ApiError> {
    let items = state.db.run(move |conn| store::list(conn, table)).await?;
    Ok(HttpResponse::Ok().json(CodeList { items }))
}

async fn put(
    state: web::Data<AppState>,
    user: &CurrentUser,
    table: Table,
    code: web::Path<Segment>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner().into_inner();
    let body: PutName = body.value().await?;
    let name = codes::check_put(&code, &body.name)?;
    let actor = user.actor();
    let now = state.clock.now_naive();
    let put = state
        .db
        .write(move |conn| codes::put(conn, now, &actor, table, code, name))
        .await?;
    Ok(HttpResponse::Ok().json(put))
}

/// The districts. Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "reference", responses((status = 200, body = CodeList)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/reference/districts")]
pub async fn list_districts(
    _auth: Auth<Anyone>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    list(state, Table::Districts).await
}

/// The industries. Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "reference", responses((status = 200, body = CodeList)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/reference/industries")]
pub async fn list_industries(
    _auth: Auth<Anyone>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    list(state, Table::Industries).await
}

/// Adds a district or renames one (another city replaces Qingdao's ten). Roles: admin.
#[utoipa::path(tag = "reference", params(("code" = String, Path)), request_body = PutName, responses((status = 200, body = CodeName), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[put("/reference/districts/{code}")]
pub async fn put_district(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    code: web::Path<Segment>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    put(state, &auth, Table::Districts, code, body).await
}

/// Adds an industry or renames one. Roles: admin.
#[utoipa::path(tag = "reference", params(("code" = String, Path)), request_body = PutName, responses((status = 200, body = CodeName), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[put("/reference/industries/{code}")]
pub async fn put_industry(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    code: web::Path<Segment>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    put(state, &auth, Table::Industries, code, body).await
}
