//! The campaign part of `anjian seed demo`: a running campaign with its board, a group of the
//! two demo inspectors stationed at an enterprise, inspections with hazards in several states,
//! an enterprise's own report, a penalty and a suspension order. Written inside the demo's
//! transaction through the use cases the API calls (`campaigns::usecases`,
//! `enforcement::usecases`), acting as the demo's admin, inspectors and enterprise account, so
//! the checks, the audit events and the side effects (the order suspending the enterprise)
//! are the API's own.

use chrono::Duration;
use chrono_tz::Tz;
use diesel::prelude::*;

use super::domain::{GroupMode, TaskStatus};
use super::usecases::campaigns::{self, CreateCampaignRequest};
use super::usecases::groups::{self, CreateGroupRequest, CreateStationingRequest};
use super::usecases::tasks::{self, CreateTaskRequest, UpdateTaskRequest};
use crate::actor::Role;
use crate::auth::CurrentUser;
use crate::clock::Clock;
use crate::db::DbConn;
use crate::enforcement::domain::{HazardCategory, HazardInput, HazardLevel, OrderKind, Plan};
use crate::enforcement::usecases::hazards::{
    self, CreateHazardRequest, RectificationRequest, VerifyRequest,
};
use crate::enforcement::usecases::inspections::{self, CreateInspectionRequest};
use crate::enforcement::usecases::orders::{self, CreateOrderRequest};
use crate::enforcement::usecases::penalties::{self, CreatePenaltyRequest};
use crate::error::ApiError;
use crate::ids::{EnterpriseId, UserId};
use crate::schema::users;
use crate::users::store::UserRow;

/// The signed-in user the API would see for this account.
fn current_user(row: UserRow) -> Result<CurrentUser, ApiError> {
    Ok(CurrentUser {
        id: UserId(row.id),
        role: Role::parse(&row.role).ok_or_else(|| ApiError::internal("unknown role stored"))?,
        enterprise_id: row.enterprise_id.map(EnterpriseId),
        username: row.username,
        display_name: row.display_name,
    })
}

fn demo_user(conn: &mut DbConn, username: &str) -> Result<CurrentUser, ApiError> {
    let row = crate::users::store::find_by_username(conn, username)?
        .ok_or_else(|| ApiError::internal(format!("demo user {username} missing")))?;
    current_user(row)
}

/// The first administrator (the bootstrap `admin`, or whichever account came first).
fn first_admin(conn: &mut DbConn) -> Result<CurrentUser, ApiError> {
    let id: i64 = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .order(users::id.asc())
        .select(users::id)
        .first(conn)?;
    let row = crate::users::store::find(conn, UserId(id))?
        .ok_or_else(|| ApiError::internal("the demo admin is missing"))?;
    current_user(row)
}

/// What the demo's inspections find and how far each hazard gets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    Open,
    Rectified,
    Verified,
}

