//! The foundation's pages (PORTAL 7.1, 7.2): home in both languages, larger text, sign-in and
//! sign-out, the second step, the way back after signing in, the 404 page.

use anjian::auth::Role;

use crate::harness::Browser;
use crate::helpers::PASSWORD;
use crate::totp::{account, now, totp, turn_on};

const SUBMIT: &str = "main form button[type=\"submit\"]";

/// Signs in on the `/login` page the browser is on.
async fn sign_in_here(b: &Browser, username: &str) {
    b.fill("username", username).await;
    b.fill("password", PASSWORD).await;
    b.click(SUBMIT).await;
}

async fn lang(b: &Browser) -> String {
    let v = b.js("return document.documentElement.lang;", vec![]).await;
    v.as_str().unwrap_or_default().to_owned()
}

pub async fn home_in_chinese_then_english(mut b: Browser) {
    b.visit("/").await;
    assert_eq!(lang(&b).await, "zh-CN");
    assert!(b.page_text().await.contains("证书核验"));
    b.screens("home").await;
    // The switch is one link on every page; the choice is remembered.
    b.click_link("English").await;
    b.check_page().await;
    assert_eq!(lang(&b).await, "en");
    assert!(b.page_text().await.contains("Verify a certificate"));
    b.visit("/").await;
    assert_eq!(lang(&b).await, "en", "remembered");
    b.click_link("中文").await;
    b.check_page().await;
    assert_eq!(lang(&b).await, "zh-CN");
}

pub async fn larger_text(mut b: Browser) {
    b.visit("/").await;
    let size = "return getComputedStyle(document.documentElement).fontSize;";
    let normal = b.js(size, vec![]).await;
    b.click_link("大字模式").await;
    b.check_page().await;
    assert_eq!(b.js(size, vec![]).await, "20px", "from {normal}");
    // Remembered on the next page, and the whole page still fits a phone.
    b.visit("/login").await;
    assert_eq!(b.js(size, vec![]).await, "20px");
    b.click_link("标准字号").await;
    b.check_page().await;
    assert_eq!(b.js(size, vec![]).await, normal);
}

pub async fn enterprise_user_signs_in_and_out(mut b: Browser) {
    let ent = b.app.enterprise("hazardous_chemicals", "huangdao").await;
    let username = format!("ent{}", b.app.next());
    b.app
        .create_user_direct(&username, Role::Enterprise, Some(ent))
        .await;
    b.visit("/").await;
    b.click_link("登录").await;
    b.check_page().await;
    assert_eq!(b.here().await, "/login");
    b.screens("login").await;
    // A wrong password: the form again, the problem shown, the username kept.
    b.fill("username", &username).await;
    b.fill("password", "not the password").await;
    b.click(SUBMIT).await;
    b.check_page_status(401).await;
    assert!(b.text("[role=alert]").await.contains("用户名或密码不正确"));
    let kept = b
        .js("return document.getElementById('username').value;", vec![])
        .await;
    assert_eq!(kept, username.as_str());

    sign_in_here(&b, &username).await;
    assert_eq!(b.here().await, "/e/");
    b.check_page().await;
    // A page of another kind of user: the 403 page.
    b.goto("/s/").await;
    b.check_page_status(403).await;
    assert!(b.page_text().await.contains("无权访问"));
    b.visit("/").await;
    assert_eq!(b.text("header .who").await, format!("{username} (test)"));
    b.click("header form[action=\"/logout\"] button").await;
    b.check_page().await;
    assert_eq!(b.here().await, "/");
    assert!(b.page_text().await.contains("登录"));
    assert_eq!(sessions(&b).await, 0, "signing out deleted the session");
}

pub async fn the_totp_step(mut b: Browser) {
    let user = account(&b.app, Role::Admin).await;
    let (secret, _) = turn_on(&b.app, &user.token).await;
    b.visit("/login").await;
    sign_in_here(&b, &user.username).await;
    // The second step (its address is still /login: the form posted there).
    b.check_page().await;
    assert!(b.page_text().await.contains("验证码"));
    assert_eq!(sessions(&b).await, 0, "no session on the password alone");
    // The code the confirmation used is spent; the next one is good.
    b.fill("code", &totp(&secret, now(&b.app) + 30, 6)).await;
    b.click(SUBMIT).await;
    b.check_page().await;
    assert_eq!(b.here().await, "/s/");
    assert!(b.page_text().await.contains("管理员"));
    assert_eq!(sessions(&b).await, 1);
}

pub async fn signed_out_staff_page_returns_after_sign_in(mut b: Browser) {
    let user = account(&b.app, Role::Inspector).await;
    // With JavaScript off: the portal needs none.
    b.javascript(false).await;
    b.goto("/s/").await;
    assert_eq!(b.here().await, "/login?next=%2Fs%2F");
    b.check_page().await;
    sign_in_here(&b, &user.username).await;
    assert_eq!(b.here().await, "/s/");
    b.check_page().await;
    assert!(b.page_text().await.contains("执法检查人员"));
}

pub async fn the_404_page(mut b: Browser) {
    b.goto("/no/such/page").await;
    b.check_page_status(404).await;
    assert!(b.page_text().await.contains("页面不存在"));
    b.click("main a[href=\"/\"]").await;
    b.check_page().await;
    assert_eq!(b.here().await, "/");
}

/// The portal's open sessions.
pub async fn sessions(b: &Browser) -> i64 {
    b.app
        .state
        .db
        .run(|conn| {
            use diesel::prelude::*;
            anjian::schema::web_sessions::table
                .count()
                .get_result(conn)
                .map_err(anjian::error::ApiError::from)
        })
        .await
        .unwrap()
}
