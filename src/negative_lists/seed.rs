//! Demo data for `anjian seed demo`: for each given enterprise, a negative list published a
//! little over a year ago from its industry's template, and a year of violations that falls by
//! about 30% from the first half-year to the second. Written inside the demo's transaction
//! through the use cases the API calls (`usecases::lists`, `usecases::violations`), so the
//! audit events, the checks and the repeat and escalation flags are the API's own.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::domain::{Handling, ListSource};
use super::usecases::lists::{self, PublishRequest};
use super::usecases::violations::{self, CorrectRequest, Recording, ViolationRequest};
use crate::actor::{Actor, Role, Scope};
use crate::clock::Clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::{EnterpriseId, NegativeListId, UserId, ViolationId};

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

pub fn demo(
    conn: &mut DbConn,
    clock: &Clock,
    enterprises: &[(EnterpriseId, UserId)],
) -> Result<(), ApiError> {
    let now = clock.now_naive();
    for (n, &(enterprise, user)) in enterprises.iter().enumerate() {
        let actor = Actor::user(user, Role::Enterprise);
        let scope = Scope::Enterprise(enterprise);
        let staff = crate::enterprises::store::find(conn, enterprise)?
            .ok_or(ApiError::NotFound)?
            .employee_count
            .max(1);
        let effective_from = now - Duration::days(400);
        let draft = lists::create(conn, now, &actor, enterprise, ListSource::Template)?;
        let list = lists::publish(
            conn,
            now,
            &actor,
            scope,
            NegativeListId(draft.id),
            PublishRequest {
                effective_from: Some(utc(effective_from)),
            },
        )?;
        let items = lists::get(conn, scope, NegativeListId(list.id))?
            .items
            .unwrap_or_default();
        if items.is_empty() {
            continue;
        }

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
        for occurred_at in times {
            let item = &items[rng.gen_range(0..items.len())];
            let handling = item.suggested_handling;
            let request = ViolationRequest {
                enterprise_id: None,
                item_code: item.code.clone(),
                employee_ref: format!("{prefix}-{:04}", rng.gen_range(1..=staff)),
                occurred_at: utc(occurred_at),
                location: LOCATIONS[rng.gen_range(0..LOCATIONS.len())].to_owned(),
                description: format!("{}（演示数据）", item.title),
                handling,
                fine_fen: if handling == Handling::Fine {
                    rng.gen_range(2..=10) * 10_000
                } else {
                    0
                },
            };
            let recording = Recording::parse(scope, now, request)?;
            let recorded = violations::record(conn, now, &actor, recording)?;
            let corrected_at = rng
                .gen_bool(0.8)
                .then(|| occurred_at + Duration::hours(rng.gen_range(2..72)))
                .filter(|c| *c <= now);
            if let Some(corrected_at) = corrected_at {
                violations::correct(
                    conn,
                    now,
                    &actor,
                    scope,
                    ViolationId(recorded.id),
                    CorrectRequest {
                        corrected_at: utc(corrected_at),
                        note: "已批评教育并整改到位".to_owned(),
                    },
                )?;
            }
        }
    }
    Ok(())
}

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}
