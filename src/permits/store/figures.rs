//! What the permit figures count.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::ApiError;
use crate::permits::domain::{ApplicationStatus, CertificateStatus};
use crate::schema::{applications, certificates};

/// One application as the statistics read it.
#[derive(Debug, Clone, Queryable)]
pub struct StatRow {
    pub permit_type: String,
    pub mode: String,
    pub status: String,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<i64>,
}

/// Applications submitted in `[from, before)`.
pub fn submitted_between(
    conn: &mut DbConn,
    from: NaiveDateTime,
    before: NaiveDateTime,
) -> Result<Vec<StatRow>, ApiError> {
    Ok(applications::table
        .filter(applications::submitted_at.ge(from))
        .filter(applications::submitted_at.lt(before))
        .select((
            applications::permit_type,
            applications::mode,
            applications::status,
            applications::submitted_at,
            applications::decided_at,
            applications::decided_by,
        ))
        .load(conn)?)
}

/// `(open, overdue)` reviews now.
pub fn reviews_open(conn: &mut DbConn, today: NaiveDate) -> Result<(i64, i64), ApiError> {
    let open = applications::table
        .filter(applications::status.eq(ApplicationStatus::UnderReview.as_str()))
        .count()
        .get_result(conn)?;
    let overdue = applications::table
        .filter(applications::status.eq(ApplicationStatus::UnderReview.as_str()))
        .filter(applications::due_on.lt(today))
        .count()
        .get_result(conn)?;
    Ok((open, overdue))
}

/// `(issued in [from, before), active now, active and expiring by `horizon`)`.
pub fn certificate_counts(
    conn: &mut DbConn,
    from: NaiveDateTime,
    before: NaiveDateTime,
    today: NaiveDate,
    horizon: NaiveDate,
) -> Result<(i64, i64, i64), ApiError> {
    let issued = certificates::table
        .filter(certificates::issued_at.ge(from))
        .filter(certificates::issued_at.lt(before))
        .count()
        .get_result(conn)?;
    let active = certificates::table
        .filter(certificates::status.eq(CertificateStatus::Active.as_str()))
        .filter(certificates::valid_until.ge(today))
        .count()
        .get_result(conn)?;
    let expiring = certificates::table
        .filter(certificates::status.eq(CertificateStatus::Active.as_str()))
        .filter(certificates::valid_until.ge(today))
        .filter(certificates::valid_until.le(horizon))
        .count()
        .get_result(conn)?;
    Ok((issued, active, expiring))
}
