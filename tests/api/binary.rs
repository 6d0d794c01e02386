//! The binary as a newcomer runs it: first start creates the database and prints the admin
//! password once on standard error; a second start reuses it and prints nothing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};

/// A running `anjian serve` in `dir`.
struct Running {
    child: std::process::Child,
    port: u16,
    stderr: std::thread::JoinHandle<Vec<String>>,
    /// The log lines after "anjian is serving".
    stdout: std::thread::JoinHandle<Vec<String>>,
}

impl Running {
    fn start(dir: &std::path::Path) -> Self {
        Self::start_with(dir, &[])
    }

    /// `anjian serve` in `dir` with these variables besides the usual ones.
    fn start_with(dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_anjian"))
            .current_dir(dir)
            .env_clear()
            .env("ANJIAN_BIND", "127.0.0.1:0")
            .env("ANJIAN_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut port = None;
        let mut lines = stdout.lines();
        for line in lines.by_ref().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && v["message"] == "anjian is serving"
            {
                port = v["port"].as_u64();
                break;
            }
            assert!(Instant::now() < deadline, "the service did not start");
        }
        // Keep draining stdout so the service never blocks on a full pipe.
        let stdout = std::thread::spawn(move || lines.map_while(Result::ok).collect());
        let port = port.expect("the service logs its port") as u16;
        Self {
            child,
            port,
            stderr,
            stdout,
        }
    }

    /// Sends `signal` (`TERM`, `INT`) and waits at most `bound` for the process to end: its
    /// exit status (`None` if it had to be killed), the time it took, and its log lines.
    fn signal(
        mut self,
        signal: &str,
        bound: Duration,
    ) -> (Option<std::process::ExitStatus>, Duration, Vec<String>) {
        let sent = Instant::now();
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal}");
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break Some(exit);
            }
            if sent.elapsed() > bound {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let took = sent.elapsed();
        (exit, took, self.stdout.join().unwrap())
    }

    /// `kill -9`, then the lines it wrote on standard error.
    fn kill(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr.join().unwrap()
    }
}

fn start(dir: &std::path::Path) -> (u16, Vec<String>) {
    let running = Running::start(dir);
    let port = running.port;
    (port, running.kill())
}

#[test]
fn first_start_creates_the_database_and_prints_the_admin_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let (port, stderr) = start(dir.path());
    assert!(port > 0);
    assert!(
        dir.path().join("data/anjian.db").exists(),
        "the database is created with its folder"
    );
    let printed: Vec<_> = stderr
        .iter()
        .filter(|l| l.contains("created user `admin` with password"))
        .collect();
    assert_eq!(printed.len(), 1, "{stderr:?}");
    let password = printed[0].rsplit(' ').next().unwrap();
    assert!(password.len() >= 12);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("data/jwt_secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (_, stderr) = start(dir.path());
    assert!(!stderr.iter().any(|l| l.contains("password")), "{stderr:?}");
}

