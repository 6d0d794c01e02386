//! `/api/v1/public/reports…` (the reporter, no account: `public.rs`), `/api/v1/reports…`
//! (handling: `handling.rs`), `/api/v1/rewards…` and `/api/v1/reward-rules` (`rewards.rs`),
//! `/api/v1/reward-situations` (`situations.rs`) and `/api/v1/stats/reports` (`figures.rs`).
//! Each handler extracts, calls one use case of `reports::usecases` in one `Db` call, and
//! maps the answer.
//!
//! Privacy: nothing here logs or stores the client address (it is used only as the key of the
//! in-memory rate limits), the receipt (only its argon2id hash is stored; public idempotency
//! records hold neither it nor the raw key) or the contact fields (sealed with the data key).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa_actix_web::service_config::ServiceConfig;

use super::usecases::{Now, ReportError, to_json};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::idempotency::{self, Idempotent};
use crate::ids::UserId;
use crate::state::AppState;

mod figures;
mod handling;
mod public;
mod rewards;
mod situations;

use figures::report_stats;
use handling::{
    assign_report, conclude_report, get_report, list_reports, open_identity, staff_message,
    start_report,
};
use public::{claim_reward, file_report, lookup_report, reporter_message};
use rewards::{create_rule, decide_reward, get_reward, list_rewards, list_rules, pay_reward};
use situations::{import_situations, list_situations};

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

/// The request's time: the instant and the city's local date.
fn now(state: &AppState) -> Now {
    Now {
        at: state.clock.now_naive(),
        today: state.clock.today(state.config.timezone),
    }
}

/// A read use case on the pool.
async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut DbConn) -> Result<T, ReportError> + Send + 'static,
) -> Result<T, ApiError> {
    state.db.run(move |conn| Ok(f(conn)?)).await
}

/// A write use case in one transaction of the writer.
async fn write<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut DbConn) -> Result<T, ReportError> + Send + 'static,
) -> Result<T, ApiError> {
    state.db.write(move |conn| Ok(f(conn)?)).await
}

/// A creation use case run once per `Idempotency-Key`, in one transaction with the key's
/// record: 201 with its view, or the first answer replayed.
async fn write_once<T: Serialize>(
    state: &AppState,
    idem: Idempotent,
    create: impl FnOnce(&mut DbConn, Now) -> Result<T, ReportError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let now = now(state);
    let answer = state
        .db
        .write(move |conn| {
            idem.run(conn, now.at, |conn| {
                Ok((StatusCode::CREATED, to_json(&create(conn, now)?)?))
            })
        })
        .await?;
    Ok(idempotency::respond(answer))
}

/// A staff member's `Idempotency-Key`: scoped to the user, over the request's bytes.
fn user_key(req: &HttpRequest, user: UserId, bytes: &[u8]) -> Result<Idempotent, ApiError> {
    Idempotent::new(req, format!("user:{user}"), bytes)
}

/// A staff member's creation body, parsed, with its `Idempotency-Key`.
async fn parse_once<T: DeserializeOwned>(
    req: &HttpRequest,
    user: UserId,
    body: JsonBody,
) -> Result<(T, Idempotent), ApiError> {
    let body = body.parse::<T>().await?;
    let idem = user_key(req, user, &body.bytes)?;
    Ok((body.value, idem))
}
