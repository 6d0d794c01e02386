//! `/e/penalties` and `/e/orders`: read only. An order in force says what must happen before
//! it can be lifted: every major hazard of the enterprise verified closed (the same
//! `open_major_hazards` the lifting checks), then an inspector lifts it.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::super::page::Ctx;
use super::{Ent, own, word};
use crate::enforcement::store::{self, OrderFilter, PenaltyFilter};
use crate::enforcement::usecases::{orders, penalties};
use crate::error::ApiError;
use crate::http::pagination::PageRequest;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(penalty_list).service(order_list);
}

fn everything() -> PageRequest {
    PageRequest::first(200)
}

pub struct PenaltyLine {
    pub decision_no: String,
    pub violation: String,
    pub legal_basis: String,
    pub fine: String,
    pub decided_on: String,
    pub paid: String,
    pub unpaid: bool,
}

#[derive(Template)]
#[template(path = "portal/enterprise/penalties.html")]
struct Penalties<'a> {
    c: &'a Ctx,
    rows: Vec<PenaltyLine>,
}

/// My penalties, newest first, with whether each fine is paid.
#[get("/e/penalties")]
async fn penalty_list(s: Ent) -> Result<HttpResponse, ApiError> {
    own(&s)?;
    let scope = s.user.scope();
    let found = s
        .state
        .db
        .read_case(move |conn| penalties::list(conn, scope, PenaltyFilter::default(), everything()))
        .await?;
    let c = &s.ctx;
    let rows = found
        .items
        .iter()
        .map(|p| PenaltyLine {
            decision_no: p.decision_no.clone(),
            violation: p.violation.clone(),
            legal_basis: p.legal_basis.clone(),
            fine: c.t.money(p.fine_fen),
            decided_on: c.t.date(p.decided_on),
            paid: match p.paid_on {
                Some(d) => c.t1("e-pen-paid-on", "date", &c.t.date(d)),
                None if p.fine_fen == 0 => c.t("e-pen-no-fine"),
                None => c.t("e-pen-unpaid"),
            },
            unpaid: p.paid_on.is_none() && p.fine_fen > 0,
        })
        .collect();
    c.render(&Penalties { c, rows })
}

pub struct Blocker {
    pub href: String,
    pub label: String,
}

pub struct OrderLine {
    pub kind: String,
    pub reason: String,
    pub issued_on: String,
    pub in_force: bool,
    pub state: String,
    pub lift_note: String,
}

#[derive(Template)]
#[template(path = "portal/enterprise/orders.html")]
struct Orders<'a> {
    c: &'a Ctx,
    rows: Vec<OrderLine>,
    any_in_force: bool,
    blockers: Vec<Blocker>,
}

/// My orders; for those in force, the major hazards that still block their lifting.
#[get("/e/orders")]
async fn order_list(s: Ent) -> Result<HttpResponse, ApiError> {
    let enterprise = own(&s)?;
    let scope = s.user.scope();
    let (found, blocking) = s
        .state
        .db
        .read_case(move |conn| -> Result<_, ApiError> {
            let found = orders::list(conn, scope, OrderFilter::default(), everything())?;
            let blocking = store::open_major_hazards(conn, enterprise)?;
            Ok((found, blocking))
        })
        .await?;
    let c = &s.ctx;
    let rows: Vec<OrderLine> = found
        .items
        .iter()
        .map(|o| OrderLine {
            kind: word(c, "e-order-kind-", o.kind.as_str()),
            reason: o.reason.clone(),
            issued_on: c.t.date(o.issued_on),
            in_force: o.in_force,
            state: match o.lifted_on {
                Some(d) => c.t1("e-ord-lifted-on", "date", &c.t.date(d)),
                None => c.t("e-ord-in-force"),
            },
            lift_note: o.lift_note.clone().unwrap_or_default(),
        })
        .collect();
    let any_in_force = rows.iter().any(|o| o.in_force);
    let blockers = blocking
        .iter()
        .map(|id| Blocker {
            href: format!("/e/hazards/{}", id.0),
            label: c.t1("e-ord-blocker", "id", &id.0.to_string()),
        })
        .collect();
    c.render(&Orders {
        c,
        rows,
        any_in_force,
        blockers,
    })
}
