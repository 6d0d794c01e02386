//! `/api/v1/permit-types`, `/api/v1/applications`, `/api/v1/certificates`,
//! `/api/v1/public/certificate*` and `/api/v1/stats/permits`: a file per sub-resource. Each
//! handler extracts, calls one use case in one database call, and answers.

use chrono::{NaiveDate, NaiveDateTime};
use ed25519_dalek::SigningKey;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::actor::Actor;
use crate::clock::Now;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::permits::PermitError;
use crate::permits::context::Ctx;
use crate::permits::domain::ApplicationStatus;
use crate::state::AppState;

pub mod applications;
pub mod certificates;
pub mod figures;
pub mod types;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(types::list_permit_types)
        .service(types::update_permit_type)
        .service(applications::create_application)
        .service(applications::list_applications)
        .service(applications::get_application)
        .service(applications::update_application_form)
        .service(applications::submit_application)
        .service(applications::withdraw_application)
        .service(applications::decide_application)
        .service(certificates::list_certificates)
        .service(certificates::get_certificate)
        .service(certificates::revoke_certificate)
        .service(certificates::certificate_key)
        .service(certificates::verify_certificate)
        .service(figures::permit_stats);
}

/// The moment a request acts at, and the key its certificates are signed with.
struct Moment {
    now: NaiveDateTime,
    /// The city's local date.
    today: NaiveDate,
    signing_key: SigningKey,
}

fn moment(state: &AppState) -> Moment {
    let Now { at, today } = state.now();
    Moment {
        now: at,
        today,
        signing_key: state.config.secrets.signing_key.clone(),
    }
}

impl Moment {
    /// What a use case needs to act: `actor`, now.
    fn ctx<'a>(&'a self, actor: &'a Actor) -> Ctx<'a> {
        Ctx {
            actor,
            now: self.now,
            today: self.today,
            signing_key: &self.signing_key,
        }
    }
}

/// Runs one write use case as `actor`, now, in one write transaction.
async fn act<T: Send + 'static>(
    state: &AppState,
    actor: Actor,
    use_case: impl FnOnce(&mut DbConn, &Ctx<'_>) -> Result<T, PermitError> + Send + 'static,
) -> Result<T, ApiError> {
    let at = moment(state);
    state
        .db
        .write_case(move |conn| use_case(conn, &at.ctx(&actor)))
        .await
}

/// Records the decision metric once the transaction has committed.
fn count_decision(state: &AppState, status: Option<ApplicationStatus>) {
    if let Some(s) = status.filter(|s| *s != ApplicationStatus::Draft) {
        state.metrics.domain_event("permit_decision", s.as_str());
    }
}
