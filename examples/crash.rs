//! Crash test: `kill -9` of the real server under a mixed write load, then proof that every
//! write answered 2xx survived and none answered 4xx was kept (SPEC 6, "Durability").
//!
//! ```text
//! cargo build && cargo run --example crash -- --kills 20 --seed 1
//! cargo run --example crash -- --kills 20 --seed 1 \
//!     --database-url postgres://postgres@127.0.0.1:5432/test
//! ```
//!
//! * It starts the binary given by `--binary` (default `debug/anjian` under `CARGO_TARGET_DIR`,
//!   else under this crate's `target/`) as `anjian serve` on `127.0.0.1` on a free port, with
//!   the environment an operator gives it: `ANJIAN_ENV=production`, three fresh random secrets
//!   (passed in the child's environment only, never printed), JSON logs, generous rates.
//! * The database: `--database-url`, default a fresh SQLite file in a temporary folder. For a
//!   PostgreSQL URL it creates a fresh schema there (`crash_<random>`), points the server at it
//!   with `?options=-c search_path=…` and drops it at the end.
//! * Accounts come from the command line as an operator makes them: `anjian migrate`, then
//!   `anjian user create … --password-stdin` for an admin and an inspector (so the server has no
//!   admin to bootstrap and prints no password), then, once the admin has created the
//!   enterprises through the API, one enterprise account each. Passwords are random and go only
//!   to the child's standard input and to the login requests.
//! * Load, from concurrent tasks: each enterprise files its two training filings and its
//!   emergency plan and applies for the hazchem licence (`submit: true`, decided at once); an
//!   inspector records hazards and penalties and pays unpaid penalties; the public files
//!   reports; a handler walks them assign → start → conclude (substantiated) → reward; and a
//!   refuser sends writes that must be refused (an enterprise with an unknown district, 422; one
//!   with a taken credit code, 409; a second payment of a paid penalty, 409), each carrying a
//!   unique marker (the enterprise name, or the refused payment date).
//! * `--kills N` times, after a random 0.3–2 s of load (seeded by `--seed`), the server gets
//!   SIGKILL and is started again exactly as before (no migrate, no repair, nothing else). After
//!   every restart it checks every write answered 2xx so far: read back by id (applications,
//!   hazards, penalties, reports, rewards, enterprises) and each report once by its receipt; a
//!   transition answered 2xx must show its state or a later one. No refused write may exist
//!   (the markers are searched for), and `GET /api/v1/audit/verify` must be `ok`. A write whose
//!   answer was lost (sent, then the connection broke) is counted as `unknown` and not checked
//!   either way; one whose connection was refused (sent between the kill and the load's stop)
//!   was never delivered and is counted as `not_sent`.
//! * Output (stdout): the figures; exit status 1 on any loss, phantom, failed verify, failed
//!   check or unexpected answer, 2 if the run does not finish within `--max-secs`. The server's
//!   own logs go to `server.log` in the run's temporary folder, kept (and named) on failure.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use clap::Parser;
use diesel::Connection as _;
use diesel::connection::SimpleConnection as _;
use futures_util::StreamExt as _;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use reqwest::{Client, StatusCode, Url};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio::time::Instant;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser, Debug)]
#[command(
    about = "kill -9 the anjian server under write load and prove nothing answered 2xx is lost"
)]
struct Args {
    /// The server binary (default: debug/anjian under CARGO_TARGET_DIR or this crate's target/).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Database: `sqlite://PATH`, or a PostgreSQL URL (a fresh schema is made there and dropped).
    /// Default: a fresh SQLite file in a temporary folder.
    #[arg(long)]
    database_url: Option<String>,
    /// How many times the server is killed (and started again).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    kills: u32,
    /// Seeds the moments of the kills and the load's choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Enterprises applying for licences (one load task each).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=64))]
    enterprises: u32,
    /// Shortest load before a kill, in milliseconds.
    #[arg(long, default_value_t = 300)]
    min_gap_ms: u64,
    /// Longest load before a kill, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    max_gap_ms: u64,
    /// How long a start may take before it counts as failed, in seconds.
    #[arg(long, default_value_t = 60)]
    start_timeout_secs: u64,
    /// The whole run is abandoned (exit status 2) after this many seconds.
    #[arg(long, default_value_t = 1800)]
    max_secs: u64,
    /// Allow a PostgreSQL host that is not a loopback address.
    #[arg(long)]
    allow_non_loopback: bool,
}

// ---------------------------------------------------------------------------------------------
// The server process

