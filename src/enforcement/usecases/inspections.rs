//! Inspections (检查): by two inspectors or more, for a campaign and group or routine, with
//! the hazards they found, all in one transaction.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::EnforcementError;
use super::hazards::{Finding, HazardView, hazard_view, insert_hazards};
use crate::actor::Scope;
use crate::audit;
use crate::auth::CurrentUser;
use crate::campaigns::store as campaign_store;
use crate::campaigns::usecases::groups::check_inspectors;
use crate::campaigns::usecases::{Now, enterprise_exists, not_future};
use crate::db::DbConn;
use crate::enforcement::domain::{self, HazardInput, ValidHazard};
use crate::enforcement::store::{self, HazardRow, InspectionFilter, InspectionRow, NewInspection};
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CampaignId, EnterpriseId, GroupId, InspectionId, UserId};
use crate::validate::Validator;

pub const INSPECTION: &str = "inspection";

#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionView {
    pub id: InspectionId,
    pub campaign_id: Option<CampaignId>,
    pub group_id: Option<GroupId>,
    pub enterprise_id: EnterpriseId,
    pub inspected_on: NaiveDate,
    pub inspector_ids: Vec<UserId>,
    pub notes: String,
    pub hazards: Vec<HazardView>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

pub fn inspection_view(
    r: InspectionRow,
    inspectors: Vec<i64>,
    hazards: Vec<HazardRow>,
    today: NaiveDate,
) -> Result<InspectionView, ApiError> {
    Ok(InspectionView {
        id: InspectionId(r.id),
        campaign_id: r.campaign_id.map(CampaignId),
        group_id: r.group_id.map(GroupId),
        enterprise_id: EnterpriseId(r.enterprise_id),
        inspected_on: r.inspected_on,
        inspector_ids: inspectors.into_iter().map(UserId).collect(),
        notes: r.notes,
        hazards: hazards
            .into_iter()
            .map(|h| hazard_view(h, today))
            .collect::<Result<_, _>>()?,
        created_at: r.created_at,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInspectionRequest {
    /// Null for a routine inspection; taken from the group when a group is named.
    pub campaign_id: Option<i64>,
    pub group_id: Option<i64>,
    pub enterprise_id: i64,
    pub inspected_on: NaiveDate,
    /// At least two inspectors; members of the group when a group is named.
    pub inspector_ids: Vec<i64>,
    #[serde(default)]
    pub notes: String,
    /// Hazards found, created with the inspection.
    #[serde(default)]
    pub hazards: Vec<HazardInput>,
}

/// Records an inspection of an existing enterprise, on a day not in the future, by two or more
/// distinct active inspectors (members of the group, when one is named; the group's campaign
/// is the inspection's), with notes of at most 5,000 characters and the hazards it found,
/// each checked as in `domain::validate_hazard`.
pub fn create(
    conn: &mut DbConn,
    now: Now,
    user: &CurrentUser,
    input: &CreateInspectionRequest,
) -> Result<InspectionView, EnforcementError> {
    let mut v = Validator::new();
    let mut campaign_id = input.campaign_id;
    if let Some(c) = input.campaign_id
        && campaign_store::find_campaign(conn, CampaignId(c))?.is_none()
    {
        v.add("campaign_id", "not_found", "no such campaign");
    }
    if let Some(g) = input.group_id {
        match campaign_store::find_group(conn, GroupId(g))? {
            None => v.add("group_id", "not_found", "no such group"),
            Some(group) => {
                if input.campaign_id.is_some_and(|c| c != group.campaign_id) {
                    v.add("campaign_id", "invalid", "is not the group's campaign");
                }
                campaign_id = Some(group.campaign_id);
                let members: BTreeSet<i64> = campaign_store::group_member_ids(conn, GroupId(g))?
                    .into_iter()
                    .collect();
                for (i, id) in input.inspector_ids.iter().enumerate() {
                    if !members.contains(id) {
                        v.add(
                            format!("inspector_ids[{i}]"),
                            "invalid",
                            "is not a member of the group",
                        );
                    }
                }
            }
        }
    }
    let distinct: BTreeSet<i64> = input.inspector_ids.iter().copied().collect();
    if distinct.len() != input.inspector_ids.len() {
        v.add("inspector_ids", "duplicate", "an inspector is named twice");
    }
    if distinct.len() < 2 {
        v.add(
            "inspector_ids",
            "invalid_length",
            "an inspection is done by at least two inspectors",
        );
    }
    check_inspectors(conn, &mut v, "inspector_ids", &input.inspector_ids)?;
    if !enterprise_exists(conn, EnterpriseId(input.enterprise_id))? {
        v.add("enterprise_id", "not_found", "no such enterprise");
    }
    not_future(&mut v, "inspected_on", input.inspected_on, now.today);
    if input.notes.chars().count() > 5000 {
        v.add("notes", "invalid_length", "must be at most 5000 characters");
    }
    let hazards: Vec<Option<ValidHazard>> = input
        .hazards
        .iter()
        .enumerate()
        .map(|(i, h)| {
            domain::validate_hazard(h, input.inspected_on, &format!("hazards[{i}]."), &mut v)
        })
        .collect();
    v.finish()?;
    let hazards: Vec<ValidHazard> = hazards.into_iter().flatten().collect();
    let mut inspectors = input.inspector_ids.clone();
    inspectors.sort_unstable();
    let inspector_ids: Vec<UserId> = inspectors.iter().copied().map(UserId).collect();
    let row = store::insert_inspection(
        conn,
        &NewInspection {
            campaign_id,
            group_id: input.group_id,
            enterprise_id: input.enterprise_id,
            inspected_on: input.inspected_on,
            notes: input.notes.trim(),
            created_by: user.id.0,
            created_at: now.at,
        },
        &inspector_ids,
    )?;
    audit::store::append_first(
        conn,
        INSPECTION,
        &row.id.to_string(),
        "recorded",
        &user.actor(),
        json!({"campaign_id": campaign_id, "group_id": input.group_id,
               "enterprise_id": input.enterprise_id, "inspected_on": input.inspected_on,
               "inspector_ids": inspectors, "hazards": hazards.len()}),
        now.at,
    )?;
    let at = Finding {
        enterprise_id: EnterpriseId(input.enterprise_id),
        inspection_id: Some(InspectionId(row.id)),
        campaign_id: campaign_id.map(CampaignId),
        found_on: input.inspected_on,
    };
    let found = insert_hazards(conn, now.at, user, at, &hazards)?;
    Ok(inspection_view(row, inspectors, found, now.today)?)
}

/// Inspections with their inspectors and hazards, newest first; an enterprise user sees only
/// its own.
pub fn list(
    conn: &mut DbConn,
    today: NaiveDate,
    scope: Scope,
    mut filter: InspectionFilter,
    page: PageRequest,
) -> Result<Page<InspectionView>, EnforcementError> {
    filter.scope = scope.enterprise();
    let rows = store::list_inspections(conn, &filter, page.before_id, page.fetch())?;
    let ids: Vec<InspectionId> = rows.iter().map(|r| InspectionId(r.id)).collect();
    let inspectors = store::inspectors_of(conn, &ids)?;
    let mut hazards: Vec<HazardRow> = Vec::new();
    for id in ids.iter().take(page.limit as usize) {
        hazards.extend(store::hazards_of_inspection(conn, *id)?);
    }
    Ok(Page::of(
        rows,
        page,
        |r| r.id,
        |r| {
            let ins = inspectors
                .iter()
                .filter(|(i, _)| *i == r.id)
                .map(|(_, u)| *u)
                .collect();
            let hz = hazards
                .iter()
                .filter(|h| h.inspection_id == Some(r.id))
                .cloned()
                .collect();
            inspection_view(r, ins, hz, today)
        },
    )?)
}

/// One inspection with its inspectors and hazards; an enterprise user reads only its own.
pub fn get(
    conn: &mut DbConn,
    today: NaiveDate,
    scope: Scope,
    id: InspectionId,
) -> Result<InspectionView, EnforcementError> {
    let row = scope
        .visible(store::find_inspection(conn, id)?, |i| {
            EnterpriseId(i.enterprise_id)
        })
        .ok_or(EnforcementError::NotFound)?;
    let inspectors = store::inspectors_of(conn, &[id])?
        .into_iter()
        .map(|(_, u)| u)
        .collect();
    let hazards = store::hazards_of_inspection(conn, id)?;
    Ok(inspection_view(row, inspectors, hazards, today)?)
}
