//! Reports, their messages and the penalties they led to.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::{DbConn, is_unique_violation};
use crate::error::ApiError;
use crate::ids::{EnterpriseId, PenaltyId, ReportId, UserId};
use crate::reports::domain::{AccidentGrade, ReportStatus};
use crate::schema::{enterprises, penalties, report_messages, report_penalties, reports, users};

/// Every column of `reports`, in table order.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    pub id: i64,
    pub receipt_hash: String,
    pub industry: String,
    pub category: String,
    pub enterprise_name: Option<String>,
    pub enterprise_credit_code: Option<String>,
    pub enterprise_id: Option<i64>,
    pub district: Option<String>,
    pub location: Option<String>,
    pub occurred_on: Option<NaiveDate>,
    pub description: String,
    pub is_employee: bool,
    pub contact_sealed: Option<String>,
    pub status: String,
    pub assignee_id: Option<i64>,
    pub duplicate_of: Option<i64>,
    pub findings: Option<String>,
    pub situation_code: Option<String>,
    pub accident_grade: Option<String>,
    pub concealed_deaths: Option<i32>,
    pub identity_opened_at: Option<NaiveDateTime>,
    pub filed_on: NaiveDate,
    pub received_at: NaiveDateTime,
    pub concluded_on: Option<NaiveDate>,
    pub concluded_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    /// When housekeeping erased the reporter's contact and the payee (retention).
    pub identity_erased_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reports)]
pub struct NewReport {
    pub receipt_hash: String,
    pub industry: String,
    pub category: String,
    pub enterprise_name: Option<String>,
    pub enterprise_credit_code: Option<String>,
    pub enterprise_id: Option<i64>,
    pub district: Option<String>,
    pub location: Option<String>,
    pub occurred_on: Option<NaiveDate>,
    pub description: String,
    pub is_employee: bool,
    pub contact_sealed: Option<String>,
    pub status: String,
    pub assignee_id: Option<i64>,
    pub duplicate_of: Option<i64>,
    pub findings: Option<String>,
    pub situation_code: Option<String>,
    pub accident_grade: Option<String>,
    pub concealed_deaths: Option<i32>,
    pub filed_on: NaiveDate,
    pub received_at: NaiveDateTime,
    pub concluded_on: Option<NaiveDate>,
    pub concluded_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = report_messages)]
pub struct MessageRow {
    pub id: i64,
    pub report_id: i64,
    pub direction: String,
    pub body: String,
    pub author_id: Option<i64>,
    pub at: NaiveDateTime,
}

pub fn insert_report(conn: &mut DbConn, row: &NewReport) -> Result<ReportRow, ApiError> {
    diesel::insert_into(reports::table)
        .values(row)
        .returning(reports::all_columns)
        .get_result(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                // Two reports drew the same 16-digit receipt: astronomically rare; refiling works.
                ApiError::Conflict("please file the report again".into())
            } else {
                e.into()
            }
        })
}