/// Everything the server is started with (the same every time).
struct ServerSpec {
    binary: PathBuf,
    dir: PathBuf,
    env: Vec<(&'static str, String)>,
    port: u16,
    start_timeout: Duration,
}

impl ServerSpec {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.current_dir(&self.dir).env_clear().args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs a CLI command with `stdin` on its standard input; returns its standard output.
    fn cli(&self, args: &[&str], stdin: &str) -> Result<String, BoxError> {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.binary.display()))?;
        child
            .stdin
            .take()
            .ok_or("no stdin")?
            .write_all(stdin.as_bytes())?;
        let out = child.wait_with_output()?;
        if !out.status.success() {
            return Err(format!(
                "`anjian {}` failed: {}",
                args.first().copied().unwrap_or_default(),
                String::from_utf8_lossy(&out.stderr).trim()
            )
            .into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts `anjian serve` and waits until it logs that it is serving and `/readyz` is 200.
    async fn start(&self, log: &Arc<Mutex<std::fs::File>>) -> Result<Server, BoxError> {
        let began = Instant::now();
        let mut child = self
            .command(&["serve"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = std::sync::mpsc::channel::<Result<u64, String>>();
        let warnings = Arc::new(AtomicU64::new(0));
        {
            let log = Arc::clone(log);
            let warnings = Arc::clone(&warnings);
            std::thread::spawn(move || {
                let mut serving = false;
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Ok(mut f) = log.lock() {
                        let _ = writeln!(f, "{line}");
                    }
                    if serving {
                        continue;
                    }
                    if let Ok(v) = serde_json::from_str::<Value>(&line) {
                        if matches!(v["level"].as_str(), Some("WARN" | "ERROR")) {
                            warnings.fetch_add(1, Ordering::Relaxed);
                        }
                        if v["fields"]["message"] == "anjian is serving"
                            || v["message"] == "anjian is serving"
                        {
                            serving = true;
                            let port = v["fields"]["port"].as_u64().or(v["port"].as_u64());
                            let _ = tx.send(port.ok_or_else(|| "no port in the log".to_owned()));
                        }
                    }
                }
            });
        }
        {
            let log = Arc::clone(log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Ok(mut f) = log.lock() {
                        let _ = writeln!(f, "stderr: {line}");
                    }
                }
            });
        }
        let mut server = Server { child: Some(child) };
        let timeout = self.start_timeout;
        let port = tokio::task::spawn_blocking(move || rx.recv_timeout(timeout)).await?;
        let port = match port {
            Ok(Ok(port)) => port,
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => {
                let status = server
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten());
                return Err(match status {
                    Some(s) => format!("the server exited while starting ({s})"),
                    None => format!("the server did not start within {timeout:?}"),
                }
                .into());
            }
        };
        if port != u64::from(self.port) {
            return Err(format!("the server listens on {port}, not on {}", self.port).into());
        }
        let client = client()?;
        let ready = format!("http://127.0.0.1:{}/readyz", self.port);
        loop {
            if let Ok(r) = client.get(&ready).send().await
                && r.status() == StatusCode::OK
            {
                break;
            }
            if began.elapsed() > timeout {
                return Err("/readyz did not answer 200".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        STARTS.fetch_add(1, Ordering::Relaxed);
        START_WARNINGS.fetch_add(warnings.load(Ordering::Relaxed), Ordering::Relaxed);
        let ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX);
        START_MAX_MS.fetch_max(ms, Ordering::Relaxed);
        Ok(server)
    }
}

static STARTS: AtomicU64 = AtomicU64::new(0);
static START_WARNINGS: AtomicU64 = AtomicU64::new(0);
static START_MAX_MS: AtomicU64 = AtomicU64::new(0);

/// A running server; killed (SIGKILL) when dropped.
struct Server {
    child: Option<Child>,
}

impl Server {
    /// `kill -9` and reap it.
    fn kill9(&mut self) -> Result<(), BoxError> {
        if let Some(mut child) = self.child.take() {
            // std's Child::kill sends SIGKILL on Unix.
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.kill9();
    }
}

fn client() -> Result<Client, reqwest::Error> {
    Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(5))
        .build()
}

// ---------------------------------------------------------------------------------------------
// What was answered

/// A write answered 2xx, and what must be read back.
#[derive(Clone, Debug)]
enum Ack {
    Enterprise(i64),
    Application { id: i64, ent: usize, status: String },
    Hazard(i64),
    Reward(i64),
}

#[derive(Clone, Debug)]
struct ReportTrack {
    id: i64,
    receipt: String,
    /// The latest state answered 2xx: 0 received, 1 assigned, 2 investigating,
    /// 3 substantiated, 4 rewarded.
    min_rank: u8,
    /// A step's answer was lost: read the state before the next step.
    uncertain: bool,
    busy: bool,
    receipt_checked: bool,
}

#[derive(Clone, Debug)]
struct PenaltyTrack {
    id: i64,
    /// The payment date answered 200.
    paid_on: Option<&'static str>,
    /// A payment whose answer was lost: its date is not checked.
    pay_unknown: bool,
    /// A second payment answered 409: this date must never be stored.
    refused_pay: Option<&'static str>,
    busy: bool,
}

#[derive(Default)]
struct Ledger {
    acks: Vec<Ack>,
    reports: Vec<ReportTrack>,
    penalties: Vec<PenaltyTrack>,
    acknowledged: u64,
    refused: u64,
    unknown: u64,
    /// Writes whose connection was refused (sent while the server was down): never made.
    not_sent: u64,
    /// Answers that were neither what the write deserved nor a transport error.
    unexpected: u64,
    unexpected_samples: Vec<String>,
}

impl Ledger {
    /// Counts a write without an answer; true when its outcome is unknown.
    fn lost(&mut self, lost: Lost) -> bool {
        match lost {
            Lost::NotSent => self.not_sent += 1,
            Lost::Unknown => self.unknown += 1,
        }
        lost == Lost::Unknown
    }

    fn unexpected(&mut self, what: &str, status: StatusCode, body: &str) {
        self.unexpected += 1;
        if self.unexpected_samples.len() < 5 {
            let body: String = body.chars().take(300).collect();
            self.unexpected_samples
                .push(format!("{what}: {status} {body}"));
        }
    }
}

/// What every load task shares.
struct Ctx {
    base: String,
    client: Client,
    admin: String,
    inspector: String,
    inspector_id: i64,
    enterprises: Arc<Vec<Enterprise>>,
    /// Enterprises the inspector works on (not the applicants, whose rules read hazards).
    targets: Vec<i64>,
    run: String,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    counter: Arc<AtomicU64>,
}

struct Enterprise {
    code: String,
    token: String,
    tag: String,
}

impl Ctx {
    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Why a write has no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lost {
    /// The connection was refused (the server was down): nothing was delivered.
    NotSent,
    /// Sent, but the answer was lost: the write may or may not have been made.
    Unknown,
}

/// One write: the status and the JSON body, or why there is none.
async fn send(req: reqwest::RequestBuilder) -> Result<(StatusCode, Value, String), Lost> {
    let lost = |e: reqwest::Error| {
        if e.is_connect() {
            Lost::NotSent
        } else {
            Lost::Unknown
        }
    };
    let resp = req.send().await.map_err(lost)?;
    let status = resp.status();
    // The request was delivered: a failure from here on is an unknown outcome.
    let text = resp.text().await.map_err(|_| Lost::Unknown)?;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok((status, body, text))
}

// ---------------------------------------------------------------------------------------------
// The load

fn training(role: &str, cert_no: String) -> Value {
    json!({"person_role": role, "person_name": "张三", "cert_no": cert_no,
           "issued_on": "2025-01-01", "expires_on": "2035-01-01"})
}

fn hazchem_form(tag: &str) -> Value {
    json!({
        "premises_address": "黄岛区前湾港路88号",
        "premises_area_m2": 120.5,
        "principal_cert_no": format!("CRP-{tag}"),
        "safety_manager_cert_no": format!("CRS-{tag}"),
        "chemicals": [{"name": "乙醇", "cas_no": "64-17-5"}, {"name": "硫酸", "cas_no": "7664-93-9"}],
        "includes_highly_toxic": false,
        "includes_explosive_precursors": false
    })
}

/// An enterprise files its prerequisites and applies for its licence, over and over (once
/// licensed, the rules reject the duplicates: still a decision written and answered 201).
async fn enterprise_loop(ctx: Arc<Ctx>, ent: usize, mut rng: StdRng) {
    let e = &ctx.enterprises[ent];
    while !ctx.stop.load(Ordering::Relaxed) {
        let (permit_type, form) = match rng.gen_range(0..10) {
            0..=1 => (
                "safety_training_filing",
                training("principal", format!("CRP-{}", e.tag)),
            ),
            2..=3 => (
                "safety_training_filing",
                training("safety_manager", format!("CRS-{}", e.tag)),
            ),
            4 => (
                "emergency_plan_filing",
                json!({"plan_name": "生产安全事故综合应急预案", "approved_on": "2026-01-10",
                       "next_drill_on": "2026-09-01"}),
            ),
            _ => ("hazchem_business_no_storage", hazchem_form(&e.tag)),
        };
        let req = ctx
            .client
            .post(ctx.url("/api/v1/applications"))
            .bearer_auth(&e.token)
            .json(
                &json!({"permit_type": permit_type, "form": form, "submit": true,
                          "commitment_accepted": true}),
            );
        let answer = send(req).await;
        let mut l = ctx.ledger();
        match answer {
            Err(lost) => {
                l.lost(lost);
            }
            Ok((StatusCode::CREATED, body, text)) => {
                match (body["id"].as_i64(), body["status"].as_str()) {
                    (Some(id), Some(status)) => {
                        l.acknowledged += 1;
                        l.acks.push(Ack::Application {
                            id,
                            ent,
                            status: status.to_owned(),
                        });
                    }
                    _ => l.unexpected("application", StatusCode::CREATED, &text),
                }
            }
            Ok((status, _, text)) => l.unexpected("application", status, &text),
        }
    }
}

/// The inspector records hazards and penalties and pays unpaid penalties; each paid one is
/// then paid again on another date, which must be refused (409) and never stored.
async fn inspector_loop(ctx: Arc<Ctx>, mut rng: StdRng) {
    while !ctx.stop.load(Ordering::Relaxed) {
        let target = ctx.targets[rng.gen_range(0..ctx.targets.len())];
        match rng.gen_range(0..10) {
            0..=4 => {
                let req = ctx
                    .client
                    .post(ctx.url("/api/v1/hazards"))
                    .bearer_auth(&ctx.inspector)
                    .json(&json!({"enterprise_id": target, "description": "消防通道堵塞",
                                  "level": "general", "category": "fire", "deadline": "2030-12-31"}));
                let answer = send(req).await;
                let mut l = ctx.ledger();
                match answer {
                    Err(lost) => {
                        l.lost(lost);
                    }
                    Ok((StatusCode::CREATED, body, text)) => match body["id"].as_i64() {
                        Some(id) => {
                            l.acknowledged += 1;
                            l.acks.push(Ack::Hazard(id));
                        }
                        None => l.unexpected("hazard", StatusCode::CREATED, &text),
                    },
                    Ok((status, _, text)) => l.unexpected("hazard", status, &text),
                }
            }
            5..=7 => {
                let n = ctx.next();
                let req = ctx
                    .client
                    .post(ctx.url("/api/v1/penalties"))
                    .bearer_auth(&ctx.inspector)
                    .json(&json!({"enterprise_id": target,
                                  "decision_no": format!("青应急罚〔{}〕{n}号", ctx.run),
                                  "violation": "未消除事故隐患", "legal_basis": "安全生产法第一百零二条",
                                  "fine_fen": 5_000_000, "decided_on": "2026-03-01"}));
                let answer = send(req).await;
                let mut l = ctx.ledger();
                match answer {
                    Err(lost) => {
                        l.lost(lost);
                    }
                    Ok((StatusCode::CREATED, body, text)) => match body["id"].as_i64() {
                        Some(id) => {
                            l.acknowledged += 1;
                            l.penalties.push(PenaltyTrack {
                                id,
                                paid_on: None,
                                pay_unknown: false,
                                refused_pay: None,
                                busy: false,
                            });
                        }
                        None => l.unexpected("penalty", StatusCode::CREATED, &text),
                    },
                    Ok((status, _, text)) => l.unexpected("penalty", status, &text),
                }
            }
            _ => pay_one(&ctx).await,
        }
    }
}

const PAID_ON: &str = "2026-03-10";
const REFUSED_PAID_ON: &str = "2026-03-11";

async fn pay_one(ctx: &Ctx) {
    let picked = {
        let mut l = ctx.ledger();
        l.penalties
            .iter_mut()
            .find(|p| p.paid_on.is_none() && !p.pay_unknown && !p.busy)
            .map(|p| {
                p.busy = true;
                p.id
            })
    };
    let Some(id) = picked else { return };
    let pay = |date: &str| {
        ctx.client
            .post(ctx.url(&format!("/api/v1/penalties/{id}/pay")))
            .bearer_auth(&ctx.inspector)
            .json(&json!({"paid_on": date}))
    };
    let first = send(pay(PAID_ON)).await;
    let paid = {
        let mut l = ctx.ledger();
        // (paid, may have been paid): an unanswered payment is never paid again nor checked.
        let (ok, maybe) = match first {
            Err(lost) => (false, l.lost(lost)),
            Ok((StatusCode::OK, _, _)) => {
                l.acknowledged += 1;
                (true, true)
            }
            Ok((status, _, text)) => {
                l.unexpected("penalty payment", status, &text);
                (false, true)
            }
        };
        if let Some(p) = l.penalties.iter_mut().find(|p| p.id == id) {
            p.paid_on = ok.then_some(PAID_ON);
            p.pay_unknown = maybe && !ok;
            // Still busy while paid: the second payment follows.
            p.busy = ok;
        }
        ok
    };
    if !paid {
        return;
    }
    let second = send(pay(REFUSED_PAID_ON)).await;
    let mut l = ctx.ledger();
    let refused = match second {
        Err(lost) => {
            l.lost(lost);
            false
        }
        Ok((status, _, _)) if status == StatusCode::CONFLICT => {
            l.refused += 1;
            true
        }
        Ok((status, _, text)) => {
            l.unexpected("second payment", status, &text);
            false
        }
    };
    if let Some(p) = l.penalties.iter_mut().find(|p| p.id == id) {
        p.busy = false;
        if refused {
            p.refused_pay = Some(REFUSED_PAID_ON);
        }
    }
}

/// The public files reports (no account).
async fn public_loop(ctx: Arc<Ctx>) {
    while !ctx.stop.load(Ordering::Relaxed) {
        let req = ctx
            .client
            .post(ctx.url("/api/v1/public/reports"))
            .json(&json!({
                "industry": "construction", "category": "general_hazard",
                "enterprise_name": "青岛某建筑工程有限公司", "district": "licang",
                "location": "李沧区九水东路工地", "occurred_on": "2026-05-30",
                "description": "深基坑开挖超过五米未按专项方案支护，周边已出现裂缝，工人仍在坑底作业。",
                "is_employee": false
            }));
        let answer = send(req).await;
        let mut l = ctx.ledger();
        match answer {
            Err(lost) => {
                l.lost(lost);
            }
            Ok((StatusCode::CREATED, body, text)) => {
                let tracking = body["tracking_number"].as_str().unwrap_or_default();
                // JB + the filing date (8 digits) + the id.
                let id = tracking.get(10..).and_then(|s| s.parse::<i64>().ok());
                match (id, body["receipt"].as_str()) {
                    (Some(id), Some(receipt)) => {
                        l.acknowledged += 1;
                        l.reports.push(ReportTrack {
                            id,
                            receipt: receipt.to_owned(),
                            min_rank: 0,
                            uncertain: false,
                            busy: false,
                            receipt_checked: false,
                        });
                    }
                    _ => l.unexpected("report", StatusCode::CREATED, &text),
                }
            }
            Ok((status, _, text)) => l.unexpected("report", status, &text),
        }
    }
}

fn report_rank(detail: &Value) -> Option<u8> {
    if !detail["reward"].is_null() {
        return Some(4);
    }
    status_rank(detail["status"].as_str()?)
}

fn status_rank(status: &str) -> Option<u8> {
    Some(match status {
        "received" => 0,
        "assigned" => 1,
        "investigating" => 2,
        "substantiated" | "unsubstantiated" | "duplicate" => 3,
        _ => return None,
    })
}

/// Staff walk the reports: assign, start, conclude (substantiated), reward.
async fn handler_loop(ctx: Arc<Ctx>) {
    while !ctx.stop.load(Ordering::Relaxed) {
        let picked = {
            let mut l = ctx.ledger();
            l.reports
                .iter_mut()
                .find(|r| r.min_rank < 4 && !r.busy)
                .map(|r| {
                    r.busy = true;
                    (r.id, r.min_rank, r.uncertain)
                })
        };
        let Some((id, mut rank, uncertain)) = picked else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        if uncertain {
            // A step's answer was lost: it may or may not have been kept.
            let read = send(
                ctx.client
                    .get(ctx.url(&format!("/api/v1/reports/{id}")))
                    .bearer_auth(&ctx.inspector),
            )
            .await;
            let mut l = ctx.ledger();
            let Some(r) = l.reports.iter_mut().find(|r| r.id == id) else {
                continue;
            };
            r.busy = false;
            if let Ok((StatusCode::OK, body, _)) = read
                && let Some(now) = report_rank(&body)
            {
                r.uncertain = false;
                // Never lower: a lower state here is a loss, for the check to find.
                r.min_rank = r.min_rank.max(now);
            }
            continue;
        }
        let (req, expect) = match rank {
            0 => (
                ctx.client
                    .post(ctx.url(&format!("/api/v1/reports/{id}/assign")))
                    .bearer_auth(&ctx.inspector)
                    .json(&json!({"inspector_id": ctx.inspector_id})),
                StatusCode::OK,
            ),
            1 => (
                ctx.client
                    .post(ctx.url(&format!("/api/v1/reports/{id}/start")))
                    .bearer_auth(&ctx.inspector)
                    .json(&json!({})),
                StatusCode::OK,
            ),
            2 => (
                ctx.client
                    .post(ctx.url(&format!("/api/v1/reports/{id}/conclude")))
                    .bearer_auth(&ctx.inspector)
                    .json(&json!({"outcome": "substantiated", "findings": "现场核查属实，已责令整改。"})),
                StatusCode::OK,
            ),
            _ => (
                ctx.client
                    .post(ctx.url(&format!("/api/v1/reports/{id}/reward")))
                    .bearer_auth(&ctx.admin)
                    .json(&json!({})),
                StatusCode::CREATED,
            ),
        };
        let answer = send(req).await;
        let mut l = ctx.ledger();
        let mut reward = None;
        let mut lost = false;
        match answer {
            Err(e) => lost = l.lost(e),
            Ok((status, body, text)) if status == expect => {
                l.acknowledged += 1;
                rank += 1;
                if rank == 4 {
                    match body["id"].as_i64() {
                        Some(rid) => reward = Some(rid),
                        None => l.unexpected("reward", status, &text),
                    }
                }
            }
            Ok((status, _, text)) => l.unexpected("report step", status, &text),
        }
        if let Some(rid) = reward {
            l.acks.push(Ack::Reward(rid));
        }
        if let Some(r) = l.reports.iter_mut().find(|r| r.id == id) {
            r.busy = false;
            r.min_rank = r.min_rank.max(rank);
            r.uncertain = lost;
        }
    }
}

/// Writes that must be refused, each with its marker in the enterprise's name.
async fn refuser_loop(ctx: Arc<Ctx>, mut rng: StdRng) {
    while !ctx.stop.load(Ordering::Relaxed) {
        let n = ctx.next();
        let marker = format!("{}-{n:08}x", refused_prefix(&ctx.run));
        let taken = rng.gen_bool(0.5);
        let (code, district, expect) = if taken {
            let e = &ctx.enterprises[rng.gen_range(0..ctx.enterprises.len())];
            (e.code.clone(), "huangdao", StatusCode::CONFLICT)
        } else {
            (
                credit_code(&ctx.run, 900_000 + n),
                "atlantis",
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        };
        let req = ctx
            .client
            .post(ctx.url("/api/v1/enterprises"))
            .bearer_auth(&ctx.admin)
            .json(&enterprise_body(&code, &marker, district));
        let answer = send(req).await;
        {
            let mut l = ctx.ledger();
            match answer {
                Err(lost) => {
                    l.lost(lost);
                }
                Ok((status, _, _)) if status == expect => l.refused += 1,
                Ok((status, _, text)) => l.unexpected("refused enterprise", status, &text),
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(10..60))).await;
    }
}

fn refused_prefix(run: &str) -> String {
    format!("crash-refused-{run}")
}

fn enterprise_body(code: &str, name: &str, district: &str) -> Value {
    json!({"credit_code": code, "name": name, "industry": "hazardous_chemicals",
           "district": district, "address": "黄岛区前湾港路88号", "legal_representative": "王建国",
           "safety_director": "李安全", "employee_count": 20})
}

/// A valid credit code, distinct per run and `n`.
fn credit_code(run: &str, n: u64) -> String {
    let digits: String = run.chars().filter(char::is_ascii_digit).take(6).collect();
    let base = format!("9137{digits:0>6}{:07}", n % 10_000_000);
    anjian::enterprises::credit_code::with_check_digit(&base).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The checks

#[derive(Default, Debug)]
struct Findings {
    reads: u64,
    losses: u64,
    phantoms: u64,
    check_errors: u64,
    verify_ok: bool,
    samples: Vec<String>,
}

impl Findings {
    fn note(&mut self, what: String) {
        if self.samples.len() < 10 {
            self.samples.push(what);
        }
    }
}

enum Read {
    Found(Value),
    Missing,
    Failed(String),
}

async fn read(client: &Client, url: String, token: Option<&str>, body: Option<Value>) -> Read {
    let mut req = match &body {
        Some(b) => client.post(&url).json(b),
        None => client.get(&url),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    match send(req).await {
        Ok((StatusCode::OK, v, _)) => Read::Found(v),
        Ok((StatusCode::NOT_FOUND, _, _)) => Read::Missing,
        Ok((status, _, text)) => Read::Failed(format!(
            "{status} {}",
            text.chars().take(200).collect::<String>()
        )),
        Err(_) => Read::Failed("transport error".into()),
    }
}

/// One thing to read back and how to judge it.
enum Check {
    Ack(Ack),
    Report(ReportTrack, bool),
    Penalty(PenaltyTrack),
}

/// `Ok(())`, a loss or phantom (`Err(true, …)`), or a failed read (`Err(false, …)`).
async fn check_one(ctx: &Ctx, check: Check) -> Result<(), (bool, String)> {
    let c = &ctx.client;
    let found = |r: Read, what: String| match r {
        Read::Found(v) => Ok(v),
        Read::Missing => Err((true, format!("lost: {what} is not there"))),
        Read::Failed(e) => Err((false, format!("reading {what}: {e}"))),
    };
    match check {
        Check::Ack(Ack::Enterprise(id)) => {
            let url = ctx.url(&format!("/api/v1/enterprises/{id}"));
            found(
                read(c, url, Some(&ctx.admin), None).await,
                format!("enterprise {id}"),
            )?;
        }
        Check::Ack(Ack::Hazard(id)) => {
            let url = ctx.url(&format!("/api/v1/hazards/{id}"));
            found(
                read(c, url, Some(&ctx.inspector), None).await,
                format!("hazard {id}"),
            )?;
        }
        Check::Ack(Ack::Reward(id)) => {
            let url = ctx.url(&format!("/api/v1/rewards/{id}"));
            found(
                read(c, url, Some(&ctx.admin), None).await,
                format!("reward {id}"),
            )?;
        }
        Check::Ack(Ack::Application { id, ent, status }) => {
            let url = ctx.url(&format!("/api/v1/applications/{id}"));
            let token = &ctx.enterprises[ent].token;
            let v = found(
                read(c, url, Some(token), None).await,
                format!("application {id}"),
            )?;
            if v["status"].as_str() != Some(status.as_str()) {
                return Err((
                    true,
                    format!(
                        "lost: application {id} is {} (answered {status})",
                        v["status"]
                    ),
                ));
            }
        }
        Check::Penalty(p) => {
            let url = ctx.url(&format!("/api/v1/penalties/{}", p.id));
            let v = found(
                read(c, url, Some(&ctx.inspector), None).await,
                format!("penalty {}", p.id),
            )?;
            let stored = v["paid_on"].as_str();
            if let Some(refused) = p.refused_pay
                && stored == Some(refused)
            {
                return Err((
                    true,
                    format!("phantom: penalty {} paid on the refused date", p.id),
                ));
            }
            if let Some(paid) = p.paid_on
                && stored != Some(paid)
            {
                return Err((
                    true,
                    format!(
                        "lost: penalty {} paid_on {:?} (answered {paid})",
                        p.id, stored
                    ),
                ));
            }
        }
        Check::Report(r, by_receipt) => {
            let url = ctx.url(&format!("/api/v1/reports/{}", r.id));
            let v = found(
                read(c, url, Some(&ctx.inspector), None).await,
                format!("report {}", r.id),
            )?;
            let rank = report_rank(&v).unwrap_or(0);
            if rank < r.min_rank {
                return Err((
                    true,
                    format!(
                        "lost: report {} at step {rank} (answered {})",
                        r.id, r.min_rank
                    ),
                ));
            }
            if by_receipt {
                let url = ctx.url("/api/v1/public/reports/lookup");
                let body = json!({"receipt": r.receipt});
                let v = found(
                    read(c, url, None, Some(body)).await,
                    format!("report {} by its receipt", r.id),
                )?;
                let rank = if v["reward"].is_null() {
                    v["status"].as_str().and_then(status_rank).unwrap_or(0)
                } else {
                    4
                };
                if rank < r.min_rank {
                    return Err((
                        true,
                        format!("lost: report {} by receipt at step {rank}", r.id),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Reads back everything answered so far.
async fn check_all(ctx: &Ctx) -> Findings {
    let (acks, reports, penalties) = {
        let l = ctx.ledger();
        (l.acks.clone(), l.reports.clone(), l.penalties.clone())
    };
    let mut checks: Vec<Check> = acks.into_iter().map(Check::Ack).collect();
    let mut receipt_ids = Vec::new();
    for r in reports {
        let by_receipt = !r.receipt_checked;
        if by_receipt {
            receipt_ids.push(r.id);
        }
        checks.push(Check::Report(r, by_receipt));
    }
    checks.extend(penalties.into_iter().map(Check::Penalty));
    let mut f = Findings {
        reads: checks.len() as u64 + receipt_ids.len() as u64,
        ..Findings::default()
    };
    let results: Vec<_> = futures_util::stream::iter(checks)
        .map(|c| check_one(ctx, c))
        .buffer_unordered(8)
        .collect()
        .await;
    for r in results {
        match r {
            Ok(()) => {}
            Err((true, what)) => {
                if what.starts_with("phantom") {
                    f.phantoms += 1;
                } else {
                    f.losses += 1;
                }
                f.note(what);
            }
            Err((false, what)) => {
                f.check_errors += 1;
                f.note(what);
            }
        }
    }
    {
        let mut l = ctx.ledger();
        for r in l.reports.iter_mut() {
            if receipt_ids.contains(&r.id) {
                r.receipt_checked = true;
            }
        }
    }
    // No refused enterprise exists: one search for the markers' common prefix.
    let url = ctx.url(&format!(
        "/api/v1/enterprises?q={}&limit=200",
        refused_prefix(&ctx.run)
    ));
    f.reads += 1;
    match read(&ctx.client, url, Some(&ctx.admin), None).await {
        Read::Found(v) => {
            for e in v["items"].as_array().into_iter().flatten() {
                f.phantoms += 1;
                f.note(format!("phantom: refused enterprise {} exists", e["name"]));
            }
        }
        Read::Missing => f.check_errors += 1,
        Read::Failed(e) => {
            f.check_errors += 1;
            f.note(format!("searching the markers: {e}"));
        }
    }
    f.reads += 1;
    match read(
        &ctx.client,
        ctx.url("/api/v1/audit/verify"),
        Some(&ctx.admin),
        None,
    )
    .await
    {
        Read::Found(v) => {
            f.verify_ok = v["ok"] == true;
            if !f.verify_ok {
                f.note(format!("audit verify: {v}"));
            }
        }
        Read::Missing => f.check_errors += 1,
        Read::Failed(e) => {
            f.check_errors += 1;
            f.note(format!("audit verify: {e}"));
        }
    }
    f
}

// ---------------------------------------------------------------------------------------------
// Setting up

fn random_secret(bytes: usize) -> Vec<u8> {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// `PostgreSQL`: a fresh schema, dropped when this is dropped.
struct PgSchema {
    base_url: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        match diesel::PgConnection::establish(&self.base_url) {
            Ok(mut conn) => {
                if let Err(e) =
                    conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))
                {
                    eprintln!("warning: could not drop schema {}: {e}", self.schema);
                }
            }
            Err(e) => eprintln!("warning: could not drop schema {}: {e}", self.schema),
        }
    }
}

fn check_db_host(url: &str, allow_non_loopback: bool) -> Result<(), BoxError> {
    let parsed = Url::parse(url).map_err(|e| format!("--database-url is not a URL: {e}"))?;
    let host = parsed.host_str().unwrap_or("localhost");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.starts_with('/')
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback && !allow_non_loopback {
        return Err(format!(
            "refusing non-loopback database host {host:?}; pass --allow-non-loopback"
        )
        .into());
    }
    Ok(())
}

fn default_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("debug").join("anjian")
}

fn free_port() -> Result<u16, BoxError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn login(
    client: &Client,
    base: &str,
    username: &str,
    password: &str,
) -> Result<(String, i64), BoxError> {
    let (status, body, _) = send(
        client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password})),
    )
    .await
    .map_err(|_| "login: no answer")?;
    match (
        status,
        body["access_token"].as_str(),
        body["user"]["id"].as_i64(),
    ) {
        (StatusCode::OK, Some(token), Some(id)) => Ok((token.to_owned(), id)),
        _ => Err(format!("login of {username} failed: {status}").into()),
    }
}

fn user_create(
    spec: &ServerSpec,
    username: &str,
    role: &str,
    enterprise: Option<i64>,
    password: &str,
) -> Result<(), BoxError> {
    let id = enterprise.map(|e| e.to_string());
    let mut args = vec!["user", "create", "--username", username, "--role", role];
    if let Some(id) = id.as_deref() {
        args.extend(["--enterprise-id", id]);
    }
    args.push("--password-stdin");
    spec.cli(&args, &format!("{password}\n"))?;
    Ok(())
}

async fn run(args: Args) -> Result<bool, BoxError> {
    if args.min_gap_ms > args.max_gap_ms {
        return Err("--min-gap-ms is above --max-gap-ms".into());
    }
    let binary = args.binary.clone().unwrap_or_else(default_binary);
    if !binary.exists() {
        return Err(format!(
            "no binary at {} (run `cargo build` first)",
            binary.display()
        )
        .into());
    }
    let dir = tempfile::Builder::new().prefix("anjian-crash-").tempdir()?;
    let run_id = format!(
        "{}{:06}",
        args.seed % 1000,
        rand::random::<u32>() % 1_000_000
    );
    let (database_url, backend, _schema) = match args.database_url.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            check_db_host(url, args.allow_non_loopback)?;
            let schema = format!("crash_{}", hex::encode(random_secret(8)));
            let mut conn = diesel::PgConnection::establish(url)
                .map_err(|e| format!("cannot reach PostgreSQL: {e}"))?;
            conn.batch_execute(&format!("CREATE SCHEMA {schema}"))?;
            let sep = if url.contains('?') { '&' } else { '?' };
            let with_path = format!("{url}{sep}options=-c%20search_path%3D{schema}");
            let guard = PgSchema {
                base_url: url.to_owned(),
                schema,
            };
            (with_path, "postgres", Some(guard))
        }
        Some(url) => (url.to_owned(), "sqlite", None),
        None => (
            format!("sqlite://{}", dir.path().join("crash.db").display()),
            "sqlite",
            None,
        ),
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let port = free_port()?;
    let spec = ServerSpec {
        binary,
        dir: dir.path().to_owned(),
        env: vec![
            ("DATABASE_URL", database_url),
            ("ANJIAN_ENV", "production".into()),
            ("ANJIAN_BIND", format!("127.0.0.1:{port}")),
            ("ANJIAN_JWT_SECRET", hex::encode(random_secret(32))),
            ("ANJIAN_DATA_KEY", b64.encode(random_secret(32))),
            ("ANJIAN_SIGNING_KEY", b64.encode(random_secret(32))),
            ("ANJIAN_LOG_FORMAT", "json".into()),
            ("RUST_LOG", "info".into()),
            ("ANJIAN_DB_TIMEOUT_SECS", "30".into()),
            ("ANJIAN_LOGIN_RATE", "100000/min".into()),
            ("ANJIAN_REPORT_RATE", "100000/min".into()),
            ("ANJIAN_RECEIPT_RATE", "100000/min".into()),
        ],
        port,
        start_timeout: Duration::from_secs(args.start_timeout_secs),
    };
    let log_path = dir.path().join("server.log");
    let log = Arc::new(Mutex::new(std::fs::File::create(&log_path)?));

    // The operator's first steps: migrate, then the accounts, from the command line.
    let password = format!("crash-{}", hex::encode(random_secret(12)));
    spec.cli(&["migrate"], "")?;
    user_create(&spec, "crash.admin", "admin", None, &password)?;
    user_create(&spec, "crash.inspector", "inspector", None, &password)?;
    let mut server = spec.start(&log).await?;
    let base = format!("http://127.0.0.1:{port}");
    let setup = client()?;
    let (admin, _) = login(&setup, &base, "crash.admin", &password).await?;
    let (inspector, inspector_id) = login(&setup, &base, "crash.inspector", &password).await?;
    let mut acks = Vec::new();
    let mut enterprises = Vec::new();
    let mut targets = Vec::new();
    for i in 0..u64::from(args.enterprises) + 2 {
        let code = credit_code(&run_id, i);
        let applicant = i < u64::from(args.enterprises);
        let mut body = enterprise_body(&code, &format!("崩溃测试企业{run_id}-{i}"), "huangdao");
        if !applicant {
            body["industry"] = json!("gas");
        }
        let (status, v, text) = send(
            setup
                .post(format!("{base}/api/v1/enterprises"))
                .bearer_auth(&admin)
                .json(&body),
        )
        .await
        .map_err(|_| "creating an enterprise: no answer")?;
        let id = match (status, v["id"].as_i64()) {
            (StatusCode::CREATED, Some(id)) => id,
            _ => return Err(format!("creating an enterprise: {status} {text}").into()),
        };
        acks.push(Ack::Enterprise(id));
        if applicant {
            let username = format!("crash.ent{i}");
            user_create(&spec, &username, "enterprise", Some(id), &password)?;
            let (token, _) = login(&setup, &base, &username, &password).await?;
            enterprises.push(Enterprise {
                code,
                token,
                tag: format!("{run_id}-{i}"),
            });
        } else {
            targets.push(id);
        }
    }
    let ledger = Arc::new(Mutex::new(Ledger {
        acknowledged: acks.len() as u64,
        acks,
        ..Ledger::default()
    }));
    let counter = Arc::new(AtomicU64::new(0));
    let mut rng = StdRng::seed_from_u64(args.seed);
    println!(
        "backend={backend} kills={} seed={} enterprises={} binary={} log={}",
        args.kills,
        args.seed,
        enterprises.len(),
        spec.binary.display(),
        log_path.display()
    );
    let enterprises = Arc::new(enterprises);
    let mut totals = Findings {
        verify_ok: true,
        ..Findings::default()
    };
    let mut verified = 0u32;
    let mut kills = 0u32;
    let started = Instant::now();
    for round in 1..=args.kills {
        // A fresh client each round: no pooled connection to a dead server.
        let ctx = Arc::new(Ctx {
            base: base.clone(),
            client: client()?,
            admin: admin.clone(),
            inspector: inspector.clone(),
            inspector_id,
            enterprises: Arc::clone(&enterprises),
            targets: targets.clone(),
            run: run_id.clone(),
            ledger: Arc::clone(&ledger),
            stop: Arc::new(AtomicBool::new(false)),
            counter: Arc::clone(&counter),
        });
        let mut tasks = JoinSet::new();
        for ent in 0..ctx.enterprises.len() {
            tasks.spawn(enterprise_loop(
                Arc::clone(&ctx),
                ent,
                StdRng::seed_from_u64(rng.r#gen()),
            ));
        }
        tasks.spawn(inspector_loop(
            Arc::clone(&ctx),
            StdRng::seed_from_u64(rng.r#gen()),
        ));
        tasks.spawn(public_loop(Arc::clone(&ctx)));
        tasks.spawn(handler_loop(Arc::clone(&ctx)));
        tasks.spawn(refuser_loop(
            Arc::clone(&ctx),
            StdRng::seed_from_u64(rng.r#gen()),
        ));
        let gap = rng.gen_range(args.min_gap_ms..=args.max_gap_ms);
        tokio::time::sleep(Duration::from_millis(gap)).await;
        server.kill9()?;
        kills += 1;
        ctx.stop.store(true, Ordering::Relaxed);
        while let Some(done) = tasks.join_next().await {
            done?;
        }
        // Started again exactly as before: nothing else runs in between.
        server = spec.start(&log).await?;
        let f = check_all(&ctx).await;
        if f.verify_ok {
            verified += 1;
        }
        let bad = f.losses + f.phantoms + f.check_errors > 0 || !f.verify_ok;
        {
            let l = ctx.ledger();
            eprintln!(
                "round {round}/{}: killed after {gap} ms; acknowledged={} refused={} unknown={} \
                 reads={} losses={} phantoms={} verify={}",
                args.kills,
                l.acknowledged,
                l.refused,
                l.unknown,
                f.reads,
                f.losses,
                f.phantoms,
                if f.verify_ok { "ok" } else { "FAILED" }
            );
        }
        for s in &f.samples {
            eprintln!("  {s}");
        }
        totals.reads += f.reads;
        totals.losses += f.losses;
        totals.phantoms += f.phantoms;
        totals.check_errors += f.check_errors;
        totals.verify_ok &= f.verify_ok;
        if bad {
            break;
        }
    }
    server.kill9()?;
    let l = ledger.lock().unwrap_or_else(|p| p.into_inner());
    let restarts = STARTS.load(Ordering::Relaxed).saturating_sub(1);
    println!(
        "writes acknowledged={} refused={} unknown={} not_sent={} unexpected={}",
        l.acknowledged, l.refused, l.unknown, l.not_sent, l.unexpected
    );
    println!(
        "kills={kills} restarts={restarts} start_max={:.1}s start_warnings={} elapsed={:.0}s",
        START_MAX_MS.load(Ordering::Relaxed) as f64 / 1000.0,
        START_WARNINGS.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    println!(
        "reads={} losses={} phantoms={} check_errors={} verify_ok={verified}/{kills}",
        totals.reads, totals.losses, totals.phantoms, totals.check_errors
    );
    for s in &l.unexpected_samples {
        eprintln!("unexpected: {s}");
    }
    let ok = totals.losses == 0
        && totals.phantoms == 0
        && totals.check_errors == 0
        && totals.verify_ok
        && l.unexpected == 0
        && verified == kills;
    println!("result={}", if ok { "ok" } else { "FAILED" });
    if !ok {
        let kept = dir.keep();
        eprintln!(
            "the server's log is kept in {}",
            kept.join("server.log").display()
        );
    }
    Ok(ok)
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let max = Duration::from_secs(args.max_secs);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(async move { tokio::time::timeout(max, run(args)).await });
    match outcome {
        Ok(Ok(true)) => std::process::ExitCode::SUCCESS,
        Ok(Ok(false)) => std::process::ExitCode::from(1),
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(1)
        }
        Err(_) => {
            eprintln!("error: the run did not finish in time; abandoned");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_ranks_follow_the_handling_order() {
        assert_eq!(
            report_rank(&json!({"status": "received", "reward": null})),
            Some(0)
        );
        assert_eq!(
            report_rank(&json!({"status": "investigating", "reward": null})),
            Some(2)
        );
        assert_eq!(
            report_rank(&json!({"status": "substantiated", "reward": {"id": 1}})),
            Some(4)
        );
        assert_eq!(report_rank(&json!({"status": "nonsense"})), None);
    }

    #[test]
    fn credit_codes_are_valid_and_distinct() {
        let a = credit_code("1123456", 1);
        let b = credit_code("1123456", 2);
        assert_eq!(a.len(), 18);
        assert_ne!(a, b);
    }

    #[test]
    fn only_loopback_databases_by_default() {
        assert!(check_db_host("postgres://postgres@127.0.0.1:5432/test", false).is_ok());
        assert!(check_db_host("postgres://postgres@localhost/test", false).is_ok());
        assert!(check_db_host("postgres://postgres@10.1.2.3/test", false).is_err());
        assert!(check_db_host("postgres://postgres@10.1.2.3/test", true).is_ok());
    }
}
