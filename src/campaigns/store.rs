//! Campaigns, tasks, groups, stationings, inspections, hazards, penalties and orders in the
//! database. Every function takes the connection first so a use case composes them inside one
//! transaction.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::domain::HazardStatus;
use crate::db::{DbConn, is_unique_violation};
use crate::error::ApiError;
use crate::schema::{
    campaigns, enterprises, group_members, hazards, inspection_groups, inspection_inspectors,
    inspections, key_tasks, orders, penalties, stationing_inspectors, stationings, users,
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

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inspections)]
pub struct InspectionRow {
    pub id: i64,
    pub campaign_id: Option<i64>,
    pub group_id: Option<i64>,
    pub enterprise_id: i64,
    pub inspected_on: NaiveDate,
    pub notes: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    /// Copies of the enterprise's, for the figures (see `InspectionCopies`).
    pub district: String,
    pub industry: String,
    pub prev_inspected_on: Option<NaiveDate>,
    pub campaign_first: bool,
}

#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = inspections)]
pub struct NewInspection<'a> {
    pub campaign_id: Option<i64>,
    pub group_id: Option<i64>,
    pub enterprise_id: i64,
    pub inspected_on: NaiveDate,
    pub notes: &'a str,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

/// What an inspection carries for the figures (`stats.rs`, migration `000009_stats_copies`):
/// its enterprise's `district` and `industry` at the time of writing (rewritten by
/// `recopy_enterprise` when they change), the date of the enterprise's previous inspection in
/// `(inspected_on, id)` order, and whether it is the enterprise's first in its campaign.
/// Written only by `insert_inspection` and the city-year seed.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = inspections)]
pub struct InspectionCopies<'a> {
    pub district: &'a str,
    pub industry: &'a str,
    pub prev_inspected_on: Option<NaiveDate>,
    pub campaign_first: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = inspections, treat_none_as_default_value = false)]
pub struct InspectionRecord<'a> {
    #[diesel(embed)]
    pub row: NewInspection<'a>,
    #[diesel(embed)]
    pub copies: InspectionCopies<'a>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = inspection_inspectors, treat_none_as_default_value = false)]
pub struct NewInspectionInspector {
    pub inspection_id: i64,
    pub inspector_id: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = hazards)]
pub struct HazardRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub description: String,
    pub level: String,
    pub category: String,
    pub found_on: NaiveDate,
    pub deadline: NaiveDate,
    pub status: String,
    pub supervised: bool,
    pub plan: Option<String>,
    pub rectification_measures: Option<String>,
    pub rectification_completed_on: Option<NaiveDate>,
    pub verified_by: Option<i64>,
    pub verified_on: Option<NaiveDate>,
    pub reject_reason: Option<String>,
    pub reported_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Copies of the enterprise's, for the figures.
    pub district: String,
    pub industry: String,
}

/// The enterprise's `district` and `industry`, copied onto its hazards for the figures.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = hazards, treat_none_as_default_value = false)]
pub struct HazardCopies<'a> {
    pub district: &'a str,
    pub industry: &'a str,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = hazards, treat_none_as_default_value = false)]
pub struct HazardRecord<'a> {
    #[diesel(embed)]
    pub row: NewHazard<'a>,
    #[diesel(embed)]
    pub copies: HazardCopies<'a>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = hazards)]
pub struct NewHazard<'a> {
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub description: &'a str,
    pub level: &'a str,
    pub category: &'a str,
    pub found_on: NaiveDate,
    pub deadline: NaiveDate,
    pub status: &'a str,
    pub supervised: bool,
    pub plan: Option<String>,
    pub rectification_measures: Option<&'a str>,
    pub rectification_completed_on: Option<NaiveDate>,
    pub verified_by: Option<i64>,
    pub verified_on: Option<NaiveDate>,
    pub reject_reason: Option<&'a str>,
    pub reported_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = hazards)]
pub struct HazardChanges {
    pub status: Option<String>,
    pub rectification_measures: Option<Option<String>>,
    pub rectification_completed_on: Option<Option<NaiveDate>>,
    pub verified_by: Option<Option<i64>>,
    pub verified_on: Option<Option<NaiveDate>>,
    pub reject_reason: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = penalties)]
