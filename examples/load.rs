//! Load generator for a running `anjian` server.
//!
//! It logs in once (`POST /api/v1/auth/login`), then runs one scenario from
//! `--concurrency` tokio tasks, each sending one request after another over a
//! shared `reqwest::Client` until the duration ends, and prints request
//! counts, throughput and latency percentiles on stdout.
//!
//! ```text
//! ANJIAN_PASSWORD=... cargo run --release --example load -- \
//!     --base-url http://127.0.0.1:8080 --username admin \
//!     --password-env ANJIAN_PASSWORD --scenario me \
//!     --concurrency 64 --duration-secs 20 --warmup-secs 3 \
//!     --login-rate 20 --pid "$(pgrep -x anjian)"
//! ```
//!
//! * The password is read from the environment variable named by
//!   `--password-env` (default `ANJIAN_PASSWORD`); it is never a command-line
//!   argument and never printed.
//! * Requests started during the `--warmup-secs` warm-up are sent but not
//!   recorded; measurement then lasts `--duration-secs`.
//! * `--login-rate N` (logins per second, fractions allowed, default 0 = off)
//!   runs a side task that starts N logins per second with the same
//!   credentials, whatever their latency, and reports them on their own line
//!   (a 429 counts as `throttled`).
//! * `--pid N` samples the resident memory (`VmRSS` in `/proc/N/status`) of
//!   that process once a second and prints the maximum as `rss_max`.
//! * Counts: `ok` = 2xx, `non_2xx` = any other HTTP status (for logins, other
//!   than 429), `errors` = transport errors (refused, reset, timed out...).
//!   Latencies (p50/p90/p99/max) are those of 2xx responses only.
//! * Only the given base URL is ever contacted: no proxy, no redirects. It
//!   must be a loopback address unless `--allow-non-loopback` is given.
//! * The run stops by itself: each request times out after
//!   `--request-timeout-secs` (default 10), and the whole run is abandoned
//!   (exit code 2) if it is not over `warmup + duration + 30 s` after start.
//!
//! * `--scenario instant-approval` first prepares `--enterprises N` enterprises through the
//!   API as the admin given by `--username` (one import, then per enterprise an account, its
//!   login, and its three instant filings: two training filings and an emergency plan), then
//!   each request is one `POST /api/v1/applications` with `submit: true` for
//!   `hazchem_business_no_storage` from the next unused enterprise, so every request reads the
//!   rule inputs and writes the application, the rule results, the certificate and the audit
//!   events. Once every enterprise has its licence the scenario wraps round and the rules
//!   reject the duplicates (still decided instantly); the run reports how many were approved.
//!   The setup logs in N times: start the server with a generous `ANJIAN_LOGIN_RATE`
//!   (e.g. `100000/min`). Preparing is argon2-bound (two hashes an enterprise, about 45 a
//!   second): with `--prepared FILE` a first run only prepares, writes the tokens to FILE and
//!   stops; copy the database then, and every later run with the same FILE (after restoring
//!   the copy) measures at once. A run licenses each enterprise once, so prepare at least
//!   (warm-up + duration) × the expected rate.
//!
//! * `--import-mib N` runs a side task that posts enterprise imports of about N MiB (10,000 new
//!   enterprises as CSV) one after another through the measurement, and reports them on their
//!   own line: with `--scenario create-enterprise` it shows what a single-row write waits for
//!   while an import is being written (`docs/BENCHMARKS.md`, "Writes beside an import").
//!
//! * `--scenario page --page /e/` signs in through the portal's form (`GET /login`, then
//!   `POST /login` with the form's cookie and token, as a browser does) and each request is one
//!   `GET` of that portal page with the session cookie (PORTAL 7.6). Sign in as an enterprise
//!   user for `/e/…`; an enterprise's sessions go idle after 8 hours, a staff member's after 30
//!   minutes, so a run is always shorter than either.
//!
//! Adding a scenario: add a variant to [`Scenario`], write one
//! `async fn(&Client, &str, &str) -> Result<StatusCode, reqwest::Error>` that
//! performs ONE request, and add its arm to [`Scenario::run_once`].
//!
//! Sample output:
//!
//! ```text
//! scenario=me concurrency=64 duration=20.0s warmup=3.0s
//! requests=212345 ok=212345 non_2xx=0 errors=0
//! throughput=10617.2 req/s
//! latency p50=5.1ms p90=7.9ms p99=9.8ms max=31.0ms
//! logins=400 ok=400 throttled=0 non_2xx=0 errors=0 p50=35.0ms p99=60.0ms
//! rss_max=42.1MiB
//! ```

use std::error::Error;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clap::{Parser, ValueEnum};
use reqwest::{Client, StatusCode, Url};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

type BoxError = Box<dyn Error + Send + Sync>;

/// How long after the planned end (warm-up + duration) the run is abandoned.
const HARD_STOP_GRACE: Duration = Duration::from_secs(30);
/// At most this many logins of the `--login-rate` side task in flight; a tick
/// that finds them all busy is counted as `skipped`.
const MAX_LOGINS_IN_FLIGHT: usize = 256;
/// Attempts of the initial login while it is answered 429.
const LOGIN_ATTEMPTS: u32 = 5;

