//! Races, proved (issue 18, item 3): for every state-transition family, `ROUNDS` rounds of
//! `RACERS` concurrent conflicting requests through the real server. In each round exactly one
//! request wins; the others get their documented answer (409 `invalid_transition` unless a
//! test says otherwise); the stored record is the winner's (read back); the record's audit
//! chain holds exactly the winner's events; and at the end `GET /api/v1/audit/verify` is `ok`.
//! The families, the losers' answers and the timings are in `docs/RELIABILITY.md`, "Races".
//!
//! The racers of a round are sent together (`join_all` over one request each, on their own
//! connections), so they reach the server before any is answered; each round's subject is
//! prepared fresh, with the users, tokens and enterprises of the test reused.

use std::time::Instant;

use anjian::auth::Role;
use chrono::Duration;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

const ROUNDS: usize = 100;
const RACERS: usize = 8;

/// One racer's answer.
struct Answer {
    status: u16,
    problem_json: bool,
    body: Value,
}

/// Sends one request per `(token, body)` to `path`, all at once, and returns the answers in
/// the same order.
async fn fire(
    app: &TestApp,
    method: Method,
    path: &str,
    shots: Vec<(Option<String>, Value)>,
) -> Vec<Answer> {
    join_all(shots.into_iter().map(|(token, body)| {
        let method = method.clone();
        async move {
            let res = app
                .request(method, path, token.as_deref(), Some(&body))
                .await;
            let status = res.status().as_u16();
            let problem_json = res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| ct.starts_with("application/problem+json"));
            let body = res.json().await.unwrap_or(Value::Null);
            Answer {
                status,
                problem_json,
                body,
            }
        }
    }))
    .await
}

/// Asserts that exactly one answer has status `win` and every other is the problem
/// `lose` (status, code); returns the winner's index.
fn one_winner(answers: &[Answer], win: u16, lose: (u16, &str), round: usize) -> usize {
    let winners: Vec<usize> = (0..answers.len())
        .filter(|&i| answers[i].status == win)
        .collect();
    let seen: Vec<(u16, &Value)> = answers
        .iter()
        .map(|a| (a.status, &a.body["code"]))
        .collect();
    assert_eq!(winners.len(), 1, "round {round}: one winner: {seen:?}");
    for (i, a) in answers.iter().enumerate() {
        if i != winners[0] {
            assert_eq!(
                (a.status, a.body["code"].as_str(), a.problem_json),
                (lose.0, Some(lose.1), true),
                "round {round}: loser {i}: {}",
                a.body
            );
        }
    }
    winners[0]
}

/// The actions of one record's audit chain, oldest first (every page).
async fn actions(app: &TestApp, aggregate: &str, id: i64) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(
                &format!(
                    "/api/v1/audit?aggregate_type={aggregate}&aggregate_id={id}&limit=200{cursor}"
                ),
                Some(&app.admin_token),
            )
            .await;
        out.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["action"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    out.reverse();
    out
}

/// Asserts the record's chain is exactly `expected` (oldest first).
async fn assert_chain(app: &TestApp, aggregate: &str, id: i64, expected: &[&str], round: usize) {
    assert_eq!(
        actions(app, aggregate, id).await,
        expected,
        "round {round}: the {aggregate} {id}'s audit chain"
    );
}

/// The trail verifies, and the family's time is printed for `docs/RELIABILITY.md`.
async fn finish(app: &TestApp, family: &str, started: Instant) {
    let verify = app
        .get_json("/api/v1/audit/verify", Some(&app.admin_token))
        .await;
    assert_eq!(verify["ok"], true, "{verify}");
    assert_eq!(verify["broken"], json!([]));
    eprintln!(
        "races: {family}: {ROUNDS} rounds x {RACERS} requests in {:.1} s ({})",
        started.elapsed().as_secs_f64(),
        if app.state.db.url().is_postgres() {
            "postgresql"
        } else {
            "sqlite"
        }
    );
}

/// `POST` expecting `status`; the JSON answer.
async fn post_ok(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: &Value,
    status: u16,
) -> Value {
    let res = app.post(path, token, body).await;
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "POST {path}: {body}");
    body
}

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id: {v}"))
}

/// `n` accounts of `role` with their ids and tokens.
async fn accounts(app: &TestApp, role: Role, n: usize) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let token = app.quick_token_for(role, None).await;
        let me = app.get_json("/api/v1/auth/me", Some(&token)).await;
        out.push((me["id"].as_i64().unwrap(), token));
    }
    out
}

