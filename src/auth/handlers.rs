//! `/api/v1/auth/…`: login, the caller's own account, password change, ending all sessions.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::signin::{self, PasswordChecked};
use super::{Anyone, Auth, CurrentUser, Role, password, token};
use crate::error::{ApiError, Problem};
use crate::http::extract::JsonBody;
use crate::ids::{EnterpriseId, UserId};
use crate::state::AppState;
use crate::users::accounts::{self, UserError};
use crate::users::store::UserRow;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(me)
        .service(change_password)
        .service(logout_all);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeView {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    pub enterprise_id: Option<EnterpriseId>,
    pub display_name: String,
}

impl From<&CurrentUser> for MeView {
    fn from(u: &CurrentUser) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            role: u.role,
            enterprise_id: u.enterprise_id,
            display_name: u.display_name.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
    pub user: MeView,
    /// Present (and `true`) only when the account's role must enrol a second factor first
    /// (`ANJIAN_REQUIRE_TOTP`): the token then admits only `POST /auth/totp/enroll` and
    /// `POST /auth/totp/confirm`, for 15 minutes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub totp_enrolment_required: bool,
}

/// The first step of a sign-in whose account has two-factor sign-in on: no token yet.
#[derive(Serialize, ToSchema)]
pub struct TotpChallengeView {
    /// Always `true`.
    pub totp_required: bool,
    /// Send it with the code to `POST /api/v1/auth/login/totp`: single use.
    pub challenge: String,
    /// Seconds the challenge lasts.
    pub expires_in: u64,
}

/// What a sign-in answers: the tokens, or (two-factor sign-in on) a challenge.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginAnswer {
    Tokens(LoginResponse),
    TotpRequired(TotpChallengeView),
}

/// The tokens of a sign-in of `user`: an ordinary access token, or the limited one of an
/// account that must enrol a second factor first.
pub fn tokens_for(
    state: &AppState,
    user: UserRow,
    enrolment_only: bool,
) -> Result<LoginResponse, ApiError> {
    let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal("unknown role stored"))?;
    let ttl = if enrolment_only {
        crate::totp::domain::enrolment_token_ttl()
            .num_seconds()
            .max(1) as u64
    } else {
        state.config.token_ttl.as_secs()
    };
    let token = state
        .tokens
        .issue_scoped(
            user.id,
            role,
            user.enterprise_id,
            user.token_version,
            state.clock.now(),
            ttl as i64,
            enrolment_only.then_some(token::ENROLMENT_SCOPE),
        )
        .map_err(ApiError::internal)?;
    Ok(LoginResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: ttl,
        user: MeView {
            id: UserId(user.id),
            username: user.username,
            role,
            enterprise_id: user.enterprise_id.map(EnterpriseId),
            display_name: user.display_name,
        },
        totp_enrolment_required: enrolment_only,
    })
}

/// Signs in. A wrong password, an unknown user and a disabled user all get the same 401
/// `invalid_credentials` after the same work (an unknown user is verified against a dummy
/// hash). After 5 failures for one username within 15 minutes every attempt for it gets 429
/// until the window passes; attempts per client address are limited too (`ANJIAN_LOGIN_RATE`).
/// An account with two-factor sign-in on gets `{totp_required: true, challenge}` and no token
/// (the code goes to `POST /auth/login/totp`); one whose role must enrol first
/// (`ANJIAN_REQUIRE_TOTP`) gets a token limited to the enrolment routes, marked
/// `totp_enrolment_required: true`.
/// Roles: public.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, body = LoginAnswer), (status = 401, body = Problem), (status = 429, body = Problem)),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest {
        username,
        password: candidate,
    } = body.value_with_any_text().await?;
    let client = state.limits.client_ip(&req);
    let answer = match signin::check_password(&state, client, &username, candidate).await? {
        PasswordChecked::Challenge(challenge) => LoginAnswer::TotpRequired(TotpChallengeView {
            totp_required: true,
            challenge: challenge.challenge,
            expires_in: challenge.expires_in,
        }),
        PasswordChecked::EnrolFirst(user) => LoginAnswer::Tokens(tokens_for(&state, user, true)?),
        PasswordChecked::SignedIn(user) => LoginAnswer::Tokens(tokens_for(&state, user, false)?),
    };
    Ok(HttpResponse::Ok().json(answer))
}

/// The caller's own account. Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "auth", responses((status = 200, body = MeView), (status = 401, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/auth/me")]
pub async fn me(auth: Auth<Anyone>) -> HttpResponse {
    HttpResponse::Ok().json(MeView::from(&auth.user))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// The caller's own account answers as the caller: gone, it is no longer signed in.
pub(crate) fn own_account(e: UserError) -> ApiError {
    match e {
        UserError::NotFound => ApiError::Unauthorized,
        other => other.into(),
    }
}

/// Changes the caller's password (the current one is required; the new one follows the
/// policy). Every session of the user ends, so it signs in again. Roles: admin, reviewer,
/// inspector, enterprise.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordChange,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[post("/auth/password")]
pub async fn change_password(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.value().await?;
    password::check_policy(&auth.username, &new_password)
        .map_err(|m| ApiError::field("new_password", "weak_password", m))?;
    let id = auth.id;
    let stored = state
        .db
        .run(move |conn| accounts::password_hash(conn, id).map_err(own_account))
        .await?;
    if !password::verify_blocking(Some(stored), current_password).await? {
        return Err(ApiError::field(
            "current_password",
            "incorrect",
            "is not your current password",
        ));
    }
    let hash = password::hash_blocking(new_password).await?;
    let now = state.clock.now_naive();
    let actor = auth.actor();
    state
        .db
        .write(move |conn| {
            accounts::end_sessions(
                conn,
                now,
                &actor,
                id,
                Some(hash),
                "password_changed",
                serde_json::json!({}),
            )
            .map_err(own_account)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of the caller: all its tokens stop working. Roles: admin, reviewer,
/// inspector, enterprise.
#[utoipa::path(tag = "auth", responses((status = 204), (status = 401, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[post("/auth/logout-all")]
pub async fn logout_all(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now_naive();
    let (actor, id) = (auth.actor(), auth.id);
    state
        .db
        .write(move |conn| {
            accounts::end_sessions(
                conn,
                now,
                &actor,
                id,
                None,
                "logged_out_everywhere",
                serde_json::json!({}),
            )
            .map_err(own_account)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