#[derive(Parser, Debug)]
#[command(about = "Load generator for the anjian HTTP API")]
struct Args {
    /// Base URL of the server (scheme, host, port).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base_url: String,
    /// Username to log in with.
    #[arg(long, default_value = "admin")]
    username: String,
    /// Name of the environment variable holding the password.
    #[arg(long, default_value = "ANJIAN_PASSWORD")]
    password_env: String,
    /// Scenario to run.
    #[arg(long, value_enum, default_value_t = Scenario::Me)]
    scenario: Scenario,
    /// Number of concurrent request loops.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    concurrency: u32,
    /// Measured duration in seconds (after the warm-up).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    duration_secs: u64,
    /// Warm-up in seconds: requests are sent but not recorded.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=3_600))]
    warmup_secs: u64,
    /// Logins per second in a side task (0 = none).
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    login_rate: f64,
    /// Process id whose resident memory (VmRSS) is sampled once a second.
    #[arg(long)]
    pid: Option<u32>,
    /// Timeout of each request in seconds.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=25))]
    request_timeout_secs: u64,
    /// Allow a base URL whose host is not a loopback address.
    #[arg(long)]
    allow_non_loopback: bool,
    /// `instant-approval`: how many enterprises to prepare (each is licensed once);
    /// `record-violation`: violations go to enterprise ids 1..=N (as `examples/violations_bulk`
    /// creates them in an empty database).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    enterprises: u32,
    /// `instant-approval`: a file of prepared enterprise tokens. If it exists, they are used
    /// and nothing is prepared; otherwise the enterprises are prepared, their tokens written
    /// there (mode 0600) and the run ends, so that the database can be copied before any
    /// licence is issued and restored before each measured run.
    #[arg(long)]
    prepared: Option<std::path::PathBuf>,
    /// Side task: enterprise imports of about N MiB each (10,000 new enterprises as CSV), one
    /// after another from the start of the measurement to its end, reported on their own line
    /// (0 = none). Run it beside a small write, `--scenario create-enterprise`, to see whether
    /// the write waits for the import.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=16))]
    import_mib: u32,
    /// `page`: the portal page to ask for, e.g. `/e/` (the enterprise workbench) or
    /// `/e/apply/hazchem_business_no_storage` (an application form).
    #[arg(long, default_value = "/e/")]
    page: String,
}

/// `--page`, for the `page` scenario.
static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// `--enterprises`, for the scenarios that need it.
static ENTERPRISES: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// What each worker does in its loop. One variant, one function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// `GET /api/v1/auth/me` with the bearer token.
    Me,
    /// `POST /api/v1/applications` with `submit: true` for `hazchem_business_no_storage`, each
    /// from the next prepared enterprise (see `--enterprises`).
    InstantApproval,
    /// `GET /api/v1/hazards?district=…&overdue=true&limit=50`, the district turning over the
    /// ten default districts (run it over `anjian seed city-year`).
    HazardsOverdue,
    /// `GET /api/v1/stats/inspections?from=2021-01-01&to=2021-12-31`: the whole city year.
    StatsYear,
    /// `POST /api/v1/public/reports` (no token; lift `ANJIAN_REPORT_RATE` on the server).
    ReportFiling,
    /// `GET /api/v1/reports?limit=50` (the staff list; log in as an admin or inspector).
    ReportList,
    /// `POST /api/v1/violations` for a random enterprise of `--enterprises` (item `BENCH-O`),
    /// a random employee and a random instant of the last 300 days; log in as an inspector.
    RecordViolation,
    /// `GET /api/v1/stats/violations` for the city: the last year against the year before.
    ViolationStats,
    /// `POST /api/v1/enterprises`: one new enterprise, a single-row write (log in as an admin).
    CreateEnterprise,
    /// `GET {--page}` of the portal with a session cookie: the run signs in through the
    /// portal's own form (`/login`) instead of the API, as a browser does.
    Page,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Me => "me",
            Scenario::InstantApproval => "instant-approval",
            Scenario::HazardsOverdue => "hazards-overdue",
            Scenario::StatsYear => "stats-year",
            Scenario::ReportFiling => "report-filing",
            Scenario::ReportList => "report-list",
            Scenario::RecordViolation => "record-violation",
            Scenario::ViolationStats => "violation-stats",
            Scenario::CreateEnterprise => "create-enterprise",
            Scenario::Page => "page",
        }
    }

    /// Performs ONE request of this scenario.
    async fn run_once(
        self,
        client: &Client,
        base: &str,
        token: &str,
    ) -> Result<StatusCode, reqwest::Error> {
        match self {
            Scenario::Me => scenario_me(client, base, token).await,
            Scenario::InstantApproval => scenario_instant_approval(client, base).await,
            Scenario::HazardsOverdue => {
                let district =
                    DISTRICTS[NEXT_DISTRICT.fetch_add(1, Ordering::Relaxed) % DISTRICTS.len()];
                get_path(
                    client,
                    base,
                    token,
                    &format!("/api/v1/hazards?district={district}&overdue=true&limit=50"),
                )
                .await
            }
            Scenario::StatsYear => {
                get_path(
                    client,
                    base,
                    token,
                    "/api/v1/stats/inspections?from=2021-01-01&to=2021-12-31",
                )
                .await
            }
            Scenario::ReportFiling => scenario_report_filing(client, base).await,
            Scenario::ReportList => {
                scenario_get(client, base, token, "/api/v1/reports?limit=50").await
            }
            Scenario::RecordViolation => scenario_record_violation(client, base, token).await,
            Scenario::ViolationStats => scenario_violation_stats(client, base, token).await,
            Scenario::CreateEnterprise => scenario_create_enterprise(client, base, token).await,
            Scenario::Page => scenario_page(client, base, token).await,
        }
    }
}

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
static NEXT_DISTRICT: AtomicUsize = AtomicUsize::new(0);

