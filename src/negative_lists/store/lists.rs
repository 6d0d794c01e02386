//! Enterprise lists: versions, the one draft, the current version and the one in force.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::items::delete_items;
use crate::db::{DbConn, constant, is_unique_violation};
use crate::error::ApiError;
use crate::ids::{EnterpriseId, NegativeListId};
use crate::schema::negative_lists;

/// Every column of `negative_lists`, in table order.
#[derive(Debug, Clone, Queryable)]
pub struct ListRow {
    #[diesel(deserialize_as = i64)]
    pub id: NegativeListId,
    #[diesel(deserialize_as = i64)]
    pub enterprise_id: EnterpriseId,
    pub version: i32,
    pub status: String,
    pub source: String,
    pub published_at: Option<NaiveDateTime>,
    pub effective_from: Option<NaiveDateTime>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = negative_lists, treat_none_as_default_value = false)]
pub struct NewList<'a> {
    pub enterprise_id: i64,
    pub version: i32,
    pub status: &'a str,
    pub source: &'a str,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The next version number of the enterprise (a discarded draft's number is used again).
pub fn next_version(conn: &mut DbConn, enterprise: EnterpriseId) -> Result<i32, ApiError> {
    let max: Option<i32> = negative_lists::table
        .filter(negative_lists::enterprise_id.eq(enterprise.0))
        .select(diesel::dsl::max(negative_lists::version))
        .get_result(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

/// Inserts a draft; the enterprise's second draft (or a concurrent one) is a 409.
pub fn insert_list(conn: &mut DbConn, row: &NewList<'_>) -> Result<ListRow, ApiError> {
    diesel::insert_into(negative_lists::table)
        .values(row)
        .returning(negative_lists::all_columns)
        .get_result(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::Conflict(
                    "the enterprise already has a draft; edit, publish or discard it".into(),
                )
            } else {
                e.into()
            }
        })
}

pub fn find_list(conn: &mut DbConn, id: NegativeListId) -> Result<Option<ListRow>, ApiError> {
    Ok(negative_lists::table
        .find(id.0)
        .select(negative_lists::all_columns)
        .get_result(conn)
        .optional()?)
}

/// The enterprise's draft (there is at most one).
pub fn draft_of(conn: &mut DbConn, enterprise: EnterpriseId) -> Result<Option<ListRow>, ApiError> {
    the_one(conn, enterprise, "draft")
}

/// The enterprise's current version (there is at most one).
pub fn current_of(
    conn: &mut DbConn,
    enterprise: EnterpriseId,
) -> Result<Option<ListRow>, ApiError> {
    the_one(conn, enterprise, "current")
}

/// The enterprise's one version in `status` (a unique index keeps one draft and one current).
fn the_one(
    conn: &mut DbConn,
    enterprise: EnterpriseId,
    status: &'static str,
) -> Result<Option<ListRow>, ApiError> {
    Ok(negative_lists::table
        .filter(negative_lists::enterprise_id.eq(enterprise.0))
        .filter(negative_lists::status.eq(constant(status)))
        .select(negative_lists::all_columns)
        .get_result(conn)
        .optional()?)
}

/// The published version in force at `at`: the one with the latest `effective_from` not after it.
pub fn in_force(
    conn: &mut DbConn,
    enterprise: EnterpriseId,
    at: NaiveDateTime,
) -> Result<Option<ListRow>, ApiError> {
    Ok(negative_lists::table
        .filter(negative_lists::enterprise_id.eq(enterprise.0))
        .filter(negative_lists::effective_from.le(at))
        .order(negative_lists::effective_from.desc())
        .select(negative_lists::all_columns)
        .first(conn)
        .optional()?)
}

/// Marks a draft as edited; `false` when it is not (or no longer) a draft.
pub fn touch_draft(
    conn: &mut DbConn,
    id: NegativeListId,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let n = diesel::update(
        negative_lists::table
            .filter(negative_lists::id.eq(id.0))
            .filter(negative_lists::status.eq(constant("draft"))),
    )
    .set(negative_lists::updated_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// `current → superseded`, a compare-and-set.
pub fn supersede(
    conn: &mut DbConn,
    id: NegativeListId,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let n = diesel::update(
        negative_lists::table
            .filter(negative_lists::id.eq(id.0))
            .filter(negative_lists::status.eq(constant("current"))),
    )
    .set((
        negative_lists::status.eq("superseded"),
        negative_lists::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// `draft → current`, a compare-and-set.
pub fn publish(
    conn: &mut DbConn,
    id: NegativeListId,
    now: NaiveDateTime,
    effective_from: NaiveDateTime,
) -> Result<Option<ListRow>, ApiError> {
    Ok(diesel::update(
        negative_lists::table
            .filter(negative_lists::id.eq(id.0))
            .filter(negative_lists::status.eq(constant("draft"))),
    )
    .set((
        negative_lists::status.eq("current"),
        negative_lists::published_at.eq(Some(now)),
        negative_lists::effective_from.eq(Some(effective_from)),
        negative_lists::updated_at.eq(now),
    ))
    .returning(negative_lists::all_columns)
    .get_result(conn)
    .optional()?)
}

/// Deletes a draft and its items; the caller has taken the draft (`touch_draft`) in the same
/// transaction, so a concurrent publication cannot slip in between.
pub fn delete_draft(conn: &mut DbConn, id: NegativeListId) -> Result<(), ApiError> {
    delete_items(conn, id)?;
    diesel::delete(negative_lists::table.filter(negative_lists::id.eq(id.0))).execute(conn)?;
    Ok(())
}

pub fn lists(
    conn: &mut DbConn,
    enterprise: Option<EnterpriseId>,
    status: Option<&str>,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<ListRow>, ApiError> {
    let mut query = negative_lists::table
        .select(negative_lists::all_columns)
        .into_boxed();
    if let Some(e) = enterprise {
        query = query.filter(negative_lists::enterprise_id.eq(e.0));
    }
    if let Some(s) = status {
        query = query.filter(negative_lists::status.eq(s.to_owned()));
    }
    if let Some(before) = before_id {
        query = query.filter(negative_lists::id.lt(before));
    }
    Ok(query
        .order(negative_lists::id.desc())
        .limit(fetch)
        .load(conn)?)
}
