//! Permits (SPEC 2): types and forms, the application lifecycle, the rules over the
//! enterprise's real records, the review path, certificates and their signature, concurrency,
//! scoping and figures.

use anjian::auth::Role;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, assert_generic_plan, fields, insert_overdue_hazards, problem,
};

pub(crate) const HAZCHEM: &str = "hazchem_business_no_storage";

/// An enterprise of `industry` and a token of its own account.
pub(crate) async fn applicant(app: &TestApp, industry: &str) -> (i64, String) {
    let id = app.enterprise(industry, "shinan").await;
    (id, app.quick_token_for(Role::Enterprise, Some(id)).await)
}

/// `POST /api/v1/applications` and the JSON answer (any status).
async fn apply(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let res = app.post("/api/v1/applications", Some(token), &body).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Creates and submits in one call, expecting 201.
pub(crate) async fn submit_new(
    app: &TestApp,
    token: &str,
    permit_type: &str,
    form: Value,
) -> Value {
    let (status, body) = apply(
        app,
        token,
        json!({"permit_type": permit_type, "form": form, "submit": true, "commitment_accepted": true}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

pub(crate) fn training(role: &str, cert_no: &str) -> Value {
    json!({"person_role": role, "person_name": "张三", "cert_no": cert_no,
           "issued_on": "2025-01-01", "expires_on": "2028-01-01"})
}

fn emergency_plan() -> Value {
    json!({"plan_name": "生产安全事故综合应急预案", "approved_on": "2026-01-10", "next_drill_on": "2026-09-01"})
}

/// The instant filings (秒报) a licence's rules look for.
pub(crate) async fn file_prerequisites(app: &TestApp, token: &str, tag: &str) {
    for form in [
        training("principal", &format!("AQP-{tag}")),
        training("safety_manager", &format!("AQS-{tag}")),
    ] {
        let filed = submit_new(app, token, "safety_training_filing", form).await;
        assert_eq!(filed["status"], "filed", "{filed}");
    }
    let filed = submit_new(app, token, "emergency_plan_filing", emergency_plan()).await;
    assert_eq!(filed["status"], "filed");
}

pub(crate) fn hazchem_form(tag: &str) -> Value {
    json!({
        "premises_address": "市南区香港中路100号",
        "premises_area_m2": 120.5,
        "principal_cert_no": format!("AQP-{tag}"),
        "safety_manager_cert_no": format!("AQS-{tag}"),
        "chemicals": [{"name": "乙醇", "cas_no": "64-17-5"}, {"name": "硫酸", "cas_no": "7664-93-9"}],
        "includes_highly_toxic": false,
        "includes_explosive_precursors": false
    })
}

/// An enterprise with its filings and an approved hazchem licence; returns (id, token, application).
pub(crate) async fn licensed(app: &TestApp, tag: &str) -> (i64, String, Value) {
    let (id, token) = applicant(app, "hazardous_chemicals").await;
    file_prerequisites(app, &token, tag).await;
    let approved = submit_new(app, &token, HAZCHEM, hazchem_form(tag)).await;
    assert_eq!(approved["status"], "approved", "{approved}");
    (id, token, approved)
}

fn outcome_of<'a>(application: &'a Value, rule: &str) -> &'a str {
    application["rule_results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap_or_else(|| panic!("no result for {rule}: {application}"))["outcome"]
        .as_str()
        .unwrap()
}

fn failed_rules(application: &Value) -> Vec<String> {
    application["rule_results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "fail")
        .map(|r| r["rule"].as_str().unwrap().to_owned())
        .collect()
}

async fn get_json(app: &TestApp, path: &str, token: Option<&str>) -> Value {
    let res = app.get(path, token).await;
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

pub(crate) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Any user id, for the `created_by` columns of rows inserted directly.
fn some_user(conn: &mut anjian::db::DbConn) -> QueryResult<i64> {
    use anjian::schema::users;
    users::table.select(users::id).first(conn)
}

/// A hazard row as the campaigns capability writes it.
pub(crate) async fn insert_hazard(
    app: &TestApp,
    enterprise: i64,
    level: &str,
    status: &str,
    deadline: NaiveDate,
) {
    let now = app.clock.now_naive();
    let (level, status) = (level.to_owned(), status.to_owned());
    app.state
        .db
        .write(move |conn| {
            use anjian::schema::{enterprises, hazards};
            let user = some_user(conn)?;
            let (district, industry): (String, String) = enterprises::table
                .find(enterprise)
                .select((enterprises::district, enterprises::industry))
                .first(conn)?;
            diesel::insert_into(hazards::table)
                .values((
                    hazards::enterprise_id.eq(enterprise),
                    hazards::district.eq(district),
                    hazards::industry.eq(industry),
                    hazards::description.eq("储罐区可燃气体报警器失效"),
                    hazards::level.eq(&level),
                    hazards::category.eq("equipment"),
                    hazards::found_on.eq(date("2026-05-01")),
                    hazards::deadline.eq(deadline),
                    hazards::status.eq(&status),
                    hazards::supervised.eq(level == "major"),
                    hazards::plan.eq((level == "major").then_some("{}")),
                    hazards::reported_by.eq(user),
                    hazards::created_at.eq(now),
                    hazards::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

pub(crate) async fn insert_order(app: &TestApp, enterprise: i64, lifted_on: Option<NaiveDate>) {
    let now = app.clock.now_naive();
    app.state
        .db
        .write(move |conn| {
            use anjian::schema::orders;
            let user = some_user(conn)?;
            diesel::insert_into(orders::table)
                .values((
                    orders::enterprise_id.eq(enterprise),
                    orders::kind.eq("suspend_production"),
                    orders::reason.eq("重大隐患未整改"),
                    orders::issued_on.eq(date("2026-05-20")),
                    orders::lifted_on.eq(lifted_on),
                    orders::created_by.eq(user),
                    orders::created_at.eq(now),
                    orders::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

pub(crate) async fn insert_penalty(
    app: &TestApp,
    enterprise: i64,
    decided_on: NaiveDate,
    paid_on: Option<NaiveDate>,
) {
    let now = app.clock.now_naive();
    let n = app.next();
    app.state
        .db
        .write(move |conn| {
            use anjian::schema::penalties;
            let user = some_user(conn)?;
            diesel::insert_into(penalties::table)
                .values((
                    penalties::enterprise_id.eq(enterprise),
                    penalties::decision_no.eq(format!("青应急罚〔2026〕{n}号")),
                    penalties::violation.eq("未按规定进行安全培训"),
                    penalties::legal_basis.eq("《安全生产法》第九十七条"),
                    penalties::fine_fen.eq(2_000_000i64),
                    penalties::decided_on.eq(decided_on),
                    penalties::paid_on.eq(paid_on),
                    penalties::created_by.eq(user),
                    penalties::created_at.eq(now),
                    penalties::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// 1. Types and forms

#[tokio::test]
async fn the_twelve_permit_types_are_public_with_forms_a_client_can_render() {
    let app = TestApp::spawn().await;
    let types = get_json(&app, "/api/v1/permit-types", None).await;
    let types = types.as_array().unwrap();
    // SPEC 2.1's table: code, name, mode, validity in months (none: the old certificate's
    // expiry, or a filing).
    let table: [(&str, &str, &str, Option<i64>); 12] = [
        (
            "hazchem_business_no_storage",
            "危险化学品经营许可证（不带储存）",
            "instant_approval",
            Some(36),
        ),
        (
            "hazchem_business_renewal",
            "危险化学品经营许可证延期",
            "instant_approval",
            Some(36),
        ),
        (
            "hazchem_business_change",
            "危险化学品经营许可证变更（名称、主要负责人、注册地址）",
            "instant_approval",
            None,
        ),
        (
            "fireworks_retail",
            "烟花爆竹经营（零售）许可证",
            "instant_approval",
            Some(12),
        ),
        (
            "fireworks_retail_renewal",
            "烟花爆竹经营（零售）许可证延期",
            "instant_approval",
            Some(12),
        ),
        (
            "safety_director_filing",
            "安全总监任命备案",
            "instant_filing",
            None,
        ),
        (
            "emergency_plan_filing",
            "生产安全事故应急预案备案",
            "instant_filing",
            None,
        ),
        (
            "major_hazard_source_filing",
            "重大危险源备案",
            "instant_filing",
            None,
        ),
        (
            "safety_training_filing",
            "主要负责人、安全管理人员培训考核备案",
            "instant_filing",
            None,
        ),
        (
            "hazchem_business_reissue",
            "危险化学品经营许可证补办（遗失、损毁）",
            "instant_approval",
            None,
        ),
        (
            "hazchem_business_storage",
            "危险化学品经营许可证（带储存）",
            "review",
            Some(36),
        ),
        (
            "non_coal_mine_safety",
            "非煤矿山安全生产许可证",
            "review",
            Some(36),
        ),
    ];
    assert_eq!(types.len(), table.len());
    let of = |code: &str| {
        types
            .iter()
            .find(|t| t["code"] == code)
            .unwrap_or_else(|| panic!("{code} missing"))
    };
    for (code, name, mode, validity) in table {
        let t = of(code);
        assert_eq!(
            (
                t["name"].as_str(),
                t["mode"].as_str(),
                t["validity_months"].as_i64()
            ),
            (Some(name), Some(mode), validity),
            "{code}"
        );
        assert_eq!(t["active"], true, "{code}");
        let keys: Vec<&str> = t["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["key"].as_str().unwrap())
            .collect();
        // Renewals, changes and reissues name the certificate they apply to.
        if ["renewal", "change", "reissue"]
            .iter()
            .any(|k| code.ends_with(k))
        {
            assert!(keys.contains(&"certificate_no"), "{code}: {keys:?}");
        }
        assert!(!keys.is_empty(), "{code} has no form");
    }
    let plan: Vec<&str> = of("emergency_plan_filing")["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(plan, ["plan_name", "approved_on", "next_drill_on"]);
    let hazchem = types.iter().find(|t| t["code"] == HAZCHEM).unwrap();
    assert_eq!(hazchem["validity_months"], 36);
    let field = |key: &str| {
        hazchem["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()
            .clone()
    };
    assert_eq!(field("premises_area_m2")["type"], "decimal");
    assert_eq!(field("premises_area_m2")["constraints"]["gt"], 0.0);
    assert_eq!(field("chemicals")["type"], "list");
    assert_eq!(field("chemicals")["constraints"]["min_items"], 1);
    let item_fields = field("chemicals")["constraints"]["item_fields"].clone();
    assert_eq!(item_fields[1]["key"], "cas_no");
    assert_eq!(item_fields[1]["constraints"]["format"], "cas_no");
    assert_eq!(field("includes_highly_toxic")["type"], "bool");
    assert_eq!(field("includes_highly_toxic")["required"], true);
    let storage = types
        .iter()
        .find(|t| t["code"] == "hazchem_business_storage")
        .unwrap();
    assert_eq!(
        (storage["mode"].as_str(), storage["statutory_days"].as_i64()),
        (Some("review"), Some(30))
    );
    let mine = types
        .iter()
        .find(|t| t["code"] == "non_coal_mine_safety")
        .unwrap();
    assert_eq!(mine["statutory_days"], 45);
    let training = types
        .iter()
        .find(|t| t["code"] == "safety_training_filing")
        .unwrap();
    let keys: Vec<&str> = training["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "person_role",
            "person_name",
            "cert_no",
            "issued_on",
            "expires_on"
        ]
    );
}

#[tokio::test]
async fn an_admin_changes_statutory_days_validity_and_activity_of_a_type() {
    let app = TestApp::spawn().await;
    let path = "/api/v1/permit-types/hazchem_business_storage";
    let res = app
        .patch(
            path,
            Some(&app.admin_token),
            &json!({"statutory_days": 25, "validity_months": 24}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (
            body["statutory_days"].as_i64(),
            body["validity_months"].as_i64()
        ),
        (Some(25), Some(24))
    );
    let p = problem(
        app.patch(
            path,
            Some(&app.admin_token),
            &json!({"statutory_days": 0, "fields": []}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["fields"]);
    let p = problem(
        app.patch(
            "/api/v1/permit-types/hazchem_business_change",
            Some(&app.admin_token),
            &json!({"validity_months": 12, "statutory_days": 400}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["statutory_days", "validity_months"]);
    problem(
        app.patch(
            "/api/v1/permit-types/nope",
            Some(&app.admin_token),
            &json!({"active": false}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let reviewer = app.quick_token_for(Role::Reviewer, None).await;
    problem(
        app.patch(path, Some(&reviewer), &json!({"active": false}))
            .await,
        403,
        "forbidden",
    )
    .await;
    // An inactive type takes no new applications.
    app.patch(
        "/api/v1/permit-types/fireworks_retail",
        Some(&app.admin_token),
        &json!({"active": false}),
    )
    .await;
    let (_, token) = applicant(&app, "fireworks").await;
    let (status, body) = apply(
        &app,
        &token,
        json!({"permit_type": "fireworks_retail", "form": {}}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&body), ["permit_type"]);
}

/// The permit types are read at most once a second per process: a change made through this
/// process applies to its next application at once, one made through another process (here,
/// straight in the database) within a second.
#[tokio::test]
async fn a_changed_permit_type_applies_here_at_once_and_elsewhere_within_a_second() {
    let app = TestApp::spawn().await;
    let (_, token) = applicant(&app, "fireworks").await;
    let draft = json!({"permit_type": "fireworks_retail", "form": {}});
    assert_eq!(apply(&app, &token, draft.clone()).await.0, 201);
    let res = app
        .patch(
            "/api/v1/permit-types/fireworks_retail",
            Some(&app.admin_token),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let (status, body) = apply(&app, &token, draft.clone()).await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["permit_type".to_owned()])
    );
    app.state
        .db
        .write(|conn| {
            use anjian::schema::permit_types;
            Ok(diesel::update(permit_types::table.find("fireworks_retail"))
                .set(permit_types::active.eq(true))
                .execute(conn)?)
        })
        .await
        .unwrap();
    tokio::time::sleep(anjian::permits::types::FRESH_FOR + std::time::Duration::from_millis(50))
        .await;
    assert_eq!(apply(&app, &token, draft).await.0, 201);
}

#[tokio::test]
async fn a_draft_may_be_incomplete_but_a_present_invalid_value_is_refused_at_once() {
    let app = TestApp::spawn().await;
    let (_, token) = applicant(&app, "hazardous_chemicals").await;
    let (status, draft) = apply(
        &app,
        &token,
        json!({"permit_type": HAZCHEM, "form": {"premises_address": "市南区"}}),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!(draft["status"], "draft");
    assert!(
        draft["number"].as_str().unwrap().starts_with("QDYJ-2026-"),
        "{draft}"
    );
    assert_eq!(draft["timeline"][0]["action"], "created");
    let (status, body) = apply(
        &app,
        &token,
        json!({"permit_type": HAZCHEM, "form": {
            "premises_area_m2": 0,
            "chemicals": [{"name": "乙醇", "cas_no": "64-17-5"}, {"name": "水", "cas_no": "7732-18-4"}],
            "includes_highly_toxic": "no",
            "colour": "red"
        }}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(
        fields(&body),
        [
            "form.colour",
            "form.premises_area_m2",
            "form.chemicals[1].cas_no",
            "form.includes_highly_toxic"
        ]
    );
    let (status, body) = apply(
        &app,
        &token,
        json!({"permit_type": "no_such_permit", "form": {}}),
    )
    .await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["permit_type".to_owned()])
    );
    // A renewal naming a certificate number of the wrong shape.
    let (status, body) = apply(
        &app,
        &token,
        json!({"permit_type": "hazchem_business_renewal", "form": {"certificate_no": "WHJY-123"}}),
    )
    .await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["form.certificate_no".to_owned()])
    );
}

#[tokio::test]
async fn submitting_with_required_fields_missing_lists_them_all_and_submits_nothing() {
    let app = TestApp::spawn().await;
    let (_, token) = applicant(&app, "hazardous_chemicals").await;
    // A draft may hold a half-entered chemical (its CAS number still to come).
    let (status, draft) = apply(
        &app,
        &token,
        json!({"permit_type": HAZCHEM, "form": {"premises_address": "市南区", "chemicals": [{"name": "乙醇"}]}}),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let id = draft["id"].as_i64().unwrap();
    let p = problem(
        app.post(
            &format!("/api/v1/applications/{id}/submit"),
            Some(&token),
            &json!({"commitment_accepted": true}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        fields(&p),
        [
            "form.premises_area_m2",
            "form.principal_cert_no",
            "form.safety_manager_cert_no",
            "form.chemicals[0].cas_no",
            "form.includes_highly_toxic",
            "form.includes_explosive_precursors"
        ]
    );
    let still = get_json(&app, &format!("/api/v1/applications/{id}"), Some(&token)).await;
    assert_eq!(still["status"], "draft");
    // In one call: nothing is created.
    let (status, body) = apply(
        &app,
        &token,
        json!({"permit_type": HAZCHEM, "form": {}, "submit": true, "commitment_accepted": true}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&body).len(), 7);
    let list = get_json(&app, "/api/v1/applications", Some(&token)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "only the draft");
}

// ---------------------------------------------------------------------------------------------
// 2. Lifecycle

#[tokio::test]
async fn every_illegal_transition_is_a_409_and_submitted_forms_never_change() {
    let app = TestApp::spawn().await;
    let (_, token, approved) = licensed(&app, "1").await;
    let id = approved["id"].as_i64().unwrap();
    let base = format!("/api/v1/applications/{id}");
    problem(
        app.post(
            &format!("{base}/submit"),
            Some(&token),
            &json!({"commitment_accepted": true}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    problem(
        app.put(&format!("{base}/form"), Some(&token), &json!({"form": {}}))
            .await,
        409,
        "invalid_transition",
    )
    .await;
    problem(
        app.post(&format!("{base}/withdraw"), Some(&token), &json!({}))
            .await,
        409,
        "invalid_transition",
    )
    .await;
    let reviewer = app.quick_token_for(Role::Reviewer, None).await;
    problem(
        app.post(
            &format!("{base}/decision"),
            Some(&reviewer),
            &json!({"decision": "reject", "reason": "材料不符合要求，不予许可"}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    let after = get_json(&app, &base, Some(&token)).await;
    assert_eq!(after["form"], approved["form"]);
    assert_eq!(after["status"], "approved");

    // A draft: edit, withdraw, then nothing more.
    let (_, draft) = apply(
        &app,
        &token,
        json!({"permit_type": "emergency_plan_filing", "form": {}}),
    )
    .await;
    let draft_path = format!("/api/v1/applications/{}", draft["id"]);
    let res = app
        .put(
            &format!("{draft_path}/form"),
            Some(&token),
            &json!({"form": {"plan_name": "专项应急预案"}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["form"]["plan_name"], "专项应急预案");
    let p = problem(
        app.put(
            &format!("{draft_path}/form"),
            Some(&token),
            &json!({"form": {"approved_on": "yesterday"}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["form.approved_on"]);
    let res = app
        .post(&format!("{draft_path}/withdraw"), Some(&token), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    let withdrawn: Value = res.json().await.unwrap();
    assert_eq!(withdrawn["status"], "withdrawn");
    let actions: Vec<&str> = withdrawn["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "form_updated", "withdrawn"]);
    problem(
        app.post(
            &format!("{draft_path}/submit"),
            Some(&token),
            &json!({"commitment_accepted": true}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    problem(
        app.post(&format!("{draft_path}/withdraw"), Some(&token), &json!({}))
            .await,
        409,
        "invalid_transition",
    )
    .await;

    // Every other illegal step, state by state: filed and rejected are final, an application
    // under review is no longer the applicant's to change, and a draft is not to be decided.
    let filed = get_json(&app, "/api/v1/applications?status=filed", Some(&token)).await;
    let filed = filed["items"][0]["id"].as_i64().unwrap();
    let rejected = submit_new(&app, &token, HAZCHEM, hazchem_form("1")).await;
    assert_eq!(
        rejected["status"], "rejected",
        "a second licence of the type"
    );
    let (_, other) = applicant(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &other, "2").await;
    let mut referred = hazchem_form("2");
    referred["includes_explosive_precursors"] = json!(true);
    let review = submit_new(&app, &other, HAZCHEM, referred).await;
    assert_eq!(review["status"], "under_review");
    let (_, draft) = apply(
        &app,
        &token,
        json!({"permit_type": "emergency_plan_filing", "form": {}}),
    )
    .await;
    let all: &[&str] = &["submit", "form", "withdraw", "decision"];
    for (owner, id, steps) in [
        (&token, filed, all),
        (&token, rejected["id"].as_i64().unwrap(), all),
        (
            &other,
            review["id"].as_i64().unwrap(),
            &["submit", "form"][..],
        ),
        (&token, draft["id"].as_i64().unwrap(), &["decision"][..]),
    ] {
        let base = format!("/api/v1/applications/{id}");
        for step in steps {
            let res = match *step {
                "submit" => {
                    app.post(
                        &format!("{base}/submit"),
                        Some(owner),
                        &json!({"commitment_accepted": true}),
                    )
                    .await
                }
                "form" => {
                    app.put(&format!("{base}/form"), Some(owner), &json!({"form": {}}))
                        .await
                }
                "withdraw" => {
                    app.post(&format!("{base}/withdraw"), Some(owner), &json!({}))
                        .await
                }
                _ => {
                    app.post(
                        &format!("{base}/decision"),
                        Some(&reviewer),
                        &json!({"decision": "approve", "reason": "材料齐全，符合条件，同意许可"}),
                    )
                    .await
                }
            };
            problem(res, 409, "invalid_transition").await;
        }
    }
}

#[tokio::test]
async fn an_instant_approval_answers_with_every_rule_and_the_certificate_in_the_same_call() {
    let app = TestApp::spawn().await;
    let (ent, token, approved) = licensed(&app, "7").await;
    let results = approved["rule_results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        12,
        "every rule of a new licence but base_certificate_valid"
    );
    assert!(results.iter().all(|r| r["outcome"] == "pass"), "{approved}");
    assert_eq!(outcome_of(&approved, "training_on_file"), "pass");
    assert!(approved["decided_by"].is_null());
    assert_eq!(approved["submitted_at"], approved["decided_at"]);
    let cert = &approved["certificate"];
    assert_eq!(cert["number"], "QD-WHJY-2026-000001");
    assert_eq!(cert["status"], "active");
    assert_eq!(cert["enterprise_id"], ent);
    assert_eq!(
        (cert["valid_from"].as_str(), cert["valid_until"].as_str()),
        (Some("2026-06-01"), Some("2029-05-31"))
    );
    assert!(
        cert["holder"]["name"]
            .as_str()
            .unwrap()
            .starts_with("青岛测试企业"),
        "taken from the record"
    );
    assert_eq!(cert["scope"]["chemicals"][1]["cas_no"], "7664-93-9");
    assert_eq!(cert["verification_code"].as_str().unwrap().len(), 10);
    assert_eq!(approved["certificate_id"], cert["id"]);
    let actions: Vec<(&str, &str)> = approved["timeline"]
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
            ("created", "enterprise"),
            ("submitted", "enterprise"),
            ("approved", "system")
        ]
    );
    let certificate = get_json(
        &app,
        &format!("/api/v1/certificates/{}", cert["id"]),
        Some(&token),
    )
    .await;
    assert_eq!(certificate["timeline"][0]["action"], "issued");
    assert_eq!(certificate["timeline"][0]["actor_role"], "system");
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains(
            "anjian_domain_events_total{kind=\"permit_decision\",outcome=\"approved\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics
            .contains("anjian_domain_events_total{kind=\"permit_decision\",outcome=\"filed\"} 3")
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Rules over the enterprise's real records

#[tokio::test]
async fn without_the_instant_filings_a_licence_is_rejected_rule_by_rule() {
    let app = TestApp::spawn().await;
    let (_, token) = applicant(&app, "hazardous_chemicals").await;
    // Only the principal is filed, and for a different certificate number.
    submit_new(
        &app,
        &token,
        "safety_training_filing",
        training("principal", "AQP-other"),
    )
    .await;
    // Another enterprise's filings of exactly these certificates and a plan do not count.
    let (_, neighbour) = applicant(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &neighbour, "9").await;
    let rejected = submit_new(&app, &token, HAZCHEM, hazchem_form("9")).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(
        failed_rules(&rejected),
        ["training_on_file", "emergency_plan_on_file"]
    );
    assert!(rejected["certificate"].is_null() && rejected["certificate_id"].is_null());
    let message = rejected["rule_results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "training_on_file")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("principal_cert_no") && message.contains("safety_manager_cert_no"),
        "{message}"
    );
}

#[tokio::test]
async fn the_rules_read_orders_hazards_and_penalties_from_the_campaign_tables() {
    let app = TestApp::spawn().await;
    let today = date("2026-06-01");
    // One enterprise per finding, each otherwise ready to be licensed.
    let mut cases = Vec::new();
    for (i, expected) in [
        "no_suspension_order",
        "no_open_major_hazard",
        "no_overdue_hazard",
        "no_unpaid_overdue_fine",
        "enterprise_operating",
        "industry_allowed",
    ]
    .into_iter()
    .enumerate()
    {
        let industry = if expected == "industry_allowed" {
            "textiles"
        } else {
            "hazardous_chemicals"
        };
        let (id, token) = applicant(&app, industry).await;
        file_prerequisites(&app, &token, &format!("r{i}")).await;
        cases.push((expected, id, token, format!("r{i}")));
    }
    insert_order(&app, cases[0].1, None).await;
    insert_hazard(&app, cases[1].1, "major", "rectified", date("2026-07-01")).await;
    insert_hazard(&app, cases[2].1, "general", "open", date("2026-05-31")).await;
    insert_penalty(&app, cases[3].1, today - Duration::days(16), None).await;
    app.patch(
        &format!("/api/v1/enterprises/{}", cases[4].1),
        Some(&app.admin_token),
        &json!({"status": "closed"}),
    )
    .await;
    for (expected, _, token, tag) in &cases {
        let result = submit_new(&app, token, HAZCHEM, hazchem_form(tag)).await;
        assert_eq!(result["status"], "rejected", "{expected}: {result}");
        assert_eq!(failed_rules(&result), [*expected]);
    }

    // Records that do not count: a lifted order, a verified major hazard, a general hazard
    // within its deadline or rectified late, a fine paid or within 15 days.
    let (id, token) = applicant(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "ok").await;
    insert_order(&app, id, Some(date("2026-05-25"))).await;
    insert_hazard(&app, id, "major", "verified", date("2026-05-01")).await;
    insert_hazard(&app, id, "general", "open", today).await;
    insert_hazard(&app, id, "general", "rectified", date("2026-05-01")).await;
    insert_penalty(&app, id, today - Duration::days(15), None).await;
    insert_penalty(
        &app,
        id,
        today - Duration::days(60),
        Some(today - Duration::days(40)),
    )
    .await;
    let approved = submit_new(&app, &token, HAZCHEM, hazchem_form("ok")).await;
    assert_eq!(approved["status"], "approved", "{approved}");
}

#[tokio::test]
async fn a_suspended_enterprise_can_still_file_its_emergency_plan_and_filings_run_only_the_commitment()
 {
    let app = TestApp::spawn().await;
    let (id, token) = applicant(&app, "hazardous_chemicals").await;
    insert_order(&app, id, None).await;
    let filed = submit_new(&app, &token, "emergency_plan_filing", emergency_plan()).await;
    assert_eq!(filed["status"], "filed");
    assert_eq!(filed["rule_results"].as_array().unwrap().len(), 1);
    assert_eq!(filed["rule_results"][0]["rule"], "commitment_accepted");
    assert_eq!(filed["timeline"][2]["action"], "filed");
    // Without the commitment, even a filing is rejected.
    let (status, refused) = apply(
        &app,
        &token,
        json!({"permit_type": "emergency_plan_filing", "form": emergency_plan(), "submit": true}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(refused["status"], "rejected");
    assert_eq!(failed_rules(&refused), ["commitment_accepted"]);
}

#[tokio::test]
async fn an_expired_training_filing_does_not_count() {
    let app = TestApp::spawn().await;
    let (_, token) = applicant(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "x").await;
    let mut expired = training("principal", "P-old");
    expired["issued_on"] = json!("2020-01-01");
    expired["expires_on"] = json!("2026-05-31");
    submit_new(&app, &token, "safety_training_filing", expired).await;
    let mut form = hazchem_form("x");
    form["principal_cert_no"] = json!("P-old");
    let rejected = submit_new(&app, &token, HAZCHEM, form).await;
    assert_eq!(failed_rules(&rejected), ["training_on_file"]);
}

// ---------------------------------------------------------------------------------------------
// 4. The review path

#[tokio::test]
async fn high_risk_items_go_to_review_and_a_reviewer_decides_with_a_reason_in_the_audit_trail() {
    let app = TestApp::spawn().await;
    let (_, token) = applicant(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "t").await;
    let mut form = hazchem_form("t");
    form["includes_highly_toxic"] = json!(true);
    let referred = submit_new(&app, &token, HAZCHEM, form).await;
    assert_eq!(referred["status"], "under_review", "{referred}");
    assert_eq!(outcome_of(&referred, "high_risk_referral"), "refer");
    assert_eq!(
        referred["due_on"], "2026-06-21",
        "its own type's statutory_days (20)"
    );
    assert_eq!(referred["overdue"], false);
    assert_eq!(referred["timeline"][2]["action"], "referred_to_review");
    let id = referred["id"].as_i64().unwrap();

    let reviewer = app.quick_token_for(Role::Reviewer, None).await;
    let admin = app.quick_token_for(Role::Admin, None).await;
    let queue = get_json(
        &app,
        "/api/v1/applications?status=under_review",
        Some(&reviewer),
    )
    .await;
    assert_eq!(queue["items"][0]["id"], id);
    assert_eq!(queue["items"][0]["due_on"], "2026-06-21");
    let late = get_json(&app, "/api/v1/applications?overdue=true", Some(&reviewer)).await;
    assert!(late["items"].as_array().unwrap().is_empty());
    app.clock.advance(Duration::days(21));
    let late = get_json(&app, "/api/v1/applications?overdue=true", Some(&reviewer)).await;
    assert_eq!(late["items"].as_array().unwrap().len(), 1);
    assert_eq!(late["items"][0]["overdue"], true);

    let path = format!("/api/v1/applications/{id}/decision");
    problem(
        app.post(
            &path,
            Some(&token),
            &json!({"decision": "approve", "reason": "企业自己批准自己的申请"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let p = problem(
        app.post(
            &path,
            Some(&reviewer),
            &json!({"decision": "approve", "reason": "好"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["reason"]);
    let p = problem(
        app.post(
            &path,
            Some(&reviewer),
            &json!({"decision": "maybe", "reason": "现场核查通过，剧毒品管理制度完善"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["decision"]);
    let reason = "现场核查通过，剧毒化学品双人双锁管理制度完善";
    let res = app
        .post(
            &path,
            Some(&reviewer),
            &json!({"decision": "approve", "reason": reason}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let decided: Value = res.json().await.unwrap();
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decision_reason"], reason);
    assert!(decided["decided_by"].is_i64());
    assert_eq!(decided["certificate"]["number"], "QD-WHJY-2026-000001");
    let last = decided["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["action"].as_str(), last["actor_role"].as_str()),
        (Some("approved"), Some("reviewer"))
    );
    let audit = get_json(
        &app,
        &format!("/api/v1/audit?aggregate_type=application&aggregate_id={id}"),
        Some(&admin),
    )
    .await;
    assert_eq!(audit["items"][0]["action"], "approved");
    assert_eq!(audit["items"][0]["payload"]["reason"], reason);
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains("outcome=\"under_review\"} 1"), "{metrics}");
}

#[tokio::test]
async fn review_types_wait_for_a_reviewer_who_may_reject_and_the_enterprise_may_withdraw() {
    let app = TestApp::spawn().await;
    let (_, token) = applicant(&app, "non_coal_mining").await;
    file_prerequisites(&app, &token, "m").await;
    let form = json!({"mine_name": "金岭石材矿", "mine_address": "平度市大泽山镇", "mineral": "花岗岩",
                      "mining_method": "open_pit", "annual_capacity_t": 300000, "principal_cert_no": "AQP-m",
                      "safety_manager_cert_no": "AQS-m"});
    let first = submit_new(&app, &token, "non_coal_mine_safety", form.clone()).await;
    assert_eq!(first["status"], "under_review");
    assert_eq!(first["due_on"], "2026-07-16", "45 days");
    assert_eq!(first["timeline"][2]["action"], "queued_for_review");
    let reviewer = app.quick_token_for(Role::Reviewer, None).await;
    let res = app
        .post(
            &format!("/api/v1/applications/{}/decision", first["id"]),
            Some(&reviewer),
            &json!({"decision": "reject", "reason": "安全设施设计未经审查，不予许可"}),
        )
        .await;
    let rejected: Value = res.json().await.unwrap();
    assert_eq!(rejected["status"], "rejected");
    assert!(rejected["certificate_id"].is_null());
    let second = submit_new(&app, &token, "non_coal_mine_safety", form).await;
    let res = app
        .post(
            &format!("/api/v1/applications/{}/withdraw", second["id"]),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "withdrawn");
    let open = get_json(
        &app,
        "/api/v1/applications?status=under_review",
        Some(&reviewer),
    )
    .await;
    assert!(open["items"].as_array().unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// 5. Certificates: numbers, renewal, change, reissue, revocation

#[tokio::test]
async fn fifty_concurrent_instant_approvals_get_fifty_consecutive_numbers() {
    let app = TestApp::spawn().await;
    let mut tokens = Vec::new();
    for i in 0..50 {
        let (_, token) = applicant(&app, "hazardous_chemicals").await;
        file_prerequisites(&app, &token, &format!("c{i}")).await;
        tokens.push((token, format!("c{i}")));
    }
    let answers = join_all(tokens.iter().map(|(token, tag)| {
        apply(&app, token, json!({"permit_type": HAZCHEM, "form": hazchem_form(tag), "submit": true, "commitment_accepted": true}))
    }))
    .await;
    let mut numbers: Vec<String> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 201, "{body}");
            assert_eq!(body["status"], "approved", "{body}");
            body["certificate"]["number"].as_str().unwrap().to_owned()
        })
        .collect();
    numbers.sort();
    let expected: Vec<String> = (1..=50).map(|n| format!("QD-WHJY-2026-{n:06}")).collect();
    assert_eq!(numbers, expected);
}

/// Each row is written once: an application numbered from its id (a draft too) and, when
/// approved, linked to its certificate; the certificate with its number, signature and first
/// audit event. On PostgreSQL the link is written ahead of the certificate and checked at
/// commit. What is read back is what was answered, on the instant path and the reviewer's, and
/// the audit chains verify.
#[tokio::test]
async fn approvals_are_stored_as_answered_with_application_and_certificate_linked_both_ways() {
    let app = TestApp::spawn().await;
    let (_, instant_token, instant) = licensed(&app, "w1").await;
    let (_, review_token) = applicant(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &review_token, "w2").await;
    let mut form = hazchem_form("w2");
    form["includes_highly_toxic"] = json!(true);
    let referred = submit_new(&app, &review_token, HAZCHEM, form).await;
    assert_eq!(referred["status"], "under_review", "{referred}");
    assert!(referred["certificate_id"].is_null());
    let reviewer = app.quick_token_for(Role::Reviewer, None).await;
    let res = app
        .post(
            &format!("/api/v1/applications/{}/decision", referred["id"]),
            Some(&reviewer),
            &json!({"decision": "approve", "reason": "现场核查通过，剧毒化学品管理制度完善"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let reviewed: Value = res.json().await.unwrap();

    for (answered, token, serial) in [(&instant, &instant_token, 1), (&reviewed, &review_token, 2)]
    {
        let id = answered["id"].as_i64().unwrap();
        let cert_id = answered["certificate"]["id"].as_i64().unwrap();
        assert_eq!(answered["certificate_id"], cert_id, "{answered}");
        let stored = get_json(&app, &format!("/api/v1/applications/{id}"), Some(token)).await;
        assert_eq!(stored["number"], format!("QDYJ-2026-{id:06}"));
        assert_eq!(stored["certificate_id"], cert_id);
        // Every field as answered (the instant approval's answer is made without reading back).
        for (field, value) in answered.as_object().unwrap() {
            if !matches!(field.as_str(), "certificate" | "timeline") {
                assert_eq!(&stored[field], value, "{field}");
            }
        }
        let cert = get_json(
            &app,
            &format!("/api/v1/certificates/{cert_id}"),
            Some(token),
        )
        .await;
        assert_eq!(cert["application_id"], id);
        assert_eq!(cert["number"], format!("QD-WHJY-2026-{serial:06}"));
        for field in ["number", "signed_payload", "signature", "verification_code"] {
            assert_eq!(cert[field], answered["certificate"][field], "{field}");
        }
        let events = get_json(
            &app,
            &format!("/api/v1/audit?aggregate_type=certificate&aggregate_id={cert_id}"),
            Some(&app.admin_token),
        )
        .await;
        let events = events["items"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["action"], "issued");
        assert_eq!(events[0]["payload"]["number"], cert["number"]);
        assert_eq!(events[0]["payload"]["application_id"], id);
        // The audit trail in the order things happened: the decision before the certificate.
        let decided = app
            .state
            .db
            .run(move |conn| {
                use anjian::schema::audit_events as ae;
                let id_of = |conn: &mut anjian::db::DbConn, kind: &str, of: i64, action: &str| {
                    ae::table
                        .filter(ae::aggregate_type.eq(kind.to_owned()))
                        .filter(ae::aggregate_id.eq(of.to_string()))
                        .filter(ae::action.eq(action.to_owned()))
                        .select(ae::id)
                        .get_result::<i64>(conn)
                };
                Ok((
                    id_of(conn, "application", id, "approved")?,
                    id_of(conn, "certificate", cert_id, "issued")?,
                ))
            })
            .await
            .unwrap();
        assert!(decided.0 < decided.1, "{decided:?}");
    }

    let (status, draft) = apply(
        &app,
        &review_token,
        json!({"permit_type": HAZCHEM, "form": {}}),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let id = draft["id"].as_i64().unwrap();
    assert_eq!(draft["number"], format!("QDYJ-2026-{id:06}"));
    assert!(draft["certificate_id"].is_null());
    let verify = get_json(&app, "/api/v1/audit/verify", Some(&app.admin_token)).await;
    assert_eq!(verify["ok"], true, "{verify}");
}

/// Sets an enterprise's holder fields straight in the database (binds, not SQL text).
async fn rename_holder(app: &TestApp, id: i64, name: &str, address: &str, representative: &str) {
    let (name, address, representative) = (
        name.to_owned(),
        address.to_owned(),
        representative.to_owned(),
    );
    app.state
        .db
        .run(move |conn| {
            use diesel::sql_types::{BigInt, Text};
            diesel::sql_query(
                "UPDATE enterprises SET name = $1, address = $2, legal_representative = $3 WHERE id = $4",
            )
            .bind::<Text, _>(name)
            .bind::<Text, _>(address)
            .bind::<Text, _>(representative)
            .bind::<BigInt, _>(id)
            .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

/// Every character of the holder's record and of the scope, quotes, backslashes and dollar
/// signs included, is stored as answered, signed as stored, verifiable in public, and chained
/// into the audit trail as hashed.
#[tokio::test]
async fn a_certificate_keeps_every_character_of_its_holder_and_scope_as_answered() {
    let app = TestApp::spawn().await;
    let (enterprise, token) = applicant(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "q").await;
    let name = "青岛'; DROP TABLE certificates; --化工有限公司";
    let address = r"市南区\路'1'号 $$ $q$ \' E'\\'";
    let representative = r"O'Brien \ 张 ''";
    rename_holder(&app, enterprise, name, address, representative).await;
    let mut form = hazchem_form("q");
    form["premises_address"] = json!(r#"香港中路'100'号 \ "引号" $$ \u0000"#);
    form["chemicals"][0]["name"] = json!(r"乙醇'\");
    let approved = submit_new(&app, &token, HAZCHEM, form.clone()).await;
    assert_eq!(approved["status"], "approved", "{approved}");
    let cert = &approved["certificate"];
    assert_eq!(cert["holder"]["name"], name, "{cert}");
    assert_eq!(cert["holder"]["address"], address);
    assert_eq!(cert["holder"]["legal_representative"], representative);
    assert_eq!(cert["scope"]["premises_address"], form["premises_address"]);
    assert_eq!(cert["scope"]["chemicals"], form["chemicals"]);

    let stored = get_json(
        &app,
        &format!("/api/v1/certificates/{}", cert["id"]),
        Some(&token),
    )
    .await;
    for field in [
        "id",
        "number",
        "holder",
        "scope",
        "issued_at",
        "valid_from",
        "valid_until",
        "status",
        "verification_code",
        "signed_payload",
        "signature",
        "application_id",
    ] {
        assert_eq!(stored[field], cert[field], "{field}");
    }
    let public = get_json(
        &app,
        &format!(
            "/api/v1/public/certificates/{}?code={}",
            cert["number"].as_str().unwrap(),
            cert["verification_code"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(public["valid"], true, "{public}");
    assert_eq!(public["holder_name"], name);
    let key = get_json(&app, "/api/v1/public/certificate-key", None).await;
    let key: [u8; 32] = STANDARD
        .decode(key["public_key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let signature: [u8; 64] = STANDARD
        .decode(public["signature"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let payload = public["signed_payload"].as_str().unwrap();
    assert!(
        VerifyingKey::from_bytes(&key)
            .unwrap()
            .verify(payload.as_bytes(), &Signature::from_bytes(&signature))
            .is_ok()
    );
    let signed: Value = serde_json::from_str(payload).unwrap();
    assert_eq!(signed["holder"]["address"], address);
    assert_eq!(
        signed["scope"]["premises_address"],
        form["premises_address"]
    );
    let verify = get_json(&app, "/api/v1/audit/verify", Some(&app.admin_token)).await;
    assert_eq!(verify["ok"], true, "{verify}");
}

/// On PostgreSQL the one statement that reads a decision's rule inputs keeps its generic plan,
/// also for an enterprise with thousands of open hazards, nearly all overdue, as a city's data
/// has: PostgreSQL re-plans a prepared statement on every run while the plans for its actual
/// values look cheaper than the generic one, and for this statement planning costs several
/// times what running it does.
#[tokio::test]
async fn the_rule_inputs_keep_their_plan_on_postgresql() {
    let Some(app) = TestApp::spawn_on_postgres().await else {
        return;
    };
    let (enterprise, token) = applicant(&app, "hazardous_chemicals").await;
    let (today, now) = (
        app.clock.today(app.state.config.timezone),
        app.clock.now_naive(),
    );
    // The hazards and their statistics first: new statistics make PostgreSQL plan a prepared
    // statement afresh, and it then compares with the plans it made before.
    app.state
        .db
        .run(move |conn| {
            let user = some_user(conn)?;
            insert_overdue_hazards(conn, enterprise, user, today)
        })
        .await
        .unwrap();
    file_prerequisites(&app, &token, "p").await;
    app.state
        .db
        .run(move |conn| {
            let t = anjian::permits::lifecycle::load_type(conn, HAZCHEM)?;
            let caller = Some(anjian::ids::UserId(some_user(conn)?));
            for _ in 0..10 {
                anjian::permits::lifecycle::assess(
                    conn,
                    today,
                    now,
                    anjian::ids::EnterpriseId(enterprise),
                    caller,
                    &t,
                    &hazchem_form("p"),
                    true,
                )?;
            }
            assert_generic_plan(conn, "%LEFT OUTER JOIN \"applications\"%")
        })
        .await
        .unwrap();
}

/// One number read back with `sql_query`.
/// On PostgreSQL the writer keeps an approval's writes prepared on its connection: the
/// application with the certificate (one `WITH` statement) and the serial are each prepared
/// once, and run again for the next approval, not parsed and planned every time.
#[tokio::test]
async fn an_approvals_writes_stay_prepared_on_the_writer() {
    let Some(app) = TestApp::spawn_on_postgres().await else {
        return;
    };
    licensed(&app, "prep1").await;
    licensed(&app, "prep2").await;
    #[derive(QueryableByName)]
    struct Prepared {
        #[diesel(sql_type = diesel::sql_types::Text)]
        statement: String,
    }
    let prepared: Vec<String> = app
        .state
        .db
        .write(|conn| {
            Ok(
                diesel::sql_query("SELECT statement FROM pg_prepared_statements")
                    .load::<Prepared>(conn)?
                    .into_iter()
                    .map(|p| p.statement)
                    .collect(),
            )
        })
        .await
        .unwrap();
    let count = |starts: &str, has: &str| {
        prepared
            .iter()
            .filter(|s| s.starts_with(starts) && s.contains(has))
            .count()
    };
    assert_eq!(
        count(
            "WITH also1 AS (INSERT INTO \"audit_events\"",
            "INSERT INTO \"certificates\""
        ),
        1,
        "{prepared:#?}"
    );
    assert_eq!(
        count("UPDATE number_sequences", "RETURNING last"),
        1,
        "{prepared:#?}"
    );
}

/// Runs `write` as a write job that takes advisory lock `key` as it starts.
async fn locked_job<T: Send + 'static>(
    app: &TestApp,
    key: i64,
    write: impl FnOnce(&mut anjian::db::DbConn) -> Result<T, anjian::error::ApiError> + Send + 'static,
) -> Result<T, anjian::error::ApiError> {
    app.state
        .db
        .read_then_write(
            move |_| Ok(((), anjian::db::TxStart { lock: Some(key) })),
            move |conn, ()| write(conn),
        )
        .await
}

/// On PostgreSQL a write job takes the advisory lock it asked for with its savepoint, in one
/// round trip. A job whose lock is refused (here by a `lock_timeout`, while another connection
/// holds the key) answers 503 without running, and the writer goes on: other keys at once, the
/// same key once it is free.
#[tokio::test]
async fn a_lock_refused_as_a_job_starts_answers_503_and_the_writer_goes_on() {
    use diesel::connection::SimpleConnection;
    let Some(app) = TestApp::spawn_on_postgres().await else {
        return;
    };
    let key = 0x7e57_0001;
    let (held, is_held) = tokio::sync::oneshot::channel();
    let (let_go, go) = std::sync::mpsc::channel::<()>();
    let pool = app.state.db.pool().clone();
    let holder = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        anjian::db::write_tx(&mut conn, |conn| {
            anjian::db::lock_key(conn, key)?;
            held.send(()).unwrap();
            let _ = go.recv();
            Ok(())
        })
        .unwrap();
    });
    is_held.await.unwrap();
    let set = |sql: &'static str| app.state.db.write(move |conn| Ok(conn.batch_execute(sql)?));
    set("SET lock_timeout = '100ms'").await.unwrap();
    let refused = locked_job(&app, key, |_| Ok("ran")).await.unwrap_err();
    assert!(
        matches!(refused, anjian::error::ApiError::Unavailable(_)),
        "{refused:?}"
    );
    assert_eq!(
        locked_job(&app, key + 1, |_| Ok("ran")).await.unwrap(),
        "ran"
    );
    let_go.send(()).unwrap();
    holder.await.unwrap();
    assert_eq!(locked_job(&app, key, |_| Ok("ran")).await.unwrap(), "ran");
}

/// A write job that panics is rolled back to its savepoint and answers 500; its advisory lock
/// goes with the savepoint, at once, not with the group's commit: the next job of the same
/// group sees another connection take that lock while the group is still open. The writer
/// goes on.
#[tokio::test]
async fn a_write_job_that_panics_answers_500_and_releases_its_lock() {
    let Some(app) = TestApp::spawn_on_postgres().await else {
        return;
    };
    let key = 0x7e57_0003;
    // Keeps the writer busy while the two jobs queue behind it, in this order.
    let holder = {
        let db = app.state.db.clone();
        tokio::spawn(async move {
            db.write(|_| {
                std::thread::sleep(std::time::Duration::from_millis(300));
                Ok(())
            })
            .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let panicking = {
        let db = app.state.db.clone();
        tokio::spawn(async move {
            db.read_then_write(
                move |_| Ok(((), anjian::db::TxStart { lock: Some(key) })),
                |_, ()| -> Result<(), _> { panic!("a bug") },
            )
            .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let pool = app.state.db.pool().clone();
    let free_meanwhile = app
        .state
        .db
        .write(move |_| {
            // Another connection, while this group's transaction is still open.
            let taken = std::thread::spawn(move || {
                use diesel::connection::SimpleConnection;
                let mut other = pool.get().unwrap();
                other.batch_execute("SET lock_timeout = '500ms'").unwrap();
                let taken =
                    anjian::db::write_tx(&mut other, |conn| Ok(anjian::db::lock_key(conn, key)?));
                other.batch_execute("RESET lock_timeout").unwrap();
                taken
            })
            .join()
            .unwrap();
            Ok(taken.is_ok())
        })
        .await
        .unwrap();
    holder.await.unwrap().unwrap();
    let panicked = panicking.await.unwrap().unwrap_err();
    assert!(
        matches!(panicked, anjian::error::ApiError::Internal(_)),
        "{panicked:?}"
    );
    assert!(
        free_meanwhile,
        "the panicked job's lock was held by its group"
    );
    assert_eq!(locked_job(&app, key, |_| Ok("ran")).await.unwrap(), "ran");
}

/// On PostgreSQL, too, the writer commits the jobs waiting for it in one transaction, and a job
/// that fails loses only its own writes. A failing statement (here a duplicate key) aborts
/// PostgreSQL's whole transaction: the job is rolled back to its savepoint, and the jobs before
/// and after it in the group commit. A job that ignores its failed statement and returns `Ok`
/// (a bug) is found and rolled back too, in the middle of the group or last, instead of
/// turning the group's `COMMIT` into a silent rollback.
#[tokio::test]
async fn a_failed_write_job_loses_only_its_own_writes_and_its_group_commits() {
    use diesel::sql_types::{BigInt, Text};
    let Some(app) = TestApp::spawn_on_postgres().await else {
        return;
    };
    #[derive(QueryableByName)]
    struct Tx {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let db = app.state.db.clone();
    db.write(|conn| {
        diesel::sql_query("CREATE TABLE writer_test (name TEXT PRIMARY KEY)").execute(conn)?;
        Ok(())
    })
    .await
    .unwrap();
    // Keeps the writer busy while the jobs queue behind it, in this order.
    let holder = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write(|_| {
                std::thread::sleep(std::time::Duration::from_millis(500));
                Ok(())
            })
            .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let mut jobs = Vec::new();
    // (name, whether the job then inserts "a" again and ignores the failure)
    for (name, ignores_failure) in [
        ("a", false),
        ("a", false),
        ("b", false),
        ("c", true),
        ("d", false),
        ("e", true),
    ] {
        let db = db.clone();
        jobs.push(tokio::spawn(async move {
            db.write(move |conn| {
                let insert = |conn: &mut anjian::db::DbConn, name: &str| {
                    diesel::sql_query("INSERT INTO writer_test (name) VALUES ($1)")
                        .bind::<Text, _>(name.to_owned())
                        .execute(conn)
                };
                insert(conn, name)?;
                if ignores_failure {
                    let _ = insert(conn, "a");
                    return Ok(0);
                }
                Ok(diesel::sql_query("SELECT txid_current() AS id")
                    .get_result::<Tx>(conn)?
                    .id)
            })
            .await
        }));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    holder.await.unwrap().unwrap();
    let mut answers = Vec::new();
    for job in jobs {
        answers.push(job.await.unwrap());
    }
    let [a, duplicate, b, c, d, e] = <[_; 6]>::try_from(answers).unwrap();
    let (a, b, d) = (a.unwrap(), b.unwrap(), d.unwrap());
    assert!(
        (a == b) && (b == d),
        "one transaction for the group: {a} {b} {d}"
    );
    for failed in [duplicate, c, e] {
        assert!(failed.is_err(), "{failed:?}");
    }
    let names: Vec<String> = db
        .run(|conn| {
            #[derive(QueryableByName)]
            struct Name {
                #[diesel(sql_type = Text)]
                name: String,
            }
            Ok(
                diesel::sql_query("SELECT name FROM writer_test ORDER BY name")
                    .load::<Name>(conn)?
                    .into_iter()
                    .map(|n| n.name)
                    .collect(),
            )
        })
        .await
        .unwrap();
    assert_eq!(names, ["a", "b", "d"]);
}

/// When the writer's PostgreSQL connection dies inside a group, the group answers 503: its
/// commit was never sent, so nothing of it was kept. The writer opens a new connection, and
/// the next approval goes through.
#[tokio::test]
async fn a_writer_whose_connection_dies_answers_503_and_reconnects() {
    let Some(app) = TestApp::spawn_on_postgres().await else {
        return;
    };
    let lost = app
        .state
        .db
        .write(|conn| {
            diesel::sql_query("SELECT pg_terminate_backend(pg_backend_pid())").execute(conn)?;
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(lost, anjian::error::ApiError::Unavailable(_)),
        "{lost:?}"
    );
    let (_, _, approved) = licensed(&app, "reconnect").await;
    assert_eq!(approved["status"], "approved", "{approved}");
}

/// On PostgreSQL an application's link to its certificate is checked at commit (migration
/// 000011: an approval writes the link before the certificate). A write job that breaks it
/// gets past its statements, and its group's `COMMIT` is refused, which keeps nothing: a
/// definite failure (503, not committed), not `outcome_unknown`.
#[tokio::test]
async fn a_link_to_a_missing_certificate_is_refused_at_commit_and_nothing_is_kept() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let Some(app) = TestApp::spawn_on_postgres().await else {
        return;
    };
    let (_, token, approved) = licensed(&app, "k").await;
    let id = approved["id"].as_i64().unwrap();
    let written = Arc::new(AtomicBool::new(false));
    let flag = written.clone();
    let err = app
        .state
        .db
        .write(move |conn| {
            diesel::sql_query(
                "UPDATE applications SET certificate_id = 999999999, decision_reason = 'x' \
                 WHERE id = $1",
            )
            .bind::<diesel::sql_types::BigInt, _>(id)
            .execute(conn)?;
            flag.store(true, Ordering::SeqCst);
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(
        written.load(Ordering::SeqCst),
        "the link is checked at commit, not at once"
    );
    assert!(
        matches!(err, anjian::error::ApiError::Unavailable(_)),
        "a refused COMMIT is a definite failure: {err:?}"
    );
    // The same outside the writer (the command line): an ordinary error, not outcome unknown.
    let pool = app.state.db.pool().clone();
    let direct = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        anjian::db::write_tx(&mut conn, |conn| {
            diesel::sql_query("UPDATE applications SET certificate_id = 999999999 WHERE id = $1")
                .bind::<diesel::sql_types::BigInt, _>(id)
                .execute(conn)?;
            Ok(())
        })
        .unwrap_err()
    })
    .await
    .unwrap();
    assert!(
        matches!(direct, anjian::error::ApiError::Internal(_)),
        "a refused COMMIT is a definite failure: {direct:?}"
    );
    let stored = get_json(&app, &format!("/api/v1/applications/{id}"), Some(&token)).await;
    assert_eq!(stored["certificate_id"], approved["certificate_id"]);
    assert!(stored["decision_reason"].is_null(), "{stored}");
}

#[tokio::test]
async fn renewal_change_and_reissue_supersede_the_old_certificate() {
    let app = TestApp::spawn().await;
    let (_, token, approved) = licensed(&app, "n").await;
    let first = approved["certificate"].clone();
    let number = first["number"].as_str().unwrap().to_owned();
    // Too early to renew: the certificate runs three more years.
    let early = submit_new(
        &app,
        &token,
        "hazchem_business_renewal",
        json!({"certificate_no": number}),
    )
    .await;
    assert_eq!(early["status"], "rejected");
    assert_eq!(failed_rules(&early), ["base_certificate_valid"]);
    assert_eq!(
        outcome_of(&early, "training_on_file"),
        "pass",
        "not applicable to a renewal"
    );
    assert_eq!(early["rule_results"].as_array().unwrap().len(), 12);
    // A change: new certificate, same expiry, holder from the changed record.
    let ent = first["enterprise_id"].as_i64().unwrap();
    app.patch(
        &format!("/api/v1/enterprises/{ent}"),
        Some(&app.admin_token),
        &json!({"name": "青岛新名称化工有限公司"}),
    )
    .await;
    let changed = submit_new(
        &app,
        &token,
        "hazchem_business_change",
        json!({"certificate_no": number, "changed_items": ["name"]}),
    )
    .await;
    assert_eq!(changed["status"], "approved", "{changed}");
    assert_eq!(outcome_of(&changed, "high_risk_referral"), "pass");
    let second = changed["certificate"].clone();
    assert_eq!(second["number"], "QD-WHJY-2026-000002");
    assert_eq!(
        second["permit_type"], HAZCHEM,
        "a certificate of the licence it continues"
    );
    assert_eq!(second["valid_until"], first["valid_until"]);
    assert_eq!(second["holder"]["name"], "青岛新名称化工有限公司");
    assert_eq!(second["scope"], first["scope"]);
    let old = get_json(
        &app,
        &format!("/api/v1/certificates/{}", first["id"]),
        Some(&token),
    )
    .await;
    assert_eq!(old["status"], "superseded");
    assert_eq!(old["superseded_by"], second["id"]);
    assert_eq!(old["timeline"][1]["action"], "superseded");
    // The superseded one cannot be continued again.
    let again = submit_new(
        &app,
        &token,
        "hazchem_business_reissue",
        json!({"certificate_no": number, "reason": "lost"}),
    )
    .await;
    assert_eq!(failed_rules(&again), ["base_certificate_valid"]);
    // A reissue of the current one.
    let reissued = submit_new(
        &app,
        &token,
        "hazchem_business_reissue",
        json!({"certificate_no": second["number"], "reason": "damaged"}),
    )
    .await;
    let third = reissued["certificate"].clone();
    assert_eq!(third["number"], "QD-WHJY-2026-000003");
    assert_eq!(third["valid_until"], first["valid_until"]);
    // Renewal within 90 days of expiry, in a later year: the next number of that year.
    app.clock.advance(Duration::days(1020)); // 2029-03-17
    let renewed = submit_new(
        &app,
        &token,
        "hazchem_business_renewal",
        json!({"certificate_no": third["number"]}),
    )
    .await;
    assert_eq!(renewed["status"], "approved", "{renewed}");
    let fourth = renewed["certificate"].clone();
    assert_eq!(fourth["number"], "QD-WHJY-2029-000001");
    assert_eq!(
        (
            fourth["valid_from"].as_str(),
            fourth["valid_until"].as_str()
        ),
        (Some("2029-03-17"), Some("2032-05-31"))
    );
    let old = get_json(
        &app,
        &format!("/api/v1/certificates/{}", third["id"]),
        Some(&token),
    )
    .await;
    assert_eq!(old["status"], "superseded");
    let active = get_json(&app, "/api/v1/certificates?status=active", Some(&token)).await;
    let ids: Vec<&Value> = active["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, [&fourth["id"]]);
}

#[tokio::test]
async fn a_second_licence_is_a_duplicate_and_another_enterprises_certificate_cannot_be_continued() {
    let app = TestApp::spawn().await;
    let (_, token, approved) = licensed(&app, "d").await;
    let duplicate = submit_new(&app, &token, HAZCHEM, hazchem_form("d")).await;
    assert_eq!(failed_rules(&duplicate), ["no_duplicate"]);
    let (_, other) = applicant(&app, "hazardous_chemicals").await;
    let foreign = submit_new(
        &app,
        &other,
        "hazchem_business_reissue",
        json!({"certificate_no": approved["certificate"]["number"], "reason": "lost"}),
    )
    .await;
    assert!(
        failed_rules(&foreign).contains(&"base_certificate_valid".to_owned()),
        "{foreign}"
    );
    let message = foreign["rule_results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "base_certificate_valid")
        .unwrap()["message"]
        .clone();
    assert_eq!(
        message,
        "certificate_no names no certificate of this enterprise"
    );
    let unknown = submit_new(
        &app,
        &other,
        "hazchem_business_reissue",
        json!({"certificate_no": "QD-WHJY-2026-999999", "reason": "lost"}),
    )
    .await;
    let unknown_message = unknown["rule_results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "base_certificate_valid")
        .unwrap()["message"]
        .clone();
    assert_eq!(
        message, unknown_message,
        "another's certificate reads like none at all"
    );
}

#[tokio::test]
async fn an_admin_revokes_with_a_reason_and_the_licence_is_barred_for_twelve_months() {
    let app = TestApp::spawn().await;
    let (_, token, approved) = licensed(&app, "v").await;
    let cert = &approved["certificate"];
    let path = format!("/api/v1/certificates/{}/revoke", cert["id"]);
    let reviewer = app.quick_token_for(Role::Reviewer, None).await;
    problem(
        app.post(
            &path,
            Some(&reviewer),
            &json!({"reason": "以欺骗手段取得许可证"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let p = problem(
        app.post(&path, Some(&app.admin_token), &json!({})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["reason"]);
    let res = app
        .post(
            &path,
            Some(&app.admin_token),
            &json!({"reason": "以欺骗手段取得许可证，依法撤销"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let revoked: Value = res.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoke_reason"], "以欺骗手段取得许可证，依法撤销");
    assert!(revoked["revoked_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(revoked["timeline"][1]["action"], "revoked");
    problem(
        app.post(
            &path,
            Some(&app.admin_token),
            &json!({"reason": "再次撤销这份许可证，重复操作"}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    let barred = submit_new(&app, &token, HAZCHEM, hazchem_form("v")).await;
    assert_eq!(failed_rules(&barred), ["no_recent_revocation"]);
    app.clock.advance(Duration::days(366));
    // A year on, with fresh training filings, the licence may be granted again.
    file_prerequisites(&app, &token, "v2").await;
    let granted = submit_new(&app, &token, HAZCHEM, hazchem_form("v2")).await;
    assert_eq!(granted["status"], "approved", "{granted}");
}

// ---------------------------------------------------------------------------------------------
// 6. The signature and public verification

#[tokio::test]
async fn anyone_verifies_a_certificate_offline_with_the_public_key_and_any_altered_field_fails() {
    let app = TestApp::spawn().await;
    let (_, _, approved) = licensed(&app, "s").await;
    let cert = &approved["certificate"];
    let key = get_json(&app, "/api/v1/public/certificate-key", None).await;
    assert_eq!(
        (key["algorithm"].as_str(), key["encoding"].as_str()),
        (Some("Ed25519"), Some("base64"))
    );
    let key_bytes: [u8; 32] = STANDARD
        .decode(key["public_key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let key = VerifyingKey::from_bytes(&key_bytes).unwrap();

    let number = cert["number"].as_str().unwrap();
    let code = cert["verification_code"].as_str().unwrap();
    let public = get_json(
        &app,
        &format!(
            "/api/v1/public/certificates/{number}?code={}",
            code.to_lowercase()
        ),
        None,
    )
    .await;
    assert_eq!(public["valid"], true);
    assert_eq!(public["status"], "active");
    assert_eq!(public["number"], number);
    assert_eq!(public["permit_type"], HAZCHEM);
    assert_eq!(public["holder_name"], cert["holder"]["name"]);
    assert_eq!(public["valid_until"], "2029-05-31");
    let sig_bytes: [u8; 64] = STANDARD
        .decode(public["signature"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let signature = Signature::from_bytes(&sig_bytes);
    let payload = public["signed_payload"].as_str().unwrap();
    assert!(key.verify(payload.as_bytes(), &signature).is_ok());

    // The signed payload carries the public fields; altering any of them breaks the signature.
    let signed: Value = serde_json::from_str(payload).unwrap();
    assert_eq!(signed["number"], number);
    assert_eq!(
        signed["holder"]["credit_code"],
        cert["holder"]["credit_code"]
    );
    // Every value in the payload, however deep: each one altered in turn.
    let mut pointers = Vec::new();
    leaves(&signed, String::new(), &mut pointers);
    for field in [
        "/number",
        "/valid_until",
        "/valid_from",
        "/issued_at",
        "/holder/name",
    ] {
        assert!(pointers.iter().any(|p| p == field), "{field} is not signed");
    }
    assert!(pointers.len() >= 11, "{pointers:?}");
    for pointer in &pointers {
        let mut altered = signed.clone();
        let leaf = altered.pointer_mut(pointer).unwrap();
        *leaf = match leaf.take() {
            Value::String(s) => json!(format!("{s}X")),
            Value::Bool(b) => json!(!b),
            Value::Number(n) => json!(n.as_f64().unwrap() + 1.0),
            Value::Null => json!("X"),
            other => unreachable!("{other} is not a leaf"),
        };
        let bytes = anjian::audit::canonical_json(&altered);
        assert!(
            key.verify(bytes.as_bytes(), &signature).is_err(),
            "{pointer} altered still verifies"
        );
    }
    assert!(
        key.verify(
            anjian::audit::canonical_json(&signed).as_bytes(),
            &signature
        )
        .is_ok(),
        "canonical form is stable"
    );

    // A wrong or missing code answers exactly like an unknown number.
    let unknown = app
        .get(
            "/api/v1/public/certificates/QD-WHJY-2026-999999?code=0000000000",
            None,
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let unknown = unknown.text().await.unwrap();
    for path in [
        format!("/api/v1/public/certificates/{number}?code=ZZZZZZZZZZ"),
        format!("/api/v1/public/certificates/{number}"),
        format!("/api/v1/public/certificates/{number}?code="),
        "/api/v1/public/certificates/not-a-number?code=x".to_owned(),
    ] {
        let res = app.get(&path, None).await;
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(res.text().await.unwrap(), unknown, "{path}");
    }

    // Revoked: still verifiable, no longer valid.
    app.post(
        &format!("/api/v1/certificates/{}/revoke", cert["id"]),
        Some(&app.admin_token),
        &json!({"reason": "企业申请注销危险化学品经营许可证"}),
    )
    .await;
    let public = get_json(
        &app,
        &format!("/api/v1/public/certificates/{number}?code={code}"),
        None,
    )
    .await;
    assert_eq!(
        (public["valid"].as_bool(), public["status"].as_str()),
        (Some(false), Some("revoked"))
    );
    // Expired: derived from valid_until.
    let (_, _, other) = licensed(&app, "s2").await;
    app.clock.advance(Duration::days(365 * 3 + 1));
    let c = &other["certificate"];
    let public = get_json(
        &app,
        &format!(
            "/api/v1/public/certificates/{}?code={}",
            c["number"].as_str().unwrap(),
            c["verification_code"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(
        (public["valid"].as_bool(), public["status"].as_str()),
        (Some(false), Some("expired"))
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Concurrency

#[tokio::test]
async fn two_concurrent_submits_of_one_draft_store_one_decision() {
    let app = TestApp::spawn().await;
    let (_, token) = applicant(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "k").await;
    let (_, draft) = apply(
        &app,
        &token,
        json!({"permit_type": HAZCHEM, "form": hazchem_form("k")}),
    )
    .await;
    let id = draft["id"].as_i64().unwrap();
    let path = format!("/api/v1/applications/{id}/submit");
    let body = json!({"commitment_accepted": true});
    let (a, b) = tokio::join!(
        app.post(&path, Some(&token), &body),
        app.post(&path, Some(&token), &body)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let loser = if a.status() == 409 { a } else { b };
    problem(loser, 409, "invalid_transition").await;
    let audit = get_json(
        &app,
        &format!("/api/v1/audit?aggregate_type=application&aggregate_id={id}"),
        Some(&app.admin_token),
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["approved", "submitted", "created"]);
    let certs = get_json(&app, "/api/v1/certificates", Some(&token)).await;
    assert_eq!(certs["items"].as_array().unwrap().len(), 1);
}

/// The rules are read before the write transaction; what an approval itself changes (an
/// active licence of the type) is read again inside it, under a per-enterprise lock on
/// PostgreSQL, so concurrent applications of one enterprise are licensed once.
#[tokio::test]
async fn concurrent_instant_applications_of_one_enterprise_are_licensed_once() {
    let app = TestApp::spawn().await;
    let (_, token) = applicant(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "r").await;
    let answers = join_all((0..8).map(|_| {
        apply(&app, &token, json!({"permit_type": HAZCHEM, "form": hazchem_form("r"), "submit": true, "commitment_accepted": true}))
    }))
    .await;
    let mut approved = 0;
    for (status, body) in &answers {
        assert_eq!(*status, 201, "{body}");
        match body["status"].as_str() {
            Some("approved") => approved += 1,
            Some("rejected") => assert_eq!(failed_rules(body), ["no_duplicate"], "{body}"),
            other => panic!("unexpected status {other:?}: {body}"),
        }
    }
    assert_eq!(approved, 1);
    let certs = get_json(&app, "/api/v1/certificates", Some(&token)).await;
    assert_eq!(certs["items"].as_array().unwrap().len(), 1);
    let verify = get_json(&app, "/api/v1/audit/verify", Some(&app.admin_token)).await;
    assert_eq!(verify["ok"], true, "{verify}");
}

#[tokio::test]
async fn two_concurrent_reviewer_decisions_store_one() {
    let app = TestApp::spawn().await;
    let (_, token) = applicant(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "q").await;
    let mut form = hazchem_form("q");
    form["includes_explosive_precursors"] = json!(true);
    let referred = submit_new(&app, &token, HAZCHEM, form).await;
    let id = referred["id"].as_i64().unwrap();
    let (r1, r2) = (
        app.quick_token_for(Role::Reviewer, None).await,
        app.quick_token_for(Role::Reviewer, None).await,
    );
    let path = format!("/api/v1/applications/{id}/decision");
    let approve = json!({"decision": "approve", "reason": "易制爆品管理制度健全，同意许可"});
    let reject = json!({"decision": "reject", "reason": "易制爆品储存条件不符合要求"});
    let (a, b) = tokio::join!(
        app.post(&path, Some(&r1), &approve),
        app.post(&path, Some(&r2), &reject)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let (won, lost) = if a.status() == 200 { (a, b) } else { (b, a) };
    problem(lost, 409, "invalid_transition").await;
    let won: Value = won.json().await.unwrap();
    // The stored application is the winner's decision, with the winner's reason; a certificate
    // exists only if the winner approved.
    let stored = get_json(
        &app,
        &format!("/api/v1/applications/{id}"),
        Some(&app.admin_token),
    )
    .await;
    assert_eq!(stored["status"], won["status"]);
    assert!(won["decision_reason"].is_string(), "{won}");
    assert_eq!(stored["decision_reason"], won["decision_reason"]);
    let certificates = get_json(&app, "/api/v1/certificates", Some(&token)).await;
    let issued = certificates["items"].as_array().unwrap().len();
    assert_eq!(
        issued,
        usize::from(won["status"] == "approved"),
        "{certificates}"
    );
    let audit = get_json(
        &app,
        &format!("/api/v1/audit?aggregate_type=application&aggregate_id={id}"),
        Some(&app.admin_token),
    )
    .await;
    let decisions = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "approved" || e["action"] == "rejected")
        .count();
    assert_eq!(decisions, 1);
}

// ---------------------------------------------------------------------------------------------
// 8. Scoping

#[tokio::test]
async fn an_enterprise_sees_only_its_own_applications_and_certificates() {
    let app = TestApp::spawn().await;
    let (a_id, a_token, a_app) = licensed(&app, "a").await;
    let (b_id, b_token, b_app) = licensed(&app, "b").await;
    for (token, own, foreign) in [(&a_token, &a_app, &b_app), (&b_token, &b_app, &a_app)] {
        problem(
            app.get(
                &format!("/api/v1/applications/{}", foreign["id"]),
                Some(token),
            )
            .await,
            404,
            "not_found",
        )
        .await;
        problem(
            app.get(
                &format!("/api/v1/certificates/{}", foreign["certificate_id"]),
                Some(token),
            )
            .await,
            404,
            "not_found",
        )
        .await;
        problem(
            app.post(
                &format!("/api/v1/applications/{}/withdraw", foreign["id"]),
                Some(token),
                &json!({}),
            )
            .await,
            404,
            "not_found",
        )
        .await;
        let list = get_json(&app, "/api/v1/applications", Some(token)).await;
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["enterprise_id"] == own["enterprise_id"])
        );
        assert_eq!(list["items"].as_array().unwrap().len(), 4);
        let certs = get_json(&app, "/api/v1/certificates", Some(token)).await;
        assert_eq!(certs["items"].as_array().unwrap().len(), 1);
        assert_eq!(certs["items"][0]["id"], own["certificate_id"]);
        let peek = get_json(
            &app,
            &format!(
                "/api/v1/applications?enterprise_id={}",
                foreign["enterprise_id"]
            ),
            Some(token),
        )
        .await;
        assert!(peek["items"].as_array().unwrap().is_empty());
        let peek = get_json(
            &app,
            &format!(
                "/api/v1/certificates?enterprise_id={}",
                foreign["enterprise_id"]
            ),
            Some(token),
        )
        .await;
        assert!(peek["items"].as_array().unwrap().is_empty());
        problem(
            app.post(
                &format!("/api/v1/applications/{}/decision", own["id"]),
                Some(token),
                &json!({"decision": "approve", "reason": "我们自己同意自己的申请"}),
            )
            .await,
            403,
            "forbidden",
        )
        .await;
    }
    for role in [Role::Inspector, Role::Reviewer, Role::Admin] {
        let staff = app.quick_token_for(role, None).await;
        let all = get_json(&app, "/api/v1/applications", Some(&staff)).await;
        assert_eq!(all["items"].as_array().unwrap().len(), 8);
        if role == Role::Inspector {
            // Inspectors see every application but do not decide.
            problem(
                app.post(
                    &format!("/api/v1/applications/{}/decision", a_app["id"]),
                    Some(&staff),
                    &json!({"decision": "reject", "reason": "检查员无权审批"}),
                )
                .await,
                403,
                "forbidden",
            )
            .await;
        }
        let only_b = get_json(
            &app,
            &format!("/api/v1/applications?enterprise_id={b_id}&permit_type={HAZCHEM}"),
            Some(&staff),
        )
        .await;
        assert_eq!(only_b["items"].as_array().unwrap().len(), 1);
        let a_cert = get_json(
            &app,
            &format!("/api/v1/certificates/{}", a_app["certificate_id"]),
            Some(&staff),
        )
        .await;
        assert_eq!(a_cert["enterprise_id"], a_id);
        problem(
            app.post(
                "/api/v1/applications",
                Some(&staff),
                &json!({"permit_type": HAZCHEM, "form": {}}),
            )
            .await,
            403,
            "forbidden",
        )
        .await;
    }
    // A draft of b's, which a may neither edit nor submit.
    let (status, b_draft) = apply(
        &app,
        &b_token,
        json!({"permit_type": HAZCHEM, "form": {}, "submit": false}),
    )
    .await;
    assert_eq!((status, b_draft["status"].as_str()), (201, Some("draft")));
    let b_draft = b_draft["id"].as_i64().unwrap();
    let edit = app
        .put(
            &format!("/api/v1/applications/{b_draft}/form"),
            Some(&a_token),
            &json!({"form": {}}),
        )
        .await;
    problem(edit, 404, "not_found").await;
    let submit = app
        .post(
            &format!("/api/v1/applications/{b_draft}/submit"),
            Some(&a_token),
            &json!({"commitment_accepted": true}),
        )
        .await;
    problem(submit, 404, "not_found").await;
    let p = problem(
        app.get("/api/v1/applications?status=pending", Some(&a_token))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["status"]);
    let p = problem(
        app.get(
            "/api/v1/certificates?permit_type=driving_licence",
            Some(&a_token),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["permit_type"]);
}

#[tokio::test]
async fn certificates_are_filtered_by_status_type_and_expiry() {
    let app = TestApp::spawn().await;
    let (_, _, first) = licensed(&app, "f1").await;
    let (_, fw_token) = applicant(&app, "fireworks").await;
    file_prerequisites(&app, &fw_token, "f2").await;
    let fireworks = submit_new(
        &app,
        &fw_token,
        "fireworks_retail",
        json!({"premises_address": "胶州市福州南路209号", "premises_area_m2": 35, "max_stock_boxes": 200,
               "principal_cert_no": "AQP-f2", "safety_manager_cert_no": "AQS-f2"}),
    )
    .await;
    assert_eq!(fireworks["status"], "approved", "{fireworks}");
    assert_eq!(fireworks["certificate"]["number"], "QD-YHBZ-2026-000001");
    assert_eq!(fireworks["certificate"]["valid_until"], "2027-05-31");
    let staff = app.quick_token_for(Role::Inspector, None).await;
    let count = |v: &Value| v["items"].as_array().unwrap().len();
    assert_eq!(
        count(&get_json(&app, "/api/v1/certificates", Some(&staff)).await),
        2
    );
    assert_eq!(
        count(
            &get_json(
                &app,
                "/api/v1/certificates?permit_type=fireworks_retail",
                Some(&staff)
            )
            .await
        ),
        1
    );
    assert_eq!(
        count(
            &get_json(
                &app,
                "/api/v1/certificates?expiring_within_days=365",
                Some(&staff)
            )
            .await
        ),
        1
    );
    assert_eq!(
        count(
            &get_json(
                &app,
                "/api/v1/certificates?expiring_within_days=363",
                Some(&staff)
            )
            .await
        ),
        0
    );
    app.clock.advance(Duration::days(366));
    assert_eq!(
        count(&get_json(&app, "/api/v1/certificates?status=expired", Some(&staff)).await),
        1
    );
    let active = get_json(&app, "/api/v1/certificates?status=active", Some(&staff)).await;
    assert_eq!(active["items"][0]["id"], first["certificate_id"]);
    let p = problem(
        app.get("/api/v1/certificates?status=lost", Some(&staff))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["status"]);
}

// ---------------------------------------------------------------------------------------------
// 9. Figures

#[tokio::test]
async fn permit_figures_match_a_known_set_of_applications() {
    let app = TestApp::spawn().await;
    let (_, m) = applicant(&app, "non_coal_mining").await;
    // 2026-06-01: enterprise A files 3 and is licensed instantly; B files 3 and is referred;
    // C files nothing and is rejected; D leaves a draft.
    let (_, _a, _) = licensed(&app, "A").await;
    let (_, b) = applicant(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &b, "B").await;
    let mut form = hazchem_form("B");
    form["includes_highly_toxic"] = json!(true);
    let referred = submit_new(&app, &b, HAZCHEM, form).await;
    let (_, c) = applicant(&app, "hazardous_chemicals").await;
    submit_new(&app, &c, HAZCHEM, hazchem_form("C")).await;
    let (_, d) = applicant(&app, "hazardous_chemicals").await;
    apply(&app, &d, json!({"permit_type": HAZCHEM, "form": {}})).await;
    // Five days later a reviewer approves B's referral (5 days = 432,000 s).
    app.clock.advance(Duration::days(5));
    let reviewer = app.quick_token_for(Role::Reviewer, None).await;
    app.post(
        &format!("/api/v1/applications/{}/decision", referred["id"]),
        Some(&reviewer),
        &json!({"decision": "approve", "reason": "现场核查合格，同意许可"}),
    )
    .await;
    // And a review item stays open past its due date (non-coal mine, 45 days).
    submit_new(
        &app,
        &m,
        "safety_director_filing",
        json!({"director_name": "周明", "appointed_on": "2026-01-01"}),
    )
    .await;
    let mine = json!({"mine_name": "金岭矿", "mine_address": "平度市", "mineral": "花岗岩", "mining_method": "underground",
                      "annual_capacity_t": 1000, "principal_cert_no": "AQP-m", "safety_manager_cert_no": "AQS-m"});
    submit_new(&app, &m, "non_coal_mine_safety", mine).await;
    app.clock.advance(Duration::days(50)); // 2026-07-26

    let stats = get_json(
        &app,
        "/api/v1/stats/permits?from=2026-06-01&to=2026-06-30",
        Some(&reviewer),
    )
    .await;
    let by = |code: &str| {
        stats["by_type"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["permit_type"] == code)
            .unwrap()
            .clone()
    };
    let hazchem = by(HAZCHEM);
    assert_eq!(hazchem["submitted"], 3, "the draft was never submitted");
    assert_eq!(
        hazchem["outcomes"],
        json!({"approved": 2, "rejected": 1, "filed": 0, "under_review": 0, "withdrawn": 0})
    );
    assert_eq!(
        (
            hazchem["decided"].as_u64(),
            hazchem["decided_instantly"].as_u64()
        ),
        (Some(3), Some(2))
    );
    assert!((hazchem["instant_share"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    let training = by("safety_training_filing");
    assert_eq!(
        (
            training["submitted"].as_u64(),
            training["outcomes"]["filed"].as_u64()
        ),
        (Some(4), Some(4))
    );
    assert_eq!(training["instant_share"], 1.0);
    assert_eq!(by("emergency_plan_filing")["submitted"], 2);
    assert_eq!(by("safety_director_filing")["submitted"], 1);
    let mine = by("non_coal_mine_safety");
    assert_eq!(
        (
            mine["outcomes"]["under_review"].as_u64(),
            mine["instant_share"].is_null()
        ),
        (Some(1), true)
    );
    assert_eq!(by("fireworks_retail")["submitted"], 0);
    let total = &stats["total"];
    assert_eq!(total["submitted"], 11);
    assert_eq!(total["decided"], 10);
    assert_eq!(total["decided_instantly"], 9);
    assert_eq!(stats["decision_times"]["instant"]["count"], 9);
    assert_eq!(stats["decision_times"]["instant"]["median_seconds"], 0.0);
    assert_eq!(stats["decision_times"]["review"]["count"], 1);
    assert_eq!(
        stats["decision_times"]["review"]["median_seconds"],
        432_000.0
    );
    assert_eq!(stats["decision_times"]["review"]["p90_seconds"], 432_000.0);
    assert_eq!(stats["reviews"], json!({"open": 1, "overdue": 1}));
    assert_eq!(stats["certificates"]["issued"], 2);
    assert_eq!(stats["certificates"]["active"], 2);
    assert_eq!(stats["certificates"]["expiring_within_90_days"], 0);

    // Another period holds nothing submitted; the figures "now" stay.
    let july = get_json(
        &app,
        "/api/v1/stats/permits?from=2026-07-01&to=2026-07-31",
        Some(&reviewer),
    )
    .await;
    assert_eq!(july["total"]["submitted"], 0);
    assert_eq!(july["certificates"]["issued"], 0);
    assert_eq!(july["reviews"]["open"], 1);
    let p = problem(
        app.get(
            "/api/v1/stats/permits?from=2026-07-01&to=2026-06-01",
            Some(&reviewer),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["to"]);
    problem(
        app.get("/api/v1/stats/permits", Some(&d)).await,
        403,
        "forbidden",
    )
    .await;

    // The mine withdraws its application under review: June now shows it withdrawn, and no
    // review is open.
    let open = get_json(&app, "/api/v1/applications?status=under_review", Some(&m)).await;
    let withdrawn = app
        .post(
            &format!("/api/v1/applications/{}/withdraw", open["items"][0]["id"]),
            Some(&m),
            &json!({}),
        )
        .await;
    assert_eq!(withdrawn.status(), 200);
    // Nearly three years on, both licences (valid until 2029-05-31 and 2029-06-05) expire
    // within 90 days and are still active.
    app.clock.set(
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2029, 3, 15, 1, 0, 0)
            .single()
            .unwrap(),
    );
    let reviewer = app.quick_token_for(Role::Reviewer, None).await;
    let stats = get_json(
        &app,
        "/api/v1/stats/permits?from=2026-06-01&to=2026-06-30",
        Some(&reviewer),
    )
    .await;
    let mine = stats["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["permit_type"] == "non_coal_mine_safety")
        .unwrap()
        .clone();
    assert_eq!(
        mine["outcomes"],
        json!({"approved": 0, "rejected": 0, "filed": 0, "under_review": 0, "withdrawn": 1})
    );
    assert_eq!(stats["total"]["submitted"], 11);
    assert_eq!(stats["reviews"], json!({"open": 0, "overdue": 0}));
    assert_eq!(
        stats["certificates"],
        json!({"issued": 2, "active": 2, "expiring_within_90_days": 2})
    );
}

// ---------------------------------------------------------------------------------------------
// The permit rules over records written by the campaigns capability's own routes.

#[tokio::test]
async fn an_open_major_hazard_and_an_order_in_force_reject_a_licence_until_both_are_cleared() {
    let app = TestApp::spawn().await;
    let (ent, token) = applicant(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "x").await;
    let mut inspectors = Vec::new();
    for _ in 0..2 {
        let name = format!("insp{}", app.next());
        let id = app.create_user_direct(&name, Role::Inspector, None).await;
        inspectors.push((id, app.login(&name, PASSWORD).await));
    }
    let insp = inspectors[0].1.clone();
    let ids = [inspectors[0].0, inspectors[1].0];
    // An inspection finds a major hazard; an order suspends production.
    let plan = json!({"measures": "更换储罐阀门", "funds_fen": 200000, "responsible_person": "李安全",
                      "deadline": "2026-06-20", "emergency_measures": "停用储罐，设警戒区"});
    let res = app
        .post(
            "/api/v1/inspections",
            Some(&insp),
            &json!({"enterprise_id": ent, "inspected_on": "2026-05-20", "inspector_ids": ids, "notes": "专项检查",
                    "hazards": [{"description": "储罐阀门泄漏", "level": "major", "category": "equipment",
                                 "deadline": "2026-06-20", "plan": plan}]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let inspection: Value = res.json().await.unwrap();
    let hazard = inspection["hazards"][0]["id"].as_i64().unwrap();
    let res = app
        .post(
            "/api/v1/orders",
            Some(&insp),
            &json!({"enterprise_id": ent, "kind": "suspend_production", "reason": "重大事故隐患未整改", "issued_on": "2026-05-21"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let order = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let application = json!({"permit_type": HAZCHEM, "form": hazchem_form("x"), "submit": true, "commitment_accepted": true});
    let (status, rejected) = apply(&app, &token, application.clone()).await;
    assert_eq!(status, 201, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    let failed = failed_rules(&rejected);
    for rule in [
        "enterprise_operating",
        "no_suspension_order",
        "no_open_major_hazard",
    ] {
        assert!(
            failed.contains(&rule.to_owned()),
            "{rule} should fail: {failed:?}"
        );
    }

    // The enterprise rectifies, an inspector verifies, the order is lifted.
    let res = app
        .post(
            &format!("/api/v1/hazards/{hazard}/rectification"),
            Some(&token),
            &json!({"measures": "阀门已更换", "completed_on": "2026-05-28"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post(
            &format!("/api/v1/hazards/{hazard}/verify"),
            Some(&insp),
            &json!({"note": "验收合格"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post(
            &format!("/api/v1/orders/{order}/lift"),
            Some(&insp),
            &json!({"lifted_on": "2026-05-30", "note": "复工"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let (status, approved) = apply(&app, &token, application).await;
    assert_eq!(status, 201, "{approved}");
    assert_eq!(approved["status"], "approved", "{approved}");
    assert!(approved["certificate"]["number"].is_string());
}

/// The enterprise behind a demo account.
async fn demo_enterprise(app: &TestApp, username: &'static str) -> i64 {
    app.state
        .db
        .run(move |conn| {
            use anjian::schema::users;
            Ok(users::table
                .filter(users::username.eq(username))
                .select(users::enterprise_id)
                .get_result::<Option<i64>>(conn)?
                .expect("a demo enterprise account"))
        })
        .await
        .unwrap()
}

/// `anjian seed demo` writes applications in every state and certificates, and the README's
/// permit tour works on it: `ent.lanhai`'s instant reissue is approved with the next number
/// and verifies publicly; the same request from `ent.haiwan` is rejected on the open major
/// hazard the demo campaign found.
#[tokio::test]
async fn the_demo_has_every_state_and_the_readme_tour_works_on_it() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    // The seed reads the system clock: bring the server's to it (and sign in again).
    app.clock.set(chrono::Utc::now());
    let admin = app.token_for(Role::Admin, None).await;
    for status in [
        "draft",
        "filed",
        "under_review",
        "approved",
        "rejected",
        "withdrawn",
    ] {
        let page = get_json(
            &app,
            &format!("/api/v1/applications?status={status}"),
            Some(&admin),
        )
        .await;
        assert!(!page["items"].as_array().unwrap().is_empty(), "no {status}");
    }
    let certificates = get_json(&app, "/api/v1/certificates", Some(&admin)).await;
    assert!(certificates["items"].as_array().unwrap().len() >= 3);

    let lanhai = demo_enterprise(&app, "ent.lanhai").await;
    let lanhai = app.token_for(Role::Enterprise, Some(lanhai)).await;
    let own = get_json(&app, "/api/v1/certificates?status=active", Some(&lanhai)).await;
    let held = own["items"][0]["number"].as_str().unwrap().to_owned();
    let reissue = |number: &str| {
        json!({"permit_type": "hazchem_business_reissue", "submit": true,
               "commitment_accepted": true, "form": {"certificate_no": number, "reason": "lost"}})
    };
    let (status, approved) = apply(&app, &lanhai, reissue(&held)).await;
    assert_eq!(status, 201, "{approved}");
    assert_eq!(approved["status"], "approved", "{approved}");
    let number = approved["certificate"]["number"].as_str().unwrap();
    let serial = |n: &str| n.rsplit('-').next().unwrap().parse::<u32>().unwrap();
    let (prefix, _) = held.rsplit_once('-').unwrap();
    let newest = certificates["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .filter(|n| n.starts_with(prefix))
        .map(serial)
        .max()
        .unwrap();
    assert_eq!(number, format!("{prefix}-{:06}", newest + 1));
    let code = approved["certificate"]["verification_code"]
        .as_str()
        .unwrap();
    let public = get_json(
        &app,
        &format!("/api/v1/public/certificates/{number}?code={code}"),
        None,
    )
    .await;
    assert_eq!(public["valid"], true, "{public}");

    let haiwan = demo_enterprise(&app, "ent.haiwan").await;
    let haiwan = app.token_for(Role::Enterprise, Some(haiwan)).await;
    let own = get_json(&app, "/api/v1/certificates?status=active", Some(&haiwan)).await;
    let held = own["items"][0]["number"].as_str().unwrap().to_owned();
    let (_, refused) = apply(&app, &haiwan, reissue(&held)).await;
    assert_eq!(refused["status"], "rejected", "{refused}");
    assert_eq!(failed_rules(&refused), ["no_open_major_hazard"]);
}

/// The JSON pointers of every leaf of `v` (objects and arrays walked through).
fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                leaves(child, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                leaves(child, format!("{at}/{i}"), out);
            }
        }
        _ => out.push(at),
    }
}
