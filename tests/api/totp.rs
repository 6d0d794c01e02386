//! Two-factor sign-in (SPEC 1.5), through the real server. The codes are computed here by an
//! RFC 6238 implementation of the test's own (HMAC-SHA-1 from the `hmac` 0.13 and `sha1` crates),
//! checked first against the RFC's test vectors, so the service's codes are not checked
//! against themselves.

use anjian::auth::Role;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha1::Sha1;
use test_hmac::{Hmac, KeyInit, Mac};

use crate::helpers::{PASSWORD, TestApp, problem};

/// RFC 4226 HOTP of `counter`, `digits` long (dynamic truncation, section 5.3).
fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(secret).unwrap();
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[hash.len() - 1] & 0x0f) as usize;
    let bin = (u32::from(hash[offset] & 0x7f) << 24)
        | (u32::from(hash[offset + 1]) << 16)
        | (u32::from(hash[offset + 2]) << 8)
        | u32::from(hash[offset + 3]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(digits),
        width = digits as usize
    )
}

/// RFC 6238 TOTP at Unix time `t`: 30-second steps from T0 = 0.
pub(crate) fn totp(secret: &[u8], t: i64, digits: u32) -> String {
    hotp(secret, (t / 30) as u64, digits)
}

/// RFC 4648 base32 without padding, decoded.
pub(crate) fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.trim_end_matches('=').bytes() {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base32") as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

#[test]
fn the_tests_own_generator_matches_the_rfc_6238_sha1_vectors() {
    // RFC 6238 Appendix B, the SHA-1 rows (8 digits, the 20-byte ASCII seed).
    let seed = b"12345678901234567890";
    for (t, expected) in [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        assert_eq!(totp(seed, t, 8), expected, "T = {t}");
    }
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQ"), b"1234567890");
}

/// An account of `role` with its ordinary token.
pub(crate) struct Account {
    pub username: String,
    pub id: i64,
    pub token: String,
}

pub(crate) async fn account(app: &TestApp, role: Role) -> Account {
    let username = format!("{}{}", role.as_str(), app.next());
    let id = app.create_user_direct(&username, role, None).await;
    let token = app.login(&username, PASSWORD).await;
    Account {
        username,
        id,
        token,
    }
}

pub(crate) fn now(app: &TestApp) -> i64 {
    app.clock.now().timestamp()
}

/// Enrols `token`'s account and answers the decoded secret and the enrolment's answer.
async fn enroll(app: &TestApp, token: &str) -> (Vec<u8>, Value) {
    let res = app
        .post("/api/v1/auth/totp/enroll", Some(token), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    (base32_decode(body["secret"].as_str().unwrap()), body)
}

/// Enrols and confirms with the current code; answers the secret and the recovery codes.
pub(crate) async fn turn_on(app: &TestApp, token: &str) -> (Vec<u8>, Vec<String>) {
    let (secret, _) = enroll(app, token).await;
    let res = app
        .post(
            "/api/v1/auth/totp/confirm",
            Some(token),
            &json!({"code": totp(&secret, now(app), 6)}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

/// The first step: the right password of an account with the factor on answers a challenge.
async fn challenge(app: &TestApp, username: &str) -> String {
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": username, "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["totp_required"], true, "{body}");
    assert!(body.get("access_token").is_none(), "no token yet: {body}");
    body["challenge"].as_str().unwrap().to_owned()
}

async fn second_step(app: &TestApp, challenge: &str, code: &str) -> reqwest::Response {
    app.post(
        "/api/v1/auth/login/totp",
        None,
        &json!({"challenge": challenge, "code": code}),
    )
    .await
}

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.get("/api/v1/auth/me", Some(token))
        .await
        .status()
        .as_u16()
}

async fn user_actions(app: &TestApp, id: i64) -> Vec<(String, String)> {
    let page = app
        .get_json(
            &format!("/api/v1/audit?aggregate_type=user&aggregate_id={id}"),
            Some(&app.admin_token),
        )
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor_role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn enrolling_confirming_and_signing_in_in_two_steps() {
    let app = TestApp::spawn().await;
    let alice = account(&app, Role::Inspector).await;

    let (secret, body) = enroll(&app, &alice.token).await;
    assert_eq!(secret.len(), 20);
    let uri = body["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with(&format!("otpauth://totp/anjian:{}?", alice.username)),
        "{uri}"
    );
    assert!(uri.contains(&format!("secret={}", body["secret"].as_str().unwrap())));
    let svg = body["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
    assert_eq!(
        (&body["algorithm"], &body["digits"], &body["period"]),
        (&json!("SHA1"), &json!(6), &json!(30))
    );
    // Not on until confirmed: the password alone still signs in.
    app.login(&alice.username, PASSWORD).await;

    // A wrong code does not confirm.
    let wrong = app
        .post(
            "/api/v1/auth/totp/confirm",
            Some(&alice.token),
            &json!({"code": totp(&secret, now(&app) - 300, 6)}),
        )
        .await;
    let p = problem(wrong, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "code");

    let confirmed = app
        .post(
            "/api/v1/auth/totp/confirm",
            Some(&alice.token),
            &json!({"code": totp(&secret, now(&app), 6)}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let codes: Value = confirmed.json().await.unwrap();
    let codes = codes["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    let distinct: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    // Confirmed once; enrolling again while on is refused.
    problem(
        app.post("/api/v1/auth/totp/enroll", Some(&alice.token), &json!({}))
            .await,
        409,
        "conflict",
    )
    .await;

    // The next step's code signs in, with the tokens login answers.
    app.clock.advance(chrono::Duration::seconds(30));
    let c = challenge(&app, &alice.username).await;
    let res = second_step(&app, &c, &totp(&secret, now(&app), 6)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["username"], alice.username.as_str());
    assert!(body.get("totp_enrolment_required").is_none());
    assert_eq!(
        me_status(&app, body["access_token"].as_str().unwrap()).await,
        200
    );

    // The challenge is single use.
    app.clock.advance(chrono::Duration::seconds(30));
    let again = second_step(&app, &c, &totp(&secret, now(&app), 6)).await;
    problem(again, 401, "invalid_challenge").await;
    // And short-lived: five minutes.
    let c = challenge(&app, &alice.username).await;
    app.clock.advance(chrono::Duration::seconds(301));
    let late = second_step(&app, &c, &totp(&secret, now(&app), 6)).await;
    problem(late, 401, "invalid_challenge").await;
    let unknown = second_step(&app, "no-such-challenge", "123456").await;
    problem(unknown, 401, "invalid_challenge").await;

    let actions: Vec<String> = user_actions(&app, alice.id)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert!(
        actions.contains(&"totp_enrolment_started".to_owned()),
        "{actions:?}"
    );
    assert!(actions.contains(&"totp_enabled".to_owned()), "{actions:?}");
}

#[tokio::test]
async fn one_step_of_drift_is_accepted_either_way_and_two_are_refused() {
    let app = TestApp::spawn().await;
    let bob = account(&app, Role::Reviewer).await;
    let (secret, _) = turn_on(&app, &bob.token).await;
    app.clock.advance(chrono::Duration::seconds(600));
    let t = now(&app);

    let c = challenge(&app, &bob.username).await;
    for off in [-2, 2] {
        let res = second_step(&app, &c, &totp(&secret, t + off * 30, 6)).await;
        problem(res, 401, "invalid_totp_code").await;
    }
    // One step behind (a slow phone) is accepted...
    let res = second_step(&app, &c, &totp(&secret, t - 30, 6)).await;
    assert_eq!(res.status(), StatusCode::OK);
    // ...and one step ahead (a fast one), being later than the step just used.
    let c = challenge(&app, &bob.username).await;
    let res = second_step(&app, &c, &totp(&secret, t + 30, 6)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_code_is_accepted_once_and_no_older_one_after_it() {
    let app = TestApp::spawn().await;
    let carol = account(&app, Role::Admin).await;
    let (secret, _) = turn_on(&app, &carol.token).await;
    // The code that confirmed is used: replayed at once in its own window, it is refused.
    let c = challenge(&app, &carol.username).await;
    let replay = second_step(&app, &c, &totp(&secret, now(&app), 6)).await;
    problem(replay, 401, "invalid_totp_code").await;

    app.clock.advance(chrono::Duration::seconds(30));
    let code = totp(&secret, now(&app), 6);
    assert_eq!(second_step(&app, &c, &code).await.status(), StatusCode::OK);
    let c = challenge(&app, &carol.username).await;
    problem(second_step(&app, &c, &code).await, 401, "invalid_totp_code").await;
    // The previous step's code is within the drift but older than the one used.
    let older = totp(&secret, now(&app) - 30, 6);
    problem(
        second_step(&app, &c, &older).await,
        401,
        "invalid_totp_code",
    )
    .await;
}

#[tokio::test]
async fn a_recovery_code_stands_for_a_code_once() {
    let app = TestApp::spawn().await;
    let dan = account(&app, Role::Inspector).await;
    let (_, codes) = turn_on(&app, &dan.token).await;
    let c = challenge(&app, &dan.username).await;
    let res = second_step(&app, &c, &codes[3]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        me_status(&app, body["access_token"].as_str().unwrap()).await,
        200
    );

    let c = challenge(&app, &dan.username).await;
    problem(
        second_step(&app, &c, &codes[3]).await,
        401,
        "invalid_totp_code",
    )
    .await;
    // Another one still works, typed in upper case without its dashes.
    let typed = codes[4].replace('-', "").to_uppercase();
    assert_eq!(second_step(&app, &c, &typed).await.status(), StatusCode::OK);

    let used: Vec<_> = user_actions(&app, dan.id)
        .await
        .into_iter()
        .filter(|(a, _)| a == "totp_recovery_code_used")
        .collect();
    assert_eq!(used.len(), 2, "{used:?}");
}

#[tokio::test]
async fn wrong_codes_count_towards_the_usernames_throttle() {
    let app = TestApp::spawn().await;
    let eve = account(&app, Role::Inspector).await;
    let (secret, _) = turn_on(&app, &eve.token).await;
    app.clock.advance(chrono::Duration::seconds(60));
    let c = challenge(&app, &eve.username).await;
    for _ in 0..5 {
        let wrong = totp(&secret, now(&app) - 3600, 6);
        problem(
            second_step(&app, &c, &wrong).await,
            401,
            "invalid_totp_code",
        )
        .await;
    }
    // Now even the right code is refused until the window passes, and so is the password.
    let right = second_step(&app, &c, &totp(&secret, now(&app), 6)).await;
    assert!(right.headers().contains_key("retry-after"));
    problem(right, 429, "rate_limited").await;
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": eve.username, "password": PASSWORD}),
        )
        .await;
    problem(login, 429, "rate_limited").await;

    app.clock.advance(chrono::Duration::minutes(16));
    let c = challenge(&app, &eve.username).await;
    let res = second_step(&app, &c, &totp(&secret, now(&app), 6)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn disabling_takes_the_password_and_a_code() {
    let app = TestApp::spawn().await;
    let fay = account(&app, Role::Reviewer).await;
    problem(
        app.post(
            "/api/v1/auth/totp/disable",
            Some(&fay.token),
            &json!({"password": PASSWORD, "code": "123456"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    let (secret, _) = turn_on(&app, &fay.token).await;
    app.clock.advance(chrono::Duration::seconds(30));
    let code = totp(&secret, now(&app), 6);

    let res = app
        .post(
            "/api/v1/auth/totp/disable",
            Some(&fay.token),
            &json!({"password": "not the password at all", "code": code}),
        )
        .await;
    let p = problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "password");
    let res = app
        .post(
            "/api/v1/auth/totp/disable",
            Some(&fay.token),
            &json!({"password": PASSWORD, "code": totp(&secret, now(&app) - 900, 6)}),
        )
        .await;
    let p = problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "code");
    // Still on.
    challenge(&app, &fay.username).await;

    let res = app
        .post(
            "/api/v1/auth/totp/disable",
            Some(&fay.token),
            &json!({"password": PASSWORD, "code": code}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // The password alone signs in again.
    let token = app.login(&fay.username, PASSWORD).await;
    assert_eq!(me_status(&app, &token).await, 200);
    assert!(
        user_actions(&app, fay.id)
            .await
            .iter()
            .any(|(a, _)| a == "totp_disabled")
    );
}

#[tokio::test]
async fn an_admin_reset_turns_the_factor_off_and_ends_the_users_sessions() {
    let app = TestApp::spawn().await;
    let gus = account(&app, Role::Inspector).await;
    // An enrolment not yet confirmed gates nothing: there is nothing to reset, no session ends.
    enroll(&app, &gus.token).await;
    let path = format!("/api/v1/users/{}/totp/reset", gus.id);
    problem(
        app.post(&path, Some(&app.admin_token), &json!({})).await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(me_status(&app, &gus.token).await, 200);
    let (secret, _) = turn_on(&app, &gus.token).await;
    app.clock.advance(chrono::Duration::seconds(30));
    let c = challenge(&app, &gus.username).await;
    let res = second_step(&app, &c, &totp(&secret, now(&app), 6)).await;
    let two_step_token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(me_status(&app, &two_step_token).await, 200);
    let pending = challenge(&app, &gus.username).await;

    problem(
        app.post(&path, Some(&gus.token), &json!({})).await,
        403,
        "forbidden",
    )
    .await;
    let res = app.post(&path, Some(&app.admin_token), &json!({})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // Every session of the user ended, the open challenge with them.
    assert_eq!(me_status(&app, &gus.token).await, 401);
    assert_eq!(me_status(&app, &two_step_token).await, 401);
    app.clock.advance(chrono::Duration::seconds(30));
    problem(
        second_step(&app, &pending, &totp(&secret, now(&app), 6)).await,
        401,
        "invalid_challenge",
    )
    .await;
    // The password alone signs in; a second reset has nothing to reset.
    let token = app.login(&gus.username, PASSWORD).await;
    assert_eq!(me_status(&app, &token).await, 200);
    problem(
        app.post(&path, Some(&app.admin_token), &json!({})).await,
        409,
        "conflict",
    )
    .await;
    problem(
        app.post(
            "/api/v1/users/999999/totp/reset",
            Some(&app.admin_token),
            &json!({}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let actions = user_actions(&app, gus.id).await;
    assert!(
        actions.contains(&("totp_reset".to_owned(), "admin".to_owned())),
        "{actions:?}"
    );
}

#[tokio::test]
async fn the_stored_secret_is_sealed_and_recovery_codes_are_only_hashes() {
    let app = TestApp::spawn().await;
    let hal = account(&app, Role::Inspector).await;
    let (_, body) = enroll(&app, &hal.token).await;
    let base32 = body["secret"].as_str().unwrap().to_owned();
    let secret = base32_decode(&base32);
    let res = app
        .post(
            "/api/v1/auth/totp/confirm",
            Some(&hal.token),
            &json!({"code": totp(&secret, now(&app), 6)}),
        )
        .await;
    let codes: Value = res.json().await.unwrap();
    let codes: Vec<String> = codes["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();

    let id = hal.id;
    let (sealed, hashes) = app
        .state
        .db
        .run(move |conn| {
            use anjian::schema::{totp_recovery_codes, user_totp};
            let sealed: String = user_totp::table
                .find(id)
                .select(user_totp::secret_sealed)
                .get_result(conn)?;
            let hashes: Vec<String> = totp_recovery_codes::table
                .filter(totp_recovery_codes::user_id.eq(id))
                .select(totp_recovery_codes::code_hash)
                .load(conn)?;
            Ok((sealed, hashes))
        })
        .await
        .unwrap();
    assert_ne!(sealed, base32);
    assert!(!sealed.to_uppercase().contains(&base32), "{sealed}");
    assert!(!sealed.contains(&hex(&secret)));
    assert_eq!(hashes.len(), 10);
    for code in &codes {
        let plain = code.replace('-', "");
        assert!(
            hashes.iter().all(|h| !h.contains(&plain) && h != code),
            "{code}"
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_role_that_requires_totp_enrols_before_anything_else() {
    let app = TestApp::spawn_with(&[("ANJIAN_REQUIRE_TOTP", "inspector, reviewer")]).await;
    let ivy = format!("inspector{}", app.next());
    app.create_user_direct(&ivy, Role::Inspector, None).await;
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": ivy, "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["totp_enrolment_required"], true, "{body}");
    let limited = body["access_token"].as_str().unwrap().to_owned();
    assert!(body["expires_in"].as_u64().unwrap() <= 900);

    // The limited token opens nothing but the enrolment.
    problem(
        app.get("/api/v1/auth/me", Some(&limited)).await,
        403,
        "totp_enrolment_required",
    )
    .await;
    problem(
        app.get("/api/v1/enterprises", Some(&limited)).await,
        403,
        "totp_enrolment_required",
    )
    .await;
    let (secret, _) = enroll(&app, &limited).await;
    let res = app
        .post(
            "/api/v1/auth/totp/confirm",
            Some(&limited),
            &json!({"code": totp(&secret, now(&app), 6)}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    problem(
        app.get("/api/v1/auth/me", Some(&limited)).await,
        403,
        "totp_enrolment_required",
    )
    .await;

    // From now on it signs in with its code, and gets an ordinary token.
    app.clock.advance(chrono::Duration::seconds(30));
    let c = challenge(&app, &ivy).await;
    let res = second_step(&app, &c, &totp(&secret, now(&app), 6)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        me_status(&app, body["access_token"].as_str().unwrap()).await,
        200
    );

    // A role not named signs in as before (the admin did, when the app started).
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "root", "password": PASSWORD}),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert!(body.get("totp_enrolment_required").is_none(), "{body}");
    assert_eq!(
        me_status(&app, body["access_token"].as_str().unwrap()).await,
        200
    );
}
