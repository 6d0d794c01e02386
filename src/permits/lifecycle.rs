//! The use cases of an application and a certificate. Each function runs inside the caller's
//! one transaction (`state.db.write`, or the demo seed's), performs every write of its use case
//! with its audit events, and turns a lost compare-and-set into a 409.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

use super::certificates::{self, PublicFields};
use super::domain::{self, ApplicationStatus, Decision, PermitKind, PermitMode, PermitType};
use super::rules::{self, Outcome, RuleInputs, RuleResult};
use super::store::{
    self, ApplicationChanges, ApplicationRow, CertificateRow, NewApplication, NewCertificate,
};
use crate::audit::store::NewChain;
use crate::audit::{self, Actor, TimelineEntry};
use crate::db::{DbConn, TxStart};
use crate::enterprises::store::EnterpriseRow;
use crate::error::{ApiError, Validator};
use crate::ids::{EnterpriseId, UserId};
use crate::users::store::Account;

pub const APPLICATION: &str = "application";
pub const CERTIFICATE: &str = "certificate";

/// Who acts, and when.
pub struct Ctx<'a> {
    pub actor: &'a Actor,
    pub now: NaiveDateTime,
    /// The city's local date.
    pub today: NaiveDate,
    pub signing_key: &'a SigningKey,
}

impl<'a> Ctx<'a> {
    /// The same moment, acted by the system (the rules deciding, a certificate they issue).
    fn as_system(&self) -> Ctx<'a> {
        Ctx {
            actor: &Actor::SYSTEM,
            ..*self
        }
    }
}

/// The permit type, or a 422 on `permit_type` when there is none by that code.
pub fn load_type(conn: &mut DbConn, code: &str) -> Result<PermitType, ApiError> {
    store::find_type(conn, code)?
        .ok_or_else(unknown_type)?
        .to_domain()
}

/// The 422 on `permit_type` for a code that names no permit type.
pub fn unknown_type() -> ApiError {
    ApiError::field("permit_type", "unknown_code", "is not a permit type code")
}

/// A new draft of `t` for the enterprise, its form already checked as a draft.
pub fn create(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    enterprise: EnterpriseId,
    t: &PermitType,
    form: &Value,
    commitment_accepted: bool,
) -> Result<ApplicationRow, ApiError> {
    let created_by = ctx
        .actor
        .user_id
        .ok_or_else(|| ApiError::internal("an application needs a signed-in applicant"))?;
    let id = store::next_application_id(conn)?;
    let number = application_number(ctx.today.year(), id);
    let created = audit::store::new_chain(
        APPLICATION,
        &id.to_string(),
        [(
            "created",
            ctx.actor,
            json!({"number": number, "permit_type": t.code, "enterprise_id": enterprise.0, "form": form}),
        )],
        ctx.now,
    );
    store::insert_application(
        conn,
        NewApplication {
            id,
            number,
            enterprise_id: enterprise.0,
            permit_type: &t.code,
            mode: t.mode.as_str(),
            form: form.to_string(),
            commitment_accepted,
            status: ApplicationStatus::Draft.as_str(),
            submitted_at: None,
            decided_at: None,
            due_on: None,
            rule_results: None,
            certificate_id: None,
            created_by: created_by.0,
            created_at: ctx.now,
            updated_at: ctx.now,
        },
        &created,
    )
}

/// Replaces a draft's form (already checked as a draft).
pub fn update_form(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    app: &ApplicationRow,
    form: &Value,
) -> Result<ApplicationRow, ApiError> {
    if !domain::may_edit_form(app.status()?) {
        return Err(ApiError::InvalidTransition(format!(
            "the form of a {} application cannot change; only drafts are edited",
            app.status
        )));
    }
    let row = store::transition(
        conn,
        app.id,
        &[ApplicationStatus::Draft],
        &ApplicationChanges {
            form: Some(form.to_string()),
            updated_at: Some(ctx.now),
            ..Default::default()
        },
    )?
    .ok_or_else(|| ApiError::InvalidTransition("the application is no longer a draft".into()))?;
    audit::store::append(
        conn,
        APPLICATION,
        &app.id.to_string(),
        "form_updated",
        ctx.actor,
        json!({"form": form}),
        ctx.now,
    )?;
    Ok(row)
}

