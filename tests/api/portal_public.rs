//! The public pages (PORTAL 7.3), through the real server: the service guide, certificate
//! verification, filing a report with its receipt shown once, and following it by receipt.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, Visitor};

#[tokio::test]
async fn the_service_guide_lists_the_seeded_types_and_a_page_says_how_each_is_decided() {
    let app = TestApp::spawn().await;
    let v = Visitor::new(&app);
    let (status, headers, page) = v.get("/services").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    for (code, name) in [
        (
            "hazchem_business_no_storage",
            "危险化学品经营许可证（不带储存）",
        ),
        ("non_coal_mine_safety", "非煤矿山安全生产许可证"),
        ("emergency_plan_filing", "生产安全事故应急预案备案"),
    ] {
        assert!(
            page.contains(&format!("href=\"/services/{code}\"")),
            "{code}"
        );
        assert!(page.contains(name), "{name}");
    }
    assert!(page.contains("秒批") && page.contains("秒报") && page.contains("审查"));

    // An instant approval: the rules in words, the form's fields, what is not asked, apply.
    let (status, _, page) = v.get("/services/hazchem_business_no_storage").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("秒批"), "{page}");
    assert!(page.contains("36 个月"));
    assert!(page.contains("危险化学品、商贸"), "who may apply: {page}");
    assert!(page.contains("经营场所地址") && page.contains("CAS号"));
    assert!(page.contains("没有正在执行的停产停业整顿指令"));
    assert!(
        page.contains("转人工审查，20 个工作日内"),
        "the high-risk referral"
    );
    assert!(page.contains("统一社会信用代码"), "zero material");
    assert!(page.contains("《危险化学品安全管理条例》"));
    assert!(page.contains("href=\"/e/apply/hazchem_business_no_storage\""));

    // A review type, in English: the statutory days.
    let (_, _, page) = v.get("/services/non_coal_mine_safety?lang=en").await;
    assert!(
        page.contains("A reviewer decides within 45 working days."),
        "{page}"
    );
    assert!(page.contains("Non-coal mine work safety licence"));
    // A filing runs only the commitment.
    let (_, _, page) = v.get("/services/emergency_plan_filing?lang=zh-CN").await;
    assert!(page.contains("秒报") && page.contains("已勾选告知承诺书"));
    assert!(!page.contains("没有正在执行的停产停业整顿指令"));

    let (status, _, page) = v.get("/services/no_such_type").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("<html"), "the 404 page: {page}");
}

/// The page without the values the visitor typed (echoed back in the form) and the time.
fn without_echo(page: &str, echoed: &[&str]) -> String {
    let mut page = page.to_owned();
    for e in echoed {
        page = page.replace(e, "");
    }
    page.lines()
        .filter(|l| !l.contains("class=\"hint\"") || !l.contains(':'))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_certificate_verifies_by_form_and_by_its_qr_link_and_a_wrong_code_is_an_unknown_number() {
    let app = TestApp::spawn().await;
    let (_, _, approved) = crate::permits::licensed(&app, "pv").await;
    let cert = &approved["certificate"];
    let number = cert["number"].as_str().unwrap();
    let code = cert["verification_code"].as_str().unwrap();
    let v = Visitor::new(&app);

    let (_, headers, form) = v.get("/verify").await;
    assert_eq!(headers["cache-control"], "no-store");
    assert!(form.contains("name=\"number\"") && form.contains("name=\"code\""));
    assert!(form.contains("method=\"get\" action=\"/verify\""));

    let (status, _, page) = v
        .get(&format!(
            "/verify?number={number}&code={}",
            code.to_lowercase()
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("有效"), "{page}");
    assert!(page.contains("status ok"), "in colour too");
    assert!(page.contains(cert["holder"]["name"].as_str().unwrap()));
    assert!(page.contains(cert["holder"]["credit_code"].as_str().unwrap()));
    assert!(page.contains("危险化学品经营许可证（不带储存）"));
    assert!(page.contains("市南区香港中路100号"), "the scope");
    assert!(page.contains("乙醇"));
    assert!(page.contains("青岛市应急管理局"));
    assert!(page.contains("2026年6月1日"), "issued and checked today");
    assert!(page.contains("签名有效"), "the signature verifies");

    // The QR link: the same answer.
    let (status, _, link) = Visitor::new(&app)
        .get(&format!("/verify/{number}?code={code}&lang=en"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(link.contains("Valid") && link.contains("The signature verifies"));

    // A wrong code is exactly an unknown number: the same page, the same status.
    let (wrong_status, _, wrong) = v
        .get(&format!("/verify?number={number}&code=AAAAAAAAAA"))
        .await;
    let unknown_number = "QD-WHJY-2026-999999";
    let (unknown_status, _, unknown) = v
        .get(&format!("/verify?number={unknown_number}&code=AAAAAAAAAA"))
        .await;
    assert_eq!(wrong_status, StatusCode::NOT_FOUND);
    assert_eq!(unknown_status, StatusCode::NOT_FOUND);
    assert!(wrong.contains("未找到该证书"));
    assert_eq!(
        without_echo(&wrong, &[number]),
        without_echo(&unknown, &[unknown_number])
    );
    let (status, _, link) = v.get(&format!("/verify/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no code");
    assert!(link.contains("未找到该证书"));

    // Revoked: says so, in words.
    let res = app
        .post(
            &format!("/api/v1/certificates/{}/revoke", cert["id"]),
            Some(&app.admin_token),
            &json!({"reason": "以欺骗手段取得许可证，依法撤销"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let (status, _, page) = v.get(&format!("/verify/{number}?code={code}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("已注销") && page.contains("status bad"),
        "{page}"
    );
}
