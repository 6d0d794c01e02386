//! The use cases of signing in (the session-ending ones change the account, so they live with
//! it: `users::accounts::end_sessions`).

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use super::throttle;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::totp::store as totp_store;
use crate::users::domain::Username;
use crate::users::store::{self as user_store, UserRow};

/// The name a sign-in for `username` is looked up and throttled under: the username trimmed
/// and lower-cased; or, for a name no account can have because no database could store it or
/// its index take it (U+0000 in it, or longer than [`Username::MAX_CHARS`]), `#` and its
/// SHA-256 in hex, which no username equals (`#` is not a username character). Such a name so
/// takes the unknown user's path: the dummy hash verified, the failure counted toward its
/// throttle, 401 `invalid_credentials`.
pub fn sign_in_key(username: &str) -> String {
    let key = username.trim().to_lowercase();
    if key.contains('\u{0}') || key.chars().count() > Username::MAX_CHARS {
        format!("#{}", hex::encode(Sha256::digest(key.as_bytes())))
    } else {
        key
    }
}

/// An account a sign-in is checked against.
pub struct Candidate {
    pub user: UserRow,
    /// Whether its second factor is on (then the password alone answers a challenge).
    pub totp_on: bool,
}

/// The account a sign-in for `username` (its [`sign_in_key`]) is checked against, unless the username
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storable_username_is_its_own_key_lower_cased() {
        assert_eq!(sign_in_key("  Root "), "root");
        assert_eq!(sign_in_key("bob smith"), "bob smith");
    }

    #[test]
    fn a_name_no_account_can_have_is_keyed_by_its_digest() {
        for name in ["ro\u{0}ot".to_owned(), "a".repeat(Username::MAX_CHARS + 1)] {
            let key = sign_in_key(&name);
            assert!(key.starts_with('#') && key.len() == 65, "{key}");
            assert!(!key.contains('\u{0}'));
            assert_eq!(key, sign_in_key(&name.to_uppercase()), "case-insensitive");
            assert!(Username::parse(&key).is_err());
        }
        assert_ne!(sign_in_key("a\u{0}"), sign_in_key("b\u{0}"));
    }
}
