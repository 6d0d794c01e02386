//! Administrative penalties (行政处罚): a unique decision number, a fine in fen, paid once.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::EnforcementError;
use crate::actor::{Actor, Scope};
use crate::audit::{self, TimelineEntry};
use crate::campaigns::store as campaign_store;
use crate::campaigns::usecases::{Now, enterprise_exists, not_future, valid_text};
use crate::db::DbConn;
use crate::db::transition::{Event, settle};
use crate::enforcement::store::{self, NewPenalty, PenaltyFilter, PenaltyRow};
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CampaignId, EnterpriseId, HazardId, InspectionId, PenaltyId, UserId};
use crate::validate::Validator;

pub const PENALTY: &str = "penalty";

#[derive(Debug, Serialize, ToSchema)]
pub struct PenaltyView {
    pub id: PenaltyId,
    pub enterprise_id: EnterpriseId,
    pub inspection_id: Option<InspectionId>,
    pub hazard_id: Option<HazardId>,
    pub campaign_id: Option<CampaignId>,
    pub decision_no: String,
    pub violation: String,
    pub legal_basis: String,
    pub fine_fen: i64,
    pub decided_on: NaiveDate,
    pub paid_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

pub fn penalty_view(r: PenaltyRow) -> PenaltyView {
    PenaltyView {
        id: PenaltyId(r.id),
        enterprise_id: EnterpriseId(r.enterprise_id),
        inspection_id: r.inspection_id.map(InspectionId),
        hazard_id: r.hazard_id.map(HazardId),
        campaign_id: r.campaign_id.map(CampaignId),
        decision_no: r.decision_no,
        violation: r.violation,
        legal_basis: r.legal_basis,
        fine_fen: r.fine_fen,
        decided_on: r.decided_on,
        paid_on: r.paid_on,
        created_at: r.created_at,
        updated_at: r.updated_at,
        timeline: None,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePenaltyRequest {
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    pub hazard_id: Option<i64>,
    /// Taken from the inspection when one is named.
    pub campaign_id: Option<i64>,
    /// The decision's number (行政处罚决定书文号), unique.
    pub decision_no: String,
    pub violation: String,
    pub legal_basis: String,
    pub fine_fen: i64,
    pub decided_on: NaiveDate,
}

/// Checks that the enterprise exists and that the linked campaign and inspection exist, the
/// inspection concerning the enterprise (and being of the campaign, when both are named);
/// returns the campaign the record belongs to (the inspection's, when one is named).
pub(super) fn check_links(
    conn: &mut DbConn,
    v: &mut Validator,
    enterprise_id: i64,
    inspection_id: Option<i64>,
    campaign_id: Option<i64>,
) -> Result<Option<i64>, ApiError> {
    if !enterprise_exists(conn, EnterpriseId(enterprise_id))? {
        v.add("enterprise_id", "not_found", "no such enterprise");
    }
    let mut campaign = campaign_id;
    if let Some(c) = campaign_id
        && campaign_store::find_campaign(conn, CampaignId(c))?.is_none()
    {
        v.add("campaign_id", "not_found", "no such campaign");
    }
    if let Some(i) = inspection_id {
        match store::find_inspection(conn, InspectionId(i))? {
            None => v.add("inspection_id", "not_found", "no such inspection"),
            Some(ins) => {
                if ins.enterprise_id != enterprise_id {
                    v.add("inspection_id", "invalid", "concerns another enterprise");
                }
                if campaign_id.is_some() && ins.campaign_id != campaign_id {
                    v.add("campaign_id", "invalid", "is not the inspection's campaign");
                }
                campaign = ins.campaign_id;
            }
        }
    }
    Ok(campaign)
}

/// Records a penalty: its links checked (`check_links`, and the hazard of the same
/// enterprise), a decision number of 1 to 100 characters that no other penalty has (409), the
/// violation and legal basis, a fine in fen of at least 0, and a decision day not in the
/// future.
pub fn create(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    created_by: UserId,
    input: &CreatePenaltyRequest,
) -> Result<PenaltyView, EnforcementError> {
    let mut v = Validator::new();
    let campaign_id = check_links(
        conn,
        &mut v,
        input.enterprise_id,
        input.inspection_id,
        input.campaign_id,
    )?;
    if let Some(h) = input.hazard_id {
        match store::find_hazard(conn, HazardId(h))? {
            None => v.add("hazard_id", "not_found", "no such hazard"),
            Some(hz) if hz.enterprise_id != input.enterprise_id => {
                v.add("hazard_id", "invalid", "concerns another enterprise")
            }
            Some(_) => {}
        }
    }
    let decision_no = valid_text(&mut v, "decision_no", &input.decision_no, 100);
    let violation = valid_text(&mut v, "violation", &input.violation, 2000);
    let legal_basis = valid_text(&mut v, "legal_basis", &input.legal_basis, 2000);
    if input.fine_fen < 0 {
        v.add("fine_fen", "out_of_range", "must not be negative");
    }
    not_future(&mut v, "decided_on", input.decided_on, now.today);
    v.finish()?;
    let row = store::insert_penalty(
        conn,
        &NewPenalty {
            enterprise_id: input.enterprise_id,
            inspection_id: input.inspection_id,
            hazard_id: input.hazard_id,
            campaign_id,
            decision_no: &decision_no,
            violation: &violation,
            legal_basis: &legal_basis,
            fine_fen: input.fine_fen,
            decided_on: input.decided_on,
            paid_on: None,
            created_by: created_by.0,
            created_at: now.at,
            updated_at: now.at,
        },
    )?;
    audit::store::append_first(
        conn,
        PENALTY,
        &row.id.to_string(),
        "decided",
        actor,
        json!({"enterprise_id": input.enterprise_id, "inspection_id": input.inspection_id,
               "hazard_id": input.hazard_id, "campaign_id": campaign_id,
               "decision_no": decision_no, "violation": violation, "legal_basis": legal_basis,
               "fine_fen": input.fine_fen, "decided_on": input.decided_on}),
        now.at,
    )?;
    Ok(penalty_view(row))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    pub paid_on: NaiveDate,
}

/// Records that the fine was paid, on a day not in the future nor before the decision; once
/// (the compare-and-set on an unpaid penalty refuses a second payment, 409).
pub fn pay(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    id: PenaltyId,
    input: &PayRequest,
) -> Result<PenaltyView, EnforcementError> {
    let current = store::find_penalty(conn, id)?.ok_or(EnforcementError::NotFound)?;
    let mut v = Validator::new();
    not_future(&mut v, "paid_on", input.paid_on, now.today);
    if input.paid_on < current.decided_on {
        v.add("paid_on", "out_of_range", "must not be before the decision");
    }
    v.finish()?;
    let updated = store::pay_penalty(conn, id, input.paid_on, now.at)?;
    let row = settle(
        conn,
        updated,
        "the penalty",
        |conn| {
            Ok(store::find_penalty(conn, id)?.map(|p| {
                if p.paid_on.is_some() {
                    "paid"
                } else {
                    "unpaid"
                }
                .to_owned()
            }))
        },
        Event {
            aggregate: PENALTY,
            id: id.0,
            action: "paid",
            actor,
            payload: json!({"paid_on": input.paid_on}),
            at: now.at,
        },
    )?;
    Ok(with_timeline(conn, row)?)
}

fn with_timeline(conn: &mut DbConn, row: PenaltyRow) -> Result<PenaltyView, ApiError> {
    let id = row.id;
    let mut view = penalty_view(row);
    view.timeline = Some(audit::store::timeline(conn, PENALTY, &id.to_string())?);
    Ok(view)
}

/// Penalties, newest first; an enterprise user sees only its own.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    mut filter: PenaltyFilter,
    page: PageRequest,
) -> Result<Page<PenaltyView>, EnforcementError> {
    filter.scope = scope.enterprise();
    let rows = store::list_penalties(conn, &filter, page.before_id, page.fetch())?;
    Ok(Page::from_rows(rows, page, |r| r.id).map(penalty_view))
}

/// One penalty with its timeline; an enterprise user reads only its own.
pub fn get(
    conn: &mut DbConn,
    scope: Scope,
    id: PenaltyId,
) -> Result<PenaltyView, EnforcementError> {
    let row = scope
        .visible(store::find_penalty(conn, id)?, |p| {
            EnterpriseId(p.enterprise_id)
        })
        .ok_or(EnforcementError::NotFound)?;
    Ok(with_timeline(conn, row)?)
}
