//! Bulk data for the negative-list benchmarks: `--enterprises` enterprises (default 2,000), each
//! with a published three-item list, and `--violations` violation records (default 1,000,000)
//! spread over the last two years, with repeat and escalation flags computed by the service's
//! own rule. Then it times the figures' queries (the work of `GET /api/v1/stats/violations`)
//! and creates the account `bench.inspector` (password from `ANJIAN_PASSWORD`) for
//! `examples/load.rs --scenario record-violation | violation-stats`.
//!
//! ```text
//! DATABASE_URL=sqlite:///tmp/bench.db ANJIAN_PASSWORD='a long bench password' \
//!     cargo run --release --example violations_bulk -- --enterprises 2000 --violations 1000000
//! ```
//!
//! Rows are written with multi-row inserts, without audit events (benchmark data, not records).
//! Run it on an empty database.

use std::time::Instant;

use anjian::audit::Actor;
use anjian::auth::Role;
use anjian::db::{self, DatabaseUrl, DbConn};
use anjian::enterprises::credit_code::CreditCode;
use anjian::enterprises::domain::ValidEnterprise;
use anjian::enterprises::store::{self as enterprise_store, NewEnterprise};
use anjian::error::ApiError;
use anjian::ids::EnterpriseId;
use anjian::negative_lists::domain::{Flags, flags_in_order};
use anjian::negative_lists::store::{self, ItemRow, NewList, NewViolation, StatsScope};
use chrono::{Duration, NaiveDateTime, Utc};
use clap::Parser;
use diesel::connection::SimpleConnection;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value_t = 2_000)]
    enterprises: usize,
    #[arg(long, default_value_t = 1_000_000)]
    violations: usize,
    /// Employees per enterprise who commit the violations.
    #[arg(long, default_value_t = 100)]
    staff: usize,
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

const INDUSTRIES: [&str; 5] = [
    "hazardous_chemicals",
    "fireworks",
    "non_coal_mining",
    "metallurgy",
    "construction",
];
const DISTRICTS: [&str; 10] = [
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

fn items() -> Vec<ItemRow> {
    [
        ("BENCH-C", "illegal_command", "grave"),
        ("BENCH-O", "illegal_operation", "serious"),
        ("BENCH-L", "labor_discipline", "general"),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (code, category, severity))| ItemRow {
        code: code.into(),
        position: i as i32 + 1,
        category: category.into(),
        title: format!("基准条目 {code}"),
        description: String::new(),
        severity: severity.into(),
        suggested_handling: "education".into(),
    })
    .collect()
}

