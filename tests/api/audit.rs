use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn every_change_is_chained_in_the_audit_trail() {
    let app = TestApp::spawn().await;
    let id = app.enterprise("gas", "shinan").await;
    let path = format!("/api/v1/enterprises/{id}");
    app.patch(
        &path,
        Some(&app.admin_token),
        &json!({"employee_count": 150}),
    )
    .await;
    app.patch(&path, Some(&app.admin_token), &json!({"status": "closed"}))
        .await;
    let events: Value = app
        .get(
            &format!("/api/v1/audit?aggregate_type=enterprise&aggregate_id={id}"),
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let items = events["items"].as_array().unwrap();
    let actions: Vec<_> = items
        .iter()
        .rev()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "updated", "status_changed"]);
    let seqs: Vec<_> = items
        .iter()
        .rev()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(items[2]["prev_hash"], "0".repeat(64));
    assert_eq!(items[1]["prev_hash"], items[2]["hash"]);
    assert_eq!(items[0]["prev_hash"], items[1]["hash"]);
    assert_eq!(items[0]["actor_role"], "admin");
    assert_eq!(items[1]["payload"]["employee_count"], 150);
    // User changes too; never the password hash.
    let users: Value = app
        .get("/api/v1/audit?aggregate_type=user", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert!(!users.to_string().contains("argon2"));
    assert!(!users["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_row_changed_behind_the_services_back_is_found() {
    let app = TestApp::spawn().await;
    let a = app.enterprise("gas", "shinan").await;
    let b = app.enterprise("gas", "shinan").await;
    let c = app.enterprise("gas", "shinan").await;
    app.patch(
        &format!("/api/v1/enterprises/{c}"),
        Some(&app.admin_token),
        &json!({"employee_count": 3}),
    )
    .await;
    app.patch(
        &format!("/api/v1/enterprises/{a}"),
        Some(&app.admin_token),
        &json!({"employee_count": 1}),
    )
    .await;
    app.patch(
        &format!("/api/v1/enterprises/{a}"),
        Some(&app.admin_token),
        &json!({"employee_count": 2}),
    )
    .await;
    let clean: Value = app
        .get("/api/v1/audit/verify", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(clean["ok"], true, "{clean}");
    let checked = clean["events_checked"].as_u64().unwrap();
    assert!(checked >= 5);

    let sql = format!(
        "UPDATE audit_events SET payload = '{{\"employee_count\":9999}}' WHERE aggregate_type = 'enterprise' AND aggregate_id = '{a}' AND seq = 2;
         UPDATE audit_events SET actor_role = 'inspector' WHERE aggregate_type = 'enterprise' AND aggregate_id = '{b}' AND seq = 1;"
    );
    app.state
        .db
        .run(move |conn| {
            conn.batch_execute(&sql)
                .map_err(anjian::error::ApiError::from)
        })
        .await
        .unwrap();
    let report: Value = app
        .get("/api/v1/audit/verify", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["events_checked"].as_u64().unwrap(), checked);
    let broken = broken_links(&report);
    assert_eq!(broken, [(a.to_string(), 2), (b.to_string(), 1)]);

    // A deleted event breaks the position of the one after it.
    let sql = format!(
        "DELETE FROM audit_events WHERE aggregate_type = 'enterprise' AND aggregate_id = '{c}' AND seq = 1"
    );
    app.state
        .db
        .run(move |conn| {
            conn.batch_execute(&sql)
                .map_err(anjian::error::ApiError::from)
        })
        .await
        .unwrap();
    let report: Value = app
        .get("/api/v1/audit/verify", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let broken = broken_links(&report);
    assert!(broken.contains(&(c.to_string(), 2)), "{broken:?}");
}

/// `(aggregate_id, seq)` of each broken event a verification names.
fn broken_links(report: &Value) -> Vec<(String, i64)> {
    report["broken"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["aggregate_id"].as_str().unwrap().to_owned(),
                b["seq"].as_i64().unwrap(),
            )
        })
        .collect()
}