/// The same token for every racer.
fn same(token: &str, body: Value) -> Vec<(Option<String>, Value)> {
    (0..RACERS)
        .map(|_| (Some(token.to_owned()), body.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Permits (SPEC 2.2)

fn emergency_plan() -> Value {
    json!({"plan_name": "生产安全事故综合应急预案", "approved_on": "2026-01-10", "next_drill_on": "2026-09-01"})
}

/// Eight submissions of one draft filing, half with the commitment and half without: the
/// winner's decides it (`filed` or `rejected` by `commitment_accepted`).
#[tokio::test]
async fn application_submit_has_one_winner_per_draft() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let ent = app.enterprise("hazardous_chemicals", "shinan").await;
    let token = app.quick_token_for(Role::Enterprise, Some(ent)).await;
    for round in 0..ROUNDS {
        let draft = post_ok(
            &app,
            "/api/v1/applications",
            Some(&token),
            &json!({"permit_type": "emergency_plan_filing", "form": emergency_plan()}),
            201,
        )
        .await;
        let id = id_of(&draft);
        let path = format!("/api/v1/applications/{id}/submit");
        let shots = (0..RACERS)
            .map(|i| {
                (
                    Some(token.clone()),
                    json!({"commitment_accepted": i.is_multiple_of(2)}),
                )
            })
            .collect();
        let answers = fire(&app, Method::POST, &path, shots).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        let expected = if w.is_multiple_of(2) {
            "filed"
        } else {
            "rejected"
        };
        assert_eq!(answers[w].body["status"], expected, "round {round}");
        let stored = app
            .get_json(&format!("/api/v1/applications/{id}"), Some(&token))
            .await;
        assert_eq!(stored["status"], expected);
        assert_eq!(stored["rule_results"], answers[w].body["rule_results"]);
        assert_chain(
            &app,
            "application",
            id,
            &["created", "submitted", expected],
            round,
        )
        .await;
    }
    finish(&app, "application submit", started).await;
}

/// Eight withdrawals of one draft.
#[tokio::test]
async fn application_withdraw_has_one_winner_per_draft() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let ent = app.enterprise("hazardous_chemicals", "shinan").await;
    let token = app.quick_token_for(Role::Enterprise, Some(ent)).await;
    for round in 0..ROUNDS {
        let draft = post_ok(
            &app,
            "/api/v1/applications",
            Some(&token),
            &json!({"permit_type": "emergency_plan_filing", "form": emergency_plan()}),
            201,
        )
        .await;
        let id = id_of(&draft);
        let path = format!("/api/v1/applications/{id}/withdraw");
        let answers = fire(&app, Method::POST, &path, same(&token, json!({}))).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        assert_eq!(answers[w].body["status"], "withdrawn");
        let stored = app
            .get_json(&format!("/api/v1/applications/{id}"), Some(&token))
            .await;
        assert_eq!(stored["status"], "withdrawn");
        assert_chain(&app, "application", id, &["created", "withdrawn"], round).await;
    }
    finish(&app, "application withdraw", started).await;
}

/// Eight reviewers decide one application on the review path, four approving and four
/// rejecting, each with its own reason: the stored decision, reason and reviewer are the
/// winner's, and a certificate exists only if the winner approved.
#[tokio::test]
async fn application_decision_has_one_winner_and_the_stored_decision_is_its() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let ent = app.enterprise("non_coal_mining", "pingdu").await;
    let token = app.quick_token_for(Role::Enterprise, Some(ent)).await;
    let reviewers = accounts(&app, Role::Reviewer, RACERS).await;
    let form = json!({"mine_name": "金岭石材矿", "mine_address": "平度市大泽山镇", "mineral": "花岗岩",
                      "mining_method": "open_pit", "annual_capacity_t": 300000,
                      "principal_cert_no": "AQP-m", "safety_manager_cert_no": "AQS-m"});
    let mut certificates = 0;
    for round in 0..ROUNDS {
        let submitted = post_ok(
            &app,
            "/api/v1/applications",
            Some(&token),
            &json!({"permit_type": "non_coal_mine_safety", "form": form, "submit": true,
                    "commitment_accepted": true}),
            201,
        )
        .await;
        assert_eq!(submitted["status"], "under_review", "{submitted}");
        let id = id_of(&submitted);
        let path = format!("/api/v1/applications/{id}/decision");
        let shots = reviewers
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                let decision = if i.is_multiple_of(2) { "approve" } else { "reject" };
                (
                    Some(t.clone()),
                    json!({"decision": decision, "reason": format!("第{round}轮审查意见，审查员{i}")}),
                )
            })
            .collect();
        let answers = fire(&app, Method::POST, &path, shots).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        let expected = if w.is_multiple_of(2) {
            "approved"
        } else {
            "rejected"
        };
        let stored = app
            .get_json(&format!("/api/v1/applications/{id}"), Some(&token))
            .await;
        assert_eq!(
            (
                stored["status"].as_str(),
                stored["decision_reason"].as_str(),
                stored["decided_by"].as_i64()
            ),
            (
                Some(expected),
                Some(format!("第{round}轮审查意见，审查员{w}").as_str()),
                Some(reviewers[w].0)
            ),
            "round {round}"
        );
        assert_eq!(stored["certificate_id"].is_i64(), expected == "approved");
        certificates += usize::from(expected == "approved");
        assert_chain(
            &app,
            "application",
            id,
            &["created", "submitted", "queued_for_review", expected],
            round,
        )
        .await;
    }
    let issued = app
        .get_json("/api/v1/certificates?limit=200", Some(&token))
        .await;
    assert_eq!(issued["items"].as_array().unwrap().len(), certificates);
    finish(&app, "application decision", started).await;
}

