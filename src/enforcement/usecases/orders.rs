//! Suspension orders (责令停产整顿/停止施工): the enterprise is `suspended` while one is in
//! force; lifting (复工) waits for every major hazard of the enterprise to be verified.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::EnforcementError;
use super::penalties::check_links;
use crate::actor::{Actor, Scope};
use crate::audit::{self, TimelineEntry};
use crate::campaigns::usecases::{Now, not_future, stored, valid_text};
use crate::db::DbConn;
use crate::db::transition::{Event, refused, settle};
use crate::enforcement::domain::{self, OrderKind};
use crate::enforcement::store::{self, NewOrder, OrderFilter, OrderRow};
use crate::enterprises::domain::EnterpriseStatus;
use crate::enterprises::store as enterprise_store;
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CampaignId, EnterpriseId, InspectionId, OrderId, UserId};
use crate::validate::Validator;

pub const ORDER: &str = "order";

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: OrderId,
    pub enterprise_id: EnterpriseId,
    pub inspection_id: Option<InspectionId>,
    pub campaign_id: Option<CampaignId>,
    pub kind: OrderKind,
    pub reason: String,
    pub issued_on: NaiveDate,
    pub lifted_on: Option<NaiveDate>,
    pub lift_note: Option<String>,
    /// Issued and not lifted.
    pub in_force: bool,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

pub fn order_view(r: OrderRow) -> Result<OrderView, ApiError> {
    Ok(OrderView {
        id: OrderId(r.id),
        enterprise_id: EnterpriseId(r.enterprise_id),
        inspection_id: r.inspection_id.map(InspectionId),
        campaign_id: r.campaign_id.map(CampaignId),
        kind: stored(OrderKind::parse(&r.kind), "order kind")?,
        reason: r.reason,
        issued_on: r.issued_on,
        in_force: r.lifted_on.is_none(),
        lifted_on: r.lifted_on,
        lift_note: r.lift_note,
        created_at: r.created_at,
        updated_at: r.updated_at,
        timeline: None,
    })
}

fn with_timeline(conn: &mut DbConn, row: OrderRow) -> Result<OrderView, ApiError> {
    let id = row.id;
    let mut view = order_view(row)?;
    view.timeline = Some(audit::store::timeline(conn, ORDER, &id.to_string())?);
    Ok(view)
}