/// `GET {base}{path}` with the token; the body is read so the connection is reused.
async fn get_path(
    client: &Client,
    base: &str,
    token: &str,
    path: &str,
) -> Result<StatusCode, reqwest::Error> {
    let resp = client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await?;
    let status = resp.status();
    resp.bytes().await?;
    Ok(status)
}

/// `GET {base}/api/v1/auth/me`; the body is read so the connection is reused.
async fn scenario_me(
    client: &Client,
    base: &str,
    token: &str,
) -> Result<StatusCode, reqwest::Error> {
    let resp = client
        .get(format!("{base}/api/v1/auth/me"))
        .bearer_auth(token)
        .send()
        .await?;
    let status = resp.status();
    resp.bytes().await?;
    Ok(status)
}

/// Enterprise tokens prepared for `instant-approval`, taken in turn.
static ENTERPRISE_TOKENS: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
static NEXT_ENTERPRISE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static APPROVED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The hazchem licence form an enterprise prepared with tag `tag` submits.
fn hazchem_form(tag: &str) -> serde_json::Value {
    serde_json::json!({
        "premises_address": "黄岛区前湾港路88号",
        "premises_area_m2": 86.5,
        "principal_cert_no": format!("LOADP-{tag}"),
        "safety_manager_cert_no": format!("LOADS-{tag}"),
        "chemicals": [{"name": "乙醇", "cas_no": "64-17-5"}, {"name": "硫酸", "cas_no": "7664-93-9"}],
        "includes_highly_toxic": false,
        "includes_explosive_precursors": false
    })
}

/// `POST {base}/api/v1/applications` (create and submit) as the next prepared enterprise.
async fn scenario_instant_approval(
    client: &Client,
    base: &str,
) -> Result<StatusCode, reqwest::Error> {
    use std::sync::atomic::Ordering;
    let tokens = ENTERPRISE_TOKENS
        .get()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let Some((token, tag)) =
        tokens.get(NEXT_ENTERPRISE.fetch_add(1, Ordering::Relaxed) % tokens.len().max(1))
    else {
        return Ok(StatusCode::PRECONDITION_FAILED);
    };
    let resp = client
        .post(format!("{base}/api/v1/applications"))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "permit_type": "hazchem_business_no_storage",
            "form": hazchem_form(tag),
            "submit": true,
            "commitment_accepted": true
        }))
        .send()
        .await?;
    let status = resp.status();
    let body = resp.bytes().await?;
    if status.is_success() && memchr_approved(&body) {
        APPROVED.fetch_add(1, Ordering::Relaxed);
    }
    Ok(status)
}

/// Whether the response says `"status":"approved"` (cheaper than parsing it).
fn memchr_approved(body: &[u8]) -> bool {
    body.windows(19).any(|w| w == b"\"status\":\"approved\"")
}

/// Prepares `n` enterprises through the API: one import, then per enterprise an account, its
/// login and its three instant filings, `parallel` at a time. Returns (token, tag) pairs.
async fn prepare_enterprises(
    client: &Client,
    base: &str,
    admin: &str,
    n: u32,
    parallel: usize,
) -> Result<Vec<(String, String)>, BoxError> {
    use futures_util::StreamExt as _;
    let run: u32 = rand::random::<u32>() % 9_000_000;
    let started = Instant::now();
    let mut rows = Vec::new();
    for i in 0..n {
        let base17 = format!("9137{:06}{:07}", run % 1_000_000, i);
        let code = anjian::enterprises::credit_code::with_check_digit(&base17)
            .ok_or("could not make a credit code")?;
        rows.push((code, format!("L{run}-{i}")));
    }
    for chunk in rows.chunks(10_000) {
        let body: Vec<_> = chunk
            .iter()
            .map(|(code, tag)| {
                serde_json::json!({"credit_code": code, "name": format!("压测危化经营企业{tag}"),
                    "industry": "hazardous_chemicals", "district": "huangdao", "address": "黄岛区前湾港路88号",
                    "legal_representative": "王建国", "employee_count": 20})
            })
            .collect();
        let resp = client
            .post(format!("{base}/api/v1/enterprises/import"))
            .bearer_auth(admin)
            .json(&body)
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(format!(
                "enterprise import failed: {} {}",
                resp.status(),
                resp.text().await?
            )
            .into());
        }
    }
    // Enterprise ids by credit code, from the list (newest first).
    let mut ids = std::collections::HashMap::new();
    let mut cursor: Option<String> = None;
    while ids.len() < rows.len() {
        let mut url = format!("{base}/api/v1/enterprises?industry=hazardous_chemicals&limit=200");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: serde_json::Value = client
            .get(url)
            .bearer_auth(admin)
            .send()
            .await?
            .json()
            .await?;
        for e in page["items"].as_array().into_iter().flatten() {
            if let (Some(code), Some(id)) = (e["credit_code"].as_str(), e["id"].as_i64()) {
                ids.insert(code.to_owned(), id);
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let password = format!("load-{}-{}", rand::random::<u64>(), rand::random::<u64>());
    let jobs = rows
        .into_iter()
        .filter_map(|(code, tag)| ids.get(&code).map(|id| (*id, tag)));
    let results: Vec<Result<(String, String), BoxError>> = futures_util::stream::iter(jobs)
        .map(|(id, tag)| {
            let password = password.clone();
            async move {
                let username = format!("load.{}", tag.to_lowercase());
                let resp = client
                    .post(format!("{base}/api/v1/users"))
                    .bearer_auth(admin)
                    .json(&serde_json::json!({"username": username, "password": password, "role": "enterprise",
                                              "enterprise_id": id, "display_name": username}))
                    .send()
                    .await?;
                if !resp.status().is_success() {
                    return Err(format!("user creation failed: {}", resp.status()).into());
                }
                let (status, token) = login(client, base, &username, &password).await?;
                let token = token.ok_or_else(|| format!("enterprise login failed: {status} (raise ANJIAN_LOGIN_RATE)"))?;
                let filings = [
                    ("safety_training_filing", serde_json::json!({"person_role": "principal", "person_name": "王建国",
                        "cert_no": format!("LOADP-{tag}"), "issued_on": "2025-01-01", "expires_on": "2035-01-01"})),
                    ("safety_training_filing", serde_json::json!({"person_role": "safety_manager", "person_name": "李安全",
                        "cert_no": format!("LOADS-{tag}"), "issued_on": "2025-01-01", "expires_on": "2035-01-01"})),
                    ("emergency_plan_filing", serde_json::json!({"plan_name": "综合应急预案", "approved_on": "2025-01-01",
                        "next_drill_on": "2025-06-01"})),
                ];
                for (permit_type, form) in filings {
                    let resp = client
                        .post(format!("{base}/api/v1/applications"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"permit_type": permit_type, "form": form, "submit": true, "commitment_accepted": true}))
                        .send()
                        .await?;
                    if !resp.status().is_success() {
                        return Err(format!("filing failed: {}", resp.status()).into());
                    }
                }
                Ok((token, tag))
            }
        })
        .buffer_unordered(parallel)
        .collect()
        .await;
    let prepared = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    eprintln!(
        "prepared {} enterprises in {:.1}s",
        prepared.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(prepared)
}

/// Reads `token tag` lines written by [`write_prepared`].
fn read_prepared(path: &std::path::Path) -> Result<Vec<(String, String)>, BoxError> {
    let text = std::fs::read_to_string(path)?;
    let prepared: Vec<_> = text
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(token, tag)| (token.to_owned(), tag.to_owned()))
        .collect();
    eprintln!(
        "using {} prepared enterprises from {}",
        prepared.len(),
        path.display()
    );
    Ok(prepared)
}

/// Writes the prepared tokens, one `token tag` line each, readable by the owner only (they are
/// bearer tokens).
fn write_prepared(path: &std::path::Path, prepared: &[(String, String)]) -> Result<(), BoxError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    for (token, tag) in prepared {
        writeln!(file, "{token} {tag}")?;
    }
    Ok(())
}