/// The state an application is in after the rules have run.
fn submitted_status(t: &PermitType, outcome: Outcome) -> ApplicationStatus {
    match (t.mode, outcome) {
        (_, Outcome::Fail) if t.mode != PermitMode::Review => ApplicationStatus::Rejected,
        (PermitMode::InstantFiling, _) => ApplicationStatus::Filed,
        (PermitMode::InstantApproval, Outcome::Pass) => ApplicationStatus::Approved,
        // Referred instant items, and every review item (its rules are advice).
        _ => ApplicationStatus::UnderReview,
    }
}

/// The result of a submission: the application in its final state, its certificate if one
/// was issued.
pub struct Submitted {
    pub application: ApplicationRow,
    pub certificate: Option<CertificateRow>,
    pub status: ApplicationStatus,
    pub rule_results: Vec<RuleResult>,
    /// The application's timeline, when the submission wrote all of it (create and submit).
    pub timeline: Option<Vec<TimelineEntry>>,
}

/// What a submission is decided on: the applicant and the rules' inputs from its records. The
/// two inputs an approval itself changes (the active certificates of the type, the certificate
/// continued) are not in it until [`complete_under_lock`] reads them inside the write transaction.
///
/// Its fields are private: nothing outside this module can evaluate the rules on it before
/// [`complete_under_lock`] has completed it.
pub struct Assessment {
    enterprise: EnterpriseRow,
    inputs: RuleInputs,
}

/// Checks that the form is complete (422 listing every missing field otherwise) and the type
/// open, then reads the enterprise's records for the rules, and with them the account of
/// `caller` if given (for `Caller::confirm_read`). Writes nothing, so an instant application
/// can run it before its write transaction.
#[expect(
    clippy::too_many_arguments,
    reason = "the moment, the applicant and the application"
)]
pub fn assess(
    conn: &mut DbConn,
    today: NaiveDate,
    now: NaiveDateTime,
    enterprise: EnterpriseId,
    caller: Option<UserId>,
    t: &PermitType,
    form: &Value,
    commitment_accepted: bool,
) -> Result<(Option<Account>, Assessment), ApiError> {
    let mut v = Validator::new();
    domain::validate_form(&t.fields, form, true, &mut v);
    v.finish()?;
    if !t.active {
        return Err(ApiError::Conflict(format!(
            "{} is not accepting applications",
            t.code
        )));
    }
    let (account, enterprise, inputs) = store::rule_inputs(
        conn,
        enterprise,
        caller,
        t,
        form,
        commitment_accepted,
        today,
        now,
    )?;
    Ok((account, Assessment { enterprise, inputs }))
}

impl Assessment {
    /// How the decision's write job starts: holding the enterprise's decision lock, which on
    /// PostgreSQL goes with the job's savepoint in one round trip.
    pub fn tx_start(&self) -> TxStart {
        TxStart {
            lock: Some(DECISION_LOCK | self.enterprise.id),
        }
    }
}

/// Inside the write transaction of a decision: serialises the decisions of one enterprise on
/// PostgreSQL (SQLite's write transactions are serial already), then reads the inputs that an
/// approval itself changes, so that two concurrent applications can never both be
/// licensed nor both continue one certificate. The other inputs (hazards, orders, fines,
/// filings) stand as they were read when the request arrived. Returns the ids `draw` asked
/// for, drawn in the same statement.
fn complete_under_lock(
    conn: &mut DbConn,
    a: &mut Assessment,
    t: &PermitType,
    form: &Value,
    today: NaiveDate,
    draw: store::Draw,
) -> Result<(Option<i64>, Option<i64>), ApiError> {
    crate::db::lock_key(conn, DECISION_LOCK | a.enterprise.id)?;
    let read = store::certificate_inputs(conn, a.enterprise.id, t, form, today, draw)?;
    a.inputs.active_certificates_of_type = read.active_of_type;
    a.inputs.base_certificate = read.base;
    Ok((read.application_id, read.certificate_id))
}

/// The advisory-lock key space of permit decisions (`lock_key`), one key per enterprise.
const DECISION_LOCK: i64 = 0x5045_524D << 32;

