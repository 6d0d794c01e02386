//! The enterprise's 三零e办 front door (PORTAL 7.4) in the browser: sign in, apply on the form
//! rendered from the permit type, the decision at once, the certificate with its QR address,
//! and that address opened by the public.

use anjian::auth::Role;

use crate::harness::Browser;
use crate::helpers::PASSWORD;
use crate::permits::{date, file_prerequisites, insert_hazard};

const SUBMIT: &str = "main form button[type=\"submit\"]";

pub async fn an_instant_licence_is_applied_for_approved_and_verified_by_the_public(mut b: Browser) {
    let ent = b.app.enterprise("hazardous_chemicals", "huangdao").await;
    let username = format!("ent{}", b.app.next());
    b.app
        .create_user_direct(&username, Role::Enterprise, Some(ent))
        .await;
    let token = b.app.login(&username, PASSWORD).await;
    // The instant filings the licence's rules look for (秒报), through the API.
    file_prerequisites(&b.app, &token, "BR").await;

    b.visit("/login").await;
    b.fill("username", &username).await;
    b.fill("password", PASSWORD).await;
    b.click(SUBMIT).await;
    b.check_page().await;
    assert_eq!(b.here().await, "/e/");

    b.visit("/e/apply/hazchem_business_no_storage").await;
    b.fill("f.premises_address", "黄岛区前湾港路88号").await;
    b.fill("f.premises_area_m2", "120.5").await;
    b.choose("f.principal_cert_no", "AQP-BR").await;
    b.choose("f.safety_manager_cert_no", "AQS-BR").await;
    b.fill("f.chemicals[0].name", "乙醇").await;
    b.fill("f.chemicals[0].cas_no", "64-17-5").await;
    b.tick("#f-includes_highly_toxic-false").await;
    b.tick("#f-includes_explosive_precursors-false").await;
    b.tick("#commitment_accepted").await;
    b.click("button[name=\"action\"][value=\"submit\"]").await;
    b.check_page().await;
    let text = b.page_text().await;
    assert!(text.contains("已批准"), "{text}");
    b.screens("approval").await;

    b.click("a.button[href^=\"/e/certificates/\"]").await;
    b.check_page().await;
    let url = b.text("a.verify-url").await;
    let path = &url[url.find("/verify/").expect("the QR address")..];
    let certificate = b.here().await;
    // The printable certificate, and renewal started from the certificate, the number named.
    b.visit(&format!("{certificate}/print")).await;
    b.visit(&certificate).await;
    b.click("a.button.secondary[href^=\"/e/apply/\"]").await;
    b.check_page().await;
    assert!(
        b.here().await.contains("certificate="),
        "started from the certificate"
    );
    // The read-only pages of an enterprise with nothing against it.
    for page in ["/e/penalties", "/e/orders", "/e/hazards", "/e/applications"] {
        b.visit(page).await;
    }
    b.visit("/e/").await;
    b.screens("workbench").await;

    // Signed out, as anyone who scans the printed code.
    b.click("form[action=\"/logout\"] button").await;
    b.check_page().await;
    b.visit(path).await;
    let text = b.page_text().await;
    assert!(text.contains("有效"), "{text}");
    b.screens("verify").await;
}

