//! Permits in the database: types, applications, certificates, the number sequences, and the
//! two functions that gather what the rules read: [`rule_inputs`] before a decision's write
//! transaction, [`certificate_inputs`] inside it.

use chrono::{Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};
use serde_json::Value;

use super::domain::{
    ApplicationStatus, CertificateStatus, FieldDef, PermitKind, PermitMode, PermitType,
};
use super::rules::{BaseCertificate, FINE_GRACE_DAYS, RuleInputs, TrainingFiling};
use crate::audit::store::{NewChain, taken_is_conflict};
use crate::db::{
    DbConn, constant, on_backend, prepared, prepared_returning, unplanned, with_also, with_also_two,
};
use crate::enterprises::domain::EnterpriseStatus;
use crate::enterprises::store::EnterpriseRow;
use crate::error::ApiError;
use crate::ids::{EnterpriseId, UserId};
use crate::schema::{
    applications, certificates, enterprises, hazards, orders, penalties, permit_types, users,
};
use crate::users::store::Account;

/// Every column of `permit_types`, in table order.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = permit_types)]
pub struct PermitTypeRow {
    pub code: String,
    pub name: String,
    pub mode: String,
    pub kind: String,
    pub validity_months: Option<i32>,
    pub statutory_days: i32,
    pub industries: String,
    pub fields: String,
    pub applies_to: String,
    pub certificate_prefix: Option<String>,
    pub active: bool,
    pub updated_at: Option<NaiveDateTime>,
}

impl PermitTypeRow {
    pub fn to_domain(&self) -> Result<PermitType, ApiError> {
        let bad = |what: &str| {
            ApiError::internal(format!("permit type {}: bad {what} stored", self.code))
        };
        Ok(PermitType {
            code: self.code.clone(),
            name: self.name.clone(),
            mode: PermitMode::parse(&self.mode).ok_or_else(|| bad("mode"))?,
            kind: PermitKind::parse(&self.kind).ok_or_else(|| bad("kind"))?,
            validity_months: self.validity_months.map(|m| m as u32),
            statutory_days: self.statutory_days as u32,
            industries: serde_json::from_str(&self.industries).map_err(|_| bad("industries"))?,
            fields: serde_json::from_str::<Vec<FieldDef>>(&self.fields)
                .map_err(|_| bad("fields"))?,
            applies_to: serde_json::from_str(&self.applies_to).map_err(|_| bad("applies_to"))?,
            certificate_prefix: self.certificate_prefix.clone(),
            active: self.active,
        })
    }
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = permit_types)]
pub struct PermitTypeChanges {
    pub statutory_days: Option<i32>,
    pub validity_months: Option<Option<i32>>,
    pub active: Option<bool>,
    pub updated_at: Option<Option<NaiveDateTime>>,
}

pub fn list_types(conn: &mut DbConn) -> Result<Vec<PermitTypeRow>, ApiError> {
    Ok(permit_types::table
        .select(PermitTypeRow::as_select())
        .order(permit_types::code.asc())
        .load(conn)?)
}

pub fn find_type(conn: &mut DbConn, code: &str) -> Result<Option<PermitTypeRow>, ApiError> {
    Ok(on_backend!(conn, |c| permit_types::table
        .find(code)
        .select(PermitTypeRow::as_select())
        .get_result(c)
        .optional())?)
}

pub fn update_type(
    conn: &mut DbConn,
    code: &str,
    changes: &PermitTypeChanges,
) -> Result<PermitTypeRow, ApiError> {
    diesel::update(permit_types::table.find(code))
        .set(changes)
        .returning(permit_types::all_columns)
        .get_result(conn)
        .optional()?
        .ok_or(ApiError::NotFound)
}

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
    /// Drawn with the decision's reads ([`certificate_inputs`]) or, for a draft, by
    /// [`next_application_id`].
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
    /// Only where [`links_ahead`]: the certificate an approval is about to issue.
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

