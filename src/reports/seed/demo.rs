//! The demo set (`anjian seed demo`): a few reports in every state, written through the store
//! and the use cases' rules, with their audit events.

use chrono::{Duration, NaiveTime};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::clock::Clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::reports::crypto;
use crate::reports::domain::{
    self, AccidentGrade, Category, Contact, Payee, Receipt, ReportId, ReportStatus, RewardStatus,
};
use crate::reports::store::{self, NewReport, NewReward, ReportChanges};
use crate::reports::usecases::rewards;

struct DemoReport {
    category: Category,
    industry: &'static str,
    district: &'static str,
    enterprise: &'static str,
    description: &'static str,
    contact: Option<(&'static str, &'static str)>,
    is_employee: bool,
    /// How far it got: received, assigned, investigating, substantiated, unsubstantiated,
    /// duplicate.
    status: &'static str,
    situation: Option<&'static str>,
    /// For substantiated reports: the reward's fate (decided, claimed, paid, lapsed).
    reward: Option<RewardStatus>,
}

const DEMO: &[DemoReport] = &[
    DemoReport {
        category: Category::GeneralHazard,
        industry: "commerce_trade",
        district: "shinan",
        enterprise: "市南区某购物中心",
        description: "商场三楼东侧安全出口被货架堵塞，疏散通道堆放纸箱，已持续一周。",
        contact: None,
        is_employee: false,
        status: "received",
        situation: None,
        reward: None,
    },
    DemoReport {
        category: Category::IllegalProduction,
        industry: "fireworks",
        district: "jiaozhou",
        enterprise: "胶州某村民自建房",
        description: "村内一处民房夜间加工烟花爆竹，院内堆放大量药料和纸筒，无任何证照。",
        contact: Some(("陈先生", "13605320001")),
        is_employee: false,
        status: "assigned",
        situation: None,
        reward: None,
    },
    DemoReport {
        category: Category::MajorHazard,
        industry: "hazardous_chemicals",
        district: "huangdao",
        enterprise: "青岛海湾化工贸易有限公司",
        description: "储罐区可燃气体报警仪长期停用，夜班巡检记录系补写，存在重大事故隐患。",
        contact: Some(("刘工", "13805320002")),
        is_employee: true,
        status: "investigating",
        situation: None,
        reward: None,
    },
    DemoReport {
        category: Category::GeneralHazard,
        industry: "construction",
        district: "chengyang",
        enterprise: "青岛城阳建工集团有限公司",
        description: "工地塔吊司机无证上岗，信号工由普通工人临时顶替，高处作业未系安全带。",
        contact: None,
        is_employee: false,
        status: "unsubstantiated",
        situation: None,
        reward: None,
    },
    DemoReport {
        category: Category::GeneralHazard,
        industry: "gas",
        district: "laoshan",
        enterprise: "崂山区某餐馆",
        description: "餐馆后厨液化气钢瓶放置在地下室，未安装可燃气体报警装置和切断阀。",
        contact: None,
        is_employee: false,
        status: "substantiated",
        situation: None,
        reward: Some(RewardStatus::Decided),
    },
    DemoReport {
        category: Category::GeneralHazard,
        industry: "gas",
        district: "laoshan",
        enterprise: "崂山区某餐馆",
        description: "同一餐馆地下室存放液化气钢瓶，没有报警器，担心发生爆炸，请尽快检查。",
        contact: None,
        is_employee: false,
        status: "duplicate",
        situation: None,
        reward: None,
    },
    DemoReport {
        category: Category::MajorHazard,
        industry: "non_coal_mining",
        district: "pingdu",
        enterprise: "平度金岭石材矿业有限公司",
        description: "矿山越界开采，采空区未按设计充填，井下通风系统不完善，工人多次反映无人处理。",
        contact: Some(("孙师傅", "13905320003")),
        is_employee: true,
        status: "substantiated",
        situation: None,
        reward: Some(RewardStatus::Claimed),
    },
    DemoReport {
        category: Category::ConcealedAccident,
        industry: "construction",
        district: "jimo",
        enterprise: "即墨区某建筑劳务公司",
        description: "上月工地脚手架坍塌造成一名工人死亡，企业私下赔偿后未向有关部门报告。",
        contact: Some(("匿名知情人", "13705320004")),
        is_employee: false,
        status: "substantiated",
        situation: None,
        reward: Some(RewardStatus::Paid),
    },
    DemoReport {
        category: Category::Other,
        industry: "fireworks",
        district: "laixi",
        enterprise: "莱西市某烟花爆竹零售点",
        description: "零售点与店主住房在同一栋楼内，店内库存明显超过许可数量。",
        contact: None,
        is_employee: false,
        status: "substantiated",
        situation: Some("FW-02"),
        reward: Some(RewardStatus::Lapsed),
    },
];

