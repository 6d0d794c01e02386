//! Signing in, for both callers: the JSON API answers tokens (`auth::handlers::login`), the
//! portal opens a server-side session (`portal::login`). The throttles, the dummy hash for an
//! unknown username and the second step are the same for both, because they are here.

use std::net::IpAddr;

use super::sessions;
use crate::actor::Role;
use crate::auth::password;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::state::AppState;
use crate::totp::domain::{self as totp_domain, AfterPassword};
use crate::totp::usecases::{self as totp_usecases, Challenge, Checked};
use crate::users::store::UserRow;

/// What a right password leads to.
pub enum PasswordChecked {
    /// The account has its second factor on: the code comes next, with this challenge.
    Challenge(Challenge),
    /// The account's role must enrol a second factor before anything else
    /// (`ANJIAN_REQUIRE_TOTP`).
    EnrolFirst(UserRow),
    /// Signed in.
    SignedIn(UserRow),
}

/// The first step: the client address's rate (`ANJIAN_LOGIN_RATE`), the username's throttle
/// (429 after 5 failures in 15 minutes), then the password. A wrong password, an unknown and a
/// disabled account all answer 401 `invalid_credentials` after the same work.
pub async fn check_password(
    state: &AppState,
    client: IpAddr,
    username: &str,
    candidate: String,
) -> Result<PasswordChecked, ApiError> {
    state.limits.login.check(client)?;
    let key = sessions::sign_in_key(username);
    let now = state.clock.now_naive();
    let lookup_key = key.clone();
    let found = state
        .db
        .run(move |conn| sessions::sign_in_candidate(conn, &lookup_key, now))
        .await?;
    let verified = password::verify_blocking(
        found.as_ref().map(|c| c.user.password_hash.clone()),
        candidate,
    )
    .await?;
    // Counted whatever the outcome: an unknown user costs one verification (of the dummy hash) too.
    state
        .metrics
        .domain_event("password_verification", "performed");
    let found = match found {
        Some(found) if verified && !found.user.disabled => found,
        _ => {
            state.metrics.domain_event("login", "failed");
            state
                .db
                .write(move |conn| sessions::failed_sign_in(conn, &key, now))
                .await?;
            return Err(ApiError::InvalidCredentials);
        }
    };
    let role =
        Role::parse(&found.user.role).ok_or_else(|| ApiError::internal("unknown role stored"))?;
    Ok(
        match totp_domain::after_password(found.totp_on, role, &state.config.require_totp) {
            AfterPassword::Challenge => {
                state.metrics.domain_event("login", "totp_challenged");
                let (at, id) = (state.clock.now(), UserId(found.user.id));
                let challenge = state
                    .db
                    .write_case(move |conn| totp_usecases::open_challenge(conn, at, id))
                    .await?;
                PasswordChecked::Challenge(challenge)
            }
            AfterPassword::EnrolFirst => {
                state
                    .metrics
                    .domain_event("login", "totp_enrolment_required");
                PasswordChecked::EnrolFirst(found.user)
            }
            AfterPassword::Tokens => {
                state.metrics.domain_event("login", "succeeded");
                PasswordChecked::SignedIn(found.user)
            }
        },
    )
}

/// The second step: the challenge of the first and a code (or a recovery code). 401
/// `invalid_totp_code` for a wrong one, which counts towards the username's throttle.
pub async fn check_code(
    state: &AppState,
    client: IpAddr,
    challenge: String,
    code: String,
) -> Result<UserRow, ApiError> {
    state.limits.login.check(client)?;
    let (at, key) = (state.clock.now(), state.config.secrets.data_key);
    let checked = state
        .db
        .write_case(move |conn| totp_usecases::complete_sign_in(conn, at, &key, &challenge, &code))
        .await?;
    match checked {
        Checked::Passed(user) => {
            state.metrics.domain_event("login", "succeeded");
            Ok(user)
        }
        Checked::Wrong => {
            state.metrics.domain_event("login", "failed");
            Err(ApiError::InvalidTotpCode)
        }
    }
}