/// A public report filing: each costs one argon2id receipt hash (on the server's blocking
/// pool) and one write transaction.
async fn scenario_report_filing(client: &Client, base: &str) -> Result<StatusCode, reqwest::Error> {
    let body = serde_json::json!({
        "industry": "construction",
        "category": "general_hazard",
        "district": "licang",
        "description": "负载测试：工地深基坑未按方案支护，周边地面出现裂缝。",
        "is_employee": false
    });
    let resp = client
        .post(format!("{base}/api/v1/public/reports"))
        .json(&body)
        .send()
        .await?;
    let status = resp.status();
    resp.bytes().await?;
    Ok(status)
}

/// `GET {base}{path}` with the bearer token.
async fn scenario_get(
    client: &Client,
    base: &str,
    token: &str,
    path: &str,
) -> Result<StatusCode, reqwest::Error> {
    let resp = client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await?;
    let status = resp.status();
    resp.bytes().await?;
    Ok(status)
}

/// `POST {base}/api/v1/violations` with a random enterprise, employee and instant.
async fn scenario_record_violation(
    client: &Client,
    base: &str,
    token: &str,
) -> Result<StatusCode, reqwest::Error> {
    use rand::Rng;
    let (enterprise, employee, ago) = {
        let mut rng = rand::thread_rng();
        let n = ENTERPRISES.get().copied().unwrap_or(2000);
        (
            rng.gen_range(1..=n),
            rng.gen_range(0..10_000),
            rng.gen_range(60..300 * 86_400),
        )
    };
    let at = chrono::Utc::now() - chrono::Duration::seconds(ago);
    let body = serde_json::json!({
        "enterprise_id": enterprise, "item_code": "BENCH-O",
        "employee_ref": format!("L-{employee:05}"),
        "occurred_at": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "location": "装置区", "description": "负载测试", "handling": "education",
    });
    let resp = client
        .post(format!("{base}/api/v1/violations"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = resp.status();
    resp.bytes().await?;
    Ok(status)
}

/// `GET {base}/api/v1/stats/violations`: the last year against the year before, city-wide.
async fn scenario_violation_stats(
    client: &Client,
    base: &str,
    token: &str,
) -> Result<StatusCode, reqwest::Error> {
    let today = chrono::Utc::now().date_naive();
    let year = chrono::Duration::days(365);
    let query = format!(
        "from={}&to={today}&compare_from={}&compare_to={}",
        today - year + chrono::Duration::days(1),
        today - year - year + chrono::Duration::days(1),
        today - year,
    );
    let resp = client
        .get(format!("{base}/api/v1/stats/violations?{query}"))
        .bearer_auth(token)
        .send()
        .await?;
    let status = resp.status();
    resp.bytes().await?;
    Ok(status)
}

/// A new credit code: `run` tells one run (or one import) from another, `i` the enterprise.
fn fresh_credit_code(run: u32, i: u32) -> Option<String> {
    let base17 = format!("9137{:06}{:07}", run % 1_000_000, i % 10_000_000);
    anjian::enterprises::credit_code::with_check_digit(&base17)
}

/// This run's tag for `create-enterprise`'s credit codes, and the next enterprise's number.
static CREATE_RUN: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
static NEXT_CREATED: AtomicUsize = AtomicUsize::new(0);

/// `POST {base}/api/v1/enterprises`: one new enterprise.
async fn scenario_create_enterprise(
    client: &Client,
    base: &str,
    token: &str,
) -> Result<StatusCode, reqwest::Error> {
    let run = *CREATE_RUN.get_or_init(rand::random::<u32>);
    let i = NEXT_CREATED.fetch_add(1, Ordering::Relaxed) as u32;
    let Some(code) = fresh_credit_code(run, i) else {
        return Ok(StatusCode::PRECONDITION_FAILED);
    };
    let resp = client
        .post(format!("{base}/api/v1/enterprises"))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "credit_code": code,
            "name": format!("压测单建企业{run}-{i}"),
            "industry": "machinery",
            "district": "licang",
            "address": "李沧区九水东路1号",
            "legal_representative": "李卫东",
            "employee_count": 30
        }))
        .send()
        .await?;
    let status = resp.status();
    resp.bytes().await?;
    Ok(status)
}

