//! The second factor in the database: `user_totp` (one row per account that enrolled),
//! `totp_recovery_codes` (hashes only) and `totp_challenges` (hashes only).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::schema::{totp_challenges, totp_recovery_codes, user_totp};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_totp)]
pub struct TotpRow {
    pub user_id: i64,
    pub secret_sealed: String,
    pub enabled_at: Option<NaiveDateTime>,
    pub last_used_step: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConn, user: UserId) -> Result<Option<TotpRow>, ApiError> {
    Ok(user_totp::table
        .find(user.0)
        .select(TotpRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Whether the account's second factor is on (what a sign-in needs to know).
pub fn is_enabled(conn: &mut DbConn, user: UserId) -> Result<bool, ApiError> {
    let enabled: Option<Option<NaiveDateTime>> = user_totp::table
        .find(user.0)
        .select(user_totp::enabled_at)
        .get_result(conn)
        .optional()?;
    Ok(matches!(enabled, Some(Some(_))))
}

/// Starts (or starts again) an enrolment: a new sealed secret, not on yet.
pub fn put_pending(
    conn: &mut DbConn,
    user: UserId,
    secret_sealed: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::delete(user_totp::table.find(user.0)).execute(conn)?;
    diesel::insert_into(user_totp::table)
        .values((
            user_totp::user_id.eq(user.0),
            user_totp::secret_sealed.eq(secret_sealed),
            user_totp::enabled_at.eq(None::<NaiveDateTime>),
            user_totp::last_used_step.eq(None::<i64>),
            user_totp::created_at.eq(now),
            user_totp::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records `step` as used, only if no step as late was used before (a compare-and-set: of two
/// requests with the same code, one wins). Turns the factor on when `enable` is set and it is
/// still off. Whether it won.
pub fn use_step(
    conn: &mut DbConn,
    user: UserId,
    step: i64,
    enable: bool,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let fresh = user_totp::last_used_step
        .is_null()
        .or(user_totp::last_used_step.lt(step));
    let target = user_totp::table
        .filter(user_totp::user_id.eq(user.0))
        .filter(fresh);
    let n = if enable {
        diesel::update(target.filter(user_totp::enabled_at.is_null()))
            .set((
                user_totp::last_used_step.eq(step),
                user_totp::enabled_at.eq(now),
                user_totp::updated_at.eq(now),
            ))
            .execute(conn)?
    } else {
        diesel::update(target.filter(user_totp::enabled_at.is_not_null()))
            .set((
                user_totp::last_used_step.eq(step),
                user_totp::updated_at.eq(now),
            ))
            .execute(conn)?
    };
    Ok(n == 1)
}

/// Forgets the account's second factor, its recovery codes and its open challenges. Whether
/// there was one.
pub fn remove(conn: &mut DbConn, user: UserId) -> Result<bool, ApiError> {
    diesel::delete(totp_recovery_codes::table.filter(totp_recovery_codes::user_id.eq(user.0)))
        .execute(conn)?;
    diesel::delete(totp_challenges::table.filter(totp_challenges::user_id.eq(user.0)))
        .execute(conn)?;
    Ok(diesel::delete(user_totp::table.find(user.0)).execute(conn)? == 1)
}

/// Replaces the account's recovery codes with these hashes.
pub fn replace_recovery_codes(
    conn: &mut DbConn,
    user: UserId,
    hashes: &[String],
) -> Result<(), ApiError> {
    diesel::delete(totp_recovery_codes::table.filter(totp_recovery_codes::user_id.eq(user.0)))
        .execute(conn)?;
    for hash in hashes {
        diesel::insert_into(totp_recovery_codes::table)
            .values((
                totp_recovery_codes::user_id.eq(user.0),
                totp_recovery_codes::code_hash.eq(hash),
                totp_recovery_codes::used_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Uses the recovery code with this hash, if the account has it unused (a compare-and-set:
/// a code is used once). Whether it was.
pub fn use_recovery_code(
    conn: &mut DbConn,
    user: UserId,
    hash: &str,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let n = diesel::update(
        totp_recovery_codes::table
            .filter(totp_recovery_codes::user_id.eq(user.0))
            .filter(totp_recovery_codes::code_hash.eq(hash))
            .filter(totp_recovery_codes::used_at.is_null()),
    )
    .set(totp_recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// The account's unused recovery codes.
pub fn recovery_codes_left(conn: &mut DbConn, user: UserId) -> Result<i64, ApiError> {
    Ok(totp_recovery_codes::table
        .filter(totp_recovery_codes::user_id.eq(user.0))
        .filter(totp_recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?)
}

pub fn insert_challenge(
    conn: &mut DbConn,
    hash: &str,
    user: UserId,
    expires_at: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::insert_into(totp_challenges::table)
        .values((
            totp_challenges::challenge_hash.eq(hash),
            totp_challenges::user_id.eq(user.0),
            totp_challenges::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The account an unexpired challenge was made for.
pub fn challenge_user(
    conn: &mut DbConn,
    hash: &str,
    now: NaiveDateTime,
) -> Result<Option<UserId>, ApiError> {
    Ok(totp_challenges::table
        .find(hash)
        .filter(totp_challenges::expires_at.gt(now))
        .select(totp_challenges::user_id)
        .get_result(conn)
        .optional()?
        .map(UserId))
}

/// Uses a challenge up (a compare-and-set: of two sign-ins with it, one wins). Whether it was
/// there to use.
pub fn take_challenge(conn: &mut DbConn, hash: &str) -> Result<bool, ApiError> {
    Ok(diesel::delete(totp_challenges::table.find(hash)).execute(conn)? == 1)
}

/// Forgets challenges that expired before `cutoff` (housekeeping).
pub fn purge_challenges(conn: &mut DbConn, cutoff: NaiveDateTime) -> Result<usize, ApiError> {
    Ok(
        diesel::delete(totp_challenges::table.filter(totp_challenges::expires_at.lt(cutoff)))
            .execute(conn)?,
    )
}
