//! The use cases of accounts: creating one (from the API, the command line, the seeds and the
//! first start's `admin`), changing one, ending its sessions, and the reads. Each runs inside
//! the caller's one transaction (or read) and writes its audit events; the password's hash is
//! an input, made before (argon2 runs off the database connection), except where the command
//! line and the seeds ask for it to be made here.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::domain::{Standing, Username, check_role_binding, ends_sessions, loses_admin};
use super::store::{self, NewUser, UserChanges, UserRow};
use crate::actor::{Actor, Role};
use crate::audit;
use crate::auth::password;
use crate::clock::Clock;
use crate::db::{self, DbConn};
use crate::enterprises::store as enterprise_store;
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{EnterpriseId, UserId};
use crate::validate::{Invalid, Validator};

/// The aggregate type of an account's audit events.
pub const USER: &str = "user";

/// What the account use cases answer besides their view.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("no such account")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The change would leave no enabled admin.
    #[error("the last enabled admin cannot be disabled or demoted")]
    LastAdmin,
    /// Store and audit failures (a taken username, a lost race) pass through.
    #[error(transparent)]
    Store(#[from] ApiError),
}

impl From<UserError> for ApiError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::NotFound => ApiError::NotFound,
            UserError::Invalid(invalid) => invalid.into(),
            UserError::LastAdmin => ApiError::Conflict(e.to_string()),
            UserError::Store(e) => e,
        }
    }
}

/// An account as admins see it (never the password hash).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    pub enterprise_id: Option<EnterpriseId>,
    pub display_name: String,
    pub disabled: bool,
    #[serde(
        serialize_with = "crate::clock::utc::serialize",
        skip_deserializing,
        default = "epoch"
    )]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(
        serialize_with = "crate::clock::utc::serialize",
        skip_deserializing,
        default = "epoch"
    )]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

fn epoch() -> NaiveDateTime {
    NaiveDateTime::default()
}

