//! Campaigns, key tasks, inspection groups and stationings in the database (the enforcement
//! records are in `crate::enforcement::store`). Every function takes the connection first so a
//! use case composes them inside one transaction.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::domain::{CampaignStatus, TaskStatus};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::{CampaignId, GroupId, StationingId, TaskId, UserId};
use crate::schema::{
    campaigns, group_members, inspection_groups, key_tasks, stationing_inspectors, stationings,
    users,
};

// ---------------------------------------------------------------------------------------------
// Rows (every column, in table order) and new rows.

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = campaigns)]
pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub industries: String,
    pub description: String,
    pub closed_at: Option<NaiveDateTime>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = campaigns)]
pub struct NewCampaign<'a> {
    pub name: &'a str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub industries: String,
    pub description: &'a str,
    pub closed_at: Option<NaiveDateTime>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = campaigns)]
pub struct CampaignChanges {
    pub name: Option<String>,
    pub ends_on: Option<NaiveDate>,
    pub description: Option<String>,
    pub closed_at: Option<Option<NaiveDateTime>>,
    pub updated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = key_tasks)]
pub struct TaskRow {
    pub id: i64,
    pub campaign_id: i64,
    pub title: String,
    pub responsible_unit: String,
    pub deadline: NaiveDate,
    pub status: String,
    pub progress_note: Option<String>,
    pub completed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = key_tasks)]
pub struct NewTask<'a> {
    pub campaign_id: i64,
    pub title: &'a str,
    pub responsible_unit: &'a str,
    pub deadline: NaiveDate,
    pub status: &'a str,
    pub progress_note: Option<&'a str>,
    pub completed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = key_tasks)]
pub struct TaskChanges {
    pub status: Option<String>,
    pub progress_note: Option<Option<String>>,
    pub completed_at: Option<Option<NaiveDateTime>>,
    pub updated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inspection_groups)]
pub struct GroupRow {
    pub id: i64,
    pub campaign_id: i64,
    pub name: String,
    pub mode: String,
    pub home_district: String,
    pub target_district: Option<String>,
    pub leader_id: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = inspection_groups)]
pub struct NewGroup<'a> {
    pub campaign_id: i64,
    pub name: &'a str,
    pub mode: &'a str,
    pub home_district: &'a str,
    pub target_district: Option<&'a str>,
    pub leader_id: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = group_members, treat_none_as_default_value = false)]
pub struct NewMember {
    pub group_id: i64,
    pub inspector_id: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = stationings)]
pub struct StationingRow {
    pub id: i64,
    pub group_id: i64,
    pub enterprise_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = stationings, treat_none_as_default_value = false)]
pub struct NewStationing {
    pub group_id: i64,
    pub enterprise_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = stationing_inspectors, treat_none_as_default_value = false)]
pub struct NewStationingInspector {
    pub stationing_id: i64,
    pub inspector_id: i64,
}

/// Inserts many rows of one table with multi-row statements of `chunk` rows (the multi-backend
/// connection has no batch insert of its own, so each backend's is called directly).
macro_rules! insert_many {
    ($conn:expr, $table:path, $rows:expr, $chunk:expr) => {{
        let mut inserted = 0usize;
        for chunk in $rows.chunks($chunk) {
            inserted += crate::db::on_backend!($conn, |c| diesel::insert_into($table)
                .values(chunk)
                .execute(c))?;
        }
        Ok::<usize, ApiError>(inserted)
    }};
}
pub(crate) use insert_many;

// ---------------------------------------------------------------------------------------------
// Campaigns and tasks.

pub fn insert_campaign(conn: &mut DbConn, row: &NewCampaign<'_>) -> Result<CampaignRow, ApiError> {
    Ok(diesel::insert_into(campaigns::table)
        .values(row)
        .returning(campaigns::all_columns)
        .get_result(conn)?)
}

