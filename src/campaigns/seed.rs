//! The campaign part of `anjian seed demo`: a running campaign with its board, a group of the
//! two demo inspectors stationed at an enterprise, inspections with hazards in several states,
//! a penalty and a suspension order — written through the store, with audit events.

use chrono::Duration;
use diesel::prelude::*;
use serde_json::json;

use super::store::{self, NewCampaign, NewGroup, NewMember, NewStationing, NewTask};
use crate::audit::{self, Actor};
use crate::clock::Clock;
use crate::db::DbConn;
use crate::enforcement::domain::{HazardLevel, Plan};
use crate::enforcement::store::{
    self as enforcement, NewHazard, NewInspection, NewOrder, NewPenalty,
};
use crate::enterprises::domain::EnterpriseStatus;
use crate::enterprises::store as enterprise_store;
use crate::error::ApiError;
use crate::ids::{EnterpriseId, UserId};
use crate::schema::users;

fn user_id(conn: &mut DbConn, username: &str) -> Result<i64, ApiError> {
    crate::users::store::find_by_username(conn, username)?
        .map(|u| u.id)
        .ok_or_else(|| ApiError::internal(format!("demo user {username} missing")))
}

/// Writes the demo campaign. `enterprise_ids` are the demo enterprises in their order
/// (0 海湾化工, 3 金岭矿业, 5 崂山燃气 are used).
pub fn demo(conn: &mut DbConn, clock: &Clock, enterprise_ids: &[i64]) -> Result<(), ApiError> {
    let ent = |i: usize| {
        enterprise_ids
            .get(i)
            .copied()
            .ok_or_else(|| ApiError::internal("demo enterprise missing"))
    };
    let (haiwan, jinling, laoshan_gas) = (ent(0)?, ent(3)?, ent(5)?);
    let admin: i64 = users::table
        .filter(users::role.eq("admin"))
        .order(users::id.asc())
        .select(users::id)
        .first(conn)?;
    let li = user_id(conn, "inspector.li")?;
    let zhao = user_id(conn, "inspector.zhao")?;
    let haiwan_user = user_id(conn, "ent.haiwan")?;
    let now = clock.now_naive();
    let today = clock.today(chrono_tz::Asia::Shanghai);
    let days = Duration::days;
    let sys = Actor::SYSTEM;

    let campaign = store::insert_campaign(
        conn,
        &NewCampaign {
            name: "城镇燃气和危险化学品安全专项整治",
            starts_on: today - days(30),
            ends_on: today + days(60),
            industries: json!(["gas", "hazardous_chemicals", "non_coal_mining"]).to_string(),
            description: "全市燃气、危化品和非煤矿山企业隐患排查整治，挂图作战、限时销号。",
            closed_at: None,
            created_by: admin,
            created_at: now,
            updated_at: now,
        },
    )?;
    let c = campaign.id;
    audit::store::append_first(
        conn,
        "campaign",
        &c.to_string(),
        "created",
        &sys,
        json!({"seed": "demo"}),
        now,
    )?;
    for (title, deadline, status) in [
        ("制定专项整治工作方案", today - days(20), "done"),
        ("燃气企业全覆盖检查", today + days(20), "in_progress"),
        ("危化品企业重大隐患清单报送", today - days(2), "pending"),
    ] {
        let t = store::insert_task(
            conn,
            &NewTask {
                campaign_id: c,
                title,
                responsible_unit: "市应急管理局危化处",
                deadline,
                status,
                progress_note: None,
                completed_at: (status == "done").then_some(now),
                created_at: now,
                updated_at: now,
            },
        )?;
        audit::store::append_first(
            conn,
            "key_task",
            &t.id.to_string(),
            "created",
            &sys,
            json!({"seed": "demo"}),
            now,
        )?;
    }

    let group = store::insert_group(
        conn,
        &NewGroup {
            campaign_id: c,
            name: "黄岛区异地交叉执法第一组",
            mode: "cross_district",
            home_district: "shinan",
            target_district: Some("huangdao"),
            leader_id: li,
            created_at: now,
        },
    )?;
    store::insert_members(
        conn,
        &[
            NewMember {
                group_id: group.id,
                inspector_id: li,
            },
            NewMember {
                group_id: group.id,
                inspector_id: zhao,
            },
        ],
    )?;
    audit::store::append_first(
        conn,
        "inspection_group",
        &group.id.to_string(),
        "created",
        &sys,
        json!({"seed": "demo"}),
        now,
    )?;
    let stationing = store::insert_stationing(
        conn,
        &NewStationing {
            group_id: group.id,
            enterprise_id: haiwan,
            starts_on: today - days(10),
            ends_on: today + days(20),
            created_at: now,
        },
        &[UserId(li), UserId(zhao)],
    )?;
    audit::store::append(
        conn,
        "inspection_group",
        &group.id.to_string(),
        "stationed",
        &sys,
        json!({"stationing_id": stationing.id, "enterprise_id": haiwan}),
        now,
    )?;

    let plan = Plan {
        measures: "更换泄漏阀门并对储罐区管线全面检测".into(),
        funds_fen: 12_000_000,
        responsible_person: "李安全".into(),
        deadline: today + days(15),
        emergency_measures: "储罐停用，设置警戒区并安排专人值守".into(),
    };
    let mut hazard_ids = Vec::new();
    for (enterprise, inspected, hazards) in [
        (
            haiwan,
            today - days(8),
            vec![
                (
                    "液化烃储罐根部阀门泄漏",
                    HazardLevel::Major,
                    "equipment",
                    "open",
                ),
                ("消防通道堆放货物", HazardLevel::General, "fire", "verified"),
                (
                    "动火作业票证填写不全",
                    HazardLevel::General,
                    "management",
                    "rectified",
                ),
            ],
        ),
        (
            laoshan_gas,
            today - days(25),
            vec![("调压站警示标志缺失", HazardLevel::General, "site", "open")],
        ),
    ] {
        let ins = enforcement::insert_inspection(
            conn,
            &NewInspection {
                campaign_id: Some(c),
                group_id: Some(group.id),
                enterprise_id: enterprise,
                inspected_on: inspected,
                notes: "现场检查，调阅台账",
                created_by: li,
                created_at: now,
            },
            &[UserId(li), UserId(zhao)],
        )?;
        audit::store::append_first(
            conn,
            "inspection",
            &ins.id.to_string(),
            "recorded",
            &sys,
            json!({"seed": "demo"}),
            now,
        )?;
        for (description, level, category, status) in hazards {
            let done = status != "open";
            let h = enforcement::insert_hazard(
                conn,
                NewHazard {
                    enterprise_id: enterprise,
                    inspection_id: Some(ins.id),
                    campaign_id: Some(c),
                    description,
                    level: level.as_str(),
                    category,
                    found_on: inspected,
                    deadline: inspected + days(14),
                    status,
                    supervised: level == HazardLevel::Major,
                    plan: (level == HazardLevel::Major)
                        .then(|| serde_json::to_string(&plan))
                        .transpose()
                        .map_err(ApiError::internal)?,
                    rectification_measures: done.then_some("已清理并建立日常巡查制度"),
                    rectification_completed_on: done.then_some(inspected + days(3)),
                    verified_by: (status == "verified").then_some(zhao),
                    verified_on: (status == "verified").then_some(inspected + days(5)),
                    reject_reason: None,
                    reported_by: li,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            audit::store::append_first(
                conn,
                "hazard",
                &h.id.to_string(),
                "found",
                &sys,
                json!({"seed": "demo"}),
                now,
            )?;
            hazard_ids.push((h.id, ins.id));
        }
    }
    // 自查自报: the enterprise's own report.
    let own = enforcement::insert_hazard(
        conn,
        NewHazard {
            enterprise_id: haiwan,
            inspection_id: None,
            campaign_id: None,
            description: "员工宿舍私拉电线充电",
            level: "general",
            category: "electrical",
            found_on: today - days(3),
            deadline: today + days(4),
            status: "open",
            supervised: false,
            plan: None,
            rectification_measures: None,
            rectification_completed_on: None,
            verified_by: None,
            verified_on: None,
            reject_reason: None,
            reported_by: haiwan_user,
            created_at: now,
            updated_at: now,
        },
    )?;
    audit::store::append_first(
        conn,
        "hazard",
        &own.id.to_string(),
        "self_reported",
        &sys,
        json!({"seed": "demo"}),
        now,
    )?;

    let (major_id, first_inspection) = hazard_ids
        .first()
        .copied()
        .ok_or_else(|| ApiError::internal("no demo hazard"))?;
    let penalty = enforcement::insert_penalty(
        conn,
        &NewPenalty {
            enterprise_id: haiwan,
            inspection_id: Some(first_inspection),
            hazard_id: Some(major_id),
            campaign_id: Some(c),
            decision_no: "青应急罚〔2026〕DEMO-001号",
            violation: "未采取措施消除事故隐患",
            legal_basis: "《中华人民共和国安全生产法》第一百零二条",
            fine_fen: 5_000_000,
            decided_on: today - days(6),
            paid_on: None,
            created_by: li,
            created_at: now,
            updated_at: now,
        },
    )?;
    audit::store::append_first(
        conn,
        "penalty",
        &penalty.id.to_string(),
        "decided",
        &sys,
        json!({"seed": "demo"}),
        now,
    )?;

    let order = enforcement::insert_order(
        conn,
        &NewOrder {
            enterprise_id: jinling,
            inspection_id: None,
            campaign_id: Some(c),
            kind: "suspend_production",
            reason: "采空区未按设计回填，存在重大事故隐患",
            issued_on: today - days(5),
            lifted_on: None,
            lift_note: None,
            created_by: zhao,
            created_at: now,
            updated_at: now,
        },
    )?;
    audit::store::append_first(
        conn,
        "order",
        &order.id.to_string(),
        "issued",
        &sys,
        json!({"seed": "demo"}),
        now,
    )?;
    if enterprise_store::set_status_if(
        conn,
        EnterpriseId(jinling),
        EnterpriseStatus::Operating,
        EnterpriseStatus::Suspended,
        now,
    )? {
        audit::store::append(
            conn,
            "enterprise",
            &jinling.to_string(),
            "status_changed",
            &sys,
            json!({"status": "suspended", "order_id": order.id}),
            now,
        )?;
    }
    Ok(())
}
