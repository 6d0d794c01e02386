use std::time::Instant;

use anjian::auth::Role;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, PASSWORD, TestApp, problem};

#[tokio::test]
async fn login_returns_a_bearer_token_that_me_accepts() {
    let app = TestApp::spawn().await;
    app.create_user_direct("wang.inspector", Role::Inspector, None)
        .await;
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "Wang.Inspector", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 28800);
    assert_eq!(body["user"]["role"], "inspector");
    let token = body["access_token"].as_str().unwrap();
    let me: Value = app
        .get("/api/v1/auth/me", Some(token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "wang.inspector");
    assert_eq!(me["enterprise_id"], Value::Null);
    problem(app.get("/api/v1/auth/me", None).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn wrong_password_unknown_user_and_disabled_user_look_the_same() {
    let app = TestApp::spawn().await;
    let id = app
        .create_user_direct("li.reviewer", Role::Reviewer, None)
        .await;
    let disabled = app
        .create_user_direct("gone.reviewer", Role::Reviewer, None)
        .await;
    app.patch(
        &format!("/api/v1/users/{disabled}"),
        Some(&app.admin_token),
        &json!({"disabled": true}),
    )
    .await;
    assert!(id > 0);

    let attempt = |username: &'static str, password: &'static str| {
        let app = &app;
        async move {
            let started = Instant::now();
            let res = app
                .post(
                    "/api/v1/auth/login",
                    None,
                    &json!({"username": username, "password": password}),
                )
                .await;
            let took = started.elapsed();
            (problem(res, 401, "invalid_credentials").await, took)
        }
    };
    // Three tries each (fewer than the five that lock a username); the fastest of each is the
    // least disturbed by other work on the machine.
    let mut bodies = Vec::new();
    let mut fastest = Vec::new();
    let verifications = || async {
        let text = app.get("/metrics", None).await.text().await.unwrap();
        text.lines()
            .find(|l| l.starts_with("anjian_domain_events_total{kind=\"password_verification\""))
            .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    for (username, password) in [
        ("li.reviewer", "not the password at all"),
        ("nobody.here", "not the password at all"),
        ("gone.reviewer", PASSWORD),
    ] {
        let mut best = std::time::Duration::MAX;
        for _ in 0..3 {
            let before = verifications().await;
            let (body, took) = attempt(username, password).await;
            assert_eq!(
                verifications().await,
                before + 1,
                "{username}: exactly one argon2 verification"
            );
            bodies.push(body);
            best = best.min(took);
        }
        fastest.push(best);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "the three failures must look alike"
    );
    // Each path runs one argon2 verification: an unknown or disabled user is not answered
    // markedly faster than a wrong password (without the dummy hash it would be ~30x faster).
    // (The exact count of verifications is checked below; timing on a shared machine is noisy,
    // so this bound is loose.)
    let (wrong, unknown, off) = (fastest[0], fastest[1], fastest[2]);
    assert!(
        unknown * 10 >= wrong && off * 10 >= wrong,
        "timings differ too much: {wrong:?} {unknown:?} {off:?}"
    );
}

#[tokio::test]
async fn five_failures_for_one_username_lock_it_for_fifteen_minutes() {
    let app = TestApp::spawn().await;
    app.create_user_direct("zhao.inspector", Role::Inspector, None)
        .await;
    for _ in 0..5 {
        let res = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"username": "zhao.inspector", "password": "wrong wrong wrong"}),
            )
            .await;
        assert_eq!(res.status(), 401);
    }
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "zhao.inspector", "password": PASSWORD}),
        )
        .await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    problem(res, 429, "rate_limited").await;
    // Unknown usernames are throttled alike.
    for _ in 0..5 {
        app.post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "ghost", "password": "wrong wrong wrong"}),
        )
        .await;
    }
    problem(
        app.post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "ghost", "password": "x"}),
        )
        .await,
        429,
        "rate_limited",
    )
    .await;
    // Other usernames are not affected, and the window passes.
    app.login("root", PASSWORD).await;
    app.clock
        .advance(chrono::Duration::minutes(15) + chrono::Duration::seconds(1));
    app.login("zhao.inspector", PASSWORD).await;
}

#[tokio::test]
async fn login_attempts_per_client_address_are_limited() {
    let app = TestApp::spawn_with(&[("ANJIAN_LOGIN_RATE", "3/min")]).await; // root's login used one
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"username": "a", "password": "b"}),
    )
    .await;
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"username": "c", "password": "d"}),
    )
    .await;
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "root", "password": PASSWORD}),
        )
        .await;
    assert!(res.headers().contains_key("retry-after"));
    problem(res, 429, "rate_limited").await;
}

fn forge(claims: &Value, key: &[u8], alg: jsonwebtoken::Algorithm) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(key),
    )
    .unwrap()
}

