//! The key-task board of a campaign (挂图作战): tasks with a responsible unit and a deadline,
//! `pending` → `in_progress` → `done` (final), overdue when not done past the deadline.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{CampaignError, Now, stored, valid_text};
use crate::actor::Actor;
use crate::audit;
use crate::campaigns::domain::{self, TaskStatus};
use crate::campaigns::store::{self, NewTask, TaskChanges, TaskRow};
use crate::db::DbConn;
use crate::db::transition::{Event, settle_version};
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CampaignId, TaskId};
use crate::validate::Validator;

pub const TASK: &str = "key_task";

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

pub fn task_view(r: TaskRow, today: NaiveDate) -> Result<TaskView, ApiError> {
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

/// Puts a key task on an open campaign's board, `pending`: a title of 1 to 300 characters and a
/// responsible unit of 1 to 200. A closed campaign takes no more tasks (409).
pub fn create(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    campaign_id: CampaignId,
    input: &CreateTaskRequest,
) -> Result<TaskView, CampaignError> {
    let campaign = store::find_campaign(conn, campaign_id)?.ok_or(CampaignError::NotFound)?;
    let mut v = Validator::new();
    let title = valid_text(&mut v, "title", &input.title, 300);
    let unit = valid_text(&mut v, "responsible_unit", &input.responsible_unit, 200);
    v.finish()?;
    if campaign.closed_at.is_some() {
        return Err(CampaignError::Closed("the campaign is closed".into()));
    }
    let row = store::insert_task(
        conn,
        &NewTask {
            campaign_id: campaign_id.0,
            title: &title,
            responsible_unit: &unit,
            deadline: input.deadline,
            status: TaskStatus::Pending.as_str(),
            progress_note: None,
            completed_at: None,
            created_at: now.at,
            updated_at: now.at,
        },
    )?;
    audit::store::append_first(
        conn,
        TASK,
        &row.id.to_string(),
        "created",
        actor,
        json!({"campaign_id": campaign_id, "title": title, "responsible_unit": unit,
               "deadline": input.deadline}),
        now.at,
    )?;
    Ok(task_view(row, now.today)?)
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

/// What the board shows: a page of tasks (by status, by overdue).
#[derive(Debug, Clone, Copy)]
pub struct BoardFilter {
    pub status: Option<TaskStatus>,
    pub overdue: Option<bool>,
}

/// The campaign's board: a page of its tasks, newest first, and the counts of the whole board
/// whatever the filters (overdue: not done and past the deadline on `today`).
pub fn board(
    conn: &mut DbConn,
    today: NaiveDate,
    campaign_id: CampaignId,
    filter: BoardFilter,
    page: PageRequest,
) -> Result<TaskBoard, CampaignError> {
    store::find_campaign(conn, campaign_id)?.ok_or(CampaignError::NotFound)?;
    let rows = store::list_tasks(
        conn,
        campaign_id,
        filter.status,
        filter.overdue,
        today,
        page.before_id,
        page.fetch(),
    )?;
    let (by_status, overdue) = store::task_counts(conn, campaign_id, today)?;
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
    let page = Page::of(rows, page, |r| r.id, |r| task_view(r, today))?;
    Ok(TaskBoard {
        items: page.items,
        next_cursor: page.next_cursor,
        counts,
    })
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

/// Updates a task's progress note (1 to 2,000 characters, or cleared) and status: `done` sets
/// `completed_at` and is final (reopening it, or completing it again, is 409 — so of concurrent
/// completions one wins). A concurrent change in between loses the compare-and-set (409).
pub fn update(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    id: TaskId,
    patch: &UpdateTaskRequest,
) -> Result<TaskView, CampaignError> {
    let current = store::find_task(conn, id)?.ok_or(CampaignError::NotFound)?;
    let mut v = Validator::new();
    let note = match &patch.progress_note {
        Some(Some(s)) => v.text("progress_note", s, 1, 2000).map(Some),
        Some(None) => Some(None),
        None => None,
    };
    v.finish()?;
    let from = stored(TaskStatus::parse(&current.status), "task status")?;
    if let Some(to) = patch.status {
        domain::task_transition(from, to).map_err(CampaignError::InvalidTransition)?;
    }
    // `task_transition` refused `done` again, so this completes the task.
    let completing = patch.status == Some(TaskStatus::Done);
    let changes = TaskChanges {
        status: patch.status.map(|s| s.as_str().to_owned()),
        progress_note: note,
        completed_at: completing.then_some(Some(now.at)),
        updated_at: Some(now.at),
    };
    let payload = json!({"status": changes.status, "progress_note": changes.progress_note});
    let updated = store::update_task_if_unchanged(conn, id, current.updated_at, &changes)?;
    let row = settle_version(
        conn,
        updated,
        "the task",
        Event {
            aggregate: TASK,
            id: id.0,
            action: if patch.status.is_some_and(|s| s != from) {
                "status_changed"
            } else {
                "progress_noted"
            },
            actor,
            payload,
            at: now.at,
        },
    )?;
    Ok(task_view(row, now.today)?)
}
