//! Applications: the row, its writes (with their first audit events), its reads.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde_json::Value;

use super::{CertificateRow, NewCertificate};
use crate::audit::store::{NewChain, taken_is_conflict};
use crate::db::{DbConn, prepared, with_also, with_also_two};
use crate::error::ApiError;
use crate::ids::{ApplicationId, CertificateId};
use crate::permits::domain::ApplicationStatus;
use crate::schema::{applications, certificates, enterprises, permit_types};

/// Every column of `applications`, in table order.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = applications)]
pub struct ApplicationRow {
    pub id: i64,
    pub number: String,
    pub enterprise_id: i64,
    pub permit_type: String,
    pub mode: String,
    pub form: String,
    pub commitment_accepted: bool,
    pub status: String,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub due_on: Option<NaiveDate>,
    pub decided_by: Option<i64>,
    pub decision_reason: Option<String>,
    pub rule_results: Option<String>,
    pub certificate_id: Option<i64>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ApplicationRow {
    pub fn status(&self) -> Result<ApplicationStatus, ApiError> {
        ApplicationStatus::parse(&self.status)
            .ok_or_else(|| ApiError::internal("unknown application status stored"))
    }
    pub fn form_value(&self) -> Result<Value, ApiError> {
        serde_json::from_str(&self.form).map_err(ApiError::internal)
    }
}

/// A new application: a draft, or (created and submitted at once) already decided. `None`s
/// are written as NULL, so the statement is the same every time and stays prepared.
#[derive(Debug, Insertable)]
#[diesel(table_name = applications, treat_none_as_default_value = false)]
pub struct NewApplication<'a> {
    /// Drawn with the decision's reads ([`certificate_inputs`](super::certificate_inputs)) or, for a draft, by
    /// [`next_application_id`](super::next_application_id).
    pub id: i64,
    pub number: String,
    pub enterprise_id: i64,
    pub permit_type: &'a str,
    pub mode: &'a str,
    pub form: String,
    pub commitment_accepted: bool,
    pub status: &'a str,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub due_on: Option<NaiveDate>,
    pub rule_results: Option<String>,
    /// Only where [`links_ahead`](super::links_ahead): the certificate an approval is about to issue.
    pub certificate_id: Option<i64>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a state transition writes.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = applications)]
pub struct ApplicationChanges {
    pub form: Option<String>,
    pub commitment_accepted: Option<bool>,
    pub status: Option<String>,
    pub submitted_at: Option<Option<NaiveDateTime>>,
    pub decided_at: Option<Option<NaiveDateTime>>,
    pub due_on: Option<Option<NaiveDate>>,
    pub decided_by: Option<Option<i64>>,
    pub decision_reason: Option<Option<String>>,
    pub rule_results: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
}

/// Writes an application (under an id drawn first: [`certificate_inputs`](super::certificate_inputs) or
/// [`next_application_id`](super::next_application_id)) and its first audit events.
pub fn insert_application<const N: usize>(
    conn: &mut DbConn,
    row: NewApplication<'_>,
    events: &NewChain<N>,
) -> Result<ApplicationRow, ApiError> {
    Ok(insert_with_events!(
        conn,
        diesel::insert_into(applications::table)
            .values(row)
            .returning(applications::all_columns),
        events,
    ))
}

/// An update by id that this transaction depends on must have found its row.
fn one_row(updated: usize, what: &str, id: i64) -> Result<(), ApiError> {
    if updated == 1 {
        Ok(())
    } else {
        Err(ApiError::internal(format!("{what} {id} was not updated")))
    }
}

