//! The use case of the code tables: adding or renaming a district or an industry.

use chrono::NaiveDateTime;
use serde_json::json;

use super::store::{self, CodeName, Table};
use crate::actor::Actor;
use crate::audit;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::validate::{Invalid, Validator};

/// A code is 1 to 40 characters of a-z, 0-9 and `_`, starting with a letter; a name 1 to 100
/// characters. Answers the name as stored.
pub fn check_put(code: &str, name: &str) -> Result<String, Invalid> {
    let mut v = Validator::new();
    let ok_code = (1..=40).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok_code {
        v.add(
            "code",
            "invalid",
            "must be 1 to 40 characters of a-z, 0-9 and _, starting with a letter",
        );
    }
    let name = v.text("name", name, 1, 100);
    v.finish()?;
    Ok(name.unwrap_or_default())
}

/// Adds the code (event `created`) or renames it (`renamed`), checked by [`check_put`].
pub fn put(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    table: Table,
    code: String,
    name: String,
) -> Result<CodeName, ApiError> {
    let created = store::upsert(conn, table, &code, &name)?;
    let action = if created { "created" } else { "renamed" };
    audit::store::append(
        conn,
        table.aggregate(),
        &code,
        action,
        actor,
        json!({"name": name}),
        now,
    )?;
    Ok(CodeName { code, name })
}