// ---------------------------------------------------------------------------------------------
// Enforcement (SPEC 4): hazards, orders, penalties

async fn open_hazard(app: &TestApp, inspector: &str, ent: i64) -> i64 {
    id_of(
        &post_ok(
            app,
            "/api/v1/hazards",
            Some(inspector),
            &json!({"enterprise_id": ent, "description": "消防通道堵塞", "level": "general",
                    "category": "fire", "deadline": "2026-06-30"}),
            201,
        )
        .await,
    )
}

async fn rectified_hazard(app: &TestApp, inspector: &str, ent: i64) -> i64 {
    let id = open_hazard(app, inspector, ent).await;
    post_ok(
        app,
        &format!("/api/v1/hazards/{id}/rectification"),
        Some(inspector),
        &json!({"measures": "已清理通道", "completed_on": "2026-06-01"}),
        200,
    )
    .await;
    id
}

/// Eight rectification reports of one open hazard, each with its own measures.
#[tokio::test]
async fn hazard_rectification_has_one_winner_and_the_stored_measures_are_its() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let ent = app.enterprise("gas", "shinan").await;
    let inspectors = accounts(&app, Role::Inspector, RACERS).await;
    for round in 0..ROUNDS {
        let id = open_hazard(&app, &inspectors[0].1, ent).await;
        let shots = inspectors
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                (
                    Some(t.clone()),
                    json!({"measures": format!("第{round}轮整改措施{i}"), "completed_on": "2026-06-01"}),
                )
            })
            .collect();
        let path = format!("/api/v1/hazards/{id}/rectification");
        let answers = fire(&app, Method::POST, &path, shots).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        let stored = app
            .get_json(&format!("/api/v1/hazards/{id}"), Some(&app.admin_token))
            .await;
        assert_eq!(stored["status"], "rectified");
        assert_eq!(
            stored["rectification"]["measures"],
            format!("第{round}轮整改措施{w}"),
            "round {round}"
        );
        assert_chain(
            &app,
            "hazard",
            id,
            &["found", "rectification_reported"],
            round,
        )
        .await;
    }
    finish(&app, "hazard rectify", started).await;
}

/// Eight inspectors verify one rectified hazard: the stored verifier is the winner.
#[tokio::test]
async fn hazard_verification_has_one_winner_and_the_stored_verifier_is_it() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let ent = app.enterprise("gas", "shinan").await;
    let inspectors = accounts(&app, Role::Inspector, RACERS).await;
    for round in 0..ROUNDS {
        let id = rectified_hazard(&app, &inspectors[0].1, ent).await;
        let shots = inspectors
            .iter()
            .enumerate()
            .map(|(i, (_, t))| (Some(t.clone()), json!({"note": format!("验收{i}")})))
            .collect();
        let path = format!("/api/v1/hazards/{id}/verify");
        let answers = fire(&app, Method::POST, &path, shots).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        let stored = app
            .get_json(&format!("/api/v1/hazards/{id}"), Some(&app.admin_token))
            .await;
        assert_eq!(
            (stored["status"].as_str(), stored["verified_by"].as_i64()),
            (Some("verified"), Some(inspectors[w].0)),
            "round {round}"
        );
        assert_chain(
            &app,
            "hazard",
            id,
            &["found", "rectification_reported", "verified"],
            round,
        )
        .await;
    }
    finish(&app, "hazard verify", started).await;
}

