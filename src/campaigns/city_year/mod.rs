//! `anjian seed city-year`: a deterministic synthetic year shaped like the city's 2021 report
//! (SPEC, top), written straight into the database with multi-row inserts.
//!
//! At `scale` 1 the figures are exactly those of the report: 226,200 enterprises, all
//! inspected; 60,400 inspection groups; 277,000 hazards verified of which 18 major; 3,419
//! penalties with fines totalling 42,184,000 yuan; 258 orders on 258 distinct enterprises;
//! 92 key tasks; 1,203 stationed enterprises with 719 stationed inspectors. Other scales
//! multiply every count (rounded, at least 1) and the fines (to whole yuan).
//!
//! Everything belongs to one campaign spanning 2021, so `GET /api/v1/stats/inspections`
//! returns the figures by that campaign (tasks included) and by the dates of 2021 (without
//! tasks). A few thousand hazards (at scale 1) are left `open` or `rectified`, so the overdue
//! lists have something to find; they are all general, so the major hazards found are the
//! verified ones.
//!
//! Audit: the rows are synthetic history, so they get no per-row events (hundreds of thousands
//! of `created` events would be most of the run time and say nothing). One event, action
//! `city_year_seeded` on the aggregate `seed_run`/`city_year`, records the scale, the seed and
//! the targets; its presence also stops the year from being written twice.
//!
//! More parts (the year's whistleblower reports) are appended by calling their own `write`
//! after this one; see `crate::seed::city_year`.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::store::{
    NewCampaign, NewGroup, NewMember, NewStationing, NewStationingInspector, NewTask, insert_many,
};
use crate::audit::{self, Actor};
use crate::db::{self, DbConn};
use crate::enforcement::store::{
    HazardCopies, HazardRecord, InspectionCopies, InspectionRecord, NewHazard, NewInspection,
    NewInspectionInspector, NewOrder, NewPenalty,
};
use crate::enterprises::credit_code;
use crate::enterprises::store::NewEnterprise;
use crate::error::ApiError;
use crate::schema::{
    audit_events, enterprises, group_members, hazards, inspection_groups, inspection_inspectors,
    inspections, key_tasks, orders, penalties, stationing_inspectors, stationings, users,
};
use crate::users::store::NewUser;

mod shape;

pub use shape::Targets;
use shape::*;

const AGGREGATE: &str = "seed_run";
const AGGREGATE_ID: &str = "city_year";
const CODE_PREFIX: &str = "91370200CY";
const USER_PREFIX: &str = "cy.inspector.";

/// What a run wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub campaign_id: i64,
    pub scale: f64,
    pub seed: u64,
    pub targets: Targets,
}

