//! The portal's server-side sessions (PORTAL 7.2). The browser holds a random 128-bit id in an
//! `HttpOnly` cookie; the database holds its SHA-256 with the account, the token version at
//! sign-in, and the times. A session stands while it is within its absolute lifetime, used
//! within its role's idle time, and of the account's current token version — so whatever ends
//! an account's tokens ends its sessions too, with no step of its own.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, web};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::actor::Role;
use crate::auth::{self, CurrentUser};
use crate::config::Environment;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::schema::{users, web_sessions};
use crate::state::AppState;
use crate::users::store::{Account, UserRow};

/// A session's absolute lifetime.
pub fn lifetime() -> Duration {
    Duration::hours(12)
}

/// How long a session may go unused: staff 30 minutes, enterprises 8 hours.
pub fn idle_limit(role: Role) -> Duration {
    if role.is_staff() {
        Duration::minutes(30)
    } else {
        Duration::hours(8)
    }
}

/// A session's last use is written at most this often (every page would be a write).
const TOUCH_EVERY: i64 = 60;

/// The cookie's name: with the `__Host-` prefix (and `Secure`) in production; plain in
/// development, which serves plain http.
pub fn cookie_name(env: Environment) -> &'static str {
    match env {
        Environment::Production => "__Host-anjian_session",
        Environment::Development => "anjian_session",
    }
}

/// A new session id: 128 random bits, hex.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// The session cookie for `id` (or, with an empty id, the one that deletes it).
pub fn cookie(env: Environment, id: &str) -> Cookie<'static> {
    let mut c = Cookie::build(cookie_name(env), id.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(env == Environment::Production)
        .finish();
    if id.is_empty() {
        c.make_removal();
    }
    c
}

#[derive(Insertable)]
#[diesel(table_name = web_sessions)]
struct NewSession<'a> {
    id_hash: &'a str,
    user_id: i64,
    token_version: i32,
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// Opens a session for `user` (a sign-in that passed): a new id every time, never one the
/// browser brought. Returns the id for the cookie.
pub fn open(conn: &mut DbConn, user: &UserRow, now: NaiveDateTime) -> Result<String, ApiError> {
    let id = new_id();
    diesel::insert_into(web_sessions::table)
        .values(NewSession {
            id_hash: &id_hash(&id),
            user_id: user.id,
            token_version: user.token_version,
            created_at: now,
            last_seen_at: now,
            expires_at: now + lifetime(),
        })
        .execute(conn)?;
    Ok(id)
}

/// Ends the session `id` (sign-out). Nothing to end is fine.
pub fn close(conn: &mut DbConn, id: &str) -> Result<(), ApiError> {
    diesel::delete(web_sessions::table.find(id_hash(id))).execute(conn)?;
    Ok(())
}

/// Forgets sessions past their lifetime (housekeeping); idle ones are refused when used and
/// gone at the latest here.
pub fn purge(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, ApiError> {
    Ok(
        diesel::delete(web_sessions::table.filter(web_sessions::expires_at.le(now)))
            .execute(conn)?,
    )
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = web_sessions)]
struct SessionRow {
    user_id: i64,
    token_version: i32,
    last_seen_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// A session that stands, with its holder.
pub struct Signed {
    pub user: CurrentUser,
    /// The cookie's id: the CSRF token is bound to it.
    pub id: String,
    /// Whether its last use should be written now.
    stale: bool,
}

/// The session `id` with its account, if it stands at `now`.
pub fn find(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> Result<Option<Signed>, ApiError> {
    let found: Option<(SessionRow, Account)> = web_sessions::table
        .inner_join(users::table)
        .filter(web_sessions::id_hash.eq(id_hash(id)))
        .select((SessionRow::as_select(), Account::as_select()))
        .get_result(conn)
        .optional()?;
    let Some((row, account)) = found else {
        return Ok(None);
    };
    if row.expires_at <= now {
        return Ok(None);
    }
    let Ok(user) = auth::admit(Some(account), UserId(row.user_id), row.token_version) else {
        return Ok(None);
    };
    if now - row.last_seen_at > idle_limit(user.role) {
        return Ok(None);
    }
    Ok(Some(Signed {
        user,
        id: id.to_owned(),
        stale: (now - row.last_seen_at).num_seconds() >= TOUCH_EVERY,
    }))
}

/// Records the session's use now.
fn touch(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> Result<(), ApiError> {
    diesel::update(web_sessions::table.find(id_hash(id)))
        .set(web_sessions::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// The request's session, if its cookie names one that stands (its use recorded).
pub async fn of_request(state: &AppState, req: &HttpRequest) -> Result<Option<Signed>, ApiError> {
    let Some(id) = req
        .cookie(cookie_name(state.config.environment))
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
    else {
        return Ok(None);
    };
    let now = state.clock.now_naive();
    let lookup = id.clone();
    let signed = state.db.run(move |conn| find(conn, &lookup, now)).await?;
    if let Some(s) = &signed
        && s.stale
    {
        let id = s.id.clone();
        state.db.write(move |conn| touch(conn, &id, now)).await?;
    }
    Ok(signed)
}

/// The state, for the page extractors.
pub fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))
}