impl NewApplication<'_> {
    /// The row as this writes it.
    pub fn as_written(&self) -> ApplicationRow {
        ApplicationRow {
            id: self.id,
            number: self.number.clone(),
            enterprise_id: self.enterprise_id,
            permit_type: self.permit_type.to_owned(),
            mode: self.mode.to_owned(),
            form: self.form.clone(),
            commitment_accepted: self.commitment_accepted,
            status: self.status.to_owned(),
            submitted_at: self.submitted_at,
            decided_at: self.decided_at,
            due_on: self.due_on,
            decided_by: None,
            decision_reason: None,
            rule_results: self.rule_results.clone(),
            certificate_id: self.certificate_id,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A new licence's instant approval: the application and the certificate, with their first
/// audit events (the application's, then the certificate's, in one insert), in one PostgreSQL
/// statement ([`db::with_also_two`](crate::db::with_also_two)). The application is linked ahead
/// to the certificate ([`links_ahead`](super::links_ahead)); the certificate's own foreign key to the application
/// is checked at the end of the statement, which sees both. Returns the certificate as written.
pub fn insert_approval(
    conn: &mut DbConn,
    application: NewApplication<'_>,
    certificate: &NewCertificate<'_>,
    events: &NewChain<4>,
) -> Result<CertificateRow, ApiError> {
    let DbConn::Pg(pg) = conn else {
        return Err(ApiError::internal(
            "an approval is written in one statement on PostgreSQL only",
        ));
    };
    with_also_two(
        diesel::insert_into(certificates::table)
            .values(certificate)
            .returning(certificates::all_columns),
        events.insert(),
        diesel::insert_into(applications::table).values(application),
    )
    .get_result(pg)
    .map_err(taken_is_conflict)
}

/// Links an application to the certificate issued on it; returns `app` linked. Only
/// `certificate_id` changes, which no index holds, so PostgreSQL updates the row in place
/// (a heap-only update) instead of adding an entry to each of its indexes.
pub fn link_certificate(
    conn: &mut DbConn,
    mut app: ApplicationRow,
    certificate_id: CertificateId,
) -> Result<ApplicationRow, ApiError> {
    let linked = prepared(
        &[
            "UPDATE applications SET certificate_id = ",
            " WHERE id = ",
            "",
        ],
        (
            certificate_id.0.into_sql::<BigInt>(),
            app.id.into_sql::<BigInt>(),
        ),
    )
    .execute(conn)?;
    one_row(linked, "application", app.id)?;
    app.certificate_id = Some(certificate_id.0);
    Ok(app)
}

pub fn find_application(
    conn: &mut DbConn,
    id: ApplicationId,
) -> Result<Option<ApplicationRow>, ApiError> {
    Ok(applications::table
        .find(id.0)
        .select(ApplicationRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Applies `changes` only while the application is in one of `from`; `None` when another
/// transaction moved it first (the caller answers 409).
pub fn transition(
    conn: &mut DbConn,
    id: ApplicationId,
    from: &[ApplicationStatus],
    changes: &ApplicationChanges,
) -> Result<Option<ApplicationRow>, ApiError> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    Ok(diesel::update(
        applications::table
            .filter(applications::id.eq(id.0))
            .filter(applications::status.eq_any(from)),
    )
    .set(changes)
    .returning(applications::all_columns)
    .get_result(conn)
    .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct ApplicationFilter {
    pub enterprise_id: Option<i64>,
    pub status: Option<String>,
    pub permit_type: Option<String>,
    pub submitted_from: Option<NaiveDateTime>,
    pub submitted_before: Option<NaiveDateTime>,
    /// Under review past `due_on` (strictly before this date).
    pub overdue_before: Option<NaiveDate>,
}

pub fn list_applications(
    conn: &mut DbConn,
    f: &ApplicationFilter,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<ApplicationRow>, ApiError> {
    let mut q = applications::table
        .select(ApplicationRow::as_select())
        .into_boxed();
    if let Some(e) = f.enterprise_id {
        q = q.filter(applications::enterprise_id.eq(e));
    }
    if let Some(s) = &f.status {
        q = q.filter(applications::status.eq(s.clone()));
    }
    if let Some(t) = &f.permit_type {
        q = q.filter(applications::permit_type.eq(t.clone()));
    }
    if let Some(from) = f.submitted_from {
        q = q.filter(applications::submitted_at.ge(from));
    }
    if let Some(before) = f.submitted_before {
        q = q.filter(applications::submitted_at.lt(before));
    }
    if let Some(today) = f.overdue_before {
        q = q
            .filter(applications::status.eq(ApplicationStatus::UnderReview.as_str()))
            .filter(applications::due_on.lt(today));
    }
    if let Some(before) = before_id {
        q = q.filter(applications::id.lt(before));
    }
    Ok(q.order(applications::id.desc()).limit(fetch).load(conn)?)
}

/// The review queue: applications under review, the nearest due date first, with their
/// enterprise's and permit type's names; at most `fetch`.
pub fn review_queue(
    conn: &mut DbConn,
    fetch: i64,
) -> Result<Vec<(ApplicationRow, String, String)>, ApiError> {
    Ok(applications::table
        .inner_join(enterprises::table)
        .inner_join(permit_types::table)
        .filter(applications::status.eq(ApplicationStatus::UnderReview.as_str()))
        .order((applications::due_on.asc(), applications::id.asc()))
        .select((
            ApplicationRow::as_select(),
            enterprises::name,
            permit_types::name,
        ))
        .limit(fetch)
        .load(conn)?)
}