/// Eight inspectors reject one rectified hazard, each with its own reason.
#[tokio::test]
async fn hazard_rejection_has_one_winner_and_the_stored_reason_is_its() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let ent = app.enterprise("gas", "shinan").await;
    let inspectors = accounts(&app, Role::Inspector, RACERS).await;
    for round in 0..ROUNDS {
        let id = rectified_hazard(&app, &inspectors[0].1, ent).await;
        let shots = inspectors
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                (
                    Some(t.clone()),
                    json!({"reason": format!("第{round}轮退回理由{i}")}),
                )
            })
            .collect();
        let path = format!("/api/v1/hazards/{id}/reject");
        let answers = fire(&app, Method::POST, &path, shots).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        let stored = app
            .get_json(&format!("/api/v1/hazards/{id}"), Some(&app.admin_token))
            .await;
        assert_eq!(
            (stored["status"].as_str(), stored["reject_reason"].as_str()),
            (
                Some("open"),
                Some(format!("第{round}轮退回理由{w}").as_str())
            ),
            "round {round}"
        );
        assert_chain(
            &app,
            "hazard",
            id,
            &["found", "rectification_reported", "rejected"],
            round,
        )
        .await;
    }
    finish(&app, "hazard reject", started).await;
}

/// Eight lifts of one order in force, each with its own note: the enterprise is suspended by
/// each order and operating again after its one lift.
#[tokio::test]
async fn order_lift_has_one_winner_and_the_stored_note_is_its() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let ent = app.enterprise("construction", "licang").await;
    let inspectors = accounts(&app, Role::Inspector, RACERS).await;
    for round in 0..ROUNDS {
        let order = post_ok(
            &app,
            "/api/v1/orders",
            Some(&inspectors[0].1),
            &json!({"enterprise_id": ent, "kind": "stop_construction", "reason": "深基坑未支护",
                    "issued_on": "2026-05-25"}),
            201,
        )
        .await;
        let id = id_of(&order);
        let shots = inspectors
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                (
                    Some(t.clone()),
                    json!({"lifted_on": "2026-06-01", "note": format!("第{round}轮复工意见{i}")}),
                )
            })
            .collect();
        let path = format!("/api/v1/orders/{id}/lift");
        let answers = fire(&app, Method::POST, &path, shots).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        let stored = app
            .get_json(&format!("/api/v1/orders/{id}"), Some(&app.admin_token))
            .await;
        assert_eq!(
            (stored["in_force"].as_bool(), stored["lift_note"].as_str()),
            (
                Some(false),
                Some(format!("第{round}轮复工意见{w}").as_str())
            ),
            "round {round}"
        );
        assert_chain(&app, "order", id, &["issued", "lifted"], round).await;
    }
    let e = app
        .get_json(
            &format!("/api/v1/enterprises/{ent}"),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(e["status"], "operating");
    let moves = actions(&app, "enterprise", ent).await;
    assert_eq!(
        moves.iter().filter(|a| *a == "status_changed").count(),
        2 * ROUNDS,
        "suspended and operating again once per round: {moves:?}"
    );
    finish(&app, "order lift", started).await;
}

/// Eight payments of one fine, each on its own day: the stored `paid_on` is the winner's.
#[tokio::test]
async fn penalty_payment_has_one_winner_and_the_stored_day_is_its() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let ent = app.enterprise("gas", "shinan").await;
    let inspectors = accounts(&app, Role::Inspector, RACERS).await;
    for round in 0..ROUNDS {
        let penalty = post_ok(
            &app,
            "/api/v1/penalties",
            Some(&inspectors[0].1),
            &json!({"enterprise_id": ent, "decision_no": format!("青应急罚〔2026〕{round}号"),
                    "violation": "未消除隐患", "legal_basis": "安全生产法第一百零二条",
                    "fine_fen": 5_000_000, "decided_on": "2026-05-20"}),
            201,
        )
        .await;
        let id = id_of(&penalty);
        let shots = inspectors
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                (
                    Some(t.clone()),
                    json!({"paid_on": format!("2026-05-{}", 21 + i)}),
                )
            })
            .collect();
        let path = format!("/api/v1/penalties/{id}/pay");
        let answers = fire(&app, Method::POST, &path, shots).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        let stored = app
            .get_json(&format!("/api/v1/penalties/{id}"), Some(&app.admin_token))
            .await;
        assert_eq!(
            stored["paid_on"],
            format!("2026-05-{}", 21 + w),
            "round {round}"
        );
        assert_chain(&app, "penalty", id, &["decided", "paid"], round).await;
    }
    finish(&app, "penalty pay", started).await;
}