/// The rows of an import.
const IMPORT_ROWS: u32 = 10_000;

/// A CSV import of [`IMPORT_ROWS`] new enterprises, about `mib` MiB: the address, the name,
/// the legal representative and the safety director are padded with Chinese text (three bytes
/// a character), each up to its longest allowed length, to fill the size.
fn import_csv(mib: u32) -> Vec<u8> {
    let run = rand::random::<u32>();
    let header = "credit_code,name,industry,district,address,legal_representative,safety_director,employee_count\n";
    let target = (mib as usize * 1024 * 1024).saturating_sub(header.len() + 4096);
    let per_row = target / IMPORT_ROWS as usize;
    let mut body = Vec::with_capacity(target + header.len() + 4096);
    body.extend_from_slice(header.as_bytes());
    for i in 0..IMPORT_ROWS {
        let Some(code) = fresh_credit_code(run, i) else {
            continue;
        };
        let mut fields = [
            format!("压测导入企业{run}-{i}"),
            "城阳区".to_owned(),
            "张文".to_owned(),
            "刘强".to_owned(),
        ];
        // The longest each field may be (characters), in the order they are padded.
        let longest = [(1, 300), (0, 200), (2, 100), (3, 100)];
        let fixed = code.len() + ",,light_industry,chengyang,,,,12\n".len();
        let mut room =
            per_row.saturating_sub(fixed + fields.iter().map(String::len).sum::<usize>());
        for (f, max) in longest {
            while room >= 3 && fields[f].chars().count() < max {
                fields[f].push('路');
                room -= 3;
            }
        }
        let [name, address, legal, director] = fields;
        let row =
            format!("{code},{name},light_industry,chengyang,{address},{legal},{director},12\n");
        body.extend_from_slice(row.as_bytes());
    }
    body
}

#[derive(Default)]
struct ImportStats {
    ok: u64,
    failed: u64,
    first_failure: Option<String>,
    /// Milliseconds each answered import took.
    durations_ms: Vec<u64>,
    /// Microseconds an import was in flight during the measurement.
    busy_us: u64,
    mib: f64,
}

/// Side task: imports of about `mib` MiB, one after another, from `measure_from` to `end`.
async fn import_loop(
    client: Client,
    base: Arc<str>,
    token: Arc<str>,
    mib: u32,
    measure_from: Instant,
    end: Instant,
) -> ImportStats {
    let mut stats = ImportStats::default();
    tokio::time::sleep_until(measure_from).await;
    while Instant::now() < end {
        let Ok(body) = tokio::task::spawn_blocking(move || import_csv(mib)).await else {
            stats.failed += 1;
            stats
                .first_failure
                .get_or_insert("the CSV could not be built".into());
            break;
        };
        stats.mib = body.len() as f64 / (1024.0 * 1024.0);
        let t0 = Instant::now();
        let sent = client
            .post(format!("{base}/api/v1/enterprises/import"))
            .bearer_auth(&*token)
            .header("content-type", "text/csv")
            .timeout(Duration::from_secs(120))
            .body(body)
            .send()
            .await;
        let answer = match sent {
            Ok(resp) => {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                status
                    .is_success()
                    .then_some(())
                    .ok_or(format!("{status} {text:.300}"))
            }
            Err(e) => Err(error_chain(&e)),
        };
        let took = t0.elapsed();
        stats.busy_us += micros_since(t0).min(u64::try_from((end - t0).as_micros()).unwrap_or(0));
        match answer {
            Ok(()) => {
                stats.ok += 1;
                stats.durations_ms.push(took.as_millis() as u64);
            }
            Err(why) => {
                stats.failed += 1;
                stats.first_failure.get_or_insert(why);
            }
        }
    }
    stats
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() && (0.0..=10_000.0).contains(&v) {
        Ok(v)
    } else {
        Err("must be between 0 and 10000".to_string())
    }
}

