//! Staff handling reports: the list, the detail, assignment, the start of the investigation,
//! messages, the conclusion and the opening of the reporter's identity.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Admin, Auth, Inspectors};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::UserId;
use crate::reports::domain::{Category, ReportId, ReportStatus};
use crate::reports::store::ReportFilter;
use crate::reports::usecases::handling::{
    self as usecase, ConcludeRequest, IdentityView, MessageView, ReportDetail, ReportView,
};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    pub status: Option<ReportStatus>,
    pub category: Option<Category>,
    pub industry: Option<String>,
    pub district: Option<String>,
    pub assignee_id: Option<i64>,
    /// Filed on or after (local date).
    pub from: Option<NaiveDate>,
    /// Filed on or before (local date).
    pub to: Option<NaiveDate>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists reports, newest first, without the reporters' identities; filters `status`,
/// `category`, `industry`, `district`, `assignee_id`, `from`, `to` (filing dates).
/// Roles: admin, inspector.
#[utoipa::path(tag = "reports", params(ReportQuery), responses((status = 200, body = Page<ReportView>), (status = 422, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[get("/reports")]
pub async fn list_reports(
    _auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    query: ApiQuery<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let filter = ReportFilter {
        status: q.status.map(|s| s.as_str().to_owned()),
        category: q.category.map(|c| c.as_str().to_owned()),
        industry: q.industry,
        district: q.district,
        assignee_id: q.assignee_id.map(UserId),
        from: q.from,
        to: q.to,
    };
    let page = state
        .db
        .read_case(move |conn| usecase::list(conn, &filter, page))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One report with its messages, the penalties it led to, its reward and its timeline; never
/// the reporter's identity. Roles: admin, inspector.
#[utoipa::path(tag = "reports", params(("id" = i64, Path)), responses((status = 200, body = ReportDetail), (status = 404, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[get("/reports/{id}")]
pub async fn get_report(
    _auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let today = state.now().today;
    let detail = state
        .db
        .read_case(move |conn| usecase::detail(conn, today, id))
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// An active inspector (or admin).
    pub inspector_id: i64,
}

/// Assigns a `received` (or reassigns an `assigned`) report to an inspector → 200; any other
/// state is 409. Roles: admin, inspector.
#[utoipa::path(tag = "reports", params(("id" = i64, Path)), request_body = AssignRequest, responses((status = 200, body = ReportDetail), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[post("/reports/{id}/assign")]
pub async fn assign_report(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let input: AssignRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.now();
    let inspector = UserId(input.inspector_id);
    let detail = state
        .db
        .write_case(move |conn| usecase::assign(conn, now, &actor, id, inspector))
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Starts the investigation of an `assigned` report → 200; any other state is 409.
/// Roles: admin, inspector.
#[utoipa::path(tag = "reports", params(("id" = i64, Path)), responses((status = 200, body = ReportDetail), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[post("/reports/{id}/start")]
pub async fn start_report(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let actor = auth.actor();
    let now = state.now();
    let detail = state
        .db
        .write_case(move |conn| usecase::start(conn, now, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffMessageRequest {
    /// 1 to 5,000 characters.
    pub body: String,
    /// `true`: the reporter sees it on lookup; `false`: an internal note.
    pub to_reporter: bool,
}

/// Adds a message to a report: to the reporter (seen on lookup) or an internal note → 201.
/// Roles: admin, inspector.
#[utoipa::path(tag = "reports", params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "replays the first response")), request_body = StaffMessageRequest, responses((status = 201, body = MessageView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[post("/reports/{id}/messages")]
pub async fn staff_message(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let actor = auth.actor();
    idempotency::create_once(
        &state,
        &req,
        auth.id,
        body,
        move |conn, now, input: StaffMessageRequest| {
            usecase::add_message(conn, now.at, &actor, id, &input.body, input.to_reporter)
        },
    )
    .await
}

/// Concludes an `investigating` report as `substantiated`, `unsubstantiated` or `duplicate`
/// (naming an earlier report) → 200; any other state is 409. A substantiated accident report
/// (or one matching a per-death situation) needs `accident_grade` and `concealed_deaths`.
/// Roles: admin, inspector.
#[utoipa::path(tag = "reports", params(("id" = i64, Path)), request_body = ConcludeRequest, responses((status = 200, body = ReportDetail), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[post("/reports/{id}/conclude")]
pub async fn conclude_report(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let input: ConcludeRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.now();
    let detail = state
        .db
        .write_case(move |conn| usecase::conclude(conn, now, &actor, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityRequest {
    /// Why the identity is needed: 10 to 500 characters, kept in the audit trail.
    pub reason: String,
}

/// Opens the reporter's contact fields. Every opening is an audit event naming who, when and
/// why; the reporter's lookup shows that the identity was opened (not by whom). Nobody else,
/// inspectors included, ever sees it; a contact erased under the retention rule is 409.
/// Roles: admin.
#[utoipa::path(tag = "reports", params(("id" = i64, Path)), request_body = IdentityRequest, responses((status = 200, body = IdentityView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[post("/reports/{id}/identity")]
pub async fn open_identity(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let input: IdentityRequest = body.value().await?;
    let actor = auth.actor();
    let at = state.now().at;
    let data_key = state.config.secrets.data_key;
    let view = state
        .db
        .write_case(move |conn| {
            usecase::open_identity(conn, at, &actor, &data_key, id, &input.reason)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
