//! The use cases of the second factor: enrolling, confirming (it is on, with recovery codes),
//! disabling, an admin's reset, and a sign-in's second step (the challenge, then the code).
//! Each runs inside the caller's one transaction and appends its audit events to the account's
//! chain. A wrong code is an answer, not an error ([`Checked::Wrong`]): it counts towards the
//! username's throttle, and that count must be committed.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::domain::{self, Presented};
use super::store::{self, TotpRow};
use crate::actor::Actor;
use crate::audit;
use crate::auth::throttle;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::sealing;
use crate::users::accounts::{self, USER};
use crate::users::store::{self as user_store, UserRow};

/// What the second factor's use cases answer besides their view.
#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    #[error("no such account")]
    NotFound,
    #[error("there is no enrolment to confirm: enrol first")]
    NotEnrolled,
    #[error("two-factor sign-in is already on: disable it first")]
    AlreadyOn,
    #[error("two-factor sign-in is not on for this account")]
    NotOn,
    /// A wrong, used or malformed code where a signed-in user gives one (confirm).
    #[error("the code is wrong or was already used")]
    WrongCode,
    #[error("the challenge is unknown, used or expired")]
    InvalidChallenge,
    /// The account cannot sign in (disabled since the first step).
    #[error("the account cannot sign in")]
    Refused,
    #[error(transparent)]
    Store(#[from] ApiError),
}

impl From<TotpError> for ApiError {
    fn from(e: TotpError) -> Self {
        match e {
            TotpError::NotFound => ApiError::NotFound,
            TotpError::NotEnrolled | TotpError::AlreadyOn | TotpError::NotOn => {
                ApiError::Conflict(e.to_string())
            }
            TotpError::WrongCode => wrong_code_field(),
            TotpError::InvalidChallenge => ApiError::InvalidChallenge,
            TotpError::Refused => ApiError::InvalidCredentials,
            TotpError::Store(e) => e,
        }
    }
}

/// The 422 of a wrong code given by a signed-in user.
pub fn wrong_code_field() -> ApiError {
    ApiError::field("code", "incorrect", "is wrong or was already used")
}

/// A code checked: passed, with the use case's answer, or wrong (counted towards the throttle).
#[derive(Debug)]
pub enum Checked<T> {
    Passed(T),
    Wrong,
}

/// What enrolling answers: the secret three ways (base32 to type in, the `otpauth://` URI, the
/// URI as an SVG QR code to scan), shown now and never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentView {
    /// The secret, base32 (RFC 4648, no padding).
    pub secret: String,
    /// `otpauth://totp/anjian:{username}?secret=…&issuer=anjian`.
    pub otpauth_uri: String,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
    /// Always `SHA1`.
    pub algorithm: &'static str,
    /// Always 6.
    pub digits: u8,
    /// Seconds of a step: always 30.
    pub period: u64,
}

/// The recovery codes, shown once: each may stand for a code once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesView {
    pub recovery_codes: Vec<String>,
}

/// A sign-in's second step: the challenge to send with the code.
#[derive(Debug)]
pub struct Challenge {
    pub challenge: String,
    pub expires_in: u64,
}

fn naive(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
}

/// The account's secret, opened with the data key.
fn secret_of(data_key: &[u8; 32], row: &TotpRow) -> Result<Vec<u8>, ApiError> {
    sealing::open(
        data_key,
        &domain::secret_purpose(row.user_id),
        &row.secret_sealed,
    )
    .map_err(ApiError::internal)
}

fn generator_of(
    data_key: &[u8; 32],
    row: &TotpRow,
    username: &str,
) -> Result<totp_rs::Totp, ApiError> {
    domain::generator(&secret_of(data_key, row)?, username).map_err(ApiError::internal)
}

/// Starts an enrolment for account `id`: a new secret, sealed under the data key, replacing an
/// unconfirmed one; refused while the factor is on (409). Nothing changes at sign-in until it
/// is confirmed.
pub fn enroll(
    conn: &mut DbConn,
    at: DateTime<Utc>,
    data_key: &[u8; 32],
    actor: &Actor,
    id: UserId,
    username: &str,
) -> Result<EnrolmentView, TotpError> {
    if store::find(conn, id)?.is_some_and(|r| r.enabled_at.is_some()) {
        return Err(TotpError::AlreadyOn);
    }
    let secret = domain::new_secret();
    let view = enrolment_view(&secret, username)?;
    let sealed = sealing::seal(data_key, &domain::secret_purpose(id.0), &secret)
        .map_err(ApiError::internal)?;
    store::put_pending(conn, id, &sealed, naive(at))?;
    audit::store::append(
        conn,
        USER,
        &id.to_string(),
        "totp_enrolment_started",
        actor,
        json!({}),
        naive(at),
    )?;
    Ok(view)
}

