//! Two-factor sign-in: `/api/v1/auth/totp/…`, the second step of a sign-in
//! (`/api/v1/auth/login/totp`), and an admin's reset (`/api/v1/users/{id}/totp/reset`).
//!
//! None of these routes takes an `Idempotency-Key`: what they answer (a secret, recovery codes,
//! tokens) must be shown once and never stored to be replayed.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::usecases::{self, Checked, EnrolmentView, RecoveryCodesView, wrong_code_field};
use crate::auth::handlers::{LoginResponse, own_account, tokens_for};
use crate::auth::{Admin, Anyone, Auth, Enrolling, password, signin};
use crate::error::{ApiError, Problem};
use crate::http::extract::JsonBody;
use crate::ids::UserId;
use crate::state::AppState;
use crate::users::accounts;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(enroll)
        .service(confirm)
        .service(disable)
        .service(login_totp)
        .service(reset);
}

/// Starts (or starts again) the caller's enrolment: a new secret, answered once as base32, as
/// its `otpauth://` URI and as that URI in an SVG QR code. Two-factor sign-in is not on until
/// it is confirmed with a code; while it is on, enrolling is 409. The limited token of a
/// sign-in that must enrol first is accepted here. Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, body = EnrolmentView), (status = 401, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[post("/auth/totp/enroll")]
pub async fn enroll(auth: Enrolling, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (at, key, actor) = (
        state.clock.now(),
        state.config.secrets.data_key,
        auth.actor(),
    );
    let (id, username) = (auth.id, auth.username.clone());
    let view = state
        .db
        .write_case(move |conn| usecases::enroll(conn, at, &key, &actor, id, &username))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The current six-digit code of the authenticator.
    pub code: String,
}

/// Turns two-factor sign-in on with a current code of the enrolled secret and answers ten
/// recovery codes, shown once (each may stand for a code once; only their hashes are kept).
/// A wrong or used code is 422 on `code`; no enrolment, or one already on, is 409. The limited
/// token of a sign-in that must enrol first is accepted here; sign in again afterwards.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "auth",
    request_body = ConfirmRequest,
    responses((status = 200, body = RecoveryCodesView), (status = 401, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[post("/auth/totp/confirm")]
pub async fn confirm(
    auth: Enrolling,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let ConfirmRequest { code } = body.value().await?;
    let (at, key, actor) = (
        state.clock.now(),
        state.config.secrets.data_key,
        auth.actor(),
    );
    let (id, username) = (auth.id, auth.username.clone());
    let view = state
        .db
        .write_case(move |conn| usecases::confirm(conn, at, &key, &actor, id, &username, &code))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableRequest {
    /// The caller's password.
    pub password: String,
    /// A current code, or an unused recovery code.
    pub code: String,
}

/// Turns the caller's two-factor sign-in off, with its password and a current code (or a
/// recovery code). A wrong password is 422 on `password`, a wrong code 422 on `code` and counts
/// towards the username's sign-in throttle (429 past it); a factor that is not on is 409.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "auth",
    request_body = DisableRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[post("/auth/totp/disable")]
pub async fn disable(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let DisableRequest {
        password: candidate,
        code,
    } = body.value().await?;
    let id = auth.id;
    let stored = state
        .db
        .run(move |conn| accounts::password_hash(conn, id).map_err(own_account))
        .await?;
    if !password::verify_blocking(Some(stored), candidate).await? {
        return Err(ApiError::field(
            "password",
            "incorrect",
            "is not your password",
        ));
    }
    let (at, key, actor) = (
        state.clock.now(),
        state.config.secrets.data_key,
        auth.actor(),
    );
    let username = auth.username.clone();
    let checked = state
        .db
        .write_case(move |conn| usecases::disable(conn, at, &key, &actor, id, &username, &code))
        .await?;
    match checked {
        Checked::Passed(()) => Ok(HttpResponse::NoContent().finish()),
        Checked::Wrong => Err(wrong_code_field()),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginTotpRequest {
    /// The challenge `POST /auth/login` answered.
    pub challenge: String,
    /// A current six-digit code, or an unused recovery code.
    pub code: String,
}

/// The second step of a sign-in with two-factor sign-in on: the challenge of the first step and
/// a current code (one 30-second step of drift either way; each code is accepted once) or an
/// unused recovery code. Answers the tokens as `POST /auth/login` does. A wrong code is 401
/// `invalid_totp_code` and counts towards the username's throttle (429 past it; the challenge
/// stays good until it expires); an unknown, used or expired challenge is 401
/// `invalid_challenge`. Attempts per client address are limited as logins are.
/// Roles: public.
#[utoipa::path(
    tag = "auth",
    request_body = LoginTotpRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 429, body = Problem)),
    security(())
)]
#[post("/auth/login/totp")]
pub async fn login_totp(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let LoginTotpRequest { challenge, code } = body.value().await?;
    let client = state.limits.client_ip(&req);
    let user = signin::check_code(&state, client, challenge, code).await?;
    Ok(HttpResponse::Ok().json(tokens_for(&state, user, false)?))
}

/// Resets an account's second factor (a lost device): it is off, its recovery codes and open
/// challenges are gone, and every session of the account ends; the account signs in with its
/// password alone, or enrols again where its role must. Recorded in the account's audit trail.
/// An account whose factor is not on is 409 (and keeps its sessions). Roles: admin.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[post("/users/{id}/totp/reset")]
pub async fn reset(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId(id.into_inner());
    let (at, actor) = (state.clock.now(), auth.actor());
    state
        .db
        .write_case(move |conn| usecases::reset(conn, at, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
