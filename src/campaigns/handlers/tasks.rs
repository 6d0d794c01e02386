//! `/api/v1/campaigns/{id}/tasks` and `/api/v1/tasks/{id}`: the key-task board (挂图作战).

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::IDEMPOTENCY;
use crate::auth::{Admin, Auth, Inspectors, Staff};
use crate::campaigns::domain::TaskStatus;
use crate::campaigns::usecases::tasks::{
    self, BoardFilter, CreateTaskRequest, TaskBoard, TaskView, UpdateTaskRequest,
};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::create_once;
use crate::http::ok;
use crate::http::pagination::PageRequest;
use crate::ids::{CampaignId, TaskId};
use crate::state::AppState;

/// Puts a key task on the campaign's board (挂图作战), `pending`. Roles: admin.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY)),
    request_body = CreateTaskRequest,
    responses((status = 201, body = TaskView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[post("/campaigns/{id}/tasks")]
pub async fn create_task(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let campaign_id = CampaignId(id.into_inner());
    let actor = auth.actor();
    create_once(
        &state,
        &req,
        auth.id,
        body,
        move |conn, now, input: CreateTaskRequest| {
            tasks::create(conn, now, &actor, campaign_id, &input)
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    pub status: Option<TaskStatus>,
    /// `true`: not done and past the deadline.
    pub overdue: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The campaign's task board: tasks newest first (filters `status`, `overdue`) and the counts
/// of the whole board. Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "campaigns", params(("id" = i64, Path), TaskQuery), responses((status = 200, body = TaskBoard), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/campaigns/{id}/tasks")]
pub async fn list_tasks(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: ApiQuery<TaskQuery>,
) -> Result<HttpResponse, ApiError> {
    let campaign_id = CampaignId(id.into_inner());
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let filter = BoardFilter {
        status: q.status,
        overdue: q.overdue,
    };
    let today = state.now().today;
    state
        .db
        .read_case(move |conn| tasks::board(conn, today, campaign_id, filter, page))
        .await
        .map(ok)
}

/// Updates a task's progress; `done` sets `completed_at` and is final (reopening is 409).
/// Roles: admin, inspector.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = i64, Path)),
    request_body = UpdateTaskRequest,
    responses((status = 200, body = TaskView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector"]))
)]
#[patch("/tasks/{id}")]
pub async fn update_task(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = TaskId(id.into_inner());
    let patch: UpdateTaskRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.now();
    state
        .db
        .write_case(move |conn| tasks::update(conn, now, &actor, id, &patch))
        .await
        .map(ok)
}
