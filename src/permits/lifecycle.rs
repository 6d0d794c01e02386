//! The use cases of an application and a certificate. Each function runs inside the caller's
//! one transaction (`state.db.write`, or the demo seed's), performs every write of its use case
//! with its audit events, and turns a lost compare-and-set into a 409.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use super::certificates::{self, PublicFields};
use super::domain::{self, ApplicationStatus, Decision, PermitKind, PermitMode, PermitType};
use super::rules::{self, Outcome, RuleResult};
use super::store::{
    self, ApplicationChanges, ApplicationRow, CertificateRow, NewApplication, NewCertificate,
};
use crate::audit::{self, Actor};
use crate::db::DbConn;
use crate::error::{ApiError, Validator};
use crate::ids::EnterpriseId;

pub const APPLICATION: &str = "application";
pub const CERTIFICATE: &str = "certificate";

/// Who acts, and when.
pub struct Ctx<'a> {
    pub actor: &'a Actor,
    pub now: NaiveDateTime,
    /// The city's local date.
    pub today: NaiveDate,
    pub signing_seed: &'a [u8; 32],
}

/// The permit type, or a 422 on `permit_type` when there is none by that code.
pub fn load_type(conn: &mut DbConn, code: &str) -> Result<PermitType, ApiError> {
    store::find_type(conn, code)?
        .ok_or_else(|| ApiError::field("permit_type", "unknown_code", "is not a permit type code"))?
        .to_domain()
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
    let row = store::insert_application(
        conn,
        NewApplication {
            number: format!("QDYJ-pending-{}", uuid::Uuid::new_v4().simple()),
            enterprise_id: enterprise.0,
            permit_type: &t.code,
            mode: t.mode.as_str(),
            form: form.to_string(),
            commitment_accepted,
            status: ApplicationStatus::Draft.as_str(),
            created_by: created_by.0,
            created_at: ctx.now,
            updated_at: ctx.now,
        },
        ctx.today.year(),
    )?;
    audit::store::append_first(
        conn,
        APPLICATION,
        &row.id.to_string(),
        "created",
        ctx.actor,
        json!({"number": row.number, "permit_type": t.code, "enterprise_id": enterprise.0, "form": form}),
        ctx.now,
    )?;
    Ok(row)
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
}

/// Submits a draft: a complete form (422 listing every missing field otherwise), then every
/// applicable rule over the enterprise's records, stored; instant items are decided here,
/// approvals issue their certificate in the same transaction. Of two concurrent submissions
/// one wins, the other gets 409.
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
    let mut v = Validator::new();
    domain::validate_form(&t.fields, &form, true, &mut v);
    v.finish()?;
    if !t.active {
        return Err(ApiError::Conflict(format!(
            "{} is not accepting applications",
            t.code
        )));
    }
    let enterprise = store::enterprise(conn, EnterpriseId(app.enterprise_id))?;
    let inputs = store::rule_inputs(
        conn,
        &enterprise,
        &t,
        &form,
        commitment_accepted,
        ctx.today,
        ctx.now,
    )?;
    let results = rules::evaluate(&t, &inputs);
    let status = submitted_status(&t, rules::decide(&results));
    let decided = matches!(
        status,
        ApplicationStatus::Approved | ApplicationStatus::Rejected | ApplicationStatus::Filed
    );
    let due_on = (status == ApplicationStatus::UnderReview)
        .then(|| ctx.today + chrono::Duration::days(i64::from(t.statutory_days)));
    let results_json = serde_json::to_string(&results).map_err(ApiError::internal)?;
    let row = store::transition(
        conn,
        app.id,
        &[ApplicationStatus::Draft],
        &ApplicationChanges {
            commitment_accepted: Some(commitment_accepted),
            status: Some(status.as_str().to_owned()),
            submitted_at: Some(Some(ctx.now)),
            decided_at: Some(decided.then_some(ctx.now)),
            due_on: Some(due_on),
            rule_results: Some(Some(results_json)),
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
    let failed: Vec<_> = results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .collect();
    let action = match status {
        ApplicationStatus::Approved => "approved",
        ApplicationStatus::Rejected => "rejected",
        ApplicationStatus::Filed => "filed",
        _ if t.mode == PermitMode::Review => "queued_for_review",
        _ => "referred_to_review",
    };
    audit::store::append(
        conn,
        APPLICATION,
        &id,
        action,
        &Actor::SYSTEM,
        json!({"decided_by": "rules", "not_passed": failed, "due_on": due_on}),
        ctx.now,
    )?;
    let (application, certificate) = if status == ApplicationStatus::Approved {
        let system = Ctx {
            actor: &Actor::SYSTEM,
            ..*ctx
        };
        let cert = issue(conn, &system, &row, &t, &form)?;
        (cert.0, Some(cert.1))
    } else {
        (row, None)
    };
    Ok(Submitted {
        application,
        certificate,
        status,
        rule_results: results,
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
        let (row, cert) = issue(conn, ctx, &row, &t, &form)?;
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

/// Issues the certificate of an approved application and links it; a renewal, change or
/// reissue takes the permit type and scope of the certificate it continues and supersedes it.
fn issue(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    app: &ApplicationRow,
    t: &PermitType,
    form: &Value,
) -> Result<(ApplicationRow, CertificateRow), ApiError> {
    let enterprise = store::enterprise(conn, EnterpriseId(app.enterprise_id))?;
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
    // Taken last, so the sequence row is held for as short a time as possible.
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
    let signature = certificates::sign(ctx.signing_seed, &payload);
    let cert = store::insert_certificate(
        conn,
        &NewCertificate {
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
        },
    )?;
    audit::store::append_first(
        conn,
        CERTIFICATE,
        &cert.id.to_string(),
        "issued",
        ctx.actor,
        json!({"number": number, "application_id": app.id, "valid_from": valid_from, "valid_until": valid_until,
               "continues": base.as_ref().map(|b| b.number.clone())}),
        ctx.now,
    )?;
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
    let app = store::transition(
        conn,
        app.id,
        &[ApplicationStatus::Approved],
        &ApplicationChanges {
            certificate_id: Some(Some(cert.id)),
            ..Default::default()
        },
    )?
    .ok_or_else(|| ApiError::internal("the approved application vanished"))?;
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
