//! Violation records: recording, the flags of one employee's window, correction and the list.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::{EnterpriseId, NegativeListId, ViolationId};
use crate::negative_lists::domain::{Flags, Recorded};
use crate::schema::violations;

/// Every column of `violations`, in table order.
#[derive(Debug, Clone, Queryable)]
pub struct ViolationRow {
    #[diesel(deserialize_as = i64)]
    pub id: ViolationId,
    #[diesel(deserialize_as = i64)]
    pub enterprise_id: EnterpriseId,
    #[diesel(deserialize_as = i64)]
    pub list_id: NegativeListId,
    pub item_code: String,
    pub category: String,
    pub severity: String,
    pub employee_ref: String,
    pub occurred_at: NaiveDateTime,
    pub location: String,
    pub description: String,
    pub handling: String,
    pub fine_fen: i64,
    pub recorded_by: i64,
    pub corrected_at: Option<NaiveDateTime>,
    pub correction_note: Option<String>,
    pub repeat: bool,
    pub escalated: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = violations)]
pub struct NewViolation {
    pub enterprise_id: i64,
    pub list_id: i64,
    pub item_code: String,
    pub category: String,
    pub severity: String,
    pub employee_ref: String,
    pub occurred_at: NaiveDateTime,
    pub location: String,
    pub description: String,
    pub handling: String,
    pub fine_fen: i64,
    pub recorded_by: i64,
    pub corrected_at: Option<NaiveDateTime>,
    pub correction_note: Option<String>,
    pub repeat: bool,
    pub escalated: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_violation(conn: &mut DbConn, row: &NewViolation) -> Result<ViolationRow, ApiError> {
    Ok(diesel::insert_into(violations::table)
        .values(row)
        .returning(violations::all_columns)
        .get_result(conn)?)
}

/// Many rows with multi-row statements (demo data, benchmarks); no flags are computed.
pub fn insert_violations(conn: &mut DbConn, rows: &[NewViolation]) -> Result<(), ApiError> {
    for chunk in rows.chunks(500) {
        crate::db::on_backend!(conn, |c| diesel::insert_into(violations::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn find_violation(
    conn: &mut DbConn,
    id: ViolationId,
) -> Result<Option<ViolationRow>, ApiError> {
    Ok(violations::table
        .find(id.0)
        .select(violations::all_columns)
        .get_result(conn)
        .optional()?)
}

/// One employee's violations with `occurred_at` in `[lo, hi]`, sorted by `(occurred_at, id)`.
pub fn employee_window(
    conn: &mut DbConn,
    enterprise: EnterpriseId,
    employee_ref: &str,
    lo: NaiveDateTime,
    hi: NaiveDateTime,
) -> Result<Vec<Recorded>, ApiError> {
    let rows: Vec<(i64, NaiveDateTime, bool, bool)> = violations::table
        .filter(violations::enterprise_id.eq(enterprise.0))
        .filter(violations::employee_ref.eq(employee_ref))
        .filter(violations::occurred_at.between(lo, hi))
        .order((violations::occurred_at.asc(), violations::id.asc()))
        .select((
            violations::id,
            violations::occurred_at,
            violations::repeat,
            violations::escalated,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, occurred_at, repeat, escalated)| Recorded {
            id,
            occurred_at,
            flags: Flags { repeat, escalated },
        })
        .collect())
}

pub fn set_flags(
    conn: &mut DbConn,
    id: ViolationId,
    flags: Flags,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(violations::table.filter(violations::id.eq(id.0)))
        .set((
            violations::repeat.eq(flags.repeat),
            violations::escalated.eq(flags.escalated),
            violations::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets `corrected_at` once: `None` when the violation was already corrected.
pub fn correct(
    conn: &mut DbConn,
    id: ViolationId,
    corrected_at: NaiveDateTime,
    note: &str,
    now: NaiveDateTime,
) -> Result<Option<ViolationRow>, ApiError> {
    Ok(diesel::update(
        violations::table
            .filter(violations::id.eq(id.0))
            .filter(violations::corrected_at.is_null()),
    )
    .set((
        violations::corrected_at.eq(Some(corrected_at)),
        violations::correction_note.eq(Some(note)),
        violations::updated_at.eq(now),
    ))
    .returning(violations::all_columns)
    .get_result(conn)
    .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct ViolationFilter {
    pub enterprise: Option<EnterpriseId>,
    pub category: Option<String>,
    pub severity: Option<String>,
    /// `occurred_at ≥ start`
    pub start: Option<NaiveDateTime>,
    /// `occurred_at < end`
    pub end: Option<NaiveDateTime>,
    pub corrected: Option<bool>,
    pub repeat: Option<bool>,
}

pub fn violations(
    conn: &mut DbConn,
    f: &ViolationFilter,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<ViolationRow>, ApiError> {
    let mut query = violations::table
        .select(violations::all_columns)
        .into_boxed();
    if let Some(e) = f.enterprise {
        query = query.filter(violations::enterprise_id.eq(e.0));
    }
    if let Some(c) = &f.category {
        query = query.filter(violations::category.eq(c.clone()));
    }
    if let Some(s) = &f.severity {
        query = query.filter(violations::severity.eq(s.clone()));
    }
    if let Some(start) = f.start {
        query = query.filter(violations::occurred_at.ge(start));
    }
    if let Some(end) = f.end {
        query = query.filter(violations::occurred_at.lt(end));
    }
    match f.corrected {
        Some(true) => query = query.filter(violations::corrected_at.is_not_null()),
        Some(false) => query = query.filter(violations::corrected_at.is_null()),
        None => {}
    }
    if let Some(r) = f.repeat {
        query = query.filter(violations::repeat.eq(r));
    }
    if let Some(before) = before_id {
        query = query.filter(violations::id.lt(before));
    }
    Ok(query.order(violations::id.desc()).limit(fetch).load(conn)?)
}
