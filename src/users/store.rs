//! Accounts in the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConn, is_unique_violation};
use crate::error::ApiError;
use crate::ids::UserId;
use crate::schema::users;

/// Every column of `users`, in table order (so `users::all_columns` can fill it in `RETURNING`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub enterprise_id: Option<i64>,
    pub display_name: String,
    pub disabled: bool,
    pub token_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub enterprise_id: Option<i64>,
    pub display_name: &'a str,
    pub disabled: bool,
    pub token_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub enterprise_id: Option<Option<i64>>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
    pub token_version: Option<i32>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn find(conn: &mut DbConn, id: UserId) -> Result<Option<UserRow>, ApiError> {
    Ok(users::table
        .find(id.0)
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// What admitting a token needs of its account: never the password hash.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub enterprise_id: Option<i64>,
    pub display_name: String,
    pub disabled: bool,
    pub token_version: i32,
}

/// The account `id` as admitting its tokens reads it. Every authenticated request reads this
/// (unless a read of its own reads it along, as an instant application's rule inputs do): on
/// the concrete connection (`db::on_backend`).
pub fn account(conn: &mut DbConn, id: UserId) -> Result<Option<Account>, ApiError> {
    Ok(crate::db::on_backend!(conn, |c| users::table
        .find(id.0)
        .select(Account::as_select())
        .get_result(c)
        .optional())?)
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> Result<Option<UserRow>, ApiError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn any_admin(conn: &mut DbConn) -> Result<bool, ApiError> {
    let n: i64 = users::table
        .filter(users::role.eq("admin"))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Enabled admins other than `except`.
pub fn other_enabled_admins(conn: &mut DbConn, except: UserId) -> Result<i64, ApiError> {
    Ok(users::table
        .filter(users::role.eq("admin"))
        .filter(users::disabled.eq(false))
        .filter(users::id.ne(except.0))
        .count()
        .get_result(conn)?)
}

/// Inserts an account; a taken username is a 409.
pub fn insert(conn: &mut DbConn, user: &NewUser<'_>) -> Result<UserRow, ApiError> {
    diesel::insert_into(users::table)
        .values(user)
        .returning(users::all_columns)
        .get_result::<UserRow>(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::Conflict(format!("username {} is taken", user.username))
            } else {
                e.into()
            }
        })
}

/// Applies `changes` only if the row is still as it was read (`updated_at`); a lost race is 409.
pub fn update_if_unchanged(
    conn: &mut DbConn,
    id: UserId,
    read_at: NaiveDateTime,
    changes: &UserChanges,
) -> Result<UserRow, ApiError> {
    diesel::update(
        users::table
            .filter(users::id.eq(id.0))
            .filter(users::updated_at.eq(read_at)),
    )
    .set(changes)
    .returning(users::all_columns)
    .get_result::<UserRow>(conn)
    .optional()?
    .ok_or_else(|| {
        ApiError::Conflict("the account was changed concurrently; reload and retry".into())
    })
}

/// A page of accounts (ids below `before`), newest first.
pub fn list(
    conn: &mut DbConn,
    before: Option<UserId>,
    fetch: i64,
) -> Result<Vec<UserRow>, ApiError> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(before) = before {
        query = query.filter(users::id.lt(before.0));
    }
    Ok(query.order(users::id.desc()).limit(fetch).load(conn)?)
}
