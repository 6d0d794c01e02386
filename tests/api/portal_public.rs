//! The public pages (PORTAL 7.3), through the real server: the service guide, certificate
//! verification, filing a report with its receipt shown once, and following it by receipt.

use reqwest::StatusCode;

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
