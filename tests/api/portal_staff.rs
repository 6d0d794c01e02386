//! The staff pages (PORTAL 7.5) through the real server: the reviewer's queue.

use anjian::auth::Role;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, Visitor};
use crate::permits::{applicant, file_prerequisites, submit_new};

/// An enterprise that may apply for a mine's safety licence (its instant filings done).
async fn mine(app: &TestApp, tag: &str) -> i64 {
    let (id, token) = applicant(app, "non_coal_mining").await;
    file_prerequisites(app, &token, tag).await;
    id
}

/// A mine's safety licence, submitted now: always decided by a reviewer, within 45 days.
async fn mine_licence(app: &TestApp, enterprise: i64, tag: &str) -> Value {
    let token = app
        .quick_token_for(Role::Enterprise, Some(enterprise))
        .await;
    let form = json!({"mine_name": format!("{tag}矿"), "mine_address": "平度市大泽山镇",
                      "mineral": "花岗岩", "mining_method": "open_pit", "annual_capacity_t": 300000,
                      "principal_cert_no": format!("AQP-{tag}"),
                      "safety_manager_cert_no": format!("AQS-{tag}")});
    let submitted = submit_new(app, &token, "non_coal_mine_safety", form).await;
    assert_eq!(submitted["status"], "under_review", "{submitted}");
    submitted
}

#[tokio::test]
async fn the_review_queue_lists_the_nearest_due_date_first_with_the_overdue_marked() {
    let app = TestApp::spawn().await;
    let (one, two) = (mine(&app, "early").await, mine(&app, "late").await);
    let early = mine_licence(&app, one, "early").await;
    app.clock.advance(Duration::days(10));
    let late = mine_licence(&app, two, "late").await;
    // The first is now past its 45 days; the second has ten to go.
    app.clock.advance(Duration::days(40));

    let reviewer = format!("reviewer{}", app.next());
    app.create_user_direct(&reviewer, Role::Reviewer, None)
        .await;
    let v = Visitor::new(&app);
    v.sign_in(&reviewer, PASSWORD).await;
    let (status, _, page) = v.get("/s/reviews").await;
    assert_eq!(status, StatusCode::OK);
    let (first, second) = (
        early["number"].as_str().unwrap(),
        late["number"].as_str().unwrap(),
    );
    let (at_first, at_second) = (page.find(first).unwrap(), page.find(second).unwrap());
    assert!(at_first < at_second, "the nearest due date first");
    let rows: Vec<&str> = page.split("<tr").skip(2).collect();
    assert_eq!(rows.len(), 2, "{page}");
    assert!(rows[0].contains("class=\"late\"") && rows[0].contains("已逾期"));
    assert!(!rows[1].contains("已逾期"), "{}", rows[1]);
    assert!(page.contains("其中 1 件已逾期"));
    assert!(page.contains(&format!("href=\"/s/applications/{}\"", early["id"])));

    // The staff home links it for a reviewer; an inspector may not open it.
    let (_, _, home) = v.get("/s/").await;
    assert!(home.contains("href=\"/s/reviews\""));
    let inspector = format!("inspector{}", app.next());
    app.create_user_direct(&inspector, Role::Inspector, None)
        .await;
    let other = Visitor::new(&app);
    other.sign_in(&inspector, PASSWORD).await;
    let (status, _, _) = other.get("/s/reviews").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, home) = other.get("/s/").await;
    assert!(!home.contains("href=\"/s/reviews\""));
}

#[tokio::test]
async fn a_reviewer_decides_on_the_application_page_with_every_problem_beside_its_field() {
    let app = TestApp::spawn().await;
    let enterprise = mine(&app, "dec").await;
    let submitted = mine_licence(&app, enterprise, "dec").await;
    let href = format!("/s/applications/{}", submitted["id"]);
    let reviewer = format!("reviewer{}", app.next());
    app.create_user_direct(&reviewer, Role::Reviewer, None)
        .await;
    let v = Visitor::new(&app);
    v.sign_in(&reviewer, PASSWORD).await;
    let (status, _, page) = v.get(&href).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("审查中") && page.contains("逐项审查结果"),
        "{page}"
    );
    assert!(page.contains("dec矿"), "the form's values");
    let csrf = crate::helpers::hidden(&page, "csrf");
    let decision = format!("{href}/decision");

    // No decision chosen, a reason too short: both said, the reason kept, nothing decided.
    let (status, _, page) = v
        .post(&decision, &[("csrf", &csrf), ("reason", "太短")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"decision-error\""), "{page}");
    assert!(page.contains(">太短</textarea>"));
    let (status, _, page) = v
        .post(
            &decision,
            &[("csrf", &csrf), ("decision", "approve"), ("reason", "太短")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"reason-error\""), "{page}");
    assert!(page.contains("id=\"decision-approve\" name=\"decision\" value=\"approve\" checked"));
    assert!(page.contains("审查中"), "not decided");

    let reason = "安全设施经现场核查符合要求，准予许可";
    let (status, headers, _) = v
        .post(
            &decision,
            &[("csrf", &csrf), ("decision", "approve"), ("reason", reason)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], href.as_str());
    let (_, _, page) = v.get(&href).await;
    assert!(page.contains("已批准") && page.contains(reason), "{page}");
    assert!(
        !page.contains("action=\"/s/applications/"),
        "no form once decided"
    );
    let api = app
        .get_json(
            &format!("/api/v1/applications/{}", submitted["id"]),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(api["status"], "approved");
    assert!(api["certificate_id"].is_i64());

    // A second decision (another tab): the 409 page.
    let (status, _, page) = v
        .post(
            &decision,
            &[("csrf", &csrf), ("decision", "reject"), ("reason", reason)],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("状态已变化"), "{page}");
}