/// Whether the year has been written into this database already.
pub fn already_written(conn: &mut DbConn) -> Result<bool, ApiError> {
    let n: i64 = audit_events::table
        .filter(audit_events::aggregate_type.eq(AGGREGATE))
        .filter(audit_events::aggregate_id.eq(AGGREGATE_ID))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Writes the year at `scale` with the random sequence of `seed`, in one transaction, then
/// refreshes the planner's statistics. Call it with a connection that is not inside a
/// transaction. Refuses (409) when the year is already there.
pub fn write(conn: &mut DbConn, scale: f64, seed: u64) -> Result<Summary, ApiError> {
    if !(scale.is_finite() && scale > 0.0 && scale <= 20.0) {
        return Err(ApiError::field(
            "scale",
            "out_of_range",
            "must be above 0 and at most 20",
        ));
    }
    let summary = db::write_tx(conn, |conn| write_in_tx(conn, scale, seed))?;
    conn.batch_execute("ANALYZE")
        .map_err(|e| ApiError::internal(format!("analyze: {e}")))?;
    Ok(summary)
}

fn write_in_tx(conn: &mut DbConn, scale: f64, seed: u64) -> Result<Summary, ApiError> {
    if already_written(conn)? {
        return Err(ApiError::Conflict(
            "the city year is already in this database".into(),
        ));
    }
    let creator: i64 = users::table
        .filter(users::role.eq("admin"))
        .order(users::id.asc())
        .select(users::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::Conflict("create an admin first (anjian serve does)".into()))?;
    let t = Targets::at(scale);
    let mut rng = Rng(seed ^ 0x5EED_C17E_2021_0001);
    let year_start = day_of_year(0);
    let written_at = at(year_start);

    // ---- enterprises (orders in force leave theirs suspended)
    let e_n = t.enterprises as usize;
    let order_enterprises: Vec<usize> = (0..t.orders_issued as usize)
        .map(|k| k * e_n / t.orders_issued as usize)
        .collect();
    let in_force_n = in_force(t.orders_issued) as usize;
    let suspended: BTreeSet<usize> = order_enterprises.iter().take(in_force_n).copied().collect();
    let mut codes = Vec::with_capacity(e_n);
    let mut ent_info: Vec<(&'static str, &'static str)> = Vec::with_capacity(e_n);
    let mut names = Vec::with_capacity(e_n);
    let mut addresses = Vec::with_capacity(e_n);
    let mut legal = Vec::with_capacity(e_n);
    for n in 0..e_n {
        let base = format!("{CODE_PREFIX}{n:07}");
        codes.push(
            credit_code::check_character(&base)
                .map(|c| format!("{base}{c}"))
                .ok_or_else(|| ApiError::internal("credit code without a check character"))?,
        );
        let district = *rng.weighted(DISTRICTS);
        let industry = *rng.weighted(INDUSTRIES);
        ent_info.push((district, industry));
        names.push(format!("青岛城年样本企业{n:06}有限公司"));
        addresses.push(format!("青岛市样本路{}号", n % 999 + 1));
        legal.push(format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN)));
    }
    let employees: Vec<i32> = (0..e_n).map(|_| 3 + rng.below(500) as i32).collect();
    let rows: Vec<NewEnterprise<'_>> = (0..e_n)
        .map(|n| NewEnterprise {
            credit_code: &codes[n],
            name: &names[n],
            name_lower: names[n].to_lowercase(),
            industry: ent_info[n].1,
            district: ent_info[n].0,
            address: &addresses[n],
            legal_representative: &legal[n],
            safety_director: None,
            employee_count: employees[n],
            status: if suspended.contains(&n) {
                "suspended"
            } else {
                "operating"
            },
            created_at: written_at,
            updated_at: written_at,
        })
        .collect();
    insert_many!(conn, enterprises::table, rows, 1000)?;
    drop(rows);
    let ent_ids: Vec<i64> = enterprises::table
        .filter(enterprises::credit_code.ge(format!("{CODE_PREFIX}0000000")))
        .filter(enterprises::credit_code.lt(format!("{CODE_PREFIX}Z")))
        .order(enterprises::credit_code.asc())
        .select(enterprises::id)
        .load(conn)?;
    if ent_ids.len() != e_n {
        return Err(ApiError::Conflict(
            "enterprises with the city-year credit codes exist already".into(),
        ));
    }

    // ---- inspectors (one password hash nobody knows: they cannot sign in)
    let hash = crate::auth::password::hash_password(&crate::auth::password::generate_password())
        .map_err(ApiError::internal)?;
    let i_n = t.inspectors as usize;
    let usernames: Vec<String> = (0..i_n).map(|i| format!("{USER_PREFIX}{i:05}")).collect();
    let display: Vec<String> = (0..i_n)
        .map(|i| format!("{}{}（检查员{i}）", rng.pick(SURNAMES), rng.pick(GIVEN)))
        .collect();
    let rows: Vec<NewUser<'_>> = (0..i_n)
        .map(|i| NewUser {
            username: &usernames[i],
            password_hash: &hash,
            role: "inspector",
            enterprise_id: None,
            display_name: &display[i],
            disabled: false,
            token_version: 1,
            created_at: written_at,
            updated_at: written_at,
        })
        .collect();
    insert_many!(conn, users::table, rows, 1000)?;
    let insp_vec: Vec<i64> = users::table
        .filter(users::username.ge(USER_PREFIX))
        .filter(users::username.lt(format!("{USER_PREFIX}~")))
        .order(users::username.asc())
        .select(users::id)
        .load(conn)?;
    let insp_ids: &[i64] = &insp_vec;
    if insp_ids.len() != i_n {
        return Err(ApiError::Conflict(
            "users with the city-year usernames exist already".into(),
        ));
    }

    // ---- the campaign and its board
    let campaign = super::store::insert_campaign(
        conn,
        &NewCampaign {
            name: "2021年安全生产大排查大整治行动",
            starts_on: year_start,
            ends_on: last_day(),
            industries: "[]".into(),
            description: "全市安全生产排查整治（合成数据，按2021年年报规模生成）",
            closed_at: None,
            created_by: creator,
            created_at: written_at,
            updated_at: written_at,
        },
    )?;
    let c = campaign.id;
    let task_titles: Vec<String> = (0..t.tasks)
        .map(|k| {
            format!(
                "{}（第{}项）",
                TASK_TITLES[k as usize % TASK_TITLES.len()],
                k + 1
            )
        })
        .collect();
    let tasks: Vec<NewTask<'_>> = task_titles
        .iter()
        .enumerate()
        .map(|(k, title)| {
            let deadline = day_of_year(30 + rng.below(330));
            let done = k % 23 != 22;
            NewTask {
                campaign_id: c,
                title,
                responsible_unit: "市安委会办公室",
                deadline,
                status: if done { "done" } else { "in_progress" },
                progress_note: Some(if done { "已完成" } else { "推进中" }),
                completed_at: done.then(|| at(deadline)),
                created_at: written_at,
                updated_at: written_at,
            }
        })
        .collect();
    insert_many!(conn, key_tasks::table, tasks, 1000)?;

    // ---- groups: the stationed ones first, with dedicated members
    let g_n = t.groups as usize;
    let s_groups = stationed_groups(t.stationed_inspectors, t.stationed_enterprises) as usize;
    let si_n = t.stationed_inspectors as usize;
    let mut members: Vec<Vec<usize>> = Vec::with_capacity(g_n);
    let mut group_meta: Vec<(&'static str, &'static str, Option<&'static str>)> =
        Vec::with_capacity(g_n);
    for j in 0..g_n {
        let home = *rng.weighted(DISTRICTS);
        if j < s_groups {
            let mut m = vec![2 * j, 2 * j + 1];
            if j == s_groups - 1 {
                m.extend(2 * s_groups..si_n);
            }
            members.push(m);
            group_meta.push(("stationed", home, None));
            continue;
        }
        let mode = *rng.weighted(&[
            ("mobile", 40),
            ("cross_district", 20),
            ("district_package", 25),
            ("stationed", 15),
        ]);
        let target = if mode == "cross_district" {
            let mut other = home;
            while other == home {
                other = *rng.weighted(DISTRICTS);
            }
            Some(other)
        } else {
            None
        };
        let size = 2 + rng.below(2) as usize;
        let mut m: Vec<usize> = Vec::with_capacity(size);
        while m.len() < size {
            let i = rng.below(i_n as u64) as usize;
            if !m.contains(&i) {
                m.push(i);
            }
        }
        members.push(m);
        group_meta.push((mode, home, target));
    }
    let group_names: Vec<String> = (0..g_n).map(|j| format!("第{}检查组", j + 1)).collect();
    let rows: Vec<NewGroup<'_>> = (0..g_n)
        .map(|j| NewGroup {
            campaign_id: c,
            name: &group_names[j],
            mode: group_meta[j].0,
            home_district: group_meta[j].1,
            target_district: group_meta[j].2,
            leader_id: insp_ids[members[j][0]],
            created_at: written_at,
        })
        .collect();
    insert_many!(conn, inspection_groups::table, rows, 1000)?;
    let group_ids: Vec<i64> = inspection_groups::table
        .filter(inspection_groups::campaign_id.eq(c))
        .order(inspection_groups::id.asc())
        .select(inspection_groups::id)
        .load(conn)?;
    let rows: Vec<NewMember> = members
        .iter()
        .enumerate()
        .flat_map(|(j, m)| {
            let group_id = group_ids[j];
            m.iter().map(move |&i| NewMember {
                group_id,
                inspector_id: insp_ids[i],
            })
        })
        .collect();
    insert_many!(conn, group_members::table, rows, 5000)?;

    // ---- stationings: distinct enterprises, by the stationed groups
    let se_n = t.stationed_enterprises as usize;
    let rows: Vec<NewStationing> = (0..se_n)
        .map(|k| {
            let starts_on = day_of_year(rng.below(300));
            NewStationing {
                group_id: group_ids[k % s_groups],
                enterprise_id: ent_ids[k * e_n / se_n],
                starts_on,
                ends_on: starts_on + Duration::days(30 + rng.below(30) as i64),
                created_at: at(starts_on),
            }
        })
        .collect();
    insert_many!(conn, stationings::table, rows, 1000)?;
    let stationing_ids: Vec<i64> = stationings::table
        .inner_join(inspection_groups::table)
        .filter(inspection_groups::campaign_id.eq(c))
        .order(stationings::id.asc())
        .select(stationings::id)
        .load(conn)?;
    let rows: Vec<NewStationingInspector> = stationing_ids
        .iter()
        .enumerate()
        .flat_map(|(k, &sid)| {
            members[k % s_groups]
                .iter()
                .map(move |&i| NewStationingInspector {
                    stationing_id: sid,
                    inspector_id: insp_ids[i],
                })
        })
        .collect();
    insert_many!(conn, stationing_inspectors::table, rows, 5000)?;

    // ---- inspections: every enterprise once, some twice, each by two members of a group
    let ins_n = t.inspections as usize;
    let mut ins_meta: Vec<(usize, usize, NaiveDate)> = Vec::with_capacity(ins_n);
    for k in 0..ins_n {
        let e = if k < e_n {
            k
        } else {
            rng.below(e_n as u64) as usize
        };
        let g = s_groups + rng.below((g_n - s_groups).max(1) as u64) as usize;
        let g = g.min(g_n - 1);
        ins_meta.push((e, g, day_of_year(rng.below(350))));
    }
    // The copies `store::insert_inspection` writes (the enterprises are new: nothing before).
    // Previous: the enterprise's inspection just before in (date, id) order.
    let mut prev: Vec<Option<NaiveDate>> = vec![None; ins_n];
    let mut order: Vec<usize> = (0..ins_n).collect();
    order.sort_unstable_by_key(|&k| (ins_meta[k].0, ins_meta[k].2, k));
    for pair in order.windows(2) {
        let (b, k) = (pair[0], pair[1]);
        if ins_meta[b].0 == ins_meta[k].0 {
            prev[k] = Some(ins_meta[b].2);
        }
    }
    // Every inspection is in the one campaign: the enterprise's first by id is its first there.
    let mut seen = vec![false; e_n];
    let campaign_first: Vec<bool> = ins_meta
        .iter()
        .map(|&(e, _, _)| !std::mem::replace(&mut seen[e], true))
        .collect();
    let rows: Vec<InspectionRecord<'_>> = ins_meta
        .iter()
        .enumerate()
        .map(|(k, &(e, g, on))| InspectionRecord {
            row: NewInspection {
                campaign_id: Some(c),
                group_id: Some(group_ids[g]),
                enterprise_id: ent_ids[e],
                inspected_on: on,
                notes: "",
                created_by: insp_ids[members[g][0]],
                created_at: at(on),
            },
            copies: InspectionCopies {
                district: ent_info[e].0,
                industry: ent_info[e].1,
                prev_inspected_on: prev[k],
                campaign_first: campaign_first[k],
            },
        })
        .collect();
    insert_many!(conn, inspections::table, rows, 1000)?;
    let ins_ids: Vec<i64> = inspections::table
        .filter(inspections::campaign_id.eq(c))
        .order(inspections::id.asc())
        .select(inspections::id)
        .load(conn)?;
    let rows: Vec<NewInspectionInspector> = ins_meta
        .iter()
        .enumerate()
        .flat_map(|(k, &(_, g, _))| {
            let id = ins_ids[k];
            members[g][..2]
                .iter()
                .map(move |&i| NewInspectionInspector {
                    inspection_id: id,
                    inspector_id: insp_ids[i],
                })
        })
        .collect();
    insert_many!(conn, inspection_inspectors::table, rows, 5000)?;

    // ---- hazards: the verified ones (some major), then those still pending
    let hv_n = t.hazards_verified as usize;
    let h_n = t.hazards_found as usize;
    let major_every = (hv_n / t.hazards_major as usize).max(1);
    let plan = json!({
        "measures": "停用相关设施，制定专项整改方案并组织实施",
        "funds_fen": 50_000_000,
        "responsible_person": "企业主要负责人",
        "deadline": "2021-12-31",
        "emergency_measures": "设置警戒区域，落实专人监护和应急处置措施",
    })
    .to_string();
    let mut rows: Vec<HazardRecord<'_>> = Vec::with_capacity(h_n);
    for h in 0..h_n {
        let k = if h < ins_n {
            h
        } else {
            rng.below(ins_n as u64) as usize
        };
        let (e, g, found_on) = ins_meta[k];
        let (category, description) = *rng.pick(HAZARD_TEXTS);
        let deadline = found_on + Duration::days(7 + rng.below(53) as i64);
        let major = h < hv_n && h % major_every == 0 && h / major_every < t.hazards_major as usize;
        let status = if h < hv_n {
            "verified"
        } else if rng.chance(0.7) {
            "open"
        } else {
            "rectified"
        };
        let completed = found_on + Duration::days(1 + rng.below(6) as i64);
        let inspector = insp_ids[members[g][0]];
        let row = NewHazard {
            enterprise_id: ent_ids[e],
            inspection_id: Some(ins_ids[k]),
            campaign_id: Some(c),
            description,
            level: if major { "major" } else { "general" },
            category,
            found_on,
            deadline,
            status,
            supervised: major,
            plan: major.then(|| plan.clone()),
            rectification_measures: (status != "open").then_some("已按要求整改到位"),
            rectification_completed_on: (status != "open").then_some(completed),
            verified_by: (status == "verified").then_some(inspector),
            verified_on: (status == "verified").then(|| completed + Duration::days(1)),
            reject_reason: None,
            reported_by: inspector,
            created_at: at(found_on),
            updated_at: at(found_on),
        };
        rows.push(HazardRecord {
            row,
            copies: HazardCopies {
                district: ent_info[e].0,
                industry: ent_info[e].1,
            },
        });
    }
    insert_many!(conn, hazards::table, rows, 1000)?;
    drop(rows);

    // ---- penalties: fines that add up to the target exactly (whole yuan)
    let p_n = t.penalties as usize;
    let weights: Vec<u64> = (0..p_n).map(|_| 1 + rng.below(100)).collect();
    let weight_sum: u64 = weights.iter().sum();
    let units = t.fines_fen / 100;
    let mut fines: Vec<i64> = weights
        .iter()
        .map(|w| (units as u128 * *w as u128 / weight_sum as u128) as i64)
        .collect();
    let mut rest = units - fines.iter().sum::<i64>();
    let mut i = 0;
    while rest > 0 {
        fines[i % p_n] += 1;
        rest -= 1;
        i += 1;
    }
    let decision_nos: Vec<String> = (0..p_n)
        .map(|k| format!("青应急罚〔{YEAR}〕{:05}号", k + 1))
        .collect();
    let rows: Vec<NewPenalty<'_>> = (0..p_n)
        .map(|k| {
            let ins = rng.below(ins_n as u64) as usize;
            let (e, g, on) = ins_meta[ins];
            let decided_on = min_date(on + Duration::days(3 + rng.below(18) as i64), last_day());
            let (violation, basis) = *rng.pick(VIOLATIONS);
            let paid_on = rng
                .chance(0.85)
                .then(|| decided_on + Duration::days(10 + rng.below(20) as i64));
            NewPenalty {
                enterprise_id: ent_ids[e],
                inspection_id: Some(ins_ids[ins]),
                hazard_id: None,
                campaign_id: Some(c),
                decision_no: &decision_nos[k],
                violation,
                legal_basis: basis,
                fine_fen: fines[k] * 100,
                decided_on,
                paid_on,
                created_by: insp_ids[members[g][0]],
                created_at: at(decided_on),
                updated_at: at(paid_on.unwrap_or(decided_on)),
            }
        })
        .collect();
    insert_many!(conn, penalties::table, rows, 1000)?;

    // ---- orders: one per chosen enterprise, on its first inspection; the first tenth in force
    let rows: Vec<NewOrder<'_>> = order_enterprises
        .iter()
        .enumerate()
        .map(|(k, &e)| {
            let (_, g, on) = ins_meta[e];
            let issued_on = min_date(on + Duration::days(1), last_day());
            let lifted_on =
                (k >= in_force_n).then(|| issued_on + Duration::days(15 + rng.below(45) as i64));
            let construction = ent_info[e].1 == "construction";
            NewOrder {
                enterprise_id: ent_ids[e],
                inspection_id: Some(ins_ids[e]),
                campaign_id: Some(c),
                kind: if construction {
                    "stop_construction"
                } else {
                    "suspend_production"
                },
                reason: "存在重大事故隐患，责令停产停业整顿",
                issued_on,
                lifted_on,
                lift_note: lifted_on.map(|_| "隐患整改完毕，经验收同意复工"),
                created_by: insp_ids[members[g][0]],
                created_at: at(issued_on),
                updated_at: at(lifted_on.unwrap_or(issued_on)),
            }
        })
        .collect();
    insert_many!(conn, orders::table, rows, 1000)?;

    let summary = Summary {
        campaign_id: c,
        scale,
        seed,
        targets: t,
    };
    audit::store::append(
        conn,
        AGGREGATE,
        AGGREGATE_ID,
        "city_year_seeded",
        &Actor::SYSTEM,
        serde_json::to_value(&summary).map_err(ApiError::internal)?,
        crate::clock::Clock::System.now_naive(),
    )?;
    Ok(summary)
}
