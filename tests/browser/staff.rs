//! The staff pages (PORTAL 7.5) in the browser: a reviewer decides a referred application.

use anjian::auth::Role;
use serde_json::json;

use crate::harness::Browser;
use crate::helpers::PASSWORD;
use crate::permits::{file_prerequisites, submit_new};

pub async fn a_reviewer_decides_from_the_queue(mut b: Browser) {
    let ent = b.app.enterprise("non_coal_mining", "pingdu").await;
    let token = b.app.quick_token_for(Role::Enterprise, Some(ent)).await;
    file_prerequisites(&b.app, &token, "RV").await;
    let form = json!({"mine_name": "金岭石材矿", "mine_address": "平度市大泽山镇", "mineral": "花岗岩",
                      "mining_method": "open_pit", "annual_capacity_t": 300000,
                      "principal_cert_no": "AQP-RV", "safety_manager_cert_no": "AQS-RV"});
    let app = submit_new(&b.app, &token, "non_coal_mine_safety", form).await;
    let reviewer = format!("reviewer{}", b.app.next());
    b.app
        .create_user_direct(&reviewer, Role::Reviewer, None)
        .await;

    b.visit("/login").await;
    b.fill("username", &reviewer).await;
    b.fill("password", PASSWORD).await;
    b.click("main form button[type=\"submit\"]").await;
    b.check_page().await;
    b.click_link("待审查的申请").await;
    b.check_page().await;
    b.click_link(app["number"].as_str().unwrap()).await;
    b.check_page().await;
    b.tick("#decision-approve").await;
    b.fill("reason", "安全设施经现场核查符合要求，准予许可")
        .await;
    b.click("form[action$=\"/decision\"] button[type=\"submit\"]")
        .await;
    b.check_page().await;
    assert!(b.text("#status").await.contains("已批准"));
}
