//! `/api/v1/campaigns`, `/tasks`, `/inspection-groups`, `/inspections`, `/hazards`,
//! `/penalties`, `/orders` and `/stats/inspections` (SPEC 4).

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain::{
    self, CampaignStatus, GroupMode, HazardAction, HazardCategory, HazardInput, HazardLevel,
    HazardStatus, OrderKind, Plan, TaskStatus, ValidHazard,
};
use super::stats::{self, InspectionStats, Scope};
use super::store::{self, *};
use crate::audit::{self, TimelineEntry};
use crate::auth::{
    Admin, Anyone, Auth, Caller, CurrentUser, Inspectors, InspectorsOrEnterprise, Role, Staff,
};
use crate::db::DbConn;
use crate::enterprises::domain::ReferenceCodes;
use crate::enterprises::store as enterprise_store;
use crate::error::{ApiError, Problem, Validator};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::{self, Idempotent};
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{
    CampaignId, EnterpriseId, GroupId, HazardId, InspectionId, OrderId, PenaltyId, StationingId,
    TaskId, UserId,
};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_campaign)
        .service(list_campaigns)
        .service(get_campaign)
        .service(update_campaign)
        .service(create_task)
        .service(list_tasks)
        .service(update_task)
        .service(create_group)
        .service(list_groups)
        .service(get_group)
        .service(create_stationing)
        .service(list_stationings)
        .service(create_inspection)
        .service(list_inspections)
        .service(get_inspection)
        .service(create_hazard)
        .service(list_hazards)
        .service(get_hazard)
        .service(rectify_hazard)
        .service(verify_hazard)
        .service(reject_hazard)
        .service(create_penalty)
        .service(pay_penalty)
        .service(list_penalties)
        .service(get_penalty)
        .service(create_order)
        .service(lift_order)
        .service(list_orders)
        .service(get_order)
        .service(inspection_stats);
}

const IDEMPOTENCY: &str = "replays the first response";

