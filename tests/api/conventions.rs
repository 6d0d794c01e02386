//! The HTTP conventions of SPEC 1.4, each shown once.

use anjian::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, credit_code, enterprise_body, fields, ids, problem};

#[tokio::test]
async fn malformed_json_is_400_and_a_wrong_content_type_is_415() {
    let app = TestApp::spawn().await;
    let send = |body: &'static str, ct: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    problem(
        send("{\"username\": ", "application/json").await.unwrap(),
        400,
        "malformed_json",
    )
    .await;
    problem(
        send("", "application/json").await.unwrap(),
        400,
        "malformed_json",
    )
    .await;
    problem(
        send("{} trailing", "application/json").await.unwrap(),
        400,
        "malformed_json",
    )
    .await;
    problem(
        send("username=root", "application/x-www-form-urlencoded")
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .body("{}")
        .send()
        .await
        .unwrap();
    problem(res, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn unknown_missing_and_mistyped_fields_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "root", "password": PASSWORD, "remember_me": true}),
        )
        .await;
    let p = problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "remember_me");
    assert_eq!(p["errors"][0]["code"], "unknown_field");
    let res = app
        .post("/api/v1/auth/login", None, &json!({"username": "root"}))
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["password"]
    );
    let mut body = enterprise_body(&credit_code(1), "gas", "shinan");
    body["employee_count"] = json!("many");
    let res = app
        .post("/api/v1/enterprises", Some(&app.admin_token), &body)
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["employee_count"]
    );
}