#[tokio::test]
async fn expired_foreign_and_unsigned_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let now = app.clock.now().timestamp();
    let claims = json!({"sub": "1", "role": "admin", "iat": now, "exp": now + 600, "ver": 1});
    // The right key works (proves the forged ones fail for the reason under test).
    let good = forge(
        &claims,
        JWT_SECRET.as_bytes(),
        jsonwebtoken::Algorithm::HS256,
    );
    assert_eq!(app.get("/api/v1/auth/me", Some(&good)).await.status(), 200);

    let other_key = forge(
        &claims,
        b"another-secret-another-secret-another",
        jsonwebtoken::Algorithm::HS256,
    );
    let other_alg = forge(
        &claims,
        JWT_SECRET.as_bytes(),
        jsonwebtoken::Algorithm::HS384,
    );
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    for token in [
        other_key,
        other_alg,
        none,
        "garbage".to_owned(),
        String::new(),
    ] {
        problem(
            app.get("/api/v1/auth/me", Some(&token)).await,
            401,
            "unauthorized",
        )
        .await;
    }
    app.clock.advance(chrono::Duration::seconds(601));
    problem(
        app.get("/api/v1/auth/me", Some(&good)).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn logout_all_and_password_change_end_every_session() {
    let app = TestApp::spawn().await;
    app.create_user_direct("sun.reviewer", Role::Reviewer, None)
        .await;
    let first = app.login("sun.reviewer", PASSWORD).await;
    let second = app.login("sun.reviewer", PASSWORD).await;
    assert_eq!(
        app.post("/api/v1/auth/logout-all", Some(&first), &json!({}))
            .await
            .status(),
        204
    );
    problem(
        app.get("/api/v1/auth/me", Some(&first)).await,
        401,
        "unauthorized",
    )
    .await;
    problem(
        app.get("/api/v1/auth/me", Some(&second)).await,
        401,
        "unauthorized",
    )
    .await;

    let token = app.login("sun.reviewer", PASSWORD).await;
    let weak = app
        .post(
            "/api/v1/auth/password",
            Some(&token),
            &json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(
        crate::helpers::fields(&problem(weak, 422, "validation_failed").await),
        ["new_password"]
    );
    let wrong = app
        .post(
            "/api/v1/auth/password",
            Some(&token),
            &json!({"current_password": "not it at all", "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(
        crate::helpers::fields(&problem(wrong, 422, "validation_failed").await),
        ["current_password"]
    );
    let res = app
        .post(
            "/api/v1/auth/password",
            Some(&token),
            &json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    problem(
        app.get("/api/v1/auth/me", Some(&token)).await,
        401,
        "unauthorized",
    )
    .await;
    problem(
        app.post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "sun.reviewer", "password": PASSWORD}),
        )
        .await,
        401,
        "invalid_credentials",
    )
    .await;
    app.login("sun.reviewer", "a brand new passphrase").await;
}

#[tokio::test]
async fn a_role_change_or_disabling_ends_the_users_sessions() {
    let app = TestApp::spawn().await;
    let id = app
        .create_user_direct("qian.inspector", Role::Inspector, None)
        .await;
    let token = app.login("qian.inspector", PASSWORD).await;
    let res = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&app.admin_token),
            &json!({"role": "reviewer"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    problem(
        app.get("/api/v1/auth/me", Some(&token)).await,
        401,
        "unauthorized",
    )
    .await;
    let token = app.login("qian.inspector", PASSWORD).await;
    let me: Value = app
        .get("/api/v1/auth/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "reviewer");
    app.patch(
        &format!("/api/v1/users/{id}"),
        Some(&app.admin_token),
        &json!({"disabled": true}),
    )
    .await;
    problem(
        app.get("/api/v1/auth/me", Some(&token)).await,
        401,
        "unauthorized",
    )
    .await;
    // A display-name change does not.
    let other = app
        .create_user_direct("zhou.inspector", Role::Inspector, None)
        .await;
    let token = app.login("zhou.inspector", PASSWORD).await;
    app.patch(
        &format!("/api/v1/users/{other}"),
        Some(&app.admin_token),
        &json!({"display_name": "周"}),
    )
    .await;
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.status(), 200);
}

/// Changes a user as the admin, expecting 200.
async fn patch_user(app: &TestApp, id: i64, changes: Value) {
    let res = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&app.admin_token),
            &changes,
        )
        .await;
    assert_eq!(res.status(), 200);
}

/// `token` is refused (401) by the instant application and by the hazard list.
/// A complete instant submission (its account is read along with its rule inputs).
fn instant_submission() -> Value {
    json!({
        "permit_type": "hazchem_business_no_storage",
        "submit": true,
        "commitment_accepted": true,
        "form": {
            "premises_address": "市南区香港中路100号",
            "premises_area_m2": 86.5,
            "principal_cert_no": "AQP-1",
            "safety_manager_cert_no": "AQS-1",
            "chemicals": [{"name": "乙醇", "cas_no": "64-17-5"}],
            "includes_highly_toxic": false,
            "includes_explosive_precursors": false
        }
    })
}

async fn refused_by_the_busiest_routes(app: &TestApp, token: &str, draft: &Value) {
    for res in [
        app.post("/api/v1/applications", Some(token), draft).await,
        app.post("/api/v1/applications", Some(token), &instant_submission())
            .await,
        app.get("/api/v1/hazards?limit=5", Some(token)).await,
    ] {
        problem(res, 401, "unauthorized").await;
    }
}

/// An instant submission reads its caller's account with the rule inputs of the enterprise its
/// token names. When that read fails, or finds another enterprise than the account's, the
/// caller is still answered as every route answers it: here a token (signed with the service's
/// key, as no client could) naming an enterprise that does not exist gets 401, not 404, for an
/// account in order and for a disabled one.
#[tokio::test]
async fn a_submission_naming_another_enterprise_than_its_account_is_401() {
    let app = TestApp::spawn().await;
    let enterprise = app.enterprise("hazardous_chemicals", "shinan").await;
    let id = app
        .create_user_direct("wang.applicant", Role::Enterprise, Some(enterprise))
        .await;
    let forged = |version| {
        app.state
            .tokens
            .issue(
                id,
                Role::Enterprise,
                Some(999_999),
                version,
                app.clock.now(),
                3600,
            )
            .unwrap()
    };
    let app = &app;
    let submit = |token: String| async move {
        app.post("/api/v1/applications", Some(&token), &instant_submission())
            .await
    };
    problem(submit(forged(1)).await, 401, "unauthorized").await;
    patch_user(app, id, json!({"disabled": true})).await;
    problem(submit(forged(2)).await, 401, "unauthorized").await;
    // The account's own token works (once enabled again), so the refusals were the token's.
    patch_user(app, id, json!({"disabled": false})).await;
    let token = app.login("wang.applicant", PASSWORD).await;
    assert_eq!(submit(token).await.status(), 201);
}

/// The instant application and the hazard list confirm the caller's account inside their own
/// database read (`Caller`), not in a trip of their own: the answers must be those of every
/// other route.
#[tokio::test]
async fn the_busiest_routes_refuse_revoked_tokens_and_other_roles_like_every_route() {
    let app = TestApp::spawn().await;
    let enterprise = app.enterprise("hazardous_chemicals", "shinan").await;
    let id = app
        .create_user_direct("li.applicant", Role::Enterprise, Some(enterprise))
        .await;
    let draft = json!({"permit_type": "hazchem_business_no_storage", "form": {}});
    let token = app.login("li.applicant", PASSWORD).await;
    let res = app.post("/api/v1/applications", Some(&token), &draft).await;
    assert_eq!(res.status(), 201);
    assert_eq!(app.get("/api/v1/hazards", Some(&token)).await.status(), 200);

    // Another role: 403, before the body or the query is looked at.
    let inspector = app.token_for(Role::Inspector, None).await;
    problem(
        app.post(
            "/api/v1/applications",
            Some(&inspector),
            &json!({"permit_type": 1}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    // A disabled account's token, and then a new one after logout-all: 401, nothing written.
    patch_user(&app, id, json!({"disabled": true})).await;
    refused_by_the_busiest_routes(&app, &token, &draft).await;
    patch_user(&app, id, json!({"disabled": false})).await;
    let token = app.login("li.applicant", PASSWORD).await;
    assert_eq!(
        app.post("/api/v1/auth/logout-all", Some(&token), &json!({}))
            .await
            .status(),
        204
    );
    refused_by_the_busiest_routes(&app, &token, &draft).await;
    // A revoked token of the admitted role: the request's own errors come first (documented).
    problem(
        app.post(
            "/api/v1/applications",
            Some(&token),
            &json!({"permit_type": 1}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let token = app.login("li.applicant", PASSWORD).await;
    let mine = app
        .get_json(
            &format!("/api/v1/applications?enterprise_id={enterprise}"),
            Some(&token),
        )
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
    problem(app.get("/api/v1/hazards", None).await, 401, "unauthorized").await;

    // The account becomes an inspector's: its enterprise token is refused on both routes (401,
    // not 403: the token is revoked), and so is a revoked token of the new role.
    patch_user(
        &app,
        id,
        json!({"role": "inspector", "enterprise_id": null}),
    )
    .await;
    let inspector_token = app.login("li.applicant", PASSWORD).await;
    refused_by_the_busiest_routes(&app, &token, &draft).await;
    problem(
        app.post("/api/v1/applications", Some(&inspector_token), &draft)
            .await,
        403,
        "forbidden",
    )
    .await;
    patch_user(&app, id, json!({"disabled": true})).await;
    problem(
        app.post("/api/v1/applications", Some(&inspector_token), &draft)
            .await,
        401,
        "unauthorized",
    )
    .await;
}
