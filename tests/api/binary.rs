//! The binary as a newcomer runs it: first start creates the database and prints the admin
//! password once on standard error; a second start reuses it and prints nothing.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A running `anjian serve` in `dir`.
struct Running {
    child: std::process::Child,
    port: u16,
    stderr: std::thread::JoinHandle<Vec<String>>,
}

impl Running {
    fn start(dir: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_anjian"))
            .current_dir(dir)
            .env_clear()
            .env("ANJIAN_BIND", "127.0.0.1:0")
            .env("ANJIAN_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
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
        std::thread::spawn(move || lines.for_each(drop));
        let port = port.expect("the service logs its port") as u16;
        Self {
            child,
            port,
            stderr,
        }
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
        use std::io::Write;
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
