//! `TestApp`: the real server on a random port, on a fresh database (a SQLite file in a temporary
//! folder, or — with `TEST_DATABASE_URL` set — a fresh PostgreSQL schema dropped afterwards),
//! with a clock the test can move, and one helper per endpoint the tests use often.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use anjian::auth::Role;
use anjian::clock::Clock;
use anjian::config::Config;
use anjian::startup::Application;
use anjian::state::AppState;
use chrono::{TimeZone, Utc};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

pub const PASSWORD: &str = "a long test passphrase";
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const DATA_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub const SIGNING_KEY: &str = "HxweHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=";

/// Where the test's data lives; cleaned up on drop.
enum TestDb {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { base_url: String, schema: String },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { base_url, schema } = self
            && let Ok(mut conn) = diesel::PgConnection::establish(base_url)
        {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Clock,
    pub state: AppState,
    pub handle: actix_web::dev::ServerHandle,
    pub admin_token: String,
    counter: AtomicU32,
    _db: TestDb,
}

fn test_database() -> (String, TestDb) {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        Some(base_url) => {
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            let mut conn = diesel::PgConnection::establish(&base_url)
                .expect("TEST_DATABASE_URL must reach PostgreSQL");
            conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("create schema");
            let sep = if base_url.contains('?') { '&' } else { '?' };
            let url = format!("{base_url}{sep}options=-c%20search_path%3D{schema}");
            (url, TestDb::Postgres { base_url, schema })
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            (url, TestDb::Sqlite(dir))
        }
    }
}

