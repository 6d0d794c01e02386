//! The city-year (`anjian seed city-year`): the year's whistleblower reports and rewards,
//! shaped like the city's 2021 report.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::audit::{self, Actor};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::reports::crypto;
use crate::reports::domain::{
    self, AccidentGrade, Category, Contact, Payee, ReportId, RewardCase, RewardStatus,
};
use crate::reports::store::{self, NewReport, NewReward};

/// The year the city's report describes.
pub const CITY_YEAR: i32 = 2021;
/// Whistleblower reports handled in the year.
pub const REPORTS_HANDLED: f64 = 1_284.0;
/// Rewards paid in the year: 265,100 yuan.
pub const REWARDS_PAID_FEN: i64 = 26_510_000;

/// What [`city_year`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityYearReports {
    pub reports: usize,
    pub rewards: usize,
    pub paid_fen: i64,
}

/// One planned reward.
#[derive(Debug, Clone)]
struct Planned {
    category: Category,
    is_employee: bool,
    fines_fen: i64,
    deaths: Option<i32>,
    /// An amount other than the computed one (to land the year's total exactly).
    override_fen: Option<i64>,
}

/// Plans rewards whose amounts follow the default rules and add up to exactly `target` (a
/// multiple of 100 yuan): a few accident and major-hazard rewards, then general-hazard
/// rewards of 500 yuan (600 for an employee). The remainder below 700 yuan is absorbed by one
/// employee uplift or, at most, one override within the general bounds.
fn plan_rewards(target: i64, rng: &mut StdRng) -> Vec<Planned> {
    const GENERAL: i64 = 50_000;
    let mut plan = Vec::new();
    let mut remaining = target;
    // About a tenth in accident rewards (30,000 yuan per concealed death, 一般).
    while remaining - 3_000_000 >= target * 8 / 10 {
        plan.push(Planned {
            category: Category::ConcealedAccident,
            is_employee: false,
            fines_fen: 0,
            deaths: Some(1),
            override_fen: None,
        });
        remaining -= 3_000_000;
    }
    // About a third in major-hazard and illegal-production rewards: half the fines.
    loop {
        let fines = rng.gen_range(5..=200) * 20_000;
        let amount = (fines / 2).clamp(500_000, 50_000_000);
        if remaining - amount < target * 6 / 10 {
            break;
        }
        plan.push(Planned {
            category: if rng.gen_bool(0.5) {
                Category::MajorHazard
            } else {
                Category::IllegalProduction
            },
            is_employee: false,
            fines_fen: fines,
            deaths: None,
            override_fen: None,
        });
        remaining -= amount;
    }
    // The rest in general-hazard rewards.
    while remaining >= GENERAL + 20_000 {
        let employee = rng.gen_bool(0.1) && remaining >= 60_000 + 20_000;
        plan.push(Planned {
            category: Category::GeneralHazard,
            is_employee: employee,
            fines_fen: 0,
            deaths: None,
            override_fen: None,
        });
        remaining -= if employee { 60_000 } else { GENERAL };
    }
    let general = |employee: bool, override_fen: Option<i64>| Planned {
        category: Category::GeneralHazard,
        is_employee: employee,
        fines_fen: 0,
        deaths: None,
        override_fen,
    };
    match remaining {
        0 => {}
        GENERAL => plan.push(general(false, None)),
        60_000 => plan.push(general(true, None)),
        r if r >= 20_000 => plan.push(general(false, Some(r))),
        r => {
            // Below the floor: the last plain general reward becomes an employee's (+100 yuan)
            // when that is exactly it, otherwise it absorbs the remainder as an override.
            match plan
                .iter_mut()
                .rev()
                .find(|p| p.category == Category::GeneralHazard && p.override_fen.is_none())
            {
                Some(p) if r == 10_000 && !p.is_employee => p.is_employee = true,
                Some(p) => {
                    let base = if p.is_employee { 60_000 } else { GENERAL };
                    p.override_fen = Some(base + r);
                }
                None => plan.push(general(false, Some(r.max(20_000)))),
            }
        }
    }
    plan
}