// ---------------------------------------------------------------------------------------------
// Campaigns (SPEC 4): the task board

/// Eight inspectors mark one task done, each with its own note: the task is completed once,
/// and its note is the winner's (a done task is not completed again: 409).
#[tokio::test]
async fn task_completion_has_one_winner_and_the_stored_note_is_its() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let inspectors = accounts(&app, Role::Inspector, RACERS).await;
    let campaign = id_of(
        &post_ok(
            &app,
            "/api/v1/campaigns",
            Some(&app.admin_token),
            &json!({"name": "燃气安全专项整治", "starts_on": "2026-05-01", "ends_on": "2026-12-31",
                    "industries": ["gas"], "description": "全市燃气企业"}),
            201,
        )
        .await,
    );
    for round in 0..ROUNDS {
        let task = post_ok(
            &app,
            &format!("/api/v1/campaigns/{campaign}/tasks"),
            Some(&app.admin_token),
            &json!({"title": format!("任务{round}"), "responsible_unit": "危化处",
                    "deadline": "2026-09-30"}),
            201,
        )
        .await;
        let id = id_of(&task);
        let shots = inspectors
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                (
                    Some(t.clone()),
                    json!({"status": "done", "progress_note": format!("第{round}轮完成情况{i}")}),
                )
            })
            .collect();
        let path = format!("/api/v1/tasks/{id}");
        let answers = fire(&app, Method::PATCH, &path, shots).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        let board = app
            .get_json(
                &format!("/api/v1/campaigns/{campaign}/tasks?limit=1"),
                Some(&app.admin_token),
            )
            .await;
        let stored = &board["items"][0];
        assert_eq!(stored["id"], id);
        assert_eq!(
            (
                stored["status"].as_str(),
                stored["progress_note"].as_str(),
                &stored["completed_at"]
            ),
            (
                Some("done"),
                Some(format!("第{round}轮完成情况{w}").as_str()),
                &answers[w].body["completed_at"]
            ),
            "round {round}"
        );
        assert_chain(&app, "key_task", id, &["created", "status_changed"], round).await;
    }
    finish(&app, "task update", started).await;
}

// ---------------------------------------------------------------------------------------------
// Negative lists (SPEC 3)

/// Eight publications of one draft, each with its own `effective_from`: the current version
/// is the winner's, the previous one superseded once.
#[tokio::test]
async fn list_publication_has_one_winner_and_the_stored_effective_from_is_its() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let ent = app.enterprise("hazardous_chemicals", "shinan").await;
    let token = app.quick_token_for(Role::Enterprise, Some(ent)).await;
    let mut previous: Option<i64> = None;
    for round in 0..ROUNDS {
        // Each version governs from strictly later than the one before.
        app.clock.advance(Duration::minutes(1));
        let from = if previous.is_some() {
            "current"
        } else {
            "template"
        };
        let draft = post_ok(
            &app,
            "/api/v1/negative-lists",
            Some(&token),
            &json!({"from": from}),
            201,
        )
        .await;
        let id = id_of(&draft);
        let now = app.clock.now();
        let instant = |i: usize| {
            (now - Duration::seconds(i as i64)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        };
        let shots = (0..RACERS)
            .map(|i| (Some(token.clone()), json!({"effective_from": instant(i)})))
            .collect();
        let path = format!("/api/v1/negative-lists/{id}/publish");
        let answers = fire(&app, Method::POST, &path, shots).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        let current = app
            .get_json(
                &format!("/api/v1/enterprises/{ent}/negative-list"),
                Some(&token),
            )
            .await;
        assert_eq!(
            (current["id"].as_i64(), current["effective_from"].as_str()),
            (Some(id), Some(instant(w).as_str())),
            "round {round}"
        );
        assert_chain(&app, "negative_list", id, &["created", "published"], round).await;
        if let Some(p) = previous {
            assert_chain(
                &app,
                "negative_list",
                p,
                &["created", "published", "superseded"],
                round,
            )
            .await;
        }
        previous = Some(id);
    }
    finish(&app, "negative-list publish", started).await;
}

