//! `/api/v1/campaigns`, `/tasks`, `/inspection-groups` and `/stats/inspections` (SPEC 4), a
//! file per sub-resource. Each handler extracts, calls one use case of `super::usecases` in
//! one transaction, and maps the answer. The enforcement records' routes are in
//! `crate::enforcement::handlers`.

use utoipa_actix_web::service_config::ServiceConfig;

pub mod campaigns;
pub mod figures;
pub mod groups;
pub mod tasks;

pub use campaigns::*;
pub use figures::*;
pub use groups::*;
pub use tasks::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_campaign)
        .service(list_campaigns)
        .service(get_campaign)
        .service(update_campaign)
        .service(create_task)
        .service(list_tasks)
        .service(update_task)
        .service(create_group)
        .service(list_groups)
        .service(get_group)
        .service(create_stationing)
        .service(list_stationings)
        .service(inspection_stats);
}

pub(crate) const IDEMPOTENCY: &str = "replays the first response";
