//! Certificates: the row, its writes, its reads, and the serials that number them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::audit::store::{NewChain, taken_is_conflict};
use crate::db::{DbConn, on_backend, prepared_returning, with_also};
use crate::error::ApiError;
use crate::ids::CertificateId;
use crate::permits::domain::CertificateStatus;
use crate::schema::certificates;

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
    /// Drawn with the decision's reads ([`certificate_inputs`](super::certificate_inputs)) or by
    /// [`next_certificate_id`](super::next_certificate_id).
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

/// Writes a certificate (under an id drawn first: [`certificate_inputs`](super::certificate_inputs) or
/// [`next_certificate_id`](super::next_certificate_id)) and its first audit event; on PostgreSQL in one statement, so that
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

pub fn find_certificate(
    conn: &mut DbConn,
    id: CertificateId,
) -> Result<Option<CertificateRow>, ApiError> {
    Ok(certificates::table
        .find(id.0)
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
    id: CertificateId,
    by: CertificateId,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let n = diesel::update(
        certificates::table
            .filter(certificates::id.eq(id.0))
            .filter(certificates::status.eq(CertificateStatus::Active.as_str())),
    )
    .set((
        certificates::status.eq(CertificateStatus::Superseded.as_str()),
        certificates::superseded_by.eq(Some(by.0)),
        certificates::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes an active certificate; `None` if it is no longer active.
pub fn revoke(
    conn: &mut DbConn,
    id: CertificateId,
    reason: &str,
    now: NaiveDateTime,
) -> Result<Option<CertificateRow>, ApiError> {
    Ok(diesel::update(
        certificates::table
            .filter(certificates::id.eq(id.0))
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