// ---------------------------------------------------------------------------------------------
// Whistleblower reports and rewards (SPEC 5)

struct Filed {
    id: i64,
    receipt: String,
}

async fn file_report(app: &TestApp) -> Filed {
    let v = post_ok(
        app,
        "/api/v1/public/reports",
        None,
        &json!({"industry": "construction", "category": "general_hazard", "district": "licang",
                "description": "深基坑开挖超过五米未按专项方案支护，周边已出现裂缝，工人仍在坑底作业。",
                "is_employee": false}),
        201,
    )
    .await;
    let tracking = v["tracking_number"].as_str().unwrap();
    Filed {
        id: tracking[10..].parse().unwrap(),
        receipt: v["receipt"].as_str().unwrap().to_owned(),
    }
}

/// The report's handling up to `step` (0 filed, 1 assigned, 2 investigating, 3 substantiated,
/// 4 rewarded, 5 claimed), by the first inspector; the reward's id from step 4.
async fn report_at(app: &TestApp, inspector: &(i64, String), step: usize) -> (Filed, Option<i64>) {
    let filed = file_report(app).await;
    let base = format!("/api/v1/reports/{}", filed.id);
    let t = Some(inspector.1.as_str());
    if step >= 1 {
        post_ok(
            app,
            &format!("{base}/assign"),
            t,
            &json!({"inspector_id": inspector.0}),
            200,
        )
        .await;
    }
    if step >= 2 {
        post_ok(app, &format!("{base}/start"), t, &json!({}), 200).await;
    }
    if step >= 3 {
        post_ok(
            app,
            &format!("{base}/conclude"),
            t,
            &json!({"outcome": "substantiated", "findings": "现场核查属实，已责令整改。"}),
            200,
        )
        .await;
    }
    let mut reward = None;
    if step >= 4 {
        let r = post_ok(
            app,
            &format!("{base}/reward"),
            Some(&app.admin_token),
            &json!({}),
            201,
        )
        .await;
        reward = Some(id_of(&r));
    }
    if step >= 5 {
        post_ok(
            app,
            "/api/v1/public/reports/claim",
            None,
            &json!({"receipt": filed.receipt, "payee": {"name": "张三", "phone": "13900000000",
                    "bank_account": "6222000011112222"}}),
            200,
        )
        .await;
    }
    (filed, reward)
}

/// Eight assignments of one received report to eight inspectors. Reassigning an `assigned`
/// report is allowed (docs/API.md), so this family's documented answer is not a 409: every
/// request is answered 200 naming its own assignee, the writer applies them one after another,
/// and the stored assignee is the one of the last `assigned` event of the chain, which holds
/// exactly eight.
#[tokio::test]
async fn report_assignments_are_applied_one_after_another_and_the_last_one_stands() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let inspectors = accounts(&app, Role::Inspector, RACERS).await;
    for round in 0..ROUNDS {
        let (filed, _) = report_at(&app, &inspectors[0], 0).await;
        let id = filed.id;
        let shots = (0..RACERS)
            .map(|i| {
                (
                    Some(inspectors[i].1.clone()),
                    json!({"inspector_id": inspectors[(i + round) % RACERS].0}),
                )
            })
            .collect();
        let path = format!("/api/v1/reports/{id}/assign");
        let answers = fire(&app, Method::POST, &path, shots).await;
        for (i, a) in answers.iter().enumerate() {
            assert_eq!(a.status, 200, "round {round}: {}", a.body);
            assert_eq!(
                a.body["assignee_id"].as_i64(),
                Some(inspectors[(i + round) % RACERS].0),
                "round {round}: each answer names its own assignee"
            );
        }
        let trail = app
            .get_json(
                &format!("/api/v1/audit?aggregate_type=report&aggregate_id={id}&limit=1"),
                Some(&app.admin_token),
            )
            .await;
        let last = &trail["items"][0];
        assert_eq!(last["action"], "assigned");
        let stored = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.admin_token))
            .await;
        assert_eq!(
            (stored["status"].as_str(), stored["assignee_id"].as_i64()),
            (Some("assigned"), last["payload"]["inspector_id"].as_i64()),
            "round {round}"
        );
        let mut expected = vec!["filed"];
        expected.extend([("assigned"); RACERS]);
        assert_chain(&app, "report", id, &expected, round).await;
    }
    finish(&app, "report assign", started).await;
}