/// The id the next application will have, for a draft (a decision draws it with its reads,
/// [`certificate_inputs`]).
pub fn next_application_id(conn: &mut DbConn) -> Result<i64, ApiError> {
    next_id(
        conn,
        &["SELECT nextval(pg_get_serial_sequence('applications', 'id'))"],
        &["SELECT COALESCE(MAX(id), 0) + 1 FROM applications"],
    )
}

/// The id the next certificate will have, taken before the certificate is written (see
/// [`links_ahead`]).
pub fn next_certificate_id(conn: &mut DbConn) -> Result<i64, ApiError> {
    next_id(
        conn,
        &["SELECT nextval(pg_get_serial_sequence('certificates', 'id'))"],
        &["SELECT COALESCE(MAX(id), 0) + 1 FROM certificates"],
    )
}

/// PostgreSQL draws the id from the table's sequence. On SQLite this runs inside a write
/// transaction, which holds the database's only write lock, and gives the rowid SQLite itself
/// would give the next row (neither table ever loses a row).
fn next_id(
    conn: &mut DbConn,
    pg: &'static [&'static str],
    sqlite: &'static [&'static str],
) -> Result<i64, ApiError> {
    let sql = match conn {
        DbConn::Pg(_) => pg,
        DbConn::Sqlite(_) => sqlite,
    };
    Ok(prepared_returning::<BigInt, _>(sql, ()).get_result(conn)?)
}

/// Whether an application may be written already linked to a certificate not yet written.
/// PostgreSQL checks that link when the transaction commits (migration 000011), so an instant
/// approval writes the application once, linked, and no update follows under the certificate
/// serial's lock. SQLite checks it at once, so there the link is written after the certificate
/// ([`link_certificate`]); its write transactions are serial, so no lock is held longer for it.
pub fn links_ahead(conn: &DbConn) -> bool {
    matches!(conn, DbConn::Pg(_))
}

/// Runs `$insert` (a diesel insert `RETURNING` the row) and writes `$events` (a
/// `NewChain`) with it: one statement on PostgreSQL (`db::with_also`), one after the other on
/// SQLite, which accepts no write inside `WITH`.
macro_rules! insert_with_events {
    ($conn:expr, $insert:expr, $events:expr $(,)?) => {{
        let insert = $insert;
        match $conn {
            DbConn::Pg(pg) => with_also(insert, $events.insert())
                .get_result(pg)
                .map_err(taken_is_conflict)?,
            DbConn::Sqlite(lite) => {
                let row = insert.get_result(lite)?;
                $events.append($conn)?;
                row
            }
        }
    }};
}

/// Writes an application (under an id drawn first: [`certificate_inputs`] or
/// [`next_application_id`]) and its first audit events.
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
/// to the certificate ([`links_ahead`]); the certificate's own foreign key to the application
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
    certificate_id: i64,
) -> Result<ApplicationRow, ApiError> {
    let linked = prepared(
        &[
            "UPDATE applications SET certificate_id = ",
            " WHERE id = ",
            "",
        ],
        (
            certificate_id.into_sql::<BigInt>(),
            app.id.into_sql::<BigInt>(),
        ),
    )
    .execute(conn)?;
    one_row(linked, "application", app.id)?;
    app.certificate_id = Some(certificate_id);
    Ok(app)
}

