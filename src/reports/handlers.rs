//! `/api/v1/public/reports…` (the reporter, no account), `/api/v1/reports…` (handling),
//! `/api/v1/rewards…`, `/api/v1/reward-rules`, `/api/v1/reward-situations` and
//! `/api/v1/stats/reports`.
//!
//! Privacy: nothing here logs or stores the client address (it is used only as the key of the
//! in-memory rate limits), the receipt (only its argon2id hash is stored; public idempotency
//! records hold neither it nor the raw key) or the contact fields (sealed with the data key).

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::crypto;
use super::domain::{
    self, AccidentGrade, Action, AmountRule, Breakdown, Category, Contact, Direction, Outcome,
    Payee, Receipt, ReportId, ReportStatus, RewardCase, RewardId, RewardStatus, RuleFigures,
    RuleKind,
};
use super::store::{
    self, MessageRow, NewReport, NewReward, NewRule, NewSituation, ReportRow, RewardRow, RuleRow,
    SituationRow,
};
use crate::audit::{self, Actor, TimelineEntry};
use crate::auth::{Admin, Auth, Inspectors, Staff};
use crate::db::DbConn;
use crate::enterprises::credit_code::CreditCode;
use crate::enterprises::domain::ReferenceCodes;
use crate::error::{ApiError, Problem, Validator};
use crate::http::extract::{ApiQuery, JsonBody, parse_json, read_body};
use crate::http::idempotency::{self, Idempotent, key_from, request_hash};
use crate::http::pagination::{Page, PageRequest};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(file_report)
        .service(lookup_report)
        .service(reporter_message)
        .service(claim_reward)
        .service(list_reports)
        .service(get_report)
        .service(assign_report)
        .service(start_report)
        .service(staff_message)
        .service(conclude_report)
        .service(open_identity)
        .service(decide_reward)
        .service(list_rewards)
        .service(get_reward)
        .service(pay_reward)
        .service(list_rules)
        .service(create_rule)
        .service(list_situations)
        .service(import_situations)
        .service(report_stats);
}

fn internal_text<T>(text: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, ApiError> {
    parse(text).ok_or_else(|| ApiError::internal("unknown enumeration value stored"))
}

// =============================================================================================
// Views

#[derive(Debug, Serialize, ToSchema)]
pub struct FiledReport {
    pub tracking_number: String,
    /// 16 digits, shown once: the only key to follow the report. Keep it safe.
    pub receipt: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterMessageView {
    /// `bureau` (a message to you) or `reporter` (one you sent).
    pub from: String,
    pub body: String,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub at: NaiveDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterRewardView {
    pub amount_fen: i64,
    pub status: RewardStatus,
    pub decided_on: NaiveDate,
    /// The last day the reward may be claimed.
    pub claim_deadline: NaiveDate,
    pub paid_on: Option<NaiveDate>,
}

/// What a reporter sees with the receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterView {
    pub tracking_number: String,
    pub status: ReportStatus,
    pub category: Category,
    pub industry: String,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: NaiveDateTime,
    pub concluded_on: Option<NaiveDate>,
    pub messages: Vec<ReporterMessageView>,
    /// Whether an administrator has opened the reporter's identity (never by whom).
    pub identity_opened: bool,
    pub reward: Option<ReporterRewardView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub direction: Direction,
    pub body: String,
    pub author_id: Option<i64>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub at: NaiveDateTime,
}

impl TryFrom<MessageRow> for MessageView {
    type Error = ApiError;
    fn try_from(m: MessageRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: m.id,
            direction: internal_text(&m.direction, Direction::parse)?,
            body: m.body,
            author_id: m.author_id,
            at: m.at,
        })
    }
}