#[tokio::test]
async fn bad_query_values_are_422_and_bad_path_ids_are_404() {
    let app = TestApp::spawn().await;
    let admin = Some(app.admin_token.as_str());
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("cursor=%21%21", "cursor"),
        ("colour=red", "colour"),
    ] {
        let res = app.get(&format!("/api/v1/users?{query}"), admin).await;
        assert_eq!(
            fields(&problem(res, 422, "validation_failed").await),
            [field],
            "{query}"
        );
    }
    problem(app.get("/api/v1/users/abc", admin).await, 404, "not_found").await;
    problem(
        app.get("/api/v1/users/99999999999999999999999", admin)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::spawn_with(&[("ANJIAN_MAX_BODY_BYTES", "2048")]).await;
    let big = json!({"username": "x".repeat(4096), "password": "y"});
    problem(
        app.post("/api/v1/auth/login", None, &big).await,
        413,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let app = TestApp::spawn().await;
    problem(
        app.get("/api/v1/no-such-thing", None).await,
        404,
        "not_found",
    )
    .await;
    // Outside the API, an unknown address is the portal's 404 page.
    let res = app.get("/nowhere", None).await;
    assert_eq!(res.status(), 404);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    problem(
        app.request(reqwest::Method::DELETE, "/api/v1/auth/me", None, None)
            .await,
        405,
        "method_not_allowed",
    )
    .await;
    problem(
        app.request(
            reqwest::Method::PUT,
            "/api/v1/users",
            Some(&app.admin_token),
            None,
        )
        .await,
        405,
        "method_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_sane_ones_are_kept() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-42.a_b")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-42.a_b");
    let res = app
        .client
        .get(app.url("/api/v1/nope"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(id.len() >= 16 && id != "bad id with spaces");
    let res = app.get("/api/v1/auth/me", Some(&app.admin_token)).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn pages_stay_stable_while_rows_are_inserted() {
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(app.enterprise("gas", "shinan").await);
    }
    let admin = Some(app.admin_token.as_str());
    let first: Value = app
        .get("/api/v1/enterprises?limit=2", admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&first), [created[4], created[3]]);
    // Two more arrive between pages; the next page continues where the first ended.
    app.enterprise("gas", "shinan").await;
    app.enterprise("gas", "shinan").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get(
            &format!("/api/v1/enterprises?limit=2&cursor={cursor}"),
            admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&second), [created[2], created[1]]);
    let cursor = second["next_cursor"].as_str().unwrap();
    let third: Value = app
        .get(
            &format!("/api/v1/enterprises?limit=2&cursor={cursor}"),
            admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&third), [created[0]]);
    assert_eq!(third["next_cursor"], Value::Null);
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response_and_refuses_another_body() {
    let app = TestApp::spawn().await;
    let send = |body: Value, key: &'static str| {
        app.client
            .post(app.url("/api/v1/enterprises"))
            .bearer_auth(&app.admin_token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let body = enterprise_body(&credit_code(77), "gas", "shinan");
    let first = send(body.clone(), "key-1").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(body.clone(), "key-1").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let list: Value = app
        .get("/api/v1/enterprises", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "created once");
    let other = enterprise_body(&credit_code(78), "gas", "shinan");
    problem(
        send(other.clone(), "key-1").await.unwrap(),
        422,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(send(other, "key-2").await.unwrap().status(), 201);
    // Another user's identical key is another key.
    let admin2 = app.token_for(Role::Admin, None).await;
    let res = app
        .client
        .post(app.url("/api/v1/enterprises"))
        .bearer_auth(&admin2)
        .header("idempotency-key", "key-1")
        .json(&enterprise_body(&credit_code(79), "gas", "shinan"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn concurrent_requests_with_one_idempotency_key_create_once() {
    let app = TestApp::spawn().await;
    let body = enterprise_body(&credit_code(5), "gas", "shinan");
    let send = || {
        app.client
            .post(app.url("/api/v1/enterprises"))
            .bearer_auth(&app.admin_token)
            .header("idempotency-key", "same")
            .json(&body)
            .send()
    };
    let results = futures_util::future::join_all((0..6).map(|_| send())).await;
    let mut bodies = Vec::new();
    for r in results {
        let r = r.unwrap();
        assert_eq!(r.status(), 201);
        bodies.push(r.json::<Value>().await.unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test]
async fn cross_origin_requests_are_refused_unless_configured() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    problem(res, 403, "forbidden").await;
    let same = app
        .client
        .get(app.url("/healthz"))
        .header("origin", app.base.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 200);
    // `Origin: null` (a form posted from a `no-referrer` page): the API refuses it like any
    // other origin; on the portal's pages the portal's own check decides.
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("origin", "null")
        .send()
        .await
        .unwrap();
    problem(res, 403, "forbidden").await;
    let res = app
        .client
        .get(app.url("/login"))
        .header("origin", "null")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A form forged on another site gets the portal's 403 page, not the API's problem.
    let res = app
        .client
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[("username", "root"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("<html"), "the 403 page");
    let app =
        TestApp::spawn_with(&[("ANJIAN_CORS_ORIGINS", "https://portal.qingdao.example")]).await;
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/login"))
        .header("origin", "https://portal.qingdao.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://portal.qingdao.example"
    );
}

/// Drops tables behind the service's back.
async fn break_the_database(app: &TestApp) {
    // PostgreSQL refuses to drop a table other tables reference unless told to cascade.
    let sql = if app.state.db.url().is_postgres() {
        "DROP TABLE users CASCADE; DROP TABLE __diesel_schema_migrations"
    } else {
        "DROP TABLE users; DROP TABLE __diesel_schema_migrations"
    };
    app.state
        .db
        .run(move |conn| {
            use diesel::connection::SimpleConnection;
            conn.batch_execute(sql)
                .map_err(anjian::error::ApiError::from)
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_broken_database_gives_503_on_readyz_and_an_opaque_500_elsewhere() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/readyz", None).await.status(), 200);
    let token = app.admin_token.clone();
    break_the_database(&app).await;
    let res = app.get("/api/v1/users", Some(&token)).await;
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let p = problem(res, 500, "internal").await;
    let text = p.to_string().to_lowercase();
    for leak in ["sqlite", "postgres", "database", "table", "users", "select"] {
        assert!(!text.contains(leak), "the 500 leaks {leak}: {p}");
    }
    assert!(!request_id.is_empty());
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status(), 503);
}

#[tokio::test]
async fn no_input_of_any_shape_produces_a_500() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let bodies: Vec<(&str, String)> = vec![
        ("application/json", "null".into()),
        ("application/json", "[]".into()),
        ("application/json", "\"text\"".into()),
        ("application/json", "{\"a\":".into()),
        (
            "application/json",
            format!("{{\"x\": {}}}", "9".repeat(400)),
        ),
        (
            "application/json",
            "{\"username\": null, \"password\": [1,2], \"name\": {\"$gt\": 1}, \"limit\": -1}"
                .into(),
        ),
        ("application/json", "\u{0000}\u{ffff}".into()),
        ("text/csv", "a,b\n\"unterminated".into()),
        ("application/octet-stream", "\u{1}\u{2}".into()),
    ];
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.ends_with("/logout-all") {
            continue; // it would end the session the rest of the walk uses
        }
        let concrete = path
            .replace("{id}", "1")
            .replace("{code}", "x%27%20OR%201%3D1--");
        for method in item.as_object().unwrap().keys() {
            for (ct, body) in &bodies {
                let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let res = app
                    .client
                    .request(
                        m,
                        app.url(&format!("{concrete}?limit=abc&cursor=%FF&q=%25_%5C")),
                    )
                    .bearer_auth(&app.admin_token)
                    .header("content-type", *ct)
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert!(
                    res.status().as_u16() < 500,
                    "{method} {path} with {ct} {body:?} gave {}",
                    res.status()
                );
                count += 1;
            }
        }
    }
    assert!(count > 100);
}
