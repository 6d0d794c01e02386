//! The browser tests' machinery: Debian's chromedriver started once for the whole binary on a
//! free port, one headless Chromium session per flow (a fresh profile: no cookies carried over),
//! and `check_page`, which every page a flow visits must pass:
//!
//! 1. every resource and the document itself came from the server's own origin;
//! 2. no Content-Security-Policy violation and 3. no console error (Chromium's browser log,
//!    `goog:loggingPrefs`, read through chromedriver's `/se/log` endpoint);
//! 4. no serious or critical axe-core finding;
//! 5. at 360 px wide no horizontal scrolling, and a screenshot.
//!
//! A flow is `async fn name(b: Browser)`, listed in `main.rs`; see docs/PORTAL.md.

use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// The phone width every flow runs at (the narrowest the portal must fit).
pub const NARROW: u32 = 360;
/// The desktop width of the screenshots.
pub const WIDE: u32 = 1280;
const HEIGHT: u32 = 800;
/// One flow, server start included, never takes longer than this.
pub const FLOW_TIMEOUT: Duration = Duration::from_secs(180);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

pub type FlowFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A named flow: `flow!(name)` in `main.rs`.
pub struct Flow {
    pub name: &'static str,
    pub run: fn(Browser) -> FlowFuture,
}

#[macro_export]
macro_rules! flow {
    ($f:path) => {
        $crate::harness::Flow {
            name: stringify!($f),
            run: |b| Box::pin($f(b)),
        }
    };
}

/// What the tests need from the machine; `None` with the reason when something is missing.
pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    /// axe-core's `axe.min.js`; without it the accessibility check is not run (and with
    /// `ANJIAN_BROWSER_TESTS=required` the tests fail).
    pub axe: Option<String>,
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn tool(var: &str, names: &[&str]) -> Result<PathBuf, String> {
    match std::env::var_os(var) {
        Some(p) if Path::new(&p).is_file() => Ok(PathBuf::from(p)),
        Some(p) => Err(format!("{var}={} is not a file", p.to_string_lossy())),
        None => on_path(names).ok_or_else(|| format!("no {} on PATH", names[0])),
    }
}

pub fn axe_path() -> PathBuf {
    match std::env::var_os("ANJIAN_AXE_JS") {
        Some(p) => PathBuf::from(p),
        None => {
            let home = std::env::var_os("HOME").unwrap_or_default();
            PathBuf::from(home).join(".cache/anjian-npm/node_modules/axe-core/axe.min.js")
        }
    }
}

impl Tools {
    pub fn find() -> Result<Self, String> {
        let chromium = tool(
            "ANJIAN_CHROMIUM",
            &["chromium", "chromium-browser", "google-chrome"],
        )?;
        let chromedriver = tool("ANJIAN_CHROMEDRIVER", &["chromedriver"])?;
        let axe = std::fs::read_to_string(axe_path()).ok();
        Ok(Self {
            chromium,
            chromedriver,
            axe,
        })
    }
}

