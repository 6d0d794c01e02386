//! The portal in a real browser (PORTAL 7.7): Debian's Chromium driven through chromedriver
//! (fantoccini), the real server on a random port, every page visited checked by
//! `harness::Browser::check_page`. A custom harness (`harness = false` in Cargo.toml): one
//! chromedriver for the binary, the flows one after another, each with its own server, database
//! and browser profile. `cargo test --test browser WORD` runs the flows whose names contain WORD.
//!
//! Without Chromium or chromedriver the binary prints one line and passes, unless
//! `ANJIAN_BROWSER_TESTS=required` (as `.ci/run` sets), when it fails.
// Test code: a panic is a failed flow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The integration tests' server and accounts, shared rather than copied.
#[allow(dead_code, unused_imports)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code, unused_imports)]
#[path = "../api/permits.rs"]
mod permits;
#[allow(dead_code, unused_imports)]
#[path = "../api/reports.rs"]
mod reports;
#[allow(dead_code, unused_imports)]
#[path = "../api/totp.rs"]
mod totp;

mod harness;

mod enterprise;
mod foundation;
mod public;
mod selftest;
mod staff;

use harness::Flow;

/// Every flow, in the order they run. Add yours here: `flow!(module::name)`.
const FLOWS: &[Flow] = &[
    flow!(selftest::the_checks_catch_what_they_look_for),
    flow!(foundation::home_in_chinese_then_english),
    flow!(foundation::larger_text),
    flow!(foundation::enterprise_user_signs_in_and_out),
    flow!(foundation::the_totp_step),
    flow!(foundation::signed_out_staff_page_returns_after_sign_in),
    flow!(foundation::the_404_page),
    flow!(enterprise::an_instant_licence_is_applied_for_approved_and_verified_by_the_public),
    flow!(enterprise::rows_without_javascript_and_a_draft_resumed),
    flow!(enterprise::a_hazard_is_rectified_from_its_page),
    flow!(enterprise::a_negative_list_is_published_from_the_template),
    flow!(public::the_service_guide),
    flow!(staff::a_reviewer_decides_from_the_queue),
    flow!(public::a_decided_reward_is_claimed_from_the_check_page),
    flow!(public::a_report_filed_without_javascript_is_followed_by_its_receipt),
];

fn main() {
    let required = std::env::var("ANJIAN_BROWSER_TESTS").is_ok_and(|v| v == "required");
    let mut filters = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // libtest's options that take a value; the others are ignored.
            "--skip" | "--test-threads" | "--format" | "--color" | "-Z" | "--logfile" => {
                args.next();
            }
            // What IDEs and `cargo test -- --list` ask: the flows' names, nothing run.
            "--list" => {
                for flow in FLOWS {
                    println!("{}: test", flow.name);
                }
                return;
            }
            a if a.starts_with('-') => {}
            _ => filters.push(arg),
        }
    }
    let tools = match harness::Tools::find() {
        Ok(tools) => tools,
        Err(why) if required => {
            eprintln!("browser tests required (ANJIAN_BROWSER_TESTS=required) but: {why}");
            std::process::exit(1);
        }
        Err(why) => {
            println!(
                "browser tests not run: {why} (apt-get install chromium chromium-driver; \
                 ANJIAN_BROWSER_TESTS=required makes this a failure)"
            );
            return;
        }
    };
    if required && tools.axe.is_none() {
        eprintln!(
            "browser tests required but axe-core is missing: {} (ANJIAN_AXE_JS)",
            harness::axe_path().display()
        );
        std::process::exit(1);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let failed = runtime.block_on(harness::run(FLOWS, &filters, tools));
    // The servers' threads are not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    if failed > 0 {
        std::process::exit(1);
    }
}
