//! The use cases of an application: create (a draft, or created and submitted at once, the
//! instant decision's hot path: [`open`] then [`file`]), edit a draft's form, submit, withdraw.
//! Each runs inside the caller's one transaction (`state.db.write`, `read_then_write`, or the
//! demo seed's), performs every write of its use case with its audit events, and turns a lost
//! compare-and-set into a 409. A reviewer's decision is in `review`, the certificate an
//! approval issues in `register`, the reads in `applications`.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use ed25519_dalek::SigningKey;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::applications;
use super::domain::{self, ApplicationStatus, PermitMode, PermitType};
use super::error::PermitError;
use super::register::{self, Issuing};
use super::rules::{self, Lookback, Outcome, RuleInputs, RuleResult};
use super::store::{self, ApplicationChanges, ApplicationRow, CertificateRow, NewApplication};
use super::types::TypeCache;
use super::views::{ApplicationView, application_view, certificate_view};
use crate::actor::Scope;
use crate::audit::{self, Actor, TimelineEntry};
use crate::auth::{Caller, EnterpriseOnly};
use crate::db::transition::{Event, settle};
use crate::db::{DbConn, TxStart};
use crate::enterprises::store::EnterpriseRow;
use crate::error::ApiError;
use crate::ids::{ApplicationId, CertificateId, EnterpriseId, UserId};
use crate::users::store::Account;
use crate::validate::Validator;

use super::context::{APPLICATION, Ctx};

/// The permit type, or a 422 on `permit_type` when there is none by that code.
pub fn load_type(conn: &mut DbConn, code: &str) -> Result<PermitType, PermitError> {
    Ok(store::find_type(conn, code)?
        .ok_or(PermitError::UnknownType)?
        .to_domain()?)
}

/// A new draft of `t` for the enterprise, its form already checked as a draft.
pub fn create(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    enterprise: EnterpriseId,
    t: &PermitType,
    form: &Value,
    commitment_accepted: bool,
) -> Result<ApplicationRow, PermitError> {
    let created_by = ctx.actor.user_id.ok_or_else(no_applicant)?;
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
            id: id.0,
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
    .map_err(PermitError::from)
}

/// A form as sent, checked against `t`'s fields (`complete`: as on submission, every required
/// field present), with the type open for applications: every problem at once.
fn checked_form(t: &PermitType, form: &Value, complete: bool) -> Result<Value, PermitError> {
    let mut v = Validator::new();
    let form = domain::validate_form(&t.fields, form, complete, &mut v);
    if !t.active {
        v.add(
            "permit_type",
            "invalid",
            "this permit type is not accepting applications",
        );
    }
    v.finish()?;
    Ok(form)
}

/// A new draft of `t` for the enterprise, from a form as sent: checked as a draft (a present
/// invalid value is a 422 naming each field; missing ones may come later), and the type open
/// for applications. What `open` checks before a draft, for callers that create the draft
/// inside their own transaction (the portal's apply page).
pub fn create_draft(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    enterprise: EnterpriseId,
    t: &PermitType,
    form: &Value,
) -> Result<ApplicationRow, PermitError> {
    let form = checked_form(t, form, false)?;
    create(conn, ctx, enterprise, t, &form, false)
}

/// Replaces a draft's form. Only a draft's form changes (409 `invalid_transition` for any
/// other state); a draft may be incomplete, but a present invalid value is a 422 at once.
/// An enterprise edits only its own (another's is 404).
pub fn update_form(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    scope: Scope,
    id: ApplicationId,
    form: &Value,
) -> Result<ApplicationView, PermitError> {
    let app = applications::visible(conn, scope, id)?;
    if !domain::may_edit_form(app.status()?) {
        return Err(PermitError::InvalidTransition(format!(
            "the form of a {} application cannot change; only drafts are edited",
            app.status
        )));
    }
    let t = load_type(conn, &app.permit_type)?;
    let mut v = Validator::new();
    let form = domain::validate_form(&t.fields, form, false, &mut v);
    v.finish()?;
    let row = transition(
        conn,
        ctx,
        id,
        &[ApplicationStatus::Draft],
        &ApplicationChanges {
            form: Some(form.to_string()),
            updated_at: Some(ctx.now),
            ..Default::default()
        },
        "form_updated",
        json!({"form": form}),
    )?;
    applications::full(conn, row, ctx.today)
}

