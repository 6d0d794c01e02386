//! Whistleblower reports and rewards (SPEC 5): receipts, protected identities, handling,
//! rule-based rewards, the catalogue, and the figures.

use anjian::auth::Role;
use anjian::reports::crypto;
use anjian::reports::domain::Receipt;
use anjian::schema::{idempotency_keys, reports, rewards};
use base64::Engine as _;
use chrono::Duration;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{DATA_KEY, TestApp, captured_logs, fields, problem};

fn data_key() -> [u8; 32] {
    base64::engine::general_purpose::STANDARD
        .decode(DATA_KEY)
        .unwrap()
        .try_into()
        .unwrap()
}

pub(crate) fn report_body(category: &str) -> Value {
    json!({
        "industry": "construction",
        "category": category,
        "enterprise_name": "青岛某建筑工程有限公司",
        "district": "licang",
        "location": "李沧区九水东路工地",
        "occurred_on": "2026-05-30",
        "description": "深基坑开挖超过五米未按专项方案支护，周边已出现裂缝，工人仍在坑底作业。",
        "is_employee": false
    })
}

pub(crate) struct Filed {
    pub(crate) id: i64,
    pub(crate) receipt: String,
    pub(crate) tracking: String,
}

pub(crate) async fn file(app: &TestApp, body: &Value) -> Filed {
    let res = app.post("/api/v1/public/reports", None, body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    let tracking = v["tracking_number"].as_str().unwrap().to_owned();
    Filed {
        id: tracking[10..].parse().unwrap(),
        receipt: v["receipt"].as_str().unwrap().to_owned(),
        tracking,
    }
}

pub(crate) struct Staff {
    name: String,
    inspector_id: i64,
    pub(crate) inspector: String,
}

impl Staff {
    /// A new token (tokens expire after 8 hours of the test's clock).
    async fn refresh(&mut self, app: &TestApp) {
        self.inspector = app.login(&self.name, crate::helpers::PASSWORD).await;
    }
}

pub(crate) async fn staff(app: &TestApp) -> Staff {
    let name = format!("insp{}", app.next());
    let inspector_id = app.create_user_direct(&name, Role::Inspector, None).await;
    Staff {
        inspector: app.login(&name, crate::helpers::PASSWORD).await,
        name,
        inspector_id,
    }
}

/// A fresh admin token, valid at the test clock's current time.
async fn admin(app: &TestApp) -> String {
    app.login("root", crate::helpers::PASSWORD).await
}

/// received → assigned → investigating.
pub(crate) async fn investigate(app: &TestApp, s: &Staff, id: i64) {
    let res = app
        .post(
            &format!("/api/v1/reports/{id}/assign"),
            Some(&s.inspector),
            &json!({"inspector_id": s.inspector_id}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .post(
            &format!("/api/v1/reports/{id}/start"),
            Some(&s.inspector),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

pub(crate) async fn conclude(app: &TestApp, s: &Staff, id: i64, body: Value) -> Value {
    let res = app
        .post(
            &format!("/api/v1/reports/{id}/conclude"),
            Some(&s.inspector),
            &body,
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

pub(crate) async fn substantiate(app: &TestApp, s: &Staff, id: i64, extra: Value) {
    let mut body = json!({"outcome": "substantiated", "findings": "现场核查属实，已责令整改。"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    investigate(app, s, id).await;
    conclude(app, s, id, body).await;
}

pub(crate) async fn reward(app: &TestApp, id: i64, body: Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/reports/{id}/reward"),
        Some(&admin(app).await),
        &body,
    )
    .await
}

pub(crate) async fn lookup(app: &TestApp, receipt: &str) -> reqwest::Response {
    app.post(
        "/api/v1/public/reports/lookup",
        None,
        &json!({"receipt": receipt}),
    )
    .await
}

/// A penalty row as the campaigns capability writes it.
async fn penalty(app: &TestApp, fine_fen: i64) -> i64 {
    let ent = app.enterprise("construction", "licang").await;
    let n = app.next();
    let now = app.clock.now_naive();
    app.state
        .db
        .write(move |conn| {
            use anjian::schema::{penalties, users};
            let issuer: i64 = users::table.select(users::id).first(conn)?;
            Ok(diesel::insert_into(penalties::table)
                .values((
                    penalties::enterprise_id.eq(ent),
                    penalties::decision_no.eq(format!("青应急罚〔2026〕{n}号")),
                    penalties::violation.eq("深基坑未按方案支护"),
                    penalties::legal_basis.eq("《安全生产法》第一百零二条"),
                    penalties::fine_fen.eq(fine_fen),
                    penalties::decided_on.eq(now.date()),
                    penalties::created_by.eq(issuer),
                    penalties::created_at.eq(now),
                    penalties::updated_at.eq(now),
                ))
                .returning(penalties::id)
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap()
}

// =============================================================================================
// Filing and receipts

#[tokio::test]
async fn filing_returns_a_16_digit_receipt_stored_only_as_its_argon2id_hash() {
    let app = TestApp::spawn().await;
    let filed = file(&app, &report_body("general_hazard")).await;
    assert_eq!(filed.receipt.len(), 16);
    assert!(filed.receipt.bytes().all(|b| b.is_ascii_digit()));
    assert!(filed.tracking.starts_with("JB20260601"));
    let id = filed.id;
    let row: (String, String) = app
        .state
        .db
        .run(move |conn| {
            Ok(reports::table
                .find(id)
                .select((reports::receipt_hash, reports::status))
                .first(conn)?)
        })
        .await
        .unwrap();
    let expected =
        crypto::hash_receipt(&data_key(), &Receipt::parse(&filed.receipt).unwrap()).unwrap();
    assert_eq!(
        row.0, expected,
        "argon2id keyed with the installation's salt"
    );
    assert!(!row.0.contains(&filed.receipt));
    assert_eq!(row.1, "received");
    // The receipt is the only key: lookup by it alone, in the body.
    let res = lookup(&app, &filed.receipt).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get("cache-control").unwrap(),
        "no-store",
        "public report responses are not cached"
    );
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["tracking_number"], filed.tracking);
    assert_eq!(view["status"], "received");
    assert_eq!(view["identity_opened"], false);
    assert_eq!(view["reward"], Value::Null);
}

#[tokio::test]
async fn a_retried_filing_with_its_idempotency_key_returns_the_same_receipt_and_stores_neither() {
    let app = TestApp::spawn().await;
    let key = uuid::Uuid::new_v4().to_string();
    let send = || {
        app.client
            .post(app.url("/api/v1/public/reports"))
            .header("Idempotency-Key", &key)
            .json(&report_body("general_hazard"))
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first, again);
    let receipt = first["receipt"].as_str().unwrap().to_owned();
    let stored: Vec<(String, String, String)> = app
        .state
        .db
        .run(|conn| {
            Ok(idempotency_keys::table
                .filter(idempotency_keys::scope.eq("public"))
                .select((
                    idempotency_keys::key,
                    idempotency_keys::response_body,
                    idempotency_keys::request_hash,
                ))
                .load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let (k, body, _) = &stored[0];
    assert_ne!(k, &key, "the key is stored as a hash");
    assert!(
        !body.contains(&receipt),
        "the receipt is not stored: {body}"
    );
    let n: i64 = app
        .state
        .db
        .run(|conn| Ok(reports::table.count().get_result(conn)?))
        .await
        .unwrap();
    assert_eq!(n, 1, "one report, not two");
}

#[tokio::test]
async fn employee_reports_without_a_name_and_a_phone_are_422() {
    let app = TestApp::spawn().await;
    let mut body = report_body("major_hazard");
    body["is_employee"] = json!(true);
    let res = app.post("/api/v1/public/reports", None, &body).await;
    let p = problem(res, 422, "validation_failed").await;
    assert_eq!(fields(&p), ["reporter.name", "reporter.phone"]);
    body["reporter"] = json!({"name": "王工", "email": "w@example.com"});
    let p = problem(
        app.post("/api/v1/public/reports", None, &body).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["reporter.phone"]);
    body["reporter"] = json!({"name": "王工", "phone": "13912345678"});
    assert_eq!(
        app.post("/api/v1/public/reports", None, &body)
            .await
            .status(),
        201
    );
    // Every other bad field is named at once.
    let bad = json!({"industry": "mining", "category": "general_hazard", "district": "atlantis",
        "description": "太短", "is_employee": false, "enterprise_credit_code": "123",
        "occurred_on": "2030-01-01"});
    let p = problem(
        app.post("/api/v1/public/reports", None, &bad).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        fields(&p),
        ["description", "enterprise_credit_code", "occurred_on"]
    );
    let mut body = report_body("general_hazard");
    body["industry"] = json!("mining");
    body["district"] = json!("atlantis");
    let p = problem(
        app.post("/api/v1/public/reports", None, &body).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["industry", "district"]);
    body["category"] = json!("rumour");
    let p = problem(
        app.post("/api/v1/public/reports", None, &body).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["category"]);
}

#[tokio::test]
async fn contact_fields_are_encrypted_at_rest_and_another_key_cannot_open_them() {
    let app = TestApp::spawn().await;
    let mut body = report_body("general_hazard");
    body["reporter"] = json!({"name": "赵敏慧", "phone": "13700001111",
        "email": "zhao.minhui@example.com", "bank_account": "6222021234567890123"});
    let filed = file(&app, &body).await;
    let id = filed.id;
    let sealed: Option<String> = app
        .state
        .db
        .run(move |conn| {
            Ok(reports::table
                .find(id)
                .select(reports::contact_sealed)
                .first(conn)?)
        })
        .await
        .unwrap();
    let sealed = sealed.expect("the contact is stored, sealed");
    // Nothing of the plaintext anywhere in the raw row.
    let raw: String = app
        .state
        .db
        .run(move |conn| {
            let row = reports::table
                .find(id)
                .select(anjian::reports::store::ReportRow::as_select())
                .first(conn)?;
            Ok(format!("{row:?}"))
        })
        .await
        .unwrap();
    for plain in [
        "赵敏慧",
        "13700001111",
        "zhao.minhui",
        "6222021234567890123",
    ] {
        assert!(!raw.contains(plain), "{plain} is stored in clear");
    }
    let opened = crypto::open(&data_key(), crypto::CONTACT, &sealed).unwrap();
    let contact: Value = serde_json::from_slice(&opened).unwrap();
    assert_eq!(contact["phone"], "13700001111");
    let other_key = [42u8; 32];
    assert!(crypto::open(&other_key, crypto::CONTACT, &sealed).is_err());
    // A fresh nonce per record: the same contact seals differently.
    let again = file(&app, &body).await;
    let id2 = again.id;
    let sealed2: Option<String> = app
        .state
        .db
        .run(move |conn| {
            Ok(reports::table
                .find(id2)
                .select(reports::contact_sealed)
                .first(conn)?)
        })
        .await
        .unwrap();
    let (a, b) = (
        base64::engine::general_purpose::STANDARD
            .decode(&sealed)
            .unwrap(),
        base64::engine::general_purpose::STANDARD
            .decode(sealed2.unwrap())
            .unwrap(),
    );
    assert_ne!(a[..12], b[..12], "nonces differ");
}

#[tokio::test]
async fn no_log_line_of_the_public_routes_holds_the_address_the_receipt_or_the_contact() {
    let logs = captured_logs();
    let app = TestApp::spawn().await;
    let tag = format!("logcheck-{}", uuid::Uuid::new_v4().simple());
    let (name, phone, account) = ("钱多多隐私测试", "13655554444", "6217000011112222333");
    let mut body = report_body("general_hazard");
    body["reporter"] = json!({"name": name, "phone": phone, "bank_account": account});
    let send = |path: &'static str, body: Value| {
        app.client
            .post(app.url(path))
            .header("x-request-id", &tag)
            .json(&body)
            .send()
    };
    let res = send("/api/v1/public/reports", body).await.unwrap();
    assert_eq!(res.status(), 201);
    let receipt = res.json::<Value>().await.unwrap()["receipt"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = "0000111122223333";
    for (path, body) in [
        ("/api/v1/public/reports/lookup", json!({"receipt": receipt})),
        ("/api/v1/public/reports/lookup", json!({"receipt": wrong})),
        (
            "/api/v1/public/reports/messages",
            json!({"receipt": receipt, "body": format!("补充：联系电话 {phone}")}),
        ),
        (
            "/api/v1/public/reports/claim",
            json!({"receipt": receipt, "payee": {"name": name, "phone": phone, "bank_account": account}}),
        ),
    ] {
        assert!(send(path, body).await.unwrap().status().as_u16() < 500);
    }
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    let ours: Vec<&str> = text.lines().filter(|l| l.contains(&tag)).collect();
    assert!(
        ours.len() >= 5,
        "the capture sees the requests' log lines: {ours:?}"
    );
    for secret in [receipt.as_str(), wrong, name, phone, account] {
        assert!(!text.contains(secret), "{secret} reached the log");
    }
    for line in ours {
        assert!(
            !line.contains("127.0.0.1"),
            "the client address is logged: {line}"
        );
    }
}

#[tokio::test]
async fn wrong_receipts_are_404_and_past_the_limit_every_receipt_route_is_429_until_the_window_passes()
 {
    let app = TestApp::spawn_with(&[("ANJIAN_RECEIPT_RATE", "3/15min")]).await;
    let filed = file(&app, &report_body("general_hazard")).await;
    for wrong in ["1111111111111111", "2222222222222222", "3333333333333333"] {
        problem(lookup(&app, wrong).await, 404, "not_found").await;
    }
    // Now even the right receipt, on every receipt route, is refused.
    let res = lookup(&app, &filed.receipt).await;
    assert!(res.headers().get("retry-after").is_some());
    problem(res, 429, "rate_limited").await;
    let res = app
        .post(
            "/api/v1/public/reports/messages",
            None,
            &json!({"receipt": filed.receipt, "body": "补充"}),
        )
        .await;
    problem(res, 429, "rate_limited").await;
    let res = app
        .post(
            "/api/v1/public/reports/claim",
            None,
            &json!({"receipt": filed.receipt, "payee": {"name": "a", "phone": "13900000000", "bank_account": "62220000111122"}}),
        )
        .await;
    problem(res, 429, "rate_limited").await;
    // Filing is not a receipt route.
    assert_eq!(
        app.post("/api/v1/public/reports", None, &report_body("other"))
            .await
            .status(),
        201
    );
    app.clock.advance(Duration::minutes(15));
    assert_eq!(lookup(&app, &filed.receipt).await.status(), 200);
    // A malformed receipt is a 422, not a guess.
    let p = problem(lookup(&app, "12345").await, 422, "validation_failed").await;
    assert_eq!(fields(&p), ["receipt"]);
}

#[tokio::test]
async fn report_filing_is_rate_limited_per_client_address() {
    let app = TestApp::spawn_with(&[("ANJIAN_REPORT_RATE", "2/h")]).await;
    for _ in 0..2 {
        file(&app, &report_body("general_hazard")).await;
    }
    let res = app
        .post(
            "/api/v1/public/reports",
            None,
            &report_body("general_hazard"),
        )
        .await;
    assert!(res.headers().get("retry-after").is_some());
    problem(res, 429, "rate_limited").await;
}

// =============================================================================================
// Handling

#[tokio::test]
async fn a_report_is_followed_by_receipt_from_filing_to_a_paid_reward() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let mut body = report_body("general_hazard");
    body["is_employee"] = json!(true);
    body["reporter"] = json!({"name": "孙小工", "phone": "13811112222"});
    let filed = file(&app, &body).await;
    let id = filed.id;
    investigate(&app, &s, id).await;
    for (text, to_reporter) in [
        ("请补充现场照片。", true),
        ("内部：联系监理单位核实。", false),
    ] {
        let res = app
            .post(
                &format!("/api/v1/reports/{id}/messages"),
                Some(&s.inspector),
                &json!({"body": text, "to_reporter": to_reporter}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let res = app
        .post(
            "/api/v1/public/reports/messages",
            None,
            &json!({"receipt": filed.receipt, "body": "照片已上传至举报平台。"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let view: Value = lookup(&app, &filed.receipt).await.json().await.unwrap();
    assert_eq!(view["status"], "investigating");
    let bodies: Vec<(&str, &str)> = view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["from"].as_str().unwrap(), m["body"].as_str().unwrap()))
        .collect();
    assert_eq!(
        bodies,
        [
            ("bureau", "请补充现场照片。"),
            ("reporter", "照片已上传至举报平台。")
        ],
        "internal notes are not shown to the reporter"
    );
    conclude(
        &app,
        &s,
        id,
        json!({"outcome": "substantiated", "findings": "属实"}),
    )
    .await;
    // Staff see everything but the identity.
    let detail: Value = app
        .get(&format!("/api/v1/reports/{id}"), Some(&s.inspector))
        .await
        .json()
        .await
        .unwrap();
    let text = detail.to_string();
    assert!(!text.contains("孙小工") && !text.contains("13811112222"));
    assert_eq!(detail["messages"].as_array().unwrap().len(), 3);
    assert_eq!(detail["status"], "substantiated");
    let actions: Vec<(&str, &str)> = detail["timeline"]
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
            ("filed", "public"),
            ("assigned", "inspector"),
            ("investigation_started", "inspector"),
            ("message_added", "inspector"),
            ("message_added", "inspector"),
            ("reporter_message", "public"),
            ("concluded", "inspector"),
        ]
    );
    // The reward: 500 yuan, +20% for an employee.
    let res = reward(&app, id, json!({})).await;
    assert_eq!(res.status(), 201);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["amount_fen"], 60_000);
    assert_eq!(r["status"], "decided");
    assert_eq!(r["breakdown"]["uplift_rate"], 0.2);
    assert_eq!(r["breakdown"]["base_fen"], 50_000);
    assert_eq!(r["claim_deadline"], "2026-07-31");
    let reward_id = r["id"].as_i64().unwrap();
    let view: Value = lookup(&app, &filed.receipt).await.json().await.unwrap();
    assert_eq!(view["reward"]["amount_fen"], 60_000);
    assert_eq!(view["reward"]["status"], "decided");
    assert_eq!(view["reward"]["claim_deadline"], "2026-07-31");
    // Paying before the claim is a 409.
    let pay = json!({"paid_on": "2026-06-01", "reference": "转账凭证 0001"});
    let path = format!("/api/v1/rewards/{reward_id}/pay");
    problem(
        app.post(&path, Some(&app.admin_token), &pay).await,
        409,
        "invalid_transition",
    )
    .await;
    let claim = json!({"receipt": filed.receipt, "payee": {"name": "孙小工", "phone": "13811112222", "bank_account": "6228480012345678"}});
    let res = app.post("/api/v1/public/reports/claim", None, &claim).await;
    assert_eq!(res.status(), 200);
    problem(
        app.post("/api/v1/public/reports/claim", None, &claim).await,
        409,
        "invalid_transition",
    )
    .await;
    let sealed: Option<String> = app
        .state
        .db
        .run(move |conn| {
            Ok(rewards::table
                .find(reward_id)
                .select(rewards::payee_sealed)
                .first(conn)?)
        })
        .await
        .unwrap();
    let sealed = sealed.unwrap();
    assert!(!sealed.contains("6228480012345678"));
    assert!(crypto::open(&data_key(), crypto::PAYEE, &sealed).is_ok());
    assert!(crypto::open(&[1; 32], crypto::PAYEE, &sealed).is_err());
    // Only the admin paying it sees the payee.
    let detail: Value = app
        .get(
            &format!("/api/v1/rewards/{reward_id}"),
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["payee"]["bank_account"], "6228480012345678");
    assert_eq!(detail["status"], "claimed");
    assert_eq!(
        app.get(&format!("/api/v1/rewards/{reward_id}"), Some(&s.inspector))
            .await
            .status(),
        403
    );
    let res = app.post(&path, Some(&app.admin_token), &pay).await;
    assert_eq!(res.status(), 200);
    let paid: Value = res.json().await.unwrap();
    assert_eq!(paid["status"], "paid");
    let roles: Vec<(&str, &str)> = paid["timeline"]
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
        roles,
        [
            ("decided", "admin"),
            ("claimed", "public"),
            ("paid", "admin")
        ]
    );
    let view: Value = lookup(&app, &filed.receipt).await.json().await.unwrap();
    assert_eq!(view["reward"]["status"], "paid");
    assert_eq!(view["reward"]["paid_on"], "2026-06-01");
    // The whole trail verifies.
    let verify: Value = app
        .get("/api/v1/audit/verify", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verify["ok"], true, "{verify}");
    // The list finds it by its filters.
    let list: Value = app
        .get(
            &format!(
                "/api/v1/reports?status=substantiated&category=general_hazard&industry=construction&district=licang&assignee_id={}&from=2026-06-01&to=2026-06-01",
                s.inspector_id
            ),
            Some(&s.inspector),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["id"], id);
    let rewards_list: Value = app
        .get(
            "/api/v1/rewards?status=paid&industry=construction",
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rewards_list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn handling_steps_out_of_order_are_409() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let filed = file(&app, &report_body("general_hazard")).await;
    let id = filed.id;
    let post = |path: String, body: Value| {
        let token = s.inspector.clone();
        let app = &app;
        async move { app.post(&path, Some(&token), &body).await }
    };
    let done = json!({"outcome": "unsubstantiated", "findings": "查无此事"});
    problem(
        post(format!("/api/v1/reports/{id}/start"), json!({})).await,
        409,
        "invalid_transition",
    )
    .await;
    problem(
        post(format!("/api/v1/reports/{id}/conclude"), done.clone()).await,
        409,
        "invalid_transition",
    )
    .await;
    investigate(&app, &s, id).await;
    problem(
        post(
            format!("/api/v1/reports/{id}/assign"),
            json!({"inspector_id": s.inspector_id}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    // Two concurrent conclusions: exactly one wins.
    let (a, b) = tokio::join!(
        post(format!("/api/v1/reports/{id}/conclude"), done.clone()),
        post(
            format!("/api/v1/reports/{id}/conclude"),
            json!({"outcome": "substantiated", "findings": "属实"})
        )
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    problem(
        post(format!("/api/v1/reports/{id}/conclude"), done).await,
        409,
        "invalid_transition",
    )
    .await;
    // Assigning to someone who is not an inspector is a 422.
    let other = file(&app, &report_body("general_hazard")).await;
    let p = problem(
        post(
            format!("/api/v1/reports/{}/assign", other.id),
            json!({"inspector_id": 999_999}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["inspector_id"]);
    // A duplicate names an earlier report.
    let third = file(&app, &report_body("general_hazard")).await;
    investigate(&app, &s, third.id).await;
    let p = problem(
        post(
            format!("/api/v1/reports/{}/conclude", third.id),
            json!({"outcome": "duplicate", "findings": "同一事项"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["duplicate_of"]);
    let p = problem(
        post(
            format!("/api/v1/reports/{}/conclude", third.id),
            json!({"outcome": "duplicate", "findings": "同一事项", "duplicate_of": third.id + 5}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["duplicate_of"]);
    let d = conclude(
        &app,
        &s,
        third.id,
        json!({"outcome": "duplicate", "findings": "同一事项", "duplicate_of": id}),
    )
    .await;
    assert_eq!(d["duplicate_of"], id);
    // Reviewers and enterprises see no reports.
    let reviewer = app.token_for(Role::Reviewer, None).await;
    assert_eq!(
        app.get(&format!("/api/v1/reports/{id}"), Some(&reviewer))
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn the_identity_is_for_admins_only_with_a_reason_audited_and_shown_to_the_reporter_as_opened()
{
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let mut body = report_body("illegal_production");
    body["reporter"] = json!({"name": "李举报", "phone": "13099998888"});
    let filed = file(&app, &body).await;
    let path = format!("/api/v1/reports/{}/identity", filed.id);
    let reason = json!({"reason": "需当面核实举报线索，经局长批准"});
    assert_eq!(
        app.post(&path, Some(&s.inspector), &reason).await.status(),
        403
    );
    let p = problem(
        app.post(&path, Some(&app.admin_token), &json!({"reason": "看看"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["reason"]);
    let view: Value = lookup(&app, &filed.receipt).await.json().await.unwrap();
    assert_eq!(view["identity_opened"], false);
    let res = app.post(&path, Some(&app.admin_token), &reason).await;
    assert_eq!(res.status(), 200);
    let identity: Value = res.json().await.unwrap();
    assert_eq!(identity["name"], "李举报");
    assert_eq!(identity["phone"], "13099998888");
    assert_eq!(identity["anonymous"], false);
    let events: Value = app
        .get(
            &format!(
                "/api/v1/audit?aggregate_type=report&aggregate_id={}",
                filed.id
            ),
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let opened = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "identity_opened")
        .expect("an audit event for the opening");
    assert!(opened["actor_user_id"].as_i64().is_some(), "who");
    assert!(opened["at"].is_string(), "when");
    assert!(opened.to_string().contains("经局长批准"), "why");
    assert!(!events.to_string().contains("13099998888"));
    let view: Value = lookup(&app, &filed.receipt).await.json().await.unwrap();
    assert_eq!(view["identity_opened"], true);
    assert!(!view.to_string().contains("actor"), "not by whom");
    let detail: Value = app
        .get(&format!("/api/v1/reports/{}", filed.id), Some(&s.inspector))
        .await
        .json()
        .await
        .unwrap();
    assert!(!detail.to_string().contains("李举报"));
    assert_eq!(detail["identity_opened"], true);
}

// =============================================================================================
// Rewards

#[tokio::test]
async fn a_reward_uses_the_rule_in_force_when_the_report_was_filed() {
    let app = TestApp::spawn().await;
    let mut s = staff(&app).await;
    let before = file(&app, &report_body("general_hazard")).await;
    let rule = json!({"category": "general_hazard", "kind": "fixed", "amount_fen": 80_000,
        "floor_fen": 20_000, "cap_fen": 500_000, "effective_from": "2026-06-02"});
    let res = app
        .post("/api/v1/reward-rules", Some(&app.admin_token), &rule)
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    problem(
        app.post("/api/v1/reward-rules", Some(&app.admin_token), &rule)
            .await,
        409,
        "conflict",
    )
    .await;
    let mut past = rule.clone();
    past["effective_from"] = json!("2026-05-01");
    past["typo"] = json!(1);
    let p = problem(
        app.post("/api/v1/reward-rules", Some(&app.admin_token), &past)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["typo"]);
    past.as_object_mut().unwrap().remove("typo");
    past["amount_fen"] = Value::Null;
    let p = problem(
        app.post("/api/v1/reward-rules", Some(&app.admin_token), &past)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["amount_fen", "effective_from"]);
    app.clock.advance(Duration::days(1));
    s.refresh(&app).await;
    let after = file(&app, &report_body("general_hazard")).await;
    for id in [before.id, after.id] {
        substantiate(&app, &s, id, json!({})).await;
    }
    let a: Value = reward(&app, before.id, json!({}))
        .await
        .json()
        .await
        .unwrap();
    let b: Value = reward(&app, after.id, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["amount_fen"], 50_000);
    assert_eq!(a["breakdown"]["rule"], "category:general_hazard@2020-01-01");
    assert_eq!(b["amount_fen"], 80_000);
    assert_eq!(b["breakdown"]["rule"], "category:general_hazard@2026-06-02");
    let rules: Value = app
        .get(
            "/api/v1/reward-rules?category=general_hazard",
            Some(&admin(&app).await),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rules["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn major_hazards_earn_half_the_fines_of_their_penalties_with_the_employee_uplift() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let p1 = penalty(&app, 3_000_000).await;
    let p2 = penalty(&app, 2_000_000).await;
    let mut body = report_body("major_hazard");
    body["is_employee"] = json!(true);
    body["reporter"] = json!({"name": "周工", "phone": "13512345678"});
    let filed = file(&app, &body).await;
    investigate(&app, &s, filed.id).await;
    let p = problem(
        app.post(
            &format!("/api/v1/reports/{}/conclude", filed.id),
            Some(&s.inspector),
            &json!({"outcome": "substantiated", "findings": "属实", "penalty_ids": [p1, 987_654]}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["penalty_ids[1]"]);
    conclude(
        &app,
        &s,
        filed.id,
        json!({"outcome": "substantiated", "findings": "属实", "penalty_ids": [p1, p2]}),
    )
    .await;
    let r: Value = reward(&app, filed.id, json!({}))
        .await
        .json()
        .await
        .unwrap();
    let b = &r["breakdown"];
    assert_eq!(b["kind"], "fine_share");
    assert_eq!(b["base_fen"], 5_000_000);
    assert_eq!(b["rate"], 0.5);
    assert_eq!(b["floor_fen"], 500_000);
    assert_eq!(b["cap_fen"], 50_000_000);
    assert_eq!(b["uplift_rate"], 0.2);
    assert_eq!(b["per_death_fen"], Value::Null);
    assert_eq!(r["amount_fen"], 3_000_000, "25,000 yuan + 20%");
}

#[tokio::test]
async fn overrides_stay_within_the_bounds_and_need_a_reason() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let filed = file(&app, &report_body("general_hazard")).await;
    substantiate(&app, &s, filed.id, json!({})).await;
    let p = problem(
        reward(
            &app,
            filed.id,
            json!({"amount_fen": 600_000, "override_reason": "线索价值很高，超出常规"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["amount_fen"]);
    let p = problem(
        reward(&app, filed.id, json!({"amount_fen": 100_000})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["override_reason"]);
    let res = reward(
        &app,
        filed.id,
        json!({"amount_fen": 100_000, "override_reason": "线索具体、查处及时，按上限内从高"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["amount_fen"], 100_000);
    assert_eq!(r["overridden"], true);
    assert_eq!(r["breakdown"]["amount_fen"], 50_000, "the computed amount");
    problem(reward(&app, filed.id, json!({})).await, 409, "conflict").await;
}

#[tokio::test]
async fn unsubstantiated_duplicate_and_other_reports_get_no_reward() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let first = file(&app, &report_body("general_hazard")).await;
    let dup = file(&app, &report_body("general_hazard")).await;
    let unsub = file(&app, &report_body("general_hazard")).await;
    let other = file(&app, &report_body("other")).await;
    let received = file(&app, &report_body("general_hazard")).await;
    substantiate(&app, &s, first.id, json!({})).await;
    investigate(&app, &s, dup.id).await;
    conclude(
        &app,
        &s,
        dup.id,
        json!({"outcome": "duplicate", "findings": "重复", "duplicate_of": first.id}),
    )
    .await;
    investigate(&app, &s, unsub.id).await;
    conclude(
        &app,
        &s,
        unsub.id,
        json!({"outcome": "unsubstantiated", "findings": "不属实"}),
    )
    .await;
    substantiate(&app, &s, other.id, json!({})).await;
    for id in [dup.id, unsub.id, other.id, received.id] {
        problem(reward(&app, id, json!({})).await, 409, "conflict").await;
    }
    assert_eq!(reward(&app, first.id, json!({})).await.status(), 201);
}

#[tokio::test]
async fn accident_reports_need_grade_and_deaths_and_earn_per_death() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let filed = file(&app, &report_body("concealed_accident")).await;
    investigate(&app, &s, filed.id).await;
    let p = problem(
        app.post(
            &format!("/api/v1/reports/{}/conclude", filed.id),
            Some(&s.inspector),
            &json!({"outcome": "substantiated", "findings": "瞒报属实"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["accident_grade", "concealed_deaths"]);
    conclude(
        &app,
        &s,
        filed.id,
        json!({"outcome": "substantiated", "findings": "瞒报属实", "accident_grade": "larger", "concealed_deaths": 3}),
    )
    .await;
    let r: Value = reward(&app, filed.id, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["breakdown"]["per_death_fen"], 4_000_000);
    assert_eq!(r["breakdown"]["deaths"], 3);
    assert_eq!(r["breakdown"]["floor_fen"], Value::Null);
    assert_eq!(r["amount_fen"], 12_000_000);
}

#[tokio::test]
async fn an_unclaimed_reward_lapses_after_60_days() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let filed = file(&app, &report_body("general_hazard")).await;
    substantiate(&app, &s, filed.id, json!({})).await;
    let r: Value = reward(&app, filed.id, json!({}))
        .await
        .json()
        .await
        .unwrap();
    let reward_id = r["id"].as_i64().unwrap();
    app.clock.advance(Duration::days(60));
    let view: Value = lookup(&app, &filed.receipt).await.json().await.unwrap();
    assert_eq!(
        view["reward"]["status"], "decided",
        "day 60 is still in time"
    );
    app.clock.advance(Duration::days(1));
    let view: Value = lookup(&app, &filed.receipt).await.json().await.unwrap();
    assert_eq!(view["reward"]["status"], "lapsed");
    let claim = json!({"receipt": filed.receipt, "payee": {"name": "某人", "phone": "13900001111", "bank_account": "6222000011112222"}});
    problem(
        app.post("/api/v1/public/reports/claim", None, &claim).await,
        409,
        "invalid_transition",
    )
    .await;
    let token = admin(&app).await;
    let detail: Value = app
        .get(&format!("/api/v1/rewards/{reward_id}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["status"], "lapsed");
    let last = detail["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["action"].as_str(), last["actor_role"].as_str()),
        (Some("lapsed"), Some("system"))
    );
    let stored: String = app
        .state
        .db
        .run(move |conn| {
            Ok(rewards::table
                .find(reward_id)
                .select(rewards::status)
                .first(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(
        stored, "lapsed",
        "the lapse is written down, not only shown"
    );
    let lapsed: Value = app
        .get("/api/v1/rewards?status=lapsed", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lapsed["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn reward_situations_import_as_json_and_csv_and_a_named_situation_sets_the_reward() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let seeded: Value = app
        .get(
            "/api/v1/reward-situations?industry=fireworks",
            Some(&s.inspector),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !seeded["items"].as_array().unwrap().is_empty(),
        "seeded per industry"
    );
    let rows = json!([
        {"code": "CN-99", "industry": "construction", "category": "general_hazard",
         "description": "塔吊限位装置失效仍在作业", "kind": "fixed", "amount_fen": 150_000,
         "floor_fen": 20_000, "cap_fen": 500_000},
        {"code": "CN-98", "industry": "construction", "category": "major_hazard",
         "description": "高支模未经论证", "kind": "fine_share", "rate": 0.3,
         "floor_fen": 300_000, "cap_fen": 50_000_000}
    ]);
    let res = app
        .post("/api/v1/reward-situations", Some(&app.admin_token), &rows)
        .await;
    assert_eq!(res.status(), 201);
    let done: Value = res.json().await.unwrap();
    assert_eq!(
        (done["created"].as_i64(), done["updated"].as_i64()),
        (Some(2), Some(0))
    );
    let csv = "code,industry,category,description,kind,amount_fen,floor_fen,cap_fen\n\
               CN-99,construction,general_hazard,塔吊限位装置失效仍在作业,fixed,200000,20000,500000\n\
               GS-77,gas,general_hazard,瓶装液化气钢瓶超期未检,fixed,60000,20000,500000\n";
    let res = app
        .client
        .post(app.url("/api/v1/reward-situations"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let done: Value = res.json().await.unwrap();
    assert_eq!(
        (done["created"].as_i64(), done["updated"].as_i64()),
        (Some(1), Some(1))
    );
    let bad = "code,industry,category,description,kind,amount_fen\nX-1,gas,general_hazard,d,fixed,abc\nX-2,gas,nonsense,d,bonus,1\n";
    let res = app
        .client
        .post(app.url("/api/v1/reward-situations"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body(bad)
        .send()
        .await
        .unwrap();
    let p = problem(res, 422, "validation_failed").await;
    assert_eq!(fields(&p), ["[0].amount_fen"]);
    let bad = json!([{"code": "X-2", "industry": "gas", "category": "nonsense",
        "description": "d", "kind": "bonus"}]);
    let p = problem(
        app.post("/api/v1/reward-situations", Some(&app.admin_token), &bad)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["[0].category", "[0].kind"]);
    // A report of category `other` has no default rule; its situation's rule applies.
    let filed = file(&app, &report_body("other")).await;
    substantiate(&app, &s, filed.id, json!({"situation_code": "CN-99"})).await;
    let r: Value = reward(&app, filed.id, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["amount_fen"], 200_000, "the CSV update is in force");
    assert_eq!(r["breakdown"]["situation_code"], "CN-99");
    assert_eq!(r["breakdown"]["rule"], "situation:CN-99");
    let unknown = file(&app, &report_body("general_hazard")).await;
    investigate(&app, &s, unknown.id).await;
    let p = problem(
        app.post(
            &format!("/api/v1/reports/{}/conclude", unknown.id),
            Some(&s.inspector),
            &json!({"outcome": "substantiated", "findings": "属实", "situation_code": "NOPE"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["situation_code"]);
}

// =============================================================================================
// Figures

#[tokio::test]
async fn the_report_figures_are_exact_for_a_known_set() {
    let app = TestApp::spawn().await;
    let mut s = staff(&app).await;
    let with = |category: &str, industry: &str, district: &str| {
        let mut b = report_body(category);
        b["industry"] = json!(industry);
        b["district"] = json!(district);
        b
    };
    // 2026-06-01: four reports.
    let a = file(&app, &with("general_hazard", "construction", "licang")).await;
    let b = file(&app, &with("general_hazard", "gas", "shinan")).await;
    let c = file(&app, &with("major_hazard", "gas", "shinan")).await;
    let d = file(&app, &with("other", "construction", "licang")).await;
    // One more outside the period, on 2026-07-15.
    investigate(&app, &s, a.id).await;
    investigate(&app, &s, b.id).await;
    investigate(&app, &s, c.id).await;
    app.clock.advance(Duration::days(2));
    s.refresh(&app).await;
    conclude(
        &app,
        &s,
        a.id,
        json!({"outcome": "substantiated", "findings": "属实"}),
    )
    .await;
    app.clock.advance(Duration::days(3));
    s.refresh(&app).await;
    conclude(
        &app,
        &s,
        b.id,
        json!({"outcome": "unsubstantiated", "findings": "不实"}),
    )
    .await;
    app.clock.advance(Duration::days(5));
    s.refresh(&app).await;
    conclude(
        &app,
        &s,
        c.id,
        json!({"outcome": "substantiated", "findings": "属实"}),
    )
    .await;
    // Concluded after 2, 5 and 10 days: the median is 5.
    let ra: Value = reward(&app, a.id, json!({})).await.json().await.unwrap();
    let rc: Value = reward(&app, c.id, json!({})).await.json().await.unwrap();
    assert_eq!(
        (ra["amount_fen"].as_i64(), rc["amount_fen"].as_i64()),
        (Some(50_000), Some(500_000))
    );
    let claim = json!({"receipt": a.receipt, "payee": {"name": "某甲", "phone": "13900001111", "bank_account": "6222000011112222"}});
    assert_eq!(
        app.post("/api/v1/public/reports/claim", None, &claim)
            .await
            .status(),
        200
    );
    let pay = json!({"paid_on": "2026-06-11", "reference": "凭证0001"});
    let res = app
        .post(
            &format!("/api/v1/rewards/{}/pay", ra["id"]),
            Some(&admin(&app).await),
            &pay,
        )
        .await;
    assert_eq!(res.status(), 200);
    app.clock.advance(Duration::days(34));
    file(&app, &with("late_report", "fireworks", "jimo")).await;
    let reviewer = app.token_for(Role::Reviewer, None).await;
    let stats: Value = app
        .get(
            "/api/v1/stats/reports?from=2026-06-01&to=2026-06-30",
            Some(&reviewer),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats["reports"],
        json!({"received": 4, "concluded": 3, "substantiated": 2, "unsubstantiated": 1, "duplicate": 0})
    );
    assert_eq!(stats["median_days_to_conclusion"], 5.0);
    assert_eq!(
        stats["by_category"],
        json!([
            {"category": "general_hazard", "received": 2, "concluded": 2, "substantiated": 1, "unsubstantiated": 1, "duplicate": 0},
            {"category": "major_hazard", "received": 1, "concluded": 1, "substantiated": 1, "unsubstantiated": 0, "duplicate": 0},
            {"category": "other", "received": 1, "concluded": 0, "substantiated": 0, "unsubstantiated": 0, "duplicate": 0},
        ])
    );
    assert_eq!(
        stats["by_industry"],
        json!([
            {"industry": "construction", "received": 2, "concluded": 1, "substantiated": 1, "unsubstantiated": 0, "duplicate": 0},
            {"industry": "gas", "received": 2, "concluded": 2, "substantiated": 1, "unsubstantiated": 1, "duplicate": 0},
        ])
    );
    assert_eq!(
        stats["by_district"],
        json!([
            {"district": "licang", "received": 2, "concluded": 1, "substantiated": 1, "unsubstantiated": 0, "duplicate": 0},
            {"district": "shinan", "received": 2, "concluded": 2, "substantiated": 1, "unsubstantiated": 1, "duplicate": 0},
        ])
    );
    assert_eq!(
        stats["rewards"],
        json!({
            "decided": {"count": 2, "amount_fen": 550_000},
            "paid": {"count": 1, "amount_fen": 50_000},
            "by_industry": [
                {"industry": "construction", "decided": {"count": 1, "amount_fen": 50_000}, "paid": {"count": 1, "amount_fen": 50_000}},
                {"industry": "gas", "decided": {"count": 1, "amount_fen": 500_000}, "paid": {"count": 0, "amount_fen": 0}},
            ]
        })
    );
    let situations = stats["situations_by_industry"].as_array().unwrap();
    assert_eq!(situations.len(), 20, "every industry has seeded situations");
    assert!(
        situations
            .iter()
            .any(|s| s["industry"] == "construction" && s["situations"] == 3)
    );
    // Without a period every report counts.
    let all: Value = app
        .get("/api/v1/stats/reports", Some(&reviewer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["reports"]["received"], 5);
    let p = problem(
        app.get("/api/v1/stats/reports?from=June", Some(&reviewer))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["from"]);
    let _ = d;
}

#[tokio::test]
async fn the_city_year_seed_gives_1284_handled_reports_and_exactly_265100_yuan_paid() {
    let app = TestApp::spawn().await;
    let key = data_key();
    let written = app
        .state
        .db
        .write(move |conn| anjian::reports::seed::city_year(conn, 1.0, 2021, &key))
        .await
        .unwrap();
    assert_eq!(written.reports, 1_284);
    assert_eq!(written.paid_fen, 26_510_000);
    let stats: Value = app
        .get(
            "/api/v1/stats/reports?from=2021-01-01&to=2021-12-31",
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stats["reports"]["received"], 1_284);
    assert_eq!(stats["reports"]["concluded"], 1_284, "every report handled");
    assert_eq!(stats["rewards"]["paid"]["amount_fen"], 26_510_000);
    assert_eq!(stats["rewards"]["paid"]["count"], written.rewards);
    assert_eq!(stats["rewards"]["decided"]["amount_fen"], 26_510_000);
    let by_industry: i64 = stats["rewards"]["by_industry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["paid"]["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(by_industry, 26_510_000);
    let median = stats["median_days_to_conclusion"].as_f64().unwrap();
    assert!((3.0..=30.0).contains(&median), "{median}");
    // Deterministic: the same seed writes the same year; twice into one database is refused.
    let twice = app
        .state
        .db
        .write(move |conn| anjian::reports::seed::city_year(conn, 1.0, 2021, &key))
        .await;
    assert!(
        matches!(twice, Err(anjian::error::ApiError::Conflict(_))),
        "{twice:?}"
    );
    let other = TestApp::spawn().await;
    let again = other
        .state
        .db
        .write(move |conn| anjian::reports::seed::city_year(conn, 1.0, 2021, &key))
        .await
        .unwrap();
    assert_eq!(again, written);
    let small = other
        .state
        .db
        .write(move |conn| anjian::reports::seed::city_year(conn, 0.1, 7, &key))
        .await
        .unwrap();
    assert_eq!((small.reports, small.paid_fen), (128, 2_650_000), "scaled");
    // The trail still verifies.
    let verify: Value = app
        .get("/api/v1/audit/verify", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verify["ok"], true);
}

#[tokio::test]
async fn the_demo_seed_holds_reports_in_every_state_and_rewards_in_every_state() {
    let app = TestApp::spawn().await;
    app.create_user_direct("demo.inspector", Role::Inspector, None)
        .await;
    let key = data_key();
    let clock = app.clock.clone();
    app.state
        .db
        .write(move |conn| {
            anjian::reports::seed::demo(conn, &clock, &key, chrono_tz::Asia::Shanghai)
        })
        .await
        .unwrap();
    let list: Value = app
        .get("/api/v1/reports?limit=200", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let mut states: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    states.sort_unstable();
    states.dedup();
    assert_eq!(
        states,
        [
            "assigned",
            "duplicate",
            "investigating",
            "received",
            "substantiated",
            "unsubstantiated"
        ]
    );
    let rewards: Value = app
        .get("/api/v1/rewards", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let mut states: Vec<&str> = rewards["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    states.sort_unstable();
    assert_eq!(states, ["claimed", "decided", "lapsed", "paid"]);
}
