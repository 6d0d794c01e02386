//! `/api/v1/inspections`, `/hazards`, `/penalties` and `/orders` (SPEC 4), a file per record.
//! Each handler extracts, calls one use case of `super::usecases` in one transaction, and maps
//! the answer.

use utoipa_actix_web::service_config::ServiceConfig;

pub mod hazards;
pub mod inspections;
pub mod orders;
pub mod penalties;

pub use hazards::*;
pub use inspections::*;
pub use orders::*;
pub use penalties::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_inspection)
        .service(list_inspections)
        .service(get_inspection)
        .service(create_hazard)
        .service(list_hazards)
        .service(get_hazard)
        .service(rectify_hazard)
        .service(verify_hazard)
        .service(reject_hazard)
        .service(create_penalty)
        .service(pay_penalty)
        .service(list_penalties)
        .service(get_penalty)
        .service(create_order)
        .service(lift_order)
        .service(list_orders)
        .service(get_order);
}
