//! Templates, enterprise lists, their items and violation records in the database.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::domain::{Category, Flags, Item, Recorded, Severity};
use crate::db::{DbConn, constant, is_unique_violation};
use crate::error::ApiError;
use crate::ids::EnterpriseId;
use crate::schema::{
    industries, negative_list_items, negative_list_templates, negative_lists, violations,
};

// ---------------------------------------------------------------------------------------------
// Items (templates and lists share the item columns)

/// The item columns of a template or list row, in table order after the key.
#[derive(Debug, Clone, Queryable)]
pub struct ItemRow {
    pub code: String,
    pub position: i32,
    pub category: String,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub suggested_handling: String,
}

#[derive(Insertable)]
#[diesel(table_name = negative_list_templates, treat_none_as_default_value = false)]
struct NewTemplateItem<'a> {
    industry: &'a str,
    code: &'a str,
    position: i32,
    category: &'a str,
    title: &'a str,
    description: &'a str,
    severity: &'a str,
    suggested_handling: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = negative_list_items, treat_none_as_default_value = false)]
struct NewListItem<'a> {
    list_id: i64,
    code: &'a str,
    position: i32,
    category: &'a str,
    title: &'a str,
    description: &'a str,
    severity: &'a str,
    suggested_handling: &'a str,
}

