//! `/api/v1/public/reports…` (the reporter, no account: `public.rs`), `/api/v1/reports…`
//! (handling: `handling.rs`), `/api/v1/rewards…` and `/api/v1/reward-rules` (`rewards.rs`),
//! `/api/v1/reward-situations` (`situations.rs`) and `/api/v1/stats/reports` (`figures.rs`).
//! Each handler extracts, calls one use case of `reports::usecases` in one `Db` call, and
//! maps the answer.
//!
//! Privacy: nothing here logs or stores the client address (it is used only as the key of the
//! in-memory rate limits), the receipt (only its argon2id hash is stored; public idempotency
//! records hold neither it nor the raw key) or the contact fields (sealed with the data key).

use utoipa_actix_web::service_config::ServiceConfig;

mod figures;
mod handling;
mod public;
mod rewards;
mod situations;

use figures::report_stats;
use handling::{
    assign_report, conclude_report, get_report, list_reports, open_identity, staff_message,
    start_report,
};
use public::{claim_reward, file_report, lookup_report, reporter_message};
use rewards::{create_rule, decide_reward, get_reward, list_rewards, list_rules, pay_reward};
use situations::{import_situations, list_situations};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(file_report)
        .service(lookup_report)
        .service(reporter_message)
        .service(claim_reward)
        .service(list_reports)
        .service(get_report)
        .service(assign_report)
        .service(start_report)
        .service(staff_message)
        .service(conclude_report)
        .service(open_identity)
        .service(decide_reward)
        .service(list_rewards)
        .service(get_reward)
        .service(pay_reward)
        .service(list_rules)
        .service(create_rule)
        .service(list_situations)
        .service(import_situations)
        .service(report_stats);
}
