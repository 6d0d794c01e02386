//! The per-username login throttle: after 5 failed logins for one username within 15 minutes,
//! known or unknown username alike, every attempt for it is refused with 429 until the window
//! passes. Kept in the database, so every process behind the load balancer enforces it.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::ApiError;
use crate::schema::login_failures;

pub const MAX_FAILURES: usize = 5;
pub fn window() -> Duration {
    Duration::minutes(15)
}

/// Given the failure instants inside the window (oldest first), the seconds until an attempt is
/// allowed again, or `None` if it is allowed now.
pub fn retry_after(failures_in_window: &[NaiveDateTime], now: NaiveDateTime) -> Option<u64> {
    if failures_in_window.len() < MAX_FAILURES {
        return None;
    }
    // Allowed again once fewer than MAX_FAILURES remain inside the window.
    let pivot = failures_in_window[failures_in_window.len() - MAX_FAILURES];
    let wait = (pivot + window() - now).num_seconds();
    Some(wait.max(1) as u64)
}

pub fn check(conn: &mut DbConn, username: &str, now: NaiveDateTime) -> Result<(), ApiError> {
    let recent: Vec<NaiveDateTime> = login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::at.gt(now - window()))
        .order(login_failures::at.asc())
        .select(login_failures::at)
        .load(conn)?;
    match retry_after(&recent, now) {
        Some(secs) => Err(ApiError::RateLimited {
            retry_after_secs: secs,
        }),
        None => Ok(()),
    }
}

pub fn record_failure(
    conn: &mut DbConn,
    username: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::username.eq(username),
            login_failures::at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets failures older than `cutoff` (housekeeping).
pub fn purge(conn: &mut DbConn, cutoff: NaiveDateTime) -> Result<usize, ApiError> {
    Ok(
        diesel::delete(login_failures::table.filter(login_failures::at.lt(cutoff)))
            .execute(conn)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
            + Duration::minutes(min)
    }

    #[test]
    fn four_failures_still_allow_an_attempt() {
        assert_eq!(retry_after(&[t(0), t(1), t(2), t(3)], t(4)), None);
    }

    #[test]
    fn the_fifth_failure_locks_until_the_oldest_of_the_last_five_leaves_the_window() {
        let failures = [t(0), t(1), t(2), t(3), t(4)];
        assert_eq!(retry_after(&failures, t(5)), Some(10 * 60));
        let more = [t(0), t(1), t(2), t(3), t(4), t(6)];
        assert_eq!(retry_after(&more, t(7)), Some(9 * 60));
    }
}
