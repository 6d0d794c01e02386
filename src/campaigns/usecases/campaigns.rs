//! Campaigns (安全生产排查整治行动): opened with their dates and target industries, their
//! status derived from the dates, renamed, extended or closed early.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{CampaignError, Now, valid_text};
use crate::actor::Actor;
use crate::audit::{self, TimelineEntry};
use crate::campaigns::domain::{self, CampaignStatus};
use crate::campaigns::store::{self, CampaignChanges, CampaignRow, NewCampaign};
use crate::db::DbConn;
use crate::db::transition::{Event, settle_version};
use crate::enterprises::domain::ReferenceCodes;
use crate::enterprises::store as enterprise_store;
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CampaignId, UserId};
use crate::validate::Validator;

pub const CAMPAIGN: &str = "campaign";

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: CampaignId,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub industries: Vec<String>,
    pub description: String,
    /// Derived from the dates (local) and an early close.
    pub status: CampaignStatus,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

pub fn campaign_view(r: CampaignRow, today: NaiveDate) -> Result<CampaignView, ApiError> {
    Ok(CampaignView {
        id: CampaignId(r.id),
        status: domain::campaign_status(r.starts_on, r.ends_on, r.closed_at, today),
        industries: serde_json::from_str(&r.industries).map_err(ApiError::internal)?,
        name: r.name,
        starts_on: r.starts_on,
        ends_on: r.ends_on,
        description: r.description,
        closed_at: r.closed_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
        timeline: None,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaignRequest {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Industry codes the campaign targets (may be empty: every industry).
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub description: String,
}

fn check_industries(v: &mut Validator, codes: &impl ReferenceCodes, industries: &[String]) {
    let mut seen = BTreeSet::new();
    for (i, code) in industries.iter().enumerate() {
        if !codes.has_industry(code) {
            v.add(
                format!("industries[{i}]"),
                "unknown_code",
                "is not an industry code",
            );
        } else if !seen.insert(code) {
            v.add(format!("industries[{i}]"), "duplicate", "is listed twice");
        }
    }
}

/// Opens a campaign. Its name is 1 to 200 characters, its description at most 5,000, it ends
/// on or after the day it starts, and its target industries are known codes, each once.
pub fn create(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    created_by: UserId,
    input: &CreateCampaignRequest,
) -> Result<CampaignView, CampaignError> {
    let codes = enterprise_store::reference_codes(conn)?;
    let mut v = Validator::new();
    let name = valid_text(&mut v, "name", &input.name, 200);
    if input.description.chars().count() > 5000 {
        v.add(
            "description",
            "invalid_length",
            "must be at most 5000 characters",
        );
    }
    if input.ends_on < input.starts_on {
        v.add("ends_on", "out_of_range", "must not be before starts_on");
    }
    check_industries(&mut v, &codes, &input.industries);
    v.finish()?;
    let row = store::insert_campaign(
        conn,
        &NewCampaign {
            name: &name,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            industries: super::to_json(&input.industries)?.to_string(),
            description: input.description.trim(),
            closed_at: None,
            created_by: created_by.0,
            created_at: now.at,
            updated_at: now.at,
        },
    )?;
    audit::store::append_first(
        conn,
        CAMPAIGN,
        &row.id.to_string(),
        "created",
        actor,
        json!({"name": row.name, "starts_on": row.starts_on, "ends_on": row.ends_on,
               "industries": input.industries}),
        now.at,
    )?;
    Ok(campaign_view(row, now.today)?)
}

/// Campaigns, newest first, optionally by their status on `today`.
pub fn list(
    conn: &mut DbConn,
    today: NaiveDate,
    status: Option<CampaignStatus>,
    page: PageRequest,
) -> Result<Page<CampaignView>, CampaignError> {
    let rows = store::list_campaigns(conn, status, today, page.before_id, page.fetch())?;
    Ok(Page::of(rows, page, |r| r.id, |r| campaign_view(r, today))?)
}

/// One campaign with its timeline.
pub fn get(
    conn: &mut DbConn,
    today: NaiveDate,
    id: CampaignId,
) -> Result<CampaignView, CampaignError> {
    let row = store::find_campaign(conn, id)?.ok_or(CampaignError::NotFound)?;
    let mut view = campaign_view(row, today)?;
    view.timeline = Some(audit::store::timeline(conn, CAMPAIGN, &id.to_string())?);
    Ok(view)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCampaignRequest {
    pub name: Option<String>,
    pub ends_on: Option<NaiveDate>,
    pub description: Option<String>,
    /// `true` closes the campaign early (once).
    pub closed: Option<bool>,
}

/// Changes a campaign that is not closed: its name, end date (not before it starts),
/// description, or closes it early, once (a closed campaign cannot be reopened). A concurrent
/// change in between loses the compare-and-set (409).
pub fn update(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    id: CampaignId,
    patch: &UpdateCampaignRequest,
) -> Result<CampaignView, CampaignError> {
    let current = store::find_campaign(conn, id)?.ok_or(CampaignError::NotFound)?;
    let mut v = Validator::new();
    let name = patch
        .name
        .as_deref()
        .and_then(|s| v.text("name", s, 1, 200));
    let description = patch.description.as_deref().map(|s| s.trim().to_owned());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 5000)
    {
        v.add(
            "description",
            "invalid_length",
            "must be at most 5000 characters",
        );
    }
    if patch.ends_on.is_some_and(|e| e < current.starts_on) {
        v.add("ends_on", "out_of_range", "must not be before starts_on");
    }
    if patch.closed == Some(false) {
        v.add(
            "closed",
            "invalid_value",
            "a campaign cannot be reopened; only true is accepted",
        );
    }
    v.finish()?;
    let status_of =
        |c: &CampaignRow| domain::campaign_status(c.starts_on, c.ends_on, c.closed_at, now.today);
    if status_of(&current) == CampaignStatus::Closed {
        return Err(CampaignError::InvalidTransition(
            "the campaign is closed".into(),
        ));
    }
    let closing = patch.closed == Some(true);
    let changes = CampaignChanges {
        name,
        ends_on: patch.ends_on,
        description,
        closed_at: closing.then_some(Some(now.at)),
        updated_at: Some(now.at),
    };
    let payload = json!({"name": changes.name, "ends_on": changes.ends_on,
                         "description": changes.description, "closed": closing});
    let updated = store::update_campaign_if_unchanged(conn, id, current.updated_at, &changes)?;
    let row = settle_version(
        conn,
        updated,
        "the campaign",
        Event {
            aggregate: CAMPAIGN,
            id: id.0,
            action: if closing { "closed" } else { "updated" },
            actor,
            payload,
            at: now.at,
        },
    )?;
    Ok(campaign_view(row, now.today)?)
}
