//! Negative lists (SPEC 3): templates, versioned enterprise lists, violation records with repeat
//! and escalation flags, and the figures.

use std::collections::BTreeSet;

use anjian::auth::Role;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, problem};

fn item(code: &str, category: &str, severity: &str) -> Value {
    json!({
        "code": code, "category": category, "title": format!("条目 {code}"),
        "description": "", "severity": severity, "suggested_handling": "education"
    })
}

/// One item of each kind: `C1` 违章指挥 (grave), `O1` 违章作业 (serious), `L1` 违反劳动纪律 (general).
fn three_items() -> Value {
    json!([
        item("C1", "illegal_command", "grave"),
        item("O1", "illegal_operation", "serious"),
        item("L1", "labor_discipline", "general"),
    ])
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn days_ago(app: &TestApp, days: i64) -> String {
    iso(app.clock.now() - Duration::days(days))
}

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> Response {
    app.request(Method::PUT, path, Some(token), Some(body))
        .await
}

async fn json_of(res: Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or_default();
    assert_eq!(got, status, "{body}");
    body
}

/// Creates a draft, sets its items and publishes it; returns the published version.
async fn publish_list(
    app: &TestApp,
    token: &str,
    items: &Value,
    effective_from: Option<&str>,
) -> Value {
    let draft = json_of(
        app.post(
            "/api/v1/negative-lists",
            Some(token),
            &json!({"from": "empty"}),
        )
        .await,
        201,
    )
    .await;
    let id = draft["id"].as_i64().unwrap();
    json_of(
        put(
            app,
            &format!("/api/v1/negative-lists/{id}/items"),
            token,
            &json!({ "items": items }),
        )
        .await,
        200,
    )
    .await;
    let body = match effective_from {
        Some(at) => json!({ "effective_from": at }),
        None => json!({}),
    };
    json_of(
        app.post(
            &format!("/api/v1/negative-lists/{id}/publish"),
            Some(token),
            &body,
        )
        .await,
        200,
    )
    .await
}

/// An enterprise with its own account and a published three-item list effective 300 days ago.
async fn enterprise_with_list(app: &TestApp, industry: &str, district: &str) -> (i64, String) {
    let ent = app.enterprise(industry, district).await;
    let token = app.token_for(Role::Enterprise, Some(ent)).await;
    publish_list(app, &token, &three_items(), Some(&days_ago(app, 300))).await;
    (ent, token)
}

fn violation(item_code: &str, employee: &str, occurred_at: &str) -> Value {
    json!({
        "item_code": item_code, "employee_ref": employee, "occurred_at": occurred_at,
        "location": "一号罐区", "description": "现场发现", "handling": "education"
    })
}

async fn record(app: &TestApp, token: &str, body: &Value) -> Value {
    json_of(app.post("/api/v1/violations", Some(token), body).await, 201).await
}

async fn flags(app: &TestApp, token: &str, id: i64) -> (bool, bool) {
    let v = json_of(
        app.get(&format!("/api/v1/violations/{id}"), Some(token))
            .await,
        200,
    )
    .await;
    (
        v["repeat"].as_bool().unwrap(),
        v["escalated"].as_bool().unwrap(),
    )
}

#[tokio::test]
async fn templates_are_seeded_for_five_industries_with_all_three_kinds_of_violation() {
    let app = TestApp::spawn().await;
    let ent = app.enterprise("gas", "shinan").await;
    let token = app.token_for(Role::Enterprise, Some(ent)).await;
    let index = json_of(
        app.get("/api/v1/negative-list-templates", Some(&token))
            .await,
        200,
    )
    .await;
    for industry in [
        "hazardous_chemicals",
        "fireworks",
        "non_coal_mining",
        "metallurgy",
        "construction",
    ] {
        let count = index["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["industry"] == industry)
            .unwrap()["item_count"]
            .as_i64()
            .unwrap();
        assert!(count >= 15, "{industry}: {count}");
        let t = json_of(
            app.get(
                &format!("/api/v1/negative-list-templates/{industry}"),
                Some(&token),
            )
            .await,
            200,
        )
        .await;
        let items = t["items"].as_array().unwrap();
        assert_eq!(items.len() as i64, count);
        let categories: BTreeSet<&str> = items
            .iter()
            .map(|i| i["category"].as_str().unwrap())
            .collect();
        for c in ["illegal_command", "illegal_operation", "labor_discipline"] {
            assert!(categories.contains(c), "{industry} lacks {c}");
        }
        let codes: BTreeSet<&str> = items.iter().map(|i| i["code"].as_str().unwrap()).collect();
        assert_eq!(codes.len(), items.len(), "codes are unique");
    }
    problem(
        app.get("/api/v1/negative-list-templates/atlantis", Some(&token))
            .await,
        404,
        "not_found",
    )
    .await;

    // The admin replaces a template; bad item arrays are refused whole.
    let admin = app.admin_token.clone();
    let path = "/api/v1/negative-list-templates/gas";
    let dup = json!({"items": [item("G1", "other", "general"), item("G1", "other", "general")]});
    assert_eq!(
        fields(
            &problem(
                put(&app, path, &admin, &dup).await,
                422,
                "validation_failed"
            )
            .await
        ),
        ["items[1].code"]
    );
    assert_eq!(
        fields(
            &problem(
                put(&app, path, &admin, &json!({"items": []})).await,
                422,
                "validation_failed"
            )
            .await
        ),
        ["items"]
    );
    let bad_enum = json!({"items": [{"code": "G1", "category": "sloppy", "title": "t", "description": "", "severity": "general", "suggested_handling": "education"}]});
    assert_eq!(
        fields(
            &problem(
                put(&app, path, &admin, &bad_enum).await,
                422,
                "validation_failed"
            )
            .await
        ),
        ["items[0].category"]
    );
    problem(
        put(
            &app,
            path,
            &token,
            &json!({"items": [item("G1", "other", "general")]}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let replaced = json_of(
        put(&app, path, &admin, &json!({"items": three_items()})).await,
        200,
    )
    .await;
    assert_eq!(replaced["items"].as_array().unwrap().len(), 3);
    let t = json_of(app.get(path, Some(&token)).await, 200).await;
    assert_eq!(t["items"][2]["code"], "L1");
    let events = json_of(
        app.get(
            "/api/v1/audit?aggregate_type=negative_list_template&aggregate_id=gas",
            Some(&admin),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(events["items"][0]["action"], "replaced");
}

#[tokio::test]
async fn a_draft_is_edited_and_published_and_a_published_version_never_changes() {
    let app = TestApp::spawn().await;
    let ent = app.enterprise("hazardous_chemicals", "huangdao").await;
    let token = app.token_for(Role::Enterprise, Some(ent)).await;
    let t = Some(token.as_str());

    let res = app
        .post("/api/v1/negative-lists", t, &json!({"from": "current"}))
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["from"]
    );
    let res = app
        .post("/api/v1/negative-lists", t, &json!({"from": "borrowed"}))
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["from"]
    );
    let v1 = json_of(
        app.post("/api/v1/negative-lists", t, &json!({"from": "template"}))
            .await,
        201,
    )
    .await;
    let template = json_of(
        app.get("/api/v1/negative-list-templates/hazardous_chemicals", t)
            .await,
        200,
    )
    .await;
    assert_eq!(
        (v1["version"].as_i64(), v1["status"].as_str()),
        (Some(1), Some("draft"))
    );
    assert_eq!(v1["items"], template["items"], "a copy of the template");
    assert_eq!(v1["timeline"][0]["action"], "created");
    let id1 = v1["id"].as_i64().unwrap();

    // One draft at a time.
    problem(
        app.post("/api/v1/negative-lists", t, &json!({"from": "empty"}))
            .await,
        409,
        "conflict",
    )
    .await;

    let items_path = format!("/api/v1/negative-lists/{id1}/items");
    let dup = json!({"items": [item("A", "other", "general"), item("B", "other", "general"), item("A", "other", "grave")]});
    assert_eq!(
        fields(
            &problem(
                put(&app, &items_path, &token, &dup).await,
                422,
                "validation_failed"
            )
            .await
        ),
        ["items[2].code"]
    );
    let edited = json_of(
        put(&app, &items_path, &token, &json!({"items": three_items()})).await,
        200,
    )
    .await;
    assert_eq!(edited["item_count"], 3);

    let published = json_of(
        app.post(
            &format!("/api/v1/negative-lists/{id1}/publish"),
            t,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(published["status"], "current");
    let now = anjian::clock::rfc3339(app.clock.now_naive());
    assert_eq!(published["published_at"], now.as_str());
    assert_eq!(published["effective_from"], now.as_str());

    // Published: immutable.
    problem(
        put(&app, &items_path, &token, &json!({"items": three_items()})).await,
        409,
        "invalid_transition",
    )
    .await;
    problem(
        app.post(
            &format!("/api/v1/negative-lists/{id1}/publish"),
            t,
            &json!({}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    problem(
        app.request(
            Method::DELETE,
            &format!("/api/v1/negative-lists/{id1}"),
            t,
            None,
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;

    // A copy of the current version; an empty list cannot be published; a draft is discarded.
    let v2 = json_of(
        app.post("/api/v1/negative-lists", t, &json!({"from": "current"}))
            .await,
        201,
    )
    .await;
    assert_eq!(
        (v2["version"].as_i64(), v2["item_count"].as_i64()),
        (Some(2), Some(3))
    );
    let id2 = v2["id"].as_i64().unwrap();
    json_of(
        put(
            &app,
            &format!("/api/v1/negative-lists/{id2}/items"),
            &token,
            &json!({"items": []}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        fields(
            &problem(
                app.post(
                    &format!("/api/v1/negative-lists/{id2}/publish"),
                    t,
                    &json!({})
                )
                .await,
                422,
                "validation_failed"
            )
            .await
        ),
        ["items"]
    );
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/negative-lists/{id2}"),
            t,
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    problem(
        app.get(&format!("/api/v1/negative-lists/{id2}"), t).await,
        404,
        "not_found",
    )
    .await;

    // The next version supersedes the first.
    app.clock.advance(Duration::hours(1));
    let v2 = publish_list(&app, &token, &json!([item("X1", "other", "serious")]), None).await;
    assert_eq!(v2["version"], 2, "a discarded draft's number is used again");
    let current = json_of(
        app.get(&format!("/api/v1/enterprises/{ent}/negative-list"), t)
            .await,
        200,
    )
    .await;
    assert_eq!(current["id"], v2["id"]);
    assert_eq!(current["items"][0]["code"], "X1");
    let old = json_of(
        app.get(&format!("/api/v1/negative-lists/{id1}"), t).await,
        200,
    )
    .await;
    assert_eq!(old["status"], "superseded");
    let actions: Vec<&str> = old["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["created", "items_replaced", "published", "superseded"]
    );
    let all = json_of(
        app.get(&format!("/api/v1/negative-lists?enterprise_id={ent}"), t)
            .await,
        200,
    )
    .await;
    let statuses: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["current", "superseded"]);
    let verify = json_of(
        app.get("/api/v1/audit/verify", Some(&app.admin_token))
            .await,
        200,
    )
    .await;
    assert_eq!(verify["ok"], true);
}

#[tokio::test]
async fn a_violation_is_checked_against_the_version_in_force_when_it_happened() {
    let app = TestApp::spawn().await;
    let ent = app.enterprise("fireworks", "jimo").await;
    let token = app.token_for(Role::Enterprise, Some(ent)).await;
    let t = Some(token.as_str());
    let v1 = publish_list(
        &app,
        &token,
        &json!([item("A1", "illegal_operation", "serious")]),
        Some(&days_ago(&app, 30)),
    )
    .await;
    assert_eq!(v1["effective_from"], days_ago(&app, 30).as_str());

    // The next version: not in the future, strictly after the previous one's effective_from.
    let draft = json_of(
        app.post("/api/v1/negative-lists", t, &json!({"from": "empty"}))
            .await,
        201,
    )
    .await;
    let id2 = draft["id"].as_i64().unwrap();
    json_of(
        put(
            &app,
            &format!("/api/v1/negative-lists/{id2}/items"),
            &token,
            &json!({"items": [item("B1", "illegal_command", "grave")]}),
        )
        .await,
        200,
    )
    .await;
    let publish = format!("/api/v1/negative-lists/{id2}/publish");
    for at in [
        iso(app.clock.now() + Duration::hours(1)),
        days_ago(&app, 30),
        days_ago(&app, 31),
    ] {
        let res = app.post(&publish, t, &json!({"effective_from": at})).await;
        assert_eq!(
            fields(&problem(res, 422, "validation_failed").await),
            ["effective_from"],
            "{at}"
        );
    }
    let v2 = json_of(
        app.post(&publish, t, &json!({"effective_from": days_ago(&app, 10)}))
            .await,
        200,
    )
    .await;

    // Before version 2 took effect, version 1 governs.
    let old = record(&app, &token, &violation("A1", "E-1", &days_ago(&app, 20))).await;
    assert_eq!(old["list_id"], v1["id"]);
    assert_eq!(
        (old["category"].as_str(), old["severity"].as_str()),
        (Some("illegal_operation"), Some("serious"))
    );
    let res = app
        .post(
            "/api/v1/violations",
            t,
            &violation("B1", "E-1", &days_ago(&app, 20)),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["item_code"]
    );
    let new = record(&app, &token, &violation("B1", "E-2", &days_ago(&app, 5))).await;
    assert_eq!(new["list_id"], v2["id"]);
    let res = app
        .post(
            "/api/v1/violations",
            t,
            &violation("A1", "E-2", &days_ago(&app, 5)),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["item_code"]
    );
    // Before any version: none in force.
    let res = app
        .post(
            "/api/v1/violations",
            t,
            &violation("A1", "E-3", &days_ago(&app, 40)),
        )
        .await;
    let p = problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "no_list_in_force");

    // Never in the future; never a resident ID number.
    let future = iso(app.clock.now() + Duration::minutes(1));
    let res = app
        .post("/api/v1/violations", t, &violation("B1", "E-1", &future))
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["occurred_at"]
    );
    let res = app
        .post(
            "/api/v1/violations",
            t,
            &violation("B1", "11010519491231002X", &days_ago(&app, 1)),
        )
        .await;
    let p = problem(res, 422, "validation_failed").await;
    assert_eq!(fields(&p), ["employee_ref"]);
    assert_eq!(p["errors"][0]["code"], "resident_id");
    // Eighteen digits whose check character is wrong are not an ID number: a staff number.
    record(
        &app,
        &token,
        &violation("B1", "110105194912310021", &days_ago(&app, 1)),
    )
    .await;
    // A fine carries its amount, and only a fine does.
    let mut fine = violation("B1", "E-4", &days_ago(&app, 1));
    fine["handling"] = json!("fine");
    let res = app.post("/api/v1/violations", t, &fine).await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["fine_fen"]
    );
    fine["fine_fen"] = json!(50_000);
    assert_eq!(record(&app, &token, &fine).await["fine_fen"], 50_000);
}

#[tokio::test]
async fn repeats_and_escalations_stay_true_when_violations_are_recorded_out_of_order() {
    let app = TestApp::spawn().await;
    let (_ent, token) = enterprise_with_list(&app, "metallurgy", "licang").await;
    let (_other, other_token) = enterprise_with_list(&app, "metallurgy", "licang").await;
    let id = |v: &Value| v["id"].as_i64().unwrap();
    let pair = |v: &Value| {
        (
            v["repeat"].as_bool().unwrap(),
            v["escalated"].as_bool().unwrap(),
        )
    };

    let a = record(&app, &token, &violation("O1", "E-1", &days_ago(&app, 60))).await;
    assert_eq!(pair(&a), (false, false));
    let c = record(&app, &token, &violation("O1", "E-1", &days_ago(&app, 20))).await;
    assert_eq!(pair(&c), (true, false), "the second in 90 days is a repeat");
    // Another employee, and the same staff number at another enterprise, do not count.
    let x = record(&app, &token, &violation("O1", "E-2", &days_ago(&app, 40))).await;
    assert_eq!(pair(&x), (false, false));
    let y = record(
        &app,
        &other_token,
        &violation("O1", "E-1", &days_ago(&app, 30)),
    )
    .await;
    assert_eq!(pair(&y), (false, false));

    // Recorded late, between a and c: it is a repeat, and c becomes the third in 90 days.
    let b = record(&app, &token, &violation("L1", "E-1", &days_ago(&app, 40))).await;
    assert_eq!(pair(&b), (true, false));
    assert_eq!(flags(&app, &token, id(&c)).await, (true, true));
    assert_eq!(
        flags(&app, &token, id(&a)).await,
        (false, false),
        "looking back only"
    );

    // Far earlier: alone in its window, and too far back to change anything.
    let d = record(&app, &token, &violation("C1", "E-1", &days_ago(&app, 200))).await;
    assert_eq!(pair(&d), (false, false));
    assert_eq!(flags(&app, &token, id(&a)).await, (false, false));
    // Day −130: a repeat of d (70 days), and now a (70 days later) is a repeat, and b (exactly
    // 90 days later: the window includes its first day) becomes escalated.
    let e = record(&app, &token, &violation("C1", "E-1", &days_ago(&app, 130))).await;
    assert_eq!(pair(&e), (true, false));
    assert_eq!(flags(&app, &token, id(&a)).await, (true, false));
    assert_eq!(flags(&app, &token, id(&b)).await, (true, true));
    assert_eq!(flags(&app, &token, id(&c)).await, (true, true));
    assert_eq!(flags(&app, &token, id(&d)).await, (false, false));

    let repeats = json_of(
        app.get("/api/v1/violations?repeat=true", Some(&token))
            .await,
        200,
    )
    .await;
    let ids: BTreeSet<i64> = repeats["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(ids, BTreeSet::from([id(&a), id(&b), id(&c), id(&e)]));
    let timeline = json_of(
        app.get(&format!("/api/v1/violations/{}", id(&b)), Some(&token))
            .await,
        200,
    )
    .await["timeline"]
        .clone();
    let actions: Vec<(&str, &str)> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor_role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("recorded", "enterprise"),
            ("flagged", "system"),
            ("reflagged", "system")
        ]
    );
    let verify = json_of(
        app.get("/api/v1/audit/verify", Some(&app.admin_token))
            .await,
        200,
    )
    .await;
    assert_eq!(verify["ok"], true);
}

#[tokio::test]
async fn enterprises_record_and_read_only_their_own_and_a_correction_is_set_once() {
    let app = TestApp::spawn().await;
    let (a, token_a) = enterprise_with_list(&app, "construction", "chengyang").await;
    let (b, token_b) = enterprise_with_list(&app, "construction", "jimo").await;
    let inspector = app.token_for(Role::Inspector, None).await;
    let reviewer = app.token_for(Role::Reviewer, None).await;
    let at = days_ago(&app, 3);

    let mine = record(&app, &token_a, &violation("O1", "A-7", &at)).await;
    assert_eq!(mine["enterprise_id"], a);
    let mut foreign = violation("O1", "A-7", &at);
    foreign["enterprise_id"] = json!(b);
    let res = app
        .post("/api/v1/violations", Some(&token_a), &foreign)
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["enterprise_id"]
    );
    // Inspectors record for any enterprise, naming it.
    let res = app
        .post(
            "/api/v1/violations",
            Some(&inspector),
            &violation("O1", "B-1", &at),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["enterprise_id"]
    );
    let theirs = record(&app, &inspector, &foreign).await;
    assert_eq!(theirs["enterprise_id"], b);
    let theirs_id = theirs["id"].as_i64().unwrap();
    let mine_id = mine["id"].as_i64().unwrap();

    // Idempotent recording.
    let send = |key: &str| {
        app.client
            .post(app.url("/api/v1/violations"))
            .bearer_auth(&token_a)
            .header("Idempotency-Key", key)
            .json(&violation("C1", "A-8", &at))
            .send()
    };
    let first: Value = send("k-1").await.unwrap().json().await.unwrap();
    let again: Value = send("k-1").await.unwrap().json().await.unwrap();
    assert_eq!(first["id"], again["id"]);

    // Reads are scoped.
    problem(
        app.get(&format!("/api/v1/violations/{theirs_id}"), Some(&token_a))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/violations/{theirs_id}"), Some(&reviewer))
            .await
            .status(),
        200
    );
    let listed = json_of(app.get("/api/v1/violations", Some(&token_a)).await, 200).await;
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["enterprise_id"] == a)
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let peek = json_of(
        app.get(
            &format!("/api/v1/violations?enterprise_id={b}"),
            Some(&token_a),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(peek["items"], json!([]));
    let staff = json_of(
        app.get(
            &format!("/api/v1/violations?enterprise_id={b}"),
            Some(&inspector),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(staff["items"][0]["id"], theirs_id);
    problem(
        app.get(
            &format!("/api/v1/enterprises/{b}/negative-list"),
            Some(&token_a),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let list_b = json_of(
        app.get(
            &format!("/api/v1/enterprises/{b}/negative-list"),
            Some(&token_b),
        )
        .await,
        200,
    )
    .await;
    problem(
        app.get(
            &format!("/api/v1/negative-lists/{}", list_b["id"]),
            Some(&token_a),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // Correction: own only, not in the future, once.
    let correct = |id: i64| format!("/api/v1/violations/{id}/correct");
    let body = json!({"corrected_at": days_ago(&app, 1), "note": "已整改并复训"});
    problem(
        app.post(&correct(theirs_id), Some(&token_a), &body).await,
        404,
        "not_found",
    )
    .await;
    let future = json!({"corrected_at": iso(app.clock.now() + Duration::hours(1)), "note": ""});
    assert_eq!(
        fields(
            &problem(
                app.post(&correct(mine_id), Some(&token_a), &future).await,
                422,
                "validation_failed"
            )
            .await
        ),
        ["corrected_at", "note"]
    );
    let done = json_of(
        app.post(&correct(mine_id), Some(&token_a), &body).await,
        200,
    )
    .await;
    assert_eq!(done["corrected_at"], days_ago(&app, 1).as_str());
    assert_eq!(
        done["timeline"].as_array().unwrap().last().unwrap()["action"],
        "corrected"
    );
    problem(
        app.post(&correct(mine_id), Some(&token_a), &body).await,
        409,
        "invalid_transition",
    )
    .await;
    // Inspectors correct any enterprise's.
    json_of(
        app.post(&correct(theirs_id), Some(&inspector), &body).await,
        200,
    )
    .await;
    let corrected = json_of(
        app.get("/api/v1/violations?corrected=false", Some(&token_a))
            .await,
        200,
    )
    .await;
    assert_eq!(corrected["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_publications_and_drafts_have_exactly_one_winner() {
    let app = TestApp::spawn().await;
    let ent = app.enterprise("non_coal_mining", "pingdu").await;
    let token = app.token_for(Role::Enterprise, Some(ent)).await;
    let t = Some(token.as_str());
    let body = json!({"from": "template"});
    let (r1, r2) = tokio::join!(
        app.post("/api/v1/negative-lists", t, &body),
        app.post("/api/v1/negative-lists", t, &body)
    );
    let mut statuses = [r1.status().as_u16(), r2.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
    let draft = json_of(
        app.get(&format!("/api/v1/negative-lists?enterprise_id={ent}"), t)
            .await,
        200,
    )
    .await["items"][0]
        .clone();
    let path = format!("/api/v1/negative-lists/{}/publish", draft["id"]);
    let empty = json!({});
    let (p1, p2) = tokio::join!(app.post(&path, t, &empty), app.post(&path, t, &empty));
    let mut statuses = [p1.status().as_u16(), p2.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
}

/// Records `n` violations as `token`, the i-th from `employee(i)` with `item(i)` at `at(i)`.
async fn record_many(
    app: &TestApp,
    token: &str,
    n: usize,
    item: impl Fn(usize) -> &'static str,
    employee: impl Fn(usize) -> String,
    at: impl Fn(usize) -> String,
) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let v = record(app, token, &violation(item(i), &employee(i), &at(i))).await;
        ids.push(v["id"].as_i64().unwrap());
    }
    ids
}

#[tokio::test]
async fn figures_compare_two_periods_of_local_dates() {
    // Now: 1 June 2026, 09:00 in Qingdao.
    let app = TestApp::spawn().await;
    let (h, token_h) = enterprise_with_list(&app, "hazardous_chemicals", "huangdao").await;
    let (_s, token_s) = enterprise_with_list(&app, "construction", "shinan").await;
    let inspector = app.token_for(Role::Inspector, None).await;

    // April (the comparison period): 100 violations of 100 employees. The last is at 23:30 on
    // 30 April local time (15:30 UTC).
    record_many(
        &app,
        &token_h,
        100,
        |_| "O1",
        |i| format!("A-{i}"),
        |i| {
            if i == 99 {
                "2026-04-30T15:30:00Z".to_owned()
            } else {
                format!("2026-04-{:02}T02:00:00Z", 1 + i % 29)
            }
        },
    )
    .await;
    // May: 70 violations — 30 违章指挥, 25 违章作业, 15 违反劳动纪律; employee R-1 has ten of
    // them (9 repeats, 8 escalations), everyone else one. The first is at 00:30 on 1 May local
    // time (16:30 UTC on 30 April).
    let may = record_many(
        &app,
        &token_h,
        70,
        |i| match i {
            0..30 => "C1",
            30..55 => "O1",
            _ => "L1",
        },
        |i| {
            if i % 7 == 0 {
                "R-1".to_owned()
            } else {
                format!("M-{i}")
            }
        },
        |i| {
            if i == 0 {
                "2026-04-30T16:30:00Z".to_owned()
            } else {
                format!("2026-05-{:02}T03:{:02}:00Z", 1 + i % 30, i % 60)
            }
        },
    )
    .await;
    for id in may.iter().take(14) {
        json_of(
            app.post(
                &format!("/api/v1/violations/{id}/correct"),
                Some(&token_h),
                &json!({"corrected_at": "2026-05-31T08:00:00Z", "note": "已整改"}),
            )
            .await,
            200,
        )
        .await;
    }
    // Five at the construction company in May.
    record_many(
        &app,
        &token_s,
        5,
        |_| "C1",
        |i| format!("S-{i}"),
        |i| format!("2026-05-{:02}T03:00:00Z", 10 + i),
    )
    .await;

    let periods = "from=2026-05-01&to=2026-05-31&compare_from=2026-04-01&compare_to=2026-04-30";
    let stats = json_of(
        app.get(
            &format!("/api/v1/stats/violations?{periods}&district=huangdao"),
            Some(&inspector),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(stats["total"], 70);
    assert_eq!(
        stats["by_category"],
        json!({"illegal_command": 30, "illegal_operation": 25, "labor_discipline": 15, "other": 0})
    );
    assert_eq!(
        stats["by_severity"],
        json!({"grave": 30, "serious": 25, "general": 15})
    );
    assert_eq!(stats["employees"], 100);
    assert_eq!(stats["per_100_employees"], 70.0);
    assert_eq!(stats["corrected"], 14);
    assert_eq!(stats["corrected_share"], 0.2);
    assert_eq!(stats["repeats"], 9);
    assert_eq!(stats["escalations"], 8);
    assert_eq!(stats["compare_total"], 100);
    assert_eq!(stats["change_ratio"], -0.3);

    // The whole city: both enterprises.
    let city = json_of(
        app.get(
            &format!("/api/v1/stats/violations?{periods}"),
            Some(&inspector),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            city["total"].as_i64(),
            city["compare_total"].as_i64(),
            city["employees"].as_i64()
        ),
        (Some(75), Some(100), Some(200))
    );
    assert_eq!(city["per_100_employees"], 37.5);
    assert_eq!(city["change_ratio"], -0.25);
    assert_eq!(city["by_category"]["illegal_command"], 35);
    let industry = json_of(
        app.get(
            "/api/v1/stats/violations?industry=construction",
            Some(&inspector),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(industry["total"], 5);
    assert_eq!(industry["compare_total"], Value::Null);
    assert_eq!(industry["change_ratio"], Value::Null);

    // An enterprise gets its own figures only.
    let own = json_of(
        app.get("/api/v1/stats/violations?from=2026-05-01", Some(&token_s))
            .await,
        200,
    )
    .await;
    assert_eq!(
        (own["total"].as_i64(), own["employees"].as_i64()),
        (Some(5), Some(100))
    );
    problem(
        app.get(
            &format!("/api/v1/stats/violations?enterprise_id={h}"),
            Some(&token_s),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    // No violations in the comparison period: no ratio.
    let empty = json_of(
        app.get(
            &format!(
                "/api/v1/stats/violations?enterprise_id={h}&from=2026-05-01&compare_from=2025-01-01&compare_to=2025-12-31"
            ),
            Some(&inspector),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (empty["total"].as_i64(), empty["compare_total"].as_i64()),
        (Some(70), Some(0))
    );
    assert_eq!(empty["change_ratio"], Value::Null);

    let res = app
        .get(
            "/api/v1/stats/violations?from=2026-05-02&to=2026-05-01&industry=quarrying",
            Some(&inspector),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["to"]
    );
    let res = app
        .get(
            "/api/v1/stats/violations?industry=quarrying",
            Some(&inspector),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["industry"]
    );
    // The same local-date filter on the list.
    let first_of_may = json_of(
        app.get(
            &format!(
                "/api/v1/violations?enterprise_id={h}&from=2026-05-01&to=2026-05-01&limit=200"
            ),
            Some(&inspector),
        )
        .await,
        200,
    )
    .await;
    let n = first_of_may["items"].as_array().unwrap().len();
    assert_eq!(
        n, 3,
        "00:30 local on 1 May, and the two of 03:00 UTC on 1 May"
    );
}

/// `anjian seed demo` writes the two chemical companies' lists and a year of violations through
/// the use cases the API calls: each list is current, the violations carry the API's flags and
/// corrections, and the audit chain holds.
#[tokio::test]
async fn the_demo_lists_and_violations_are_the_apis_own() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let admin = Some(app.admin_token.as_str());
    let lists: Value = app
        .get("/api/v1/negative-lists?status=current", admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lists["items"].as_array().unwrap().len(), 2, "{lists}");
    let repeats: Value = app
        .get("/api/v1/violations?repeat=true&limit=200", admin)
        .await
        .json()
        .await
        .unwrap();
    let repeats = repeats["items"].as_array().unwrap();
    assert!(
        !repeats.is_empty(),
        "the demo's employees repeat themselves"
    );
    assert!(repeats.iter().all(|v| v["repeat"] == true));
    let all: Value = app
        .get("/api/v1/violations?limit=200", admin)
        .await
        .json()
        .await
        .unwrap();
    let all = all["items"].as_array().unwrap();
    assert!(all.len() > repeats.len());
    let corrected = all
        .iter()
        .find(|v| !v["corrected_at"].is_null())
        .expect("the demo has corrected violations");
    // Written through the use case, the correction is in the trail, by the enterprise's user.
    let events = json_of(
        app.get(
            &format!(
                "/api/v1/audit?aggregate_type=violation&aggregate_id={}",
                corrected["id"]
            ),
            admin,
        )
        .await,
        200,
    )
    .await;
    let event = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "corrected")
        .unwrap_or_else(|| panic!("no corrected event: {events}"));
    let by = json_of(
        app.get(&format!("/api/v1/users/{}", event["actor_user_id"]), admin)
            .await,
        200,
    )
    .await;
    assert_eq!(by["role"], "enterprise", "{by}");
    assert_eq!(by["enterprise_id"], corrected["enterprise_id"], "{by}");
    let verify: Value = app
        .get("/api/v1/audit/verify", admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verify["ok"], true, "{verify}");
}
