//! Retention (SPEC 6): housekeeping erases the reporter's contact and the payee of a report
//! concluded longer ago than `ANJIAN_REPORT_RETENTION_DAYS` whose reward is paid, lapsed or
//! was never decided; the report, its figures and its trail stay.
//!
//! The step is triggered as housekeeping runs it (`reports::usecases::retention::housekeep`,
//! with the service's state and clock); everything else goes through the HTTP API.

use anjian::auth::Role;
use anjian::schema::{reports, rewards};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, problem};

struct Filed {
    id: i64,
    receipt: String,
}

async fn file_named(app: &TestApp, name: &str) -> Filed {
    let body = json!({
        "industry": "construction",
        "category": "general_hazard",
        "enterprise_name": "青岛某建筑工程有限公司",
        "district": "licang",
        "description": "深基坑开挖超过五米未按专项方案支护，周边已出现裂缝，工人仍在坑底作业。",
        "is_employee": false,
        "reporter": {"name": name, "phone": "13800001111"}
    });
    let res = app.post("/api/v1/public/reports", None, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    Filed {
        id: v["tracking_number"].as_str().unwrap()[10..]
            .parse()
            .unwrap(),
        receipt: v["receipt"].as_str().unwrap().to_owned(),
    }
}

/// received → assigned → investigating → `outcome`, by a fresh inspector.
async fn conclude(app: &TestApp, id: i64, outcome: &str) {
    let name = format!("insp{}", app.next());
    let inspector_id = app.create_user_direct(&name, Role::Inspector, None).await;
    let token = app.login(&name, PASSWORD).await;
    for (step, body) in [
        ("assign", json!({"inspector_id": inspector_id})),
        ("start", json!({})),
        (
            "conclude",
            json!({"outcome": outcome, "findings": "现场核查完毕，结论如上。"}),
        ),
    ] {
        let res = app
            .post(&format!("/api/v1/reports/{id}/{step}"), Some(&token), &body)
            .await;
        assert_eq!(res.status(), 200, "{step}: {}", res.text().await.unwrap());
    }
}

async fn admin(app: &TestApp) -> String {
    app.login("root", PASSWORD).await
}

/// Decides the report's reward; returns its id.
async fn decide(app: &TestApp, id: i64) -> i64 {
    let res = app
        .post(
            &format!("/api/v1/reports/{id}/reward"),
            Some(&admin(app).await),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn claim(app: &TestApp, filed: &Filed) {
    let body = json!({"receipt": filed.receipt, "payee": {"name": "孙小工", "phone": "13811112222", "bank_account": "6228480012345678"}});
    let res = app.post("/api/v1/public/reports/claim", None, &body).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// Housekeeping's retention step, on the service's clock.
async fn housekeep(app: &TestApp) -> usize {
    anjian::reports::usecases::retention::housekeep(
        &app.state.db,
        app.state.now(),
        app.state.config.report_retention,
    )
    .await
}

/// `(contact_sealed, identity_erased_at, payee_sealed of its reward)` as stored.
async fn raw(
    app: &TestApp,
    id: i64,
) -> (
    Option<String>,
    Option<NaiveDateTime>,
    Option<Option<String>>,
) {
    app.state
        .db
        .run(move |conn| {
            let (contact, erased) = reports::table
                .find(id)
                .select((reports::contact_sealed, reports::identity_erased_at))
                .first::<(Option<String>, Option<NaiveDateTime>)>(conn)?;
            let payee = rewards::table
                .filter(rewards::report_id.eq(id))
                .select(rewards::payee_sealed)
                .first::<Option<String>>(conn)
                .optional()?;
            Ok((contact, erased, payee))
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn housekeeping_erases_the_reporters_details_once_the_retention_period_has_passed() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.state.config.report_retention,
        Some(Duration::days(730)),
        "the default is 730 days"
    );
    // Concluded on day 0: paid, never rewarded, lapsed (unclaimed), and one still claimed.
    let paid = file_named(&app, "张已付").await;
    conclude(&app, paid.id, "substantiated").await;
    let paid_reward = decide(&app, paid.id).await;
    claim(&app, &paid).await;
    let res = app
        .post(
            &format!("/api/v1/rewards/{paid_reward}/pay"),
            Some(&admin(&app).await),
            &json!({"paid_on": "2026-06-01", "reference": "转账凭证 0001"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let unrewarded = file_named(&app, "李未奖").await;
    conclude(&app, unrewarded.id, "unsubstantiated").await;
    let lapsing = file_named(&app, "王过期").await;
    conclude(&app, lapsing.id, "substantiated").await;
    decide(&app, lapsing.id).await;
    let open = file_named(&app, "赵待付").await;
    conclude(&app, open.id, "substantiated").await;
    decide(&app, open.id).await;
    claim(&app, &open).await;
    // Concluded on day 400: within the period at day 731.
    app.clock.advance(Duration::days(400));
    let recent = file_named(&app, "钱近期").await;
    conclude(&app, recent.id, "unsubstantiated").await;
    // Day 729 after the first conclusions: not yet.
    app.clock.advance(Duration::days(329));
    assert_eq!(housekeep(&app).await, 0, "730 days have not passed yet");
    assert!(raw(&app, paid.id).await.0.is_some());

    app.clock.advance(Duration::days(2));
    assert_eq!(housekeep(&app).await, 3);

    let (contact, erased, payee) = raw(&app, paid.id).await;
    assert_eq!(contact, None, "the contact is erased");
    assert_eq!(payee, Some(None), "the payee is erased");
    assert_eq!(erased, Some(app.clock.now_naive()));
    for filed in [&unrewarded, &lapsing] {
        let (contact, erased, _) = raw(&app, filed.id).await;
        assert_eq!((contact, erased.is_some()), (None, true), "{}", filed.id);
    }
    for filed in [&open, &recent] {
        let (contact, erased, _) = raw(&app, filed.id).await;
        assert!(
            contact.is_some() && erased.is_none(),
            "{} untouched",
            filed.id
        );
    }
    assert!(
        matches!(raw(&app, open.id).await.2, Some(Some(_))),
        "the open reward's payee stays"
    );

    let token = admin(&app).await;
    // The report is still readable, text and outcome intact, and the erasure is in its trail.
    let detail = app
        .get_json(&format!("/api/v1/reports/{}", paid.id), Some(&token))
        .await;
    let report = &detail;
    assert_eq!(report["status"], "substantiated");
    assert!(
        report["description"]
            .as_str()
            .unwrap()
            .starts_with("深基坑")
    );
    assert_eq!(report["anonymous"], false, "the reporter was named");
    let last = detail["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "identity_erased");
    assert_eq!(last["actor_role"], "system");
    let id = paid.id.to_string();
    let payload: String = app
        .state
        .db
        .run(move |conn| {
            use anjian::schema::audit_events as a;
            Ok(a::table
                .filter(a::aggregate_type.eq("report"))
                .filter(a::aggregate_id.eq(id))
                .filter(a::action.eq("identity_erased"))
                .select(a::payload)
                .first(conn)?)
        })
        .await
        .unwrap();
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(
        payload,
        json!({"contact": true, "payee": true, "retention_days": 730})
    );
    let reward = app
        .get_json(&format!("/api/v1/rewards/{paid_reward}"), Some(&token))
        .await;
    assert_eq!(
        (reward["status"].as_str(), &reward["payee"]),
        (Some("paid"), &Value::Null)
    );
    // The identity is gone for good; the one kept still opens.
    let reason = json!({"reason": "复核举报人身份以便沟通"});
    let p = problem(
        app.post(
            &format!("/api/v1/reports/{}/identity", paid.id),
            Some(&token),
            &reason,
        )
        .await,
        409,
        "conflict",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("erased"), "{p}");
    let opened = app
        .post(
            &format!("/api/v1/reports/{}/identity", open.id),
            Some(&token),
            &reason,
        )
        .await;
    assert_eq!(opened.status(), 200);
    assert_eq!(opened.json::<Value>().await.unwrap()["name"], "赵待付");
    // The reporter still follows the report by receipt.
    let res = app
        .post(
            "/api/v1/public/reports/lookup",
            None,
            &json!({"receipt": paid.receipt}),
        )
        .await;
    assert_eq!(res.status(), 200);

    // Nothing twice, and the chains verify.
    assert_eq!(housekeep(&app).await, 0);
    let detail = app
        .get_json(&format!("/api/v1/reports/{}", unrewarded.id), Some(&token))
        .await;
    let erasures = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "identity_erased")
        .count();
    assert_eq!(erasures, 1);
    let verify = app.get_json("/api/v1/audit/verify", Some(&token)).await;
    assert_eq!(verify["ok"], true, "{verify}");
}

#[tokio::test]
async fn retention_zero_keeps_every_detail() {
    let app = TestApp::spawn_with(&[("ANJIAN_REPORT_RETENTION_DAYS", "0")]).await;
    let filed = file_named(&app, "孙长留").await;
    conclude(&app, filed.id, "unsubstantiated").await;
    app.clock.advance(Duration::days(3650));
    assert_eq!(housekeep(&app).await, 0);
    let (contact, erased, _) = raw(&app, filed.id).await;
    assert!(contact.is_some() && erased.is_none());
}
