//! The negative lists' JSON API, a file per sub-resource: `/api/v1/negative-list-templates`
//! ([`templates`]), `/api/v1/negative-lists` and `/api/v1/enterprises/{id}/negative-list`
//! ([`lists`]), `/api/v1/violations` ([`violations`]) and `/api/v1/stats/violations`
//! ([`figures`]). Each handler extracts, calls one use case of [`super::usecases`] in one
//! database section, and maps the answer to HTTP.

mod figures;
mod lists;
mod templates;
mod violations;

use utoipa_actix_web::service_config::ServiceConfig;

pub use figures::*;
pub use lists::*;
pub use templates::*;
pub use violations::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_templates)
        .service(get_template)
        .service(replace_template)
        .service(create_list)
        .service(replace_items)
        .service(publish_list)
        .service(discard_list)
        .service(list_lists)
        .service(get_list)
        .service(current_list)
        .service(record_violation)
        .service(list_violations)
        .service(get_violation)
        .service(correct_violation)
        .service(violation_stats);
}
