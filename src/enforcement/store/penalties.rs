//! Penalties in the database.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::{DbConn, is_unique_violation};
use crate::error::ApiError;
use crate::ids::{CampaignId, EnterpriseId, PenaltyId};
use crate::schema::penalties;

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

pub fn find_penalty(conn: &mut DbConn, id: PenaltyId) -> Result<Option<PenaltyRow>, ApiError> {
    Ok(penalties::table
        .find(id.0)
        .select(PenaltyRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Records payment once: compare-and-set on an unpaid penalty, `None` when it is paid already
/// (or does not exist).
pub fn pay_penalty(
    conn: &mut DbConn,
    id: PenaltyId,
    paid_on: NaiveDate,
    now: NaiveDateTime,
) -> Result<Option<PenaltyRow>, ApiError> {
    Ok(diesel::update(
        penalties::table
            .filter(penalties::id.eq(id.0))
            .filter(penalties::paid_on.is_null()),
    )
    .set((
        penalties::paid_on.eq(paid_on),
        penalties::updated_at.eq(now),
    ))
    .returning(penalties::all_columns)
    .get_result(conn)
    .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct PenaltyFilter {
    pub enterprise_id: Option<EnterpriseId>,
    /// An enterprise user's own enterprise.
    pub scope: Option<EnterpriseId>,
    pub campaign_id: Option<CampaignId>,
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
        q = q.filter(penalties::enterprise_id.eq(v.0));
    }
    if let Some(v) = f.scope {
        q = q.filter(penalties::enterprise_id.eq(v.0));
    }
    if let Some(v) = f.campaign_id {
        q = q.filter(penalties::campaign_id.eq(v.0));
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
