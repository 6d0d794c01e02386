//! The binary as a newcomer runs it: first start creates the database and prints the admin
//! password once on standard error; a second start reuses it and prints nothing.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn start(dir: &std::path::Path) -> (std::process::Child, u16, Vec<String>) {
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
    let err_lines = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut port = None;
    for line in stdout.lines().map_while(Result::ok) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
            && v["message"] == "anjian is serving"
        {
            port = v["port"].as_u64();
            break;
        }
        assert!(Instant::now() < deadline, "the service did not start");
    }
    let port = port.expect("the service logs its port") as u16;
    // Stop it: stderr closes and the collected lines come back.
    let _ = child.kill();
    let _ = child.wait();
    (child, port, err_lines.join().unwrap())
}

#[test]
fn first_start_creates_the_database_and_prints_the_admin_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_, port, stderr) = start(dir.path());
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
    let (_, _, stderr) = start(dir.path());
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
}