/// Writes the demo campaign on the day `clock` says in `tz`. `enterprise_ids` are the demo
/// enterprises in their order (0 海湾化工, 3 金岭矿业, 5 崂山燃气 are used).
pub fn demo(
    conn: &mut DbConn,
    clock: &Clock,
    tz: Tz,
    enterprise_ids: &[i64],
) -> Result<(), ApiError> {
    let ent = |i: usize| {
        enterprise_ids
            .get(i)
            .copied()
            .ok_or_else(|| ApiError::internal("demo enterprise missing"))
    };
    let (haiwan, jinling, laoshan_gas) = (ent(0)?, ent(3)?, ent(5)?);
    let admin = first_admin(conn)?;
    let li = demo_user(conn, "inspector.li")?;
    let zhao = demo_user(conn, "inspector.zhao")?;
    let haiwan_user = demo_user(conn, "ent.haiwan")?;
    let now = clock.at(tz);
    let today = now.today;
    let days = Duration::days;

    // The admin opens the campaign and puts its key tasks on the board.
    let campaign = campaigns::create(
        conn,
        now,
        &admin.actor(),
        admin.id,
        &CreateCampaignRequest {
            name: "城镇燃气和危险化学品安全专项整治".into(),
            starts_on: today - days(30),
            ends_on: today + days(60),
            industries: ["gas", "hazardous_chemicals", "non_coal_mining"]
                .map(String::from)
                .to_vec(),
            description: "全市燃气、危化品和非煤矿山企业隐患排查整治，挂图作战、限时销号。".into(),
        },
    )?;
    let c = campaign.id;
    for (title, deadline, status) in [
        ("制定专项整治工作方案", today - days(20), TaskStatus::Done),
        (
            "燃气企业全覆盖检查",
            today + days(20),
            TaskStatus::InProgress,
        ),
        (
            "危化品企业重大隐患清单报送",
            today - days(2),
            TaskStatus::Pending,
        ),
    ] {
        let task = tasks::create(
            conn,
            now,
            &admin.actor(),
            c,
            &CreateTaskRequest {
                title: title.into(),
                responsible_unit: "市应急管理局危化处".into(),
                deadline,
            },
        )?;
        if status != TaskStatus::Pending {
            tasks::update(
                conn,
                now,
                &admin.actor(),
                task.id,
                &UpdateTaskRequest {
                    status: Some(status),
                    progress_note: None,
                },
            )?;
        }
    }

    // A cross-district group of the two inspectors, stationed at 海湾化工.
    let group = groups::create_group(
        conn,
        now,
        &admin.actor(),
        &CreateGroupRequest {
            campaign_id: c.0,
            name: "黄岛区异地交叉执法第一组".into(),
            mode: GroupMode::CrossDistrict,
            home_district: "shinan".into(),
            target_district: Some("huangdao".into()),
            leader_id: li.id.0,
            member_ids: vec![li.id.0, zhao.id.0],
        },
    )?;
    groups::create_stationing(
        conn,
        now,
        &admin.actor(),
        group.id,
        &CreateStationingRequest {
            enterprise_id: haiwan,
            starts_on: today - days(10),
            ends_on: today + days(20),
            inspector_ids: vec![li.id.0, zhao.id.0],
        },
    )?;

    // The group's inspections, recorded by its leader with the hazards they found.
    let plan = Plan {
        measures: "更换泄漏阀门并对储罐区管线全面检测".into(),
        funds_fen: 12_000_000,
        responsible_person: "李安全".into(),
        deadline: today + days(15),
        emergency_measures: "储罐停用，设置警戒区并安排专人值守".into(),
    };
    // The major hazard and the inspection that found it, for the penalty.
    let mut major = None;
    for (enterprise, inspected, found) in [
        (
            haiwan,
            today - days(8),
            vec![
                (
                    "液化烃储罐根部阀门泄漏",
                    HazardLevel::Major,
                    HazardCategory::Equipment,
                    Reach::Open,
                ),
                (
                    "消防通道堆放货物",
                    HazardLevel::General,
                    HazardCategory::Fire,
                    Reach::Verified,
                ),
                (
                    "动火作业票证填写不全",
                    HazardLevel::General,
                    HazardCategory::Management,
                    Reach::Rectified,
                ),
            ],
        ),
        (
            laoshan_gas,
            today - days(25),
            vec![(
                "调压站警示标志缺失",
                HazardLevel::General,
                HazardCategory::Site,
                Reach::Open,
            )],
        ),
    ] {
        let inspection = inspections::create(
            conn,
            now,
            &li,
            &CreateInspectionRequest {
                campaign_id: Some(c.0),
                group_id: Some(group.id.0),
                enterprise_id: enterprise,
                inspected_on: inspected,
                inspector_ids: vec![li.id.0, zhao.id.0],
                notes: "现场检查，调阅台账".into(),
                hazards: found
                    .iter()
                    .map(|&(description, level, category, _)| HazardInput {
                        description: description.into(),
                        level,
                        category,
                        deadline: Some(inspected + days(14)),
                        plan: (level == HazardLevel::Major).then(|| plan.clone()),
                    })
                    .collect(),
            },
        )?;
        for (hazard, &(_, level, _, reach)) in inspection.hazards.iter().zip(&found) {
            if level == HazardLevel::Major && major.is_none() {
                major = Some((hazard.id, inspection.id));
            }
            if reach == Reach::Open {
                continue;
            }
            // The enterprise reports its rectification; an inspector accepts it.
            hazards::rectify(
                conn,
                now,
                &haiwan_user,
                hazard.id,
                &RectificationRequest {
                    measures: "已清理并建立日常巡查制度".into(),
                    completed_on: inspected + days(3),
                },
            )?;
            if reach == Reach::Verified {
                // The use case dates the verification today: it takes no other day.
                hazards::verify(
                    conn,
                    now,
                    &zhao,
                    hazard.id,
                    &VerifyRequest {
                        note: Some("现场复查，整改到位".into()),
                    },
                )?;
            }
        }
    }

    // 自查自报: the enterprise's own report.
    hazards::create(
        conn,
        now,
        &haiwan_user,
        &CreateHazardRequest {
            enterprise_id: None,
            inspection_id: None,
            found_on: Some(today - days(3)),
            description: "员工宿舍私拉电线充电".into(),
            level: HazardLevel::General,
            category: HazardCategory::Electrical,
            deadline: Some(today + days(4)),
            plan: None,
        },
    )?;

    let (major_id, first_inspection) =
        major.ok_or_else(|| ApiError::internal("no demo major hazard"))?;
    penalties::create(
        conn,
        now,
        &li.actor(),
        li.id,
        &CreatePenaltyRequest {
            enterprise_id: haiwan,
            inspection_id: Some(first_inspection.0),
            hazard_id: Some(major_id.0),
            campaign_id: Some(c.0),
            decision_no: "青应急罚〔2026〕DEMO-001号".into(),
            violation: "未采取措施消除事故隐患".into(),
            legal_basis: "《中华人民共和国安全生产法》第一百零二条".into(),
            fine_fen: 5_000_000,
            decided_on: today - days(6),
        },
    )?;

    // The order suspends 金岭矿业 in the same use case.
    orders::create(
        conn,
        now,
        &zhao.actor(),
        zhao.id,
        &CreateOrderRequest {
            enterprise_id: jinling,
            inspection_id: None,
            campaign_id: Some(c.0),
            kind: OrderKind::SuspendProduction,
            reason: "采空区未按设计回填，存在重大事故隐患".into(),
            issued_on: today - days(5),
        },
    )?;
    Ok(())
}