#[test]
fn migrate_and_user_create_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_anjian"))
            .current_dir(dir.path())
            .env_clear()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(&["migrate"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &[
            "user",
            "create",
            "--username",
            "chief",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "a very long secret\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user chief"));
    let out = run(
        &[
            "user",
            "create",
            "--username",
            "weak",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    let out = run(&["seed", "demo"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    for role in ["reviewer", "inspector", "enterprise"] {
        assert!(text.contains(role), "{text}");
    }
    let again = run(&["seed", "demo"], "");
    assert!(String::from_utf8_lossy(&again.stdout).contains("already present"));
    // The synthetic year is one large write; the seed leaves it in the database file, not in
    // a write-ahead log as large as the write.
    let out = run(&["seed", "city-year", "--scale", "0.01"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wal = std::fs::metadata(dir.path().join("data/anjian.db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "the seed left {wal} bytes of write-ahead log");
}

#[tokio::test]
async fn an_answered_write_survives_kill_dash_nine() {
    let dir = tempfile::tempdir().unwrap();
    let running = Running::start(dir.path());
    let client = reqwest::Client::new();
    // The admin password is on the first start's standard error, collected when it ends.
    let stderr = running.kill();
    let password = stderr
        .iter()
        .find_map(|l| l.strip_prefix("created user `admin` with password: "))
        .expect("password printed")
        .to_owned();
    let running = Running::start(dir.path());
    let base2 = format!("http://127.0.0.1:{}", running.port);
    let login: serde_json::Value = client
        .post(format!("{base2}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let code = anjian::enterprises::credit_code::with_check_digit("91370202MA3C99999").unwrap();
    let res = client
        .post(format!("{base2}/api/v1/enterprises"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"credit_code": code, "name": "崩溃测试", "industry": "gas", "district": "shinan",
            "address": "a", "legal_representative": "b", "employee_count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    running.kill(); // SIGKILL right after the 2xx
    let running = Running::start(dir.path());
    let res = client
        .get(format!(
            "http://127.0.0.1:{}/api/v1/enterprises/{id}",
            running.port
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "the enterprise answered with 201 is still there"
    );
    running.kill();
}

/// One HTTP/1.1 request on a connection of its own, already written; read its answer with
/// [`answer`].
fn send(port: u16, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = body.unwrap_or("");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    stream
}

/// The status and body of the answer on `stream` (read to its end).
fn answer(mut stream: TcpStream) -> (u16, String) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    answer(send(port, method, path, token, body))
}

const FILING: &str = r#"{"industry": "construction", "category": "general_hazard", "district": "licang",
    "description": "深基坑开挖超过五米未按专项方案支护，周边已出现裂缝，工人仍在坑底作业。",
    "is_employee": false}"#;

/// `anjian ARGS` in `dir` with `stdin`, and these variables.
fn run_cli(
    dir: &std::path::Path,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_anjian"))
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// An admin `chief` created from the command line, and its token from a login.
fn chief(dir: &std::path::Path) -> impl Fn(u16) -> String {
    let out = run_cli(
        dir,
        &[
            "user",
            "create",
            "--username",
            "chief",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "a very long secret\n",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    |port| {
        let (status, body) = http(
            port,
            "POST",
            "/api/v1/auth/login",
            None,
            Some(r#"{"username": "chief", "password": "a very long secret"}"#),
        );
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    }
}

/// No log line at ERROR: every ERROR is something an operator must act on.
fn assert_no_error_lines(lines: &[String]) {
    let errors: Vec<_> = lines
        .iter()
        .filter(|l| l.contains(r#""level":"ERROR""#))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// Requests in flight when `signal` arrives are answered, none 5xx; new connections are then
/// refused; the process exits 0 within 10 s, with no ERROR line.
fn stops_gracefully_on(signal: &'static str) {
    let dir = tempfile::tempdir().unwrap();
    let running = Running::start_with(dir.path(), &[("ANJIAN_REPORT_RATE", "1000/min")]);
    let port = running.port;
    // SQLite's write lock, held here: the filings wait in the service's writer while the
    // signal arrives (less than its 5 s busy timeout).
    let mut lock =
        SqliteConnection::establish(&dir.path().join("data/anjian.db").to_string_lossy()).unwrap();
    lock.batch_execute("PRAGMA busy_timeout = 5000; BEGIN IMMEDIATE")
        .unwrap();
    let in_flight: Vec<TcpStream> = (0..6)
        .map(|_| send(port, "POST", "/api/v1/public/reports", None, Some(FILING)))
        .collect();
    // A request sent after them is answered: their connections have been taken.
    assert_eq!(http(port, "GET", "/healthz", None, None).0, 200);

    let pid = running.child.id().to_string();
    let sent = Instant::now();
    let stopper = std::thread::spawn(move || running.signal(signal, Duration::from_secs(15)));
    // New connections are refused while the filings are still waiting.
    let refused = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break true,
            _ if sent.elapsed() > Duration::from_secs(3) => break false,
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    assert!(
        refused,
        "new connections are still accepted after SIG{signal}"
    );
    assert!(
        Path::new("/proc").join(&pid).exists(),
        "the process waits for its requests in flight"
    );
    lock.batch_execute("ROLLBACK").unwrap();

    for stream in in_flight {
        let (status, body) = answer(stream);
        assert_eq!(status, 201, "a request in flight is answered: {body}");
    }
    let (exit, took, log) = stopper.join().unwrap();
    let exit = exit.expect("the process ends by itself");
    assert!(exit.success(), "{exit:?}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(log.iter().any(|l| l.contains("anjian stopped")), "{log:#?}");
    assert_no_error_lines(&log);
}

#[test]
fn sigterm_answers_the_requests_in_flight_refuses_new_connections_and_exits_0() {
    stops_gracefully_on("TERM");
}

#[test]
fn ctrl_c_stops_the_service_as_gracefully_as_sigterm() {
    stops_gracefully_on("INT");
}

#[test]
fn a_backup_taken_while_writes_go_on_serves_and_its_audit_trail_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let token_for = chief(dir.path());
    let running = Running::start_with(dir.path(), &[("ANJIAN_REPORT_RATE", "100000/min")]);
    let port = running.port;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let filed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let (stop, filed) = (stop.clone(), filed.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let (status, body) =
                        http(port, "POST", "/api/v1/public/reports", None, Some(FILING));
                    assert_eq!(status, 201, "{body}");
                    filed.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let wait_for = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while filed.load(Ordering::Relaxed) < n {
            assert!(Instant::now() < deadline, "the filings do not go on");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait_for(10);
    let before = filed.load(Ordering::Relaxed);
    let out = run_cli(dir.path(), &["backup", "copy.db"], "", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("backup written"));
    // The filings went on past the copy: it was taken among them.
    wait_for(before + 10);
    stop.store(true, Ordering::Relaxed);
    writers.into_iter().for_each(|w| w.join().unwrap());
    running.kill();

    // A second copy is never written over the first.
    let again = run_cli(dir.path(), &["backup", "copy.db"], "", &[]);
    assert_eq!(again.status.code(), Some(1));

    let copy = Running::start_with(dir.path(), &[("DATABASE_URL", "copy.db")]);
    let token = token_for(copy.port);
    let (status, body) = http(copy.port, "GET", "/api/v1/audit/verify", Some(&token), None);
    assert_eq!(status, 200, "{body}");
    let verify: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(verify["ok"], true, "{verify}");
    // Every filing appended an event: those answered before the copy began are in it.
    let checked = verify["events_checked"].as_u64().unwrap() as usize;
    assert!(
        checked >= before,
        "{checked} events for at least {before} filings"
    );
    copy.kill();
}

#[test]
fn backup_on_postgresql_points_to_pg_dump_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(
        dir.path(),
        &["backup", "copy.db"],
        "",
        &[("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")],
    );
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("pg_dump") && text.contains("archiving"),
        "{text}"
    );
    assert!(!dir.path().join("copy.db").exists());
}

#[test]
fn seed_demo_on_a_fresh_folder_logs_no_error() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let out = run_cli(
            dir.path(),
            &["seed", "demo"],
            "",
            &[("ANJIAN_LOG_FORMAT", "json")],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        assert_no_error_lines(&lines);
    }
}