/// Moves the enterprise's status `from` → `to` if it is `from` (a closed enterprise stays
/// closed), with its `status_changed` event naming the order.
fn move_enterprise(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    enterprise: EnterpriseId,
    (from, to): (EnterpriseStatus, EnterpriseStatus),
    order: i64,
) -> Result<(), ApiError> {
    if enterprise_store::set_status_if(conn, enterprise, from, to, now)? {
        audit::store::append(
            conn,
            "enterprise",
            &enterprise.to_string(),
            "status_changed",
            actor,
            json!({"status": to.as_str(), "order_id": order}),
            now,
        )?;
    }
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderRequest {
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    /// Taken from the inspection when one is named.
    pub campaign_id: Option<i64>,
    pub kind: OrderKind,
    pub reason: String,
    pub issued_on: NaiveDate,
}

/// Orders an enterprise to suspend production or stop construction: links checked as for a
/// penalty, a reason of 1 to 2,000 characters, an issue day not in the future. The enterprise
/// (locked for the rest of the transaction) becomes `suspended` in the same transaction; a
/// closed enterprise is not ordered (409).
pub fn create(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    created_by: UserId,
    input: &CreateOrderRequest,
) -> Result<OrderView, EnforcementError> {
    let mut v = Validator::new();
    let campaign_id = check_links(
        conn,
        &mut v,
        input.enterprise_id,
        input.inspection_id,
        input.campaign_id,
    )?;
    let reason = valid_text(&mut v, "reason", &input.reason, 2000);
    not_future(&mut v, "issued_on", input.issued_on, now.today);
    v.finish()?;
    let enterprise = EnterpriseId(input.enterprise_id);
    let status =
        enterprise_store::lock_status(conn, enterprise)?.ok_or(EnforcementError::NotFound)?;
    if status == EnterpriseStatus::Closed {
        return Err(EnforcementError::EnterpriseClosed);
    }
    let row = store::insert_order(
        conn,
        &NewOrder {
            enterprise_id: input.enterprise_id,
            inspection_id: input.inspection_id,
            campaign_id,
            kind: input.kind.as_str(),
            reason: &reason,
            issued_on: input.issued_on,
            lifted_on: None,
            lift_note: None,
            created_by: created_by.0,
            created_at: now.at,
            updated_at: now.at,
        },
    )?;
    audit::store::append_first(
        conn,
        ORDER,
        &row.id.to_string(),
        "issued",
        actor,
        json!({"enterprise_id": input.enterprise_id, "inspection_id": input.inspection_id,
               "campaign_id": campaign_id, "kind": input.kind.as_str(), "reason": reason,
               "issued_on": input.issued_on}),
        now.at,
    )?;
    move_enterprise(
        conn,
        now.at,
        actor,
        enterprise,
        (EnterpriseStatus::Operating, EnterpriseStatus::Suspended),
        row.id,
    )?;
    Ok(with_timeline(conn, row)?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiftRequest {
    pub lifted_on: NaiveDate,
    pub note: String,
}

/// Lifts an order in force (复工): a note of 1 to 2,000 characters, a day not in the future
/// nor before the order was issued. The lift-order gate (`domain::lift_gate`) refuses it (409,
/// listing them) while any major hazard of the enterprise is not yet verified. The enterprise
/// returns to `operating` when no other order is in force (a closed enterprise stays closed).
pub fn lift(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    id: OrderId,
    input: &LiftRequest,
) -> Result<OrderView, EnforcementError> {
    let current = store::find_order(conn, id)?.ok_or(EnforcementError::NotFound)?;
    let mut v = Validator::new();
    let note = valid_text(&mut v, "note", &input.note, 2000);
    not_future(&mut v, "lifted_on", input.lifted_on, now.today);
    if input.lifted_on < current.issued_on {
        v.add(
            "lifted_on",
            "out_of_range",
            "must not be before the order was issued",
        );
    }
    v.finish()?;
    let enterprise = EnterpriseId(current.enterprise_id);
    enterprise_store::lock_status(conn, enterprise)?.ok_or(EnforcementError::NotFound)?;
    if current.lifted_on.is_some() {
        return Err(refused("the order", "lifted").into());
    }
    domain::lift_gate(store::open_major_hazards(conn, enterprise)?)
        .map_err(EnforcementError::OpenMajorHazards)?;
    let updated = store::lift_order(conn, id, input.lifted_on, &note, now.at)?;
    let row = settle(
        conn,
        updated,
        "the order",
        |conn| Ok(store::find_order(conn, id)?.map(|o| order_state(&o).to_owned())),
        Event {
            aggregate: ORDER,
            id: id.0,
            action: "lifted",
            actor,
            payload: json!({"lifted_on": input.lifted_on, "note": note}),
            at: now.at,
        },
    )?;
    if !enterprise_store::order_in_force(conn, enterprise)? {
        move_enterprise(
            conn,
            now.at,
            actor,
            enterprise,
            (EnterpriseStatus::Suspended, EnterpriseStatus::Operating),
            id.0,
        )?;
    }
    Ok(with_timeline(conn, row)?)
}

/// An order's state in words: `in force` or `lifted`.
fn order_state(order: &OrderRow) -> &'static str {
    if order.lifted_on.is_some() {
        "lifted"
    } else {
        "in force"
    }
}

/// Orders, newest first; an enterprise user sees only its own.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    mut filter: OrderFilter,
    page: PageRequest,
) -> Result<Page<OrderView>, EnforcementError> {
    filter.scope = scope.enterprise();
    let rows = store::list_orders(conn, &filter, page.before_id, page.fetch())?;
    Ok(Page::of(rows, page, |r| r.id, order_view)?)
}

/// One order with its timeline; an enterprise user reads only its own.
pub fn get(conn: &mut DbConn, scope: Scope, id: OrderId) -> Result<OrderView, EnforcementError> {
    let row = scope
        .visible(store::find_order(conn, id)?, |o| {
            EnterpriseId(o.enterprise_id)
        })
        .ok_or(EnforcementError::NotFound)?;
    Ok(with_timeline(conn, row)?)
}
