//! Demo data for `anjian seed demo`: for each given enterprise, a negative list published a
//! little over a year ago from its industry's template, and a year of violations that falls by
//! about 30% from the first half-year to the second. Written inside the demo's transaction,
//! with audit events, flags computed by the same rule as the API.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::domain::{self, Handling, ListSource, ListStatus};
use super::store::{self, NewList, NewViolation};
use super::usecases::{LIST, VIOLATION};
use crate::audit::{self, Actor};
use crate::clock::Clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::EnterpriseId;
use crate::schema::users;

/// Violations in the first half-year per enterprise (the second half has 70% of them).
const FIRST_HALF: [usize; 2] = [24, 50];

const LOCATIONS: &[&str] = &[
    "一号罐区",
    "装卸站台",
    "中控室",
    "二号仓库",
    "维修车间",
    "厂区东门",
];

pub fn demo(conn: &mut DbConn, clock: &Clock, enterprises: &[i64]) -> Result<(), ApiError> {
    let now = clock.now_naive();
    for (n, id) in enterprises.iter().enumerate() {
        let enterprise = EnterpriseId(*id);
        let Some(user) = users::table
            .filter(users::enterprise_id.eq(id))
            .select(users::id)
            .first::<i64>(conn)
            .optional()?
        else {
            continue;
        };
        let actor = Actor::user(crate::ids::UserId(user), crate::auth::Role::Enterprise);
        let found = crate::enterprises::store::find(conn, enterprise)?.ok_or(ApiError::NotFound)?;
        let (industry, staff) = (found.industry, found.employee_count.max(1));
        let items = store::template_items(conn, &industry)?;
        if items.is_empty() {
            continue;
        }
        let effective_from = now - Duration::days(400);
        let list = store::insert_list(
            conn,
            &NewList {
                enterprise_id: *id,
                version: 1,
                status: ListStatus::Draft.as_str(),
                source: ListSource::Template.as_str(),
                created_by: user,
                created_at: effective_from,
                updated_at: effective_from,
            },
        )?;
        store::insert_items(conn, list.id, &items)?;
        let list_id = list.id.to_string();
        audit::store::append_first(
            conn,
            LIST,
            &list_id,
            "created",
            &actor,
            json!({"enterprise_id": id, "version": 1, "from": "template", "item_count": items.len(), "seed": "demo"}),
            now,
        )?;
        store::publish(conn, list.id, now, effective_from)?;
        audit::store::append(
            conn,
            LIST,
            &list_id,
            "published",
            &actor,
            json!({"version": 1, "effective_from": crate::clock::rfc3339(effective_from)}),
            now,
        )?;

        let mut rng = StdRng::seed_from_u64(2021 + n as u64);
        let first = FIRST_HALF.get(n).copied().unwrap_or(30);
        let second = (first * 7).div_ceil(10);
        let year_start = now - Duration::days(365);
        let half = Duration::days(182);
        let second_half = Duration::days(365) - half - Duration::hours(1);
        let mut times: Vec<NaiveDateTime> = Vec::with_capacity(first + second);
        for _ in 0..first {
            times.push(year_start + Duration::seconds(rng.gen_range(0..half.num_seconds())));
        }
        for _ in 0..second {
            times.push(
                year_start + half + Duration::seconds(rng.gen_range(0..second_half.num_seconds())),
            );
        }
        times.sort();
        let prefix = if n == 0 { "HW" } else { "LH" };
        let records: Vec<(NaiveDateTime, String, usize)> = times
            .into_iter()
            .map(|t| {
                (
                    t,
                    format!("{prefix}-{:04}", rng.gen_range(1..=staff)),
                    rng.gen_range(0..items.len()),
                )
            })
            .collect();
        // Flags by the API's rule, per employee in time order.
        let mut flags = vec![domain::Flags::default(); records.len()];
        let mut employees: Vec<&String> = records.iter().map(|r| &r.1).collect();
        employees.sort();
        employees.dedup();
        for e in employees {
            let idx: Vec<usize> = (0..records.len()).filter(|i| &records[*i].1 == e).collect();
            let t: Vec<NaiveDateTime> = idx.iter().map(|i| records[*i].0).collect();
            for (i, f) in idx.iter().zip(domain::flags_in_order(&t)) {
                flags[*i] = f;
            }
        }
        for ((occurred_at, employee, item), f) in records.into_iter().zip(flags) {
            let item = &items[item];
            let handling = Handling::parse(&item.suggested_handling).unwrap_or(Handling::Education);
            let fine_fen = if handling == Handling::Fine {
                rng.gen_range(2..=10) * 10_000
            } else {
                0
            };
            let corrected_at = rng
                .gen_bool(0.8)
                .then(|| occurred_at + Duration::hours(rng.gen_range(2..72)))
                .filter(|c| *c <= now);
            let row = store::insert_violation(
                conn,
                &NewViolation {
                    enterprise_id: *id,
                    list_id: list.id.0,
                    item_code: item.code.clone(),
                    category: item.category.clone(),
                    severity: item.severity.clone(),
                    employee_ref: employee,
                    occurred_at,
                    location: LOCATIONS[rng.gen_range(0..LOCATIONS.len())].to_owned(),
                    description: format!("{}（演示数据）", item.title),
                    handling: handling.as_str().to_owned(),
                    fine_fen,
                    recorded_by: user,
                    corrected_at,
                    correction_note: corrected_at.map(|_| "已批评教育并整改到位".to_owned()),
                    repeat: f.repeat,
                    escalated: f.escalated,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            audit::store::append_first(
                conn,
                VIOLATION,
                &row.id.to_string(),
                "recorded",
                &actor,
                json!({"item_code": row.item_code, "employee_ref": row.employee_ref, "seed": "demo"}),
                now,
            )?;
        }
    }
    Ok(())
}
