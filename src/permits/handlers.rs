//! `/api/v1/permit-types`, `/api/v1/applications`, `/api/v1/certificates`,
//! `/api/v1/public/certificate*` and `/api/v1/stats/permits`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::certificates;
use super::domain::{
    self, ApplicationStatus, CertificateStatus, Decision, FieldDef, PermitKind, PermitMode,
};
use super::lifecycle::{self, APPLICATION, CERTIFICATE, Ctx};
use super::rules::RuleResult;
use super::types::TypeCache;
use super::store::{self, ApplicationRow, CertificateRow, PermitTypeChanges, PermitTypeRow};
use crate::audit::{self, TimelineEntry};
use crate::auth::{Admin, Anyone, Auth, Caller, EnterpriseOnly, Reviewers, Staff};
use crate::db::{DbConn, TxStart};
use crate::error::{ApiError, Problem, Validator};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::{self, Idempotent};
use crate::http::pagination::{Page, PageRequest};
use crate::ids::EnterpriseId;
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_permit_types)
        .service(update_permit_type)
        .service(create_application)
        .service(list_applications)
        .service(get_application)
        .service(update_application_form)
        .service(submit_application)
        .service(withdraw_application)
        .service(decide_application)
        .service(list_certificates)
        .service(get_certificate)
        .service(revoke_certificate)
        .service(certificate_key)
        .service(verify_certificate)
        .service(permit_stats);
}

// ---------------------------------------------------------------------------------------------
// Views

#[derive(Debug, Serialize, ToSchema)]
pub struct PermitTypeView {
    pub code: String,
    pub name: String,
    pub mode: PermitMode,
    /// `licence` (a new licence), `renewal`, `change`, `reissue` (continue a licence) or `filing`.
    pub kind: PermitKind,
    /// Null: the certificate keeps the old expiry, or the type issues none.
    pub validity_months: Option<u32>,
    /// Calendar days a reviewer has to decide (also for instant items referred to review).
    pub statutory_days: u32,
    /// Industry codes that may apply; empty admits every industry.
    pub industries: Vec<String>,
    /// The form: enough for a client to render and check it.
    pub fields: Vec<FieldDef>,
    /// The licence types a renewal, change or reissue continues.
    pub applies_to: Vec<String>,
    /// The certificate number prefix (`QD-<prefix>-<year>-<serial>`) of a licence type.
    pub certificate_prefix: Option<String>,
    pub active: bool,
}

