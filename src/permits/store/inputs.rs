//! The two functions that gather what the rules read: [`rule_inputs`] before a decision's
//! write transaction, [`certificate_inputs`] inside it.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Nullable, Text, Timestamp};
use serde_json::Value;

use super::{CertificateRow, links_ahead};
use crate::db::{DbConn, constant, on_backend, prepared_returning, unplanned};
use crate::enterprises::domain::EnterpriseStatus;
use crate::enterprises::store::EnterpriseRow;
use crate::error::ApiError;
use crate::ids::{ApplicationId, CertificateId, EnterpriseId, UserId};
use crate::permits::domain::{ApplicationStatus, CertificateStatus, PermitKind, PermitType};
use crate::permits::rules::{BaseCertificate, Lookback, RuleInputs, TrainingFiling};
use crate::schema::{applications, certificates, enterprises, hazards, orders, penalties, users};
use crate::users::store::Account;

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
/// those too. A missing enterprise is a 404. How far back the fines and revocations count is
/// the rules' [`Lookback`], bound here as dates.
#[expect(
    clippy::too_many_arguments,
    reason = "the moment, the applicant and the application"
)]
pub(in crate::permits) fn rule_inputs(
    conn: &mut DbConn,
    enterprise: EnterpriseId,
    caller: Option<UserId>,
    t: &PermitType,
    form: &Value,
    commitment_accepted: bool,
    today: NaiveDate,
    lookback: Lookback,
) -> Result<(Option<Account>, EnterpriseRow, RuleInputs), ApiError> {
    let ent = enterprise.0;
    let filed = ApplicationStatus::Filed.as_str();
    let revoked_from = lookback.revoked_since;
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
                certificates::revoked_at
                    .ge(unplanned(revoked_from.into_sql::<Nullable<Timestamp>>())),
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
                        .filter(
                            penalties::decided_on
                                .lt(unplanned(lookback.fines_decided_before.into_sql::<Date>(),))
                        )
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
    pub application_id: Option<ApplicationId>,
    pub certificate_id: Option<CertificateId>,
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
    ent: EnterpriseId,
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
            ent.0.into_sql::<BigInt>(),
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
            .filter(certificates::enterprise_id.eq(ent.0))
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
        application_id: application_id.map(ApplicationId),
        certificate_id: certificate_id.map(CertificateId),
    })
}
