//! The portal's foundation (PORTAL 7.1, 7.2), through the real server: languages, the security
//! headers, error pages in the layout, sign-in and sign-out with server-side sessions, the
//! second step for an account with two-factor sign-in on, and CSRF on every unsafe request.

use anjian::auth::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, Visitor, hidden};
use crate::totp::{account, base32_decode, now, totp, turn_on};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

#[tokio::test]
async fn pages_are_chinese_first_with_english_one_click_away_and_carry_the_security_headers() {
    let app = TestApp::spawn().await;
    let v = Visitor::new(&app);
    let (status, headers, page) = v.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<html lang=\"zh-CN\""), "{page}");
    assert!(page.contains("证书核验"));
    assert_eq!(headers["content-security-policy"], CSP);
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cross-origin-opener-policy"], "same-origin");
    assert!(
        headers["permissions-policy"]
            .to_str()
            .unwrap()
            .contains("camera=()")
    );
    // No inline script or style anywhere: the CSP would refuse them.
    assert!(!page.contains("style=") && !page.contains("<script>"));

    // One click: the switch's address, then the choice is remembered.
    let switch = hidden_href(&page, "English");
    let (_, headers, page) = v.get(&switch).await;
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("lang=en")
    );
    assert!(page.contains("<html lang=\"en\""));
    let (_, _, page) = v.get("/").await;
    assert!(page.contains("Verify a certificate"), "remembered");

    // Accept-Language decides when nothing was chosen; per request, never globally.
    let res = app
        .client
        .get(app.url("/"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("<html lang=\"en\""));
    let (_, _, page) = Visitor::new(&app).get("/").await;
    assert!(page.contains("<html lang=\"zh-CN\""));
}

/// The `href` of the link whose text is `text`.
fn hidden_href(page: &str, text: &str) -> String {
    let at = page.find(&format!(">{text}</a>")).expect("the link");
    let start = page[..at].rfind("href=\"").unwrap() + 6;
    page[start..start + page[start..].find('"').unwrap()].replace("&amp;", "&")
}

#[tokio::test]
async fn errors_are_pages_in_the_layout_and_the_api_keeps_its_problems() {
    let app = TestApp::spawn().await;
    let v = Visitor::new(&app);
    let (status, headers, page) = v.get("/no/such/page?lang=en").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        page.contains("Page not found") && page.contains("href=\"/\""),
        "{page}"
    );
    assert_eq!(headers["content-security-policy"], CSP);
    let res = app.get("/api/v1/no/such/route", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.headers()["content-type"],
        "application/problem+json",
        "the API's own 404"
    );
    assert!(res.headers().get("content-security-policy").is_none());
    // A static file is cached for a year under its content's hash.
    let (_, _, home) = v.get("/").await;
    let css = home
        .split("href=\"")
        .find_map(|s| s.strip_prefix("/assets/portal.css"))
        .unwrap();
    let css = format!("/assets/portal.css{}", &css[..css.find('"').unwrap()]);
    let (status, headers, _) = v.get(&css).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(headers.contains_key("etag"));
}