/// The configuration of a test: fixed secrets, port 0, generous rates unless a test sets them.
pub fn test_config(database_url: &str, overrides: &[(&str, &str)]) -> Config {
    let mut env: HashMap<String, String> = [
        ("DATABASE_URL", database_url),
        ("ANJIAN_BIND", "127.0.0.1:0"),
        ("ANJIAN_JWT_SECRET", JWT_SECRET),
        ("ANJIAN_DATA_KEY", DATA_KEY),
        ("ANJIAN_SIGNING_KEY", SIGNING_KEY),
        ("ANJIAN_DB_POOL", "8"),
        // Debug builds on a busy two-core machine: wait for a connection rather than fail fast.
        ("ANJIAN_DB_TIMEOUT_SECS", "30"),
        ("ANJIAN_LOGIN_RATE", "1000/min"),
        ("ANJIAN_REPORT_RATE", "1000/min"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in overrides {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let dir = std::env::temp_dir();
    Config::from_lookup(|k| env.get(k).cloned(), &dir).expect("test configuration")
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// The server on PostgreSQL, or `None` when the tests run on SQLite: for the tests of
    /// PostgreSQL's own behaviour (plans, the writer's savepoints, locks held across statements).
    pub async fn spawn_on_postgres() -> Option<Self> {
        let app = Self::spawn().await;
        app.state.db.url().is_postgres().then_some(app)
    }

    /// Starts the server with configuration overrides, e.g. `[("ANJIAN_MAX_BODY_BYTES", "100")]`.
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        let (url, db) = test_database();
        let config = test_config(&url, overrides);
        // 09:00 in Qingdao on 1 June 2026.
        let clock = Clock::manual(Utc.with_ymd_and_hms(2026, 6, 1, 1, 0, 0).unwrap());
        let app = Application::build(config, clock.clone(), Some(2)).expect("application builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        let handle = app.server_handle();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut test = TestApp {
            base,
            client,
            clock,
            state,
            handle,
            admin_token: String::new(),
            counter: AtomicU32::new(0),
            _db: db,
        };
        test.create_user_direct("root", Role::Admin, None).await;
        test.admin_token = test.login("root", PASSWORD).await;
        test
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A unique suffix for names within this test.
    pub fn next(&self) -> u32 {
        self.counter.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Creates an account straight through the library (no HTTP), with the test password.
    pub async fn create_user_direct(
        &self,
        username: &str,
        role: Role,
        enterprise_id: Option<i64>,
    ) -> i64 {
        let request = anjian::users::accounts::CreateUserRequest {
            username: username.into(),
            password: PASSWORD.into(),
            role,
            enterprise_id,
            display_name: format!("{username} (test)"),
        };
        let user = anjian::users::accounts::validate_new_user(&request).expect("valid test user");
        let hash = anjian::auth::password::hash_password(PASSWORD).unwrap();
        let now = self.clock.now_naive();
        self.state
            .db
            .write(move |conn| {
                anjian::users::accounts::create_in_tx(
                    conn,
                    &user,
                    &hash,
                    &anjian::audit::Actor::SYSTEM,
                    now,
                )
            })
            .await
            .expect("create user")
            .id
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let res = self
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "login of {username}");
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A new user of `role` (bound to `enterprise_id` for enterprise accounts) and its token.
    /// `anjian seed demo` on this app's database, as the command runs it (the system clock).
    pub async fn seed_demo(&self) {
        let config = self.state.config.clone();
        tokio::task::spawn_blocking(move || anjian::seed::demo(&config))
            .await
            .unwrap()
            .unwrap();
    }

    pub async fn token_for(&self, role: Role, enterprise_id: Option<i64>) -> String {
        let username = format!("{}{}", role.as_str(), self.next());
        self.create_user_direct(&username, role, enterprise_id)
            .await;
        self.login(&username, PASSWORD).await
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    /// GET and parse the JSON body (for 2xx reads).
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> Value {
        let res = self.get(path, token).await;
        assert!(res.status().is_success(), "GET {path}: {}", res.status());
        res.json().await.unwrap()
    }

    /// Creates an enterprise as admin and returns its id.
    pub async fn enterprise(&self, industry: &str, district: &str) -> i64 {
        let n = self.next();
        let body = enterprise_body(&credit_code(n), industry, district);
        let res = self
            .post("/api/v1/enterprises", Some(&self.admin_token), &body)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting; the schema or folder is removed when `_db` drops.
        drop(self.handle.stop(false));
    }
}

/// A valid credit code for test number `n`.
pub fn credit_code(n: u32) -> String {
    anjian::enterprises::credit_code::with_check_digit(&format!("91370200MA{n:07}")).unwrap()
}

pub fn enterprise_body(code: &str, industry: &str, district: &str) -> Value {
    json!({
        "credit_code": code,
        "name": format!("青岛测试企业{code}"),
        "industry": industry,
        "district": district,
        "address": "市南区香港中路100号",
        "legal_representative": "王五",
        "safety_director": "李四",
        "employee_count": 100
    })
}

/// The ids of a list page's items, in order.
pub fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

/// Reads a problem document and checks its shape.
pub async fn problem(res: Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    body
}

/// The fields named by a 422.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
        .collect()
}

impl TestApp {
    /// A new user of `role` and a token minted directly (no argon2, no login): for tests that
    /// need many accounts. The account's password hash is a placeholder that verifies nothing.
    pub async fn quick_token_for(&self, role: Role, enterprise_id: Option<i64>) -> String {
        let username = format!("{}{}", role.as_str(), self.next());
        let request = anjian::users::accounts::CreateUserRequest {
            username: username.clone(),
            password: PASSWORD.into(),
            role,
            enterprise_id,
            display_name: format!("{username} (test)"),
        };
        let user = anjian::users::accounts::validate_new_user(&request).expect("valid test user");
        let now = self.clock.now_naive();
        let row = self
            .state
            .db
            .write(move |conn| {
                anjian::users::accounts::create_in_tx(
                    conn,
                    &user,
                    "placeholder-not-a-hash",
                    &anjian::audit::Actor::SYSTEM,
                    now,
                )
            })
            .await
            .expect("create user");
        self.state
            .tokens
            // Long-lived, so tests may move the clock by years.
            .issue(
                row.id,
                role,
                enterprise_id,
                row.token_version,
                self.clock.now(),
                20 * 365 * 86_400,
            )
            .expect("token")
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::PUT, path, token, Some(body)).await
    }
}

/// The log output of the whole test binary (INFO and above, no colours), captured by a global
/// `tracing` subscriber installed on first use. The server logs from its own threads, so a
/// per-thread subscriber would miss it. Never panics if a subscriber is already installed
/// (then the buffer stays empty and tests that read it should check it captured something).
pub fn captured_logs() -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    use std::sync::{Arc, Mutex, OnceLock};
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Arc::new(Mutex::new(Vec::new()));
            let sink = buffer.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::INFO)
                .with_ansi(false)
                .with_writer(move || LogSink(sink.clone()))
                .finish();
            let _ = tracing::subscriber::set_global_default(subscriber);
            buffer
        })
        .clone()
}