fn stored<T>(parsed: Option<T>, what: &str) -> Result<T, ApiError> {
    parsed.ok_or_else(|| ApiError::internal(format!("unknown {what} stored")))
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

fn today(state: &AppState) -> NaiveDate {
    state.clock.today(state.config.timezone)
}

/// A date in the past or today, else a 422 on `field`.
fn not_future(v: &mut Validator, field: &str, date: NaiveDate, today: NaiveDate) {
    if date > today {
        v.add(field, "out_of_range", "must not be in the future");
    }
}

fn valid_text(v: &mut Validator, field: &str, value: &str, max: usize) -> String {
    v.text(field, value, 1, max).unwrap_or_default()
}

// =============================================================================================
// Campaigns

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: CampaignId,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub industries: Vec<String>,
    pub description: String,
    /// Derived from the dates (local) and an early close.
    pub status: CampaignStatus,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

fn campaign_view(r: CampaignRow, today: NaiveDate) -> Result<CampaignView, ApiError> {
    Ok(CampaignView {
        id: CampaignId(r.id),
        status: domain::campaign_status(r.starts_on, r.ends_on, r.closed_at, today),
        industries: serde_json::from_str(&r.industries).map_err(ApiError::internal)?,
        name: r.name,
        starts_on: r.starts_on,
        ends_on: r.ends_on,
        description: r.description,
        closed_at: r.closed_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
        timeline: None,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaignRequest {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Industry codes the campaign targets (may be empty: every industry).
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub description: String,
}

fn check_industries(v: &mut Validator, codes: &impl ReferenceCodes, industries: &[String]) {
    let mut seen = BTreeSet::new();
    for (i, code) in industries.iter().enumerate() {
        if !codes.has_industry(code) {
            v.add(
                format!("industries[{i}]"),
                "unknown_code",
                "is not an industry code",
            );
        } else if !seen.insert(code) {
            v.add(format!("industries[{i}]"), "duplicate", "is listed twice");
        }
    }
}

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
    let body = body.parse::<CreateCampaignRequest>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let input = body.value;
    let actor = auth.actor();
    let user_id = auth.id.0;
    let now = state.clock.now_naive();
    let today = today(&state);
    let result = state
        .db
        .write(move |conn| {
            let codes = enterprise_store::reference_codes(conn)?;
            let mut v = Validator::new();
            let name = valid_text(&mut v, "name", &input.name, 200);
            if input.description.chars().count() > 5000 {
                v.add(
                    "description",
                    "invalid_length",
                    "must be at most 5000 characters",
                );
            }
            if input.ends_on < input.starts_on {
                v.add("ends_on", "out_of_range", "must not be before starts_on");
            }
            check_industries(&mut v, &codes, &input.industries);
            v.finish()?;
            idem.run(conn, now, |conn| {
                let row = store::insert_campaign(
                    conn,
                    &NewCampaign {
                        name: &name,
                        starts_on: input.starts_on,
                        ends_on: input.ends_on,
                        industries: to_json(&input.industries)?.to_string(),
                        description: input.description.trim(),
                        closed_at: None,
                        created_by: user_id,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                audit::store::append_first(
                    conn,
                    "campaign",
                    &row.id.to_string(),
                    "created",
                    &actor,
                    json!({"name": row.name, "starts_on": row.starts_on, "ends_on": row.ends_on,
                           "industries": input.industries}),
                    now,
                )?;
                Ok((StatusCode::CREATED, to_json(&campaign_view(row, today)?)?))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, IntoParams)]
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
    let today = today(&state);
    let rows = state
        .db
        .run(move |conn| store::list_campaigns(conn, q.status, today, page.before_id, page.fetch()))
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(|r| campaign_view(r, today))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// One campaign with its timeline. Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = CampaignView), (status = 404, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/campaigns/{id}")]
pub async fn get_campaign(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let today = today(&state);
    let view = state
        .db
        .run(move |conn| {
            let row = store::find_campaign(conn, id)?.ok_or(ApiError::NotFound)?;
            let mut view = campaign_view(row, today)?;
            view.timeline = Some(audit::store::timeline(conn, "campaign", &id.to_string())?);
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCampaignRequest {
    pub name: Option<String>,
    pub ends_on: Option<NaiveDate>,
    pub description: Option<String>,
    /// `true` closes the campaign early (once).
    pub closed: Option<bool>,
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
    let id = id.into_inner();
    let patch: UpdateCampaignRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let today = today(&state);
    let row = state
        .db
        .write(move |conn| {
            let current = store::find_campaign(conn, id)?.ok_or(ApiError::NotFound)?;
            let mut v = Validator::new();
            let name = patch.name.as_deref().and_then(|s| v.text("name", s, 1, 200));
            let description = patch.description.as_deref().map(|s| s.trim().to_owned());
            if description.as_ref().is_some_and(|d| d.chars().count() > 5000) {
                v.add("description", "invalid_length", "must be at most 5000 characters");
            }
            if patch.ends_on.is_some_and(|e| e < current.starts_on) {
                v.add("ends_on", "out_of_range", "must not be before starts_on");
            }
            if patch.closed == Some(false) {
                v.add("closed", "invalid_value", "a campaign cannot be reopened; only true is accepted");
            }
            v.finish()?;
            let status = domain::campaign_status(current.starts_on, current.ends_on, current.closed_at, today);
            if status == CampaignStatus::Closed {
                return Err(ApiError::InvalidTransition("the campaign is closed".into()));
            }
            let closing = patch.closed == Some(true);
            let changes = CampaignChanges {
                name,
                ends_on: patch.ends_on,
                description,
                closed_at: closing.then_some(Some(now)),
                updated_at: Some(now),
            };
            let row = store::update_campaign_if_unchanged(conn, id, current.updated_at, &changes)?;
            audit::store::append(
                conn,
                "campaign",
                &id.to_string(),
                if closing { "closed" } else { "updated" },
                &actor,
                json!({"name": changes.name, "ends_on": changes.ends_on, "description": changes.description,
                       "closed": closing}),
                now,
            )?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(campaign_view(row, today)?))
}

// =============================================================================================
// Key tasks

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    pub id: TaskId,
    pub campaign_id: CampaignId,
    pub title: String,
    pub responsible_unit: String,
    pub deadline: NaiveDate,
    pub status: TaskStatus,
    pub progress_note: Option<String>,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<NaiveDateTime>,
    /// Not done and the deadline has passed.
    pub overdue: bool,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

fn task_view(r: TaskRow, today: NaiveDate) -> Result<TaskView, ApiError> {
    let status = stored(TaskStatus::parse(&r.status), "task status")?;
    Ok(TaskView {
        id: TaskId(r.id),
        campaign_id: CampaignId(r.campaign_id),
        overdue: domain::task_overdue(status, r.deadline, today),
        status,
        title: r.title,
        responsible_unit: r.responsible_unit,
        deadline: r.deadline,
        progress_note: r.progress_note,
        completed_at: r.completed_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTaskRequest {
    pub title: String,
    pub responsible_unit: String,
    pub deadline: NaiveDate,
}

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
    let campaign_id = id.into_inner();
    let body = body.parse::<CreateTaskRequest>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let input = body.value;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let today = today(&state);
    let result = state
        .db
        .write(move |conn| {
            let campaign = store::find_campaign(conn, campaign_id)?.ok_or(ApiError::NotFound)?;
            let mut v = Validator::new();
            let title = valid_text(&mut v, "title", &input.title, 300);
            let unit = valid_text(&mut v, "responsible_unit", &input.responsible_unit, 200);
            v.finish()?;
            if campaign.closed_at.is_some() {
                return Err(ApiError::Conflict("the campaign is closed".into()));
            }
            idem.run(conn, now, |conn| {
                let row = store::insert_task(
                    conn,
                    &NewTask {
                        campaign_id,
                        title: &title,
                        responsible_unit: &unit,
                        deadline: input.deadline,
                        status: TaskStatus::Pending.as_str(),
                        progress_note: None,
                        completed_at: None,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                audit::store::append_first(
                    conn,
                    "key_task",
                    &row.id.to_string(),
                    "created",
                    &actor,
                    json!({"campaign_id": campaign_id, "title": title, "responsible_unit": unit,
                           "deadline": input.deadline}),
                    now,
                )?;
                Ok((StatusCode::CREATED, to_json(&task_view(row, today)?)?))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    pub status: Option<TaskStatus>,
    /// `true`: not done and past the deadline.
    pub overdue: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskCounts {
    pub total: i64,
    pub pending: i64,
    pub in_progress: i64,
    pub done: i64,
    pub overdue: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskBoard {
    pub items: Vec<TaskView>,
    pub next_cursor: Option<String>,
    /// Of the whole board, whatever the filters.
    pub counts: TaskCounts,
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
    let campaign_id = id.into_inner();
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let today = today(&state);
    let (rows, (by_status, overdue)) = state
        .db
        .run(move |conn| {
            store::find_campaign(conn, campaign_id)?.ok_or(ApiError::NotFound)?;
            let rows = store::list_tasks(
                conn,
                campaign_id,
                q.status.map(TaskStatus::as_str),
                q.overdue,
                today,
                page.before_id,
                page.fetch(),
            )?;
            Ok((rows, store::task_counts(conn, campaign_id, today)?))
        })
        .await?;
    let count = |s: TaskStatus| {
        by_status
            .iter()
            .find(|(k, _)| k == s.as_str())
            .map_or(0, |(_, n)| *n)
    };
    let counts = TaskCounts {
        total: by_status.iter().map(|(_, n)| n).sum(),
        pending: count(TaskStatus::Pending),
        in_progress: count(TaskStatus::InProgress),
        done: count(TaskStatus::Done),
        overdue,
    };
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(|r| task_view(r, today))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(TaskBoard {
        items,
        next_cursor: page.next_cursor,
        counts,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTaskRequest {
    pub status: Option<TaskStatus>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::http::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub progress_note: Option<Option<String>>,
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
    let id = id.into_inner();
    let patch: UpdateTaskRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let today = today(&state);
    let row = state
        .db
        .write(move |conn| {
            let current = store::find_task(conn, id)?.ok_or(ApiError::NotFound)?;
            let mut v = Validator::new();
            let note = match &patch.progress_note {
                Some(Some(s)) => v.text("progress_note", s, 1, 2000).map(Some),
                Some(None) => Some(None),
                None => None,
            };
            v.finish()?;
            let from = stored(TaskStatus::parse(&current.status), "task status")?;
            if let Some(to) = patch.status {
                domain::task_transition(from, to).map_err(ApiError::InvalidTransition)?;
            }
            let completing = patch.status == Some(TaskStatus::Done) && from != TaskStatus::Done;
            let changes = TaskChanges {
                status: patch.status.map(|s| s.as_str().to_owned()),
                progress_note: note,
                completed_at: completing.then_some(Some(now)),
                updated_at: Some(now),
            };
            let row = store::update_task_if_unchanged(conn, id, current.updated_at, &changes)?;
            audit::store::append(
                conn,
                "key_task",
                &id.to_string(),
                if patch.status.is_some_and(|s| s != from) {
                    "status_changed"
                } else {
                    "progress_noted"
                },
                &actor,
                json!({"status": changes.status, "progress_note": changes.progress_note}),
                now,
            )?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(task_view(row, today)?))
}

// =============================================================================================
// Inspection groups and stationings

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: GroupId,
    pub campaign_id: CampaignId,
    pub name: String,
    pub mode: GroupMode,
    pub home_district: String,
    pub target_district: Option<String>,
    pub leader_id: UserId,
    pub member_ids: Vec<UserId>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

fn group_view(r: GroupRow, members: Vec<i64>) -> Result<GroupView, ApiError> {
    Ok(GroupView {
        id: GroupId(r.id),
        campaign_id: CampaignId(r.campaign_id),
        mode: stored(GroupMode::parse(&r.mode), "group mode")?,
        name: r.name,
        home_district: r.home_district,
        target_district: r.target_district,
        leader_id: UserId(r.leader_id),
        member_ids: members.into_iter().map(UserId).collect(),
        created_at: r.created_at,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    pub campaign_id: i64,
    pub name: String,
    pub mode: GroupMode,
    pub home_district: String,
    /// Required for `cross_district`, and then different from `home_district`.
    pub target_district: Option<String>,
    pub leader_id: i64,
    /// At least two inspectors, the leader among them.
    pub member_ids: Vec<i64>,
}

/// Checks that every id names an enabled inspector; errors name `field[i]`.
fn check_inspectors(
    conn: &mut DbConn,
    v: &mut Validator,
    field: &str,
    ids: &[i64],
) -> Result<(), ApiError> {
    let found: BTreeMap<i64, (String, bool)> = store::user_roles(conn, ids)?
        .into_iter()
        .map(|(id, role, disabled)| (id, (role, disabled)))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        match found.get(id) {
            Some((role, false)) if role == Role::Inspector.as_str() => {}
            Some(_) => v.add(
                format!("{field}[{i}]"),
                "invalid",
                "is not an active inspector",
            ),
            None => v.add(format!("{field}[{i}]"), "not_found", "no such user"),
        }
    }
    Ok(())
}

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
    let body = body.parse::<CreateGroupRequest>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let input = body.value;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let result = state
        .db
        .write(move |conn| {
            let codes = enterprise_store::reference_codes(conn)?;
            let campaign = store::find_campaign(conn, input.campaign_id)?;
            let mut v = Validator::new();
            if campaign.is_none() {
                v.add("campaign_id", "not_found", "no such campaign");
            }
            let name = valid_text(&mut v, "name", &input.name, 200);
            if !codes.has_district(&input.home_district) {
                v.add("home_district", "unknown_code", "is not a district code");
            }
            if let Some(t) = input.target_district.as_deref().filter(|t| !codes.has_district(t)) {
                v.add("target_district", "unknown_code", format!("{t} is not a district code"));
            }
            domain::validate_group_shape(
                input.mode,
                &input.home_district,
                input.target_district.as_deref(),
                input.leader_id,
                &input.member_ids,
                &mut v,
            );
            check_inspectors(conn, &mut v, "member_ids", &input.member_ids)?;
            v.finish()?;
            if campaign.is_some_and(|c| c.closed_at.is_some()) {
                return Err(ApiError::Conflict("the campaign is closed".into()));
            }
            idem.run(conn, now, |conn| {
                let row = store::insert_group(
                    conn,
                    &NewGroup {
                        campaign_id: input.campaign_id,
                        name: &name,
                        mode: input.mode.as_str(),
                        home_district: &input.home_district,
                        target_district: input.target_district.as_deref(),
                        leader_id: input.leader_id,
                        created_at: now,
                    },
                )?;
                let members: Vec<NewMember> = input
                    .member_ids
                    .iter()
                    .map(|&inspector_id| NewMember { group_id: row.id, inspector_id })
                    .collect();
                store::insert_members(conn, &members)?;
                audit::store::append_first(
                    conn,
                    "inspection_group",
                    &row.id.to_string(),
                    "created",
                    &actor,
                    json!({"campaign_id": input.campaign_id, "name": name, "mode": input.mode.as_str(),
                           "home_district": input.home_district, "target_district": input.target_district,
                           "leader_id": input.leader_id, "member_ids": input.member_ids}),
                    now,
                )?;
                let mut ids = input.member_ids.clone();
                ids.sort_unstable();
                Ok((StatusCode::CREATED, to_json(&group_view(row, ids)?)?))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, IntoParams)]
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
    let (rows, members) = state
        .db
        .run(move |conn| {
            let rows = store::list_groups(conn, q.campaign_id, page.before_id, page.fetch())?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            Ok((rows, store::members_of(conn, &ids)?))
        })
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(|r| {
            let m = members
                .iter()
                .filter(|(g, _)| *g == r.id)
                .map(|(_, i)| *i)
                .collect();
            group_view(r, m)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// One inspection group with its members. Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = GroupView), (status = 404, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/inspection-groups/{id}")]
pub async fn get_group(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let row = store::find_group(conn, id)?.ok_or(ApiError::NotFound)?;
            let members = store::group_member_ids(conn, id)?;
            group_view(row, members)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StationingView {
    pub id: StationingId,
    pub group_id: GroupId,
    pub enterprise_id: EnterpriseId,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub inspector_ids: Vec<UserId>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

fn stationing_view(r: StationingRow, inspectors: Vec<i64>) -> StationingView {
    StationingView {
        id: StationingId(r.id),
        group_id: GroupId(r.group_id),
        enterprise_id: EnterpriseId(r.enterprise_id),
        starts_on: r.starts_on,
        ends_on: r.ends_on,
        inspector_ids: inspectors.into_iter().map(UserId).collect(),
        created_at: r.created_at,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStationingRequest {
    pub enterprise_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Members of the group (at least one).
    pub inspector_ids: Vec<i64>,
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
    let group_id = id.into_inner();
    let body = body.parse::<CreateStationingRequest>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let input = body.value;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let result = state
        .db
        .write(move |conn| {
            store::find_group(conn, group_id)?.ok_or(ApiError::NotFound)?;
            let members: BTreeSet<i64> = store::group_member_ids(conn, group_id)?
                .into_iter()
                .collect();
            let mut v = Validator::new();
            if !store::enterprise_exists(conn, input.enterprise_id)? {
                v.add("enterprise_id", "not_found", "no such enterprise");
            }
            if input.ends_on < input.starts_on {
                v.add("ends_on", "out_of_range", "must not be before starts_on");
            }
            if input.inspector_ids.is_empty() {
                v.add(
                    "inspector_ids",
                    "invalid_length",
                    "name at least one member of the group",
                );
            }
            let mut seen = BTreeSet::new();
            for (i, id) in input.inspector_ids.iter().enumerate() {
                if !members.contains(id) {
                    v.add(
                        format!("inspector_ids[{i}]"),
                        "invalid",
                        "is not a member of the group",
                    );
                } else if !seen.insert(*id) {
                    v.add(format!("inspector_ids[{i}]"), "duplicate", "is named twice");
                }
            }
            v.finish()?;
            idem.run(conn, now, |conn| {
                let row = store::insert_stationing(
                    conn,
                    &NewStationing {
                        group_id,
                        enterprise_id: input.enterprise_id,
                        starts_on: input.starts_on,
                        ends_on: input.ends_on,
                        created_at: now,
                    },
                    &input.inspector_ids,
                )?;
                audit::store::append(
                    conn,
                    "inspection_group",
                    &group_id.to_string(),
                    "stationed",
                    &actor,
                    json!({"stationing_id": row.id, "enterprise_id": input.enterprise_id,
                           "starts_on": input.starts_on, "ends_on": input.ends_on,
                           "inspector_ids": input.inspector_ids}),
                    now,
                )?;
                let mut ids = input.inspector_ids.clone();
                ids.sort_unstable();
                Ok((StatusCode::CREATED, to_json(&stationing_view(row, ids))?))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, IntoParams)]
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
    let group_id = id.into_inner();
    let page = PageRequest::parse(query.0.limit, query.0.cursor.as_deref())?;
    let (rows, inspectors) = state
        .db
        .run(move |conn| {
            store::find_group(conn, group_id)?.ok_or(ApiError::NotFound)?;
            let rows = store::list_stationings(conn, group_id, page.before_id, page.fetch())?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            Ok((rows, store::stationing_inspector_ids(conn, &ids)?))
        })
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id).map(|r| {
        let ids = inspectors
            .iter()
            .filter(|(s, _)| *s == r.id)
            .map(|(_, i)| *i)
            .collect();
        stationing_view(r, ids)
    });
    Ok(HttpResponse::Ok().json(page))
}

// =============================================================================================
// Hazards

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Rectification {
    pub measures: String,
    pub completed_on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardView {
    pub id: HazardId,
    pub enterprise_id: EnterpriseId,
    /// Null when the enterprise reported it itself (自查自报).
    pub inspection_id: Option<InspectionId>,
    pub campaign_id: Option<CampaignId>,
    pub description: String,
    pub level: HazardLevel,
    pub category: HazardCategory,
    pub found_on: NaiveDate,
    pub deadline: NaiveDate,
    pub status: HazardStatus,
    /// 挂牌督办: every major hazard.
    pub supervised: bool,
    /// Open and past its deadline.
    pub overdue: bool,
    pub plan: Option<Plan>,
    pub rectification: Option<Rectification>,
    pub verified_by: Option<UserId>,
    pub verified_on: Option<NaiveDate>,
    pub reject_reason: Option<String>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

fn hazard_view(r: HazardRow, today: NaiveDate) -> Result<HazardView, ApiError> {
    let status = stored(HazardStatus::parse(&r.status), "hazard status")?;
    let plan = match r.plan {
        Some(p) => Some(serde_json::from_str(&p).map_err(ApiError::internal)?),
        None => None,
    };
    Ok(HazardView {
        id: HazardId(r.id),
        enterprise_id: EnterpriseId(r.enterprise_id),
        inspection_id: r.inspection_id.map(InspectionId),
        campaign_id: r.campaign_id.map(CampaignId),
        level: stored(HazardLevel::parse(&r.level), "hazard level")?,
        category: stored(HazardCategory::parse(&r.category), "hazard category")?,
        overdue: domain::hazard_overdue(status, r.deadline, today),
        status,
        description: r.description,
        found_on: r.found_on,
        deadline: r.deadline,
        supervised: r.supervised,
        plan,
        rectification: match (r.rectification_measures, r.rectification_completed_on) {
            (Some(measures), Some(completed_on)) => Some(Rectification {
                measures,
                completed_on,
            }),
            _ => None,
        },
        verified_by: r.verified_by.map(UserId),
        verified_on: r.verified_on,
        reject_reason: r.reject_reason,
        created_at: r.created_at,
        updated_at: r.updated_at,
        timeline: None,
    })
}

/// Inserts checked hazards with their `created` events.
#[expect(
    clippy::too_many_arguments,
    reason = "the hazard's context, spelled out"
)]
fn insert_hazards(
    conn: &mut DbConn,
    hazards: &[ValidHazard],
    enterprise_id: i64,
    inspection_id: Option<i64>,
    campaign_id: Option<i64>,
    found_on: NaiveDate,
    reporter: &CurrentUser,
    now: NaiveDateTime,
) -> Result<Vec<HazardRow>, ApiError> {
    let actor = reporter.actor();
    let mut rows = Vec::with_capacity(hazards.len());
    for h in hazards {
        let plan = h
            .plan
            .as_ref()
            .map(to_json)
            .transpose()?
            .map(|p| p.to_string());
        let row = store::insert_hazard(
            conn,
            NewHazard {
                enterprise_id,
                inspection_id,
                campaign_id,
                description: &h.description,
                level: h.level.as_str(),
                category: h.category.as_str(),
                found_on,
                deadline: h.deadline,
                status: HazardStatus::Open.as_str(),
                supervised: h.supervised,
                plan,
                rectification_measures: None,
                rectification_completed_on: None,
                verified_by: None,
                verified_on: None,
                reject_reason: None,
                reported_by: reporter.id.0,
                created_at: now,
                updated_at: now,
            },
        )?;
        audit::store::append_first(
            conn,
            "hazard",
            &row.id.to_string(),
            if inspection_id.is_none() && reporter.role == Role::Enterprise {
                "self_reported"
            } else {
                "found"
            },
            &actor,
            json!({"enterprise_id": enterprise_id, "inspection_id": inspection_id,
                   "campaign_id": campaign_id, "level": h.level.as_str(), "category": h.category.as_str(),
                   "description": h.description, "found_on": found_on, "deadline": h.deadline,
                   "supervised": h.supervised, "plan": h.plan}),
            now,
        )?;
        rows.push(row);
    }
    Ok(rows)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHazardRequest {
    /// Required for inspectors; an enterprise user reports for its own enterprise.
    pub enterprise_id: Option<i64>,
    /// Inspectors only: the inspection that found it.
    pub inspection_id: Option<i64>,
    /// Defaults to the inspection's date, or today.
    pub found_on: Option<NaiveDate>,
    pub description: String,
    pub level: HazardLevel,
    pub category: HazardCategory,
    pub deadline: Option<NaiveDate>,
    /// The five essentials; required for a major hazard.
    pub plan: Option<Plan>,
}

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
    let body = body.parse::<CreateHazardRequest>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let input = body.value;
    let user = auth.user.clone();
    let now = state.clock.now_naive();
    let today = today(&state);
    let result = state
        .db
        .write(move |conn| {
            let mut v = Validator::new();
            let own = user.enterprise_scope();
            let inspection = match input.inspection_id {
                Some(_) if own.is_some() => {
                    v.add(
                        "inspection_id",
                        "invalid",
                        "an enterprise reports its own hazards without an inspection",
                    );
                    None
                }
                Some(id) => {
                    let found = store::find_inspection(conn, id)?;
                    if found.is_none() {
                        v.add("inspection_id", "not_found", "no such inspection");
                    }
                    found
                }
                None => None,
            };
            let enterprise_id = match (own, input.enterprise_id, &inspection) {
                (Some(own), Some(given), _) if given != own.0 => {
                    v.add(
                        "enterprise_id",
                        "invalid",
                        "an enterprise reports only its own hazards",
                    );
                    None
                }
                (Some(own), _, _) => Some(own.0),
                (None, Some(given), Some(i)) if given != i.enterprise_id => {
                    v.add(
                        "enterprise_id",
                        "invalid",
                        "is not the inspected enterprise",
                    );
                    None
                }
                (None, Some(given), _) => {
                    if store::enterprise_exists(conn, given)? {
                        Some(given)
                    } else {
                        v.add("enterprise_id", "not_found", "no such enterprise");
                        None
                    }
                }
                (None, None, Some(i)) => Some(i.enterprise_id),
                (None, None, None) => {
                    v.add("enterprise_id", "required", "name the enterprise");
                    None
                }
            };
            let found_on = input
                .found_on
                .or(inspection.as_ref().map(|i| i.inspected_on))
                .unwrap_or(today);
            not_future(&mut v, "found_on", found_on, today);
            let hazard = domain::validate_hazard(
                &HazardInput {
                    description: input.description.clone(),
                    level: input.level,
                    category: input.category,
                    deadline: input.deadline,
                    plan: input.plan.clone(),
                },
                found_on,
                "",
                &mut v,
            );
            v.finish()?;
            let (Some(enterprise_id), Some(hazard)) = (enterprise_id, hazard) else {
                return Err(ApiError::internal("validator passed without a value"));
            };
            idem.run(conn, now, |conn| {
                let rows = insert_hazards(
                    conn,
                    &[hazard],
                    enterprise_id,
                    inspection.as_ref().map(|i| i.id),
                    inspection.as_ref().and_then(|i| i.campaign_id),
                    found_on,
                    &user,
                    now,
                )?;
                let row = rows
                    .into_iter()
                    .next()
                    .ok_or_else(|| ApiError::internal("no hazard inserted"))?;
                Ok((StatusCode::CREATED, to_json(&hazard_view(row, today)?)?))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, IntoParams)]
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
    let today = today(&state);
    let (rows, page) = state
        .db
        .run(move |conn| {
            // The busiest list: the account is confirmed in this read, not in a trip of its own.
            let auth = caller.confirm(conn)?;
            let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
            let filter = HazardFilter {
                enterprise_id: q.enterprise_id,
                scope: auth.enterprise_scope().map(|e| e.0),
                campaign_id: q.campaign_id,
                level: q.level.map(|l| l.as_str().to_owned()),
                status: q.status.map(|s| s.as_str().to_owned()),
                overdue: q.overdue,
                district: q.district,
                industry: q.industry,
            };
            let rows = store::list_hazards(conn, &filter, today, page.before_id, page.fetch())?;
            // An unknown code finds nothing; only then is it worth a lookup (and a 422).
            if rows.is_empty() {
                enterprise_store::check_filter_codes(
                    conn,
                    filter.industry.as_deref(),
                    filter.district.as_deref(),
                )?;
            }
            Ok((rows, page))
        })
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(|r| hazard_view(r, today))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

fn hazard_with_timeline(
    conn: &mut DbConn,
    row: HazardRow,
    today: NaiveDate,
) -> Result<HazardView, ApiError> {
    let id = row.id;
    let mut view = hazard_view(row, today)?;
    view.timeline = Some(audit::store::timeline(conn, "hazard", &id.to_string())?);
    Ok(view)
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
    let id = id.into_inner();
    let today = today(&state);
    let user = auth.user.clone();
    let view = state
        .db
        .run(move |conn| {
            let row = store::find_hazard(conn, id)?
                .filter(|h| user.can_see(EnterpriseId(h.enterprise_id)))
                .ok_or(ApiError::NotFound)?;
            hazard_with_timeline(conn, row, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Runs one hazard transition as a compare-and-set on its status, with its audit event.
async fn transition(
    state: &AppState,
    user: CurrentUser,
    id: i64,
    action: HazardAction,
    build: impl FnOnce(&HazardRow, &mut Validator) -> HazardChanges + Send + 'static,
    payload: serde_json::Value,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now_naive();
    let today = today(state);
    let view = state
        .db
        .write(move |conn| {
            let current = store::find_hazard(conn, id)?
                .filter(|h| user.can_see(EnterpriseId(h.enterprise_id)))
                .ok_or(ApiError::NotFound)?;
            let mut v = Validator::new();
            let mut changes = build(&current, &mut v);
            v.finish()?;
            let from = stored(HazardStatus::parse(&current.status), "hazard status")?;
            let to = action.apply(from).map_err(ApiError::InvalidTransition)?;
            changes.status = Some(to.as_str().to_owned());
            changes.updated_at = Some(now);
            let row = store::transition_hazard(conn, id, from, &changes)?;
            audit::store::append(
                conn,
                "hazard",
                &id.to_string(),
                action.audit_action(),
                &user.actor(),
                payload,
                now,
            )?;
            hazard_with_timeline(conn, row, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationRequest {
    pub measures: String,
    pub completed_on: NaiveDate,
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
    let today = today(&state);
    let payload = json!({"measures": input.measures.trim(), "completed_on": input.completed_on});
    transition(
        &state,
        auth.user.clone(),
        id.into_inner(),
        HazardAction::Rectify,
        move |h, v| {
            let measures = v.text("measures", &input.measures, 1, 2000);
            not_future(v, "completed_on", input.completed_on, today);
            if input.completed_on < h.found_on {
                v.add(
                    "completed_on",
                    "out_of_range",
                    "must not be before the hazard was found",
                );
            }
            HazardChanges {
                rectification_measures: Some(measures),
                rectification_completed_on: Some(Some(input.completed_on)),
                ..HazardChanges::default()
            }
        },
        payload,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub note: Option<String>,
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
    let today = today(&state);
    let verifier = auth.id.0;
    let payload = json!({"note": input.note.as_deref().map(str::trim), "verified_on": today});
    transition(
        &state,
        auth.user.clone(),
        id.into_inner(),
        HazardAction::Verify,
        move |_, v| {
            if input
                .note
                .as_deref()
                .is_some_and(|n| n.chars().count() > 2000)
            {
                v.add("note", "invalid_length", "must be at most 2000 characters");
            }
            HazardChanges {
                verified_by: Some(Some(verifier)),
                verified_on: Some(Some(today)),
                ..HazardChanges::default()
            }
        },
        payload,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    pub reason: String,
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
    let payload = json!({"reason": input.reason.trim()});
    transition(
        &state,
        auth.user.clone(),
        id.into_inner(),
        HazardAction::Reject,
        move |_, v| HazardChanges {
            reject_reason: Some(v.text("reason", &input.reason, 1, 2000)),
            ..HazardChanges::default()
        },
        payload,
    )
    .await
}

// =============================================================================================
// Inspections

#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionView {
    pub id: InspectionId,
    pub campaign_id: Option<CampaignId>,
    pub group_id: Option<GroupId>,
    pub enterprise_id: EnterpriseId,
    pub inspected_on: NaiveDate,
    pub inspector_ids: Vec<UserId>,
    pub notes: String,
    pub hazards: Vec<HazardView>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

fn inspection_view(
    r: InspectionRow,
    inspectors: Vec<i64>,
    hazards: Vec<HazardRow>,
    today: NaiveDate,
) -> Result<InspectionView, ApiError> {
    Ok(InspectionView {
        id: InspectionId(r.id),
        campaign_id: r.campaign_id.map(CampaignId),
        group_id: r.group_id.map(GroupId),
        enterprise_id: EnterpriseId(r.enterprise_id),
        inspected_on: r.inspected_on,
        inspector_ids: inspectors.into_iter().map(UserId).collect(),
        notes: r.notes,
        hazards: hazards
            .into_iter()
            .map(|h| hazard_view(h, today))
            .collect::<Result<_, _>>()?,
        created_at: r.created_at,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInspectionRequest {
    /// Null for a routine inspection; taken from the group when a group is named.
    pub campaign_id: Option<i64>,
    pub group_id: Option<i64>,
    pub enterprise_id: i64,
    pub inspected_on: NaiveDate,
    /// At least two inspectors; members of the group when a group is named.
    pub inspector_ids: Vec<i64>,
    #[serde(default)]
    pub notes: String,
    /// Hazards found, created with the inspection.
    #[serde(default)]
    pub hazards: Vec<HazardInput>,
}

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
    let body = body.parse::<CreateInspectionRequest>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let input = body.value;
    let user = auth.user.clone();
    let now = state.clock.now_naive();
    let today = today(&state);
    let result = state
        .db
        .write(move |conn| {
            let mut v = Validator::new();
            let mut campaign_id = input.campaign_id;
            if let Some(c) = input.campaign_id
                && store::find_campaign(conn, c)?.is_none()
            {
                v.add("campaign_id", "not_found", "no such campaign");
            }
            if let Some(g) = input.group_id {
                match store::find_group(conn, g)? {
                    None => v.add("group_id", "not_found", "no such group"),
                    Some(group) => {
                        if input.campaign_id.is_some_and(|c| c != group.campaign_id) {
                            v.add("campaign_id", "invalid", "is not the group's campaign");
                        }
                        campaign_id = Some(group.campaign_id);
                        let members: BTreeSet<i64> =
                            store::group_member_ids(conn, g)?.into_iter().collect();
                        for (i, id) in input.inspector_ids.iter().enumerate() {
                            if !members.contains(id) {
                                v.add(
                                    format!("inspector_ids[{i}]"),
                                    "invalid",
                                    "is not a member of the group",
                                );
                            }
                        }
                    }
                }
            }
            let distinct: BTreeSet<i64> = input.inspector_ids.iter().copied().collect();
            if distinct.len() != input.inspector_ids.len() {
                v.add("inspector_ids", "duplicate", "an inspector is named twice");
            }
            if distinct.len() < 2 {
                v.add(
                    "inspector_ids",
                    "invalid_length",
                    "an inspection is done by at least two inspectors",
                );
            }
            check_inspectors(conn, &mut v, "inspector_ids", &input.inspector_ids)?;
            if !store::enterprise_exists(conn, input.enterprise_id)? {
                v.add("enterprise_id", "not_found", "no such enterprise");
            }
            not_future(&mut v, "inspected_on", input.inspected_on, today);
            if input.notes.chars().count() > 5000 {
                v.add("notes", "invalid_length", "must be at most 5000 characters");
            }
            let hazards: Vec<Option<ValidHazard>> = input
                .hazards
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    domain::validate_hazard(
                        h,
                        input.inspected_on,
                        &format!("hazards[{i}]."),
                        &mut v,
                    )
                })
                .collect();
            v.finish()?;
            let hazards: Vec<ValidHazard> = hazards.into_iter().flatten().collect();
            idem.run(conn, now, |conn| {
                let mut inspectors = input.inspector_ids.clone();
                inspectors.sort_unstable();
                let row = store::insert_inspection(
                    conn,
                    &NewInspection {
                        campaign_id,
                        group_id: input.group_id,
                        enterprise_id: input.enterprise_id,
                        inspected_on: input.inspected_on,
                        notes: input.notes.trim(),
                        created_by: user.id.0,
                        created_at: now,
                    },
                    &inspectors,
                )?;
                audit::store::append_first(
                    conn,
                    "inspection",
                    &row.id.to_string(),
                    "recorded",
                    &user.actor(),
                    json!({"campaign_id": campaign_id, "group_id": input.group_id,
                           "enterprise_id": input.enterprise_id, "inspected_on": input.inspected_on,
                           "inspector_ids": inspectors, "hazards": hazards.len()}),
                    now,
                )?;
                let found = insert_hazards(
                    conn,
                    &hazards,
                    input.enterprise_id,
                    Some(row.id),
                    campaign_id,
                    input.inspected_on,
                    &user,
                    now,
                )?;
                Ok((
                    StatusCode::CREATED,
                    to_json(&inspection_view(row, inspectors, found, today)?)?,
                ))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, IntoParams)]
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
    let today = today(&state);
    let filter = InspectionFilter {
        campaign_id: q.campaign_id,
        group_id: q.group_id,
        enterprise_id: q.enterprise_id,
        scope: auth.enterprise_scope().map(|e| e.0),
        from: q.from,
        to: q.to,
    };
    let (rows, inspectors, hazards) = state
        .db
        .run(move |conn| {
            let rows = store::list_inspections(conn, &filter, page.before_id, page.fetch())?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let inspectors = store::inspectors_of(conn, &ids)?;
            let mut hazards = Vec::new();
            for id in ids.iter().take(page.limit as usize) {
                hazards.extend(store::hazards_of_inspection(conn, *id)?);
            }
            Ok((rows, inspectors, hazards))
        })
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(|r| {
            let ins = inspectors
                .iter()
                .filter(|(i, _)| *i == r.id)
                .map(|(_, u)| *u)
                .collect();
            let hz = hazards
                .iter()
                .filter(|h| h.inspection_id == Some(r.id))
                .cloned()
                .collect();
            inspection_view(r, ins, hz, today)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
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
    let id = id.into_inner();
    let today = today(&state);
    let user = auth.user.clone();
    let view = state
        .db
        .run(move |conn| {
            let row = store::find_inspection(conn, id)?
                .filter(|i| user.can_see(EnterpriseId(i.enterprise_id)))
                .ok_or(ApiError::NotFound)?;
            let inspectors = store::inspectors_of(conn, &[id])?
                .into_iter()
                .map(|(_, u)| u)
                .collect();
            let hazards = store::hazards_of_inspection(conn, id)?;
            inspection_view(row, inspectors, hazards, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

// =============================================================================================
// Penalties

#[derive(Debug, Serialize, ToSchema)]
pub struct PenaltyView {
    pub id: PenaltyId,
    pub enterprise_id: EnterpriseId,
    pub inspection_id: Option<InspectionId>,
    pub hazard_id: Option<HazardId>,
    pub campaign_id: Option<CampaignId>,
    pub decision_no: String,
    pub violation: String,
    pub legal_basis: String,
    pub fine_fen: i64,
    pub decided_on: NaiveDate,
    pub paid_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

fn penalty_view(r: PenaltyRow) -> PenaltyView {
    PenaltyView {
        id: PenaltyId(r.id),
        enterprise_id: EnterpriseId(r.enterprise_id),
        inspection_id: r.inspection_id.map(InspectionId),
        hazard_id: r.hazard_id.map(HazardId),
        campaign_id: r.campaign_id.map(CampaignId),
        decision_no: r.decision_no,
        violation: r.violation,
        legal_basis: r.legal_basis,
        fine_fen: r.fine_fen,
        decided_on: r.decided_on,
        paid_on: r.paid_on,
        created_at: r.created_at,
        updated_at: r.updated_at,
        timeline: None,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePenaltyRequest {
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    pub hazard_id: Option<i64>,
    /// Taken from the inspection when one is named.
    pub campaign_id: Option<i64>,
    /// The decision's number (行政处罚决定书文号), unique.
    pub decision_no: String,
    pub violation: String,
    pub legal_basis: String,
    pub fine_fen: i64,
    pub decided_on: NaiveDate,
}

/// Checks that the linked inspection and hazard exist and concern the enterprise; returns the
/// campaign the record belongs to.
fn check_links(
    conn: &mut DbConn,
    v: &mut Validator,
    enterprise_id: i64,
    inspection_id: Option<i64>,
    campaign_id: Option<i64>,
) -> Result<Option<i64>, ApiError> {
    if !store::enterprise_exists(conn, enterprise_id)? {
        v.add("enterprise_id", "not_found", "no such enterprise");
    }
    let mut campaign = campaign_id;
    if let Some(c) = campaign_id
        && store::find_campaign(conn, c)?.is_none()
    {
        v.add("campaign_id", "not_found", "no such campaign");
    }
    if let Some(i) = inspection_id {
        match store::find_inspection(conn, i)? {
            None => v.add("inspection_id", "not_found", "no such inspection"),
            Some(ins) => {
                if ins.enterprise_id != enterprise_id {
                    v.add("inspection_id", "invalid", "concerns another enterprise");
                }
                if campaign_id.is_some() && ins.campaign_id != campaign_id {
                    v.add("campaign_id", "invalid", "is not the inspection's campaign");
                }
                campaign = ins.campaign_id;
            }
        }
    }
    Ok(campaign)
}

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
    let body = body.parse::<CreatePenaltyRequest>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let input = body.value;
    let actor = auth.actor();
    let user_id = auth.id.0;
    let now = state.clock.now_naive();
    let today = today(&state);
    let result = state
        .db
        .write(move |conn| {
            let mut v = Validator::new();
            let campaign_id =
                check_links(conn, &mut v, input.enterprise_id, input.inspection_id, input.campaign_id)?;
            if let Some(h) = input.hazard_id {
                match store::find_hazard(conn, h)? {
                    None => v.add("hazard_id", "not_found", "no such hazard"),
                    Some(hz) if hz.enterprise_id != input.enterprise_id => {
                        v.add("hazard_id", "invalid", "concerns another enterprise")
                    }
                    Some(_) => {}
                }
            }
            let decision_no = valid_text(&mut v, "decision_no", &input.decision_no, 100);
            let violation = valid_text(&mut v, "violation", &input.violation, 2000);
            let legal_basis = valid_text(&mut v, "legal_basis", &input.legal_basis, 2000);
            if input.fine_fen < 0 {
                v.add("fine_fen", "out_of_range", "must not be negative");
            }
            not_future(&mut v, "decided_on", input.decided_on, today);
            v.finish()?;
            idem.run(conn, now, |conn| {
                let row = store::insert_penalty(
                    conn,
                    &NewPenalty {
                        enterprise_id: input.enterprise_id,
                        inspection_id: input.inspection_id,
                        hazard_id: input.hazard_id,
                        campaign_id,
                        decision_no: &decision_no,
                        violation: &violation,
                        legal_basis: &legal_basis,
                        fine_fen: input.fine_fen,
                        decided_on: input.decided_on,
                        paid_on: None,
                        created_by: user_id,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                audit::store::append_first(
                    conn,
                    "penalty",
                    &row.id.to_string(),
                    "decided",
                    &actor,
                    json!({"enterprise_id": input.enterprise_id, "inspection_id": input.inspection_id,
                           "hazard_id": input.hazard_id, "campaign_id": campaign_id,
                           "decision_no": decision_no, "violation": violation, "legal_basis": legal_basis,
                           "fine_fen": input.fine_fen, "decided_on": input.decided_on}),
                    now,
                )?;
                Ok((StatusCode::CREATED, to_json(&penalty_view(row))?))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    pub paid_on: NaiveDate,
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
    let id = id.into_inner();
    let input: PayRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let today = today(&state);
    let view = state
        .db
        .write(move |conn| {
            let current = store::find_penalty(conn, id)?.ok_or(ApiError::NotFound)?;
            let mut v = Validator::new();
            not_future(&mut v, "paid_on", input.paid_on, today);
            if input.paid_on < current.decided_on {
                v.add("paid_on", "out_of_range", "must not be before the decision");
            }
            v.finish()?;
            let row = store::pay_penalty(conn, id, input.paid_on, now)?;
            audit::store::append(
                conn,
                "penalty",
                &id.to_string(),
                "paid",
                &actor,
                json!({"paid_on": input.paid_on}),
                now,
            )?;
            let mut view = penalty_view(row);
            view.timeline = Some(audit::store::timeline(conn, "penalty", &id.to_string())?);
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
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
    let filter = PenaltyFilter {
        enterprise_id: q.enterprise_id,
        scope: auth.enterprise_scope().map(|e| e.0),
        campaign_id: q.campaign_id,
        paid: q.paid,
        from: q.from,
        to: q.to,
    };
    let rows = state
        .db
        .run(move |conn| store::list_penalties(conn, &filter, page.before_id, page.fetch()))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, page, |r| r.id).map(penalty_view)))
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
    let id = id.into_inner();
    let user = auth.user.clone();
    let view = state
        .db
        .run(move |conn| {
            let row = store::find_penalty(conn, id)?
                .filter(|p| user.can_see(EnterpriseId(p.enterprise_id)))
                .ok_or(ApiError::NotFound)?;
            let mut view = penalty_view(row);
            view.timeline = Some(audit::store::timeline(conn, "penalty", &id.to_string())?);
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

// =============================================================================================
// Orders

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: OrderId,
    pub enterprise_id: EnterpriseId,
    pub inspection_id: Option<InspectionId>,
    pub campaign_id: Option<CampaignId>,
    pub kind: OrderKind,
    pub reason: String,
    pub issued_on: NaiveDate,
    pub lifted_on: Option<NaiveDate>,
    pub lift_note: Option<String>,
    /// Issued and not lifted.
    pub in_force: bool,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

fn order_view(r: OrderRow) -> Result<OrderView, ApiError> {
    Ok(OrderView {
        id: OrderId(r.id),
        enterprise_id: EnterpriseId(r.enterprise_id),
        inspection_id: r.inspection_id.map(InspectionId),
        campaign_id: r.campaign_id.map(CampaignId),
        kind: stored(OrderKind::parse(&r.kind), "order kind")?,
        reason: r.reason,
        issued_on: r.issued_on,
        in_force: r.lifted_on.is_none(),
        lifted_on: r.lifted_on,
        lift_note: r.lift_note,
        created_at: r.created_at,
        updated_at: r.updated_at,
        timeline: None,
    })
}

fn order_with_timeline(conn: &mut DbConn, row: OrderRow) -> Result<OrderView, ApiError> {
    let id = row.id;
    let mut view = order_view(row)?;
    view.timeline = Some(audit::store::timeline(conn, "order", &id.to_string())?);
    Ok(view)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderRequest {
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    /// Taken from the inspection when one is named.
    pub campaign_id: Option<i64>,
    pub kind: OrderKind,
    pub reason: String,
    pub issued_on: NaiveDate,
}

/// Orders an enterprise to suspend production or stop construction (责令停产整顿/停止施工): the
/// enterprise becomes `suspended` in the same transaction (a closed enterprise is 409).
/// Roles: admin, inspector.
#[utoipa::path(
    tag = "orders",
    request_body = CreateOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY)),
    responses((status = 201, body = OrderView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector"]))
)]
#[post("/orders")]
pub async fn create_order(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse::<CreateOrderRequest>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let input = body.value;
    let actor = auth.actor();
    let user_id = auth.id.0;
    let now = state.clock.now_naive();
    let today = today(&state);
    let result = state
        .db
        .write(move |conn| {
            let mut v = Validator::new();
            let campaign_id =
                check_links(conn, &mut v, input.enterprise_id, input.inspection_id, input.campaign_id)?;
            let reason = valid_text(&mut v, "reason", &input.reason, 2000);
            not_future(&mut v, "issued_on", input.issued_on, today);
            v.finish()?;
            idem.run(conn, now, |conn| {
                let status = store::lock_enterprise(conn, input.enterprise_id)?.ok_or(ApiError::NotFound)?;
                if status == "closed" {
                    return Err(ApiError::Conflict("the enterprise is closed (deregistered)".into()));
                }
                let row = store::insert_order(
                    conn,
                    &NewOrder {
                        enterprise_id: input.enterprise_id,
                        inspection_id: input.inspection_id,
                        campaign_id,
                        kind: input.kind.as_str(),
                        reason: &reason,
                        issued_on: input.issued_on,
                        lifted_on: None,
                        lift_note: None,
                        created_by: user_id,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                audit::store::append_first(
                    conn,
                    "order",
                    &row.id.to_string(),
                    "issued",
                    &actor,
                    json!({"enterprise_id": input.enterprise_id, "inspection_id": input.inspection_id,
                           "campaign_id": campaign_id, "kind": input.kind.as_str(), "reason": reason,
                           "issued_on": input.issued_on}),
                    now,
                )?;
                if store::set_enterprise_status(conn, input.enterprise_id, "operating", "suspended", now)? {
                    audit::store::append(
                        conn,
                        "enterprise",
                        &input.enterprise_id.to_string(),
                        "status_changed",
                        &actor,
                        json!({"status": "suspended", "order_id": row.id}),
                        now,
                    )?;
                }
                Ok((StatusCode::CREATED, to_json(&order_with_timeline(conn, row)?)?))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiftRequest {
    pub lifted_on: NaiveDate,
    pub note: String,
}

/// Lifts an order (复工). Refused with 409 while any major hazard of the enterprise is not yet
/// verified; the problem lists them in `open_major_hazards`. The enterprise returns to
/// `operating` when no other order is in force (a closed enterprise stays closed).
/// Roles: admin, inspector.
#[utoipa::path(
    tag = "orders",
    params(("id" = i64, Path)),
    request_body = LiftRequest,
    responses((status = 200, body = OrderView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector"]))
)]
#[post("/orders/{id}/lift")]
pub async fn lift_order(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input: LiftRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let today = today(&state);
    let view = state
        .db
        .write(move |conn| {
            let current = store::find_order(conn, id)?.ok_or(ApiError::NotFound)?;
            let mut v = Validator::new();
            let note = valid_text(&mut v, "note", &input.note, 2000);
            not_future(&mut v, "lifted_on", input.lifted_on, today);
            if input.lifted_on < current.issued_on {
                v.add("lifted_on", "out_of_range", "must not be before the order was issued");
            }
            v.finish()?;
            let enterprise_id = current.enterprise_id;
            store::lock_enterprise(conn, enterprise_id)?.ok_or(ApiError::NotFound)?;
            if current.lifted_on.is_some() {
                return Err(ApiError::InvalidTransition("the order is already lifted".into()));
            }
            let open = store::open_major_hazards(conn, enterprise_id)?;
            if !open.is_empty() {
                let mut extra = serde_json::Map::new();
                extra.insert("open_major_hazards".into(), json!(open));
                return Err(ApiError::ConflictWith(
                    "every major hazard of the enterprise must be verified before the order is lifted".into(),
                    extra,
                ));
            }
            let row = store::lift_order(conn, id, input.lifted_on, &note, now)?;
            audit::store::append(
                conn,
                "order",
                &id.to_string(),
                "lifted",
                &actor,
                json!({"lifted_on": input.lifted_on, "note": note}),
                now,
            )?;
            if !enterprise_store::order_in_force(conn, EnterpriseId(enterprise_id))?
                && store::set_enterprise_status(conn, enterprise_id, "suspended", "operating", now)?
            {
                audit::store::append(
                    conn,
                    "enterprise",
                    &enterprise_id.to_string(),
                    "status_changed",
                    &actor,
                    json!({"status": "operating", "order_id": id}),
                    now,
                )?;
            }
            order_with_timeline(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    pub enterprise_id: Option<i64>,
    pub campaign_id: Option<i64>,
    /// `true`: issued and not lifted.
    pub in_force: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists orders, newest first; an enterprise user sees only its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "orders", params(OrderQuery), responses((status = 200, body = Page<OrderView>), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/orders")]
pub async fn list_orders(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    query: ApiQuery<OrderQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let filter = OrderFilter {
        enterprise_id: q.enterprise_id,
        scope: auth.enterprise_scope().map(|e| e.0),
        campaign_id: q.campaign_id,
        in_force: q.in_force,
    };
    let rows = state
        .db
        .run(move |conn| store::list_orders(conn, &filter, page.before_id, page.fetch()))
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(order_view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// One order with its timeline; an enterprise user reads only its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "orders", params(("id" = i64, Path)), responses((status = 200, body = OrderView), (status = 404, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/orders/{id}")]
pub async fn get_order(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let user = auth.user.clone();
    let view = state
        .db
        .run(move |conn| {
            let row = store::find_order(conn, id)?
                .filter(|o| user.can_see(EnterpriseId(o.enterprise_id)))
                .ok_or(ApiError::NotFound)?;
            order_with_timeline(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

// =============================================================================================
// Figures

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Count everything of this campaign (then `from`/`to` must be absent).
    pub campaign_id: Option<i64>,
    /// Inclusive local date, on each record's own date.
    pub from: Option<NaiveDate>,
    /// Inclusive local date, on each record's own date.
    pub to: Option<NaiveDate>,
}

/// The figures of the yearly report (groups, inspectors, inspections, enterprises inspected,
/// stationing, hazards found/rectified/verified/overdue, penalties and fines, orders, tasks),
/// by campaign or by date range, also by district and by industry. Counted in the database.
/// Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "stats", params(StatsQuery), responses((status = 200, body = InspectionStats), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/stats/inspections")]
pub async fn inspection_stats(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    query: ApiQuery<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let mut v = Validator::new();
    if q.campaign_id.is_some() {
        if q.from.is_some() {
            v.add("from", "invalid", "count either by campaign or by dates");
        }
        if q.to.is_some() {
            v.add("to", "invalid", "count either by campaign or by dates");
        }
    }
    if let (Some(f), Some(t)) = (q.from, q.to)
        && t < f
    {
        v.add("to", "out_of_range", "must not be before from");
    }
    v.finish()?;
    let scope = match q.campaign_id {
        Some(c) => Scope::Campaign(c),
        None => Scope::dates(q.from, q.to),
    };
    let today = today(&state);
    let figures: InspectionStats = state
        .db
        .run(move |conn| {
            if let Scope::Campaign(c) = scope {
                store::find_campaign(conn, c)?.ok_or(ApiError::NotFound)?;
            }
            let districts = crate::schema::districts::table
                .select(crate::schema::districts::code)
                .load::<String>(conn)
                .map_err(ApiError::from);
            let industries = crate::schema::industries::table
                .select(crate::schema::industries::code)
                .load::<String>(conn)
                .map_err(ApiError::from);
            stats::compute(conn, scope, today, &districts?, &industries?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(figures))
}