const INDUSTRIES: &[&str] = &[
    "hazardous_chemicals",
    "fireworks",
    "non_coal_mining",
    "metallurgy",
    "nonferrous_metals",
    "building_materials",
    "machinery",
    "light_industry",
    "textiles",
    "tobacco",
    "commerce_trade",
    "construction",
    "road_transport",
    "marine_fishery",
    "gas",
    "special_equipment",
    "fire_safety",
    "civil_air_defense",
    "forest_fire_prevention",
    "meteorology",
];

const DISTRICTS: &[&str] = &[
    "shinan",
    "shibei",
    "licang",
    "laoshan",
    "huangdao",
    "chengyang",
    "jimo",
    "jiaozhou",
    "pingdu",
    "laixi",
];

fn at_nine_local(d: NaiveDate) -> NaiveDateTime {
    // 09:00 in Qingdao is 01:00 UTC.
    d.and_time(NaiveTime::MIN) + Duration::hours(1)
}

/// The year's whistleblower reports, shaped like the city's 2021 report: `1,284 × scale`
/// reports filed and concluded in 2021 (about a third substantiated and rewarded, the rest
/// unsubstantiated, duplicates, or substantiated without a rule), with rewards decided by the
/// default rules, claimed and paid in the year, totalling exactly `265,100 yuan × scale`
/// (rounded to 100 yuan; exactly 26,510,000 fen at scale 1). Deterministic for a given `seed`.
/// Written with multi-row inserts, one `filed`/`decided` audit event per record. Seeded
/// reports have no usable receipt (their hashes are random) and no linked penalty rows.
pub fn city_year(
    conn: &mut DbConn,
    scale: f64,
    seed: u64,
    data_key: &[u8; 32],
) -> Result<CityYearReports, ApiError> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_2021_0000_0006);
    let scale = if scale.is_finite() {
        scale.max(0.0)
    } else {
        0.0
    };
    let n = (REPORTS_HANDLED * scale).round() as usize;
    let target = ((REWARDS_PAID_FEN as f64 * scale) / 10_000.0).round() as i64 * 10_000;
    let plan = if n == 0 {
        Vec::new()
    } else {
        plan_rewards(target, &mut rng)
    };
    if plan.len() > n {
        return Err(ApiError::internal(
            "the scale is too small for the rewards it asks for",
        ));
    }
    let start =
        NaiveDate::from_ymd_opt(CITY_YEAR, 1, 1).ok_or_else(|| ApiError::internal("bad year"))?;
    // Reports: the rewarded ones first, then the others; duplicates last (they name an
    // earlier report).
    let duplicates = n.saturating_sub(plan.len()) / 20;
    let mut rows = Vec::with_capacity(n);
    let mut dup_rows = Vec::with_capacity(duplicates);
    let mut outcomes = Vec::with_capacity(n);
    for i in 0..n {
        let filed_on = start + Duration::days(rng.gen_range(0..304));
        let concluded_on = filed_on + Duration::days(rng.gen_range(3..=30));
        let planned = plan.get(i);
        let (category, status) = match planned {
            Some(p) => (p.category, "substantiated"),
            None if i >= n - duplicates => (Category::GeneralHazard, "duplicate"),
            None if rng.gen_bool(0.85) => (
                [
                    Category::GeneralHazard,
                    Category::MajorHazard,
                    Category::IllegalProduction,
                ][rng.gen_range(0..3)],
                "unsubstantiated",
            ),
            None => (Category::Other, "substantiated"),
        };
        let is_employee = planned.is_some_and(|p| p.is_employee);
        let contact = is_employee.then(|| Contact {
            name: Some(format!("职工{i:04}")),
            phone: Some(format!("139{:08}", rng.gen_range(0..100_000_000u32))),
            email: None,
            bank_account: None,
        });
        let mut h = Sha256::new();
        h.update(format!("anjian city-year {seed} report {i}"));
        let received_at = at_nine_local(filed_on);
        let concluded_at = at_nine_local(concluded_on) + Duration::hours(6);
        let row = NewReport {
            receipt_hash: hex::encode(h.finalize()),
            industry: INDUSTRIES[rng.gen_range(0..INDUSTRIES.len())].into(),
            category: category.as_str().into(),
            enterprise_name: Some(format!("青岛市某生产经营单位{:04}", rng.gen_range(0..2000))),
            enterprise_credit_code: None,
            enterprise_id: None,
            district: Some(DISTRICTS[rng.gen_range(0..DISTRICTS.len())].into()),
            location: None,
            occurred_on: Some(filed_on - Duration::days(rng.gen_range(0..5))),
            description: format!(
                "{}：群众举报的安全生产问题（合成数据 {i}）",
                category.as_str()
            ),
            is_employee,
            contact_sealed: contact
                .as_ref()
                .map(|c| crypto::seal_json(data_key, crypto::CONTACT, c))
                .transpose()?,
            status: status.into(),
            assignee_id: None,
            duplicate_of: None,
            findings: Some(
                match status {
                    "substantiated" => "经核查，举报情况属实。",
                    "duplicate" => "与此前举报系同一事项。",
                    _ => "经核查，举报情况不属实。",
                }
                .into(),
            ),
            situation_code: None,
            accident_grade: planned
                .and_then(|p| p.deaths)
                .map(|_| AccidentGrade::General.as_str().to_owned()),
            concealed_deaths: planned.and_then(|p| p.deaths),
            filed_on,
            received_at,
            concluded_on: Some(concluded_on),
            concluded_at: Some(concluded_at),
            updated_at: concluded_at,
        };
        outcomes.push((
            row.receipt_hash.clone(),
            row.concluded_on,
            row.industry.clone(),
        ));
        if status == "duplicate" {
            dup_rows.push(row);
        } else {
            rows.push(row);
        }
    }
    if let Some(first) = rows.first()
        && !store::ids_by_receipt_hash(conn, &[first.receipt_hash.as_str()])?.is_empty()
    {
        return Err(ApiError::Conflict(
            "the city-year of this seed is already written".into(),
        ));
    }
    store::insert_reports(conn, &rows)?;
    let hashes: Vec<&str> = outcomes.iter().map(|o| o.0.as_str()).collect();
    let ids: std::collections::HashMap<String, i64> = store::ids_by_receipt_hash(conn, &hashes)?
        .into_iter()
        .map(|(hash, id)| (hash, id.0))
        .collect();
    if !dup_rows.is_empty() {
        let earlier: Vec<i64> = rows
            .iter()
            .filter_map(|r| ids.get(&r.receipt_hash).copied())
            .collect();
        for (k, r) in dup_rows.iter_mut().enumerate() {
            r.duplicate_of = earlier.get(k % earlier.len().max(1)).copied();
        }
        store::insert_reports(conn, &dup_rows)?;
    }
    let ids: std::collections::HashMap<String, i64> = store::ids_by_receipt_hash(conn, &hashes)?
        .into_iter()
        .map(|(hash, id)| (hash, id.0))
        .collect();
    let seeded_at = NaiveDate::from_ymd_opt(CITY_YEAR, 12, 31)
        .map(at_nine_local)
        .ok_or_else(|| ApiError::internal("bad year"))?;
    let report_events: Vec<(String, Value)> = outcomes
        .iter()
        .filter_map(|(h, _, _)| ids.get(h))
        .map(|id| (id.to_string(), json!({"seed": "city-year"})))
        .collect();
    audit::store::append_first_many(
        conn,
        "report",
        "seeded",
        &Actor::SYSTEM,
        &report_events,
        seeded_at,
    )?;

    // Rewards: decided on the conclusion day, claimed and paid within the year.
    let mut rules = std::collections::HashMap::new();
    let mut rewards = Vec::with_capacity(plan.len());
    let mut paid = 0i64;
    for (i, p) in plan.iter().enumerate() {
        let (hash, concluded_on, industry) = &outcomes[i];
        let report_id = *ids
            .get(hash)
            .ok_or_else(|| ApiError::internal("a seeded report is missing"))?;
        let decided_on = concluded_on.ok_or_else(|| ApiError::internal("not concluded"))?;
        let rule = match rules.entry(p.category) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(
                store::rule_in_force(conn, p.category.as_str(), decided_on)?
                    .ok_or_else(|| ApiError::internal("no reward rule in force"))?,
            ),
        };
        let case = RewardCase {
            rule_name: format!("category:{}@{}", p.category.as_str(), rule.effective_from),
            situation_code: None,
            rule: rule.amount_rule()?,
            uplift_bp: rule.uplift_bp,
            is_employee: p.is_employee,
            duplicate: false,
            fines_fen: p.fines_fen,
            accident_grade: p.deaths.map(|_| AccidentGrade::General),
            deaths: p.deaths,
        };
        let breakdown = domain::calculate(&case).map_err(ApiError::internal)?;
        let amount = p.override_fen.unwrap_or(breakdown.amount_fen);
        paid += amount;
        let claimed_at = at_nine_local(decided_on + Duration::days(rng.gen_range(1..=10)));
        let paid_on = claimed_at.date() + Duration::days(rng.gen_range(0..=5));
        let payee = Payee {
            name: format!("举报人{i:04}"),
            phone: format!("138{:08}", rng.gen_range(0..100_000_000u32)),
            bank_account: format!("62220200{:011}", rng.gen_range(0..100_000_000_000u64)),
        };
        rewards.push(NewReward {
            report_id,
            industry: industry.clone(),
            status: RewardStatus::Paid.as_str().into(),
            amount_fen: amount,
            computed_fen: breakdown.amount_fen,
            overridden: p.override_fen.is_some(),
            override_reason: p
                .override_fen
                .map(|_| "合成数据：按城市年度奖励总额调整".to_owned()),
            breakdown: serde_json::to_string(&breakdown).map_err(ApiError::internal)?,
            decided_by: None,
            decided_at: at_nine_local(decided_on) + Duration::hours(8),
            decided_on,
            claim_deadline: domain::claim_deadline(decided_on),
            payee_sealed: Some(crypto::seal_json(data_key, crypto::PAYEE, &payee)?),
            claimed_at: Some(claimed_at),
            paid_on: Some(paid_on),
            payment_reference: Some(format!("CY{CITY_YEAR}-{i:05}")),
            updated_at: at_nine_local(paid_on),
        });
    }
    store::insert_rewards(conn, &rewards)?;
    let report_ids: Vec<ReportId> = rewards.iter().map(|r| ReportId(r.report_id)).collect();
    let reward_ids = store::reward_ids_of_reports(conn, &report_ids)?;
    let reward_events: Vec<(String, Value)> = reward_ids
        .iter()
        .map(|id| {
            (
                id.to_string(),
                json!({"seed": "city-year", "status": "paid"}),
            )
        })
        .collect();
    audit::store::append_first_many(
        conn,
        "reward",
        "seeded",
        &Actor::SYSTEM,
        &reward_events,
        seeded_at,
    )?;
    Ok(CityYearReports {
        reports: n,
        rewards: rewards.len(),
        paid_fen: paid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(plan: &[Planned]) -> i64 {
        plan.iter()
            .map(|p| {
                p.override_fen.unwrap_or(match p.category {
                    Category::GeneralHazard if p.is_employee => 60_000,
                    Category::GeneralHazard => 50_000,
                    Category::ConcealedAccident => 3_000_000,
                    _ => (p.fines_fen / 2).clamp(500_000, 50_000_000),
                })
            })
            .sum()
    }

    #[test]
    fn the_plan_adds_up_to_the_target_exactly_at_every_scale() {
        for seed in 0..20 {
            for target in [
                26_510_000,
                2_650_000,
                270_000,
                30_000,
                20_000,
                0,
                100_000_000,
            ] {
                let mut rng = StdRng::seed_from_u64(seed);
                let plan = plan_rewards(target, &mut rng);
                assert_eq!(total(&plan), target, "seed {seed} target {target}");
                assert!(plan.iter().filter(|p| p.override_fen.is_some()).count() <= 1);
                for p in &plan {
                    if let Some(o) = p.override_fen {
                        assert!((20_000..=500_000).contains(&o), "within the general bounds");
                    }
                }
            }
        }
    }
}