pub fn find_application(conn: &mut DbConn, id: i64) -> Result<Option<ApplicationRow>, ApiError> {
    Ok(applications::table
        .find(id)
        .select(ApplicationRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Applies `changes` only while the application is in one of `from`; `None` when another
/// transaction moved it first (the caller answers 409).
pub fn transition(
    conn: &mut DbConn,
    id: i64,
    from: &[ApplicationStatus],
    changes: &ApplicationChanges,
) -> Result<Option<ApplicationRow>, ApiError> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    Ok(diesel::update(
        applications::table
            .filter(applications::id.eq(id))
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

/// Every column of `certificates`, in table order.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = certificates)]
pub struct CertificateRow {
    pub id: i64,
    pub number: String,
    pub permit_type: String,
    pub enterprise_id: i64,
    pub application_id: i64,
    pub holder_name: String,
    pub holder_credit_code: String,
    pub holder_address: String,
    pub holder_legal_representative: String,
    pub scope: String,
    pub issued_at: NaiveDateTime,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: String,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoke_reason: Option<String>,
    pub superseded_by: Option<i64>,
    pub verification_code: String,
    pub signed_payload: String,
    pub signature: String,
    pub updated_at: NaiveDateTime,
}

impl CertificateRow {
    /// The status as of `today`: an active certificate past `valid_until` is expired.
    pub fn status_on(&self, today: NaiveDate) -> CertificateStatus {
        match CertificateStatus::parse(&self.status) {
            Some(CertificateStatus::Active) if self.valid_until < today => {
                CertificateStatus::Expired
            }
            Some(s) => s,
            None => CertificateStatus::Revoked,
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = certificates, treat_none_as_default_value = false)]
pub struct NewCertificate<'a> {
    /// Drawn with the decision's reads ([`certificate_inputs`]) or by
    /// [`next_certificate_id`].
    pub id: i64,
    pub number: &'a str,
    pub permit_type: &'a str,
    pub enterprise_id: i64,
    pub application_id: i64,
    pub holder_name: &'a str,
    pub holder_credit_code: &'a str,
    pub holder_address: &'a str,
    pub holder_legal_representative: &'a str,
    pub scope: String,
    pub issued_at: NaiveDateTime,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: &'a str,
    pub verification_code: &'a str,
    pub signed_payload: &'a str,
    pub signature: &'a str,
    pub updated_at: NaiveDateTime,
}

/// Writes a certificate (under an id drawn first: [`certificate_inputs`] or
/// [`next_certificate_id`]) and its first audit event; on PostgreSQL in one statement, so that
/// the transaction holding the certificate serial's lock makes one round trip fewer before it
/// commits.
pub fn insert_certificate(
    conn: &mut DbConn,
    row: &NewCertificate<'_>,
    event: &NewChain<1>,
) -> Result<CertificateRow, ApiError> {
    Ok(insert_with_events!(
        conn,
        diesel::insert_into(certificates::table)
            .values(row)
            .returning(certificates::all_columns),
        event,
    ))
}

pub fn find_certificate(conn: &mut DbConn, id: i64) -> Result<Option<CertificateRow>, ApiError> {
    Ok(certificates::table
        .find(id)
        .select(CertificateRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn find_certificate_by_number(
    conn: &mut DbConn,
    number: &str,
) -> Result<Option<CertificateRow>, ApiError> {
    Ok(certificates::table
        .filter(certificates::number.eq(number))
        .select(CertificateRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Marks an active certificate superseded by `by`; `false` if it is no longer active.
pub fn supersede(
    conn: &mut DbConn,
    id: i64,
    by: i64,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let n = diesel::update(
        certificates::table
            .filter(certificates::id.eq(id))
            .filter(certificates::status.eq(CertificateStatus::Active.as_str())),
    )
    .set((
        certificates::status.eq(CertificateStatus::Superseded.as_str()),
        certificates::superseded_by.eq(Some(by)),
        certificates::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes an active certificate; `None` if it is no longer active.
pub fn revoke(
    conn: &mut DbConn,
    id: i64,
    reason: &str,
    now: NaiveDateTime,
) -> Result<Option<CertificateRow>, ApiError> {
    Ok(diesel::update(
        certificates::table
            .filter(certificates::id.eq(id))
            .filter(certificates::status.eq(CertificateStatus::Active.as_str())),
    )
    .set((
        certificates::status.eq(CertificateStatus::Revoked.as_str()),
        certificates::revoked_at.eq(Some(now)),
        certificates::revoke_reason.eq(Some(reason)),
        certificates::updated_at.eq(now),
    ))
    .returning(certificates::all_columns)
    .get_result(conn)
    .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct CertificateFilter {
    pub enterprise_id: Option<i64>,
    pub permit_type: Option<String>,
    /// Stored status (`active`, `superseded`, `revoked`).
    pub stored_status: Option<String>,
    /// Active only: `valid_until >= .0` and (when set) `<= .1`.
    pub valid_between: Option<(NaiveDate, Option<NaiveDate>)>,
    /// Active but past `valid_until` (before this date).
    pub expired_before: Option<NaiveDate>,
}

pub fn list_certificates(
    conn: &mut DbConn,
    f: &CertificateFilter,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<CertificateRow>, ApiError> {
    let mut q = certificates::table
        .select(CertificateRow::as_select())
        .into_boxed();
    if let Some(e) = f.enterprise_id {
        q = q.filter(certificates::enterprise_id.eq(e));
    }
    if let Some(t) = &f.permit_type {
        q = q.filter(certificates::permit_type.eq(t.clone()));
    }
    if let Some(s) = &f.stored_status {
        q = q.filter(certificates::status.eq(s.clone()));
    }
    if let Some((from, until)) = f.valid_between {
        q = q
            .filter(certificates::status.eq(CertificateStatus::Active.as_str()))
            .filter(certificates::valid_until.ge(from));
        if let Some(until) = until {
            q = q.filter(certificates::valid_until.le(until));
        }
    }
    if let Some(today) = f.expired_before {
        q = q
            .filter(certificates::status.eq(CertificateStatus::Active.as_str()))
            .filter(certificates::valid_until.lt(today));
    }
    if let Some(before) = before_id {
        q = q.filter(certificates::id.lt(before));
    }
    Ok(q.order(certificates::id.desc()).limit(fetch).load(conn)?)
}

/// The next serial of `prefix` in `year`, inside the caller's transaction: the row update
/// serializes concurrent issuers of one prefix and year, and a rollback returns the number, so
/// serials have no gaps and no duplicates on either backend.
pub fn next_serial(conn: &mut DbConn, prefix: &str, year: i32) -> Result<i64, ApiError> {
    for _ in 0..2 {
        let query = prepared_returning::<BigInt, _>(
            &[
                "UPDATE number_sequences SET last = last + 1 WHERE prefix = ",
                " AND year = ",
                " RETURNING last",
            ],
            (prefix.into_sql::<Text>(), year.into_sql::<Integer>()),
        );
        let bumped: Option<i64> = on_backend!(conn, |c| query.get_result(c).optional())?;
        if let Some(n) = bumped {
            return Ok(n);
        }
        // The first of the year: insert 1, unless a concurrent issuer just did (then bump it).
        let inserted = diesel::sql_query(
            "INSERT INTO number_sequences (prefix, year, last) VALUES ($1, $2, 1) ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(prefix)
        .bind::<Integer, _>(year)
        .execute(conn)?;
        if inserted == 1 {
            return Ok(1);
        }
    }
    Err(ApiError::Conflict(
        "the certificate number sequence is busy; retry".into(),
    ))
}

/// Runs a `count()` query.
macro_rules! count {
    ($query:expr, $conn:expr $(,)?) => {{
        let n: i64 = $query.get_result($conn)?;
        u32::try_from(n).unwrap_or(u32::MAX)
    }};
}

/// The enterprise's record and everything the rules read about it, from its own records:
/// orders, hazards and penalties (the campaign capability's tables), its filings (applications
/// of the filing types that were filed) and its recent revocations. Its active certificates of
/// the type and the certificate continued are left for the write transaction
/// ([`certificate_inputs`]): the inputs returned are not complete until `lifecycle` has read
/// those too. A missing enterprise is a 404.
#[expect(
    clippy::too_many_arguments,
    reason = "the moment, the applicant and the application"
)]
pub(super) fn rule_inputs(
    conn: &mut DbConn,
    enterprise: EnterpriseId,
    caller: Option<UserId>,
    t: &PermitType,
    form: &Value,
    commitment_accepted: bool,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<(Option<Account>, EnterpriseRow, RuleInputs), ApiError> {
    let ent = enterprise.0;
    let filed = ApplicationStatus::Filed.as_str();
    let year_ago = now.checked_sub_months(Months::new(12)).unwrap_or(now);
    let licences = if t.kind.issues_certificate() {
        t.licence_types()
    } else {
        Vec::new()
    };
    // The enterprise in the counts, too: bound, it made PostgreSQL's plan for one enterprise
    // without hazards look cheaper than the generic plan whenever a few enterprises hold most
    // of them.
    let ent_unplanned = || unplanned(ent.into_sql::<BigInt>());
    let revoked_since = |licence: &str| {
        certificates::table
            .filter(certificates::enterprise_id.eq(ent_unplanned()))
            .filter(certificates::permit_type.eq(licence.to_owned()))
            .filter(certificates::status.eq(constant(CertificateStatus::Revoked.as_str())))
            .filter(
                certificates::revoked_at.ge(unplanned(year_ago.into_sql::<Nullable<Timestamp>>())),
            )
            .count()
    };
    // One statement (one round trip, one plan on PostgreSQL): the record with the four counts
    // and the revocations of the (usually only) licence type, once per filing of the
    // enterprise (the filings joined on), or once with none. Without a licence type the count
    // is of type "", which no certificate has. Every value the planner could weigh is either
    // written in (the statuses, levels and filing types: `db::constant`) or `unplanned` (the
    // enterprise in the counts, the dates): otherwise PostgreSQL planned the statement again on
    // every run for the skewed data of a city (most enterprises without hazards, most hazards
    // `general`), at ten times the cost of running it.
    type Counted = (
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    /// A filing's type and form.
    type Filing = Option<(String, String)>;
    // The caller's account rides along (`Caller::confirm_read`): one round trip fewer for an
    // instant application, whose caller has to be confirmed anyway.
    let rows: Vec<(EnterpriseRow, Counted, Filing, Option<Account>)> =
        on_backend!(conn, |c| enterprises::table
            .left_join(users::table.on(users::id.nullable().eq(caller.map(|u| u.0))))
            .left_join(
                applications::table.on(applications::enterprise_id
                    .eq(enterprises::id)
                    // Two `=` rather than `IN (…)`: diesel does not keep an `IN` list's statement
                    // prepared.
                    .and(
                        applications::permit_type
                            .eq(constant("safety_training_filing"))
                            .or(applications::permit_type.eq(constant("emergency_plan_filing"))),
                    )
                    .and(applications::status.eq(constant(filed)))),
            )
            .filter(enterprises::id.eq(ent))
            .select((
                EnterpriseRow::as_select(),
                (
                    orders::table
                        .filter(orders::enterprise_id.eq(ent_unplanned()))
                        .filter(orders::lifted_on.is_null())
                        .count()
                        .single_value(),
                    hazards::table
                        .filter(hazards::enterprise_id.eq(ent_unplanned()))
                        .filter(hazards::level.eq(constant("major")))
                        .filter(hazards::status.ne(constant("verified")))
                        .count()
                        .single_value(),
                    hazards::table
                        .filter(hazards::enterprise_id.eq(ent_unplanned()))
                        .filter(hazards::status.eq(constant("open")))
                        .filter(hazards::deadline.lt(unplanned(today.into_sql::<Date>())))
                        .count()
                        .single_value(),
                    penalties::table
                        .filter(penalties::enterprise_id.eq(ent_unplanned()))
                        .filter(penalties::paid_on.is_null())
                        .filter(penalties::fine_fen.gt(0))
                        .filter(penalties::decided_on.lt(unplanned(
                            (today - chrono::Duration::days(FINE_GRACE_DAYS)).into_sql::<Date>(),
                        )))
                        .count()
                        .single_value(),
                    revoked_since(licences.first().map_or("", String::as_str)).single_value(),
                ),
                (applications::permit_type, applications::form).nullable(),
                Option::<Account>::as_select(),
            ))
            .load(c))?;
    let mut rows = rows.into_iter();
    let (enterprise, counts, first_filing, account) = rows.next().ok_or(ApiError::NotFound)?;
    let small = |n: Option<i64>| u32::try_from(n.unwrap_or(0)).unwrap_or(u32::MAX);
    let (orders_in_force, open_major_hazards, overdue_hazards, unpaid_overdue_fines, revoked) = (
        small(counts.0),
        small(counts.1),
        small(counts.2),
        small(counts.3),
        small(counts.4),
    );
    let filings = first_filing
        .into_iter()
        .chain(rows.filter_map(|(_, _, filing, _)| filing));
    let mut recent_revocations = revoked;
    // A renewal, change or reissue that applies to more than one licence type: one prepared
    // count per further type rather than an `IN (…)` list, which diesel never keeps prepared.
    for licence in licences.iter().skip(1) {
        recent_revocations += count!(revoked_since(licence), conn);
    }
    let mut training_filings = Vec::new();
    let mut emergency_plans_filed = 0u32;
    for (permit_type, form) in filings {
        if permit_type == "emergency_plan_filing" {
            emergency_plans_filed += 1;
            continue;
        }
        let form: Value = serde_json::from_str(&form).unwrap_or(Value::Null);
        let text = |k: &str| form.get(k).and_then(Value::as_str).map(str::to_owned);
        if let (Some(person_role), Some(cert_no), Some(expires_on)) = (
            text("person_role"),
            text("cert_no"),
            text("expires_on").and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
        ) {
            training_filings.push(TrainingFiling {
                person_role,
                cert_no,
                expires_on,
            });
        }
    }
    let text = |k: &str| form.get(k).and_then(Value::as_str).map(str::to_owned);
    let flag = |k: &str| form.get(k).and_then(Value::as_bool);
    let inputs = RuleInputs {
        today,
        enterprise_status: EnterpriseStatus::parse(&enterprise.status)
            .ok_or_else(|| ApiError::internal("unknown enterprise status stored"))?,
        enterprise_industry: enterprise.industry.clone(),
        orders_in_force,
        open_major_hazards,
        overdue_hazards,
        unpaid_overdue_fines,
        training_filings,
        emergency_plans_filed,
        // Read inside the decision's write transaction (`lifecycle::complete_under_lock`), not here.
        active_certificates_of_type: 0,
        base_certificate: None,
        recent_revocations,
        commitment_accepted,
        principal_cert_no: text("principal_cert_no"),
        safety_manager_cert_no: text("safety_manager_cert_no"),
        includes_highly_toxic: flag("includes_highly_toxic"),
        includes_explosive_precursors: flag("includes_explosive_precursors"),
    };
    Ok((account, enterprise, inputs))
}

/// The ids a decision's reads inside its write transaction draw as well ([`certificate_inputs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draw {
    /// None: the application exists.
    Nothing,
    /// The id of the application about to be written.
    Application,
    /// The application's and, where [`links_ahead`], the id of the certificate its approval
    /// would issue, so that the application can be written linked to it.
    ApplicationAndCertificate,
}

/// What a decision reads inside its write transaction: the rule inputs an approval itself
/// changes, and the ids drawn with them.
#[derive(Debug, Clone)]
pub struct CertificateInputs {
    /// The enterprise's active, unexpired certificates of the type applied for (new licences;
    /// 0 for other kinds).
    pub active_of_type: u32,
    /// The certificate a renewal, change or reissue continues.
    pub base: Option<BaseCertificate>,
    pub application_id: Option<i64>,
    pub certificate_id: Option<i64>,
}

/// The two rule inputs that an approval itself changes, and the ids that `draw` asks for, in
/// one statement (the certificate continued, for the kinds that continue one, in a second). A
/// decision reads these inside its write transaction (see `lifecycle::complete_under_lock`),
/// after the other inputs were read before it.
///
/// The ids are taken before the rows are written so that each row is written once: numbering
/// the application afterwards (its number is made from its id) updates an indexed column,
/// which on PostgreSQL writes a new entry into every index of the table. PostgreSQL draws them
/// from the tables' sequences; on SQLite this runs inside a write transaction, which holds the
/// database's only write lock, and gives the rowid SQLite itself would give the next row
/// (neither table ever loses a row).
pub fn certificate_inputs(
    conn: &mut DbConn,
    ent: i64,
    t: &PermitType,
    form: &Value,
    today: NaiveDate,
    draw: Draw,
) -> Result<CertificateInputs, ApiError> {
    // `'active'` is `CertificateStatus::Active`; a type that is not a new licence counts the
    // certificates of type "", which no certificate has.
    const COUNT: &str = "SELECT (SELECT COUNT(*) FROM certificates WHERE enterprise_id = ";
    const PG: &[&str] = &[
        COUNT,
        " AND permit_type = ",
        " AND status = 'active' AND valid_until >= ",
        "), CASE WHEN ",
        " THEN nextval(pg_get_serial_sequence('applications', 'id')) END, CASE WHEN ",
        " THEN nextval(pg_get_serial_sequence('certificates', 'id')) END",
    ];
    const SQLITE: &[&str] = &[
        COUNT,
        " AND permit_type = ",
        " AND status = 'active' AND valid_until >= ",
        "), CASE WHEN ",
        " THEN (SELECT COALESCE(MAX(id), 0) + 1 FROM applications) END, CASE WHEN ",
        " THEN (SELECT COALESCE(MAX(id), 0) + 1 FROM certificates) END",
    ];
    debug_assert_eq!(CertificateStatus::Active.as_str(), "active");
    let licence = if t.kind == PermitKind::Licence {
        t.code.as_str()
    } else {
        ""
    };
    let certificate = draw == Draw::ApplicationAndCertificate && links_ahead(conn);
    let sql = match conn {
        DbConn::Pg(_) => PG,
        DbConn::Sqlite(_) => SQLITE,
    };
    let query = prepared_returning::<(BigInt, Nullable<BigInt>, Nullable<BigInt>), _>(
        sql,
        (
            ent.into_sql::<BigInt>(),
            licence.into_sql::<Text>(),
            today.into_sql::<Date>(),
            (draw != Draw::Nothing).into_sql::<Bool>(),
            certificate.into_sql::<Bool>(),
        ),
    );
    let (active, application_id, certificate_id): (i64, Option<i64>, Option<i64>) =
        on_backend!(conn, |c| query.get_result(c))?;
    let base = match form.get("certificate_no").and_then(Value::as_str) {
        Some(number) if t.kind.continues_licence() => certificates::table
            .filter(certificates::number.eq(number))
            .filter(certificates::enterprise_id.eq(ent))
            .select(CertificateRow::as_select())
            .get_result(conn)
            .optional()?
            .map(|c| BaseCertificate {
                status: c.status_on(today),
                number: c.number,
                permit_type: c.permit_type,
                valid_until: c.valid_until,
            }),
        _ => None,
    };
    Ok(CertificateInputs {
        active_of_type: u32::try_from(active).unwrap_or(u32::MAX),
        base,
        application_id,
        certificate_id,
    })
}

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

/// The enterprise's record, for the holder snapshot and the rules.
pub fn enterprise(conn: &mut DbConn, id: EnterpriseId) -> Result<EnterpriseRow, ApiError> {
    crate::enterprises::store::find(conn, id)?.ok_or(ApiError::NotFound)
}