fn type_view(row: &PermitTypeRow) -> Result<PermitTypeView, ApiError> {
    let t = row.to_domain()?;
    Ok(PermitTypeView {
        code: t.code,
        name: t.name,
        mode: t.mode,
        kind: t.kind,
        validity_months: t.validity_months,
        statutory_days: t.statutory_days,
        industries: t.industries,
        fields: t.fields,
        applies_to: t.applies_to,
        certificate_prefix: t.certificate_prefix,
        active: t.active,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Holder {
    pub name: String,
    pub credit_code: String,
    pub address: String,
    pub legal_representative: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    pub id: i64,
    pub number: String,
    /// The licence type (a renewal's certificate has its base licence's type).
    pub permit_type: String,
    pub enterprise_id: EnterpriseId,
    pub application_id: i64,
    /// The enterprise as it was when the certificate was issued.
    pub holder: Holder,
    #[schema(value_type = Object)]
    pub scope: Value,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: NaiveDateTime,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// `expired` is derived: an active certificate past `valid_until`.
    pub status: CertificateStatus,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<NaiveDateTime>,
    pub revoke_reason: Option<String>,
    /// The id of the certificate that replaced this one.
    pub superseded_by: Option<i64>,
    /// 10 Crockford base32 characters; with the number, anyone may verify the certificate.
    pub verification_code: String,
    /// The canonical JSON that was signed, as signed.
    pub signed_payload: String,
    /// Ed25519 signature of `signed_payload`'s UTF-8 bytes, standard base64.
    pub signature: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

fn certificate_view(
    row: CertificateRow,
    today: NaiveDate,
    timeline: Option<Vec<TimelineEntry>>,
) -> CertificateView {
    CertificateView {
        status: row.status_on(today),
        id: row.id,
        number: row.number,
        permit_type: row.permit_type,
        enterprise_id: EnterpriseId(row.enterprise_id),
        application_id: row.application_id,
        holder: Holder {
            name: row.holder_name,
            credit_code: row.holder_credit_code,
            address: row.holder_address,
            legal_representative: row.holder_legal_representative,
        },
        scope: serde_json::from_str(&row.scope).unwrap_or(Value::Null),
        issued_at: row.issued_at,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        revoked_at: row.revoked_at,
        revoke_reason: row.revoke_reason,
        superseded_by: row.superseded_by,
        verification_code: row.verification_code,
        signed_payload: row.signed_payload,
        signature: row.signature,
        timeline,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: i64,
    /// `QDYJ-<year>-<serial>`.
    pub number: String,
    pub enterprise_id: EnterpriseId,
    pub permit_type: String,
    pub mode: PermitMode,
    #[schema(value_type = Object)]
    pub form: Value,
    pub commitment_accepted: bool,
    pub status: ApplicationStatus,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<NaiveDateTime>,
    /// Review path: the local date by which a reviewer must decide.
    pub due_on: Option<NaiveDate>,
    /// Under review past `due_on`.
    pub overdue: bool,
    /// The reviewer's user id; null when the rules decided.
    pub decided_by: Option<i64>,
    pub decision_reason: Option<String>,
    /// Every applicable rule's result, stored at submission.
    pub rule_results: Option<Vec<RuleResult>>,
    pub certificate_id: Option<i64>,
    /// The certificate issued on approval (single-record responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateView>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

fn application_view(row: ApplicationRow, today: NaiveDate) -> Result<ApplicationView, ApiError> {
    let status = row.status()?;
    Ok(ApplicationView {
        overdue: status == ApplicationStatus::UnderReview && row.due_on.is_some_and(|d| d < today),
        mode: PermitMode::parse(&row.mode)
            .ok_or_else(|| ApiError::internal("unknown mode stored"))?,
        form: row.form_value()?,
        rule_results: row
            .rule_results
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(ApiError::internal)?,
        status,
        id: row.id,
        number: row.number,
        enterprise_id: EnterpriseId(row.enterprise_id),
        permit_type: row.permit_type,
        commitment_accepted: row.commitment_accepted,
        submitted_at: row.submitted_at,
        decided_at: row.decided_at,
        due_on: row.due_on,
        decided_by: row.decided_by,
        decision_reason: row.decision_reason,
        certificate_id: row.certificate_id,
        certificate: None,
        created_at: row.created_at,
        updated_at: row.updated_at,
        timeline: None,
    })
}

/// The full single-record view: certificate and timeline included.
fn application_full(
    conn: &mut DbConn,
    row: ApplicationRow,
    today: NaiveDate,
) -> Result<ApplicationView, ApiError> {
    let certificate = match row.certificate_id {
        Some(id) => store::find_certificate(conn, id)?.map(|c| certificate_view(c, today, None)),
        None => None,
    };
    let timeline = audit::store::timeline(conn, APPLICATION, &row.id.to_string())?;
    let mut view = application_view(row, today)?;
    view.certificate = certificate;
    view.timeline = Some(timeline);
    Ok(view)
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

fn ctx_parts(state: &AppState) -> (NaiveDateTime, NaiveDate, SigningKey) {
    (
        state.clock.now_naive(),
        state.clock.today(state.config.timezone),
        state.config.secrets.signing_key.clone(),
    )
}

/// Loads an application the caller may see (another enterprise's is 404).
fn visible_application(
    conn: &mut DbConn,
    id: i64,
    scope: Option<EnterpriseId>,
) -> Result<ApplicationRow, ApiError> {
    store::find_application(conn, id)?
        .filter(|a| scope.is_none_or(|e| e.0 == a.enterprise_id))
        .ok_or(ApiError::NotFound)
}

// ---------------------------------------------------------------------------------------------
// Permit types

/// Every permit type with its form fields, so a client can render and check any form.
/// Roles: public.
#[utoipa::path(tag = "permits", responses((status = 200, body = Vec<PermitTypeView>)), security(()))]
#[get("/permit-types")]
pub async fn list_permit_types(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = state.db.run(store::list_types).await?;
    let items = rows.iter().map(type_view).collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePermitTypeRequest {
    /// 1 to 365 calendar days.
    pub statutory_days: Option<i64>,
    /// 1 to 240; only for types whose certificates have their own validity.
    pub validity_months: Option<i64>,
    /// An inactive type accepts no new applications or submissions.
    pub active: Option<bool>,
}

/// Changes a permit type's statutory review days, validity or whether it accepts
/// applications. Forms and rules are fixed. Roles: admin.
#[utoipa::path(
    tag = "permits",
    params(("code" = String, Path)),
    request_body = UpdatePermitTypeRequest,
    responses((status = 200, body = PermitTypeView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[patch("/permit-types/{code}")]
pub async fn update_permit_type(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    types: web::Data<TypeCache>,
    code: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let patch: UpdatePermitTypeRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let row = state
        .db
        .write(move |conn| {
            let current = store::find_type(conn, &code)?.ok_or(ApiError::NotFound)?;
            let mut v = Validator::new();
            if patch.statutory_days.is_some_and(|d| !(1..=365).contains(&d)) {
                v.add("statutory_days", "out_of_range", "must be 1 to 365");
            }
            if let Some(m) = patch.validity_months {
                if current.validity_months.is_none() {
                    v.add("validity_months", "invalid", "this type keeps the old expiry or issues no certificate");
                } else if !(1..=240).contains(&m) {
                    v.add("validity_months", "out_of_range", "must be 1 to 240");
                }
            }
            v.finish()?;
            let changes = PermitTypeChanges {
                statutory_days: patch.statutory_days.map(|d| d as i32),
                validity_months: patch.validity_months.map(|m| Some(m as i32)),
                active: patch.active,
                updated_at: Some(Some(now)),
            };
            let row = store::update_type(conn, &code, &changes)?;
            audit::store::append(
                conn,
                "permit_type",
                &code,
                "updated",
                &actor,
                json!({"statutory_days": changes.statutory_days, "validity_months": patch.validity_months, "active": changes.active}),
                now,
            )?;
            Ok(row)
        })
        .await?;
    // Committed: this process's next application reads the type as it is now.
    types.forget();
    Ok(HttpResponse::Ok().json(type_view(&row)?))
}

// ---------------------------------------------------------------------------------------------
// Applications

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

/// Records the decision metric once the transaction has committed.
fn count_decision(state: &AppState, status: Option<ApplicationStatus>) {
    if let Some(s) = status.filter(|s| *s != ApplicationStatus::Draft) {
        state.metrics.domain_event("permit_decision", s.as_str());
    }
}

/// Starts an application for the caller's enterprise. Nothing the system holds is asked: the
/// enterprise's data come from its record. A present but invalid value (wrong type, broken
/// constraint, bad CAS or certificate number, unknown field) is a 422 naming each field. With
/// `submit: true` it is submitted in the same call (every missing required field is a 422, and
/// nothing is created), and an instant item answers with its decision, every rule's result and,
/// when approved, the certificate. Roles: enterprise.
#[utoipa::path(
    tag = "permits",
    request_body = CreateApplicationRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")),
    responses((status = 201, body = ApplicationView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["enterprise"]))
)]
#[post("/applications")]
pub async fn create_application(
    caller: Caller<EnterpriseOnly>,
    state: web::Data<AppState>,
    types: web::Data<TypeCache>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse::<CreateApplicationRequest>().await?;
    let idem = Idempotent::new(
        &req,
        format!("user:{}", caller.unconfirmed_user_id()),
        &body.bytes,
    )?;
    let input = body.value;
    let (now, today, seed) = ctx_parts(&state);
    let types = types.into_inner();
    // First, outside the write transaction: the type (`TypeCache`), the form, and the caller's
    // account, for a submission read with the rule inputs from the enterprise's records. SQLite
    // has one writer at a time, so the write transaction below holds only the writes and the
    // reads of what an approval itself changes.
    let (result, decided) = state
        .db
        .read_then_write(
            move |conn| {
                // The request's own errors come before the caller's account is read (as
                // `Caller` documents), so that a submission reads the account along with its
                // rule inputs: one round trip fewer.
                let t = types.get(conn, &input.permit_type)?;
                let mut v = Validator::new();
                let form = domain::validate_form(&t.fields, &input.form, input.submit, &mut v);
                if !t.active {
                    v.add(
                        "permit_type",
                        "invalid",
                        "this permit type is not accepting applications",
                    );
                }
                v.finish()?;
                let (auth, assessment) = match (input.submit, caller.unconfirmed_enterprise_id()) {
                    (true, Some(claimed)) => {
                        let read = lifecycle::assess(
                            conn,
                            today,
                            now,
                            claimed,
                            Some(caller.unconfirmed_user_id()),
                            &t,
                            &form,
                            input.commitment_accepted,
                        );
                        // The caller first: a revoked token is a 401 whatever the enterprise's
                        // records say.
                        let (auth, read) = match read {
                            Ok((account, assessment)) => {
                                (caller.confirm_read(account)?, Ok(assessment))
                            }
                            Err(e) => (caller.confirm(conn)?, Err(e)),
                        };
                        // A change of an account's enterprise ends its tokens, so a confirmed
                        // token names its account's enterprise.
                        if auth.enterprise_id != Some(claimed) {
                            return Err(ApiError::Unauthorized);
                        }
                        (auth, Some(read?))
                    }
                    // An enterprise's token names its enterprise (login writes it from the
                    // account): one that names none is not one this service issued lately.
                    (true, None) => {
                        caller.confirm(conn)?;
                        return Err(ApiError::Unauthorized);
                    }
                    (false, _) => (caller.confirm(conn)?, None),
                };
                let enterprise = auth.enterprise_id.ok_or(ApiError::Forbidden)?;
                let start = assessment
                    .as_ref()
                    .map_or_else(TxStart::default, lifecycle::Assessment::tx_start);
                Ok((
                    (t, form, assessment, input, auth.actor(), enterprise),
                    start,
                ))
            },
            move |conn, (t, form, assessment, input, actor, enterprise)| {
                let ctx = Ctx {
                    actor: &actor,
                    now,
                    today,
                    signing_key: &seed,
                };
                let mut decided = None;
                let result = idem.run(conn, now, |conn| {
                    let view = match assessment {
                        Some(assessment) => {
                            let done = lifecycle::create_submitted(
                                conn,
                                &ctx,
                                &t,
                                &form,
                                input.commitment_accepted,
                                assessment,
                            )?;
                            decided = Some(done.status);
                            // Everything the view shows was just written: no reads back.
                            let mut view = application_view(done.application, today)?;
                            view.certificate =
                                done.certificate.map(|c| certificate_view(c, today, None));
                            view.timeline = done.timeline;
                            view
                        }
                        None => {
                            let row = lifecycle::create(
                                conn,
                                &ctx,
                                enterprise,
                                &t,
                                &form,
                                input.commitment_accepted,
                            )?;
                            application_full(conn, row, today)?
                        }
                    };
                    Ok((StatusCode::CREATED, to_json(&view)?))
                })?;
                Ok((result, decided))
            },
        )
        .await?;
    count_decision(&state, decided);
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ApplicationQuery {
    pub status: Option<ApplicationStatus>,
    pub permit_type: Option<String>,
    /// Staff only; an enterprise always sees its own.
    pub enterprise_id: Option<i64>,
    /// Submitted on or after this local date.
    pub submitted_from: Option<NaiveDate>,
    /// Submitted on or before this local date.
    pub submitted_to: Option<NaiveDate>,
    /// `true`: under review past `due_on`.
    pub overdue: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The UTC instant at which the local date `d` begins.
fn local_midnight(state: &AppState, d: NaiveDate) -> NaiveDateTime {
    let midnight = d.and_time(chrono::NaiveTime::MIN);
    state
        .config
        .timezone
        .from_local_datetime(&midnight)
        .earliest()
        .map_or(midnight, |t| t.naive_utc())
}

/// Lists applications, newest first. Staff see all, an enterprise its own. `overdue=true`
/// finds applications under review past their `due_on`. Roles: admin, reviewer, inspector,
/// enterprise.
#[utoipa::path(
    tag = "permits",
    params(ApplicationQuery),
    responses((status = 200, body = Page<ApplicationView>), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/applications")]
pub async fn list_applications(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    query: ApiQuery<ApplicationQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    if let (Some(from), Some(to)) = (q.submitted_from, q.submitted_to)
        && from > to
    {
        return Err(ApiError::field(
            "submitted_to",
            "out_of_range",
            "must not be before submitted_from",
        ));
    }
    let today = state.clock.today(state.config.timezone);
    let scope = auth.enterprise_scope();
    let filter = store::ApplicationFilter {
        enterprise_id: match scope {
            Some(own) => Some(own.0),
            None => q.enterprise_id,
        },
        status: q.status.map(|s| s.as_str().to_owned()),
        permit_type: q.permit_type.clone(),
        submitted_from: q.submitted_from.map(|d| local_midnight(&state, d)),
        submitted_before: q
            .submitted_to
            .and_then(|d| d.succ_opt())
            .map(|d| local_midnight(&state, d)),
        overdue_before: (q.overdue == Some(true)).then_some(today),
    };
    let foreign = scope.is_some_and(|own| q.enterprise_id.is_some_and(|e| e != own.0));
    let rows = state
        .db
        .run(move |conn| {
            if let Some(code) = &filter.permit_type
                && store::find_type(conn, code)?.is_none()
            {
                return Err(ApiError::field(
                    "permit_type",
                    "unknown_code",
                    "is not a permit type code",
                ));
            }
            if foreign {
                return Ok(Vec::new());
            }
            store::list_applications(conn, &filter, page.before_id, page.fetch())
        })
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(|r| application_view(r, today))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// One application with its rule results, its certificate and its timeline. Staff read any;
/// an enterprise only its own (another's is 404). Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/applications/{id}")]
pub async fn get_application(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let scope = auth.enterprise_scope();
    let today = state.clock.today(state.config.timezone);
    let view = state
        .db
        .run(move |conn| {
            let row = visible_application(conn, id, scope)?;
            application_full(conn, row, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormRequest {
    #[schema(value_type = Object)]
    pub form: Value,
}

/// Replaces a draft's form (a submitted form never changes: 409 `invalid_transition`).
/// Invalid values are a 422 at once. Roles: enterprise.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    request_body = FormRequest,
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["enterprise"]))
)]
#[put("/applications/{id}/form")]
pub async fn update_application_form(
    auth: Auth<EnterpriseOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let scope = Some(auth.enterprise_id.ok_or(ApiError::Forbidden)?);
    let input: FormRequest = body.value().await?;
    let actor = auth.actor();
    let (now, today, seed) = ctx_parts(&state);
    let view = state
        .db
        .write(move |conn| {
            let app = visible_application(conn, id, scope)?;
            if !domain::may_edit_form(app.status()?) {
                return Err(ApiError::InvalidTransition(format!(
                    "the form of a {} application cannot change; only drafts are edited",
                    app.status
                )));
            }
            let t = lifecycle::load_type(conn, &app.permit_type)?;
            let mut v = Validator::new();
            let form = domain::validate_form(&t.fields, &input.form, false, &mut v);
            v.finish()?;
            let ctx = Ctx {
                actor: &actor,
                now,
                today,
                signing_key: &seed,
            };
            let row = lifecycle::update_form(conn, &ctx, &app, &form)?;
            application_full(conn, row, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The commitment statement (告知承诺); without it the `commitment_accepted` rule fails.
    #[serde(default)]
    pub commitment_accepted: bool,
}

/// Submits a draft. Every missing required field is a 422 and nothing changes. The rules run
/// over the enterprise's own records and are stored; an instant item answers with its final
/// state (approved with its certificate, rejected, filed, or referred to review). Of two
/// concurrent submissions one wins and the other gets 409. Roles: enterprise.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    request_body = SubmitRequest,
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["enterprise"]))
)]
#[post("/applications/{id}/submit")]
pub async fn submit_application(
    auth: Auth<EnterpriseOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let scope = Some(auth.enterprise_id.ok_or(ApiError::Forbidden)?);
    let input: SubmitRequest = body.value().await?;
    let actor = auth.actor();
    let (now, today, seed) = ctx_parts(&state);
    let (view, status) = state
        .db
        .write(move |conn| {
            let app = visible_application(conn, id, scope)?;
            let ctx = Ctx {
                actor: &actor,
                now,
                today,
                signing_key: &seed,
            };
            let done = lifecycle::submit(conn, &ctx, &app, input.commitment_accepted)?;
            Ok((
                application_full(conn, done.application, today)?,
                done.status,
            ))
        })
        .await?;
    count_decision(&state, Some(status));
    Ok(HttpResponse::Ok().json(view))
}

/// Withdraws a draft or an application under review. Roles: enterprise.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = ["enterprise"]))
)]
#[post("/applications/{id}/withdraw")]
pub async fn withdraw_application(
    auth: Auth<EnterpriseOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let scope = Some(auth.enterprise_id.ok_or(ApiError::Forbidden)?);
    let actor = auth.actor();
    let (now, today, seed) = ctx_parts(&state);
    let view = state
        .db
        .write(move |conn| {
            let app = visible_application(conn, id, scope)?;
            let ctx = Ctx {
                actor: &actor,
                now,
                today,
                signing_key: &seed,
            };
            let row = lifecycle::withdraw(conn, &ctx, &app)?;
            application_full(conn, row, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: Decision,
    /// At least 10 characters; kept in the audit trail.
    pub reason: String,
}

/// A reviewer approves or rejects an application under review, with a written reason (at
/// least 10 characters) that goes into the audit trail. Approval issues the certificate. Only
/// the review path: any other state is 409 `invalid_transition`; of two concurrent decisions
/// one wins. Roles: admin, reviewer.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    request_body = DecisionRequest,
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer"]))
)]
#[post("/applications/{id}/decision")]
pub async fn decide_application(
    auth: Auth<Reviewers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input: DecisionRequest = body.value().await?;
    let mut v = Validator::new();
    let reason = v.text("reason", &input.reason, domain::MIN_REASON_CHARS, 2000);
    v.finish()?;
    let reason = reason.unwrap_or_default();
    let actor = auth.actor();
    let (now, today, seed) = ctx_parts(&state);
    let (view, status) = state
        .db
        .write(move |conn| {
            let app = visible_application(conn, id, None)?;
            let ctx = Ctx {
                actor: &actor,
                now,
                today,
                signing_key: &seed,
            };
            let (row, _) = lifecycle::decide(conn, &ctx, &app, input.decision, &reason)?;
            let status = row.status()?;
            Ok((application_full(conn, row, today)?, status))
        })
        .await?;
    count_decision(&state, Some(status));
    Ok(HttpResponse::Ok().json(view))
}

// ---------------------------------------------------------------------------------------------
// Certificates

#[derive(Debug, Deserialize, IntoParams)]
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

/// Lists certificates, newest first. Staff see all, an enterprise its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "permits",
    params(CertificateQuery),
    responses((status = 200, body = Page<CertificateView>), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/certificates")]
pub async fn list_certificates(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    query: ApiQuery<CertificateQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    if q.expiring_within_days
        .is_some_and(|d| !(0..=3650).contains(&d))
    {
        return Err(ApiError::field(
            "expiring_within_days",
            "out_of_range",
            "must be 0 to 3650",
        ));
    }
    let today = state.clock.today(state.config.timezone);
    let scope = auth.enterprise_scope();
    let mut filter = store::CertificateFilter {
        enterprise_id: match scope {
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
            return Err(ApiError::field(
                "expiring_within_days",
                "invalid",
                "applies to active certificates only",
            ));
        }
        filter.valid_between = Some((today, Some(horizon)));
    }
    let foreign = scope.is_some_and(|own| q.enterprise_id.is_some_and(|e| e != own.0));
    let rows = state
        .db
        .run(move |conn| {
            if let Some(code) = &filter.permit_type
                && store::find_type(conn, code)?.is_none()
            {
                return Err(ApiError::field(
                    "permit_type",
                    "unknown_code",
                    "is not a permit type code",
                ));
            }
            if foreign {
                return Ok(Vec::new());
            }
            store::list_certificates(conn, &filter, page.before_id, page.fetch())
        })
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    Ok(HttpResponse::Ok().json(page.map(|r| certificate_view(r, today, None))))
}

/// One certificate with its timeline. Staff read any; an enterprise only its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    responses((status = 200, body = CertificateView), (status = 404, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/certificates/{id}")]
pub async fn get_certificate(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let today = state.clock.today(state.config.timezone);
    let scope = auth.enterprise_scope();
    let view = state
        .db
        .run(move |conn| {
            let row = store::find_certificate(conn, id)?
                .filter(|c| scope.is_none_or(|e| e.0 == c.enterprise_id))
                .ok_or(ApiError::NotFound)?;
            let timeline = audit::store::timeline(conn, CERTIFICATE, &id.to_string())?;
            Ok(certificate_view(row, today, Some(timeline)))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// At least 10 characters; kept on the certificate and in the audit trail.
    pub reason: String,
}

/// Revokes an active certificate with a reason. Revoked, superseded certificates stay
/// revoked; a second revocation is 409 `invalid_transition`. Roles: admin.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    request_body = RevokeRequest,
    responses((status = 200, body = CertificateView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[post("/certificates/{id}/revoke")]
pub async fn revoke_certificate(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input: RevokeRequest = body.value().await?;
    let mut v = Validator::new();
    let reason = v.text("reason", &input.reason, domain::MIN_REASON_CHARS, 2000);
    v.finish()?;
    let reason = reason.unwrap_or_default();
    let actor = auth.actor();
    let (now, today, seed) = ctx_parts(&state);
    let view = state
        .db
        .write(move |conn| {
            let ctx = Ctx {
                actor: &actor,
                now,
                today,
                signing_key: &seed,
            };
            let row = lifecycle::revoke(conn, &ctx, id, &reason)?;
            let timeline = audit::store::timeline(conn, CERTIFICATE, &id.to_string())?;
            Ok(certificate_view(row, today, Some(timeline)))
        })
        .await?;
    state.metrics.domain_event("certificate", "revoked");
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateKey {
    /// `Ed25519`
    pub algorithm: &'static str,
    /// `base64` (standard alphabet, padded): the raw 32-byte public key.
    pub encoding: &'static str,
    pub public_key: String,
    /// What is signed.
    pub signed_message: &'static str,
}

/// The Ed25519 public key that verifies every certificate's signature offline.
/// Roles: public.
#[utoipa::path(tag = "permits", responses((status = 200, body = CertificateKey)), security(()))]
#[get("/public/certificate-key")]
pub async fn certificate_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(CertificateKey {
        algorithm: "Ed25519",
        encoding: "base64",
        public_key: certificates::public_key(&state.config.secrets.signing_key),
        signed_message: "the UTF-8 bytes of signed_payload (canonical JSON: keys sorted, no white space); the signature is base64 of the 64-byte Ed25519 signature",
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// The verification code printed on the certificate (case-insensitive).
    pub code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    /// True only for an active certificate.
    pub valid: bool,
    pub status: CertificateStatus,
    pub number: String,
    pub permit_type: String,
    pub holder_name: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// The canonical JSON that was signed, byte for byte.
    pub signed_payload: String,
    /// Ed25519 signature of `signed_payload`, base64.
    pub signature: String,
}

/// Verifies a certificate by its number and verification code, for anyone. A wrong or missing
/// code answers exactly like an unknown number (404). Roles: public.
#[utoipa::path(
    tag = "permits",
    params(("number" = String, Path), VerifyQuery),
    responses((status = 200, body = VerificationView), (status = 404, body = Problem)),
    security(())
)]
#[get("/public/certificates/{number}")]
pub async fn verify_certificate(
    state: web::Data<AppState>,
    number: web::Path<String>,
    query: ApiQuery<VerifyQuery>,
) -> Result<HttpResponse, ApiError> {
    let number = number.into_inner();
    let code = query
        .0
        .code
        .map(|c| certificates::normalize_code(&c))
        .unwrap_or_default();
    let today = state.clock.today(state.config.timezone);
    let row = match domain::CertificateNumber::parse(&number) {
        Ok(n) => {
            state
                .db
                .run(move |conn| store::find_certificate_by_number(conn, n.as_str()))
                .await?
        }
        Err(_) => None,
    };
    let row = row
        .filter(|c| certificates::codes_match(&code, &c.verification_code))
        .ok_or(ApiError::NotFound)?;
    let status = row.status_on(today);
    Ok(HttpResponse::Ok().json(VerificationView {
        valid: status == CertificateStatus::Active,
        status,
        number: row.number,
        permit_type: row.permit_type,
        holder_name: row.holder_name,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        signed_payload: row.signed_payload,
        signature: row.signature,
    }))
}

// ---------------------------------------------------------------------------------------------
// Figures

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First local date of the period (default: 1 January of this year).
    pub from: Option<NaiveDate>,
    /// Last local date of the period, included (default: today).
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct OutcomeCounts {
    pub approved: u64,
    pub rejected: u64,
    pub filed: u64,
    pub under_review: u64,
    pub withdrawn: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TypeFigures {
    pub permit_type: String,
    /// Applications submitted in the period.
    pub submitted: u64,
    /// Their states now.
    pub outcomes: OutcomeCounts,
    /// Approved, rejected or filed.
    pub decided: u64,
    /// Of those, decided by the rules at submission.
    pub decided_instantly: u64,
    /// `decided_instantly / decided` (null when nothing was decided).
    pub instant_share: Option<f64>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Durations {
    pub count: u64,
    /// Seconds from submission to decision.
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionTimes {
    /// Decided by the rules.
    pub instant: Durations,
    /// Decided by a reviewer.
    pub review: Durations,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewFigures {
    /// Under review now.
    pub open: i64,
    /// Under review past `due_on` now.
    pub overdue: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateFigures {
    /// Issued in the period.
    pub issued: i64,
    /// Active now.
    pub active: i64,
    /// Active now and expiring within 90 days.
    pub expiring_within_90_days: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PermitStats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Per permit type (every type, in code order).
    pub by_type: Vec<TypeFigures>,
    pub total: TypeFigures,
    pub decision_times: DecisionTimes,
    pub reviews: ReviewFigures,
    pub certificates: CertificateFigures,
}

/// Nearest-rank percentile of ascending values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

fn durations(mut values: Vec<f64>) -> Durations {
    values.sort_by(f64::total_cmp);
    Durations {
        count: values.len() as u64,
        median_seconds: percentile(&values, 50.0),
        p90_seconds: percentile(&values, 90.0),
    }
}

fn figures(permit_type: String, rows: &[&store::StatRow]) -> TypeFigures {
    let mut outcomes = OutcomeCounts::default();
    let mut decided_instantly = 0;
    for r in rows {
        match ApplicationStatus::parse(&r.status) {
            Some(ApplicationStatus::Approved) => outcomes.approved += 1,
            Some(ApplicationStatus::Rejected) => outcomes.rejected += 1,
            Some(ApplicationStatus::Filed) => outcomes.filed += 1,
            Some(ApplicationStatus::UnderReview) => outcomes.under_review += 1,
            Some(ApplicationStatus::Withdrawn) => outcomes.withdrawn += 1,
            _ => {}
        }
        if r.decided_at.is_some() && r.decided_by.is_none() {
            decided_instantly += 1;
        }
    }
    let decided = outcomes.approved + outcomes.rejected + outcomes.filed;
    TypeFigures {
        permit_type,
        submitted: rows.len() as u64,
        outcomes,
        decided,
        decided_instantly,
        instant_share: (decided > 0).then(|| decided_instantly as f64 / decided as f64),
    }
}

/// Permit figures for a period of local dates: per permit type the outcomes of the
/// applications submitted in it, the share decided instantly, median and 90th-percentile
/// time from submission to decision (instant and review apart); reviews open and overdue and
/// certificates active and expiring within 90 days as of today; certificates issued in the
/// period. Roles: admin, reviewer, inspector.
#[utoipa::path(
    tag = "permits",
    params(StatsQuery),
    responses((status = 200, body = PermitStats), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector"]))
)]
#[get("/stats/permits")]
pub async fn permit_stats(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    query: ApiQuery<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    use chrono::Datelike;
    let today = state.clock.today(state.config.timezone);
    let to = query.0.to.unwrap_or(today);
    let from = query
        .0
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    if from > to {
        return Err(ApiError::field(
            "to",
            "out_of_range",
            "must not be before from",
        ));
    }
    let start = local_midnight(&state, from);
    let end = local_midnight(&state, to.succ_opt().unwrap_or(to));
    let horizon = today + chrono::Duration::days(90);
    let (types, rows, reviews, certs) = state
        .db
        .run(move |conn| {
            let types = store::list_types(conn)?;
            let rows = store::submitted_between(conn, start, end)?;
            let reviews = store::reviews_open(conn, today)?;
            let certs = store::certificate_counts(conn, start, end, today, horizon)?;
            Ok((types, rows, reviews, certs))
        })
        .await?;
    let by_type = types
        .iter()
        .map(|t| {
            let mine: Vec<&store::StatRow> =
                rows.iter().filter(|r| r.permit_type == t.code).collect();
            figures(t.code.clone(), &mine)
        })
        .collect();
    let all: Vec<&store::StatRow> = rows.iter().collect();
    let seconds = |r: &store::StatRow| match (r.submitted_at, r.decided_at) {
        (Some(s), Some(d)) => Some((d - s).num_microseconds().unwrap_or(0) as f64 / 1e6),
        _ => None,
    };
    let instant = rows
        .iter()
        .filter(|r| r.decided_by.is_none())
        .filter_map(seconds)
        .collect();
    let review = rows
        .iter()
        .filter(|r| r.decided_by.is_some())
        .filter_map(seconds)
        .collect();
    Ok(HttpResponse::Ok().json(PermitStats {
        from,
        to,
        by_type,
        total: figures("all".into(), &all),
        decision_times: DecisionTimes {
            instant: durations(instant),
            review: durations(review),
        },
        reviews: ReviewFigures {
            open: reviews.0,
            overdue: reviews.1,
        },
        certificates: CertificateFigures {
            issued: certs.0,
            active: certs.1,
            expiring_within_90_days: certs.2,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(5.0));
        assert_eq!(percentile(&v, 90.0), Some(9.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[3.0], 90.0), Some(3.0));
    }
}
