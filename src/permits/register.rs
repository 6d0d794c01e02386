//! The certificate register's use cases: the certificate an approval issues (numbered, signed
//! and written with its audit event, superseding the one a renewal, change or reissue
//! continues), its revocation, and the reads: the list, one certificate with its timeline,
//! and the public verification by number and code.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::applications::filters_out_everything;
use super::certificates::{self, PublicFields};
use super::context::{CERTIFICATE, Ctx};
use super::domain::{self, ApplicationStatus, CertificateStatus, PermitKind, PermitType};
use super::error::PermitError;
use super::store::{self, ApplicationRow, CertificateRow, NewApplication, NewCertificate};
use super::views::{CertificateView, VerificationView, certificate_view};
use crate::actor::Scope;
use crate::audit;
use crate::audit::store::NewChain;
use crate::db::DbConn;
use crate::db::transition::{Event, settle};
use crate::enterprises::store::EnterpriseRow;
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CertificateId, EnterpriseId};
use crate::validate::{Invalid, Validator};

/// The scope printed on a certificate: the form without the people's training certificate
/// numbers (they are checked, not licensed).
fn scope_of(form: &Value) -> Value {
    let mut scope = form.clone();
    if let Some(map) = scope.as_object_mut() {
        map.remove("principal_cert_no");
        map.remove("safety_manager_cert_no");
    }
    scope
}

/// After the rules' decision: an approval issues its certificate (as the system).
pub(super) fn issue_if_approved(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    status: ApplicationStatus,
    app: &ApplicationRow,
    t: &PermitType,
    form: &Value,
    enterprise: &EnterpriseRow,
) -> Result<(ApplicationRow, Option<CertificateRow>), PermitError> {
    if status == ApplicationStatus::Approved {
        let (linked, cert) = issue(
            conn,
            &ctx.as_system(),
            app,
            t,
            form,
            enterprise,
            Issuing::Certificate,
        )?;
        Ok((linked, Some(cert)))
    } else {
        Ok((app.clone(), None))
    }
}

/// What [`issue`] writes.
pub(super) enum Issuing<'a> {
    /// The certificate: its application is written already.
    Certificate,
    /// A new licence's instant approval (`create_submitted`, PostgreSQL): its application,
    /// not written yet and linked ahead to the certificate (`store::links_ahead`), with its
    /// first audit events, written with the certificate in one statement
    /// (`store::insert_approval`).
    WithApplication(Box<NewApplication<'a>>, &'a NewChain<3>),
}