/// Rows of a list are added and removed without JavaScript, the typed values kept, and the
/// draft saved and resumed later.
pub async fn rows_without_javascript_and_a_draft_resumed(mut b: Browser) {
    let ent = b.app.enterprise("hazardous_chemicals", "huangdao").await;
    let username = format!("ent{}", b.app.next());
    b.app
        .create_user_direct(&username, Role::Enterprise, Some(ent))
        .await;
    b.javascript(false).await;
    b.visit("/login").await;
    b.fill("username", &username).await;
    b.fill("password", PASSWORD).await;
    b.click(SUBMIT).await;
    b.check_page().await;

    b.visit("/e/apply/hazchem_business_no_storage").await;
    b.fill("f.premises_address", "黄岛区前湾港路88号").await;
    b.fill("f.chemicals[0].name", "乙醇").await;
    b.fill("f.chemicals[0].cas_no", "64-17-5").await;
    b.click("button[name=\"add\"][value=\"chemicals\"]").await;
    b.check_page().await;
    b.fill("f.chemicals[1].name", "硫酸").await;
    b.fill("f.chemicals[1].cas_no", "7664-93-9").await;
    b.click("button[name=\"remove\"][value=\"chemicals:0\"]")
        .await;
    b.check_page().await;
    let kept = b
        .js(
            "return [document.getElementsByName('f.chemicals[0].name')[0].value, \
             document.getElementsByName('f.premises_address')[0].value, \
             document.getElementsByName('f.chemicals[1].name').length];",
            vec![],
        )
        .await;
    assert_eq!(kept, serde_json::json!(["硫酸", "黄岛区前湾港路88号", 0]));

    b.click("button.secondary[name=\"action\"][value=\"save\"]")
        .await;
    b.check_page().await;
    let saved = b.here().await;
    assert!(
        saved.starts_with("/e/applications/") && saved.contains("/form"),
        "{saved}"
    );
    // Resumed later, from the address alone: the values as saved.
    let form = saved.split('?').next().unwrap_or_default().to_owned();
    b.visit(&form).await;
    let resumed = b
        .js(
            "return document.getElementsByName('f.chemicals[0].name')[0].value;",
            vec![],
        )
        .await;
    assert_eq!(resumed, "硫酸");
}

/// A hazard found on the enterprise: its rectification reported from the hazard's page, and
/// the page then says it waits for the inspector.
pub async fn a_hazard_is_rectified_from_its_page(mut b: Browser) {
    let ent = b.app.enterprise("hazardous_chemicals", "huangdao").await;
    insert_hazard(&b.app, ent, "general", "open", date("2026-06-20")).await;
    let username = format!("ent{}", b.app.next());
    b.app
        .create_user_direct(&username, Role::Enterprise, Some(ent))
        .await;
    b.visit("/login").await;
    b.fill("username", &username).await;
    b.fill("password", PASSWORD).await;
    b.click(SUBMIT).await;
    b.check_page().await;
    b.visit("/e/hazards").await;
    assert!(b.page_text().await.contains("待整改"));
    b.click("main a[href^=\"/e/hazards/\"]:not([href=\"/e/hazards/new\"])")
        .await;
    b.check_page().await;
    b.fill("measures", "已更换老化电线并加装漏电保护").await;
    // A date control takes its value in the browser's own format; set it as a form would.
    b.js(
        "document.getElementsByName('completed_on')[0].value = '2026-06-01';",
        vec![],
    )
    .await;
    b.click("form[action$=\"/rectification\"] button[type=\"submit\"]")
        .await;
    b.check_page().await;
    let text = b.page_text().await;
    assert!(text.contains("已整改，待验收"), "{text}");
    assert!(text.contains("已更换老化电线并加装漏电保护"));
}

/// The negative list: a draft from the industry's template, published as version 1.
pub async fn a_negative_list_is_published_from_the_template(mut b: Browser) {
    let ent = b.app.enterprise("hazardous_chemicals", "huangdao").await;
    let username = format!("ent{}", b.app.next());
    b.app
        .create_user_direct(&username, Role::Enterprise, Some(ent))
        .await;
    b.visit("/login").await;
    b.fill("username", &username).await;
    b.fill("password", PASSWORD).await;
    b.click(SUBMIT).await;
    b.check_page().await;
    b.visit("/e/negative-list").await;
    assert!(b.page_text().await.contains("尚未发布负面清单"));
    b.click("form[action=\"/e/negative-list/drafts\"] button")
        .await;
    b.check_page().await;
    b.click("button[name=\"action\"][value=\"publish\"]").await;
    b.check_page().await;
    b.visit("/e/negative-list").await;
    assert!(b.page_text().await.contains("现行清单：第 1 版"));
}