/// The rules' verdict on a submission.
struct Verdict {
    results: Vec<RuleResult>,
    status: ApplicationStatus,
    due_on: Option<NaiveDate>,
}

impl Verdict {
    fn of(t: &PermitType, inputs: &RuleInputs, today: NaiveDate) -> Self {
        let results = rules::evaluate(t, inputs);
        let status = submitted_status(t, rules::decide(&results));
        let due_on = (status == ApplicationStatus::UnderReview)
            .then(|| today + chrono::Duration::days(i64::from(t.statutory_days)));
        Self {
            results,
            status,
            due_on,
        }
    }

    /// Decided by the rules alone (no reviewer).
    fn decided(&self) -> bool {
        matches!(
            self.status,
            ApplicationStatus::Approved | ApplicationStatus::Rejected | ApplicationStatus::Filed
        )
    }

    fn results_json(&self) -> Result<String, ApiError> {
        serde_json::to_string(&self.results).map_err(ApiError::internal)
    }

    /// The rules' audit event on the application: its action and payload.
    fn event(&self, t: &PermitType) -> (&'static str, Value) {
        let failed: Vec<_> = self
            .results
            .iter()
            .filter(|r| r.outcome != Outcome::Pass)
            .collect();
        let action = match self.status {
            ApplicationStatus::Approved => "approved",
            ApplicationStatus::Rejected => "rejected",
            ApplicationStatus::Filed => "filed",
            _ if t.mode == PermitMode::Review => "queued_for_review",
            _ => "referred_to_review",
        };
        (
            action,
            json!({"decided_by": "rules", "not_passed": failed, "due_on": self.due_on}),
        )
    }
}

/// Submits a draft: a complete form, then every applicable rule over the enterprise's records,
/// stored; instant items are decided here, approvals issue their certificate in the same
/// transaction. Of two concurrent submissions one wins, the other gets 409.
pub fn submit(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    app: &ApplicationRow,
    commitment_accepted: bool,
) -> Result<Submitted, ApiError> {
    if !domain::may_submit(app.status()?) {
        return Err(ApiError::InvalidTransition(format!(
            "a {} application cannot be submitted; only drafts are",
            app.status
        )));
    }
    let t = load_type(conn, &app.permit_type)?;
    let form = app.form_value()?;
    let enterprise = EnterpriseId(app.enterprise_id);
    let (_, mut assessment) = assess(
        conn,
        ctx.today,
        ctx.now,
        enterprise,
        None,
        &t,
        &form,
        commitment_accepted,
    )?;
    complete_under_lock(
        conn,
        &mut assessment,
        &t,
        &form,
        ctx.today,
        store::Draw::Nothing,
    )?;
    let verdict = Verdict::of(&t, &assessment.inputs, ctx.today);
    let row = store::transition(
        conn,
        app.id,
        &[ApplicationStatus::Draft],
        &ApplicationChanges {
            commitment_accepted: Some(commitment_accepted),
            status: Some(verdict.status.as_str().to_owned()),
            submitted_at: Some(Some(ctx.now)),
            decided_at: Some(verdict.decided().then_some(ctx.now)),
            due_on: Some(verdict.due_on),
            rule_results: Some(Some(verdict.results_json()?)),
            updated_at: Some(ctx.now),
            ..Default::default()
        },
    )?
    .ok_or_else(|| {
        ApiError::InvalidTransition("the application was submitted concurrently".into())
    })?;
    let id = app.id.to_string();
    audit::store::append(
        conn,
        APPLICATION,
        &id,
        "submitted",
        ctx.actor,
        json!({"commitment_accepted": commitment_accepted}),
        ctx.now,
    )?;
    let (action, payload) = verdict.event(&t);
    audit::store::append(
        conn,
        APPLICATION,
        &id,
        action,
        &Actor::SYSTEM,
        payload,
        ctx.now,
    )?;
    let (application, certificate) = issue_if_approved(
        conn,
        ctx,
        verdict.status,
        &row,
        &t,
        &form,
        &assessment.enterprise,
    )?;
    Ok(Submitted {
        application,
        certificate,
        status: verdict.status,
        rule_results: verdict.results,
        timeline: None,
    })
}

