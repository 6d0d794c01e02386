use anjian::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, credit_code, enterprise_body, fields, ids, problem};

#[tokio::test]
async fn an_enterprise_is_registered_with_a_checked_unique_credit_code() {
    let app = TestApp::spawn().await;
    let admin = Some(app.admin_token.as_str());
    let res = app
        .post(
            "/api/v1/enterprises",
            admin,
            &enterprise_body("914403001922038216", "hazardous_chemicals", "huangdao"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let e: Value = res.json().await.unwrap();
    assert_eq!(
        (e["status"].as_str(), e["credit_code"].as_str()),
        (Some("operating"), Some("914403001922038216"))
    );
    assert!(e["created_at"].as_str().unwrap().ends_with('Z'));

    let res = app
        .post(
            "/api/v1/enterprises",
            admin,
            &enterprise_body("914403001922038217", "hazardous_chemicals", "huangdao"),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["credit_code"]
    );
    let res = app
        .post(
            "/api/v1/enterprises",
            admin,
            &enterprise_body("914403001922038216", "gas", "shinan"),
        )
        .await;
    problem(res, 409, "conflict").await;
    let res = app
        .post(
            "/api/v1/enterprises",
            admin,
            &enterprise_body(&credit_code(5), "quarrying", "atlantis"),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["industry", "district"]
    );
}

#[tokio::test]
async fn an_enterprise_user_reads_only_its_own_enterprise() {
    let app = TestApp::spawn().await;
    let own = app.enterprise("fireworks", "jimo").await;
    let other = app.enterprise("fireworks", "jimo").await;
    let token = app.token_for(Role::Enterprise, Some(own)).await;
    assert_eq!(
        app.get(&format!("/api/v1/enterprises/{own}"), Some(&token))
            .await
            .status(),
        200
    );
    let hidden = problem(
        app.get(&format!("/api/v1/enterprises/{other}"), Some(&token))
            .await,
        404,
        "not_found",
    )
    .await;
    let missing = problem(
        app.get("/api/v1/enterprises/987654", Some(&token)).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        hidden, missing,
        "another enterprise looks exactly like no enterprise"
    );
    problem(
        app.get("/api/v1/enterprises", Some(&token)).await,
        403,
        "forbidden",
    )
    .await;
    let inspector = app.token_for(Role::Inspector, None).await;
    assert_eq!(
        app.get(&format!("/api/v1/enterprises/{other}"), Some(&inspector))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn enterprises_are_filtered_by_industry_district_status_and_name() {
    let app = TestApp::spawn().await;
    let a = app.enterprise("gas", "laoshan").await;
    let b = app.enterprise("gas", "shinan").await;
    let c = app.enterprise("construction", "laoshan").await;
    app.patch(
        &format!("/api/v1/enterprises/{c}"),
        Some(&app.admin_token),
        &json!({"status": "closed", "name": "Qingdao HARBOUR Works"}),
    )
    .await;
    let token = Some(app.admin_token.as_str());
    assert_eq!(
        ids(&app
            .get_json("/api/v1/enterprises?industry=gas", token)
            .await),
        [b, a]
    );
    assert_eq!(
        ids(&app
            .get_json("/api/v1/enterprises?district=laoshan", token)
            .await),
        [c, a]
    );
    assert_eq!(
        ids(&app
            .get_json("/api/v1/enterprises?status=closed", token)
            .await),
        [c]
    );
    assert_eq!(
        ids(&app.get_json("/api/v1/enterprises?q=harbour", token).await),
        [c]
    );
    assert_eq!(
        ids(&app.get_json("/api/v1/enterprises?q=%25", token).await),
        Vec::<i64>::new()
    );
    let res = app.get("/api/v1/enterprises?status=bankrupt", token).await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["status"]
    );
    let res = app
        .get("/api/v1/enterprises?industry=quarrying", token)
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["industry"]
    );
}

#[tokio::test]
async fn suspended_is_set_only_by_orders_and_closing_is_allowed() {
    let app = TestApp::spawn().await;
    let id = app.enterprise("metallurgy", "licang").await;
    let path = format!("/api/v1/enterprises/{id}");
    let res = app
        .patch(
            &path,
            Some(&app.admin_token),
            &json!({"status": "suspended"}),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["status"]
    );
    let res = app
        .patch(
            &path,
            Some(&app.admin_token),
            &json!({"status": "closed", "safety_director": null}),
        )
        .await;
    let e: Value = res.json().await.unwrap();
    assert_eq!(
        (e["status"].as_str(), e["safety_director"].clone()),
        (Some("closed"), Value::Null)
    );
    let res = app
        .patch(
            &path,
            Some(&app.admin_token),
            &json!({"status": "operating"}),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "operating");
    let res = app
        .patch(
            &path,
            Some(&app.admin_token),
            &json!({"employee_count": -3, "credit_code": "123"}),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["credit_code", "employee_count"]
    );
}

fn import_rows(n: u32, start: u32) -> Vec<Value> {
    (start..start + n)
        .map(|i| {
            enterprise_body(
                &credit_code(i),
                if i % 2 == 0 { "gas" } else { "textiles" },
                "chengyang",
            )
        })
        .collect()
}

#[tokio::test]
async fn ten_thousand_enterprises_import_in_one_request_all_or_nothing() {
    let app = TestApp::spawn().await;
    let admin = Some(app.admin_token.as_str());
    let mut rows = import_rows(10_000, 100_000);
    rows[17]["credit_code"] = json!("91370200MA0000000X");
    rows[4242]["district"] = json!("nowhere");
    rows[9999]["credit_code"] = rows[0]["credit_code"].clone();
    let res = app
        .post(
            "/api/v1/enterprises/import",
            admin,
            &Value::Array(rows.clone()),
        )
        .await;
    let p = problem(res, 422, "validation_failed").await;
    assert_eq!(
        fields(&p),
        ["[17].credit_code", "[4242].district", "[9999].credit_code"]
    );
    let none: Value = app
        .get("/api/v1/enterprises?limit=1", admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        none["items"].as_array().unwrap().len(),
        0,
        "nothing was written"
    );

    let rows = import_rows(10_000, 100_000);
    let res = app
        .post("/api/v1/enterprises/import", admin, &Value::Array(rows))
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["imported"], 10_000);
    // A second import naming an existing code names it.
    let res = app
        .post(
            "/api/v1/enterprises/import",
            admin,
            &Value::Array(import_rows(2, 109_999)),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["[0].credit_code"]
    );
    let too_many = import_rows(10_001, 200_000);
    let res = app
        .post("/api/v1/enterprises/import", admin, &Value::Array(too_many))
        .await;
    problem(res, 422, "validation_failed").await;
    let audit: Value = app
        .get("/api/v1/audit?aggregate_type=enterprise&limit=1", admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"][0]["action"], "imported");
}

/// On PostgreSQL a large import is written in a transaction of its own beside the writer
/// thread: a single write sent while the import is being written is answered before it, not
/// after it (on SQLite, one writer at a time is the database's rule; see docs/BENCHMARKS.md).
#[tokio::test]
async fn on_postgres_a_small_write_does_not_wait_for_an_import() {
    let Some(app) = TestApp::spawn_on_postgres().await else {
        return;
    };
    let app = std::sync::Arc::new(app);
    let importer = std::sync::Arc::clone(&app);
    let import = tokio::spawn(async move {
        let rows = Value::Array(import_rows(10_000, 300_000));
        let token = importer.admin_token.clone();
        let res = importer
            .post("/api/v1/enterprises/import", Some(&token), &rows)
            .await;
        (res.status(), res.json::<Value>().await.unwrap())
    });
    // The import's body is on its way and being written.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!import.is_finished(), "the import takes longer than this");
    let res = app
        .post(
            "/api/v1/enterprises",
            Some(&app.admin_token),
            &enterprise_body(&credit_code(400_000), "gas", "licang"),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert!(
        !import.is_finished(),
        "the single write was answered while the import was still being written"
    );
    let (status, body) = import.await.unwrap();
    assert_eq!(status, 201);
    assert_eq!(body["imported"], 10_000);
}

#[tokio::test]
async fn a_csv_file_with_a_header_row_imports_too() {
    let app = TestApp::spawn().await;
    let csv = format!(
        "credit_code,name,industry,district,address,legal_representative,safety_director,employee_count\n\
         {},青岛甲公司,gas,shinan,市南区1号,张三,,12\n\
         {},青岛乙公司,tobacco,laixi,莱西市2号,李四,王五,300\n",
        credit_code(1),
        credit_code(2)
    );
    let res = app
        .client
        .post(app.url("/api/v1/enterprises/import"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let list: Value = app
        .get(
            "/api/v1/enterprises?industry=tobacco",
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["safety_director"], "王五");
    let bad = "credit_code,name,industry,district,address,legal_representative,employee_count,colour\nx,y,gas,shinan,a,b,1,red\n";
    let res = app
        .client
        .post(app.url("/api/v1/enterprises/import"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(res, 422, "validation_failed").await),
        ["colour"]
    );
}

#[tokio::test]
async fn an_enterprise_cannot_be_set_operating_while_an_order_is_in_force() {
    let app = TestApp::spawn().await;
    let id = app.enterprise("construction", "huangdao").await;
    let path = format!("/api/v1/enterprises/{id}");
    app.patch(&path, Some(&app.admin_token), &json!({"status": "closed"}))
        .await;
    // An order row as the campaigns capability writes it.
    let now = app.clock.now_naive();
    app.state
        .db
        .write(move |conn| {
            use anjian::schema::{orders, users};
            use diesel::prelude::*;
            let issuer: i64 = users::table.select(users::id).first(conn)?;
            diesel::insert_into(orders::table)
                .values((
                    orders::enterprise_id.eq(id),
                    orders::kind.eq("stop_construction"),
                    orders::reason.eq("深基坑无支护"),
                    orders::issued_on.eq(now.date()),
                    orders::created_by.eq(issuer),
                    orders::created_at.eq(now),
                    orders::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    problem(
        app.patch(
            &path,
            Some(&app.admin_token),
            &json!({"status": "operating"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
}
