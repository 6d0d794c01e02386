//! `/api/v1/stats/permits`.

use actix_web::{HttpResponse, get, web};

use crate::auth::{Auth, Staff};
use crate::error::{ApiError, Problem};
use crate::http::extract::ApiQuery;
use crate::permits::figures::{self, PermitStats, StatsQuery};
use crate::state::AppState;

/// Permit figures for a period of local dates: per permit type the outcomes of the
/// applications submitted in it, the share decided instantly, median and 90th-percentile
/// time from submission to decision (instant and review apart); reviews open and overdue and
/// certificates active and expiring within 90 days as of today; certificates issued in the
/// period. Roles: admin, reviewer, inspector.
#[utoipa::path(
    tag = "permits",
    params(StatsQuery),
    responses((status = 200, body = PermitStats), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector"]))
)]
#[get("/stats/permits")]
pub async fn permit_stats(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    query: ApiQuery<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today(state.config.timezone);
    let tz = state.config.timezone;
    let q = query.0;
    let stats = state
        .db
        .read_case(move |conn| figures::permit_stats(conn, today, tz, &q))
        .await?;
    Ok(HttpResponse::Ok().json(stats))
}
