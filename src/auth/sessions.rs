//! The use cases of signing in (the session-ending ones change the account, so they live with
//! it: `users::accounts::end_sessions`).

use chrono::NaiveDateTime;

use super::throttle;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::totp::store as totp_store;
use crate::users::store::{self as user_store, UserRow};

/// An account a sign-in is checked against.
pub struct Candidate {
    pub user: UserRow,
    /// Whether its second factor is on (then the password alone answers a challenge).
    pub totp_on: bool,
}

/// The account a sign-in for `username` (lower-cased) is checked against, unless the username
/// is throttled (429 after 5 failures within 15 minutes, known username or not). `None` for an
/// unknown username: the caller still verifies against the dummy hash.
pub fn sign_in_candidate(
    conn: &mut DbConn,
    username: &str,
    now: NaiveDateTime,
) -> Result<Option<Candidate>, ApiError> {
    throttle::check(conn, username, now)?;
    let Some(user) = user_store::find_by_username(conn, username)? else {
        return Ok(None);
    };
    let totp_on = totp_store::is_enabled(conn, UserId(user.id))?;
    Ok(Some(Candidate { user, totp_on }))
}

/// Counts a failed sign-in for `username` towards its throttle.
pub fn failed_sign_in(
    conn: &mut DbConn,
    username: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    throttle::record_failure(conn, username, now)
}
