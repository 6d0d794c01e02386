//! Suspension orders in the database.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::{CampaignId, EnterpriseId, OrderId};
use crate::schema::orders;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub kind: String,
    pub reason: String,
    pub issued_on: NaiveDate,
    pub lifted_on: Option<NaiveDate>,
    pub lift_note: Option<String>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = orders)]
pub struct NewOrder<'a> {
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub kind: &'a str,
    pub reason: &'a str,
    pub issued_on: NaiveDate,
    pub lifted_on: Option<NaiveDate>,
    pub lift_note: Option<&'a str>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_order(conn: &mut DbConn, row: &NewOrder<'_>) -> Result<OrderRow, ApiError> {
    Ok(diesel::insert_into(orders::table)
        .values(row)
        .returning(orders::all_columns)
        .get_result(conn)?)
}

pub fn find_order(conn: &mut DbConn, id: OrderId) -> Result<Option<OrderRow>, ApiError> {
    Ok(orders::table
        .find(id.0)
        .select(OrderRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Lifts an order in force: compare-and-set on `lifted_on IS NULL`, `None` when it is lifted
/// already (or does not exist).
pub fn lift_order(
    conn: &mut DbConn,
    id: OrderId,
    lifted_on: NaiveDate,
    note: &str,
    now: NaiveDateTime,
) -> Result<Option<OrderRow>, ApiError> {
    Ok(diesel::update(
        orders::table
            .filter(orders::id.eq(id.0))
            .filter(orders::lifted_on.is_null()),
    )
    .set((
        orders::lifted_on.eq(lifted_on),
        orders::lift_note.eq(note),
        orders::updated_at.eq(now),
    ))
    .returning(orders::all_columns)
    .get_result(conn)
    .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct OrderFilter {
    pub enterprise_id: Option<EnterpriseId>,
    /// An enterprise user's own enterprise.
    pub scope: Option<EnterpriseId>,
    pub campaign_id: Option<CampaignId>,
    pub in_force: Option<bool>,
}

pub fn list_orders(
    conn: &mut DbConn,
    f: &OrderFilter,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<OrderRow>, ApiError> {
    let mut q = orders::table.select(OrderRow::as_select()).into_boxed();
    if let Some(v) = f.enterprise_id {
        q = q.filter(orders::enterprise_id.eq(v.0));
    }
    if let Some(v) = f.scope {
        q = q.filter(orders::enterprise_id.eq(v.0));
    }
    if let Some(v) = f.campaign_id {
        q = q.filter(orders::campaign_id.eq(v.0));
    }
    match f.in_force {
        Some(true) => q = q.filter(orders::lifted_on.is_null()),
        Some(false) => q = q.filter(orders::lifted_on.is_not_null()),
        None => {}
    }
    if let Some(b) = before_id {
        q = q.filter(orders::id.lt(b));
    }
    Ok(q.order(orders::id.desc()).limit(fetch).load(conn)?)
}