/// chromedriver, started once; killed on drop.
pub struct Driver {
    child: Child,
    pub url: String,
    tools: Tools,
    /// Where the screenshots of every checked page go (under the target directory).
    pub shots: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Driver {
    pub async fn start(tools: Tools) -> Result<Self, String> {
        let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
        std::fs::create_dir_all(&shots).map_err(|e| format!("{}: {e}", shots.display()))?;
        let log =
            std::fs::File::create(shots.join("chromedriver.log")).map_err(|e| e.to_string())?;
        let port = free_port();
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("{}: {e}", tools.chromedriver.display()))?;
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            tools,
            shots,
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = client
                .get(format!("{}/status", driver.url))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if let Ok(res) = ready
                && let Ok(v) = res.json::<Value>().await
                && v["value"]["ready"] == true
            {
                return Ok(driver);
            }
            if started.elapsed() > Duration::from_secs(20) {
                return Err("chromedriver did not answer within 20 s".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A new headless Chromium session with a fresh profile.
    pub async fn session(&self) -> Result<Client, String> {
        let mut args = vec![
            "--headless=new",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--lang=zh-CN",
            "--window-size=1280,800",
        ];
        if is_root() {
            args.push("--no-sandbox");
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.tools.chromium,
                "args": args,
                // A visitor in China: the portal answers in Chinese unless asked otherwise.
                "prefs": {"intl.accept_languages": "zh-CN,zh"},
            },
            "goog:loggingPrefs": {"browser": "ALL"},
            "pageLoadStrategy": "normal",
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = tokio::time::timeout(
            COMMAND_TIMEOUT,
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps)
                .connect(&self.url),
        )
        .await
        .map_err(|_| "no browser session within 30 s".to_owned())?
        .map_err(|e| format!("no browser session: {e}"))?;
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(COMMAND_TIMEOUT),
                Some(COMMAND_TIMEOUT),
                Some(Duration::ZERO),
            ))
            .await
            .map_err(|e| format!("timeouts: {e}"))?;
        Ok(client)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    // `id -u` rather than libc: the crate forbids unsafe code.
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// One flow's browser: the session, the server it tests, and the checks.
pub struct Browser {
    pub wd: Client,
    pub app: TestApp,
    webdriver: String,
    session: String,
    axe: Option<Arc<String>>,
    shots: PathBuf,
    flow: &'static str,
    pages: u32,
    http: reqwest::Client,
    /// The pages' JavaScript is off (`javascript(false)`).
    script_off: bool,
}

/// Whether `ANJIAN_SCREENSHOTS=1`: then `screens()` writes docs/screens/.
pub fn docs_screens() -> bool {
    std::env::var("ANJIAN_SCREENSHOTS").is_ok_and(|v| v == "1")
}

impl Browser {
    pub async fn open(wd: Client, driver: &DriverInfo, flow: &'static str, app: TestApp) -> Self {
        let session = wd
            .session_id()
            .await
            .expect("session id")
            .expect("a session");
        let b = Self {
            wd,
            app,
            webdriver: driver.url.clone(),
            session,
            axe: driver.axe.clone(),
            shots: driver.shots.clone(),
            flow,
            pages: 0,
            script_off: false,
            http: reqwest::Client::builder()
                .timeout(COMMAND_TIMEOUT)
                .build()
                .expect("http client"),
        };
        b.width(NARROW).await;
        b
    }

    /// A chromedriver command outside WebDriver proper (its log, the DevTools protocol).
    async fn driver_post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}/{path}", self.webdriver, self.session);
        let res = self
            .http
            .post(&url)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("chromedriver {path}: {e}"));
        let v: Value = res.json().await.expect("chromedriver answers JSON");
        if v["value"].get("error").is_some() {
            panic!("chromedriver {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    /// A DevTools protocol command.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.driver_post("goog/cdp/execute", json!({"cmd": cmd, "params": params}))
            .await
    }

    /// The browser log since it was last read.
    pub async fn log(&self) -> Vec<Value> {
        match self.driver_post("se/log", json!({"type": "browser"})).await {
            Value::Array(entries) => entries,
            other => panic!("browser log: {other}"),
        }
    }

    /// The viewport's width (a phone's at `NARROW`, with the page's `viewport` meta applied).
    pub async fn width(&self, width: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": HEIGHT, "deviceScaleFactor": 1,
                   "mobile": width < 600}),
        )
        .await;
    }

    /// Turns the pages' JavaScript off (or on again), as a visitor who has it off: the pages'
    /// own scripts do not run; the checks' WebDriver scripts still do.
    pub async fn javascript(&mut self, on: bool) {
        self.script_off = !on;
        self.scripts(on).await;
    }

    async fn scripts(&self, on: bool) {
        self.cdp(
            "Emulation.setScriptExecutionDisabled",
            json!({"value": !on}),
        )
        .await;
    }

    pub fn url(&self, path: &str) -> String {
        self.app.url(path)
    }

    /// Opens `path` of the server and checks the page (which must answer 200).
    pub async fn visit(&mut self, path: &str) {
        self.goto(path).await;
        self.check_page().await;
    }

    /// Opens `path` without checking.
    pub async fn goto(&self, path: &str) {
        let url = self.url(path);
        self.wd
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The current address's path and query.
    pub async fn here(&self) -> String {
        let url = self.wd.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.wd
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.wd
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
            .text()
            .await
            .expect("text")
    }

    /// The whole page's visible text.
    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    /// Types `value` into the field named `name` (clearing it first).
    pub async fn fill(&self, name: &str, value: &str) {
        let field = self
            .wd
            .find(Locator::Css(&format!("[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("no field {name}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    /// Clicks the element matching `css` where no new page follows (a checkbox, a radio).
    pub async fn tick(&self, css: &str) {
        self.wd
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Chooses the option `value` of the select named `name`.
    pub async fn choose(&self, name: &str, value: &str) {
        let field = self
            .wd
            .find(Locator::Css(&format!("select[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("no select {name}: {e}"));
        field
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("no option {value} in {name}: {e}"));
    }

    /// Clicks the element matching `css` and waits for the next page to load.
    pub async fn click(&self, css: &str) {
        let el = self
            .wd
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
        self.leaving().await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
        self.arrived().await;
    }

    /// Clicks the link whose text is `text` and waits for the next page.
    pub async fn click_link(&self, text: &str) {
        let el = self
            .wd
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("no link {text:?}: {e}"));
        self.leaving().await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("click {text}: {e}"));
        self.arrived().await;
    }

    /// Marks the current document, so that `arrived` can tell the next one from it.
    async fn leaving(&self) {
        self.js("window.__anjianOld = true;", vec![]).await;
    }

    /// Waits until a new document has replaced the marked one and has loaded.
    async fn arrived(&self) {
        let started = Instant::now();
        loop {
            let done = self
                .wd
                .execute(
                    "return !window.__anjianOld && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(done, Ok(Value::Bool(true))) {
                return;
            }
            assert!(
                started.elapsed() < COMMAND_TIMEOUT,
                "no new page within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Checks the current page, which must have answered 200.
    pub async fn check_page(&mut self) {
        self.check_page_status(200).await;
    }

    /// Checks the current page, which must have answered `status` (e.g. the 404 page).
    pub async fn check_page_status(&mut self, status: u16) {
        let problems = self.findings(status).await;
        assert!(
            problems.is_empty(),
            "{} on {}:\n  {}",
            self.flow,
            self.here().await,
            problems.join("\n  ")
        );
    }

    /// What is wrong with the current page (empty: nothing); `status` is the answer it must have
    /// had. The checks of the module's comment, in that order.
    pub async fn findings(&mut self, status: u16) -> Vec<String> {
        let mut problems = Vec::new();
        let origin = self
            .wd
            .current_url()
            .await
            .expect("url")
            .origin()
            .ascii_serialization();

        // The document's own answer, and (1) where everything came from.
        let entries = self
            .js(
                "return performance.getEntriesByType('navigation')
                     .concat(performance.getEntriesByType('resource'))
                     .map(function (e) {
                         return {name: e.name, type: e.entryType,
                                 status: e.responseStatus || 0};
                     });",
                vec![],
            )
            .await;
        let entries = entries.as_array().cloned().unwrap_or_default();
        for e in &entries {
            let name = e["name"].as_str().unwrap_or_default();
            if e["type"] == "navigation" && e["status"] != json!(status) {
                problems.push(format!(
                    "the page answered {} (expected {status})",
                    e["status"]
                ));
            }
            let from = url_origin(name);
            if from != origin {
                problems.push(format!("a request to another host: {name}"));
            }
        }
        if !entries.iter().any(|e| e["type"] == "navigation") {
            problems.push("no navigation entry".into());
        }

        // (4) axe-core.
        if let Some(axe) = self.axe.clone() {
            // axe-core needs timers, which stop with the page's scripts: on for its run only
            // (the page's own scripts were skipped as it loaded and stay so).
            if self.script_off {
                self.scripts(true).await;
            }
            problems.extend(self.axe(&axe).await);
            if self.script_off {
                self.scripts(false).await;
            }
        }

        // (5) No horizontal scrolling at 360 px, and a screenshot.
        let (scroll, inner) = self.widths().await;
        if inner != NARROW as i64 {
            problems.push(format!("the viewport is {inner} px wide, not {NARROW}"));
        }
        if scroll > NARROW as i64 {
            problems.push(format!(
                "horizontal scrolling at {NARROW} px: the page is {scroll} px wide"
            ));
        }
        self.pages += 1;
        let shot = self
            .shots
            .join(format!("{}-{:02}.png", self.flow, self.pages));
        std::fs::write(&shot, self.screenshot().await).expect("write the screenshot");

        // (2) and (3): the browser log since the last check, the page's loading included.
        for entry in self.log().await {
            let level = entry["level"].as_str().unwrap_or_default();
            let message = entry["message"].as_str().unwrap_or_default();
            if level != "SEVERE" {
                continue;
            }
            if status != 200
                && message.contains(&format!("the server responded with a status of {status}"))
                && message.starts_with(&self.wd.current_url().await.expect("url").to_string())
            {
                // The expected status of the document itself.
                continue;
            }
            if message.contains("Content Security Policy") {
                problems.push(format!("CSP violation: {message}"));
            } else {
                problems.push(format!("console error: {message}"));
            }
        }
        problems
    }

    async fn widths(&self) -> (i64, i64) {
        let v = self
            .js(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await;
        (v[0].as_i64().unwrap_or(-1), v[1].as_i64().unwrap_or(-1))
    }

    /// axe-core injected with WebDriver's Execute Script, which the page's CSP does not govern
    /// (the page's `script-src 'self'` would refuse it as an inline script); its serious and
    /// critical findings.
    async fn axe(&self, source: &str) -> Vec<String> {
        let present = self
            .js("return typeof window.axe === 'object';", vec![])
            .await;
        if present != Value::Bool(true) {
            self.js(&format!("{source}\n;return true;"), vec![]).await;
        }
        let found = self
            .wd
            .execute_async(
                "var done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']}).then(function (r) {
                     done(r.violations
                         .filter(function (v) {
                             return v.impact === 'serious' || v.impact === 'critical';
                         })
                         .map(function (v) {
                             return v.impact + ' ' + v.id + ': ' + v.help + ' at ' +
                                 v.nodes.slice(0, 3).map(function (n) {
                                     return n.target.join(' ');
                                 }).join(', ');
                         }));
                 }, function (e) { done(['axe failed: ' + e]); });",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("axe.run: {e}"));
        found
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| format!("axe: {}", v.as_str().unwrap_or_default()))
            .collect()
    }

    /// A PNG of the whole page at the current width.
    pub async fn screenshot(&self) -> Vec<u8> {
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap_or_default())
            .expect("a base64 screenshot")
    }

    /// With `ANJIAN_SCREENSHOTS=1`, writes `docs/screens/{name}-360.png` and `{name}-1280.png`
    /// of the current page (for the README); otherwise nothing.
    pub async fn screens(&self, name: &str) {
        if !docs_screens() {
            return;
        }
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screens");
        std::fs::create_dir_all(&dir).expect("docs/screens");
        for width in [NARROW, WIDE] {
            self.width(width).await;
            let png = self.screenshot().await;
            std::fs::write(dir.join(format!("{name}-{width}.png")), png).expect("write");
        }
        self.width(NARROW).await;
    }
}

/// `scheme://host:port` of an absolute URL (`""` for anything else).
fn url_origin(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => String::new(),
    }
}

/// What a flow's task needs of the driver.
#[derive(Clone)]
pub struct DriverInfo {
    pub url: String,
    pub axe: Option<Arc<String>>,
    pub shots: PathBuf,
}

/// Runs the flows whose names contain one of the command line's words (all without any), one
/// after another; answers the number that failed.
pub async fn run(flows: &[Flow], filters: &[String], tools: Tools) -> usize {
    let axe = tools.axe.clone().map(Arc::new);
    let driver = match Driver::start(tools).await {
        Ok(d) => d,
        Err(e) => {
            println!("browser tests failed to start: {e}");
            return 1;
        }
    };
    if axe.is_none() {
        println!(
            "browser tests: axe-core not found at {} (ANJIAN_AXE_JS): the accessibility check is not run",
            axe_path().display()
        );
    }
    let info = DriverInfo {
        url: driver.url.clone(),
        axe,
        shots: driver.shots.clone(),
    };
    let chosen: Vec<&Flow> = flows
        .iter()
        .filter(|f| filters.is_empty() || filters.iter().any(|w| f.name.contains(w.as_str())))
        .collect();
    println!("\nrunning {} browser flows", chosen.len());
    let mut failed = Vec::new();
    for flow in chosen {
        let started = Instant::now();
        let wd = match driver.session().await {
            Ok(wd) => wd,
            Err(e) => {
                println!("flow {} ... FAILED ({e})", flow.name);
                failed.push(flow.name);
                continue;
            }
        };
        let (run, name, info, session) = (flow.run, flow.name, info.clone(), wd.clone());
        let mut task = tokio::spawn(async move {
            let app = TestApp::spawn().await;
            run(Browser::open(session, &info, name, app).await).await
        });
        let outcome = tokio::time::timeout(FLOW_TIMEOUT, &mut task).await;
        if outcome.is_err() {
            task.abort();
        }
        let _ = tokio::time::timeout(COMMAND_TIMEOUT, wd.close()).await;
        let verdict = match outcome {
            Ok(Ok(())) => "ok",
            Ok(Err(_)) => "FAILED",
            Err(_) => "FAILED (timed out)",
        };
        println!(
            "flow {} ... {verdict} ({:.1} s)",
            flow.name,
            started.elapsed().as_secs_f64()
        );
        if verdict != "ok" {
            failed.push(flow.name);
        }
    }
    println!(
        "\nbrowser flows: {} failed{}{}",
        failed.len(),
        if failed.is_empty() { "" } else { ": " },
        failed.join(", ")
    );
    failed.len()
}
