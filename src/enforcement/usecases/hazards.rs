//! Hazards (隐患): found by an inspection, recorded by an inspector, or reported by the
//! enterprise itself (自查自报); rectified, then verified (验收销号) or sent back.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::EnforcementError;
use crate::actor::{Role, Scope};
use crate::audit::{self, TimelineEntry};
use crate::auth::CurrentUser;
use crate::campaigns::usecases::{Now, enterprise_exists, not_future, stored, to_json};
use crate::db::DbConn;
use crate::db::transition::{Event, settle};
use crate::enforcement::domain::{
    self, HazardAction, HazardCategory, HazardInput, HazardLevel, HazardStatus, Plan, ValidHazard,
};
use crate::enforcement::store::{self, HazardChanges, HazardFilter, HazardRow, NewHazard};
use crate::enterprises::store as enterprise_store;
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CampaignId, EnterpriseId, HazardId, InspectionId, UserId};
use crate::validate::Validator;

pub const HAZARD: &str = "hazard";

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Rectification {
    pub measures: String,
    pub completed_on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardView {
    pub id: HazardId,
    pub enterprise_id: EnterpriseId,
    /// Null when the enterprise reported it itself (自查自报).
    pub inspection_id: Option<InspectionId>,
    pub campaign_id: Option<CampaignId>,
    pub description: String,
    pub level: HazardLevel,
    pub category: HazardCategory,
    pub found_on: NaiveDate,
    pub deadline: NaiveDate,
    pub status: HazardStatus,
    /// 挂牌督办: every major hazard.
    pub supervised: bool,
    /// Open and past its deadline.
    pub overdue: bool,
    pub plan: Option<Plan>,
    pub rectification: Option<Rectification>,
    pub verified_by: Option<UserId>,
    pub verified_on: Option<NaiveDate>,
    pub reject_reason: Option<String>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

pub fn hazard_view(r: HazardRow, today: NaiveDate) -> Result<HazardView, ApiError> {
    let status = stored(HazardStatus::parse(&r.status), "hazard status")?;
    let plan = match r.plan {
        Some(p) => Some(serde_json::from_str(&p).map_err(ApiError::internal)?),
        None => None,
    };
    Ok(HazardView {
        id: HazardId(r.id),
        enterprise_id: EnterpriseId(r.enterprise_id),
        inspection_id: r.inspection_id.map(InspectionId),
        campaign_id: r.campaign_id.map(CampaignId),
        level: stored(HazardLevel::parse(&r.level), "hazard level")?,
        category: stored(HazardCategory::parse(&r.category), "hazard category")?,
        overdue: domain::hazard_overdue(status, r.deadline, today),
        status,
        description: r.description,
        found_on: r.found_on,
        deadline: r.deadline,
        supervised: r.supervised,
        plan,
        rectification: match (r.rectification_measures, r.rectification_completed_on) {
            (Some(measures), Some(completed_on)) => Some(Rectification {
                measures,
                completed_on,
            }),
            _ => None,
        },
        verified_by: r.verified_by.map(UserId),
        verified_on: r.verified_on,
        reject_reason: r.reject_reason,
        created_at: r.created_at,
        updated_at: r.updated_at,
        timeline: None,
    })
}

/// Where hazards were found: the enterprise, the inspection and its campaign, the day.
#[derive(Debug, Clone, Copy)]
pub struct Finding {
    pub enterprise_id: EnterpriseId,
    pub inspection_id: Option<InspectionId>,
    pub campaign_id: Option<CampaignId>,
    pub found_on: NaiveDate,
}

/// Inserts checked hazards, `open`, with their first events: `self_reported` when an
/// enterprise reports its own without an inspection, `found` otherwise.
pub(super) fn insert_hazards(
    conn: &mut DbConn,
    now: NaiveDateTime,
    reporter: &CurrentUser,
    at: Finding,
    hazards: &[ValidHazard],
) -> Result<Vec<HazardRow>, ApiError> {
    let actor = reporter.actor();
    let enterprise_id = at.enterprise_id.0;
    let inspection_id = at.inspection_id.map(|i| i.0);
    let campaign_id = at.campaign_id.map(|c| c.0);
    let found_on = at.found_on;
    let mut rows = Vec::with_capacity(hazards.len());
    for h in hazards {
        let plan = h
            .plan
            .as_ref()
            .map(to_json)
            .transpose()?
            .map(|p| p.to_string());
        let row = store::insert_hazard(
            conn,
            NewHazard {
                enterprise_id,
                inspection_id,
                campaign_id,
                description: &h.description,
                level: h.level.as_str(),
                category: h.category.as_str(),
                found_on,
                deadline: h.deadline,
                status: HazardStatus::Open.as_str(),
                supervised: h.supervised,
                plan,
                rectification_measures: None,
                rectification_completed_on: None,
                verified_by: None,
                verified_on: None,
                reject_reason: None,
                reported_by: reporter.id.0,
                created_at: now,
                updated_at: now,
            },
        )?;
        audit::store::append_first(
            conn,
            HAZARD,
            &row.id.to_string(),
            if inspection_id.is_none() && reporter.role == Role::Enterprise {
                "self_reported"
            } else {
                "found"
            },
            &actor,
            json!({"enterprise_id": enterprise_id, "inspection_id": inspection_id,
                   "campaign_id": campaign_id, "level": h.level.as_str(), "category": h.category.as_str(),
                   "description": h.description, "found_on": found_on, "deadline": h.deadline,
                   "supervised": h.supervised, "plan": h.plan}),
            now,
        )?;
        rows.push(row);
    }
    Ok(rows)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHazardRequest {
    /// Required for inspectors; an enterprise user reports for its own enterprise.
    pub enterprise_id: Option<i64>,
    /// Inspectors only: the inspection that found it.
    pub inspection_id: Option<i64>,
    /// Defaults to the inspection's date, or today.
    pub found_on: Option<NaiveDate>,
    pub description: String,
    pub level: HazardLevel,
    pub category: HazardCategory,
    pub deadline: Option<NaiveDate>,
    /// The five essentials; required for a major hazard.
    pub plan: Option<Plan>,
}

/// Records a hazard. An enterprise user reports its own, without an inspection; an inspector
/// names the enterprise, the inspection, or both (then the inspected one). It is found on the
/// given day, the inspection's, or today, never in the future; every major hazard is
/// supervised (挂牌督办) and needs a deadline and the five-essentials plan.
pub fn create(
    conn: &mut DbConn,
    now: Now,
    user: &CurrentUser,
    input: &CreateHazardRequest,
) -> Result<HazardView, EnforcementError> {
    let mut v = Validator::new();
    let own = user.enterprise_scope();
    let inspection = match input.inspection_id {
        Some(_) if own.is_some() => {
            v.add(
                "inspection_id",
                "invalid",
                "an enterprise reports its own hazards without an inspection",
            );
            None
        }
        Some(id) => {
            let found = store::find_inspection(conn, InspectionId(id))?;
            if found.is_none() {
                v.add("inspection_id", "not_found", "no such inspection");
            }
            found
        }
        None => None,
    };
    let enterprise_id = match (own, input.enterprise_id, &inspection) {
        (Some(own), Some(given), _) if given != own.0 => {
            v.add(
                "enterprise_id",
                "invalid",
                "an enterprise reports only its own hazards",
            );
            None
        }
        (Some(own), _, _) => Some(own.0),
        (None, Some(given), Some(i)) if given != i.enterprise_id => {
            v.add(
                "enterprise_id",
                "invalid",
                "is not the inspected enterprise",
            );
            None
        }
        (None, Some(given), _) => {
            if enterprise_exists(conn, EnterpriseId(given))? {
                Some(given)
            } else {
                v.add("enterprise_id", "not_found", "no such enterprise");
                None
            }
        }
        (None, None, Some(i)) => Some(i.enterprise_id),
        (None, None, None) => {
            v.add("enterprise_id", "required", "name the enterprise");
            None
        }
    };
    let found_on = input
        .found_on
        .or(inspection.as_ref().map(|i| i.inspected_on))
        .unwrap_or(now.today);
    not_future(&mut v, "found_on", found_on, now.today);
    let hazard = domain::validate_hazard(
        &HazardInput {
            description: input.description.clone(),
            level: input.level,
            category: input.category,
            deadline: input.deadline,
            plan: input.plan.clone(),
        },
        found_on,
        "",
        &mut v,
    );
    v.finish()?;
    let (Some(enterprise_id), Some(hazard)) = (enterprise_id, hazard) else {
        return Err(ApiError::internal("validator passed without a value").into());
    };
    let at = Finding {
        enterprise_id: EnterpriseId(enterprise_id),
        inspection_id: inspection.as_ref().map(|i| InspectionId(i.id)),
        campaign_id: inspection
            .as_ref()
            .and_then(|i| i.campaign_id)
            .map(CampaignId),
        found_on,
    };
    let row = insert_hazards(conn, now.at, user, at, &[hazard])?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("no hazard inserted"))?;
    Ok(hazard_view(row, now.today)?)
}

/// Hazards, newest first (filters as in `store::list_hazards`); an enterprise user sees only
/// its own. An unknown `district` or `industry` code is a 422, looked up only when the page
/// is empty (an unknown code finds nothing).
pub fn list(
    conn: &mut DbConn,
    today: NaiveDate,
    scope: Scope,
    mut filter: HazardFilter,
    page: PageRequest,
) -> Result<Page<HazardView>, EnforcementError> {
    filter.scope = scope.enterprise();
    let rows = store::list_hazards(conn, &filter, today, page.before_id, page.fetch())?;
    if rows.is_empty() {
        enterprise_store::check_filter_codes(
            conn,
            filter.industry.as_deref(),
            filter.district.as_deref(),
        )?;
    }
    Ok(Page::of(rows, page, |r| r.id, |r| hazard_view(r, today))?)
}

/// The hazard's view with its timeline.
fn with_timeline(
    conn: &mut DbConn,
    row: HazardRow,
    today: NaiveDate,
) -> Result<HazardView, ApiError> {
    let id = row.id;
    let mut view = hazard_view(row, today)?;
    view.timeline = Some(audit::store::timeline(conn, HAZARD, &id.to_string())?);
    Ok(view)
}

/// The hazard if the caller may see it (another enterprise's is "no such hazard").
fn visible(conn: &mut DbConn, scope: Scope, id: HazardId) -> Result<HazardRow, EnforcementError> {
    scope
        .visible(store::find_hazard(conn, id)?, |h| {
            EnterpriseId(h.enterprise_id)
        })
        .ok_or(EnforcementError::NotFound)
}

/// One hazard with its timeline; an enterprise user reads only its own.
pub fn get(
    conn: &mut DbConn,
    today: NaiveDate,
    scope: Scope,
    id: HazardId,
) -> Result<HazardView, EnforcementError> {
    let row = visible(conn, scope, id)?;
    Ok(with_timeline(conn, row, today)?)
}

/// One step of the hazard state machine: the hazard the caller may see, its fields checked by
/// `build`, the step allowed from its state (`HazardAction::apply`), then a compare-and-set
/// on that state with the step's audit event.
fn transition(
    conn: &mut DbConn,
    now: Now,
    user: &CurrentUser,
    id: HazardId,
    action: HazardAction,
    build: impl FnOnce(&HazardRow, &mut Validator) -> HazardChanges,
    payload: Value,
) -> Result<HazardView, EnforcementError> {
    let current = visible(conn, user.scope(), id)?;
    let mut v = Validator::new();
    let mut changes = build(&current, &mut v);
    v.finish()?;
    let from = stored(HazardStatus::parse(&current.status), "hazard status")?;
    let to = action
        .apply(from)
        .map_err(EnforcementError::InvalidTransition)?;
    changes.status = Some(to.as_str().to_owned());
    changes.updated_at = Some(now.at);
    let updated = store::transition_hazard(conn, id, from, &changes)?;
    let row = settle(
        conn,
        updated,
        "the hazard",
        |conn| store::hazard_status(conn, id),
        Event {
            aggregate: HAZARD,
            id: id.0,
            action: action.audit_action(),
            actor: &user.actor(),
            payload,
            at: now.at,
        },
    )?;
    Ok(with_timeline(conn, row, now.today)?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationRequest {
    pub measures: String,
    pub completed_on: NaiveDate,
}

/// Reports a hazard rectified (`open` → `rectified`): the measures (1 to 2,000 characters) and
/// the day they were completed, not in the future nor before the hazard was found. The
/// enterprise reports its own; an inspector any.
pub fn rectify(
    conn: &mut DbConn,
    now: Now,
    user: &CurrentUser,
    id: HazardId,
    input: &RectificationRequest,
) -> Result<HazardView, EnforcementError> {
    let payload = json!({"measures": input.measures.trim(), "completed_on": input.completed_on});
    transition(
        conn,
        now,
        user,
        id,
        HazardAction::Rectify,
        |h, v| {
            let measures = v.text("measures", &input.measures, 1, 2000);
            not_future(v, "completed_on", input.completed_on, now.today);
            if input.completed_on < h.found_on {
                v.add(
                    "completed_on",
                    "out_of_range",
                    "must not be before the hazard was found",
                );
            }
            HazardChanges {
                rectification_measures: Some(measures),
                rectification_completed_on: Some(Some(input.completed_on)),
                ..HazardChanges::default()
            }
        },
        payload,
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub note: Option<String>,
}

/// Accepts a rectified hazard and closes it (验收销号, `rectified` → `verified`), today, by this
/// inspector; the note is at most 2,000 characters.
pub fn verify(
    conn: &mut DbConn,
    now: Now,
    user: &CurrentUser,
    id: HazardId,
    input: &VerifyRequest,
) -> Result<HazardView, EnforcementError> {
    let verifier: UserId = user.id;
    let payload = json!({"note": input.note.as_deref().map(str::trim), "verified_on": now.today});
    transition(
        conn,
        now,
        user,
        id,
        HazardAction::Verify,
        |_, v| {
            if input
                .note
                .as_deref()
                .is_some_and(|n| n.chars().count() > 2000)
            {
                v.add("note", "invalid_length", "must be at most 2000 characters");
            }
            HazardChanges {
                verified_by: Some(Some(verifier.0)),
                verified_on: Some(Some(now.today)),
                ..HazardChanges::default()
            }
        },
        payload,
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    pub reason: String,
}

/// Sends a rectified hazard back to `open` with the reason (1 to 2,000 characters).
pub fn reject(
    conn: &mut DbConn,
    now: Now,
    user: &CurrentUser,
    id: HazardId,
    input: &RejectRequest,
) -> Result<HazardView, EnforcementError> {
    let payload = json!({"reason": input.reason.trim()});
    transition(
        conn,
        now,
        user,
        id,
        HazardAction::Reject,
        |_, v| HazardChanges {
            reject_reason: Some(v.text("reason", &input.reason, 1, 2000)),
            ..HazardChanges::default()
        },
        payload,
    )
}