/// Applies `changes` to the application while it is in one of `from`, with its audit event
/// `action`; a transition that lost (or was never allowed) is 409 `invalid_transition` naming
/// the state the application is in now (`db::transition::settle`).
pub(super) fn transition(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    id: ApplicationId,
    from: &[ApplicationStatus],
    changes: &ApplicationChanges,
    action: &str,
    payload: Value,
) -> Result<ApplicationRow, PermitError> {
    let updated = store::transition(conn, id, from, changes)?;
    Ok(settle(
        conn,
        updated,
        "the application",
        |conn| Ok(store::find_application(conn, id)?.map(|a| a.status)),
        Event {
            aggregate: APPLICATION,
            id: id.0,
            action,
            actor: ctx.actor,
            payload,
            at: ctx.now,
        },
    )?)
}

fn no_applicant() -> PermitError {
    PermitError::Store(ApiError::internal(
        "an application needs a signed-in applicant",
    ))
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
) -> Result<(Option<Account>, Assessment), PermitError> {
    let mut v = Validator::new();
    domain::validate_form(&t.fields, form, true, &mut v);
    v.finish()?;
    if !t.active {
        return Err(PermitError::Conflict(format!(
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
        Lookback::at(today, now),
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
) -> Result<(Option<ApplicationId>, Option<CertificateId>), PermitError> {
    crate::db::lock_key(conn, DECISION_LOCK | a.enterprise.id).map_err(ApiError::from)?;
    let read =
        store::certificate_inputs(conn, EnterpriseId(a.enterprise.id), t, form, today, draw)?;
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

    fn results_json(&self) -> Result<String, PermitError> {
        serde_json::to_string(&self.results).map_err(|e| PermitError::Store(ApiError::internal(e)))
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

/// Submits a draft: a complete form (every missing required field is a 422 and nothing
/// changes), then every applicable rule over the enterprise's own records, stored; instant
/// items are decided here (approved with their certificate, rejected, filed, or referred to
/// review), review items queued with their due date. Of two concurrent submissions one wins,
/// the other gets 409. An enterprise submits only its own (another's is 404).
pub fn submit(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    scope: Scope,
    id: ApplicationId,
    commitment_accepted: bool,
) -> Result<ApplicationView, PermitError> {
    let app = applications::visible(conn, scope, id)?;
    let done = submit_draft(conn, ctx, &app, commitment_accepted)?;
    applications::full(conn, done.application, ctx.today)
}

/// [`submit`] of a draft already read.
fn submit_draft(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    app: &ApplicationRow,
    commitment_accepted: bool,
) -> Result<Submitted, PermitError> {
    if !domain::may_submit(app.status()?) {
        return Err(PermitError::InvalidTransition(format!(
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
    let id = ApplicationId(app.id);
    let row = transition(
        conn,
        ctx,
        id,
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
        "submitted",
        json!({"commitment_accepted": commitment_accepted}),
    )?;
    let (action, payload) = verdict.event(&t);
    audit::store::append(
        conn,
        APPLICATION,
        &id.to_string(),
        action,
        &Actor::SYSTEM,
        payload,
        ctx.now,
    )?;
    let (application, certificate) = register::issue_if_approved(
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
fn create_submitted(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    t: &PermitType,
    form: &Value,
    commitment_accepted: bool,
    mut assessment: Assessment,
) -> Result<Submitted, PermitError> {
    let created_by = ctx.actor.user_id.ok_or_else(no_applicant)?;
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
        id: id.0,
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
        certificate_id: certificate_id.map(|c| c.0),
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
        let (linked, cert) = register::issue(
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
        register::issue_if_approved(
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

/// The enterprise withdraws a draft or an application under review (any other state is 409
/// `invalid_transition`); only its own (another's is 404).
pub fn withdraw(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    scope: Scope,
    id: ApplicationId,
) -> Result<ApplicationView, PermitError> {
    let app = applications::visible(conn, scope, id)?;
    if !domain::may_withdraw(app.status()?) {
        return Err(PermitError::InvalidTransition(format!(
            "a {} application cannot be withdrawn",
            app.status
        )));
    }
    let row = transition(
        conn,
        ctx,
        id,
        &[ApplicationStatus::Draft, ApplicationStatus::UnderReview],
        &ApplicationChanges {
            status: Some(ApplicationStatus::Withdrawn.as_str().to_owned()),
            updated_at: Some(ctx.now),
            ..Default::default()
        },
        "withdrawn",
        json!({"from": app.status}),
    )?;
    applications::full(conn, row, ctx.today)
}

/// `QDYJ-<year>-<id>`: the id, six digits at least, so unique without a shared counter that
/// every application would queue on.
fn application_number(year: i32, id: ApplicationId) -> String {
    format!("QDYJ-{year:04}-{:06}", id.0)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApplicationRequest {
    /// A permit type code from `/api/v1/permit-types`.
    pub permit_type: String,
    /// The type's form fields; a draft may be incomplete.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub form: Value,
    /// Create and submit in one call.
    #[serde(default)]
    pub submit: bool,
    /// The commitment statement (告知承诺); needed when submitting.
    #[serde(default)]
    pub commitment_accepted: bool,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// What [`open`], the read before a new application's write transaction, hands to [`file`].
pub struct Opened {
    t: Arc<PermitType>,
    form: Value,
    /// A submission's applicant and rule inputs; `None` for a draft.
    assessment: Option<Assessment>,
    commitment_accepted: bool,
    actor: Actor,
    enterprise: EnterpriseId,
}

/// A new application, first half: outside the write transaction, the type (`TypeCache`), the
/// form (a present invalid value is a 422 naming each field; with `submit`, so is every
/// missing required field), and the caller's account, for a submission read with the rule
/// inputs from the enterprise's records. SQLite has one writer at a time, so the write
/// transaction ([`file`]) holds only the writes and the reads of what an approval itself
/// changes. Returns how that transaction starts (holding the enterprise's decision lock).
pub fn open(
    conn: &mut DbConn,
    types: &TypeCache,
    today: NaiveDate,
    now: NaiveDateTime,
    caller: &Caller<EnterpriseOnly>,
    input: CreateApplicationRequest,
) -> Result<(Opened, TxStart), PermitError> {
    // The request's own errors come before the caller's account is read (as `Caller`
    // documents), so that a submission reads the account along with its rule inputs: one
    // round trip fewer.
    let t = types.get(conn, &input.permit_type)?;
    let form = checked_form(&t, &input.form, input.submit)?;
    let (auth, assessment) = match (input.submit, caller.unconfirmed_enterprise_id()) {
        (true, Some(claimed)) => {
            let read = assess(
                conn,
                today,
                now,
                claimed,
                Some(caller.unconfirmed_user_id()),
                &t,
                &form,
                input.commitment_accepted,
            );
            // The caller first: a revoked token is a 401 whatever the enterprise's records say.
            let (auth, read) = match read {
                Ok((account, assessment)) => (caller.confirm_read(account)?, Ok(assessment)),
                Err(e) => (caller.confirm(conn)?, Err(e)),
            };
            // A change of an account's enterprise ends its tokens, so a confirmed token names
            // its account's enterprise.
            if auth.enterprise_id != Some(claimed) {
                return Err(PermitError::Unauthorized);
            }
            (auth, Some(read?))
        }
        // An enterprise's token names its enterprise (login writes it from the account): one
        // that names none is not one this service issued lately.
        (true, None) => {
            caller.confirm(conn)?;
            return Err(PermitError::Unauthorized);
        }
        (false, _) => (caller.confirm(conn)?, None),
    };
    let enterprise = auth.enterprise_id.ok_or(PermitError::Forbidden)?;
    let start = assessment
        .as_ref()
        .map_or_else(TxStart::default, Assessment::tx_start);
    Ok((
        Opened {
            t,
            form,
            assessment,
            commitment_accepted: input.commitment_accepted,
            actor: auth.actor(),
            enterprise,
        },
        start,
    ))
}

/// A new application, second half, inside the write transaction: a draft is created, or a
/// submission is created and decided at once ([`create_submitted`]: an instant approval
/// answers with its certificate). Everything the view of a submission shows was just
/// written: it reads nothing back.
pub fn file(
    conn: &mut DbConn,
    now: NaiveDateTime,
    today: NaiveDate,
    signing_key: &SigningKey,
    opened: Opened,
) -> Result<ApplicationView, PermitError> {
    let Opened {
        t,
        form,
        assessment,
        commitment_accepted,
        actor,
        enterprise,
    } = opened;
    let ctx = Ctx {
        actor: &actor,
        now,
        today,
        signing_key,
    };
    match assessment {
        Some(assessment) => {
            let done = create_submitted(conn, &ctx, &t, &form, commitment_accepted, assessment)?;
            let mut view = application_view(done.application, today)?;
            view.certificate = done.certificate.map(|c| certificate_view(c, today, None));
            view.timeline = done.timeline;
            Ok(view)
        }
        None => {
            let row = create(conn, &ctx, enterprise, &t, &form, commitment_accepted)?;
            applications::full(conn, row, today)
        }
    }
}