/// Writes reports in every state, with rewards decided, claimed, paid and lapsed, through the
/// same store functions as the API and with their audit events. Call inside the demo's
/// transaction; it needs an inspector account to exist.
pub fn demo(
    conn: &mut DbConn,
    clock: &Clock,
    data_key: &[u8; 32],
    tz: chrono_tz::Tz,
) -> Result<usize, ApiError> {
    let inspector = store::first_inspector(conn)?;
    let inspector_actor = Actor {
        user_id: Some(inspector),
        role: "inspector",
    };
    let today = clock.today(tz);
    let mut substantiated_gas: Option<ReportId> = None;
    for (i, d) in DEMO.iter().enumerate() {
        // Older reports first: the lapsed reward was decided more than 60 days ago.
        let age = if d.reward == Some(RewardStatus::Lapsed) {
            80
        } else {
            (DEMO.len() - i) as i64 * 3
        };
        let filed_on = today - Duration::days(age);
        let at = filed_on.and_time(NaiveTime::MIN) + Duration::hours(1);
        let receipt = Receipt::generate();
        let contact = d.contact.map(|(name, phone)| Contact {
            name: Some(name.into()),
            phone: Some(phone.into()),
            email: None,
            bank_account: None,
        });
        let row = store::insert_report(
            conn,
            &NewReport {
                receipt_hash: crypto::hash_receipt(data_key, &receipt)?,
                industry: d.industry.into(),
                category: d.category.as_str().into(),
                enterprise_name: Some(d.enterprise.into()),
                enterprise_credit_code: None,
                enterprise_id: None,
                district: Some(d.district.into()),
                location: None,
                occurred_on: Some(filed_on - Duration::days(2)),
                description: d.description.into(),
                is_employee: d.is_employee,
                contact_sealed: contact
                    .as_ref()
                    .map(|c| crypto::seal_json(data_key, crypto::CONTACT, c))
                    .transpose()?,
                status: "received".into(),
                assignee_id: None,
                duplicate_of: None,
                findings: None,
                situation_code: None,
                accident_grade: None,
                concealed_deaths: None,
                filed_on,
                received_at: at,
                concluded_on: None,
                concluded_at: None,
                updated_at: at,
            },
        )?;
        let report_id = ReportId(row.id);
        let id = report_id.to_string();
        audit::store::append_first(
            conn,
            "report",
            &id,
            "filed",
            &Actor::PUBLIC,
            json!({"seed": "demo", "category": d.category.as_str()}),
            at,
        )?;
        if d.status == "received" {
            continue;
        }
        let step = |h: i64| at + Duration::hours(h);
        let assigned = ReportChanges {
            assignee_id: Some(Some(inspector.0)),
            ..ReportChanges::to(ReportStatus::Assigned, step(2))
        };
        store::transition_report(conn, report_id, &[ReportStatus::Received], &assigned)?;
        audit::store::append(
            conn,
            "report",
            &id,
            "assigned",
            &inspector_actor,
            json!({"inspector_id": inspector.0}),
            step(2),
        )?;
        if d.status == "assigned" {
            continue;
        }
        let started = ReportChanges::to(ReportStatus::Investigating, step(3));
        store::transition_report(conn, report_id, &[ReportStatus::Assigned], &started)?;
        audit::store::append(
            conn,
            "report",
            &id,
            "investigation_started",
            &inspector_actor,
            json!({}),
            step(3),
        )?;
        let m = store::insert_message(
            conn,
            report_id,
            "to_reporter",
            "您的举报已受理，执法人员将赴现场核查，请保持电话畅通。",
            Some(inspector),
            step(4),
        )?;
        audit::store::append(
            conn,
            "report",
            &id,
            "message_added",
            &inspector_actor,
            json!({"message_id": m.id, "to_reporter": true}),
            step(4),
        )?;
        if d.status == "investigating" {
            continue;
        }
        let concluded_on = filed_on + Duration::days(2);
        let concluded_at = concluded_on.and_time(NaiveTime::MIN) + Duration::hours(2);
        let duplicate_of = (d.status == "duplicate")
            .then_some(substantiated_gas)
            .flatten();
        let concluded = ReportStatus::parse(d.status)
            .ok_or_else(|| ApiError::internal("a demo report's status is unknown"))?;
        let (grade, deaths) = if d.category.is_accident() {
            (Some(AccidentGrade::General), Some(1))
        } else {
            (None, None)
        };
        let conclusion = ReportChanges {
            duplicate_of: Some(duplicate_of.map(|r| r.0)),
            findings: Some(Some("经现场核查，情况如下：".to_owned() + d.description)),
            situation_code: Some(d.situation.map(str::to_owned)),
            accident_grade: Some(store::grade_text(grade)),
            concealed_deaths: Some(deaths),
            concluded_on: Some(Some(concluded_on)),
            concluded_at: Some(Some(concluded_at)),
            ..ReportChanges::to(concluded, concluded_at)
        };
        store::transition_report(conn, report_id, &[ReportStatus::Investigating], &conclusion)?;
        audit::store::append(
            conn,
            "report",
            &id,
            "concluded",
            &inspector_actor,
            json!({"outcome": d.status, "duplicate_of": duplicate_of.map(|r| r.0), "situation_code": d.situation}),
            concluded_at,
        )?;
        if d.status == "substantiated" && d.industry == "gas" {
            substantiated_gas = Some(report_id);
        }
        let Some(fate) = d.reward else { continue };
        let report = store::find_report(conn, report_id)?.ok_or(ApiError::NotFound)?;
        // The same rule lookup as a decision through the API.
        let mut case = rewards::reward_case(conn, &report)?;
        case.fines_fen = if d.category == Category::MajorHazard {
            4_000_000
        } else {
            0
        };
        let breakdown = domain::calculate(&case).map_err(ApiError::internal)?;
        let decided_at = concluded_at + Duration::hours(4);
        let payee = Payee {
            name: d.contact.map_or("举报人", |c| c.0).into(),
            phone: d.contact.map_or("13800000000", |c| c.1).into(),
            bank_account: "6222020000000000001".into(),
        };
        let claimed = matches!(fate, RewardStatus::Claimed | RewardStatus::Paid);
        let reward = store::insert_reward(
            conn,
            &NewReward {
                report_id: row.id,
                industry: d.industry.into(),
                status: fate.as_str().into(),
                amount_fen: breakdown.amount_fen,
                computed_fen: breakdown.amount_fen,
                overridden: false,
                override_reason: None,
                breakdown: serde_json::to_string(&breakdown).map_err(ApiError::internal)?,
                decided_by: None,
                decided_at,
                decided_on: concluded_on,
                claim_deadline: domain::claim_deadline(concluded_on),
                payee_sealed: claimed
                    .then(|| crypto::seal_json(data_key, crypto::PAYEE, &payee))
                    .transpose()?,
                claimed_at: claimed.then_some(decided_at + Duration::days(1)),
                paid_on: (fate == RewardStatus::Paid).then_some(concluded_on + Duration::days(2)),
                payment_reference: (fate == RewardStatus::Paid).then(|| "DEMO-0001".to_owned()),
                updated_at: decided_at,
            },
        )?;
        let rid = reward.id.to_string();
        audit::store::append_first(
            conn,
            "reward",
            &rid,
            "decided",
            &Actor::SYSTEM,
            json!({"seed": "demo", "amount_fen": breakdown.amount_fen}),
            decided_at,
        )?;
        let later: &[(&str, Actor, i64)] = match fate {
            RewardStatus::Claimed => &[("claimed", Actor::PUBLIC, 1)],
            RewardStatus::Paid => &[("claimed", Actor::PUBLIC, 1), ("paid", Actor::SYSTEM, 2)],
            RewardStatus::Lapsed => &[("lapsed", Actor::SYSTEM, 61)],
            RewardStatus::Decided => &[],
        };
        for (action, actor, days) in later {
            audit::store::append(
                conn,
                "reward",
                &rid,
                action,
                actor,
                json!({"seed": "demo"}),
                decided_at + Duration::days(*days),
            )?;
        }
    }
    Ok(DEMO.len())
}