/// The enrolment of account `id` that waits for its confirmation, shown again (the portal's
/// page after a wrong code): the same secret, so that what the app has scanned still holds.
/// No enrolment waiting, or the factor already on, is 409.
pub fn pending(
    conn: &mut DbConn,
    data_key: &[u8; 32],
    id: UserId,
    username: &str,
) -> Result<EnrolmentView, TotpError> {
    let row = store::find(conn, id)?.ok_or(TotpError::NotEnrolled)?;
    if row.enabled_at.is_some() {
        return Err(TotpError::AlreadyOn);
    }
    Ok(enrolment_view(&secret_of(data_key, &row)?, username)?)
}

fn enrolment_view(secret: &[u8], username: &str) -> Result<EnrolmentView, ApiError> {
    let totp = domain::generator(secret, username).map_err(ApiError::internal)?;
    let otpauth_uri = totp.to_url().map_err(ApiError::internal)?;
    let qr_svg = domain::qr_svg(&otpauth_uri).map_err(ApiError::internal)?;
    Ok(EnrolmentView {
        secret: domain::secret_base32(secret),
        otpauth_uri,
        qr_svg,
        algorithm: "SHA1",
        digits: domain::DIGITS,
        period: domain::STEP_SECS,
    })
}

/// Confirms an enrolment with a current code: the factor is on from now, and ten new recovery
/// codes (stored only as hashes) are answered once. A wrong or used code is a 422 on `code`;
/// no enrolment, or one already on, is 409.
pub fn confirm(
    conn: &mut DbConn,
    at: DateTime<Utc>,
    data_key: &[u8; 32],
    actor: &Actor,
    id: UserId,
    username: &str,
    code: &str,
) -> Result<RecoveryCodesView, TotpError> {
    let row = store::find(conn, id)?.ok_or(TotpError::NotEnrolled)?;
    if row.enabled_at.is_some() {
        return Err(TotpError::AlreadyOn);
    }
    let totp = generator_of(data_key, &row, username)?;
    let step = match Presented::parse(code) {
        Presented::Code(code) => {
            domain::fresh_step(domain::matching_step(&totp, &code, at), row.last_used_step)
        }
        Presented::Recovery(_) => None,
    }
    .ok_or(TotpError::WrongCode)?;
    if !store::use_step(conn, id, step, true, naive(at))? {
        return Err(TotpError::WrongCode);
    }
    let codes: Vec<String> = (0..domain::RECOVERY_CODES)
        .map(|_| domain::new_recovery_code())
        .collect();
    let hashes = codes
        .iter()
        .map(|c| match Presented::parse(c) {
            Presented::Recovery(n) | Presented::Code(n) => {
                domain::recovery_hash(data_key, id.0, &n)
            }
        })
        .collect::<Result<Vec<String>, _>>()
        .map_err(ApiError::internal)?;
    store::replace_recovery_codes(conn, id, &hashes)?;
    audit::store::append(
        conn,
        USER,
        &id.to_string(),
        "totp_enabled",
        actor,
        json!({"recovery_codes": codes.len()}),
        naive(at),
    )?;
    Ok(RecoveryCodesView {
        recovery_codes: codes,
    })
}

/// How a code was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accepted {
    Code,
    RecoveryCode,
}

/// Checks a presented code (or recovery code) of an account whose factor is on, and uses it up:
/// its step is recorded (no code is accepted twice), or the recovery code is spent.
fn accept(
    conn: &mut DbConn,
    at: DateTime<Utc>,
    data_key: &[u8; 32],
    row: &TotpRow,
    username: &str,
    presented: &str,
) -> Result<Option<Accepted>, ApiError> {
    let id = UserId(row.user_id);
    match Presented::parse(presented) {
        Presented::Code(code) => {
            let totp = generator_of(data_key, row, username)?;
            let fresh =
                domain::fresh_step(domain::matching_step(&totp, &code, at), row.last_used_step);
            Ok(match fresh {
                Some(step) if store::use_step(conn, id, step, false, naive(at))? => {
                    Some(Accepted::Code)
                }
                _ => None,
            })
        }
        Presented::Recovery(normalised) if !normalised.is_empty() => {
            let hash =
                domain::recovery_hash(data_key, id.0, &normalised).map_err(ApiError::internal)?;
            Ok(store::use_recovery_code(conn, id, &hash, naive(at))?
                .then_some(Accepted::RecoveryCode))
        }
        Presented::Recovery(_) => Ok(None),
    }
}

fn record_recovery_use(
    conn: &mut DbConn,
    at: DateTime<Utc>,
    actor: &Actor,
    id: UserId,
) -> Result<(), ApiError> {
    let left = store::recovery_codes_left(conn, id)?;
    audit::store::append(
        conn,
        USER,
        &id.to_string(),
        "totp_recovery_code_used",
        actor,
        json!({"recovery_codes_left": left}),
        naive(at),
    )
}