pub fn industry_exists(conn: &mut DbConn, code: &str) -> Result<bool, ApiError> {
    let n: i64 = industries::table
        .filter(industries::code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Every industry `(code, name)` with its number of template items.
pub fn template_counts(conn: &mut DbConn) -> Result<Vec<(String, String, i64)>, ApiError> {
    let all: Vec<(String, String)> = industries::table
        .select((industries::code, industries::name))
        .order(industries::code.asc())
        .load(conn)?;
    let counts: std::collections::HashMap<String, i64> = negative_list_templates::table
        .group_by(negative_list_templates::industry)
        .select((negative_list_templates::industry, count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(all
        .into_iter()
        .map(|(code, name)| {
            let n = counts.get(&code).copied().unwrap_or(0);
            (code, name, n)
        })
        .collect())
}

pub fn template_items(conn: &mut DbConn, industry: &str) -> Result<Vec<ItemRow>, ApiError> {
    Ok(negative_list_templates::table
        .filter(negative_list_templates::industry.eq(industry))
        .order(negative_list_templates::position.asc())
        .select((
            negative_list_templates::code,
            negative_list_templates::position,
            negative_list_templates::category,
            negative_list_templates::title,
            negative_list_templates::description,
            negative_list_templates::severity,
            negative_list_templates::suggested_handling,
        ))
        .load(conn)?)
}

/// Replaces an industry's template with `items`, in order.
pub fn replace_template(conn: &mut DbConn, industry: &str, items: &[Item]) -> Result<(), ApiError> {
    diesel::delete(
        negative_list_templates::table.filter(negative_list_templates::industry.eq(industry)),
    )
    .execute(conn)?;
    let rows: Vec<NewTemplateItem<'_>> = items
        .iter()
        .enumerate()
        .map(|(i, it)| NewTemplateItem {
            industry,
            code: &it.code,
            position: i as i32 + 1,
            category: it.category.as_str(),
            title: &it.title,
            description: &it.description,
            severity: it.severity.as_str(),
            suggested_handling: it.suggested_handling.as_str(),
        })
        .collect();
    for chunk in rows.chunks(200) {
        crate::db::on_backend!(conn, |c| diesel::insert_into(
            negative_list_templates::table
        )
        .values(chunk)
        .execute(c))?;
    }
    Ok(())
}

pub fn list_items(conn: &mut DbConn, list_id: i64) -> Result<Vec<ItemRow>, ApiError> {
    Ok(negative_list_items::table
        .filter(negative_list_items::list_id.eq(list_id))
        .order(negative_list_items::position.asc())
        .select((
            negative_list_items::code,
            negative_list_items::position,
            negative_list_items::category,
            negative_list_items::title,
            negative_list_items::description,
            negative_list_items::severity,
            negative_list_items::suggested_handling,
        ))
        .load(conn)?)
}

/// Inserts a list's items as rows already checked (or copied from a checked source).
pub fn insert_items(conn: &mut DbConn, list_id: i64, items: &[ItemRow]) -> Result<(), ApiError> {
    let rows: Vec<NewListItem<'_>> = items
        .iter()
        .enumerate()
        .map(|(i, it)| NewListItem {
            list_id,
            code: &it.code,
            position: i as i32 + 1,
            category: &it.category,
            title: &it.title,
            description: &it.description,
            severity: &it.severity,
            suggested_handling: &it.suggested_handling,
        })
        .collect();
    for chunk in rows.chunks(200) {
        crate::db::on_backend!(conn, |c| diesel::insert_into(negative_list_items::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn delete_items(conn: &mut DbConn, list_id: i64) -> Result<(), ApiError> {
    diesel::delete(negative_list_items::table.filter(negative_list_items::list_id.eq(list_id)))
        .execute(conn)?;
    Ok(())
}

pub fn find_item(conn: &mut DbConn, list_id: i64, code: &str) -> Result<Option<ItemRow>, ApiError> {
    Ok(negative_list_items::table
        .filter(negative_list_items::list_id.eq(list_id))
        .filter(negative_list_items::code.eq(code))
        .select((
            negative_list_items::code,
            negative_list_items::position,
            negative_list_items::category,
            negative_list_items::title,
            negative_list_items::description,
            negative_list_items::severity,
            negative_list_items::suggested_handling,
        ))
        .get_result(conn)
        .optional()?)
}

/// Item counts of the given lists.
pub fn item_counts(
    conn: &mut DbConn,
    list_ids: &[i64],
) -> Result<std::collections::HashMap<i64, i64>, ApiError> {
    Ok(negative_list_items::table
        .filter(negative_list_items::list_id.eq_any(list_ids))
        .group_by(negative_list_items::list_id)
        .select((negative_list_items::list_id, count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Lists

/// Every column of `negative_lists`, in table order.
#[derive(Debug, Clone, Queryable)]
pub struct ListRow {
    pub id: i64,
    pub enterprise_id: i64,
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

pub fn find_list(conn: &mut DbConn, id: i64) -> Result<Option<ListRow>, ApiError> {
    Ok(negative_lists::table
        .find(id)
        .select(negative_lists::all_columns)
        .get_result(conn)
        .optional()?)
}

pub fn draft_of(conn: &mut DbConn, enterprise: EnterpriseId) -> Result<Option<ListRow>, ApiError> {
    Ok(negative_lists::table
        .filter(negative_lists::enterprise_id.eq(enterprise.0))
        .filter(negative_lists::status.eq(constant("draft")))
        .select(negative_lists::all_columns)
        .get_result(conn)
        .optional()?)
}

pub fn current_of(
    conn: &mut DbConn,
    enterprise: EnterpriseId,
) -> Result<Option<ListRow>, ApiError> {
    Ok(negative_lists::table
        .filter(negative_lists::enterprise_id.eq(enterprise.0))
        .filter(negative_lists::status.eq(constant("current")))
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
pub fn touch_draft(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<bool, ApiError> {
    let n = diesel::update(
        negative_lists::table
            .filter(negative_lists::id.eq(id))
            .filter(negative_lists::status.eq(constant("draft"))),
    )
    .set(negative_lists::updated_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// `current → superseded`, a compare-and-set.
pub fn supersede(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<bool, ApiError> {
    let n = diesel::update(
        negative_lists::table
            .filter(negative_lists::id.eq(id))
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
    id: i64,
    now: NaiveDateTime,
    effective_from: NaiveDateTime,
) -> Result<Option<ListRow>, ApiError> {
    Ok(diesel::update(
        negative_lists::table
            .filter(negative_lists::id.eq(id))
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

/// Deletes a draft and its items; `false` when it is not (or no longer) a draft.
pub fn delete_draft(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<bool, ApiError> {
    // Take the row first (compare-and-set), so a concurrent publish cannot slip in between.
    if !touch_draft(conn, id, now)? {
        return Ok(false);
    }
    delete_items(conn, id)?;
    diesel::delete(negative_lists::table.filter(negative_lists::id.eq(id))).execute(conn)?;
    Ok(true)
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

// ---------------------------------------------------------------------------------------------
// Violations

/// Every column of `violations`, in table order.
#[derive(Debug, Clone, Queryable)]
pub struct ViolationRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub list_id: i64,
    pub item_code: String,
    pub category: String,
    pub severity: String,
    pub employee_ref: String,
    pub occurred_at: NaiveDateTime,
    pub location: String,
    pub description: String,
    pub handling: String,
    pub fine_fen: i64,
    pub recorded_by: i64,
    pub corrected_at: Option<NaiveDateTime>,
    pub correction_note: Option<String>,
    pub repeat: bool,
    pub escalated: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = violations)]
pub struct NewViolation {
    pub enterprise_id: i64,
    pub list_id: i64,
    pub item_code: String,
    pub category: String,
    pub severity: String,
    pub employee_ref: String,
    pub occurred_at: NaiveDateTime,
    pub location: String,
    pub description: String,
    pub handling: String,
    pub fine_fen: i64,
    pub recorded_by: i64,
    pub corrected_at: Option<NaiveDateTime>,
    pub correction_note: Option<String>,
    pub repeat: bool,
    pub escalated: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_violation(conn: &mut DbConn, row: &NewViolation) -> Result<ViolationRow, ApiError> {
    Ok(diesel::insert_into(violations::table)
        .values(row)
        .returning(violations::all_columns)
        .get_result(conn)?)
}

/// Many rows with multi-row statements (demo data, benchmarks); no flags are computed.
pub fn insert_violations(conn: &mut DbConn, rows: &[NewViolation]) -> Result<(), ApiError> {
    for chunk in rows.chunks(500) {
        crate::db::on_backend!(conn, |c| diesel::insert_into(violations::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn find_violation(conn: &mut DbConn, id: i64) -> Result<Option<ViolationRow>, ApiError> {
    Ok(violations::table
        .find(id)
        .select(violations::all_columns)
        .get_result(conn)
        .optional()?)
}

/// One employee's violations with `occurred_at` in `[lo, hi]`, sorted by `(occurred_at, id)`.
pub fn employee_window(
    conn: &mut DbConn,
    enterprise: EnterpriseId,
    employee_ref: &str,
    lo: NaiveDateTime,
    hi: NaiveDateTime,
) -> Result<Vec<Recorded>, ApiError> {
    let rows: Vec<(i64, NaiveDateTime, bool, bool)> = violations::table
        .filter(violations::enterprise_id.eq(enterprise.0))
        .filter(violations::employee_ref.eq(employee_ref))
        .filter(violations::occurred_at.between(lo, hi))
        .order((violations::occurred_at.asc(), violations::id.asc()))
        .select((
            violations::id,
            violations::occurred_at,
            violations::repeat,
            violations::escalated,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, occurred_at, repeat, escalated)| Recorded {
            id,
            occurred_at,
            flags: Flags { repeat, escalated },
        })
        .collect())
}

pub fn set_flags(
    conn: &mut DbConn,
    id: i64,
    flags: Flags,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(violations::table.filter(violations::id.eq(id)))
        .set((
            violations::repeat.eq(flags.repeat),
            violations::escalated.eq(flags.escalated),
            violations::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets `corrected_at` once: `None` when the violation was already corrected.
pub fn correct(
    conn: &mut DbConn,
    id: i64,
    corrected_at: NaiveDateTime,
    note: &str,
    now: NaiveDateTime,
) -> Result<Option<ViolationRow>, ApiError> {
    Ok(diesel::update(
        violations::table
            .filter(violations::id.eq(id))
            .filter(violations::corrected_at.is_null()),
    )
    .set((
        violations::corrected_at.eq(Some(corrected_at)),
        violations::correction_note.eq(Some(note)),
        violations::updated_at.eq(now),
    ))
    .returning(violations::all_columns)
    .get_result(conn)
    .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct ViolationFilter {
    pub enterprise: Option<EnterpriseId>,
    pub category: Option<String>,
    pub severity: Option<String>,
    /// `occurred_at ≥ start`
    pub start: Option<NaiveDateTime>,
    /// `occurred_at < end`
    pub end: Option<NaiveDateTime>,
    pub corrected: Option<bool>,
    pub repeat: Option<bool>,
}

pub fn violations(
    conn: &mut DbConn,
    f: &ViolationFilter,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<ViolationRow>, ApiError> {
    let mut query = violations::table
        .select(violations::all_columns)
        .into_boxed();
    if let Some(e) = f.enterprise {
        query = query.filter(violations::enterprise_id.eq(e.0));
    }
    if let Some(c) = &f.category {
        query = query.filter(violations::category.eq(c.clone()));
    }
    if let Some(s) = &f.severity {
        query = query.filter(violations::severity.eq(s.clone()));
    }
    if let Some(start) = f.start {
        query = query.filter(violations::occurred_at.ge(start));
    }
    if let Some(end) = f.end {
        query = query.filter(violations::occurred_at.lt(end));
    }
    match f.corrected {
        Some(true) => query = query.filter(violations::corrected_at.is_not_null()),
        Some(false) => query = query.filter(violations::corrected_at.is_null()),
        None => {}
    }
    if let Some(r) = f.repeat {
        query = query.filter(violations::repeat.eq(r));
    }
    if let Some(before) = before_id {
        query = query.filter(violations::id.lt(before));
    }
    Ok(query.order(violations::id.desc()).limit(fetch).load(conn)?)
}

// ---------------------------------------------------------------------------------------------
// Figures

/// Which violations the figures count: one enterprise, or the enterprises of an industry and/or
/// a district, or the whole city.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    pub enterprise: Option<EnterpriseId>,
    pub industry: Option<String>,
    pub district: Option<String>,
}

/// Adds a bind and returns its placeholder.
fn bind(b: Bind, binds: &mut Vec<Bind>) -> String {
    binds.push(b);
    format!("${}", binds.len())
}

/// A value bound to a `$n` placeholder of the figures' SQL.
enum Bind {
    Int(i64),
    Text(String),
    At(NaiveDateTime),
}

/// Builds `WHERE …` for the enterprises in scope (`e` columns) or their violations in a period
/// (`v` columns), numbering placeholders as it goes.
fn where_clause(
    scope: &Scope,
    period: Option<(Option<NaiveDateTime>, Option<NaiveDateTime>)>,
) -> (String, Vec<Bind>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let mut enterprise_clauses: Vec<String> = Vec::new();
    if let Some(i) = &scope.industry {
        enterprise_clauses.push(format!(
            "industry = {}",
            bind(Bind::Text(i.clone()), &mut binds)
        ));
    }
    if let Some(d) = &scope.district {
        enterprise_clauses.push(format!(
            "district = {}",
            bind(Bind::Text(d.clone()), &mut binds)
        ));
    }
    match period {
        None => {
            if let Some(e) = scope.enterprise {
                enterprise_clauses.push(format!("id = {}", bind(Bind::Int(e.0), &mut binds)));
            }
            clauses = enterprise_clauses;
        }
        Some((start, end)) => {
            if !enterprise_clauses.is_empty() {
                clauses.push(format!(
                    "enterprise_id IN (SELECT id FROM enterprises WHERE {})",
                    enterprise_clauses.join(" AND ")
                ));
            }
            if let Some(e) = scope.enterprise {
                clauses.push(format!(
                    "enterprise_id = {}",
                    bind(Bind::Int(e.0), &mut binds)
                ));
            }
            if let Some(s) = start {
                clauses.push(format!("occurred_at >= {}", bind(Bind::At(s), &mut binds)));
            }
            if let Some(e) = end {
                clauses.push(format!("occurred_at < {}", bind(Bind::At(e), &mut binds)));
            }
        }
    }
    if clauses.is_empty() {
        (String::new(), binds)
    } else {
        (format!(" WHERE {}", clauses.join(" AND ")), binds)
    }
}

/// Runs a raw query with its binds on whichever backend `conn` holds (the multi-backend
/// connection cannot box a raw query with a varying number of binds).
macro_rules! load_raw {
    ($conn:expr, $sql:expr, $binds:expr, $row:ty) => {
        crate::db::on_backend!($conn, |c| {
            let mut q = diesel::sql_query($sql).into_boxed();
            for b in $binds {
                q = match b {
                    Bind::Int(v) => q.bind::<BigInt, _>(*v),
                    Bind::Text(v) => q.bind::<diesel::sql_types::Text, _>(v.clone()),
                    Bind::At(v) => q.bind::<diesel::sql_types::Timestamp, _>(*v),
                };
            }
            q.load::<$row>(c)
        })
    };
}

/// One group of the breakdown of a period.
#[derive(Debug, Clone, QueryableByName)]
pub struct Group {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub category: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub severity: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub repeat: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub escalated: bool,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
    #[diesel(sql_type = BigInt)]
    pub corrected: i64,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    n: Option<i64>,
}

/// The period's violations counted in the database by category, severity, repeat and
/// escalated, with the corrected ones of each group.
///
/// City-wide, every value of the grouping columns is listed, so that both backends seek each
/// group's range in `violations_stats` instead of sorting half a million rows (SQLite needs no
/// statistics for that); within an enterprise scope the per-enterprise index is used.
pub fn breakdown(
    conn: &mut DbConn,
    scope: &Scope,
    start: Option<NaiveDateTime>,
    end: Option<NaiveDateTime>,
) -> Result<Vec<Group>, ApiError> {
    let (mut filter, binds) = where_clause(scope, Some((start, end)));
    let city_wide =
        scope.enterprise.is_none() && scope.industry.is_none() && scope.district.is_none();
    if city_wide {
        let list = |values: &[&str]| {
            values
                .iter()
                .map(|v| format!("'{v}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let categories: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
        let groups = format!(
            "category IN ({}) AND severity IN ({}) AND repeat IN (FALSE, TRUE) AND escalated IN (FALSE, TRUE)",
            list(&categories),
            list(&severities)
        );
        filter = if filter.is_empty() {
            format!(" WHERE {groups}")
        } else {
            format!("{filter} AND {groups}")
        };
    }
    let sql = format!(
        "SELECT category, severity, repeat, escalated, COUNT(*) AS count, \
         COUNT(corrected_at) AS corrected FROM violations{filter} \
         GROUP BY category, severity, repeat, escalated"
    );
    Ok(load_raw!(conn, &sql, &binds, Group)?)
}

/// The number of the period's violations.
pub fn count(
    conn: &mut DbConn,
    scope: &Scope,
    start: Option<NaiveDateTime>,
    end: Option<NaiveDateTime>,
) -> Result<i64, ApiError> {
    let (filter, binds) = where_clause(scope, Some((start, end)));
    let sql = format!("SELECT COUNT(*) AS n FROM violations{filter}");
    let rows = load_raw!(conn, &sql, &binds, Number)?;
    Ok(rows.first().and_then(|r| r.n).unwrap_or(0))
}

/// The employees of the enterprises in scope.
pub fn employees(conn: &mut DbConn, scope: &Scope) -> Result<i64, ApiError> {
    let (filter, binds) = where_clause(scope, None);
    let sql = format!("SELECT SUM(employee_count) AS n FROM enterprises{filter}");
    let rows = load_raw!(conn, &sql, &binds, Number)?;
    Ok(rows.first().and_then(|r| r.n).unwrap_or(0))
}