/// Nearest-rank percentile of an ascending slice (`p` in 0..=100).
fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    debug_assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
    let n = sorted.len();
    let rank = (p.clamp(0.0, 100.0) / 100.0 * n as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// Microseconds as milliseconds with one decimal, `n/a` if absent.
fn fmt_ms(us: Option<u64>) -> String {
    match us {
        Some(us) => format!("{:.1}ms", us as f64 / 1000.0),
        None => "n/a".to_string(),
    }
}

/// An error with its sources, e.g. `error sending request ...: operation timed out`.
fn error_chain(e: &dyn Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn micros_since(t0: Instant) -> u64 {
    u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Refuses hosts that are not loopback, unless explicitly allowed.
fn check_base_url(base: &str, allow_non_loopback: bool) -> Result<(), BoxError> {
    let url = Url::parse(base).map_err(|e| format!("invalid --base-url {base:?}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("--base-url must be http(s), got {base:?}").into());
    }
    let host = url.host_str().ok_or("--base-url has no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback && !allow_non_loopback {
        return Err(format!(
            "refusing non-loopback host {host:?}; pass --allow-non-loopback to target it"
        )
        .into());
    }
    Ok(())
}

/// Reads VmRSS (in kB) from `/proc/PID/status`.
fn read_rss_kib(pid: u32) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or("no VmRSS line (kernel thread or zombie?)")?;
    let kib = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()?;
    Ok(kib)
}

/// `POST {base}/api/v1/auth/login`; on success returns the status and token.
async fn login(
    client: &Client,
    base: &str,
    username: &str,
    password: &str,
) -> Result<(StatusCode, Option<String>), reqwest::Error> {
    let resp = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await?;
    let status = resp.status();
    if !status.is_success() {
        resp.bytes().await?;
        return Ok((status, None));
    }
    let body: serde_json::Value = resp.json().await?;
    let token = body
        .get("access_token")
        .and_then(|t| t.as_str())
        .map(str::to_owned);
    Ok((status, token))
}

/// Signs in through the portal's form, as a browser does: `GET /login` for the form's cookie
/// and token, then `POST /login`; on success returns the status and the session cookie
/// (`name=value`), which stands in for the token.
async fn portal_login(
    client: &Client,
    base: &str,
    username: &str,
    password: &str,
) -> Result<(StatusCode, Option<String>), reqwest::Error> {
    let resp = client.get(format!("{base}/login")).send().await?;
    let form_cookie = cookie_pair(&resp, "anjian_form");
    let page = resp.text().await?;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let resp = client
        .post(format!("{base}/login"))
        .header(reqwest::header::ORIGIN, base)
        .header(reqwest::header::COOKIE, form_cookie.unwrap_or_default())
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
            ("next", ""),
        ])
        .send()
        .await?;
    let status = resp.status();
    let session = cookie_pair(&resp, "anjian_session");
    resp.bytes().await?;
    // A sign-in that passed answers 303 to the visitor's home.
    Ok(match session {
        Some(cookie) if status == StatusCode::SEE_OTHER => (StatusCode::OK, Some(cookie)),
        _ if status.is_success() || status.is_redirection() => (StatusCode::UNAUTHORIZED, None),
        _ => (status, None),
    })
}

/// The `name=value` of the response's `Set-Cookie` for `name`.
fn cookie_pair(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.split_once('=').is_some_and(|(n, _)| n.trim() == name))
        .map(str::to_owned)
}

/// `GET {base}{--page}` with the session cookie; the body is read so the connection is reused.
async fn scenario_page(
    client: &Client,
    base: &str,
    cookie: &str,
) -> Result<StatusCode, reqwest::Error> {
    let page = PAGE.get().map_or("/e/", String::as_str);
    let resp = client
        .get(format!("{base}{page}"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await?;
    let status = resp.status();
    resp.bytes().await?;
    Ok(status)
}

#[derive(Default)]
struct Stats {
    /// Latencies (µs) of 2xx responses.
    latencies_us: Vec<u64>,
    ok: u64,
    non_2xx: u64,
    errors: u64,
    first_error: Option<String>,
    first_bad_status: Option<StatusCode>,
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        self.latencies_us.extend(other.latencies_us);
        self.ok += other.ok;
        self.non_2xx += other.non_2xx;
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
        self.first_bad_status = self.first_bad_status.or(other.first_bad_status);
    }

    fn requests(&self) -> u64 {
        self.ok + self.non_2xx + self.errors
    }
}

#[derive(Default)]
struct LoginStats {
    latencies_us: Vec<u64>,
    ok: u64,
    throttled: u64,
    non_2xx: u64,
    errors: u64,
    skipped: u64,
}

/// One worker: requests back to back until `end`; records those started at
/// or after `measure_from`.
async fn worker(
    scenario: Scenario,
    client: Client,
    base: Arc<str>,
    token: Arc<str>,
    measure_from: Instant,
    end: Instant,
) -> Stats {
    let mut stats = Stats::default();
    loop {
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        let res = scenario.run_once(&client, &base, &token).await;
        let us = micros_since(t0);
        if t0 < measure_from {
            continue;
        }
        match res {
            Ok(status) if status.is_success() => {
                stats.ok += 1;
                stats.latencies_us.push(us);
            }
            Ok(status) => {
                stats.non_2xx += 1;
                stats.first_bad_status.get_or_insert(status);
            }
            Err(e) => {
                stats.errors += 1;
                if stats.first_error.is_none() {
                    stats.first_error = Some(error_chain(&e));
                }
            }
        }
    }
    stats
}

/// Side task: starts `rate` logins per second until `end`, whatever their
/// latency (at most [`MAX_LOGINS_IN_FLIGHT`] at once).
async fn login_loop(
    client: Client,
    base: Arc<str>,
    username: Arc<str>,
    password: Arc<str>,
    rate: f64,
    measure_from: Instant,
    end: Instant,
) -> LoginStats {
    let mut stats = LoginStats::default();
    let mut interval = tokio::time::interval_at(measure_from, Duration::from_secs_f64(1.0 / rate));
    interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let permits = Arc::new(Semaphore::new(MAX_LOGINS_IN_FLIGHT));
    let mut in_flight = JoinSet::new();
    // Stop at `end`, and after rate × duration starts (guards against the
    // period being rounded down, which would add one extra tick).
    let planned = (rate * (end - measure_from).as_secs_f64()).round() as u64;
    let mut started = 0u64;
    loop {
        let tick = interval.tick().await;
        if tick >= end || started >= planned {
            break;
        }
        started += 1;
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            stats.skipped += 1;
            continue;
        };
        let (client, base, username, password) = (
            client.clone(),
            Arc::clone(&base),
            Arc::clone(&username),
            Arc::clone(&password),
        );
        in_flight.spawn(async move {
            let t0 = Instant::now();
            let res = login(&client, &base, &username, &password).await;
            drop(permit);
            (res.map(|(status, _)| status), micros_since(t0))
        });
        // Reap finished logins so the set does not grow over a long run.
        while let Some(done) = in_flight.try_join_next() {
            record_login(&mut stats, done);
        }
    }
    while let Some(done) = in_flight.join_next().await {
        record_login(&mut stats, done);
    }
    stats
}