/// Creates and submits an application in one go (`submit: true`), from an [`assess`]ment read
/// before this transaction: the row is written once in its decided state, its first three
/// audit events (created, submitted, the rules' decision) in one insert, and an approval
/// issues its certificate here.
pub fn create_submitted(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    t: &PermitType,
    form: &Value,
    commitment_accepted: bool,
    mut assessment: Assessment,
) -> Result<Submitted, ApiError> {
    let created_by = ctx
        .actor
        .user_id
        .ok_or_else(|| ApiError::internal("an application needs a signed-in applicant"))?;
    // An approval's application is written linked to the certificate it is about to issue,
    // where the link may wait for it (see `links_ahead`): then nothing updates the application
    // under the serial's lock. Both ids come with the reads under the lock.
    let draw = if t.issues_on_submit() {
        store::Draw::ApplicationAndCertificate
    } else {
        store::Draw::Application
    };
    let (id, certificate_id) =
        complete_under_lock(conn, &mut assessment, t, form, ctx.today, draw)?;
    let id = id.ok_or_else(|| ApiError::internal("no application id was drawn"))?;
    let verdict = Verdict::of(t, &assessment.inputs, ctx.today);
    let certificate_id = certificate_id.filter(|_| verdict.status == ApplicationStatus::Approved);
    let enterprise = assessment.enterprise.id;
    let number = application_number(ctx.today.year(), id);
    let (action, decision) = verdict.event(t);
    let events = audit::store::new_chain(
        APPLICATION,
        &id.to_string(),
        [
            (
                "created",
                ctx.actor,
                json!({"number": number, "permit_type": t.code, "enterprise_id": enterprise, "form": form}),
            ),
            (
                "submitted",
                ctx.actor,
                json!({"commitment_accepted": commitment_accepted}),
            ),
            (action, &Actor::SYSTEM, decision),
        ],
        ctx.now,
    );
    let new = NewApplication {
        id,
        number,
        enterprise_id: enterprise,
        permit_type: &t.code,
        mode: t.mode.as_str(),
        form: form.to_string(),
        commitment_accepted,
        status: verdict.status.as_str(),
        submitted_at: Some(ctx.now),
        decided_at: verdict.decided().then_some(ctx.now),
        due_on: verdict.due_on,
        rule_results: Some(verdict.results_json()?),
        certificate_id,
        created_by: created_by.0,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    // The certificate last: its serial is taken in `issue`, and held until commit. A new
    // licence's application linked ahead to it (PostgreSQL) is written with it, in one
    // statement; otherwise the application is written first.
    let (application, certificate) = if verdict.status == ApplicationStatus::Approved
        && new.certificate_id.is_some()
        && !t.kind.continues_licence()
    {
        let row = new.as_written();
        let (linked, cert) = issue(
            conn,
            &ctx.as_system(),
            &row,
            t,
            form,
            &assessment.enterprise,
            Issuing::WithApplication(Box::new(new), &events),
        )?;
        (linked, Some(cert))
    } else {
        let row = store::insert_application(conn, new, &events)?;
        issue_if_approved(
            conn,
            ctx,
            verdict.status,
            &row,
            t,
            form,
            &assessment.enterprise,
        )?
    };
    Ok(Submitted {
        application,
        certificate,
        status: verdict.status,
        rule_results: verdict.results,
        timeline: Some(events.timeline()),
    })
}

/// A reviewer's decision on an application under review, with its reason in the audit trail.
/// Approval issues the certificate. Of two concurrent decisions one wins, the other gets 409.
pub fn decide(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    app: &ApplicationRow,
    decision: Decision,
    reason: &str,
) -> Result<(ApplicationRow, Option<CertificateRow>), ApiError> {
    if !domain::may_decide(app.status()?) {
        return Err(ApiError::InvalidTransition(format!(
            "a {} application is not awaiting a reviewer's decision",
            app.status
        )));
    }
    let status = match decision {
        Decision::Approve => ApplicationStatus::Approved,
        Decision::Reject => ApplicationStatus::Rejected,
    };
    let row = store::transition(
        conn,
        app.id,
        &[ApplicationStatus::UnderReview],
        &ApplicationChanges {
            status: Some(status.as_str().to_owned()),
            decided_at: Some(Some(ctx.now)),
            decided_by: Some(ctx.actor.user_id.map(|u| u.0)),
            decision_reason: Some(Some(reason.to_owned())),
            updated_at: Some(ctx.now),
            ..Default::default()
        },
    )?
    .ok_or_else(|| {
        ApiError::InvalidTransition("the application was decided concurrently".into())
    })?;
    audit::store::append(
        conn,
        APPLICATION,
        &app.id.to_string(),
        status.as_str(),
        ctx.actor,
        json!({"decided_by": "reviewer", "reason": reason}),
        ctx.now,
    )?;
    if status == ApplicationStatus::Approved {
        let t = load_type(conn, &app.permit_type)?;
        let form = app.form_value()?;
        let enterprise = store::enterprise(conn, EnterpriseId(app.enterprise_id))?;
        let (row, cert) = issue(
            conn,
            ctx,
            &row,
            &t,
            &form,
            &enterprise,
            Issuing::Certificate,
        )?;
        Ok((row, Some(cert)))
    } else {
        Ok((row, None))
    }
}

/// The enterprise withdraws a draft or an application under review.
pub fn withdraw(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    app: &ApplicationRow,
) -> Result<ApplicationRow, ApiError> {
    if !domain::may_withdraw(app.status()?) {
        return Err(ApiError::InvalidTransition(format!(
            "a {} application cannot be withdrawn",
            app.status
        )));
    }
    let row = store::transition(
        conn,
        app.id,
        &[ApplicationStatus::Draft, ApplicationStatus::UnderReview],
        &ApplicationChanges {
            status: Some(ApplicationStatus::Withdrawn.as_str().to_owned()),
            updated_at: Some(ctx.now),
            ..Default::default()
        },
    )?
    .ok_or_else(|| ApiError::InvalidTransition("the application changed concurrently".into()))?;
    audit::store::append(
        conn,
        APPLICATION,
        &app.id.to_string(),
        "withdrawn",
        ctx.actor,
        json!({"from": app.status}),
        ctx.now,
    )?;
    Ok(row)
}

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

/// `QDYJ-<year>-<id>`: the id, six digits at least, so unique without a shared counter that
/// every application would queue on.
fn application_number(year: i32, id: i64) -> String {
    format!("QDYJ-{year:04}-{id:06}")
}

/// After the rules' decision: an approval issues its certificate (as the system).
fn issue_if_approved(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    status: ApplicationStatus,
    app: &ApplicationRow,
    t: &PermitType,
    form: &Value,
    enterprise: &EnterpriseRow,
) -> Result<(ApplicationRow, Option<CertificateRow>), ApiError> {
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
enum Issuing<'a> {
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
fn issue(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    app: &ApplicationRow,
    t: &PermitType,
    form: &Value,
    enterprise: &EnterpriseRow,
    issuing: Issuing<'_>,
) -> Result<(ApplicationRow, CertificateRow), ApiError> {
    let base = if t.kind.continues_licence() {
        let number = form
            .get("certificate_no")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::Conflict("the certificate to continue is not named".into()))?;
        let base = store::find_certificate_by_number(conn, number)?
            .filter(|c| {
                c.enterprise_id == app.enterprise_id && t.applies_to.contains(&c.permit_type)
            })
            .ok_or_else(|| {
                ApiError::Conflict(format!(
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
        Some(id) => (id, app.clone()),
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
        id: certificate_id,
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
        store::link_certificate(conn, app, cert.id)?
    };
    if let Some(b) = &base {
        if !store::supersede(conn, b.id, cert.id, ctx.now)? {
            return Err(ApiError::Conflict(format!(
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

/// Revokes an active certificate with a reason (admin).
pub fn revoke(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    id: i64,
    reason: &str,
) -> Result<CertificateRow, ApiError> {
    let current = store::find_certificate(conn, id)?.ok_or(ApiError::NotFound)?;
    let row = store::revoke(conn, id, reason, ctx.now)?.ok_or_else(|| {
        ApiError::InvalidTransition(format!(
            "a {} certificate cannot be revoked",
            current.status
        ))
    })?;
    audit::store::append(
        conn,
        CERTIFICATE,
        &id.to_string(),
        "revoked",
        ctx.actor,
        json!({"reason": reason}),
        ctx.now,
    )?;
    Ok(row)
}