/// Turns the factor off for the signed-in account `id`, whose password the caller has checked,
/// with a current code or a recovery code. The username's throttle applies (429), and a wrong
/// code counts towards it ([`Checked::Wrong`]); a factor that is not on is 409.
pub fn disable(
    conn: &mut DbConn,
    at: DateTime<Utc>,
    data_key: &[u8; 32],
    actor: &Actor,
    id: UserId,
    username: &str,
    code: &str,
) -> Result<Checked<()>, TotpError> {
    throttle::check(conn, username, naive(at))?;
    let row = store::find(conn, id)?
        .filter(|r| r.enabled_at.is_some())
        .ok_or(TotpError::NotOn)?;
    let Some(how) = accept(conn, at, data_key, &row, username, code)? else {
        throttle::record_failure(conn, username, naive(at))?;
        return Ok(Checked::Wrong);
    };
    store::remove(conn, id)?;
    audit::store::append(
        conn,
        USER,
        &id.to_string(),
        "totp_disabled",
        actor,
        json!({"with_recovery_code": how == Accepted::RecoveryCode}),
        naive(at),
    )?;
    Ok(Checked::Passed(()))
}

/// An admin resets account `id`'s second factor (a lost device): the factor, its recovery codes
/// and open challenges are gone, and every session of the account ends (its token version moves
/// on). An account whose factor is not on is 409 and keeps its sessions (an enrolment not yet
/// confirmed gates nothing, and enrolling again replaces it); no account, 404.
pub fn reset(
    conn: &mut DbConn,
    at: DateTime<Utc>,
    actor: &Actor,
    id: UserId,
) -> Result<(), TotpError> {
    user_store::find(conn, id)?.ok_or(TotpError::NotFound)?;
    store::find(conn, id)?
        .filter(|r| r.enabled_at.is_some())
        .ok_or(TotpError::NotOn)?;
    store::remove(conn, id)?;
    accounts::end_sessions(
        conn,
        naive(at),
        actor,
        id,
        None,
        "totp_reset",
        json!({"sessions_ended": true}),
    )
    .map_err(ApiError::from)?;
    Ok(())
}

/// The first step of a sign-in with the factor on passed (the password): a challenge, single
/// use, good for five minutes, stored only as its hash.
pub fn open_challenge(
    conn: &mut DbConn,
    at: DateTime<Utc>,
    id: UserId,
) -> Result<Challenge, TotpError> {
    let challenge = domain::new_challenge();
    let ttl = domain::challenge_ttl();
    store::insert_challenge(
        conn,
        &domain::challenge_hash(&challenge),
        id,
        naive(at) + ttl,
    )?;
    Ok(Challenge {
        challenge,
        expires_in: ttl.num_seconds().max(0) as u64,
    })
}

/// The second step of a sign-in: an unexpired challenge (401 `invalid_challenge` otherwise) and
/// a current code or a recovery code of its account. The username's throttle applies (429); a
/// wrong code counts towards it and leaves the challenge for another try until it expires
/// ([`Checked::Wrong`]). Passed, the challenge is used up and the account answered, for its
/// tokens.
pub fn complete_sign_in(
    conn: &mut DbConn,
    at: DateTime<Utc>,
    data_key: &[u8; 32],
    challenge: &str,
    code: &str,
) -> Result<Checked<UserRow>, TotpError> {
    let hash = domain::challenge_hash(challenge);
    let id = store::challenge_user(conn, &hash, naive(at))?.ok_or(TotpError::InvalidChallenge)?;
    let user = user_store::find(conn, id)?.ok_or(TotpError::InvalidChallenge)?;
    throttle::check(conn, &user.username, naive(at))?;
    if user.disabled {
        return Err(TotpError::Refused);
    }
    let row = store::find(conn, id)?
        .filter(|r| r.enabled_at.is_some())
        .ok_or(TotpError::InvalidChallenge)?;
    let Some(how) = accept(conn, at, data_key, &row, &user.username, code)? else {
        throttle::record_failure(conn, &user.username, naive(at))?;
        return Ok(Checked::Wrong);
    };
    if !store::take_challenge(conn, &hash)? {
        return Err(TotpError::InvalidChallenge);
    }
    if how == Accepted::RecoveryCode {
        let role = crate::actor::Role::parse(&user.role)
            .ok_or_else(|| ApiError::internal("unknown role stored"))?;
        record_recovery_use(conn, at, &Actor::user(id, role), id)?;
    }
    Ok(Checked::Passed(user))
}

/// Forgets expired challenges (housekeeping).
pub fn purge_challenges(conn: &mut DbConn, at: NaiveDateTime) -> Result<usize, ApiError> {
    store::purge_challenges(conn, at)
}
