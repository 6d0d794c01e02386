//! The reporter's routes, with no account: the whole anonymous attack surface of the service
//! is in this file. Every receipt route is limited per client address; a wrong receipt is 404
//! after the same work as a right one, and counts towards the wrong-receipt limit.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::http::extract::JsonBody;
use crate::http::idempotency::{self, Idempotent, key_from, request_hash};
use crate::reports::domain::{Payee, Receipt};
use crate::reports::usecases::public::{
    self as usecase, Claim, FileReportRequest, MessageCreated, ReporterRewardView, ReporterView,
};
use crate::reports::{crypto, gate};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct FiledReport {
    pub tracking_number: String,
    /// 16 digits, shown once: the only key to follow the report. Keep it safe.
    pub receipt: String,
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
    gate::filing(&state, &req)?;
    let body = body.parse::<FileReportRequest>().await?;
    let raw_key = key_from(&req)?;
    // The stored key is a hash: the raw key unseals the receipt kept for a replay.
    let idem = Idempotent {
        scope: "public".into(),
        key: raw_key.as_deref().map(crypto::hashed_key),
        hash: request_hash(&req, &body.bytes),
    };
    let now = state.now();
    let data_key = state.config.secrets.data_key;
    let filing = usecase::check_filing(body.value, now.today)?;
    let receipt = Receipt::generate();
    let receipt_hash = crypto::hash_receipt_blocking(data_key, receipt.clone()).await?;
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
            idem.run(conn, now.at, |conn| {
                let filed = usecase::file(conn, now, &data_key, &filing, receipt_hash)?;
                // The stored answer holds the receipt sealed with the raw key, never the receipt.
                let tracking = filed.tracking_number;
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    /// The 16-digit receipt given at filing.
    pub receipt: String,
}

fn parse_receipt(raw: &str) -> Result<Receipt, ApiError> {
    Receipt::parse(raw).map_err(|e| ApiError::field("receipt", "invalid", e.to_string()))
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
    let ip = gate::receipt(&state, &req)?;
    let input: ReceiptRequest = body.value().await?;
    let receipt = parse_receipt(&input.receipt)?;
    let hash = crypto::hash_receipt_blocking(state.config.secrets.data_key, receipt).await?;
    let today = state.now().today;
    let view = state
        .db
        .read_case(move |conn| usecase::lookup(conn, today, &hash))
        .await?;
    match view {
        Some(v) => Ok(HttpResponse::Ok().json(v)),
        None => Err(gate::wrong_receipt(&state, ip)),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterMessageRequest {
    pub receipt: String,
    /// 1 to 5,000 characters.
    pub body: String,
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
    let ip = gate::receipt(&state, &req)?;
    let input: ReporterMessageRequest = body.value().await?;
    let (receipt, text) = usecase::check_message(&input.receipt, &input.body)?;
    let hash = crypto::hash_receipt_blocking(state.config.secrets.data_key, receipt).await?;
    // The idempotency record hashes the receipt's hash, never the receipt itself.
    let idem = Idempotent {
        scope: "public".into(),
        key: key_from(&req)?,
        hash: request_hash(&req, format!("{hash}\n{text}").as_bytes()),
    };
    let now = state.now();
    let added = idem.create(&state.db, now.at, move |conn| {
        usecase::add_message(conn, now.at, &hash, &text)
    });
    match added.await {
        Err(ApiError::NotFound) => Err(gate::wrong_receipt(&state, ip)),
        answer => answer,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    pub receipt: String,
    pub payee: Payee,
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
    let ip = gate::receipt(&state, &req)?;
    let input: ClaimRequest = body.value().await?;
    let (receipt, payee) = usecase::check_claim(&input.receipt, &input.payee)?;
    let data_key = state.config.secrets.data_key;
    let hash = crypto::hash_receipt_blocking(data_key, receipt).await?;
    let now = state.now();
    let outcome = state
        .db
        .write_case(move |conn| usecase::claim(conn, now, &data_key, &hash, &payee))
        .await?;
    match outcome {
        Claim::Claimed(v) => Ok(HttpResponse::Ok().json(v)),
        Claim::Refused(e) => Err(e.into()),
        Claim::UnknownReceipt => Err(gate::wrong_receipt(&state, ip)),
    }
}
