//! The OpenAPI document covers every route, and every route admits exactly the roles it names.

use std::collections::BTreeSet;

use anjian::auth::Role;
use serde_json::Value;

use crate::helpers::TestApp;

/// `(METHOD, path)` of every route attribute in the source (`#[get("/users/{id}")]` …), with
/// capability routes under `/api/v1`.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    let mut stack = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // The portal's pages are HTML for people, not the API's operations.
                if !path.ends_with("portal") {
                    stack.push(path);
                }
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines().map(str::trim) {
                for method in ["get", "post", "put", "patch", "delete"] {
                    let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) else {
                        continue;
                    };
                    let route = rest.split('"').next().unwrap();
                    let full = if route.starts_with("/api/")
                        || !route.starts_with('/')
                        || ["/healthz", "/readyz", "/metrics"].contains(&route)
                    {
                        route.to_owned()
                    } else {
                        format!("/api/v1{route}")
                    };
                    found.insert((method.to_uppercase(), full));
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn every_registered_route_is_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            documented.insert((method.to_uppercase(), path.clone()));
            assert!(
                op["x-roles"].as_array().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no x-roles"
            );
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
        }
    }
    let source = routes_in_source();
    assert!(
        source.len() >= 20,
        "the source scan found too little: {source:?}"
    );
    let missing: Vec<_> = source.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:?}"
    );
    for op in ["/healthz", "/readyz", "/metrics"] {
        assert!(documented.contains(&("GET".into(), op.into())));
    }
    // And every documented operation is served (no 404 for the route itself).
    for (method, path) in &documented {
        let concrete = path.replace("{id}", "1").replace("{code}", "shinan");
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let res = app.request(m, &concrete, None, None).await;
        let status = res.status().as_u16();
        // A public lookup that answers an unknown key with 404 (certificate verification) is
        // still served: the router knows the path, so another method on it is a 405.
        let routed = || async {
            let other = if method == "DELETE" {
                reqwest::Method::PATCH
            } else {
                reqwest::Method::DELETE
            };
            app.request(other, &concrete, None, None)
                .await
                .status()
                .as_u16()
                == 405
        };
        if status == 404 && !routed().await {
            let body: Value = res.json().await.unwrap_or_default();
            panic!("{method} {path} is documented but not served: {body}");
        }
        assert_ne!(status, 405, "{method} {path}");
    }
}

fn concrete(path: &str, enterprise: i64) -> String {
    path.replace("{id}", &enterprise.to_string())
        .replace("{code}", "shinan")
}

/// Every operation × every role: a role outside `x-roles` is refused (401 without a token,
/// 403 with one); a role inside it is not.
#[tokio::test]
async fn every_route_refuses_every_role_it_does_not_name() {
    let app = TestApp::spawn().await;
    let ent = app.enterprise("gas", "shinan").await;
    let mut tokens = vec![("admin", app.admin_token.clone())];
    for role in [Role::Reviewer, Role::Inspector, Role::Enterprise] {
        let e = (role == Role::Enterprise).then_some(ent);
        tokens.push((role.as_str(), app.token_for(role, e).await));
    }
    let doc: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if path.ends_with("/logout-all")
                || path.ends_with("/auth/password")
                || path.ends_with("/totp/reset")
            {
                continue; // they end sessions; covered in auth tests
            }
            let roles: Vec<&str> = op["x-roles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let url = concrete(path, ent);
            if roles == ["public"] {
                continue;
            }
            let anonymous = app
                .request(m.clone(), &url, None, Some(&serde_json::json!({})))
                .await
                .status()
                .as_u16();
            assert_eq!(anonymous, 401, "{method} {path} without a token");
            for (role, token) in &tokens {
                let status = app
                    .request(m.clone(), &url, Some(token), Some(&serde_json::json!({})))
                    .await
                    .status()
                    .as_u16();
                if roles.contains(role) {
                    assert!(
                        status != 401 && status != 403,
                        "{method} {path} refused {role} ({status}) though x-roles names it"
                    );
                } else {
                    assert_eq!(status, 403, "{method} {path} let {role} through ({status})");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 60, "{checked}");
}

#[tokio::test]
async fn the_api_page_is_served_from_the_binary_and_loads_nothing_from_the_network() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/docs", None).await;
    assert_eq!(res.status(), 308);
    let page = app.get("/api/docs/", None).await.text().await.unwrap();
    assert!(page.contains("swagger-ui"), "{page}");
    let mut assets = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in page.split(attr).skip(1) {
            let url = part.split('"').next().unwrap().to_owned();
            assert!(
                !url.starts_with("http") && !url.starts_with("//"),
                "the page loads {url} from the network"
            );
            assets.push(url);
        }
    }
    assert!(!assets.is_empty());
    for asset in assets {
        let url = if asset.starts_with('/') {
            asset
        } else {
            format!("/api/docs/{}", asset.trim_start_matches("./"))
        };
        assert_eq!(app.get(&url, None).await.status(), 200, "{url}");
    }
    let init = app
        .get("/api/docs/swagger-initializer.js", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api/openapi.json"), "{init}");
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    assert_eq!(app.get("/readyz", None).await.status(), 200);
    app.post(
        "/api/v1/auth/login",
        None,
        &serde_json::json!({"username": "root", "password": "wrong password!"}),
    )
    .await;
    let text = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        text.contains(
            "anjian_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"}"
        ),
        "{text}"
    );
    assert!(text.contains("anjian_http_request_duration_seconds_bucket"));
    assert!(text.contains("anjian_db_pool_max_connections 8"));
    assert!(text.contains("anjian_domain_events_total{kind=\"login\",outcome=\"failed\"} 1"));
    assert!(!text.contains("wrong password"));
}
