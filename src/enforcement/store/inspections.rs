//! Inspections in the database, with the copies of their enterprise's cell the figures count by.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::insert_many;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::{CampaignId, EnterpriseId, GroupId, InspectionId, UserId};
use crate::schema::{enterprises, hazards, inspection_inspectors, inspections};

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

/// The enterprise's `(district, industry)`, as copied onto its inspections and hazards.
pub(super) fn enterprise_cell(
    conn: &mut DbConn,
    enterprise_id: i64,
) -> Result<(String, String), ApiError> {
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
    enterprise_id: EnterpriseId,
    district: &str,
    industry: &str,
) -> Result<(), ApiError> {
    let enterprise_id = enterprise_id.0;
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
    inspector_ids: &[UserId],
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
        .map(|inspector| NewInspectionInspector {
            inspection_id: row.id,
            inspector_id: inspector.0,
        })
        .collect();
    insert_many!(conn, inspection_inspectors::table, links, 1000)?;
    Ok(row)
}

pub fn find_inspection(
    conn: &mut DbConn,
    id: InspectionId,
) -> Result<Option<InspectionRow>, ApiError> {
    Ok(inspections::table
        .find(id.0)
        .select(InspectionRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn inspectors_of(
    conn: &mut DbConn,
    inspection_ids: &[InspectionId],
) -> Result<Vec<(i64, i64)>, ApiError> {
    Ok(inspection_inspectors::table
        .filter(inspection_inspectors::inspection_id.eq_any(inspection_ids.iter().map(|i| i.0)))
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
    pub campaign_id: Option<CampaignId>,
    pub group_id: Option<GroupId>,
    pub enterprise_id: Option<EnterpriseId>,
    /// An enterprise user's own enterprise.
    pub scope: Option<EnterpriseId>,
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
        q = q.filter(inspections::campaign_id.eq(v.0));
    }
    if let Some(v) = f.group_id {
        q = q.filter(inspections::group_id.eq(v.0));
    }
    if let Some(v) = f.enterprise_id {
        q = q.filter(inspections::enterprise_id.eq(v.0));
    }
    if let Some(v) = f.scope {
        q = q.filter(inspections::enterprise_id.eq(v.0));
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
