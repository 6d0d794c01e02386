//! `anjian seed demo`: a small, realistic data set so a newcomer sees every feature at once.
//! It writes through the same use cases as the API (`enterprises::registry`, `users::accounts`,
//! the other capabilities' seeds), with their audit events, in one transaction, and refuses to
//! run twice.

use crate::audit::Actor;
use crate::auth::{Role, password};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, DbConn};
use crate::enterprises::credit_code;
use crate::enterprises::domain::ValidEnterprise;
use crate::enterprises::registry;
use crate::error::ApiError;
use crate::ids::{EnterpriseId, UserId};
use crate::startup;
use crate::users::accounts::{self, CreateUserRequest};

struct DemoEnterprise {
    base: &'static str,
    name: &'static str,
    industry: &'static str,
    district: &'static str,
    address: &'static str,
    legal: &'static str,
    director: Option<&'static str>,
    employees: i32,
}

const ENTERPRISES: &[DemoEnterprise] = &[
    DemoEnterprise {
        base: "91370211MA3C00001",
        name: "青岛海湾化工贸易有限公司",
        industry: "hazardous_chemicals",
        district: "huangdao",
        address: "黄岛区前湾港路88号",
        legal: "王建国",
        director: Some("李安全"),
        employees: 46,
    },
    DemoEnterprise {
        base: "91370203MA3C00002",
        name: "青岛蓝海危险品储运有限公司",
        industry: "hazardous_chemicals",
        district: "shibei",
        address: "市北区港华路12号",
        legal: "陈立新",
        director: Some("赵卫东"),
        employees: 120,
    },
    DemoEnterprise {
        base: "91370281MA3C00003",
        name: "胶州喜庆烟花爆竹零售店",
        industry: "fireworks",
        district: "jiaozhou",
        address: "胶州市福州南路209号",
        legal: "刘春华",
        director: None,
        employees: 4,
    },
    DemoEnterprise {
        base: "91370283MA3C00004",
        name: "平度金岭石材矿业有限公司",
        industry: "non_coal_mining",
        district: "pingdu",
        address: "平度市大泽山镇金岭村",
        legal: "孙志强",
        director: Some("周明"),
        employees: 210,
    },
    DemoEnterprise {
        base: "91370214MA3C00005",
        name: "青岛城阳建工集团有限公司",
        industry: "construction",
        district: "chengyang",
        address: "城阳区正阳路177号",
        legal: "吴海涛",
        director: Some("郑国庆"),
        employees: 860,
    },
    DemoEnterprise {
        base: "91370212MA3C00006",
        name: "青岛崂山燃气有限公司",
        industry: "gas",
        district: "laoshan",
        address: "崂山区株洲路66号",
        legal: "黄丽",
        director: Some("马强"),
        employees: 310,
    },
];

/// Users of every role; enterprise accounts name the enterprise by its index above.
const USERS: &[(&str, Role, Option<usize>, &str)] = &[
    ("reviewer.zhang", Role::Reviewer, None, "张审批"),
    ("inspector.li", Role::Inspector, None, "李检查"),
    ("inspector.zhao", Role::Inspector, None, "赵执法"),
    ("ent.haiwan", Role::Enterprise, Some(0), "海湾化工 企业账号"),
    ("ent.lanhai", Role::Enterprise, Some(1), "蓝海储运 企业账号"),
    ("ent.xiqing", Role::Enterprise, Some(2), "喜庆烟花 企业账号"),
    // The mine under the demo's suspension order: its portal shows an order in force and the
    // major hazard that still blocks its lifting.
    (
        "ent.jinling",
        Role::Enterprise,
        Some(3),
        "金岭矿业 企业账号",
    ),
];

pub fn demo(config: &Config) -> Result<(), String> {
    let db = startup::connect(config).map_err(|e| e.to_string())?;
    let mut conn = db.pool().get().map_err(|e| e.to_string())?;
    let clock = Clock::System;
    let admin =
        accounts::bootstrap_admin(&mut conn, &clock).map_err(|e| ApiError::from(e).to_string())?;
    let created = db::write_tx(&mut conn, |conn| write_demo(conn, &clock, config))
        .map_err(|e| e.to_string())?;
    let Some(accounts) = created else {
        println!("demo data is already present; nothing written");
        return Ok(());
    };
    println!(
        "demo data written: {} enterprises, {} accounts, and permit applications with certificates",
        ENTERPRISES.len(),
        accounts.len()
    );
    println!("passwords (shown once):");
    if let Some(p) = admin {
        println!("  {:<16} {:<10} {p}", "admin", "admin");
    }
    for (username, role, pw) in accounts {
        println!("  {username:<16} {:<10} {pw}", role.as_str());
    }
    Ok(())
}