/// Multi-row insert (seeding); callers find the ids by receipt hash.
pub fn insert_reports(conn: &mut DbConn, rows: &[NewReport]) -> Result<(), ApiError> {
    for chunk in rows.chunks(500) {
        crate::db::on_backend!(conn, |c| diesel::insert_into(reports::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn ids_by_receipt_hash(
    conn: &mut DbConn,
    hashes: &[&str],
) -> Result<Vec<(String, ReportId)>, ApiError> {
    let mut out = Vec::with_capacity(hashes.len());
    for chunk in hashes.chunks(1000) {
        let found: Vec<(String, i64)> = reports::table
            .filter(reports::receipt_hash.eq_any(chunk))
            .select((reports::receipt_hash, reports::id))
            .load(conn)?;
        out.extend(found.into_iter().map(|(h, id)| (h, ReportId(id))));
    }
    Ok(out)
}

pub fn find_report(conn: &mut DbConn, id: ReportId) -> Result<Option<ReportRow>, ApiError> {
    Ok(reports::table
        .find(id.0)
        .select(ReportRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn find_by_receipt_hash(conn: &mut DbConn, hash: &str) -> Result<Option<ReportRow>, ApiError> {
    Ok(reports::table
        .filter(reports::receipt_hash.eq(hash))
        .select(ReportRow::as_select())
        .get_result(conn)
        .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct ReportFilter {
    pub status: Option<String>,
    pub category: Option<String>,
    pub industry: Option<String>,
    pub district: Option<String>,
    pub assignee_id: Option<UserId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub fn list_reports(
    conn: &mut DbConn,
    f: &ReportFilter,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<ReportRow>, ApiError> {
    let mut q = reports::table.select(ReportRow::as_select()).into_boxed();
    if let Some(v) = &f.status {
        q = q.filter(reports::status.eq(v.clone()));
    }
    if let Some(v) = &f.category {
        q = q.filter(reports::category.eq(v.clone()));
    }
    if let Some(v) = &f.industry {
        q = q.filter(reports::industry.eq(v.clone()));
    }
    if let Some(v) = &f.district {
        q = q.filter(reports::district.eq(v.clone()));
    }
    if let Some(v) = f.assignee_id {
        q = q.filter(reports::assignee_id.eq(v.0));
    }
    if let Some(v) = f.from {
        q = q.filter(reports::filed_on.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(reports::filed_on.le(v));
    }
    if let Some(before) = before_id {
        q = q.filter(reports::id.lt(before));
    }
    Ok(q.order(reports::id.desc()).limit(fetch).load(conn)?)
}

/// What a transition writes besides the status: `None` leaves a column as it is, `Some(None)`
/// clears it.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = reports)]
pub struct ReportChanges {
    pub status: &'static str,
    pub assignee_id: Option<Option<i64>>,
    pub duplicate_of: Option<Option<i64>>,
    pub findings: Option<Option<String>>,
    pub situation_code: Option<Option<String>>,
    pub accident_grade: Option<Option<String>>,
    pub concealed_deaths: Option<Option<i32>>,
    pub concluded_on: Option<Option<NaiveDate>>,
    pub concluded_at: Option<Option<NaiveDateTime>>,
    pub updated_at: NaiveDateTime,
}

impl ReportChanges {
    /// A move to `to` at `now` that writes nothing else.
    pub fn to(to: ReportStatus, now: NaiveDateTime) -> Self {
        Self {
            status: to.as_str(),
            assignee_id: None,
            duplicate_of: None,
            findings: None,
            situation_code: None,
            accident_grade: None,
            concealed_deaths: None,
            concluded_on: None,
            concluded_at: None,
            updated_at: now,
        }
    }
}

/// The compare-and-set of a report's transition: writes `changes` if the report is in one of
/// `from`, and returns the updated row (`None`: another state, or a concurrent transition
/// won; finish with `db::transition::settle`).
pub fn transition_report(
    conn: &mut DbConn,
    id: ReportId,
    from: &[ReportStatus],
    changes: &ReportChanges,
) -> Result<Option<ReportRow>, ApiError> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    Ok(diesel::update(
        reports::table
            .filter(reports::id.eq(id.0))
            .filter(reports::status.eq_any(from)),
    )
    .set(changes)
    .returning(reports::all_columns)
    .get_result(conn)
    .optional()?)
}

/// The report's status as stored, `None` if there is no such report (a transition's loser).
pub fn report_status(conn: &mut DbConn, id: ReportId) -> Result<Option<String>, ApiError> {
    Ok(reports::table
        .find(id.0)
        .select(reports::status)
        .get_result(conn)
        .optional()?)
}

/// Writes down that an administrator opened the reporter's identity (the reporter sees it).
pub fn mark_identity_opened(
    conn: &mut DbConn,
    id: ReportId,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(reports::table.find(id.0))
        .set(reports::identity_opened_at.eq(Some(now)))
        .execute(conn)?;
    Ok(())
}

/// `(id, district)` of the registered enterprise with this credit code.
pub fn enterprise_by_code(
    conn: &mut DbConn,
    code: &str,
) -> Result<Option<(EnterpriseId, String)>, ApiError> {
    let found: Option<(i64, String)> = enterprises::table
        .filter(enterprises::credit_code.eq(code))
        .select((enterprises::id, enterprises::district))
        .get_result(conn)
        .optional()?;
    Ok(found.map(|(id, district)| (EnterpriseId(id), district)))
}

pub fn insert_message(
    conn: &mut DbConn,
    report: ReportId,
    direction: &str,
    body: &str,
    author: Option<UserId>,
    at: NaiveDateTime,
) -> Result<MessageRow, ApiError> {
    Ok(diesel::insert_into(report_messages::table)
        .values((
            report_messages::report_id.eq(report.0),
            report_messages::direction.eq(direction),
            report_messages::body.eq(body),
            report_messages::author_id.eq(author.map(|a| a.0)),
            report_messages::at.eq(at),
        ))
        .returning(report_messages::all_columns)
        .get_result(conn)?)
}

/// The report's messages in order, optionally only those of the given directions.
pub fn messages(
    conn: &mut DbConn,
    report: ReportId,
    directions: Option<&[&str]>,
) -> Result<Vec<MessageRow>, ApiError> {
    let mut q = report_messages::table
        .filter(report_messages::report_id.eq(report.0))
        .select(MessageRow::as_select())
        .into_boxed();
    if let Some(d) = directions {
        q = q.filter(report_messages::direction.eq_any(d.to_vec()));
    }
    Ok(q.order(report_messages::id.asc()).load(conn)?)
}

pub fn link_penalties(
    conn: &mut DbConn,
    report: ReportId,
    penalty_ids: &[PenaltyId],
) -> Result<(), ApiError> {
    for p in penalty_ids {
        diesel::insert_into(report_penalties::table)
            .values((
                report_penalties::report_id.eq(report.0),
                report_penalties::penalty_id.eq(p.0),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn penalty_ids(conn: &mut DbConn, report: ReportId) -> Result<Vec<PenaltyId>, ApiError> {
    let ids: Vec<i64> = report_penalties::table
        .filter(report_penalties::report_id.eq(report.0))
        .select(report_penalties::penalty_id)
        .order(report_penalties::penalty_id.asc())
        .load(conn)?;
    Ok(ids.into_iter().map(PenaltyId).collect())
}

/// The ids among `ids` that name existing penalties.
pub fn existing_penalties(
    conn: &mut DbConn,
    ids: &[PenaltyId],
) -> Result<Vec<PenaltyId>, ApiError> {
    let found: Vec<i64> = penalties::table
        .filter(penalties::id.eq_any(ids.iter().map(|p| p.0).collect::<Vec<_>>()))
        .select(penalties::id)
        .load(conn)?;
    Ok(found.into_iter().map(PenaltyId).collect())
}

/// The sum of the fines of the penalties the report led to.
pub fn linked_fines(conn: &mut DbConn, report: ReportId) -> Result<i64, ApiError> {
    let fines: Vec<i64> = report_penalties::table
        .inner_join(penalties::table)
        .filter(report_penalties::report_id.eq(report.0))
        .select(penalties::fine_fen)
        .load(conn)?;
    Ok(fines.iter().sum())
}

/// Whether `user` is an active inspector (or admin) who may be assigned reports.
pub fn is_assignable(conn: &mut DbConn, user: UserId) -> Result<bool, ApiError> {
    let row: Option<(String, bool)> = users::table
        .find(user.0)
        .select((users::role, users::disabled))
        .get_result(conn)
        .optional()?;
    Ok(matches!(row, Some((role, false)) if role == "inspector" || role == "admin"))
}

/// Stored text of an accident grade, for the changeset.
pub fn grade_text(g: Option<AccidentGrade>) -> Option<String> {
    g.map(|g| g.as_str().to_owned())
}

/// The first inspector's account (the demo seed assigns its reports to it).
pub fn first_inspector(conn: &mut DbConn) -> Result<UserId, ApiError> {
    let id: i64 = users::table
        .filter(users::role.eq("inspector"))
        .select(users::id)
        .order(users::id.asc())
        .first(conn)?;
    Ok(UserId(id))
}