impl TryFrom<UserRow> for UserView {
    type Error = ApiError;
    fn try_from(row: UserRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: UserId(row.id),
            role: stored_role(&row)?,
            username: row.username,
            enterprise_id: row.enterprise_id.map(EnterpriseId),
            display_name: row.display_name,
            disabled: row.disabled,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn stored_role(row: &UserRow) -> Result<Role, ApiError> {
    Role::parse(&row.role).ok_or_else(|| ApiError::internal("unknown role stored"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub enterprise_id: Option<i64>,
    pub display_name: String,
}

/// Everything an account needs before it is written: checked input and the password's hash.
pub struct ValidUser {
    pub username: Username,
    pub role: Role,
    pub enterprise_id: Option<EnterpriseId>,
    pub display_name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::http::extract::double_option")]
    #[schema(value_type = Option<i64>)]
    pub enterprise_id: Option<Option<i64>>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

/// Checks a new account's fields, naming every bad one: the username's form, the password
/// policy (12 characters, not containing the username), the display name, and that
/// `enterprise_id` is given for, and only for, role `enterprise`.
pub fn validate_new_user(req: &CreateUserRequest) -> Result<ValidUser, UserError> {
    let mut v = Validator::new();
    let username = v.check("username", "invalid", Username::parse(&req.username));
    if let Err(message) = password::check_policy(&req.username, &req.password) {
        v.add("password", "weak_password", message);
    }
    let display_name = v.text("display_name", &req.display_name, 1, 100);
    let enterprise_id = req.enterprise_id.map(EnterpriseId);
    if let Err(message) = check_role_binding(req.role, enterprise_id) {
        v.add("enterprise_id", "invalid", message);
    }
    v.finish()?;
    match (username, display_name) {
        (Some(username), Some(display_name)) => Ok(ValidUser {
            username,
            role: req.role,
            enterprise_id,
            display_name,
        }),
        _ => Err(ApiError::internal("validator passed without values").into()),
    }
}

/// A named enterprise must exist (422 on `enterprise_id` otherwise).
fn ensure_enterprise(
    conn: &mut DbConn,
    enterprise_id: Option<EnterpriseId>,
) -> Result<(), UserError> {
    match enterprise_id {
        Some(ent) if enterprise_store::find(conn, ent)?.is_none() => {
            Err(ApiError::field("enterprise_id", "not_found", "names no enterprise").into())
        }
        _ => Ok(()),
    }
}

/// Creates a checked account with its `created` event: enabled, token version 1; the
/// enterprise it names must exist (422) and the username must be free (409). Answers the stored
/// row, for callers that need what the view hides (the test helpers mint tokens of its token
/// version); [`create`] answers the view.
pub fn create_in_tx(
    conn: &mut DbConn,
    user: &ValidUser,
    password_hash: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<UserRow, ApiError> {
    Ok(insert_account(conn, user, password_hash, actor, now)?)
}

fn insert_account(
    conn: &mut DbConn,
    user: &ValidUser,
    password_hash: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<UserRow, UserError> {
    ensure_enterprise(conn, user.enterprise_id)?;
    let row = store::insert(
        conn,
        &NewUser {
            username: user.username.as_str(),
            password_hash,
            role: user.role.as_str(),
            enterprise_id: user.enterprise_id.map(|e| e.0),
            display_name: &user.display_name,
            disabled: false,
            token_version: 1,
            created_at: now,
            updated_at: now,
        },
    )?;
    audit::store::append_first(
        conn,
        USER,
        &row.id.to_string(),
        "created",
        actor,
        json!({"username": row.username, "role": row.role, "enterprise_id": row.enterprise_id, "display_name": row.display_name}),
        now,
    )?;
    Ok(row)
}

/// Creates a checked account (see [`create_in_tx`]) and answers its view.
pub fn create(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    user: &ValidUser,
    password_hash: &str,
) -> Result<UserView, UserError> {
    Ok(insert_account(conn, user, password_hash, actor, now)?.try_into()?)
}

/// Checks, hashes (here, on this thread: for the command line and the seeds, never an async
/// worker) and creates an account.
pub fn create_with_password(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    req: &CreateUserRequest,
) -> Result<UserView, UserError> {
    let user = validate_new_user(req)?;
    let hash = password::hash_password(&req.password).map_err(ApiError::internal)?;
    create(conn, now, actor, &user, &hash)
}

/// The first start's account: user `admin` with a random password, created by the system when
/// the database has no admin yet, in a transaction of its own (the password is hashed before
/// it starts). Answers the password, to be shown once, or `None` when there is an admin.
pub fn bootstrap_admin(conn: &mut DbConn, clock: &Clock) -> Result<Option<String>, UserError> {
    if store::any_admin(conn)? {
        return Ok(None);
    }
    let password = password::generate_password();
    let request = CreateUserRequest {
        username: "admin".into(),
        password: password.clone(),
        role: Role::Admin,
        enterprise_id: None,
        display_name: "Administrator".into(),
    };
    let user = validate_new_user(&request)?;
    let hash = password::hash_password(&password).map_err(ApiError::internal)?;
    let now = clock.now_naive();
    db::write_tx(conn, |conn| {
        create_in_tx(conn, &user, &hash, &Actor::SYSTEM, now)
    })?;
    Ok(Some(password))
}

/// A page of accounts, newest first.
pub fn list(conn: &mut DbConn, page: PageRequest) -> Result<Page<UserView>, UserError> {
    let rows = store::list(conn, page.before_id.map(UserId), page.fetch())?;
    Ok(Page::of(rows, page, |r| r.id, UserView::try_from)?)
}

/// One account.
pub fn get(conn: &mut DbConn, id: UserId) -> Result<UserView, UserError> {
    store::find(conn, id)?
        .ok_or(UserError::NotFound)?
        .try_into()
        .map_err(UserError::Store)
}

/// The display name of a patch, checked before anything is read.
pub fn check_patch(patch: &UpdateUserRequest) -> Result<Option<String>, UserError> {
    let mut v = Validator::new();
    let display_name = patch
        .display_name
        .as_deref()
        .and_then(|d| v.text("display_name", d, 1, 100));
    v.finish()?;
    Ok(display_name)
}

/// A new password for account `id` checked against the policy, which needs its username
/// (422 on `password`).
pub fn check_new_password(conn: &mut DbConn, id: UserId, new: &str) -> Result<(), UserError> {
    let current = store::find(conn, id)?.ok_or(UserError::NotFound)?;
    password::check_policy(&current.username, new)
        .map_err(|m| ApiError::field("password", "weak_password", m))?;
    Ok(())
}

/// Changes an account (`display_name` checked by [`check_patch`], the new password's hash made
/// after [`check_new_password`]). Moving a user to another role clears its enterprise unless
/// one is given; the role binding holds and a newly named enterprise exists (422). Changing
/// the password, role, enterprise or disabled flag ends every session the user has (the token
/// version moves on). The last enabled admin cannot be disabled or demoted
/// ([`UserError::LastAdmin`]). A patch that changes nothing (every field already as asked)
/// writes nothing and answers the account as it stands. The row changes only if it is still
/// as read (409 otherwise).
pub fn update(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    id: UserId,
    patch: &UpdateUserRequest,
    display_name: Option<String>,
    password_hash: Option<String>,
) -> Result<UserView, UserError> {
    let current = store::find(conn, id)?.ok_or(UserError::NotFound)?;
    let old_role = stored_role(&current)?;
    let old_enterprise = current.enterprise_id.map(EnterpriseId);
    let role = patch.role.unwrap_or(old_role);
    let enterprise_id = match patch.enterprise_id {
        Some(value) => value.map(EnterpriseId),
        None if role != old_role => None,
        None => old_enterprise,
    };
    check_role_binding(role, enterprise_id)
        .map_err(|m| ApiError::field("enterprise_id", "invalid", m))?;
    ensure_enterprise(conn, enterprise_id.filter(|e| Some(*e) != old_enterprise))?;
    let disabled = patch.disabled.unwrap_or(current.disabled);
    let before = Standing {
        role: old_role,
        enterprise_id: old_enterprise,
        disabled: current.disabled,
    };
    let after = Standing {
        role,
        enterprise_id,
        disabled,
    };
    if loses_admin(before, after) && store::other_enabled_admins(conn, id)? == 0 {
        return Err(UserError::LastAdmin);
    }
    let password_changed = password_hash.is_some();
    let ends_sessions = ends_sessions(before, after, password_changed);
    let changes = UserChanges {
        display_name: display_name.filter(|d| *d != current.display_name),
        role: (role != old_role).then(|| role.as_str().to_owned()),
        enterprise_id: (enterprise_id != old_enterprise).then_some(enterprise_id.map(|e| e.0)),
        disabled: (disabled != current.disabled).then_some(disabled),
        password_hash,
        token_version: ends_sessions.then_some(current.token_version + 1),
        updated_at: Some(now),
    };
    if changes.display_name.is_none()
        && changes.role.is_none()
        && changes.enterprise_id.is_none()
        && changes.disabled.is_none()
        && !password_changed
    {
        // Nothing to change (the account already stands as asked, e.g. the loser of two
        // concurrent disablings): nothing is written, no event, no session ends.
        return Ok(current.try_into()?);
    }
    let row = store::update_if_unchanged(conn, id, current.updated_at, &changes)?;
    audit::store::append(
        conn,
        USER,
        &id.to_string(),
        "updated",
        actor,
        json!({
            "display_name": changes.display_name,
            "role": changes.role,
            "enterprise_id": changes.enterprise_id,
            "disabled": changes.disabled,
            "password_changed": password_changed,
            "sessions_ended": ends_sessions,
        }),
        now,
    )?;
    Ok(row.try_into()?)
}

/// The stored password hash of account `id`, to verify a password against it.
pub fn password_hash(conn: &mut DbConn, id: UserId) -> Result<String, UserError> {
    Ok(store::find(conn, id)?
        .ok_or(UserError::NotFound)?
        .password_hash)
}

/// Ends every session of account `id` (its token version moves on), setting a new password
/// hash if given, and records `action` (`password_changed`, `logged_out_everywhere`,
/// `totp_reset`) with `payload` by `actor`. The row changes only if it is still as read (409
/// otherwise).
pub fn end_sessions(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    id: UserId,
    new_hash: Option<String>,
    action: &str,
    payload: serde_json::Value,
) -> Result<(), UserError> {
    let current = store::find(conn, id)?.ok_or(UserError::NotFound)?;
    let changes = UserChanges {
        password_hash: new_hash,
        token_version: Some(current.token_version + 1),
        updated_at: Some(now),
        ..Default::default()
    };
    store::update_if_unchanged(conn, id, current.updated_at, &changes)?;
    audit::store::append(conn, USER, &id.to_string(), action, actor, payload, now)?;
    Ok(())
}