type Account = (String, Role, String);

fn write_demo(
    conn: &mut DbConn,
    clock: &Clock,
    config: &Config,
) -> Result<Option<Vec<Account>>, ApiError> {
    if crate::users::store::find_by_username(conn, USERS[0].0)?.is_some() {
        return Ok(None);
    }
    let now = clock.now_naive();
    let actor = Actor::SYSTEM;
    let mut ids = Vec::new();
    for e in ENTERPRISES {
        let code = credit_code::with_check_digit(e.base)
            .ok_or_else(|| ApiError::internal("bad demo credit code"))?;
        let valid = ValidEnterprise {
            credit_code: credit_code::CreditCode::parse(&code).map_err(ApiError::internal)?,
            name: e.name.into(),
            industry: e.industry.into(),
            district: e.district.into(),
            address: e.address.into(),
            legal_representative: e.legal.into(),
            safety_director: e.director.map(Into::into),
            employee_count: e.employees,
        };
        // The other capabilities' seeds take the ids as integers.
        ids.push(registry::create(conn, now, &actor, &valid)?.id.0);
    }
    let mut created = Vec::new();
    // Each enterprise's first account, for the seeds that act as the enterprise.
    let mut enterprise_users: Vec<(EnterpriseId, UserId)> = Vec::new();
    for (username, role, enterprise, display) in USERS {
        let pw = password::generate_password();
        let request = CreateUserRequest {
            username: (*username).into(),
            password: pw.clone(),
            role: *role,
            enterprise_id: enterprise.and_then(|i| ids.get(i).copied()),
            display_name: (*display).into(),
        };
        let user = accounts::create_with_password(conn, now, &actor, &request)?;
        if let Some(enterprise) = user.enterprise_id
            && !enterprise_users.iter().any(|(e, _)| *e == enterprise)
        {
            enterprise_users.push((enterprise, user.id));
        }
        created.push(((*username).to_owned(), *role, pw));
    }
    crate::permits::seed::demo(conn, clock, config.timezone, &config.secrets.signing_key)?;
    crate::campaigns::seed::demo(conn, clock, config.timezone, &ids)?;
    crate::reports::seed::demo(conn, clock, &config.secrets.data_key, config.timezone)?;
    // Negative lists and a year of violations for the two chemical companies.
    let chemical: Vec<_> = ids
        .iter()
        .take(2)
        .filter_map(|id| enterprise_users.iter().find(|(e, _)| e.0 == *id).copied())
        .collect();
    crate::negative_lists::seed::demo(conn, clock, &chemical)?;
    Ok(Some(created))
}

/// `anjian seed city-year`: the synthetic year, part by part, each part its own `write(conn,
/// scale, seed)` (campaigns first; further capabilities append theirs below it).
pub fn city_year(config: &Config, scale: f64, seed: u64) -> Result<(), String> {
    let describe = |e: ApiError| e.for_terminal();
    let db = startup::connect(config).map_err(|e| e.to_string())?;
    let mut conn = db.pool().get().map_err(|e| e.to_string())?;
    if let Some(p) =
        accounts::bootstrap_admin(&mut conn, &Clock::System).map_err(|e| describe(e.into()))?
    {
        eprintln!("created user `admin` with password: {p}\nstore it now; it is not shown again.");
    }
    let started = std::time::Instant::now();
    let campaigns = crate::campaigns::city_year::write(&mut conn, scale, seed).map_err(describe)?;
    println!(
        "campaigns: campaign {} written (scale {scale}, seed {seed}) in {:.1}s",
        campaigns.campaign_id,
        started.elapsed().as_secs_f64()
    );
    println!(
        "targets: {}",
        serde_json::to_string_pretty(&campaigns.targets).map_err(|e| e.to_string())?
    );
    println!(
        "check: GET /api/v1/stats/inspections?campaign_id={}",
        campaigns.campaign_id
    );
    let part = std::time::Instant::now();
    let reports = db::write_tx(&mut conn, |conn| {
        crate::reports::seed::city_year(conn, scale, seed, &config.secrets.data_key)
    })
    .map_err(describe)?;
    println!(
        "reports: {} handled reports, {} rewards, {} fen paid, in {:.1}s",
        reports.reports,
        reports.rewards,
        reports.paid_fen,
        part.elapsed().as_secs_f64()
    );
    println!("check: GET /api/v1/stats/reports?from=2021-01-01&to=2021-12-31");
    db::checkpoint(&mut conn).map_err(|e| e.to_string())?;
    println!(
        "city year written in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_credit_code_is_valid() {
        for e in ENTERPRISES {
            let code = credit_code::with_check_digit(e.base).unwrap();
            assert!(credit_code::CreditCode::parse(&code).is_ok(), "{code}");
        }
    }
}