/// Eight starts of one assigned report.
#[tokio::test]
async fn report_start_has_one_winner() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let inspectors = accounts(&app, Role::Inspector, RACERS).await;
    for round in 0..ROUNDS {
        let (filed, _) = report_at(&app, &inspectors[0], 1).await;
        let id = filed.id;
        let shots = inspectors
            .iter()
            .map(|(_, t)| (Some(t.clone()), json!({})))
            .collect();
        let path = format!("/api/v1/reports/{id}/start");
        let answers = fire(&app, Method::POST, &path, shots).await;
        one_winner(&answers, 200, (409, "invalid_transition"), round);
        let stored = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.admin_token))
            .await;
        assert_eq!(stored["status"], "investigating");
        assert_chain(
            &app,
            "report",
            id,
            &["filed", "assigned", "investigation_started"],
            round,
        )
        .await;
    }
    finish(&app, "report start", started).await;
}

/// Eight conclusions of one investigation, half substantiated and half not, each with its own
/// findings: the stored outcome and findings are the winner's.
#[tokio::test]
async fn report_conclusion_has_one_winner_and_the_stored_outcome_is_its() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let inspectors = accounts(&app, Role::Inspector, RACERS).await;
    for round in 0..ROUNDS {
        let (filed, _) = report_at(&app, &inspectors[0], 2).await;
        let id = filed.id;
        let outcome = |i: usize| {
            if i.is_multiple_of(2) {
                "substantiated"
            } else {
                "unsubstantiated"
            }
        };
        let shots = inspectors
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                (
                    Some(t.clone()),
                    json!({"outcome": outcome(i), "findings": format!("第{round}轮调查结论{i}")}),
                )
            })
            .collect();
        let path = format!("/api/v1/reports/{id}/conclude");
        let answers = fire(&app, Method::POST, &path, shots).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        let stored = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.admin_token))
            .await;
        assert_eq!(
            (stored["status"].as_str(), stored["findings"].as_str()),
            (
                Some(outcome(w)),
                Some(format!("第{round}轮调查结论{w}").as_str())
            ),
            "round {round}"
        );
        assert_chain(
            &app,
            "report",
            id,
            &["filed", "assigned", "investigation_started", "concluded"],
            round,
        )
        .await;
    }
    finish(&app, "report conclude", started).await;
}

/// Eight decisions of one report's reward, each with its own (overridden) amount: one reward,
/// of the winner's amount. The losers get 409 `conflict` ("the report already has a reward"),
/// as docs/API.md says of a second reward.
#[tokio::test]
async fn reward_decision_has_one_winner_and_the_stored_amount_is_its() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let inspectors = accounts(&app, Role::Inspector, 1).await;
    let admins = accounts(&app, Role::Admin, RACERS).await;
    for round in 0..ROUNDS {
        let (filed, _) = report_at(&app, &inspectors[0], 3).await;
        let id = filed.id;
        let amount = |i: usize| 60_000 + 1_000 * i as i64;
        let shots = admins
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                (
                    Some(t.clone()),
                    json!({"amount_fen": amount(i), "override_reason": format!("第{round}轮核定金额{i}号意见")}),
                )
            })
            .collect();
        let path = format!("/api/v1/reports/{id}/reward");
        let answers = fire(&app, Method::POST, &path, shots).await;
        let w = one_winner(&answers, 201, (409, "conflict"), round);
        let reward = id_of(&answers[w].body);
        let stored = app
            .get_json(&format!("/api/v1/rewards/{reward}"), Some(&app.admin_token))
            .await;
        assert_eq!(
            (stored["amount_fen"].as_i64(), stored["status"].as_str()),
            (Some(amount(w)), Some("decided")),
            "round {round}"
        );
        let report = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.admin_token))
            .await;
        assert_eq!(report["reward"]["id"], reward);
        assert_chain(&app, "reward", reward, &["decided"], round).await;
        assert_chain(
            &app,
            "report",
            id,
            &[
                "filed",
                "assigned",
                "investigation_started",
                "concluded",
                "reward_decided",
            ],
            round,
        )
        .await;
    }
    finish(&app, "reward decide", started).await;
}

