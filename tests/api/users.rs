use anjian::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, fields, problem};

#[tokio::test]
async fn admins_create_accounts_and_enterprise_accounts_need_an_enterprise() {
    let app = TestApp::spawn().await;
    let ent = app.enterprise("gas", "laoshan").await;
    let admin = Some(app.admin_token.as_str());

    let res = app
        .post("/api/v1/users", admin, &json!({"username": "ent.gas", "password": PASSWORD, "role": "enterprise", "enterprise_id": ent, "display_name": "燃气公司"}))
        .await;
    assert_eq!(res.status(), 201);
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["enterprise_id"], ent);
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
    app.login("ent.gas", PASSWORD).await;

    let res = app.post("/api/v1/users", admin, &json!({"username": "x.ent", "password": PASSWORD, "role": "enterprise", "display_name": "x"})).await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["enterprise_id"]
    );
    let res = app
        .post("/api/v1/users", admin, &json!({"username": "y.insp", "password": PASSWORD, "role": "inspector", "enterprise_id": ent, "display_name": "y"}))
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["enterprise_id"]
    );
    let res = app
        .post("/api/v1/users", admin, &json!({"username": "z.ent", "password": PASSWORD, "role": "enterprise", "enterprise_id": 999999, "display_name": "z"}))
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["enterprise_id"]
    );
    // Every bad field at once.
    let res = app
        .post(
            "/api/v1/users",
            admin,
            &json!({"username": "a", "password": "short", "role": "admin", "display_name": ""}),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["username", "password", "display_name"]
    );
    let res = app.post("/api/v1/users", admin, &json!({"username": "chen", "password": "chen-is-my-password", "role": "admin", "display_name": "c"})).await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["password"]
    );
    let res = app
        .post(
            "/api/v1/users",
            admin,
            &json!({"username": "q", "password": PASSWORD, "role": "boss", "display_name": "q"}),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["role"]
    );
    let res = app.post("/api/v1/users", admin, &json!({"username": "ENT.GAS", "password": PASSWORD, "role": "admin", "display_name": "dup"})).await;
    problem(res, 409, "conflict").await;
}

#[tokio::test]
async fn moving_a_user_to_another_role_clears_its_enterprise() {
    let app = TestApp::spawn().await;
    let ent = app.enterprise("fireworks", "jimo").await;
    let id = app
        .create_user_direct("ent.fw", Role::Enterprise, Some(ent))
        .await;
    let res = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&app.admin_token),
            &json!({"role": "inspector"}),
        )
        .await;
    let user: Value = res.json().await.unwrap();
    assert_eq!(
        (user["role"].as_str(), user["enterprise_id"].clone()),
        (Some("inspector"), Value::Null)
    );
    let res = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&app.admin_token),
            &json!({"role": "enterprise"}),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["enterprise_id"]
    );
    let res = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&app.admin_token),
            &json!({"role": "enterprise", "enterprise_id": ent}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let got: Value = app
        .get(&format!("/api/v1/users/{id}"), Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["enterprise_id"], ent);
    problem(
        app.get("/api/v1/users/424242", Some(&app.admin_token))
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_last_enabled_admin_cannot_be_disabled_or_demoted() {
    let app = TestApp::spawn().await;
    let me: Value = app
        .get("/api/v1/auth/me", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let root = me["id"].as_i64().unwrap();
    problem(
        app.patch(
            &format!("/api/v1/users/{root}"),
            Some(&app.admin_token),
            &json!({"disabled": true}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    problem(
        app.patch(
            &format!("/api/v1/users/{root}"),
            Some(&app.admin_token),
            &json!({"role": "reviewer"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    app.create_user_direct("second.admin", Role::Admin, None)
        .await;
    assert_eq!(
        app.patch(
            &format!("/api/v1/users/{root}"),
            Some(&app.admin_token),
            &json!({"display_name": "根"})
        )
        .await
        .status(),
        200
    );
}

#[tokio::test]
async fn an_admin_password_reset_lets_the_user_in_with_the_new_one() {
    let app = TestApp::spawn().await;
    let id = app
        .create_user_direct("he.inspector", Role::Inspector, None)
        .await;
    let res = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&app.admin_token),
            &json!({"password": "he.inspector-123456"}),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["password"]
    );
    let res = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&app.admin_token),
            &json!({"password": "reset by the bureau"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    app.login("he.inspector", "reset by the bureau").await;
}

#[tokio::test]
async fn only_admins_manage_users() {
    let app = TestApp::spawn().await;
    for role in [Role::Reviewer, Role::Inspector] {
        let token = app.token_for(role, None).await;
        problem(
            app.get("/api/v1/users", Some(&token)).await,
            403,
            "forbidden",
        )
        .await;
    }
    let list: Value = app
        .get("/api/v1/users?limit=1", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["next_cursor"].is_string());
}