/// Issues the certificate of an approved application and links it; a renewal, change or
/// reissue takes the permit type and scope of the certificate it continues and supersedes it.
/// The holder is `enterprise` as read for the decision.
///
/// What the certificate needs besides its serial is read and drawn first; then the serial is
/// taken, and the certificate is numbered, signed and written once, with its first audit event
/// in one statement (with its application too, for a new licence's instant approval on
/// PostgreSQL: [`Issuing::WithApplication`]).
/// The serial's row stays locked until commit (that is what keeps the numbers gap-free):
/// other processes' issuers wait for it; this process's write jobs run one after another
/// anyway (`db::writer`). Renewals, changes and reissues add the superseding of the old
/// certificate, and a request with an `Idempotency-Key` its stored answer.
pub(super) fn issue(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    app: &ApplicationRow,
    t: &PermitType,
    form: &Value,
    enterprise: &EnterpriseRow,
    issuing: Issuing<'_>,
) -> Result<(ApplicationRow, CertificateRow), PermitError> {
    let base = if t.kind.continues_licence() {
        let number = form
            .get("certificate_no")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                PermitError::Conflict("the certificate to continue is not named".into())
            })?;
        let base = store::find_certificate_by_number(conn, number)?
            .filter(|c| {
                c.enterprise_id == app.enterprise_id && t.applies_to.contains(&c.permit_type)
            })
            .ok_or_else(|| {
                PermitError::Conflict(format!(
                    "{number} is not a certificate this application can continue"
                ))
            })?;
        Some(base)
    } else {
        None
    };
    let (licence, scope) = match &base {
        Some(b) => (
            store::find_type(conn, &b.permit_type)?
                .ok_or_else(|| ApiError::internal("the base certificate's type is gone"))?
                .to_domain()?,
            serde_json::from_str::<Value>(&b.scope).map_err(ApiError::internal)?,
        ),
        None => (t.clone(), scope_of(form)),
    };
    let prefix = licence
        .certificate_prefix
        .clone()
        .ok_or_else(|| ApiError::internal(format!("{} has no certificate prefix", licence.code)))?;
    let (valid_from, valid_until) = certificates::validity(
        t.kind,
        t.validity_months,
        ctx.today,
        base.as_ref().map(|b| b.valid_until),
    )
    .ok_or_else(|| ApiError::internal("no validity for this permit type"))?;
    let code = certificates::verification_code(&mut rand::thread_rng());
    // Where the application's link may wait for its certificate (`links_ahead`, PostgreSQL),
    // it is written before the serial is taken, unless `create_submitted` has the application
    // linked already (written here with the certificate, or before). On SQLite the link
    // follows the certificate.
    let (certificate_id, app) = match app.certificate_id {
        Some(id) => (CertificateId(id), app.clone()),
        None => {
            let id = store::next_certificate_id(conn)?;
            if store::links_ahead(conn) {
                (id, store::link_certificate(conn, app.clone(), id)?)
            } else {
                (id, app.clone())
            }
        }
    };
    // The serial's row stays locked until commit.
    let serial = store::next_serial(conn, &prefix, ctx.today.year())?;
    let number = domain::CertificateNumber::format(&prefix, ctx.today.year(), serial);
    let payload = certificates::signed_payload(&PublicFields {
        number: &number,
        permit_type: &licence.code,
        permit_name: &licence.name,
        holder_name: &enterprise.name,
        holder_credit_code: &enterprise.credit_code,
        holder_address: &enterprise.address,
        holder_legal_representative: &enterprise.legal_representative,
        scope: &scope,
        issued_at: ctx.now,
        valid_from,
        valid_until,
    });
    let signature = certificates::sign(ctx.signing_key, &payload);
    let event = audit::store::new_chain(
        CERTIFICATE,
        &certificate_id.to_string(),
        [(
            "issued",
            ctx.actor,
            json!({"number": number, "application_id": app.id, "valid_from": valid_from, "valid_until": valid_until,
                "continues": base.as_ref().map(|b| b.number.clone())}),
        )],
        ctx.now,
    );
    let new_certificate = NewCertificate {
        id: certificate_id.0,
        number: &number,
        permit_type: &licence.code,
        enterprise_id: app.enterprise_id,
        application_id: app.id,
        holder_name: &enterprise.name,
        holder_credit_code: &enterprise.credit_code,
        holder_address: &enterprise.address,
        holder_legal_representative: &enterprise.legal_representative,
        scope: scope.to_string(),
        issued_at: ctx.now,
        valid_from,
        valid_until,
        status: domain::CertificateStatus::Active.as_str(),
        verification_code: &code,
        signed_payload: &payload,
        signature: &signature,
        updated_at: ctx.now,
    };
    let cert = match issuing {
        Issuing::Certificate => store::insert_certificate(conn, &new_certificate, &event)?,
        Issuing::WithApplication(application, events) => store::insert_approval(
            conn,
            *application,
            &new_certificate,
            &events.followed_by(&event),
        )?,
    };
    let app = if app.certificate_id == Some(cert.id) {
        app
    } else {
        store::link_certificate(conn, app, CertificateId(cert.id))?
    };
    if let Some(b) = &base {
        if !store::supersede(conn, CertificateId(b.id), CertificateId(cert.id), ctx.now)? {
            return Err(PermitError::Conflict(format!(
                "{} is no longer active",
                b.number
            )));
        }
        let reason = match t.kind {
            PermitKind::Renewal => "renewal",
            PermitKind::Change => "change",
            _ => "reissue",
        };
        audit::store::append(
            conn,
            CERTIFICATE,
            &b.id.to_string(),
            "superseded",
            ctx.actor,
            json!({"by": number, "reason": reason}),
            ctx.now,
        )?;
    }
    Ok((app, cert))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// At least 10 characters; kept on the certificate and in the audit trail.
    pub reason: String,
}