/// Eight claims of one reward by its receipt, each naming its own payee: the stored
/// (decrypted) payee is the winner's.
#[tokio::test]
async fn reward_claim_has_one_winner_and_the_stored_payee_is_its() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let inspectors = accounts(&app, Role::Inspector, 1).await;
    for round in 0..ROUNDS {
        let (filed, reward) = report_at(&app, &inspectors[0], 4).await;
        let reward = reward.unwrap();
        let shots = (0..RACERS)
            .map(|i| {
                (
                    None,
                    json!({"receipt": filed.receipt, "payee": {"name": format!("领奖人{i}"),
                           "phone": "13900000000", "bank_account": format!("62220000111100{i:02}")}}),
                )
            })
            .collect();
        let answers = fire(&app, Method::POST, "/api/v1/public/reports/claim", shots).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        let stored = app
            .get_json(&format!("/api/v1/rewards/{reward}"), Some(&app.admin_token))
            .await;
        assert_eq!(
            (stored["status"].as_str(), stored["payee"]["name"].as_str()),
            (Some("claimed"), Some(format!("领奖人{w}").as_str())),
            "round {round}"
        );
        assert_eq!(
            stored["payee"]["bank_account"],
            format!("62220000111100{w:02}")
        );
        assert_chain(&app, "reward", reward, &["decided", "claimed"], round).await;
    }
    finish(&app, "reward claim", started).await;
}

/// Eight payments of one claimed reward, each with its own reference.
#[tokio::test]
async fn reward_payment_has_one_winner_and_the_stored_reference_is_its() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let inspectors = accounts(&app, Role::Inspector, 1).await;
    let admins = accounts(&app, Role::Admin, RACERS).await;
    for round in 0..ROUNDS {
        let (_, reward) = report_at(&app, &inspectors[0], 5).await;
        let reward = reward.unwrap();
        let shots = admins
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                (
                    Some(t.clone()),
                    json!({"paid_on": "2026-06-01", "reference": format!("转账凭证{round}-{i}")}),
                )
            })
            .collect();
        let path = format!("/api/v1/rewards/{reward}/pay");
        let answers = fire(&app, Method::POST, &path, shots).await;
        let w = one_winner(&answers, 200, (409, "invalid_transition"), round);
        let stored = app
            .get_json(&format!("/api/v1/rewards/{reward}"), Some(&app.admin_token))
            .await;
        assert_eq!(
            (
                stored["status"].as_str(),
                stored["payment_reference"].as_str()
            ),
            (Some("paid"), Some(format!("转账凭证{round}-{w}").as_str())),
            "round {round}"
        );
        assert_chain(
            &app,
            "reward",
            reward,
            &["decided", "claimed", "paid"],
            round,
        )
        .await;
    }
    finish(&app, "reward pay", started).await;
}

// ---------------------------------------------------------------------------------------------
// Users (SPEC 1.5)

/// Eight admins disable one account at once. `PATCH` states the account's wanted standing, so
/// this family's documented answer is not a 409: the first disables it (one `updated` event,
/// its sessions ended once); the seven others find it already disabled, change nothing, record
/// nothing and answer 200 with the account as it stands — the same body as the winner's.
#[tokio::test]
async fn disabling_an_account_happens_once_and_the_others_change_nothing() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let admins = accounts(&app, Role::Admin, RACERS).await;
    for round in 0..ROUNDS {
        let token = app.quick_token_for(Role::Inspector, None).await;
        let me = app.get_json("/api/v1/auth/me", Some(&token)).await;
        let id = me["id"].as_i64().unwrap();
        let shots = admins
            .iter()
            .map(|(_, t)| (Some(t.clone()), json!({"disabled": true})))
            .collect();
        let path = format!("/api/v1/users/{id}");
        let answers = fire(&app, Method::PATCH, &path, shots).await;
        for a in &answers {
            assert_eq!(a.status, 200, "round {round}: {}", a.body);
            assert_eq!(
                a.body, answers[0].body,
                "round {round}: one state, answered to all"
            );
        }
        let stored = app
            .get_json(&format!("/api/v1/users/{id}"), Some(&app.admin_token))
            .await;
        assert_eq!(stored["disabled"], true);
        assert_eq!(stored["updated_at"], answers[0].body["updated_at"]);
        assert_eq!(
            app.get("/api/v1/auth/me", Some(&token)).await.status(),
            401,
            "its sessions ended"
        );
        assert_chain(&app, "user", id, &["created", "updated"], round).await;
        let event = app
            .get_json(
                &format!("/api/v1/audit?aggregate_type=user&aggregate_id={id}&limit=1"),
                Some(&app.admin_token),
            )
            .await;
        assert_eq!(
            (
                &event["items"][0]["payload"]["disabled"],
                &event["items"][0]["payload"]["sessions_ended"]
            ),
            (&json!(true), &json!(true))
        );
    }
    finish(&app, "user disable", started).await;
}
