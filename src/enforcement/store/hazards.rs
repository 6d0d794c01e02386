//! Hazards in the database: the compare-and-set of their state machine and the lists (the
//! busiest read of the service).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::super::domain::{HazardLevel, HazardStatus};
use super::inspections::enterprise_cell;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::{CampaignId, EnterpriseId, HazardId, InspectionId};
use crate::schema::hazards;

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

pub fn find_hazard(conn: &mut DbConn, id: HazardId) -> Result<Option<HazardRow>, ApiError> {
    Ok(hazards::table
        .find(id.0)
        .select(HazardRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn hazards_of_inspection(
    conn: &mut DbConn,
    inspection_id: InspectionId,
) -> Result<Vec<HazardRow>, ApiError> {
    Ok(hazards::table
        .filter(hazards::inspection_id.eq(inspection_id.0))
        .select(HazardRow::as_select())
        .order(hazards::id.asc())
        .load(conn)?)
}

/// Compare-and-set on the hazard's status: `None` when it is no longer `from` (the use case
/// settles it with `db::transition::settle`). The status is written in (`db::constant`): the
/// partial indexes on open hazards name the column.
pub fn transition_hazard(
    conn: &mut DbConn,
    id: HazardId,
    from: HazardStatus,
    changes: &HazardChanges,
) -> Result<Option<HazardRow>, ApiError> {
    Ok(diesel::update(
        hazards::table
            .filter(hazards::id.eq(id.0))
            .filter(hazards::status.eq(crate::db::constant(from.as_str()))),
    )
    .set(changes)
    .returning(hazards::all_columns)
    .get_result(conn)
    .optional()?)
}

/// The hazard's stored status, `None` when there is no such hazard.
pub fn hazard_status(conn: &mut DbConn, id: HazardId) -> Result<Option<String>, ApiError> {
    Ok(hazards::table
        .find(id.0)
        .select(hazards::status)
        .get_result(conn)
        .optional()?)
}

/// Ids of the enterprise's major hazards that are not yet verified.
pub fn open_major_hazards(
    conn: &mut DbConn,
    enterprise_id: EnterpriseId,
) -> Result<Vec<HazardId>, ApiError> {
    let ids: Vec<i64> = hazards::table
        .filter(hazards::enterprise_id.eq(enterprise_id.0))
        .filter(hazards::level.eq(crate::db::constant(HazardLevel::Major.as_str())))
        .filter(hazards::status.ne(crate::db::constant(HazardStatus::Verified.as_str())))
        .select(hazards::id)
        .order(hazards::id.asc())
        .load(conn)?;
    Ok(ids.into_iter().map(HazardId).collect())
}

#[derive(Debug, Default, Clone)]
pub struct HazardFilter {
    pub enterprise_id: Option<EnterpriseId>,
    /// An enterprise user's own enterprise.
    pub scope: Option<EnterpriseId>,
    pub campaign_id: Option<CampaignId>,
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
        q = q.filter(hazards::enterprise_id.eq(v.0));
    }
    if let Some(v) = f.scope {
        q = q.filter(hazards::enterprise_id.eq(v.0));
    }
    if let Some(v) = f.campaign_id {
        q = q.filter(hazards::campaign_id.eq(v.0));
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