fn setup(
    conn: &mut DbConn,
    args: &Args,
    now: NaiveDateTime,
) -> Result<(i64, Vec<(i64, i64)>), ApiError> {
    let password =
        std::env::var("ANJIAN_PASSWORD").unwrap_or_else(|_| "a long bench password".into());
    let request = anjian::users::accounts::CreateUserRequest {
        username: "bench.inspector".into(),
        password: password.clone(),
        role: Role::Inspector,
        enterprise_id: None,
        display_name: "基准检查员".into(),
    };
    let user = anjian::users::accounts::validate_new_user(&request)?;
    let hash = anjian::auth::password::hash_password(&password).map_err(ApiError::internal)?;
    let user = anjian::users::accounts::create_in_tx(conn, &user, &hash, &Actor::SYSTEM, now)?;
    let mut valid = Vec::with_capacity(args.enterprises);
    let mut rng = StdRng::seed_from_u64(args.seed);
    for n in 0..args.enterprises {
        let code = anjian::enterprises::credit_code::with_check_digit(&format!("91370200BM{n:07}"))
            .ok_or_else(|| ApiError::internal("credit code"))?;
        valid.push(ValidEnterprise {
            credit_code: CreditCode::parse(&code).map_err(ApiError::internal)?,
            name: format!("基准企业{n}"),
            industry: INDUSTRIES[n % INDUSTRIES.len()].into(),
            district: DISTRICTS[n % DISTRICTS.len()].into(),
            address: "青岛".into(),
            legal_representative: "法人".into(),
            safety_director: None,
            employee_count: rng.gen_range(20..2000),
        });
    }
    let rows: Vec<NewEnterprise<'_>> = valid
        .iter()
        .map(|e| NewEnterprise::from_valid(e, now))
        .collect();
    enterprise_store::insert_many(conn, &rows)?;
    let codes: Vec<&str> = valid.iter().map(|e| e.credit_code.as_str()).collect();
    let mut ids: Vec<i64> = enterprise_store::ids_by_credit_code(conn, &codes)?
        .into_iter()
        .map(|(_, id)| id.0)
        .collect();
    ids.sort();
    let effective_from = now - Duration::days(3 * 365);
    let mut lists = Vec::with_capacity(ids.len());
    for id in &ids {
        let list = store::insert_list(
            conn,
            &NewList {
                enterprise_id: *id,
                version: 1,
                status: "draft",
                source: "empty",
                created_by: user.id,
                created_at: effective_from,
                updated_at: effective_from,
            },
        )?;
        store::insert_items(conn, list.id, &items())?;
        store::publish(conn, list.id, effective_from, effective_from)?;
        lists.push((*id, list.id.0));
    }
    Ok((user.id, lists))
}

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let url = DatabaseUrl::parse(&std::env::var("DATABASE_URL")?)?;
    let pool = db::build_pool(&url, 2, std::time::Duration::from_secs(30))?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    let now = Utc::now().naive_utc();
    let t0 = Instant::now();
    let (user, lists) = db::write_tx(&mut conn, |c| setup(c, &args, now))?;
    println!(
        "{} enterprises with published lists in {:.1?}",
        lists.len(),
        t0.elapsed()
    );

    let items = items();
    let per = args.violations / lists.len().max(1);
    let span = Duration::days(2 * 365).num_seconds();
    let mut rng = StdRng::seed_from_u64(args.seed + 1);
    let t1 = Instant::now();
    let mut written = 0usize;
    for chunk in lists.chunks(100) {
        let mut rows: Vec<NewViolation> = Vec::with_capacity(per * chunk.len());
        for (enterprise_id, list_id) in chunk {
            let mut own: Vec<(usize, NaiveDateTime)> = (0..per)
                .map(|_| {
                    (
                        rng.gen_range(0..args.staff),
                        now - Duration::seconds(rng.gen_range(60..span)),
                    )
                })
                .collect();
            own.sort_by_key(|(e, t)| (*e, *t));
            let mut flags = vec![Flags::default(); own.len()];
            let mut start = 0;
            while start < own.len() {
                let employee = own[start].0;
                let end = own[start..]
                    .iter()
                    .position(|(e, _)| *e != employee)
                    .map_or(own.len(), |p| start + p);
                let times: Vec<NaiveDateTime> = own[start..end].iter().map(|(_, t)| *t).collect();
                for (i, f) in flags_in_order(&times).into_iter().enumerate() {
                    flags[start + i] = f;
                }
                start = end;
            }
            for ((employee, at), f) in own.into_iter().zip(flags) {
                let item = &items[rng.gen_range(0..items.len())];
                rows.push(NewViolation {
                    enterprise_id: *enterprise_id,
                    list_id: *list_id,
                    item_code: item.code.clone(),
                    category: item.category.clone(),
                    severity: item.severity.clone(),
                    employee_ref: format!("B-{employee:04}"),
                    occurred_at: at,
                    location: "车间".into(),
                    description: String::new(),
                    handling: "education".into(),
                    fine_fen: 0,
                    recorded_by: user,
                    corrected_at: rng.gen_bool(0.7).then(|| at + Duration::seconds(30)),
                    correction_note: None,
                    repeat: f.repeat,
                    escalated: f.escalated,
                    created_at: now,
                    updated_at: now,
                });
            }
        }
        written += rows.len();
        db::write_tx(&mut conn, |c| store::insert_violations(c, &rows))?;
        println!(
            "  {written} violations, {:.0}/s",
            written as f64 / t1.elapsed().as_secs_f64()
        );
    }
    println!("{written} violations in {:.1?}", t1.elapsed());
    let analyze = if url.is_postgres() {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    conn.batch_execute(analyze)?;

    // The figures' queries, as `GET /api/v1/stats/violations` runs them.
    let year = Duration::days(365);
    let (start, end) = (Some(now - year), Some(now));
    let (c_start, c_end) = (Some(now - year - year), Some(now - year));
    let scopes = [
        ("city", StatsScope::default()),
        (
            "industry",
            StatsScope {
                industry: Some("metallurgy".into()),
                ..StatsScope::default()
            },
        ),
        (
            "district",
            StatsScope {
                district: Some("huangdao".into()),
                ..StatsScope::default()
            },
        ),
        (
            "enterprise",
            StatsScope {
                enterprise: lists.first().map(|(e, _)| EnterpriseId(*e)),
                ..StatsScope::default()
            },
        ),
    ];
    for (name, scope) in scopes {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..7 {
            let t = Instant::now();
            let groups = store::breakdown(&mut conn, &scope, start, end)?;
            let _compare = store::count(&mut conn, &scope, c_start, c_end)?;
            let _employees = store::employees(&mut conn, &scope)?;
            times.push(t.elapsed());
            total = groups.iter().map(|g| g.count).sum::<i64>();
        }
        times.sort();
        println!(
            "stats {name:<10} total={total:<7} median={:.1?} min={:.1?} max={:.1?}",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1]
        );
    }
    Ok(())
}