#[tokio::test]
async fn signing_in_opens_a_session_and_signing_out_ends_it() {
    let app = TestApp::spawn().await;
    let user = account(&app, Role::Inspector).await;
    let v = Visitor::new(&app);

    // A signed-out visitor is sent to sign in, and back after.
    let (status, headers, _) = v.get("/s/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/login?next=%2Fs%2F");

    // A wrong password: the form again, the username kept, the API's answer in words.
    let (_, _, page) = v.get("/login?next=%2Fs%2F").await;
    let (status, _, page) = v
        .post(
            "/login",
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("username", &user.username),
                ("password", "not the password"),
                ("next", "/s/"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("用户名或密码不正确") && page.contains("role=\"alert\""));
    assert!(page.contains(&format!("value=\"{}\"", user.username)));
    // The API's throttle counted it: the same table.
    let failures: i64 = {
        let name = user.username.clone();
        app.state
            .db
            .run(move |conn| {
                use diesel::prelude::*;
                anjian::schema::login_failures::table
                    .filter(anjian::schema::login_failures::username.eq(name))
                    .count()
                    .get_result(conn)
                    .map_err(anjian::error::ApiError::from)
            })
            .await
            .unwrap()
    };
    assert_eq!(failures, 1);

    let (status, headers, _) = v
        .post(
            "/login",
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("username", &user.username),
                ("password", PASSWORD),
                ("next", "/s/"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/s/");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(sessions(&app).await, 1);
    let (status, headers, page) = v.get("/s/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    assert!(page.contains("执法检查人员"), "{page}");

    // Signing out deletes the row; the old cookie opens nothing.
    let token = hidden(&page, "csrf");
    let (status, _, _) = v.post("/logout", &[("csrf", "wrong")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(sessions(&app).await, 1, "a forged sign-out does nothing");
    let (status, _, _) = v.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(sessions(&app).await, 0);
    let (status, _, _) = v.get("/s/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

async fn sessions(app: &TestApp) -> i64 {
    app.state
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

#[tokio::test]
async fn whatever_ends_an_accounts_tokens_ends_its_sessions() {
    let app = TestApp::spawn().await;
    let user = account(&app, Role::Reviewer).await;
    let v = Visitor::new(&app);
    assert_eq!(v.sign_in(&user.username, PASSWORD).await, "/s/");
    assert_eq!(v.get("/s/").await.0, StatusCode::OK);
    let res = app
        .post("/api/v1/auth/logout-all", Some(&user.token), &json!({}))
        .await;
    assert!(res.status().is_success());
    assert_eq!(
        v.get("/s/").await.0,
        StatusCode::SEE_OTHER,
        "logout-all ends it"
    );

    // Disabling, by an admin.
    assert_eq!(v.sign_in(&user.username, PASSWORD).await, "/s/");
    let res = app
        .patch(
            &format!("/api/v1/users/{}", user.id),
            Some(&app.admin_token),
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        v.get("/s/").await.0,
        StatusCode::SEE_OTHER,
        "disabling ends it"
    );
}

#[tokio::test]
async fn an_enterprise_user_is_refused_the_staff_pages() {
    let app = TestApp::spawn().await;
    let ent = app.enterprise("hazardous_chemicals", "huangdao").await;
    let username = format!("ent{}", app.next());
    app.create_user_direct(&username, Role::Enterprise, Some(ent))
        .await;
    let v = Visitor::new(&app);
    assert_eq!(v.sign_in(&username, PASSWORD).await, "/e/");
    let (status, _, page) = v.get("/s/").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("无权访问"), "the 403 page: {page}");
}

#[tokio::test]
async fn unsafe_requests_need_the_form_token_and_the_same_origin() {
    let app = TestApp::spawn().await;
    let user = account(&app, Role::Inspector).await;
    let v = Visitor::new(&app);
    let (_, _, page) = v.get("/login").await;
    let token = hidden(&page, "csrf");
    let form = [
        ("csrf", token.as_str()),
        ("username", user.username.as_str()),
        ("password", PASSWORD),
    ];
    // Without the token.
    let (status, _, _) = v.post("/login", &form[1..]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // From another site, token and all.
    let res = v
        .client
        .post(app.url("/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Neither header: not a browser on this site.
    let res = v
        .client
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Another visitor's token (not bound to this visitor's cookie).
    let other = Visitor::new(&app);
    let (status, _, _) = other.post("/login", &form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(sessions(&app).await, 0);
    // And with everything right, it passes.
    let (status, _, _) = v.post("/login", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // `next` never leaves the site.
    let v = Visitor::new(&app);
    let (_, _, page) = v.get("/login").await;
    let (_, headers, _) = v
        .post(
            "/login",
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("username", &user.username),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(headers["location"], "/s/");
}

#[tokio::test]
async fn an_account_with_two_factor_on_gives_its_code_at_portal_sign_in() {
    let app = TestApp::spawn().await;
    let user = account(&app, Role::Admin).await;
    let (secret, _) = turn_on(&app, &user.token).await;
    let v = Visitor::new(&app);
    let (_, _, page) = v.get("/login").await;
    let (status, _, page) = v
        .post(
            "/login",
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("username", &user.username),
                ("password", PASSWORD),
                ("next", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("name=\"code\""), "the second step: {page}");
    assert_eq!(sessions(&app).await, 0, "no session on the password alone");
    let challenge = hidden(&page, "challenge");
    // A wrong code: the step again, with the problem.
    let (status, _, page) = v
        .post(
            "/login/code",
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("challenge", &challenge),
                ("code", "000000"),
                ("next", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("验证码不正确"));
    // The code the confirmation used is spent; the next step's is good.
    let code = totp(&secret, now(&app) + 30, 6);
    let (status, headers, _) = v
        .post(
            "/login/code",
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("challenge", &challenge),
                ("code", &code),
                ("next", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/s/");
    assert_eq!(sessions(&app).await, 1);
}

#[tokio::test]
async fn a_role_that_must_have_two_factor_enrols_at_portal_sign_in() {
    let app = TestApp::spawn_with(&[("ANJIAN_REQUIRE_TOTP", "reviewer")]).await;
    let username = format!("reviewer{}", app.next());
    app.create_user_direct(&username, Role::Reviewer, None)
        .await;
    let v = Visitor::new(&app);
    let (_, _, page) = v.get("/login").await;
    let (status, _, page) = v
        .post(
            "/login",
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("username", &username),
                ("password", PASSWORD),
                ("next", "/s/"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("src=\"data:image/svg+xml;base64,"),
        "the QR code: {page}"
    );
    let shown = page
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .unwrap_or_default()
        .replace(' ', "");
    let secret = base32_decode(&shown);
    assert_eq!(secret.len(), 20, "the secret in groups: {shown}");
    assert_eq!(
        sessions(&app).await,
        0,
        "no session before the confirmation"
    );
    let enrolment = hidden(&page, "enrolment");

    // A changed enrolment is refused: sign in again.
    let forged = enrolment.replacen(':', "0:", 1);
    let (status, _, refused) = v
        .post(
            "/login/enrol",
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("enrolment", &forged),
                ("code", &totp(&secret, now(&app), 6)),
                ("next", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(refused.contains("name=\"password\""), "{refused}");

    // A wrong code shows the same secret again, with the problem (the form token is the
    // refusal page's: each page sets the public form's cookie anew).
    let (status, _, page) = v
        .post(
            "/login/enrol",
            &[
                ("csrf", &hidden(&refused, "csrf")),
                ("enrolment", &enrolment),
                ("code", "000000"),
                ("next", "/s/"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("验证码不正确"));
    assert!(page.replace(' ', "").contains(&shown), "the same secret");

    // The right code: the factor is on, ten recovery codes shown once, the session open.
    let (status, _, page) = v
        .post(
            "/login/enrol",
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("enrolment", &hidden(&page, "enrolment")),
                ("code", &totp(&secret, now(&app), 6)),
                ("next", "/s/"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("<li><code>").count(), 10, "{page}");
    assert_eq!(sessions(&app).await, 1);
    let (status, _, home) = v.get("/s/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("action=\"/logout\""), "signed in: {home}");

    // From now on the account gives its code at sign-in.
    app.clock.advance(chrono::Duration::seconds(30));
    let other = Visitor::new(&app);
    let (_, _, page) = other.get("/login").await;
    let (_, _, page) = other
        .post(
            "/login",
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("username", &username),
                ("password", PASSWORD),
                ("next", ""),
            ],
        )
        .await;
    assert!(page.contains("name=\"challenge\""), "{page}");
}