pub fn find_campaign(conn: &mut DbConn, id: CampaignId) -> Result<Option<CampaignRow>, ApiError> {
    Ok(campaigns::table
        .find(id.0)
        .select(CampaignRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Compare-and-set on the campaign's `updated_at` as read: `None` when it changed meanwhile.
pub fn update_campaign_if_unchanged(
    conn: &mut DbConn,
    id: CampaignId,
    read_at: NaiveDateTime,
    changes: &CampaignChanges,
) -> Result<Option<CampaignRow>, ApiError> {
    Ok(diesel::update(
        campaigns::table
            .filter(campaigns::id.eq(id.0))
            .filter(campaigns::updated_at.eq(read_at)),
    )
    .set(changes)
    .returning(campaigns::all_columns)
    .get_result(conn)
    .optional()?)
}

/// Campaign list filter by derived status, expressed on dates (`today` local).
pub fn list_campaigns(
    conn: &mut DbConn,
    status: Option<CampaignStatus>,
    today: NaiveDate,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<CampaignRow>, ApiError> {
    let mut q = campaigns::table
        .select(CampaignRow::as_select())
        .into_boxed();
    match status {
        Some(CampaignStatus::Planned) => {
            q = q
                .filter(campaigns::closed_at.is_null())
                .filter(campaigns::starts_on.gt(today))
        }
        Some(CampaignStatus::Active) => {
            q = q
                .filter(campaigns::closed_at.is_null())
                .filter(campaigns::starts_on.le(today))
                .filter(campaigns::ends_on.ge(today))
        }
        Some(CampaignStatus::Closed) => {
            q = q.filter(
                campaigns::closed_at
                    .is_not_null()
                    .or(campaigns::ends_on.lt(today)),
            )
        }
        None => {}
    }
    if let Some(b) = before_id {
        q = q.filter(campaigns::id.lt(b));
    }
    Ok(q.order(campaigns::id.desc()).limit(fetch).load(conn)?)
}

pub fn insert_task(conn: &mut DbConn, row: &NewTask<'_>) -> Result<TaskRow, ApiError> {
    Ok(diesel::insert_into(key_tasks::table)
        .values(row)
        .returning(key_tasks::all_columns)
        .get_result(conn)?)
}

pub fn find_task(conn: &mut DbConn, id: TaskId) -> Result<Option<TaskRow>, ApiError> {
    Ok(key_tasks::table
        .find(id.0)
        .select(TaskRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Compare-and-set on the task's `updated_at` as read: `None` when it changed meanwhile.
pub fn update_task_if_unchanged(
    conn: &mut DbConn,
    id: TaskId,
    read_at: NaiveDateTime,
    changes: &TaskChanges,
) -> Result<Option<TaskRow>, ApiError> {
    Ok(diesel::update(
        key_tasks::table
            .filter(key_tasks::id.eq(id.0))
            .filter(key_tasks::updated_at.eq(read_at)),
    )
    .set(changes)
    .returning(key_tasks::all_columns)
    .get_result(conn)
    .optional()?)
}

pub fn list_tasks(
    conn: &mut DbConn,
    campaign_id: CampaignId,
    status: Option<TaskStatus>,
    overdue: Option<bool>,
    today: NaiveDate,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<TaskRow>, ApiError> {
    let mut q = key_tasks::table
        .filter(key_tasks::campaign_id.eq(campaign_id.0))
        .select(TaskRow::as_select())
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(key_tasks::status.eq(s.as_str()));
    }
    match overdue {
        Some(true) => {
            q = q
                .filter(key_tasks::status.ne("done"))
                .filter(key_tasks::deadline.lt(today))
        }
        Some(false) => {
            q = q.filter(
                key_tasks::status
                    .eq("done")
                    .or(key_tasks::deadline.ge(today)),
            )
        }
        None => {}
    }
    if let Some(b) = before_id {
        q = q.filter(key_tasks::id.lt(b));
    }
    Ok(q.order(key_tasks::id.desc()).limit(fetch).load(conn)?)
}

/// A campaign's tasks counted by status, and those overdue (not done, deadline passed).
pub fn task_counts(
    conn: &mut DbConn,
    campaign_id: CampaignId,
    today: NaiveDate,
) -> Result<(Vec<(String, i64)>, i64), ApiError> {
    let by_status: Vec<(String, i64)> = key_tasks::table
        .filter(key_tasks::campaign_id.eq(campaign_id.0))
        .group_by(key_tasks::status)
        .select((key_tasks::status, diesel::dsl::count_star()))
        .load(conn)?;
    let overdue: i64 = key_tasks::table
        .filter(key_tasks::campaign_id.eq(campaign_id.0))
        .filter(key_tasks::status.ne("done"))
        .filter(key_tasks::deadline.lt(today))
        .count()
        .get_result(conn)?;
    Ok((by_status, overdue))
}

// ---------------------------------------------------------------------------------------------
// Users.

/// `(id, role, disabled)` of the given users that exist.
pub fn user_roles(conn: &mut DbConn, ids: &[UserId]) -> Result<Vec<(i64, String, bool)>, ApiError> {
    Ok(users::table
        .filter(users::id.eq_any(ids.iter().map(|u| u.0)))
        .select((users::id, users::role, users::disabled))
        .load(conn)?)
}

// ---------------------------------------------------------------------------------------------
// Groups and stationings.

pub fn insert_group(conn: &mut DbConn, row: &NewGroup<'_>) -> Result<GroupRow, ApiError> {
    Ok(diesel::insert_into(inspection_groups::table)
        .values(row)
        .returning(inspection_groups::all_columns)
        .get_result(conn)?)
}

pub fn insert_members(conn: &mut DbConn, rows: &[NewMember]) -> Result<(), ApiError> {
    insert_many!(conn, group_members::table, rows, 1000)?;
    Ok(())
}

pub fn find_group(conn: &mut DbConn, id: GroupId) -> Result<Option<GroupRow>, ApiError> {
    Ok(inspection_groups::table
        .find(id.0)
        .select(GroupRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn group_member_ids(conn: &mut DbConn, group_id: GroupId) -> Result<Vec<i64>, ApiError> {
    Ok(group_members::table
        .filter(group_members::group_id.eq(group_id.0))
        .select(group_members::inspector_id)
        .order(group_members::inspector_id.asc())
        .load(conn)?)
}

/// Members of several groups at once, `(group_id, inspector_id)`.
pub fn members_of(conn: &mut DbConn, group_ids: &[GroupId]) -> Result<Vec<(i64, i64)>, ApiError> {
    Ok(group_members::table
        .filter(group_members::group_id.eq_any(group_ids.iter().map(|g| g.0)))
        .select((group_members::group_id, group_members::inspector_id))
        .order((group_members::group_id, group_members::inspector_id))
        .load(conn)?)
}

pub fn list_groups(
    conn: &mut DbConn,
    campaign_id: Option<CampaignId>,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<GroupRow>, ApiError> {
    let mut q = inspection_groups::table
        .select(GroupRow::as_select())
        .into_boxed();
    if let Some(c) = campaign_id {
        q = q.filter(inspection_groups::campaign_id.eq(c.0));
    }
    if let Some(b) = before_id {
        q = q.filter(inspection_groups::id.lt(b));
    }
    Ok(q.order(inspection_groups::id.desc())
        .limit(fetch)
        .load(conn)?)
}

pub fn insert_stationing(
    conn: &mut DbConn,
    row: &NewStationing,
    inspector_ids: &[UserId],
) -> Result<StationingRow, ApiError> {
    let row: StationingRow = diesel::insert_into(stationings::table)
        .values(row)
        .returning(stationings::all_columns)
        .get_result(conn)?;
    let links: Vec<NewStationingInspector> = inspector_ids
        .iter()
        .map(|inspector| NewStationingInspector {
            stationing_id: row.id,
            inspector_id: inspector.0,
        })
        .collect();
    insert_many!(conn, stationing_inspectors::table, links, 1000)?;
    Ok(row)
}

pub fn list_stationings(
    conn: &mut DbConn,
    group_id: GroupId,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<StationingRow>, ApiError> {
    let mut q = stationings::table
        .filter(stationings::group_id.eq(group_id.0))
        .select(StationingRow::as_select())
        .into_boxed();
    if let Some(b) = before_id {
        q = q.filter(stationings::id.lt(b));
    }
    Ok(q.order(stationings::id.desc()).limit(fetch).load(conn)?)
}

pub fn stationing_inspector_ids(
    conn: &mut DbConn,
    stationing_ids: &[StationingId],
) -> Result<Vec<(i64, i64)>, ApiError> {
    Ok(stationing_inspectors::table
        .filter(stationing_inspectors::stationing_id.eq_any(stationing_ids.iter().map(|s| s.0)))
        .select((
            stationing_inspectors::stationing_id,
            stationing_inspectors::inspector_id,
        ))
        .order((
            stationing_inspectors::stationing_id,
            stationing_inspectors::inspector_id,
        ))
        .load(conn)?)
}