struct LogSink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// On PostgreSQL, asserts that the statement of this connection whose SQL matches `like` (a
/// `LIKE` pattern) is run with its generic plan: at most the five custom plans PostgreSQL makes
/// before it compares, then generic ones (`pg_prepared_statements`, which shows one session's
/// statements).
pub fn assert_generic_plan(
    conn: &mut anjian::db::DbConn,
    like: &str,
) -> Result<(), anjian::error::ApiError> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Plans {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        generic_plans: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        custom_plans: i64,
    }
    let plans = diesel::sql_query(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE $1",
    )
    .bind::<diesel::sql_types::Text, _>(like)
    .get_result::<Plans>(conn)?;
    assert!(
        plans.generic_plans >= 5 && plans.custom_plans <= 5,
        "generic {} custom {}",
        plans.generic_plans,
        plans.custom_plans
    );
    Ok(())
}

/// 4,000 open hazards of one enterprise in `shinan`, nine in ten past their deadline (as in a
/// city's year), with fresh statistics (`ANALYZE hazards`). PostgreSQL only.
pub fn insert_overdue_hazards(
    conn: &mut anjian::db::DbConn,
    enterprise: i64,
    reported_by: i64,
    today: chrono::NaiveDate,
) -> Result<(), anjian::error::ApiError> {
    Ok(conn.batch_execute(&format!(
        "INSERT INTO hazards (enterprise_id, description, level, category, found_on, \
         deadline, status, supervised, reported_by, created_at, updated_at, district, \
         industry) SELECT {enterprise}, 'x', 'general', 'equipment', DATE '{today}' - 90, \
         DATE '{today}' - 30 + (n % 10 = 0)::int * 60, 'open', false, {reported_by}, now(), \
         now(), 'shinan', 'hazardous_chemicals' FROM generate_series(1, 4000) AS n; \
         ANALYZE hazards"
    ))?)
}

/// A browser-like visitor of the portal: its own cookie jar, no redirects followed, and the
/// headers a browser sends with a form of the page it is on (`Sec-Fetch-Site: same-origin`, and
/// `Origin: null`, as the pages' `Referrer-Policy: no-referrer` makes browsers send).
pub struct Visitor {
    pub client: reqwest::Client,
    pub base: String,
}

impl Visitor {
    pub fn new(app: &TestApp) -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            client,
            base: app.base.clone(),
        }
    }

    /// `GET path`: the status, the headers and the page.
    pub async fn get(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.text().await.unwrap())
    }

    /// Posts a form from one of the portal's pages.
    pub async fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("sec-fetch-site", "same-origin")
            .header("origin", "null")
            .form(fields)
            .send()
            .await
            .unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.text().await.unwrap())
    }

    /// Signs in through `/login` (and its second step when `code` is given); answers where the
    /// sign-in sent the visitor.
    pub async fn sign_in(&self, username: &str, password: &str) -> String {
        let (_, _, page) = self.get("/login").await;
        let token = hidden(&page, "csrf");
        let (status, headers, page) = self
            .post(
                "/login",
                &[
                    ("csrf", &token),
                    ("username", username),
                    ("password", password),
                    ("next", ""),
                ],
            )
            .await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "sign-in of {username}: {page}"
        );
        headers["location"].to_str().unwrap().to_owned()
    }
}

/// The value of the hidden (or any) input named `name` in `page`.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name} in the page: {page}"));
    let rest = &page[at + marker.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}