/// Revokes an active certificate with a reason of at least 10 characters, kept on the
/// certificate and in the audit trail. Revoked and superseded certificates stay as they are:
/// a second revocation is 409 `invalid_transition`. Answers the certificate with its timeline.
pub fn revoke(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    id: CertificateId,
    input: &RevokeRequest,
) -> Result<CertificateView, PermitError> {
    let mut v = Validator::new();
    let reason = v.text("reason", &input.reason, domain::MIN_REASON_CHARS, 2000);
    v.finish()?;
    let reason = reason.unwrap_or_default();
    let updated = store::revoke(conn, id, &reason, ctx.now)?;
    let row = settle(
        conn,
        updated,
        "the certificate",
        |conn| Ok(store::find_certificate(conn, id)?.map(|c| c.status)),
        Event {
            aggregate: CERTIFICATE,
            id: id.0,
            action: "revoked",
            actor: ctx.actor,
            payload: json!({"reason": reason}),
            at: ctx.now,
        },
    )?;
    let timeline = audit::store::timeline(conn, CERTIFICATE, &id.to_string())?;
    Ok(certificate_view(row, ctx.today, Some(timeline)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CertificateQuery {
    pub permit_type: Option<String>,
    pub status: Option<CertificateStatus>,
    /// Staff only; an enterprise always sees its own.
    pub enterprise_id: Option<i64>,
    /// Active certificates whose `valid_until` is within this many days (0 to 3650).
    pub expiring_within_days: Option<i64>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Certificates, newest first: staff see all, an enterprise its own (a filter on another
/// enterprise finds nothing). `expired` is an active certificate past `valid_until` as of
/// `today`; `expiring_within_days` (0 to 3650) applies to active certificates only. An unknown
/// `permit_type` is a 422.
pub fn list(
    conn: &mut DbConn,
    today: NaiveDate,
    scope: Scope,
    q: &CertificateQuery,
    page: PageRequest,
) -> Result<Page<CertificateView>, PermitError> {
    if q.expiring_within_days
        .is_some_and(|d| !(0..=3650).contains(&d))
    {
        return Err(
            Invalid::field("expiring_within_days", "out_of_range", "must be 0 to 3650").into(),
        );
    }
    let own = scope.enterprise();
    let mut filter = store::CertificateFilter {
        enterprise_id: match own {
            Some(own) => Some(own.0),
            None => q.enterprise_id,
        },
        permit_type: q.permit_type.clone(),
        ..Default::default()
    };
    match q.status {
        Some(CertificateStatus::Active) => filter.valid_between = Some((today, None)),
        Some(CertificateStatus::Expired) => filter.expired_before = Some(today),
        Some(other) => filter.stored_status = Some(other.as_str().to_owned()),
        None => {}
    }
    if let Some(days) = q.expiring_within_days {
        let horizon = today + chrono::Duration::days(days);
        if q.status.is_some_and(|s| s != CertificateStatus::Active) {
            return Err(Invalid::field(
                "expiring_within_days",
                "invalid",
                "applies to active certificates only",
            )
            .into());
        }
        filter.valid_between = Some((today, Some(horizon)));
    }
    let rows = if filters_out_everything(conn, own, q.enterprise_id, q.permit_type.as_deref())? {
        Vec::new()
    } else {
        store::list_certificates(conn, &filter, page.before_id, page.fetch())?
    };
    Ok(Page::from_rows(rows, page, |r| r.id).map(|r| certificate_view(r, today, None)))
}

/// One certificate with its timeline: staff read any, an enterprise only its own (another's
/// is 404).
pub fn get(
    conn: &mut DbConn,
    today: NaiveDate,
    scope: Scope,
    id: CertificateId,
) -> Result<CertificateView, PermitError> {
    let row = scope
        .visible(store::find_certificate(conn, id)?, |c| {
            EnterpriseId(c.enterprise_id)
        })
        .ok_or(PermitError::NotFound)?;
    let timeline = audit::store::timeline(conn, CERTIFICATE, &id.to_string())?;
    Ok(certificate_view(row, today, Some(timeline)))
}

/// The public verification: the certificate `number` as `today` sees it, for anyone who has
/// its verification code (case-insensitive). A malformed number, a wrong or missing code and
/// an unknown number all answer the same 404.
pub fn verify(
    conn: &mut DbConn,
    today: NaiveDate,
    number: &str,
    code: Option<&str>,
) -> Result<VerificationView, PermitError> {
    let code = code.map(certificates::normalize_code).unwrap_or_default();
    let row = match domain::CertificateNumber::parse(number) {
        Ok(n) => store::find_certificate_by_number(conn, n.as_str())?,
        Err(_) => None,
    };
    let row = row
        .filter(|c| certificates::codes_match(&code, &c.verification_code))
        .ok_or(PermitError::NotFound)?;
    let status = row.status_on(today);
    Ok(VerificationView {
        valid: status == CertificateStatus::Active,
        status,
        number: row.number,
        permit_type: row.permit_type,
        holder_name: row.holder_name,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        signed_payload: row.signed_payload,
        signature: row.signature,
    })
}
