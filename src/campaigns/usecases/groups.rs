//! Inspection groups of the four modes and their stationings at enterprises (驻点).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{CampaignError, Now, enterprise_exists, stored, valid_text};
use crate::actor::{Actor, Role};
use crate::audit;
use crate::campaigns::domain::{self, GroupMode};
use crate::campaigns::store::{self, GroupRow, NewGroup, NewMember, NewStationing, StationingRow};
use crate::db::DbConn;
use crate::enterprises::domain::ReferenceCodes;
use crate::enterprises::store as enterprise_store;
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CampaignId, EnterpriseId, GroupId, StationingId, UserId};
use crate::validate::Validator;

pub const GROUP: &str = "inspection_group";

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: GroupId,
    pub campaign_id: CampaignId,
    pub name: String,
    pub mode: GroupMode,
    pub home_district: String,
    pub target_district: Option<String>,
    pub leader_id: UserId,
    pub member_ids: Vec<UserId>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

pub fn group_view(r: GroupRow, members: Vec<i64>) -> Result<GroupView, ApiError> {
    Ok(GroupView {
        id: GroupId(r.id),
        campaign_id: CampaignId(r.campaign_id),
        mode: stored(GroupMode::parse(&r.mode), "group mode")?,
        name: r.name,
        home_district: r.home_district,
        target_district: r.target_district,
        leader_id: UserId(r.leader_id),
        member_ids: members.into_iter().map(UserId).collect(),
        created_at: r.created_at,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    pub campaign_id: i64,
    pub name: String,
    pub mode: GroupMode,
    pub home_district: String,
    /// Required for `cross_district`, and then different from `home_district`.
    pub target_district: Option<String>,
    pub leader_id: i64,
    /// At least two inspectors, the leader among them.
    pub member_ids: Vec<i64>,
}

/// Checks that every id names an enabled inspector; errors name `field[i]`.
pub fn check_inspectors(
    conn: &mut DbConn,
    v: &mut Validator,
    field: &str,
    ids: &[i64],
) -> Result<(), ApiError> {
    let users: Vec<UserId> = ids.iter().copied().map(UserId).collect();
    let found: BTreeMap<i64, (String, bool)> = store::user_roles(conn, &users)?
        .into_iter()
        .map(|(id, role, disabled)| (id, (role, disabled)))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        match found.get(id) {
            Some((role, false)) if role == Role::Inspector.as_str() => {}
            Some(_) => v.add(
                format!("{field}[{i}]"),
                "invalid",
                "is not an active inspector",
            ),
            None => v.add(format!("{field}[{i}]"), "not_found", "no such user"),
        }
    }
    Ok(())
}

/// Forms an inspection group of an open campaign: known districts, at least two active
/// inspectors (enforcement is done by two officers or more) with the leader among them, and a
/// cross-district group's target different from its home district. A closed campaign takes
/// no more groups (409).
pub fn create_group(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    input: &CreateGroupRequest,
) -> Result<GroupView, CampaignError> {
    let codes = enterprise_store::reference_codes(conn)?;
    let campaign = store::find_campaign(conn, CampaignId(input.campaign_id))?;
    let mut v = Validator::new();
    if campaign.is_none() {
        v.add("campaign_id", "not_found", "no such campaign");
    }
    let name = valid_text(&mut v, "name", &input.name, 200);
    if !codes.has_district(&input.home_district) {
        v.add("home_district", "unknown_code", "is not a district code");
    }
    if let Some(t) = input
        .target_district
        .as_deref()
        .filter(|t| !codes.has_district(t))
    {
        v.add(
            "target_district",
            "unknown_code",
            format!("{t} is not a district code"),
        );
    }
    domain::validate_group_shape(
        input.mode,
        &input.home_district,
        input.target_district.as_deref(),
        input.leader_id,
        &input.member_ids,
        &mut v,
    );
    check_inspectors(conn, &mut v, "member_ids", &input.member_ids)?;
    v.finish()?;
    if campaign.is_some_and(|c| c.closed_at.is_some()) {
        return Err(CampaignError::Closed("the campaign is closed".into()));
    }
    let row = store::insert_group(
        conn,
        &NewGroup {
            campaign_id: input.campaign_id,
            name: &name,
            mode: input.mode.as_str(),
            home_district: &input.home_district,
            target_district: input.target_district.as_deref(),
            leader_id: input.leader_id,
            created_at: now.at,
        },
    )?;
    let members: Vec<NewMember> = input
        .member_ids
        .iter()
        .map(|&inspector_id| NewMember {
            group_id: row.id,
            inspector_id,
        })
        .collect();
    store::insert_members(conn, &members)?;
    audit::store::append_first(
        conn,
        GROUP,
        &row.id.to_string(),
        "created",
        actor,
        json!({"campaign_id": input.campaign_id, "name": name, "mode": input.mode.as_str(),
               "home_district": input.home_district, "target_district": input.target_district,
               "leader_id": input.leader_id, "member_ids": input.member_ids}),
        now.at,
    )?;
    let mut ids = input.member_ids.clone();
    ids.sort_unstable();
    Ok(group_view(row, ids)?)
}

/// Inspection groups, newest first, optionally of one campaign, each with its members.
pub fn list_groups(
    conn: &mut DbConn,
    campaign_id: Option<CampaignId>,
    page: PageRequest,
) -> Result<Page<GroupView>, CampaignError> {
    let rows = store::list_groups(conn, campaign_id, page.before_id, page.fetch())?;
    let ids: Vec<GroupId> = rows.iter().map(|r| GroupId(r.id)).collect();
    let members = store::members_of(conn, &ids)?;
    Ok(Page::of(
        rows,
        page,
        |r| r.id,
        |r| {
            let m = of(&members, r.id);
            group_view(r, m)
        },
    )?)
}

/// The second items of the `(owner, item)` pairs that belong to `owner`.
fn of(pairs: &[(i64, i64)], owner: i64) -> Vec<i64> {
    pairs
        .iter()
        .filter(|(o, _)| *o == owner)
        .map(|(_, i)| *i)
        .collect()
}

/// One inspection group with its members.
pub fn get_group(conn: &mut DbConn, id: GroupId) -> Result<GroupView, CampaignError> {
    let row = store::find_group(conn, id)?.ok_or(CampaignError::NotFound)?;
    let members = store::group_member_ids(conn, id)?;
    Ok(group_view(row, members)?)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StationingView {
    pub id: StationingId,
    pub group_id: GroupId,
    pub enterprise_id: EnterpriseId,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub inspector_ids: Vec<UserId>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

pub fn stationing_view(r: StationingRow, inspectors: Vec<i64>) -> StationingView {
    StationingView {
        id: StationingId(r.id),
        group_id: GroupId(r.group_id),
        enterprise_id: EnterpriseId(r.enterprise_id),
        starts_on: r.starts_on,
        ends_on: r.ends_on,
        inspector_ids: inspectors.into_iter().map(UserId).collect(),
        created_at: r.created_at,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStationingRequest {
    pub enterprise_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Members of the group (at least one).
    pub inspector_ids: Vec<i64>,
}

/// Stations the group at an existing enterprise from one day to another (not before) with at
/// least one of its members, each named once.
pub fn create_stationing(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    group_id: GroupId,
    input: &CreateStationingRequest,
) -> Result<StationingView, CampaignError> {
    store::find_group(conn, group_id)?.ok_or(CampaignError::NotFound)?;
    let members: BTreeSet<i64> = store::group_member_ids(conn, group_id)?
        .into_iter()
        .collect();
    let mut v = Validator::new();
    if !enterprise_exists(conn, EnterpriseId(input.enterprise_id))? {
        v.add("enterprise_id", "not_found", "no such enterprise");
    }
    if input.ends_on < input.starts_on {
        v.add("ends_on", "out_of_range", "must not be before starts_on");
    }
    if input.inspector_ids.is_empty() {
        v.add(
            "inspector_ids",
            "invalid_length",
            "name at least one member of the group",
        );
    }
    let mut seen = BTreeSet::new();
    for (i, id) in input.inspector_ids.iter().enumerate() {
        if !members.contains(id) {
            v.add(
                format!("inspector_ids[{i}]"),
                "invalid",
                "is not a member of the group",
            );
        } else if !seen.insert(*id) {
            v.add(format!("inspector_ids[{i}]"), "duplicate", "is named twice");
        }
    }
    v.finish()?;
    let row = store::insert_stationing(
        conn,
        &NewStationing {
            group_id: group_id.0,
            enterprise_id: input.enterprise_id,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            created_at: now.at,
        },
        &input
            .inspector_ids
            .iter()
            .copied()
            .map(UserId)
            .collect::<Vec<_>>(),
    )?;
    audit::store::append(
        conn,
        GROUP,
        &group_id.to_string(),
        "stationed",
        actor,
        json!({"stationing_id": row.id, "enterprise_id": input.enterprise_id,
               "starts_on": input.starts_on, "ends_on": input.ends_on,
               "inspector_ids": input.inspector_ids}),
        now.at,
    )?;
    let mut ids = input.inspector_ids.clone();
    ids.sort_unstable();
    Ok(stationing_view(row, ids))
}

/// The group's stationings, newest first, each with its inspectors.
pub fn list_stationings(
    conn: &mut DbConn,
    group_id: GroupId,
    page: PageRequest,
) -> Result<Page<StationingView>, CampaignError> {
    store::find_group(conn, group_id)?.ok_or(CampaignError::NotFound)?;
    let rows = store::list_stationings(conn, group_id, page.before_id, page.fetch())?;
    let ids: Vec<StationingId> = rows.iter().map(|r| StationingId(r.id)).collect();
    let inspectors = store::stationing_inspector_ids(conn, &ids)?;
    Ok(Page::from_rows(rows, page, |r| r.id).map(|r| {
        let ids = of(&inspectors, r.id);
        stationing_view(r, ids)
    }))
}