/// A report as staff see it: everything but the reporter's identity.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: ReportId,
    pub tracking_number: String,
    pub industry: String,
    pub category: Category,
    pub enterprise_name: Option<String>,
    pub enterprise_credit_code: Option<String>,
    /// The registered enterprise with that credit code, when there is one.
    pub enterprise_id: Option<i64>,
    pub district: Option<String>,
    pub location: Option<String>,
    pub occurred_on: Option<NaiveDate>,
    pub description: String,
    pub is_employee: bool,
    /// No contact field was given.
    pub anonymous: bool,
    pub status: ReportStatus,
    pub assignee_id: Option<i64>,
    pub duplicate_of: Option<ReportId>,
    pub findings: Option<String>,
    pub situation_code: Option<String>,
    pub accident_grade: Option<AccidentGrade>,
    pub concealed_deaths: Option<i32>,
    pub identity_opened: bool,
    pub filed_on: NaiveDate,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: NaiveDateTime,
    pub concluded_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl TryFrom<ReportRow> for ReportView {
    type Error = ApiError;
    fn try_from(r: ReportRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: ReportId(r.id),
            tracking_number: domain::tracking_number(ReportId(r.id), r.filed_on),
            category: internal_text(&r.category, Category::parse)?,
            status: internal_text(&r.status, ReportStatus::parse)?,
            accident_grade: r
                .accident_grade
                .as_deref()
                .map(|g| internal_text(g, AccidentGrade::parse))
                .transpose()?,
            anonymous: r.contact_sealed.is_none(),
            identity_opened: r.identity_opened_at.is_some(),
            duplicate_of: r.duplicate_of.map(ReportId),
            industry: r.industry,
            enterprise_name: r.enterprise_name,
            enterprise_credit_code: r.enterprise_credit_code,
            enterprise_id: r.enterprise_id,
            district: r.district,
            location: r.location,
            occurred_on: r.occurred_on,
            description: r.description,
            is_employee: r.is_employee,
            assignee_id: r.assignee_id,
            findings: r.findings,
            situation_code: r.situation_code,
            concealed_deaths: r.concealed_deaths,
            filed_on: r.filed_on,
            received_at: r.received_at,
            concluded_on: r.concluded_on,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDetail {
    #[serde(flatten)]
    pub report: ReportView,
    /// The penalties the report led to (named at conclusion).
    pub penalty_ids: Vec<i64>,
    /// Every message: from the reporter, to the reporter, and internal notes.
    pub messages: Vec<MessageView>,
    pub reward: Option<RewardView>,
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RewardView {
    pub id: RewardId,
    pub report_id: ReportId,
    pub industry: String,
    /// As of today: a decided reward past its claim deadline reads `lapsed`.
    pub status: RewardStatus,
    pub amount_fen: i64,
    pub overridden: bool,
    pub override_reason: Option<String>,
    pub breakdown: Breakdown,
    pub decided_on: NaiveDate,
    pub claim_deadline: NaiveDate,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub claimed_at: Option<NaiveDateTime>,
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl RewardView {
    fn from_row(r: RewardRow, today: NaiveDate) -> Result<Self, ApiError> {
        let stored = internal_text(&r.status, RewardStatus::parse)?;
        Ok(Self {
            id: RewardId(r.id),
            report_id: ReportId(r.report_id),
            industry: r.industry,
            status: domain::effective_reward_status(stored, r.claim_deadline, today),
            amount_fen: r.amount_fen,
            overridden: r.overridden,
            override_reason: r.override_reason,
            breakdown: serde_json::from_str(&r.breakdown).map_err(ApiError::internal)?,
            decided_on: r.decided_on,
            claim_deadline: r.claim_deadline,
            claimed_at: r.claimed_at,
            paid_on: r.paid_on,
            payment_reference: r.payment_reference,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RewardDetail {
    #[serde(flatten)]
    pub reward: RewardView,
    /// Decrypted for the admin paying it, once claimed.
    pub payee: Option<Payee>,
    pub timeline: Vec<TimelineEntry>,
}

fn report_detail(
    conn: &mut DbConn,
    row: ReportRow,
    today: NaiveDate,
) -> Result<ReportDetail, ApiError> {
    let id = ReportId(row.id);
    let messages = store::messages(conn, id, None)?
        .into_iter()
        .map(MessageView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let reward = store::reward_of_report(conn, id)?
        .map(|r| RewardView::from_row(r, today))
        .transpose()?;
    Ok(ReportDetail {
        penalty_ids: store::penalty_ids(conn, id)?,
        messages,
        reward,
        timeline: audit::store::timeline(conn, "report", &id.to_string())?,
        report: ReportView::try_from(row)?,
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

// =============================================================================================
// Public: filing and following

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileReportRequest {
    /// An industry code.
    pub industry: String,
    pub category: Category,
    pub enterprise_name: Option<String>,
    /// The enterprise's unified social credit code, when known.
    pub enterprise_credit_code: Option<String>,
    /// A district code.
    pub district: Option<String>,
    pub location: Option<String>,
    pub occurred_on: Option<NaiveDate>,
    /// 20 to 5,000 characters.
    pub description: String,
    /// An employee reporting its own employer: name and phone are then required.
    pub is_employee: bool,
    pub reporter: Option<Contact>,
}

/// The checks that need no database.
struct Filing {
    input: FileReportRequest,
    contact: Contact,
    credit_code: Option<String>,
    description: String,
    enterprise_name: Option<String>,
    location: Option<String>,
}

fn check_filing(input: FileReportRequest, today: NaiveDate) -> Result<Filing, ApiError> {
    let mut v = Validator::new();
    let description = v
        .text("description", &input.description, 20, 5_000)
        .unwrap_or_default();
    let optional_text = |v: &mut Validator, field: &str, s: &Option<String>, max: usize| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| v.text(field, s, 1, max))
    };
    let enterprise_name = optional_text(&mut v, "enterprise_name", &input.enterprise_name, 200);
    let location = optional_text(&mut v, "location", &input.location, 300);
    let credit_code = input
        .enterprise_credit_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|c| v.check("enterprise_credit_code", "invalid", CreditCode::parse(c)))
        .map(|c| c.as_str().to_owned());
    if input.occurred_on.is_some_and(|d| d > today) {
        v.add("occurred_on", "out_of_range", "must not be in the future");
    }
    let contact = domain::check_contact(
        &input.reporter.clone().unwrap_or_default(),
        "reporter.",
        &mut v,
    );
    if input.is_employee {
        // Employee reports are real-name by rule.
        if contact.name.is_none() {
            v.add(
                "reporter.name",
                "required",
                "an employee reporting its employer must give a name",
            );
        }
        if contact.phone.is_none() {
            v.add(
                "reporter.phone",
                "required",
                "an employee reporting its employer must give a phone number",
            );
        }
    }
    v.finish()?;
    Ok(Filing {
        input,
        contact,
        credit_code,
        description,
        enterprise_name,
        location,
    })
}

/// Files a report, anonymously or not → 201 `{tracking_number, receipt}`. The receipt (16
/// digits) is shown once and stored only as a slow hash; contact fields are encrypted at rest.
/// An employee reporting its employer must give name and phone. Limited per client address
/// (`ANJIAN_REPORT_RATE`); with `Idempotency-Key` a retry returns the same receipt. Roles: public.
#[utoipa::path(
    tag = "reports",
    request_body = FileReportRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response (a random UUID)")),
    responses((status = 201, body = FiledReport), (status = 422, body = Problem), (status = 429, body = Problem)),
    security(())
)]
#[post("/public/reports")]
pub async fn file_report(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    state.limits.report.check(state.limits.client_ip(&req))?;
    let body = body.parse::<FileReportRequest>().await?;
    let raw_key = key_from(&req)?;
    // The stored key is a hash: the raw key unseals the receipt kept for a replay.
    let idem = Idempotent {
        scope: "public".into(),
        key: raw_key.as_deref().map(crypto::hashed_key),
        hash: request_hash(&req, &body.bytes),
    };
    let now = state.clock.now_naive();
    let today = state.clock.today(state.config.timezone);
    let data_key = state.config.secrets.data_key;
    let filing = check_filing(body.value, today)?;
    let receipt = Receipt::generate();
    let receipt_hash = crypto::hash_receipt_blocking(data_key, receipt.clone()).await?;
    let contact_sealed = if filing.contact.is_empty() {
        None
    } else {
        Some(crypto::seal_json(
            &data_key,
            crypto::CONTACT,
            &filing.contact,
        )?)
    };
    let replay_sealed = raw_key
        .as_deref()
        .map(|k| {
            crypto::seal(
                &crypto::replay_key(&data_key, k),
                crypto::REPLAY,
                receipt.as_str().as_bytes(),
            )
        })
        .transpose()
        .map_err(ApiError::internal)?;
    let receipt_text = receipt.as_str().to_owned();
    let (status, mut body) = state
        .db
        .write(move |conn| {
            let codes = crate::enterprises::store::reference_codes(conn)?;
            let mut v = Validator::new();
            if !codes.has_industry(filing.input.industry.trim()) {
                v.add("industry", "unknown_code", "is not an industry code");
            }
            let district = filing
                .input
                .district
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty());
            if district.is_some_and(|d| !codes.has_district(d)) {
                v.add("district", "unknown_code", "is not a district code");
            }
            v.finish()?;
            idem.run(conn, now, |conn| {
                let enterprise = match &filing.credit_code {
                    Some(code) => enterprise_by_code(conn, code)?,
                    None => None,
                };
                let row = store::insert_report(
                    conn,
                    &NewReport {
                        receipt_hash,
                        industry: filing.input.industry.trim().to_owned(),
                        category: filing.input.category.as_str().to_owned(),
                        enterprise_name: filing.enterprise_name.clone(),
                        enterprise_credit_code: filing.credit_code.clone(),
                        enterprise_id: enterprise.as_ref().map(|e| e.0),
                        district: district
                            .map(str::to_owned)
                            .or_else(|| enterprise.as_ref().map(|e| e.1.clone())),
                        location: filing.location.clone(),
                        occurred_on: filing.input.occurred_on,
                        description: filing.description.clone(),
                        is_employee: filing.input.is_employee,
                        contact_sealed,
                        status: ReportStatus::Received.as_str().to_owned(),
                        assignee_id: None,
                        duplicate_of: None,
                        findings: None,
                        situation_code: None,
                        accident_grade: None,
                        concealed_deaths: None,
                        filed_on: today,
                        received_at: now,
                        concluded_on: None,
                        concluded_at: None,
                        updated_at: now,
                    },
                )?;
                audit::store::append_first(
                    conn,
                    "report",
                    &row.id.to_string(),
                    "filed",
                    &Actor::PUBLIC,
                    json!({
                        "industry": row.industry, "category": row.category,
                        "district": row.district, "enterprise_id": row.enterprise_id,
                        "is_employee": row.is_employee, "anonymous": row.contact_sealed.is_none(),
                    }),
                    now,
                )?;
                let tracking = domain::tracking_number(ReportId(row.id), row.filed_on);
                let body = match &replay_sealed {
                    Some(sealed) => json!({"tracking_number": tracking, "receipt_sealed": sealed}),
                    None => json!({"tracking_number": tracking, "receipt": receipt_text}),
                };
                Ok((StatusCode::CREATED, body))
            })
        })
        .await?;
    if let (Some(sealed), Some(k)) = (
        body.get("receipt_sealed").and_then(Value::as_str),
        raw_key.as_deref(),
    ) {
        let receipt = crypto::open(&crypto::replay_key(&data_key, k), crypto::REPLAY, sealed)
            .map_err(ApiError::internal)?;
        let receipt = String::from_utf8(receipt).map_err(ApiError::internal)?;
        body = json!({"tracking_number": body["tracking_number"], "receipt": receipt});
    }
    Ok(idempotency::respond((status, body)))
}

/// `(id, district)` of the registered enterprise with this credit code.
fn enterprise_by_code(conn: &mut DbConn, code: &str) -> Result<Option<(i64, String)>, ApiError> {
    use crate::schema::enterprises;
    use diesel::prelude::*;
    Ok(enterprises::table
        .filter(enterprises::credit_code.eq(code))
        .select((enterprises::id, enterprises::district))
        .get_result(conn)
        .optional()?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    /// The 16-digit receipt given at filing.
    pub receipt: String,
}

fn parse_receipt(raw: &str) -> Result<Receipt, ApiError> {
    Receipt::parse(raw).map_err(|e| ApiError::field("receipt", "invalid", e.to_string()))
}

/// Refuses an address that has sent too many wrong receipts (429 until the window passes).
fn receipt_gate(state: &AppState, req: &HttpRequest) -> Result<std::net::IpAddr, ApiError> {
    let ip = state.limits.client_ip(req);
    state.limits.receipt.check(ip, state.clock.now())?;
    Ok(ip)
}

/// A wrong receipt: counted against the address, then 404.
fn wrong_receipt(state: &AppState, ip: std::net::IpAddr) -> ApiError {
    state.limits.receipt.strike(ip, state.clock.now());
    ApiError::NotFound
}

/// Follows a report by its receipt: its status, the messages meant for the reporter, whether
/// the identity was opened, and the reward when there is one. A wrong receipt is 404 after the
/// same work (one slow hash, one indexed lookup); past `ANJIAN_RECEIPT_RATE` wrong receipts the
/// address gets 429 on every receipt route until the window passes. Roles: public.
#[utoipa::path(
    tag = "reports",
    request_body = ReceiptRequest,
    responses((status = 200, body = ReporterView), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)),
    security(())
)]
#[post("/public/reports/lookup")]
pub async fn lookup_report(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let ip = receipt_gate(&state, &req)?;
    let input: ReceiptRequest = body.value().await?;
    let receipt = parse_receipt(&input.receipt)?;
    let hash = crypto::hash_receipt_blocking(state.config.secrets.data_key, receipt).await?;
    let today = state.clock.today(state.config.timezone);
    let view = state
        .db
        .run(move |conn| {
            let Some(report) = store::find_by_receipt_hash(conn, &hash)? else {
                return Ok(None);
            };
            reporter_view(conn, report, today).map(Some)
        })
        .await?;
    match view {
        Some(v) => Ok(HttpResponse::Ok().json(v)),
        None => Err(wrong_receipt(&state, ip)),
    }
}

fn reporter_view(
    conn: &mut DbConn,
    report: ReportRow,
    today: NaiveDate,
) -> Result<ReporterView, ApiError> {
    let id = ReportId(report.id);
    let messages = store::messages(
        conn,
        id,
        Some(&[
            Direction::ToReporter.as_str(),
            Direction::FromReporter.as_str(),
        ]),
    )?
    .into_iter()
    .map(|m| ReporterMessageView {
        from: if m.direction == Direction::ToReporter.as_str() {
            "bureau".into()
        } else {
            "reporter".into()
        },
        body: m.body,
        at: m.at,
    })
    .collect();
    let reward = store::reward_of_report(conn, id)?
        .map(|r| -> Result<ReporterRewardView, ApiError> {
            let stored = internal_text(&r.status, RewardStatus::parse)?;
            Ok(ReporterRewardView {
                amount_fen: r.amount_fen,
                status: domain::effective_reward_status(stored, r.claim_deadline, today),
                decided_on: r.decided_on,
                claim_deadline: r.claim_deadline,
                paid_on: r.paid_on,
            })
        })
        .transpose()?;
    Ok(ReporterView {
        tracking_number: domain::tracking_number(id, report.filed_on),
        status: internal_text(&report.status, ReportStatus::parse)?,
        category: internal_text(&report.category, Category::parse)?,
        industry: report.industry,
        received_at: report.received_at,
        concluded_on: report.concluded_on,
        messages,
        identity_opened: report.identity_opened_at.is_some(),
        reward,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterMessageRequest {
    pub receipt: String,
    /// 1 to 5,000 characters.
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageCreated {
    pub id: i64,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub at: NaiveDateTime,
}

/// Adds information to a report, by receipt → 201. A wrong receipt is 404 (and counts
/// towards the wrong-receipt limit). Roles: public.
#[utoipa::path(
    tag = "reports",
    request_body = ReporterMessageRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")),
    responses((status = 201, body = MessageCreated), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)),
    security(())
)]
#[post("/public/reports/messages")]
pub async fn reporter_message(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let ip = receipt_gate(&state, &req)?;
    let input: ReporterMessageRequest = body.value().await?;
    let mut v = Validator::new();
    let receipt = v.check("receipt", "invalid", Receipt::parse(&input.receipt));
    let text = v.text("body", &input.body, 1, 5_000);
    v.finish()?;
    let (Some(receipt), Some(text)) = (receipt, text) else {
        return Err(ApiError::internal("validator passed without values"));
    };
    let hash = crypto::hash_receipt_blocking(state.config.secrets.data_key, receipt).await?;
    // The idempotency record hashes the receipt's hash, never the receipt itself.
    let idem = Idempotent {
        scope: "public".into(),
        key: key_from(&req)?,
        hash: request_hash(&req, format!("{hash}\n{text}").as_bytes()),
    };
    let now = state.clock.now_naive();
    let result = state
        .db
        .write(move |conn| {
            let Some(report) = store::find_by_receipt_hash(conn, &hash)? else {
                return Ok(None);
            };
            idem.run(conn, now, |conn| {
                let id = ReportId(report.id);
                let m = store::insert_message(
                    conn,
                    id,
                    Direction::FromReporter.as_str(),
                    &text,
                    None,
                    now,
                )?;
                audit::store::append(
                    conn,
                    "report",
                    &id.to_string(),
                    "reporter_message",
                    &Actor::PUBLIC,
                    json!({"message_id": m.id}),
                    now,
                )?;
                Ok((
                    StatusCode::CREATED,
                    to_json(&MessageCreated { id: m.id, at: m.at })?,
                ))
            })
            .map(Some)
        })
        .await?;
    match result {
        Some(r) => Ok(idempotency::respond(r)),
        None => Err(wrong_receipt(&state, ip)),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    pub receipt: String,
    pub payee: Payee,
}

enum Claim {
    UnknownReceipt,
    /// Refused, with what the transaction wrote (a lapse) kept.
    Refused(ApiError),
    Claimed(ReporterRewardView),
}

/// Claims a decided reward within 60 days of the decision, naming the payee (encrypted at
/// rest, shown only to admins paying it) → 200 with the reward. A reward not `decided` is 409;
/// past the deadline it has lapsed (409). Roles: public.
#[utoipa::path(
    tag = "reports",
    request_body = ClaimRequest,
    responses((status = 200, body = ReporterRewardView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)),
    security(())
)]
#[post("/public/reports/claim")]
pub async fn claim_reward(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let ip = receipt_gate(&state, &req)?;
    let input: ClaimRequest = body.value().await?;
    let mut v = Validator::new();
    let receipt = v.check("receipt", "invalid", Receipt::parse(&input.receipt));
    let payee = domain::check_payee(&input.payee, &mut v);
    v.finish()?;
    let receipt = receipt.ok_or_else(|| ApiError::internal("validator passed without a value"))?;
    let data_key = state.config.secrets.data_key;
    let hash = crypto::hash_receipt_blocking(data_key, receipt).await?;
    let sealed = crypto::seal_json(&data_key, crypto::PAYEE, &payee)?;
    let now = state.clock.now_naive();
    let today = state.clock.today(state.config.timezone);
    let outcome = state
        .db
        .write(move |conn| {
            let Some(report) = store::find_by_receipt_hash(conn, &hash)? else {
                return Ok(Claim::UnknownReceipt);
            };
            let Some(reward) = store::reward_of_report(conn, ReportId(report.id))? else {
                return Ok(Claim::Refused(ApiError::Conflict(
                    "the report has no reward to claim".into(),
                )));
            };
            let id = RewardId(reward.id);
            if store::lapse_overdue(conn, today, now, Some(id))? > 0 {
                return Ok(Claim::Refused(ApiError::InvalidTransition(
                    "the claim period has ended; the reward has lapsed".into(),
                )));
            }
            use crate::schema::rewards;
            use diesel::prelude::*;
            let n = diesel::update(
                rewards::table
                    .filter(rewards::id.eq(id.0))
                    .filter(rewards::status.eq(RewardStatus::Decided.as_str())),
            )
            .set((
                rewards::status.eq(RewardStatus::Claimed.as_str()),
                rewards::payee_sealed.eq(Some(sealed)),
                rewards::claimed_at.eq(Some(now)),
                rewards::updated_at.eq(now),
            ))
            .execute(conn)?;
            if n == 0 {
                return Ok(Claim::Refused(ApiError::InvalidTransition(
                    "the reward is not waiting to be claimed".into(),
                )));
            }
            audit::store::append(
                conn,
                "reward",
                &id.to_string(),
                "claimed",
                &Actor::PUBLIC,
                json!({}),
                now,
            )?;
            let row = store::find_reward(conn, id)?.ok_or(ApiError::NotFound)?;
            Ok(Claim::Claimed(ReporterRewardView {
                amount_fen: row.amount_fen,
                status: RewardStatus::Claimed,
                decided_on: row.decided_on,
                claim_deadline: row.claim_deadline,
                paid_on: row.paid_on,
            }))
        })
        .await?;
    match outcome {
        Claim::Claimed(v) => Ok(HttpResponse::Ok().json(v)),
        Claim::Refused(e) => Err(e),
        Claim::UnknownReceipt => Err(wrong_receipt(&state, ip)),
    }
}

// =============================================================================================
// Staff: handling

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    pub status: Option<ReportStatus>,
    pub category: Option<Category>,
    pub industry: Option<String>,
    pub district: Option<String>,
    pub assignee_id: Option<i64>,
    /// Filed on or after (local date).
    pub from: Option<NaiveDate>,
    /// Filed on or before (local date).
    pub to: Option<NaiveDate>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists reports, newest first, without the reporters' identities; filters `status`,
/// `category`, `industry`, `district`, `assignee_id`, `from`, `to` (filing dates).
/// Roles: admin, inspector.
#[utoipa::path(tag = "reports", params(ReportQuery), responses((status = 200, body = Page<ReportView>), (status = 422, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[get("/reports")]
pub async fn list_reports(
    _auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    query: ApiQuery<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let filter = store::ReportFilter {
        status: q.status.map(|s| s.as_str().to_owned()),
        category: q.category.map(|c| c.as_str().to_owned()),
        industry: q.industry,
        district: q.district,
        assignee_id: q.assignee_id,
        from: q.from,
        to: q.to,
    };
    let rows = state
        .db
        .run(move |conn| {
            crate::enterprises::store::check_filter_codes(
                conn,
                filter.industry.as_deref(),
                filter.district.as_deref(),
            )?;
            store::list_reports(conn, &filter, page.before_id, page.fetch())
        })
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(ReportView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// One report with its messages, the penalties it led to, its reward and its timeline; never
/// the reporter's identity. Roles: admin, inspector.
#[utoipa::path(tag = "reports", params(("id" = i64, Path)), responses((status = 200, body = ReportDetail), (status = 404, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[get("/reports/{id}")]
pub async fn get_report(
    _auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let today = state.clock.today(state.config.timezone);
    let detail = state
        .db
        .run(move |conn| {
            let row = store::find_report(conn, id)?.ok_or(ApiError::NotFound)?;
            report_detail(conn, row, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// An active inspector (or admin).
    pub inspector_id: i64,
}

/// Assigns a `received` (or reassigns an `assigned`) report to an inspector → 200; any other
/// state is 409. Roles: admin, inspector.
#[utoipa::path(tag = "reports", params(("id" = i64, Path)), request_body = AssignRequest, responses((status = 200, body = ReportDetail), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[post("/reports/{id}/assign")]
pub async fn assign_report(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let input: AssignRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let today = state.clock.today(state.config.timezone);
    let detail = state
        .db
        .write(move |conn| {
            store::find_report(conn, id)?.ok_or(ApiError::NotFound)?;
            if !store::is_assignable(conn, input.inspector_id)? {
                return Err(ApiError::field(
                    "inspector_id",
                    "invalid",
                    "is not an active inspector",
                ));
            }
            let (from, to) = domain::transition(Action::Assign);
            store::transition(
                conn,
                id,
                from,
                to.unwrap_or(ReportStatus::Assigned),
                Action::Assign.name(),
                now,
            )?;
            set_assignee(conn, id, input.inspector_id)?;
            audit::store::append(
                conn,
                "report",
                &id.to_string(),
                "assigned",
                &actor,
                json!({"inspector_id": input.inspector_id}),
                now,
            )?;
            let row = store::find_report(conn, id)?.ok_or(ApiError::NotFound)?;
            report_detail(conn, row, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

fn set_assignee(conn: &mut DbConn, id: ReportId, inspector: i64) -> Result<(), ApiError> {
    use crate::schema::reports;
    use diesel::prelude::*;
    diesel::update(reports::table.find(id.0))
        .set(reports::assignee_id.eq(Some(inspector)))
        .execute(conn)?;
    Ok(())
}

/// Starts the investigation of an `assigned` report → 200; any other state is 409.
/// Roles: admin, inspector.
#[utoipa::path(tag = "reports", params(("id" = i64, Path)), responses((status = 200, body = ReportDetail), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[post("/reports/{id}/start")]
pub async fn start_report(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let today = state.clock.today(state.config.timezone);
    let detail = state
        .db
        .write(move |conn| {
            store::find_report(conn, id)?.ok_or(ApiError::NotFound)?;
            let (from, to) = domain::transition(Action::Start);
            store::transition(
                conn,
                id,
                from,
                to.unwrap_or(ReportStatus::Investigating),
                Action::Start.name(),
                now,
            )?;
            audit::store::append(
                conn,
                "report",
                &id.to_string(),
                "investigation_started",
                &actor,
                json!({}),
                now,
            )?;
            let row = store::find_report(conn, id)?.ok_or(ApiError::NotFound)?;
            report_detail(conn, row, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffMessageRequest {
    /// 1 to 5,000 characters.
    pub body: String,
    /// `true`: the reporter sees it on lookup; `false`: an internal note.
    pub to_reporter: bool,
}

/// Adds a message to a report: to the reporter (seen on lookup) or an internal note → 201.
/// Roles: admin, inspector.
#[utoipa::path(tag = "reports", params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "replays the first response")), request_body = StaffMessageRequest, responses((status = 201, body = MessageView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[post("/reports/{id}/messages")]
pub async fn staff_message(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let body = body.parse::<StaffMessageRequest>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let input = body.value;
    let mut v = Validator::new();
    let text = v.text("body", &input.body, 1, 5_000);
    v.finish()?;
    let text = text.unwrap_or_default();
    let actor = auth.actor();
    let author = auth.id.0;
    let now = state.clock.now_naive();
    let result = state
        .db
        .write(move |conn| {
            store::find_report(conn, id)?.ok_or(ApiError::NotFound)?;
            idem.run(conn, now, |conn| {
                let direction = if input.to_reporter {
                    Direction::ToReporter
                } else {
                    Direction::Internal
                };
                let m =
                    store::insert_message(conn, id, direction.as_str(), &text, Some(author), now)?;
                audit::store::append(
                    conn,
                    "report",
                    &id.to_string(),
                    "message_added",
                    &actor,
                    json!({"message_id": m.id, "to_reporter": input.to_reporter}),
                    now,
                )?;
                Ok((StatusCode::CREATED, to_json(&MessageView::try_from(m)?)?))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcludeRequest {
    pub outcome: Outcome,
    /// 1 to 5,000 characters.
    pub findings: String,
    /// Required for, and only for, `duplicate`: an earlier report on the same matter.
    pub duplicate_of: Option<i64>,
    /// The penalties the report led to (their fines set `major_hazard` and
    /// `illegal_production` rewards).
    pub penalty_ids: Option<Vec<i64>>,
    /// The reward situation the report matched; its rule replaces the category default.
    pub situation_code: Option<String>,
    /// Required, with `concealed_deaths`, for a substantiated accident report.
    pub accident_grade: Option<AccidentGrade>,
    pub concealed_deaths: Option<i64>,
}

/// Concludes an `investigating` report as `substantiated`, `unsubstantiated` or `duplicate`
/// (naming an earlier report) → 200; any other state is 409. A substantiated accident report
/// (or one matching a per-death situation) needs `accident_grade` and `concealed_deaths`.
/// Roles: admin, inspector.
#[utoipa::path(tag = "reports", params(("id" = i64, Path)), request_body = ConcludeRequest, responses((status = 200, body = ReportDetail), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[post("/reports/{id}/conclude")]
pub async fn conclude_report(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let input: ConcludeRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let today = state.clock.today(state.config.timezone);
    let detail = state
        .db
        .write(move |conn| {
            let report = store::find_report(conn, id)?.ok_or(ApiError::NotFound)?;
            let category = internal_text(&report.category, Category::parse)?;
            let mut v = Validator::new();
            let findings = v.text("findings", &input.findings, 1, 5_000);
            match (input.outcome, input.duplicate_of) {
                (Outcome::Duplicate, None) => {
                    v.add(
                        "duplicate_of",
                        "required",
                        "a duplicate names the earlier report",
                    );
                }
                (Outcome::Duplicate, Some(d)) => {
                    if d >= id.0 || store::find_report(conn, ReportId(d))?.is_none() {
                        v.add(
                            "duplicate_of",
                            "invalid",
                            "must name an earlier report on the same matter",
                        );
                    }
                }
                (_, Some(_)) => {
                    v.add(
                        "duplicate_of",
                        "invalid",
                        "only a duplicate names another report",
                    );
                }
                (_, None) => {}
            }
            let mut penalty_ids = input.penalty_ids.clone().unwrap_or_default();
            let existing: HashSet<i64> = store::existing_penalties(conn, &penalty_ids)?
                .into_iter()
                .collect();
            let mut seen = HashSet::new();
            for (i, p) in penalty_ids.iter().enumerate() {
                if !existing.contains(p) {
                    v.add(format!("penalty_ids[{i}]"), "not_found", "is not a penalty");
                } else if !seen.insert(*p) {
                    v.add(format!("penalty_ids[{i}]"), "duplicate", "is named twice");
                }
            }
            penalty_ids.sort_unstable();
            penalty_ids.dedup();
            let situation = match input.situation_code.as_deref().map(str::trim) {
                Some(code) => {
                    let s = store::find_situation(conn, code)?;
                    if s.is_none() {
                        v.add(
                            "situation_code",
                            "unknown_code",
                            "is not a reward situation",
                        );
                    }
                    s
                }
                None => None,
            };
            let per_death = category.is_accident()
                || situation
                    .as_ref()
                    .is_some_and(|s| s.kind == RuleKind::PerDeath.as_str());
            if input.outcome == Outcome::Substantiated && per_death {
                if input.accident_grade.is_none() {
                    v.add(
                        "accident_grade",
                        "required",
                        "an accident report needs the accident's grade",
                    );
                }
                if input.concealed_deaths.is_none() {
                    v.add(
                        "concealed_deaths",
                        "required",
                        "an accident report needs the number of concealed deaths",
                    );
                }
            }
            if input
                .concealed_deaths
                .is_some_and(|n| !(0..=10_000).contains(&n))
            {
                v.add("concealed_deaths", "out_of_range", "must be 0 to 10,000");
            }
            v.finish()?;
            {
                use crate::schema::reports;
                use diesel::prelude::*;
                let n = diesel::update(
                    reports::table
                        .filter(reports::id.eq(id.0))
                        .filter(reports::status.eq(ReportStatus::Investigating.as_str())),
                )
                .set((
                    reports::status.eq(input.outcome.status().as_str()),
                    reports::duplicate_of.eq(input.duplicate_of),
                    reports::findings.eq(findings.clone()),
                    reports::situation_code.eq(situation.as_ref().map(|s| s.code.clone())),
                    reports::accident_grade.eq(store::grade_text(input.accident_grade)),
                    reports::concealed_deaths.eq(input.concealed_deaths.map(|n| n as i32)),
                    reports::concluded_on.eq(Some(today)),
                    reports::concluded_at.eq(Some(now)),
                    reports::updated_at.eq(now),
                ))
                .execute(conn)?;
                if n == 0 || !domain::may(Action::Conclude, ReportStatus::Investigating) {
                    return Err(ApiError::InvalidTransition(
                        "only a report under investigation can be concluded".into(),
                    ));
                }
            }
            store::link_penalties(conn, id, &penalty_ids)?;
            audit::store::append(
                conn,
                "report",
                &id.to_string(),
                "concluded",
                &actor,
                json!({
                    "outcome": input.outcome.as_str(), "findings": findings,
                    "duplicate_of": input.duplicate_of, "penalty_ids": penalty_ids,
                    "situation_code": situation.as_ref().map(|s| s.code.clone()),
                    "accident_grade": input.accident_grade.map(|g| g.as_str()),
                    "concealed_deaths": input.concealed_deaths,
                }),
                now,
            )?;
            let row = store::find_report(conn, id)?.ok_or(ApiError::NotFound)?;
            report_detail(conn, row, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityRequest {
    /// Why the identity is needed: 10 to 500 characters, kept in the audit trail.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityView {
    pub report_id: ReportId,
    /// The reporter gave no contact field.
    pub anonymous: bool,
    #[serde(flatten)]
    pub contact: Contact,
}

/// Opens the reporter's contact fields. Every opening is an audit event naming who, when and
/// why; the reporter's lookup shows that the identity was opened (not by whom). Nobody else,
/// inspectors included, ever sees it. Roles: admin.
#[utoipa::path(tag = "reports", params(("id" = i64, Path)), request_body = IdentityRequest, responses((status = 200, body = IdentityView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[post("/reports/{id}/identity")]
pub async fn open_identity(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let input: IdentityRequest = body.value().await?;
    let mut v = Validator::new();
    let reason = v.text("reason", &input.reason, domain::MIN_REASON_CHARS, 500);
    v.finish()?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let data_key = state.config.secrets.data_key;
    let view = state
        .db
        .write(move |conn| {
            let report = store::find_report(conn, id)?.ok_or(ApiError::NotFound)?;
            let contact: Contact = match &report.contact_sealed {
                Some(sealed) => crypto::open_json(&data_key, crypto::CONTACT, sealed)?,
                None => Contact::default(),
            };
            {
                use crate::schema::reports;
                use diesel::prelude::*;
                diesel::update(reports::table.find(id.0))
                    .set(reports::identity_opened_at.eq(Some(now)))
                    .execute(conn)?;
            }
            audit::store::append(
                conn,
                "report",
                &id.to_string(),
                "identity_opened",
                &actor,
                json!({"reason": reason}),
                now,
            )?;
            Ok(IdentityView {
                report_id: id,
                anonymous: report.contact_sealed.is_none(),
                contact,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

// =============================================================================================
// Rewards

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardRequest {
    /// An amount other than the computed one: within `[floor_fen, cap_fen]`, with a reason.
    pub amount_fen: Option<i64>,
    /// At least 10 characters, required with an overridden amount.
    pub override_reason: Option<String>,
}

/// The rule that applies to a concluded report and the case for the calculation.
fn reward_case(conn: &mut DbConn, report: &ReportRow) -> Result<RewardCase, ApiError> {
    let category = internal_text(&report.category, Category::parse)?;
    let default =
        store::rule_in_force(conn, category.as_str(), report.filed_on)?.ok_or_else(|| {
            ApiError::Conflict("no reward rule was in force when the report was filed".into())
        })?;
    let (rule_name, rule, situation_code): (String, AmountRule, Option<String>) =
        match &report.situation_code {
            Some(code) => {
                let s = store::find_situation(conn, code)?
                    .ok_or_else(|| ApiError::internal("a named situation is missing"))?;
                (
                    format!("situation:{code}"),
                    s.amount_rule()?,
                    Some(code.clone()),
                )
            }
            None => (
                format!("category:{}@{}", category.as_str(), default.effective_from),
                default.amount_rule()?,
                None,
            ),
        };
    Ok(RewardCase {
        rule_name,
        situation_code,
        rule,
        uplift_bp: default.uplift_bp,
        is_employee: report.is_employee,
        duplicate: report.status == ReportStatus::Duplicate.as_str(),
        fines_fen: store::linked_fines(conn, ReportId(report.id))?,
        accident_grade: report
            .accident_grade
            .as_deref()
            .and_then(AccidentGrade::parse),
        deaths: report.concealed_deaths,
    })
}

/// Decides the reward of a substantiated report by the rules in force when it was filed (or
/// the named situation's rule) → 201 with the amount and its breakdown. An amount other than
/// the computed one must lie within the rule's bounds and come with a reason of at least 10
/// characters. A report not substantiated, already rewarded, or without a rule is 409.
/// Roles: admin.
#[utoipa::path(tag = "rewards", params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "replays the first response")), request_body = RewardRequest, responses((status = 201, body = RewardView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[post("/reports/{id}/reward")]
pub async fn decide_reward(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let body = body.parse::<RewardRequest>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let input = body.value;
    let actor = auth.actor();
    let decided_by = auth.id.0;
    let now = state.clock.now_naive();
    let today = state.clock.today(state.config.timezone);
    let result = state
        .db
        .write(move |conn| {
            let report = store::find_report(conn, id)?.ok_or(ApiError::NotFound)?;
            idem.run(conn, now, |conn| {
                if report.status != ReportStatus::Substantiated.as_str() {
                    return Err(ApiError::Conflict(
                        "only a substantiated report is rewarded".into(),
                    ));
                }
                if store::reward_of_report(conn, id)?.is_some() {
                    return Err(ApiError::Conflict("the report already has a reward".into()));
                }
                let case = reward_case(conn, &report)?;
                let breakdown =
                    domain::calculate(&case).map_err(|e| ApiError::Conflict(e.to_string()))?;
                let amount = input.amount_fen.unwrap_or(breakdown.amount_fen);
                let reason = input
                    .override_reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty());
                let problems = domain::check_override(&breakdown, amount, reason);
                if !problems.is_empty() {
                    let mut v = Validator::new();
                    for (field, message) in problems {
                        v.add(field, "invalid", message);
                    }
                    v.finish()?;
                }
                if amount <= 0 {
                    return Err(ApiError::Conflict("the rule computes no reward".into()));
                }
                let overridden = amount != breakdown.amount_fen;
                let row = store::insert_reward(
                    conn,
                    &NewReward {
                        report_id: id.0,
                        industry: report.industry.clone(),
                        status: RewardStatus::Decided.as_str().to_owned(),
                        amount_fen: amount,
                        computed_fen: breakdown.amount_fen,
                        overridden,
                        override_reason: overridden
                            .then(|| reason.map(str::to_owned))
                            .flatten(),
                        breakdown: to_json(&breakdown)?.to_string(),
                        decided_by: Some(decided_by),
                        decided_at: now,
                        decided_on: today,
                        claim_deadline: domain::claim_deadline(today),
                        payee_sealed: None,
                        claimed_at: None,
                        paid_on: None,
                        payment_reference: None,
                        updated_at: now,
                    },
                )?;
                audit::store::append_first(
                    conn,
                    "reward",
                    &row.id.to_string(),
                    "decided",
                    &actor,
                    json!({
                        "report_id": id.0, "amount_fen": amount, "computed_fen": breakdown.amount_fen,
                        "overridden": overridden, "override_reason": row.override_reason,
                        "breakdown": to_json(&breakdown)?,
                    }),
                    now,
                )?;
                audit::store::append(
                    conn,
                    "report",
                    &id.to_string(),
                    "reward_decided",
                    &actor,
                    json!({"reward_id": row.id, "amount_fen": amount}),
                    now,
                )?;
                Ok((
                    StatusCode::CREATED,
                    to_json(&RewardView::from_row(row, today)?)?,
                ))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RewardQuery {
    /// As readers see it (`lapsed` includes decided rewards past their deadline).
    pub status: Option<RewardStatus>,
    pub industry: Option<String>,
    /// Decided on or after.
    pub from: Option<NaiveDate>,
    /// Decided on or before.
    pub to: Option<NaiveDate>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists rewards, newest first; filters `status`, `industry`, `from`, `to` (decision dates).
/// Roles: admin.
#[utoipa::path(tag = "rewards", params(RewardQuery), responses((status = 200, body = Page<RewardView>), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[get("/rewards")]
pub async fn list_rewards(
    _auth: Auth<Admin>,
    state: web::Data<AppState>,
    query: ApiQuery<RewardQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let today = state.clock.today(state.config.timezone);
    let filter = store::RewardFilter {
        status: q.status,
        industry: q.industry,
        from: q.from,
        to: q.to,
    };
    let rows = state
        .db
        .run(move |conn| {
            crate::enterprises::store::check_filter_codes(conn, filter.industry.as_deref(), None)?;
            store::list_rewards(conn, &filter, today, page.before_id, page.fetch())
        })
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(|r| RewardView::from_row(r, today))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// One reward with its timeline and, once claimed, the decrypted payee. A decided reward past
/// its deadline is written down as lapsed first. Roles: admin.
#[utoipa::path(tag = "rewards", params(("id" = i64, Path)), responses((status = 200, body = RewardDetail), (status = 404, body = Problem)), security(("bearer" = ["admin"])))]
#[get("/rewards/{id}")]
pub async fn get_reward(
    _auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = RewardId(id.into_inner());
    let now = state.clock.now_naive();
    let today = state.clock.today(state.config.timezone);
    let data_key = state.config.secrets.data_key;
    let detail = state
        .db
        .write(move |conn| {
            store::find_reward(conn, id)?.ok_or(ApiError::NotFound)?;
            store::lapse_overdue(conn, today, now, Some(id))?;
            let row = store::find_reward(conn, id)?.ok_or(ApiError::NotFound)?;
            reward_detail(conn, row, today, &data_key)
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

fn reward_detail(
    conn: &mut DbConn,
    row: RewardRow,
    today: NaiveDate,
    data_key: &[u8; 32],
) -> Result<RewardDetail, ApiError> {
    let payee = row
        .payee_sealed
        .as_deref()
        .map(|s| crypto::open_json::<Payee>(data_key, crypto::PAYEE, s))
        .transpose()?;
    let timeline = audit::store::timeline(conn, "reward", &row.id.to_string())?;
    Ok(RewardDetail {
        reward: RewardView::from_row(row, today)?,
        payee,
        timeline,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// Not in the future, not before the decision.
    pub paid_on: NaiveDate,
    /// The payment's reference (transfer number): 1 to 100 characters.
    pub reference: String,
}

/// Records the payment of a `claimed` reward → 200; any other state is 409. Roles: admin.
#[utoipa::path(tag = "rewards", params(("id" = i64, Path)), request_body = PayRequest, responses((status = 200, body = RewardDetail), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[post("/rewards/{id}/pay")]
pub async fn pay_reward(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = RewardId(id.into_inner());
    let input: PayRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let today = state.clock.today(state.config.timezone);
    let data_key = state.config.secrets.data_key;
    let detail = state
        .db
        .write(move |conn| {
            let current = store::find_reward(conn, id)?.ok_or(ApiError::NotFound)?;
            let mut v = Validator::new();
            let reference = v.text("reference", &input.reference, 1, 100);
            if input.paid_on > today {
                v.add("paid_on", "out_of_range", "must not be in the future");
            } else if input.paid_on < current.decided_on {
                v.add("paid_on", "out_of_range", "must not be before the decision");
            }
            v.finish()?;
            use crate::schema::rewards;
            use diesel::prelude::*;
            let n = diesel::update(
                rewards::table
                    .filter(rewards::id.eq(id.0))
                    .filter(rewards::status.eq(RewardStatus::Claimed.as_str())),
            )
            .set((
                rewards::status.eq(RewardStatus::Paid.as_str()),
                rewards::paid_on.eq(Some(input.paid_on)),
                rewards::payment_reference.eq(reference.clone()),
                rewards::updated_at.eq(now),
            ))
            .execute(conn)?;
            if n == 0 {
                return Err(ApiError::InvalidTransition(
                    "only a claimed reward can be paid".into(),
                ));
            }
            audit::store::append(
                conn,
                "reward",
                &id.to_string(),
                "paid",
                &actor,
                json!({"paid_on": input.paid_on.to_string(), "reference": reference}),
                now,
            )?;
            let row = store::find_reward(conn, id)?.ok_or(ApiError::NotFound)?;
            reward_detail(conn, row, today, &data_key)
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

// =============================================================================================
// Rules and situations

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: i64,
    pub category: Category,
    pub kind: RuleKind,
    pub amount_fen: Option<i64>,
    pub rate: Option<f64>,
    pub per_death_general_fen: Option<i64>,
    pub per_death_larger_fen: Option<i64>,
    pub per_death_major_fen: Option<i64>,
    pub per_death_especially_major_fen: Option<i64>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    pub uplift_rate: f64,
    pub effective_from: NaiveDate,
}

impl TryFrom<RuleRow> for RuleView {
    type Error = ApiError;
    fn try_from(r: RuleRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: r.id,
            category: internal_text(&r.category, Category::parse)?,
            kind: internal_text(&r.kind, RuleKind::parse)?,
            amount_fen: r.amount_fen,
            rate: r.rate_bp.map(|b| f64::from(b) / domain::BP as f64),
            per_death_general_fen: r.per_death_general_fen,
            per_death_larger_fen: r.per_death_larger_fen,
            per_death_major_fen: r.per_death_major_fen,
            per_death_especially_major_fen: r.per_death_especially_major_fen,
            floor_fen: r.floor_fen,
            cap_fen: r.cap_fen,
            uplift_rate: f64::from(r.uplift_bp) / domain::BP as f64,
            effective_from: r.effective_from,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RuleQuery {
    pub category: Option<Category>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists the reward rules, every version, newest first. Roles: admin.
#[utoipa::path(tag = "rewards", params(RuleQuery), responses((status = 200, body = Page<RuleView>), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[get("/reward-rules")]
pub async fn list_rules(
    _auth: Auth<Admin>,
    state: web::Data<AppState>,
    query: ApiQuery<RuleQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let category = q.category.map(|c| c.as_str().to_owned());
    let rows = state
        .db
        .run(move |conn| store::list_rules(conn, category.as_deref(), page.before_id, page.fetch()))
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(RuleView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub category: Category,
    pub kind: RuleKind,
    #[serde(flatten)]
    pub figures: RuleFigures,
    /// The employee uplift as a fraction (default 0.2).
    pub uplift_rate: Option<f64>,
    /// Today or later: a rule never changes the past.
    pub effective_from: NaiveDate,
}

/// Adds a version of a category's reward rule, in force from `effective_from` (today or
/// later) for reports filed from that day; one version per category and date (409).
/// Roles: admin.
#[utoipa::path(tag = "rewards", request_body = RuleInput, params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")), responses((status = 201, body = RuleView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[post("/reward-rules")]
pub async fn create_rule(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse::<Value>().await?;
    // `flatten` and `deny_unknown_fields` do not mix in serde: check the names by hand.
    if let Some(obj) = body.value.as_object() {
        const KNOWN: &[&str] = &[
            "category",
            "kind",
            "amount_fen",
            "rate",
            "per_death_general_fen",
            "per_death_larger_fen",
            "per_death_major_fen",
            "per_death_especially_major_fen",
            "floor_fen",
            "cap_fen",
            "uplift_rate",
            "effective_from",
        ];
        let mut v = Validator::new();
        for k in obj.keys().filter(|k| !KNOWN.contains(&k.as_str())) {
            v.add(k.clone(), "unknown_field", "is not a field of this request");
        }
        v.finish()?;
    }
    let input: RuleInput = parse_json(&body.bytes)?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let today = state.clock.today(state.config.timezone);
    let mut v = Validator::new();
    let rule = domain::check_rule(input.kind, &input.figures, "", &mut v);
    let uplift_bp = match input.uplift_rate {
        None => Some(2_000),
        Some(r) if r.is_finite() && (0.0..=1.0).contains(&r) => {
            Some((r * domain::BP as f64).round() as i32)
        }
        Some(_) => {
            v.add("uplift_rate", "out_of_range", "must be 0 to 1");
            None
        }
    };
    if input.effective_from < today {
        v.add(
            "effective_from",
            "out_of_range",
            "a rule cannot take effect in the past",
        );
    }
    v.finish()?;
    let (Some(rule), Some(uplift_bp)) = (rule, uplift_bp) else {
        return Err(ApiError::internal("validator passed without values"));
    };
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let result = state
        .db
        .write(move |conn| {
            idem.run(conn, now, |conn| {
                let per = rule.per_death_fen;
                let row = store::insert_rule(
                    conn,
                    &NewRule {
                        category: input.category.as_str().to_owned(),
                        kind: rule.kind.as_str().to_owned(),
                        amount_fen: rule.amount_fen,
                        rate_bp: rule.rate_bp,
                        per_death_general_fen: per.map(|t| t[0]),
                        per_death_larger_fen: per.map(|t| t[1]),
                        per_death_major_fen: per.map(|t| t[2]),
                        per_death_especially_major_fen: per.map(|t| t[3]),
                        floor_fen: rule.floor_fen,
                        cap_fen: rule.cap_fen,
                        uplift_bp,
                        effective_from: input.effective_from,
                        created_at: now,
                    },
                )?;
                let view = RuleView::try_from(row)?;
                audit::store::append_first(
                    conn,
                    "reward_rule",
                    &view.id.to_string(),
                    "created",
                    &actor,
                    to_json(&view)?,
                    now,
                )?;
                Ok((StatusCode::CREATED, to_json(&view)?))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SituationView {
    pub code: String,
    pub industry: String,
    pub category: Category,
    pub description: String,
    pub kind: RuleKind,
    pub amount_fen: Option<i64>,
    pub rate: Option<f64>,
    pub per_death_general_fen: Option<i64>,
    pub per_death_larger_fen: Option<i64>,
    pub per_death_major_fen: Option<i64>,
    pub per_death_especially_major_fen: Option<i64>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl TryFrom<SituationRow> for SituationView {
    type Error = ApiError;
    fn try_from(r: SituationRow) -> Result<Self, ApiError> {
        Ok(Self {
            category: internal_text(&r.category, Category::parse)?,
            kind: internal_text(&r.kind, RuleKind::parse)?,
            code: r.code,
            industry: r.industry,
            description: r.description,
            amount_fen: r.amount_fen,
            rate: r.rate_bp.map(|b| f64::from(b) / domain::BP as f64),
            per_death_general_fen: r.per_death_general_fen,
            per_death_larger_fen: r.per_death_larger_fen,
            per_death_major_fen: r.per_death_major_fen,
            per_death_especially_major_fen: r.per_death_especially_major_fen,
            floor_fen: r.floor_fen,
            cap_fen: r.cap_fen,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SituationQuery {
    pub industry: Option<String>,
    pub category: Option<Category>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The reward-situation catalogue (奖励情形), newest first; filters `industry`, `category`.
/// Roles: admin, inspector.
#[utoipa::path(tag = "rewards", params(SituationQuery), responses((status = 200, body = Page<SituationView>), (status = 422, body = Problem)), security(("bearer" = ["admin", "inspector"])))]
#[get("/reward-situations")]
pub async fn list_situations(
    _auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    query: ApiQuery<SituationQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let category = q.category.map(|c| c.as_str().to_owned());
    let industry = q.industry;
    let rows = state
        .db
        .run(move |conn| {
            crate::enterprises::store::check_filter_codes(conn, industry.as_deref(), None)?;
            store::list_situations(
                conn,
                industry.as_deref(),
                category.as_deref(),
                page.before_id,
                page.fetch(),
            )
        })
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(SituationView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// One situation of an import: a JSON object or a CSV line with these columns.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SituationInput {
    /// 1 to 40 letters, digits, `-` or `_`; an existing code is replaced.
    pub code: String,
    pub industry: String,
    /// A report category code.
    pub category: String,
    pub description: String,
    /// `fixed`, `fine_share` or `per_death`.
    pub kind: String,
    pub amount_fen: Option<i64>,
    pub rate: Option<f64>,
    pub per_death_general_fen: Option<i64>,
    pub per_death_larger_fen: Option<i64>,
    pub per_death_major_fen: Option<i64>,
    pub per_death_especially_major_fen: Option<i64>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SituationImportResult {
    pub imported: usize,
    pub created: usize,
    pub updated: usize,
}

pub const MAX_SITUATION_ROWS: usize = 10_000;

const SITUATION_COLUMNS: &[&str] = &[
    "code",
    "industry",
    "category",
    "description",
    "kind",
    "amount_fen",
    "rate",
    "per_death_general_fen",
    "per_death_larger_fen",
    "per_death_major_fen",
    "per_death_especially_major_fen",
    "floor_fen",
    "cap_fen",
];

fn parse_situations_csv(bytes: &[u8]) -> Result<Vec<SituationInput>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::MalformedJson(format!("unreadable CSV header: {e}")))?
        .clone();
    let mut v = Validator::new();
    for h in headers.iter().filter(|h| !SITUATION_COLUMNS.contains(h)) {
        v.add(
            h.to_owned(),
            "unknown_field",
            "is not a column of a situation import",
        );
    }
    v.finish()?;
    let mut rows = Vec::new();
    let mut errors = Validator::new();
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.add(
                    format!("[{index}]"),
                    "invalid",
                    format!("unreadable CSV line: {e}"),
                );
                continue;
            }
        };
        let get = |name: &str| -> String {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .to_owned()
        };
        let mut int = |name: &str| -> Option<i64> {
            let s = get(name);
            if s.is_empty() {
                return None;
            }
            s.parse::<i64>().map_or_else(
                |_| {
                    errors.add(
                        format!("[{index}].{name}"),
                        "invalid_type",
                        "must be a whole number",
                    );
                    None
                },
                Some,
            )
        };
        let amount_fen = int("amount_fen");
        let g = int("per_death_general_fen");
        let l = int("per_death_larger_fen");
        let m = int("per_death_major_fen");
        let e = int("per_death_especially_major_fen");
        let floor = int("floor_fen");
        let cap = int("cap_fen");
        let rate_text = get("rate");
        let rate = if rate_text.is_empty() {
            None
        } else if let Ok(r) = rate_text.parse::<f64>() {
            Some(r)
        } else {
            errors.add(
                format!("[{index}].rate"),
                "invalid_type",
                "must be a number",
            );
            None
        };
        rows.push(SituationInput {
            code: get("code"),
            industry: get("industry"),
            category: get("category"),
            description: get("description"),
            kind: get("kind"),
            amount_fen,
            rate,
            per_death_general_fen: g,
            per_death_larger_fen: l,
            per_death_major_fen: m,
            per_death_especially_major_fen: e,
            floor_fen: floor,
            cap_fen: cap,
        });
    }
    errors.finish()?;
    Ok(rows)
}

fn check_situations(
    inputs: &[SituationInput],
    codes: &impl ReferenceCodes,
    now: NaiveDateTime,
) -> Result<Vec<NewSituation>, ApiError> {
    let mut v = Validator::new();
    if inputs.is_empty() {
        v.add("", "empty", "the import holds no rows");
    }
    if inputs.len() > MAX_SITUATION_ROWS {
        v.add(
            "",
            "too_many_rows",
            format!("at most {MAX_SITUATION_ROWS} rows per import"),
        );
    }
    v.finish()?;
    let mut v = Validator::new();
    let mut out = Vec::with_capacity(inputs.len());
    let mut seen = HashMap::<String, usize>::new();
    for (i, s) in inputs.iter().enumerate() {
        let p = format!("[{i}].");
        let code = s.code.trim();
        if code.is_empty()
            || code.len() > 40
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        {
            v.add(
                format!("{p}code"),
                "invalid",
                "must be 1 to 40 letters, digits, - or _",
            );
        } else if let Some(first) = seen.insert(code.to_owned(), i) {
            v.add(
                format!("{p}code"),
                "duplicate",
                format!("repeats row {first}"),
            );
        }
        if !codes.has_industry(s.industry.trim()) {
            v.add(
                format!("{p}industry"),
                "unknown_code",
                "is not an industry code",
            );
        }
        let category = Category::parse(s.category.trim());
        if category.is_none() {
            v.add(
                format!("{p}category"),
                "invalid_value",
                "is not a report category",
            );
        }
        let description = v.text(&format!("{p}description"), &s.description, 1, 500);
        let kind = RuleKind::parse(s.kind.trim()).filter(|k| *k != RuleKind::None);
        if kind.is_none() {
            v.add(
                format!("{p}kind"),
                "invalid_value",
                "must be fixed, fine_share or per_death",
            );
        }
        let figures = RuleFigures {
            amount_fen: s.amount_fen,
            rate: s.rate,
            per_death_general_fen: s.per_death_general_fen,
            per_death_larger_fen: s.per_death_larger_fen,
            per_death_major_fen: s.per_death_major_fen,
            per_death_especially_major_fen: s.per_death_especially_major_fen,
            floor_fen: s.floor_fen,
            cap_fen: s.cap_fen,
        };
        let rule = kind.and_then(|k| domain::check_rule(k, &figures, &p, &mut v));
        if let (Some(category), Some(description), Some(rule)) = (category, description, rule) {
            let per = rule.per_death_fen;
            out.push(NewSituation {
                code: code.to_owned(),
                industry: s.industry.trim().to_owned(),
                category: category.as_str().to_owned(),
                description,
                kind: rule.kind.as_str().to_owned(),
                amount_fen: rule.amount_fen,
                rate_bp: rule.rate_bp,
                per_death_general_fen: per.map(|t| t[0]),
                per_death_larger_fen: per.map(|t| t[1]),
                per_death_major_fen: per.map(|t| t[2]),
                per_death_especially_major_fen: per.map(|t| t[3]),
                floor_fen: rule.floor_fen,
                cap_fen: rule.cap_fen,
                created_at: now,
                updated_at: now,
            });
        }
    }
    v.finish()?;
    Ok(out)
}

fn situation_payload(s: &NewSituation) -> Value {
    json!({
        "code": s.code, "industry": s.industry, "category": s.category,
        "description": s.description, "kind": s.kind, "amount_fen": s.amount_fen,
        "rate_bp": s.rate_bp, "per_death_general_fen": s.per_death_general_fen,
        "per_death_larger_fen": s.per_death_larger_fen, "per_death_major_fen": s.per_death_major_fen,
        "per_death_especially_major_fen": s.per_death_especially_major_fen,
        "floor_fen": s.floor_fen, "cap_fen": s.cap_fen,
    })
}

/// Imports reward situations from a JSON array or a CSV file with a header row
/// (`Content-Type: text/csv`), all or nothing; a situation whose code exists is replaced. A
/// 422 lists every bad row by index and field. Roles: admin.
#[utoipa::path(
    tag = "rewards",
    request_body(content = Vec<SituationInput>, description = "a JSON array, or text/csv with a header row"),
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")),
    responses((status = 201, body = SituationImportResult), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[post("/reward-situations")]
pub async fn import_situations(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let mime = req.mime_type().ok().flatten();
    let is_csv = mime
        .as_ref()
        .is_some_and(|m| m.type_() == "text" && m.subtype() == "csv");
    let is_json = mime
        .as_ref()
        .is_some_and(|m| m.type_() == "application" && m.subtype() == "json");
    if !is_csv && !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let bytes = read_body(
        &req,
        &mut payload,
        crate::enterprises::handlers::MAX_IMPORT_BYTES,
    )
    .await?;
    let inputs: Vec<SituationInput> = if is_csv {
        parse_situations_csv(&bytes)?
    } else {
        parse_json(&bytes)?
    };
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &bytes)?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let result = state
        .db
        .write(move |conn| {
            let codes = crate::enterprises::store::reference_codes(conn)?;
            idem.run(conn, now, |conn| {
                let rows = check_situations(&inputs, &codes, now)?;
                let all: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
                let existing: HashSet<String> = store::existing_situation_codes(conn, &all)?
                    .into_iter()
                    .collect();
                let (old, new): (Vec<NewSituation>, Vec<NewSituation>) =
                    rows.into_iter().partition(|r| existing.contains(&r.code));
                store::insert_situations(conn, &new)?;
                let events: Vec<(String, Value)> = new
                    .iter()
                    .map(|s| (s.code.clone(), situation_payload(s)))
                    .collect();
                audit::store::append_first_many(
                    conn,
                    "reward_situation",
                    "imported",
                    &actor,
                    &events,
                    now,
                )?;
                for s in &old {
                    store::update_situation(conn, s)?;
                    audit::store::append(
                        conn,
                        "reward_situation",
                        &s.code,
                        "updated",
                        &actor,
                        situation_payload(s),
                        now,
                    )?;
                }
                Ok((
                    StatusCode::CREATED,
                    to_json(&SituationImportResult {
                        imported: old.len() + new.len(),
                        created: new.len(),
                        updated: old.len(),
                    })?,
                ))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

// =============================================================================================
// Figures

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First local date (inclusive).
    pub from: Option<NaiveDate>,
    /// Last local date (inclusive).
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct ReportCounts {
    pub received: i64,
    pub concluded: i64,
    pub substantiated: i64,
    pub unsubstantiated: i64,
    pub duplicate: i64,
}

#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct MoneyCount {
    pub count: i64,
    pub amount_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndustryRewards {
    pub industry: String,
    pub decided: MoneyCount,
    pub paid: MoneyCount,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RewardFigures {
    pub decided: MoneyCount,
    pub paid: MoneyCount,
    pub by_industry: Vec<IndustryRewards>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SituationCount {
    pub industry: String,
    pub situations: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportStats {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Reports filed in the period, and of them those concluded, by outcome.
    pub reports: ReportCounts,
    /// `{category, received, concluded, substantiated, unsubstantiated, duplicate}`.
    #[schema(value_type = Vec<Object>)]
    pub by_category: Vec<Value>,
    /// `{industry, …}` likewise.
    #[schema(value_type = Vec<Object>)]
    pub by_industry: Vec<Value>,
    /// `{district, …}` likewise (`district` null: none given).
    #[schema(value_type = Vec<Object>)]
    pub by_district: Vec<Value>,
    /// Median of (conclusion date − filing date) in days over the concluded reports.
    pub median_days_to_conclusion: Option<f64>,
    /// Rewards decided (by decision date) and paid (by payment date) in the period.
    pub rewards: RewardFigures,
    /// The catalogue's situations per industry (not bound to the period).
    pub situations_by_industry: Vec<SituationCount>,
}

fn tally(counts: &mut ReportCounts, status: &str, n: i64) {
    counts.received += n;
    match ReportStatus::parse(status) {
        Some(ReportStatus::Substantiated) => counts.substantiated += n,
        Some(ReportStatus::Unsubstantiated) => counts.unsubstantiated += n,
        Some(ReportStatus::Duplicate) => counts.duplicate += n,
        _ => {}
    }
    if ReportStatus::parse(status).is_some_and(ReportStatus::is_concluded) {
        counts.concluded += n;
    }
}

fn grouped(rows: &[store::GroupCount], name: &str) -> Result<Vec<Value>, ApiError> {
    let mut map = BTreeMap::<Option<String>, ReportCounts>::new();
    for (key, status, n) in rows {
        tally(map.entry(key.clone()).or_default(), status, *n);
    }
    map.into_iter()
        .map(|(key, counts)| {
            let mut v = to_json(&counts)?;
            if let Some(obj) = v.as_object_mut() {
                obj.insert(name.to_owned(), json!(key));
            }
            Ok(v)
        })
        .collect()
}

/// The report and reward figures of SPEC 5.3 for a period (inclusive local dates): reports
/// received, concluded and substantiated by category, industry and district (by filing date);
/// the median days to conclusion; rewards decided and paid, count and sum, by industry; and
/// the catalogue's situations per industry. Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "reports", params(StatsQuery), responses((status = 200, body = ReportStats), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/stats/reports")]
pub async fn report_stats(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    query: ApiQuery<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let (from, to) = (q.from, q.to);
    let f = state
        .db
        .run(move |conn| store::figures(conn, from, to))
        .await?;
    let mut reports = ReportCounts::default();
    for (_, status, n) in &f.by_category {
        tally(&mut reports, status, *n);
    }
    let days = f
        .concluded
        .iter()
        .map(|(filed, concluded)| (*concluded - *filed).num_days())
        .collect();
    let mut by_industry = BTreeMap::<String, (MoneyCount, MoneyCount)>::new();
    let mut decided = MoneyCount::default();
    let mut paid = MoneyCount::default();
    for (industry, n, sum) in &f.decided {
        let e = by_industry.entry(industry.clone()).or_default();
        e.0.count += n;
        e.0.amount_fen += sum;
        decided.count += n;
        decided.amount_fen += sum;
    }
    for (industry, n, sum) in &f.paid {
        let e = by_industry.entry(industry.clone()).or_default();
        e.1.count += n;
        e.1.amount_fen += sum;
        paid.count += n;
        paid.amount_fen += sum;
    }
    let mut situations = f.situations.clone();
    situations.sort();
    Ok(HttpResponse::Ok().json(ReportStats {
        from,
        to,
        reports,
        by_category: grouped(&f.by_category, "category")?,
        by_industry: grouped(&f.by_industry, "industry")?,
        by_district: grouped(&f.by_district, "district")?,
        median_days_to_conclusion: domain::median_days(days),
        rewards: RewardFigures {
            decided,
            paid,
            by_industry: by_industry
                .into_iter()
                .map(|(industry, (decided, paid))| IndustryRewards {
                    industry,
                    decided,
                    paid,
                })
                .collect(),
        },
        situations_by_industry: situations
            .into_iter()
            .map(|(industry, situations)| SituationCount {
                industry,
                situations,
            })
            .collect(),
    }))
}