type LoginOutcome = (Result<StatusCode, reqwest::Error>, u64);

fn record_login(stats: &mut LoginStats, done: Result<LoginOutcome, tokio::task::JoinError>) {
    match done {
        Ok((Ok(status), us)) if status.is_success() => {
            stats.ok += 1;
            stats.latencies_us.push(us);
        }
        Ok((Ok(StatusCode::TOO_MANY_REQUESTS), _)) => stats.throttled += 1,
        Ok((Ok(_), _)) => stats.non_2xx += 1,
        Ok((Err(_), _)) | Err(_) => stats.errors += 1,
    }
}

/// Samples VmRSS of `pid` once a second until `end`; returns the max in kB.
async fn rss_sampler(pid: u32, end: Instant) -> Option<u64> {
    let mut max: Option<u64> = None;
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match read_rss_kib(pid) {
            Ok(kib) => max = Some(max.map_or(kib, |m| m.max(kib))),
            Err(e) => {
                eprintln!("warning: stopped sampling RSS of pid {pid}: {e}");
                break;
            }
        }
        if Instant::now() >= end {
            break;
        }
    }
    max
}

async fn run(args: Args) -> Result<(), BoxError> {
    let base: Arc<str> = Arc::from(args.base_url.trim_end_matches('/'));
    let _ = ENTERPRISES.set(args.enterprises);
    check_base_url(&base, args.allow_non_loopback)?;
    let password = std::env::var(&args.password_env).map_err(|_| {
        format!(
            "environment variable {} (named by --password-env) is not set or not UTF-8",
            args.password_env
        )
    })?;
    if let Some(pid) = args.pid {
        read_rss_kib(pid).map_err(|e| format!("cannot read VmRSS of pid {pid}: {e}"))?;
    }

    let client = Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(args.request_timeout_secs))
        .connect_timeout(Duration::from_secs(args.request_timeout_secs.min(5)))
        .pool_max_idle_per_host(usize::try_from(args.concurrency)? + MAX_LOGINS_IN_FLIGHT)
        .tcp_nodelay(true)
        .build()?;

    let _ = PAGE.set(args.page.clone());
    // The initial login is retried a few times if throttled (429).
    let mut attempt = 1;
    let (status, token) = loop {
        let signed_in = if args.scenario == Scenario::Page {
            portal_login(&client, &base, &args.username, &password).await
        } else {
            login(&client, &base, &args.username, &password).await
        };
        let (status, token) =
            signed_in.map_err(|e| format!("login request failed: {}", error_chain(&e)))?;
        if status != StatusCode::TOO_MANY_REQUESTS || attempt >= LOGIN_ATTEMPTS {
            break (status, token);
        }
        eprintln!("note: login throttled (429), retrying in 1 s");
        tokio::time::sleep(Duration::from_secs(1)).await;
        attempt += 1;
    };
    if !status.is_success() {
        return Err(format!("login failed with HTTP {status}").into());
    }
    let token: Arc<str> =
        Arc::from(token.ok_or("login answered 2xx without a string access_token")?);

    if args.scenario == Scenario::InstantApproval {
        let prepared = match args.prepared.as_deref() {
            Some(path) if path.exists() => read_prepared(path)?,
            other => {
                let prepared =
                    prepare_enterprises(&client, &base, &token, args.enterprises, 16).await?;
                if let Some(path) = other {
                    write_prepared(path, &prepared)?;
                    eprintln!(
                        "tokens written to {}; copy the database now",
                        path.display()
                    );
                    return Ok(());
                }
                prepared
            }
        };
        let _ = ENTERPRISE_TOKENS.set(prepared);
    }

    let warmup = Duration::from_secs(args.warmup_secs);
    let duration = Duration::from_secs(args.duration_secs);
    let begin = Instant::now();
    let measure_from = begin + warmup;
    let end = measure_from + duration;

    let rss = args.pid.map(|pid| tokio::spawn(rss_sampler(pid, end)));
    let logins = (args.login_rate > 0.0).then(|| {
        tokio::spawn(login_loop(
            client.clone(),
            Arc::clone(&base),
            Arc::from(args.username.as_str()),
            Arc::from(password.as_str()),
            args.login_rate,
            measure_from,
            end,
        ))
    });
    let imports = (args.import_mib > 0).then(|| {
        tokio::spawn(import_loop(
            client.clone(),
            Arc::clone(&base),
            Arc::clone(&token),
            args.import_mib,
            measure_from,
            end,
        ))
    });
    let mut workers = JoinSet::new();
    for _ in 0..args.concurrency {
        workers.spawn(worker(
            args.scenario,
            client.clone(),
            Arc::clone(&base),
            Arc::clone(&token),
            measure_from,
            end,
        ));
    }

    let mut total = Stats::default();
    while let Some(stats) = workers.join_next().await {
        total.merge(stats?);
    }
    let login_stats = match logins {
        Some(handle) => Some(handle.await?),
        None => None,
    };
    let import_stats = match imports {
        Some(handle) => Some(handle.await?),
        None => None,
    };
    let rss_max = match rss {
        Some(handle) => handle.await?,
        None => None,
    };

    total.latencies_us.sort_unstable();
    let lat = &total.latencies_us;
    let secs = duration.as_secs_f64();
    println!(
        "scenario={} concurrency={} duration={:.1}s warmup={:.1}s",
        args.scenario.name(),
        args.concurrency,
        secs,
        warmup.as_secs_f64()
    );
    println!(
        "requests={} ok={} non_2xx={} errors={}",
        total.requests(),
        total.ok,
        total.non_2xx,
        total.errors
    );
    println!("throughput={:.1} req/s", total.requests() as f64 / secs);
    println!(
        "latency p50={} p90={} p99={} max={}",
        fmt_ms(percentile(lat, 50.0)),
        fmt_ms(percentile(lat, 90.0)),
        fmt_ms(percentile(lat, 99.0)),
        fmt_ms(lat.last().copied())
    );
    if let Some(mut ls) = login_stats {
        ls.latencies_us.sort_unstable();
        let skipped = if ls.skipped > 0 {
            format!(" skipped={}", ls.skipped)
        } else {
            String::new()
        };
        println!(
            "logins={} ok={} throttled={} non_2xx={} errors={}{} p50={} p99={}",
            ls.ok + ls.throttled + ls.non_2xx + ls.errors,
            ls.ok,
            ls.throttled,
            ls.non_2xx,
            ls.errors,
            skipped,
            fmt_ms(percentile(&ls.latencies_us, 50.0)),
            fmt_ms(percentile(&ls.latencies_us, 99.0)),
        );
    }
    if let Some(mut is) = import_stats {
        is.durations_ms.sort_unstable();
        println!(
            "imports={} ok={} failed={} size={:.1}MiB took_min={}ms took_max={}ms in_flight={:.0}%",
            is.ok + is.failed,
            is.ok,
            is.failed,
            is.mib,
            is.durations_ms.first().copied().unwrap_or(0),
            is.durations_ms.last().copied().unwrap_or(0),
            100.0 * is.busy_us as f64 / duration.as_micros() as f64,
        );
        if let Some(why) = is.first_failure {
            println!("first import failure: {why}");
        }
    }
    if args.pid.is_some() {
        match rss_max {
            Some(kib) => println!("rss_max={:.1}MiB", kib as f64 / 1024.0),
            None => println!("rss_max=n/a"),
        }
    }
    if args.scenario == Scenario::InstantApproval {
        // Warm-up requests count too: they take enterprises from the pool.
        println!(
            "approved={} (of all requests, warm-up included; the rest were decided otherwise)",
            APPROVED.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    if let Some(status) = total.first_bad_status {
        eprintln!("note: first non-2xx status: {status}");
    }
    if let Some(e) = &total.first_error {
        eprintln!("note: first transport error: {e}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let start = Instant::now();
    // instant-approval prepares its enterprises first: allow for that too.
    let setup = if args.scenario == Scenario::InstantApproval {
        Duration::from_secs(60 + u64::from(args.enterprises) / 5)
    } else {
        Duration::ZERO
    };
    let deadline = start
        + Duration::from_secs(args.warmup_secs + args.duration_secs)
        + HARD_STOP_GRACE
        + setup;
    match tokio::time::timeout_at(deadline, run(args)).await {
        Ok(result) => result,
        Err(_) => {
            eprintln!(
                "error: run not finished {} s after its planned end; abandoning it",
                HARD_STOP_GRACE.as_secs()
            );
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.0), Some(1));
        assert_eq!(percentile(&v, 1.0), Some(1));
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 90.0), Some(90));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 99.5), Some(100));
        assert_eq!(percentile(&v, 100.0), Some(100));

        let v = [10, 20, 30, 40];
        assert_eq!(percentile(&v, 25.0), Some(10));
        assert_eq!(percentile(&v, 26.0), Some(20));
        assert_eq!(percentile(&v, 50.0), Some(20));
        assert_eq!(percentile(&v, 75.0), Some(30));
        assert_eq!(percentile(&v, 99.0), Some(40));
    }

    #[test]
    fn percentile_edge_cases() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7], 0.0), Some(7));
        assert_eq!(percentile(&[7], 50.0), Some(7));
        assert_eq!(percentile(&[7], 100.0), Some(7));
        assert_eq!(percentile(&[1, 1, 1, 9], 99.0), Some(9));
        // Out-of-range p is clamped rather than panicking.
        assert_eq!(percentile(&[1, 2, 3], 150.0), Some(3));
        assert_eq!(percentile(&[1, 2, 3], -5.0), Some(1));
    }

    #[test]
    fn formats_milliseconds() {
        assert_eq!(fmt_ms(Some(5_149)), "5.1ms");
        assert_eq!(fmt_ms(Some(31_000)), "31.0ms");
        assert_eq!(fmt_ms(None), "n/a");
    }

    #[test]
    fn only_loopback_by_default() {
        assert!(check_base_url("http://127.0.0.1:8080", false).is_ok());
        assert!(check_base_url("http://localhost:8080", false).is_ok());
        assert!(check_base_url("http://[::1]:8080", false).is_ok());
        assert!(check_base_url("http://10.0.0.1:8080", false).is_err());
        assert!(check_base_url("http://example.com", false).is_err());
        assert!(check_base_url("http://10.0.0.1:8080", true).is_ok());
        assert!(check_base_url("ftp://127.0.0.1", false).is_err());
    }
}
