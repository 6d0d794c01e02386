//! Industry templates and the items of enterprise lists (the two share the item columns).

use std::collections::HashMap;

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::NegativeListId;
use crate::negative_lists::domain::Item;
use crate::schema::{industries, negative_list_items, negative_list_templates};

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

/// The [`ItemRow`] columns of `negative_list_items`.
const LIST_ITEM: (
    negative_list_items::code,
    negative_list_items::position,
    negative_list_items::category,
    negative_list_items::title,
    negative_list_items::description,
    negative_list_items::severity,
    negative_list_items::suggested_handling,
) = (
    negative_list_items::code,
    negative_list_items::position,
    negative_list_items::category,
    negative_list_items::title,
    negative_list_items::description,
    negative_list_items::severity,
    negative_list_items::suggested_handling,
);

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
    let counts: HashMap<String, i64> = negative_list_templates::table
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

pub fn list_items(conn: &mut DbConn, list: NegativeListId) -> Result<Vec<ItemRow>, ApiError> {
    Ok(negative_list_items::table
        .filter(negative_list_items::list_id.eq(list.0))
        .order(negative_list_items::position.asc())
        .select(LIST_ITEM)
        .load(conn)?)
}

/// Inserts a list's items as rows already checked (or copied from a checked source).
pub fn insert_items(
    conn: &mut DbConn,
    list: NegativeListId,
    items: &[ItemRow],
) -> Result<(), ApiError> {
    let rows: Vec<NewListItem<'_>> = items
        .iter()
        .enumerate()
        .map(|(i, it)| NewListItem {
            list_id: list.0,
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

pub fn delete_items(conn: &mut DbConn, list: NegativeListId) -> Result<(), ApiError> {
    diesel::delete(negative_list_items::table.filter(negative_list_items::list_id.eq(list.0)))
        .execute(conn)?;
    Ok(())
}

pub fn find_item(
    conn: &mut DbConn,
    list: NegativeListId,
    code: &str,
) -> Result<Option<ItemRow>, ApiError> {
    Ok(negative_list_items::table
        .filter(negative_list_items::list_id.eq(list.0))
        .filter(negative_list_items::code.eq(code))
        .select(LIST_ITEM)
        .get_result(conn)
        .optional()?)
}

/// Item counts of the given lists.
pub fn item_counts(
    conn: &mut DbConn,
    lists: &[NegativeListId],
) -> Result<HashMap<NegativeListId, i64>, ApiError> {
    let ids: Vec<i64> = lists.iter().map(|l| l.0).collect();
    Ok(negative_list_items::table
        .filter(negative_list_items::list_id.eq_any(ids))
        .group_by(negative_list_items::list_id)
        .select((negative_list_items::list_id, count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .map(|(id, n)| (NegativeListId(id), n))
        .collect())
}