pub struct PenaltyRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    pub hazard_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub decision_no: String,
    pub violation: String,
    pub legal_basis: String,
    pub fine_fen: i64,
    pub decided_on: NaiveDate,
    pub paid_on: Option<NaiveDate>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = penalties)]
pub struct NewPenalty<'a> {
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    pub hazard_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub decision_no: &'a str,
    pub violation: &'a str,
    pub legal_basis: &'a str,
    pub fine_fen: i64,
    pub decided_on: NaiveDate,
    pub paid_on: Option<NaiveDate>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub kind: String,
    pub reason: String,
    pub issued_on: NaiveDate,
    pub lifted_on: Option<NaiveDate>,
    pub lift_note: Option<String>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = orders)]
pub struct NewOrder<'a> {
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub kind: &'a str,
    pub reason: &'a str,
    pub issued_on: NaiveDate,
    pub lifted_on: Option<NaiveDate>,
    pub lift_note: Option<&'a str>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
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

pub fn find_campaign(conn: &mut DbConn, id: i64) -> Result<Option<CampaignRow>, ApiError> {
    Ok(campaigns::table
        .find(id)
        .select(CampaignRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn update_campaign_if_unchanged(
    conn: &mut DbConn,
    id: i64,
    read_at: NaiveDateTime,
    changes: &CampaignChanges,
) -> Result<CampaignRow, ApiError> {
    diesel::update(
        campaigns::table
            .filter(campaigns::id.eq(id))
            .filter(campaigns::updated_at.eq(read_at)),
    )
    .set(changes)
    .returning(campaigns::all_columns)
    .get_result(conn)
    .optional()?
    .ok_or_else(|| {
        ApiError::Conflict("the campaign was changed concurrently; reload and retry".into())
    })
}

/// Campaign list filter by derived status, expressed on dates (`today` local).
pub fn list_campaigns(
    conn: &mut DbConn,
    status: Option<super::domain::CampaignStatus>,
    today: NaiveDate,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<CampaignRow>, ApiError> {
    use super::domain::CampaignStatus;
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

pub fn find_task(conn: &mut DbConn, id: i64) -> Result<Option<TaskRow>, ApiError> {
    Ok(key_tasks::table
        .find(id)
        .select(TaskRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn update_task_if_unchanged(
    conn: &mut DbConn,
    id: i64,
    read_at: NaiveDateTime,
    changes: &TaskChanges,
) -> Result<TaskRow, ApiError> {
    diesel::update(
        key_tasks::table
            .filter(key_tasks::id.eq(id))
            .filter(key_tasks::updated_at.eq(read_at)),
    )
    .set(changes)
    .returning(key_tasks::all_columns)
    .get_result(conn)
    .optional()?
    .ok_or_else(|| ApiError::Conflict("the task was changed concurrently; reload and retry".into()))
}

pub fn list_tasks(
    conn: &mut DbConn,
    campaign_id: i64,
    status: Option<&str>,
    overdue: Option<bool>,
    today: NaiveDate,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<TaskRow>, ApiError> {
    let mut q = key_tasks::table
        .filter(key_tasks::campaign_id.eq(campaign_id))
        .select(TaskRow::as_select())
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(key_tasks::status.eq(s.to_owned()));
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
    campaign_id: i64,
    today: NaiveDate,
) -> Result<(Vec<(String, i64)>, i64), ApiError> {
    let by_status: Vec<(String, i64)> = key_tasks::table
        .filter(key_tasks::campaign_id.eq(campaign_id))
        .group_by(key_tasks::status)
        .select((key_tasks::status, diesel::dsl::count_star()))
        .load(conn)?;
    let overdue: i64 = key_tasks::table
        .filter(key_tasks::campaign_id.eq(campaign_id))
        .filter(key_tasks::status.ne("done"))
        .filter(key_tasks::deadline.lt(today))
        .count()
        .get_result(conn)?;
    Ok((by_status, overdue))
}

// ---------------------------------------------------------------------------------------------
// Users, enterprises.

/// `(id, role, disabled)` of the given users that exist.
pub fn user_roles(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, String, bool)>, ApiError> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::role, users::disabled))
        .load(conn)?)
}

pub fn enterprise_exists(conn: &mut DbConn, id: i64) -> Result<bool, ApiError> {
    let n: i64 = enterprises::table
        .filter(enterprises::id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Takes the enterprise's row lock (PostgreSQL) for the rest of the transaction, so that two
/// order changes on one enterprise serialise; returns its status, `None` when it does not exist.
pub fn lock_enterprise(conn: &mut DbConn, id: i64) -> Result<Option<String>, ApiError> {
    let touched = diesel::update(enterprises::table.filter(enterprises::id.eq(id)))
        .set(enterprises::status.eq(enterprises::status))
        .execute(conn)?;
    if touched == 0 {
        return Ok(None);
    }
    Ok(Some(
        enterprises::table
            .find(id)
            .select(enterprises::status)
            .get_result(conn)?,
    ))
}

/// Compare-and-set of the enterprise status; true when it changed.
pub fn set_enterprise_status(
    conn: &mut DbConn,
    id: i64,
    from: &str,
    to: &str,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let n = diesel::update(
        enterprises::table
            .filter(enterprises::id.eq(id))
            .filter(enterprises::status.eq(from)),
    )
    .set((enterprises::status.eq(to), enterprises::updated_at.eq(now)))
    .execute(conn)?;
    Ok(n == 1)
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

pub fn find_group(conn: &mut DbConn, id: i64) -> Result<Option<GroupRow>, ApiError> {
    Ok(inspection_groups::table
        .find(id)
        .select(GroupRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn group_member_ids(conn: &mut DbConn, group_id: i64) -> Result<Vec<i64>, ApiError> {
    Ok(group_members::table
        .filter(group_members::group_id.eq(group_id))
        .select(group_members::inspector_id)
        .order(group_members::inspector_id.asc())
        .load(conn)?)
}

/// Members of several groups at once, `(group_id, inspector_id)`.
pub fn members_of(conn: &mut DbConn, group_ids: &[i64]) -> Result<Vec<(i64, i64)>, ApiError> {
    Ok(group_members::table
        .filter(group_members::group_id.eq_any(group_ids))
        .select((group_members::group_id, group_members::inspector_id))
        .order((group_members::group_id, group_members::inspector_id))
        .load(conn)?)
}

pub fn list_groups(
    conn: &mut DbConn,
    campaign_id: Option<i64>,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<GroupRow>, ApiError> {
    let mut q = inspection_groups::table
        .select(GroupRow::as_select())
        .into_boxed();
    if let Some(c) = campaign_id {
        q = q.filter(inspection_groups::campaign_id.eq(c));
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
    inspector_ids: &[i64],
) -> Result<StationingRow, ApiError> {
    let row: StationingRow = diesel::insert_into(stationings::table)
        .values(row)
        .returning(stationings::all_columns)
        .get_result(conn)?;
    let links: Vec<NewStationingInspector> = inspector_ids
        .iter()
        .map(|&inspector_id| NewStationingInspector {
            stationing_id: row.id,
            inspector_id,
        })
        .collect();
    insert_many!(conn, stationing_inspectors::table, links, 1000)?;
    Ok(row)
}

pub fn list_stationings(
    conn: &mut DbConn,
    group_id: i64,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<StationingRow>, ApiError> {
    let mut q = stationings::table
        .filter(stationings::group_id.eq(group_id))
        .select(StationingRow::as_select())
        .into_boxed();
    if let Some(b) = before_id {
        q = q.filter(stationings::id.lt(b));
    }
    Ok(q.order(stationings::id.desc()).limit(fetch).load(conn)?)
}

pub fn stationing_inspector_ids(
    conn: &mut DbConn,
    stationing_ids: &[i64],
) -> Result<Vec<(i64, i64)>, ApiError> {
    Ok(stationing_inspectors::table
        .filter(stationing_inspectors::stationing_id.eq_any(stationing_ids))
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

// ---------------------------------------------------------------------------------------------
// Inspections.

/// The enterprise's `(district, industry)`, as copied onto its inspections and hazards.
fn enterprise_cell(conn: &mut DbConn, enterprise_id: i64) -> Result<(String, String), ApiError> {
    enterprises::table
        .find(enterprise_id)
        .select((enterprises::district, enterprises::industry))
        .get_result(conn)
        .optional()?
        .ok_or(ApiError::NotFound)
}

/// Rewrites the copies of an enterprise's district and industry on its inspections and hazards;
/// every change of an enterprise's `district` or `industry` calls it in the same transaction.
pub fn recopy_enterprise(
    conn: &mut DbConn,
    enterprise_id: i64,
    district: &str,
    industry: &str,
) -> Result<(), ApiError> {
    diesel::update(inspections::table.filter(inspections::enterprise_id.eq(enterprise_id)))
        .set((
            inspections::district.eq(district),
            inspections::industry.eq(industry),
        ))
        .execute(conn)?;
    diesel::update(hazards::table.filter(hazards::enterprise_id.eq(enterprise_id)))
        .set((
            hazards::district.eq(district),
            hazards::industry.eq(industry),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records an inspection with its copies (`InspectionCopies`): the enterprise's cell, the
/// previous inspection's date (and, for a back-dated inspection, becomes the previous one of
/// the enterprise's next inspection), and whether it is the enterprise's first in the campaign.
pub fn insert_inspection(
    conn: &mut DbConn,
    row: &NewInspection<'_>,
    inspector_ids: &[i64],
) -> Result<InspectionRow, ApiError> {
    let (district, industry) = enterprise_cell(conn, row.enterprise_id)?;
    // Every existing inspection has a lower id, so those on the same day come before this one.
    let prev_inspected_on: Option<NaiveDate> = inspections::table
        .filter(inspections::enterprise_id.eq(row.enterprise_id))
        .filter(inspections::inspected_on.le(row.inspected_on))
        .select(diesel::dsl::max(inspections::inspected_on))
        .get_result(conn)?;
    let campaign_first = match row.campaign_id {
        Some(c) => !diesel::select(diesel::dsl::exists(
            inspections::table
                .filter(inspections::campaign_id.eq(c))
                .filter(inspections::enterprise_id.eq(row.enterprise_id)),
        ))
        .get_result::<bool>(conn)?,
        None => false,
    };
    let record = InspectionRecord {
        row: *row,
        copies: InspectionCopies {
            district: &district,
            industry: &industry,
            prev_inspected_on,
            campaign_first,
        },
    };
    let row: InspectionRow = diesel::insert_into(inspections::table)
        .values(&record)
        .returning(inspections::all_columns)
        .get_result(conn)?;
    // The enterprise's next inspection (the first after this day) now follows this one. A
    // later one has a previous date of at least that next inspection's, so only it matches.
    diesel::update(
        inspections::table
            .filter(inspections::enterprise_id.eq(row.enterprise_id))
            .filter(inspections::inspected_on.gt(row.inspected_on))
            .filter(
                inspections::prev_inspected_on
                    .is_null()
                    .or(inspections::prev_inspected_on.lt(row.inspected_on)),
            ),
    )
    .set(inspections::prev_inspected_on.eq(row.inspected_on))
    .execute(conn)?;
    let links: Vec<NewInspectionInspector> = inspector_ids
        .iter()
        .map(|&inspector_id| NewInspectionInspector {
            inspection_id: row.id,
            inspector_id,
        })
        .collect();
    insert_many!(conn, inspection_inspectors::table, links, 1000)?;
    Ok(row)
}

pub fn find_inspection(conn: &mut DbConn, id: i64) -> Result<Option<InspectionRow>, ApiError> {
    Ok(inspections::table
        .find(id)
        .select(InspectionRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn inspectors_of(
    conn: &mut DbConn,
    inspection_ids: &[i64],
) -> Result<Vec<(i64, i64)>, ApiError> {
    Ok(inspection_inspectors::table
        .filter(inspection_inspectors::inspection_id.eq_any(inspection_ids))
        .select((
            inspection_inspectors::inspection_id,
            inspection_inspectors::inspector_id,
        ))
        .order((
            inspection_inspectors::inspection_id,
            inspection_inspectors::inspector_id,
        ))
        .load(conn)?)
}

#[derive(Debug, Default, Clone)]
pub struct InspectionFilter {
    pub campaign_id: Option<i64>,
    pub group_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub scope: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub fn list_inspections(
    conn: &mut DbConn,
    f: &InspectionFilter,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<InspectionRow>, ApiError> {
    let mut q = inspections::table
        .select(InspectionRow::as_select())
        .into_boxed();
    if let Some(v) = f.campaign_id {
        q = q.filter(inspections::campaign_id.eq(v));
    }
    if let Some(v) = f.group_id {
        q = q.filter(inspections::group_id.eq(v));
    }
    if let Some(v) = f.enterprise_id {
        q = q.filter(inspections::enterprise_id.eq(v));
    }
    if let Some(v) = f.scope {
        q = q.filter(inspections::enterprise_id.eq(v));
    }
    if let Some(v) = f.from {
        q = q.filter(inspections::inspected_on.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(inspections::inspected_on.le(v));
    }
    if let Some(b) = before_id {
        q = q.filter(inspections::id.lt(b));
    }
    Ok(q.order(inspections::id.desc()).limit(fetch).load(conn)?)
}

// ---------------------------------------------------------------------------------------------
// Hazards.

/// Records a hazard with the copies of its enterprise's district and industry.
pub fn insert_hazard(conn: &mut DbConn, row: NewHazard<'_>) -> Result<HazardRow, ApiError> {
    let (district, industry) = enterprise_cell(conn, row.enterprise_id)?;
    let record = HazardRecord {
        row,
        copies: HazardCopies {
            district: &district,
            industry: &industry,
        },
    };
    Ok(diesel::insert_into(hazards::table)
        .values(&record)
        .returning(hazards::all_columns)
        .get_result(conn)?)
}

pub fn find_hazard(conn: &mut DbConn, id: i64) -> Result<Option<HazardRow>, ApiError> {
    Ok(hazards::table
        .find(id)
        .select(HazardRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn hazards_of_inspection(
    conn: &mut DbConn,
    inspection_id: i64,
) -> Result<Vec<HazardRow>, ApiError> {
    Ok(hazards::table
        .filter(hazards::inspection_id.eq(inspection_id))
        .select(HazardRow::as_select())
        .order(hazards::id.asc())
        .load(conn)?)
}

/// Compare-and-set on the hazard's status: 0 rows → the transition lost (409). The status is
/// written in (`db::constant`): the partial indexes on open hazards name the column.
pub fn transition_hazard(
    conn: &mut DbConn,
    id: i64,
    from: HazardStatus,
    changes: &HazardChanges,
) -> Result<HazardRow, ApiError> {
    diesel::update(
        hazards::table
            .filter(hazards::id.eq(id))
            .filter(hazards::status.eq(crate::db::constant(from.as_str()))),
    )
    .set(changes)
    .returning(hazards::all_columns)
    .get_result(conn)
    .optional()?
    .ok_or_else(|| {
        ApiError::InvalidTransition("the hazard changed state concurrently; reload it".into())
    })
}

/// Ids of the enterprise's major hazards that are not yet verified.
pub fn open_major_hazards(conn: &mut DbConn, enterprise_id: i64) -> Result<Vec<i64>, ApiError> {
    Ok(hazards::table
        .filter(hazards::enterprise_id.eq(enterprise_id))
        .filter(hazards::level.eq(crate::db::constant("major")))
        .filter(hazards::status.ne(crate::db::constant("verified")))
        .select(hazards::id)
        .order(hazards::id.asc())
        .load(conn)?)
}

#[derive(Debug, Default, Clone)]
pub struct HazardFilter {
    pub enterprise_id: Option<i64>,
    pub scope: Option<i64>,
    pub campaign_id: Option<i64>,
    pub level: Option<String>,
    pub status: Option<String>,
    pub overdue: Option<bool>,
    pub district: Option<String>,
    pub industry: Option<String>,
}

/// Hazards, newest first. `district` and `industry` are the enterprise's (a join on its
/// primary key); `overdue` is `open` with the deadline before `today`.
pub fn list_hazards(
    conn: &mut DbConn,
    f: &HazardFilter,
    today: NaiveDate,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<HazardRow>, ApiError> {
    // District and industry are the hazard's copies of its enterprise's (kept right by
    // `recopy_enterprise`), so the list needs no join: the overdue list of a district reads
    // `hazards_open_district` newest first and stops at the page.
    let mut q = hazards::table.select(HazardRow::as_select()).into_boxed();
    if let Some(v) = f.enterprise_id {
        q = q.filter(hazards::enterprise_id.eq(v));
    }
    if let Some(v) = f.scope {
        q = q.filter(hazards::enterprise_id.eq(v));
    }
    if let Some(v) = f.campaign_id {
        q = q.filter(hazards::campaign_id.eq(v));
    }
    if let Some(v) = &f.level {
        q = q.filter(hazards::level.eq(v.clone()));
    }
    // `status = 'open'` is written in (`db::constant`) so that both planners can use the
    // partial index `hazards_open_id` (a bound parameter does not prove the index's condition).
    let open_only = f.overdue == Some(true) || f.status.as_deref() == Some("open");
    if open_only {
        q = q.filter(hazards::status.eq(crate::db::constant("open")));
    } else if let Some(v) = &f.status {
        q = q.filter(hazards::status.eq(v.clone()));
    }
    if f.overdue == Some(true) && f.status.as_deref().is_some_and(|s| s != "open") {
        // Overdue hazards are open: another status finds nothing.
        q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"));
    }
    match f.overdue {
        // Unplanned: in a city's data nearly every open hazard is past its deadline, and for
        // that PostgreSQL re-planned the list on every request (a third of its CPU under load).
        Some(true) => {
            q = q.filter(hazards::deadline.lt(crate::db::unplanned(
                today.into_sql::<diesel::sql_types::Date>(),
            )))
        }
        Some(false) => {
            q = q.filter(
                hazards::status
                    .ne(crate::db::constant("open"))
                    .or(hazards::deadline.ge(today)),
            )
        }
        None => {}
    }
    if let Some(v) = &f.district {
        q = q.filter(hazards::district.eq(v.clone()));
    }
    if let Some(v) = &f.industry {
        q = q.filter(hazards::industry.eq(v.clone()));
    }
    if let Some(b) = before_id {
        q = q.filter(hazards::id.lt(b));
    }
    Ok(crate::db::literal_limit(q.order(hazards::id.desc()), fetch).load(conn)?)
}

// ---------------------------------------------------------------------------------------------
// Penalties.

fn decision_no_taken(e: diesel::result::Error) -> ApiError {
    if is_unique_violation(&e) {
        ApiError::Conflict("a penalty with this decision_no exists".into())
    } else {
        e.into()
    }
}

pub fn insert_penalty(conn: &mut DbConn, row: &NewPenalty<'_>) -> Result<PenaltyRow, ApiError> {
    diesel::insert_into(penalties::table)
        .values(row)
        .returning(penalties::all_columns)
        .get_result(conn)
        .map_err(decision_no_taken)
}

pub fn find_penalty(conn: &mut DbConn, id: i64) -> Result<Option<PenaltyRow>, ApiError> {
    Ok(penalties::table
        .find(id)
        .select(PenaltyRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Records payment once: a second payment loses the compare-and-set (409).
pub fn pay_penalty(
    conn: &mut DbConn,
    id: i64,
    paid_on: NaiveDate,
    now: NaiveDateTime,
) -> Result<PenaltyRow, ApiError> {
    diesel::update(
        penalties::table
            .filter(penalties::id.eq(id))
            .filter(penalties::paid_on.is_null()),
    )
    .set((
        penalties::paid_on.eq(paid_on),
        penalties::updated_at.eq(now),
    ))
    .returning(penalties::all_columns)
    .get_result(conn)
    .optional()?
    .ok_or_else(|| ApiError::InvalidTransition("the penalty is already paid".into()))
}

#[derive(Debug, Default, Clone)]
pub struct PenaltyFilter {
    pub enterprise_id: Option<i64>,
    pub scope: Option<i64>,
    pub campaign_id: Option<i64>,
    pub paid: Option<bool>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub fn list_penalties(
    conn: &mut DbConn,
    f: &PenaltyFilter,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<PenaltyRow>, ApiError> {
    let mut q = penalties::table
        .select(PenaltyRow::as_select())
        .into_boxed();
    if let Some(v) = f.enterprise_id {
        q = q.filter(penalties::enterprise_id.eq(v));
    }
    if let Some(v) = f.scope {
        q = q.filter(penalties::enterprise_id.eq(v));
    }
    if let Some(v) = f.campaign_id {
        q = q.filter(penalties::campaign_id.eq(v));
    }
    match f.paid {
        Some(true) => q = q.filter(penalties::paid_on.is_not_null()),
        Some(false) => q = q.filter(penalties::paid_on.is_null()),
        None => {}
    }
    if let Some(v) = f.from {
        q = q.filter(penalties::decided_on.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(penalties::decided_on.le(v));
    }
    if let Some(b) = before_id {
        q = q.filter(penalties::id.lt(b));
    }
    Ok(q.order(penalties::id.desc()).limit(fetch).load(conn)?)
}

// ---------------------------------------------------------------------------------------------
// Orders.

pub fn insert_order(conn: &mut DbConn, row: &NewOrder<'_>) -> Result<OrderRow, ApiError> {
    Ok(diesel::insert_into(orders::table)
        .values(row)
        .returning(orders::all_columns)
        .get_result(conn)?)
}

pub fn find_order(conn: &mut DbConn, id: i64) -> Result<Option<OrderRow>, ApiError> {
    Ok(orders::table
        .find(id)
        .select(OrderRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Lifts an order in force: a lifted order loses the compare-and-set (409).
pub fn lift_order(
    conn: &mut DbConn,
    id: i64,
    lifted_on: NaiveDate,
    note: &str,
    now: NaiveDateTime,
) -> Result<OrderRow, ApiError> {
    diesel::update(
        orders::table
            .filter(orders::id.eq(id))
            .filter(orders::lifted_on.is_null()),
    )
    .set((
        orders::lifted_on.eq(lifted_on),
        orders::lift_note.eq(note),
        orders::updated_at.eq(now),
    ))
    .returning(orders::all_columns)
    .get_result(conn)
    .optional()?
    .ok_or_else(|| ApiError::InvalidTransition("the order is already lifted".into()))
}

#[derive(Debug, Default, Clone)]
pub struct OrderFilter {
    pub enterprise_id: Option<i64>,
    pub scope: Option<i64>,
    pub campaign_id: Option<i64>,
    pub in_force: Option<bool>,
}

pub fn list_orders(
    conn: &mut DbConn,
    f: &OrderFilter,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<OrderRow>, ApiError> {
    let mut q = orders::table.select(OrderRow::as_select()).into_boxed();
    if let Some(v) = f.enterprise_id {
        q = q.filter(orders::enterprise_id.eq(v));
    }
    if let Some(v) = f.scope {
        q = q.filter(orders::enterprise_id.eq(v));
    }
    if let Some(v) = f.campaign_id {
        q = q.filter(orders::campaign_id.eq(v));
    }
    match f.in_force {
        Some(true) => q = q.filter(orders::lifted_on.is_null()),
        Some(false) => q = q.filter(orders::lifted_on.is_not_null()),
        None => {}
    }
    if let Some(b) = before_id {
        q = q.filter(orders::id.lt(b));
    }
    Ok(q.order(orders::id.desc()).limit(fetch).load(conn)?)
}
