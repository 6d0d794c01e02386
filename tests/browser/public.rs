//! The public pages (PORTAL 7.3) in the browser: the service guide, and a report filed with
//! JavaScript off, its receipt kept, checked, and a message exchanged with staff.

use anjian::auth::Role;
use serde_json::json;

use crate::harness::Browser;
use crate::helpers::PASSWORD;

pub async fn the_service_guide(mut b: Browser) {
    b.visit("/").await;
    b.click_link("查看办事指南").await;
    b.check_page().await;
    assert_eq!(b.here().await, "/services");
    b.visit("/services/hazchem_business_no_storage").await;
    let text = b.page_text().await;
    assert!(text.contains("危险化学品"), "{text}");
}

pub async fn a_report_filed_without_javascript_is_followed_by_its_receipt(mut b: Browser) {
    b.javascript(false).await;
    b.visit("/report").await;
    b.choose("category", "general_hazard").await;
    b.choose("industry", "construction").await;
    b.choose("district", "licang").await;
    b.fill(
        "description",
        "深基坑开挖超过五米未按专项方案支护，周边已出现裂缝，工人仍在坑底作业。",
    )
    .await;
    b.fill("location", "李沧区九水东路工地").await;
    b.click("form[action=\"/report\"] button[type=\"submit\"]")
        .await;
    b.check_page().await;
    // The receipt, once, in groups of four digits.
    let shown = b.text(".receipt").await;
    let groups: Vec<&str> = shown.split_whitespace().collect();
    assert_eq!(groups.len(), 4, "{shown}");
    assert!(groups.iter().all(|g| g.len() == 4));
    let receipt = groups.concat();
    let text = b.page_text().await;
    let tracking = &text[text.find("JB").expect("the tracking number")..][..16];
    let id: i64 = tracking[10..].parse().expect("the report's id");
    b.screens("receipt").await;
    b.click("form[action=\"/report/saved\"] button[type=\"submit\"]")
        .await;
    b.check_page().await;
    assert!(!b.page_text().await.contains(&receipt), "shown once");

    // An inspector takes it up and writes to the reporter.
    let name = format!("insp{}", b.app.next());
    let inspector_id = b.app.create_user_direct(&name, Role::Inspector, None).await;
    let token = b.app.login(&name, PASSWORD).await;
    for (path, body) in [
        ("assign", json!({"inspector_id": inspector_id})),
        ("start", json!({})),
        (
            "messages",
            json!({"body": "请补充现场照片。", "to_reporter": true}),
        ),
    ] {
        let res = b
            .app
            .post(&format!("/api/v1/reports/{id}/{path}"), Some(&token), &body)
            .await;
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }

    // The reporter checks with the receipt as it was shown, sees the message, and replies.
    b.visit("/report/check").await;
    b.fill("receipt", &shown).await;
    b.click("form[action=\"/report/check\"] button[type=\"submit\"]")
        .await;
    b.check_page().await;
    let text = b.page_text().await;
    assert!(
        text.contains(tracking) && text.contains("请补充现场照片。"),
        "{text}"
    );
    b.fill("body", "照片已拍好，基坑北侧裂缝约两米长。").await;
    b.click("form[action=\"/report/check/reply\"] button[type=\"submit\"]")
        .await;
    b.check_page().await;
    assert!(
        b.page_text()
            .await
            .contains("照片已拍好，基坑北侧裂缝约两米长。")
    );
    let res = b
        .app
        .get(&format!("/api/v1/reports/{id}"), Some(&token))
        .await;
    let detail: serde_json::Value = res.json().await.unwrap();
    assert!(
        detail.to_string().contains("照片已拍好"),
        "the reply reached staff: {detail}"
    );
}

/// A substantiated report's reward, claimed by the reporter from the check page with the
/// payee's details: a bad account number is told beside its field, the rest kept.
pub async fn a_decided_reward_is_claimed_from_the_check_page(mut b: Browser) {
    let s = crate::reports::staff(&b.app).await;
    let filed = crate::reports::file(&b.app, &crate::reports::report_body("general_hazard")).await;
    crate::reports::substantiate(&b.app, &s, filed.id, json!({})).await;
    let res = crate::reports::reward(&b.app, filed.id, json!({})).await;
    assert_eq!(res.status(), 201);

    b.visit("/report/check").await;
    b.fill("receipt", &filed.receipt).await;
    b.click("form[action=\"/report/check\"] button[type=\"submit\"]")
        .await;
    b.check_page().await;
    assert!(b.page_text().await.contains("已决定，待领取"));
    b.fill("payee.name", "孙小工").await;
    b.fill("payee.phone", "13811112222").await;
    b.fill("payee.bank_account", "12").await;
    b.click("form[action=\"/report/check/claim\"] button[type=\"submit\"]")
        .await;
    b.check_page_status(422).await;
    let kept = b
        .js(
            "return document.getElementsByName('payee.name')[0].value;",
            vec![],
        )
        .await;
    assert_eq!(kept, "孙小工", "the typed values kept");
    assert!(!b.text("#payee-bank_account-error").await.is_empty());
    b.fill("payee.bank_account", "6222000011112222").await;
    b.click("form[action=\"/report/check/claim\"] button[type=\"submit\"]")
        .await;
    b.check_page().await;
    assert!(b.page_text().await.contains("已申领，待支付"));
}
