//! `/api/v1/stats/violations`: the violation figures.

use actix_web::{HttpResponse, get, web};

use crate::auth::{Anyone, Auth};
use crate::error::{ApiError, Problem};
use crate::http::extract::ApiQuery;
use crate::http::ok;
use crate::negative_lists::usecases::figures::{self, StatsQuery, ViolationStats};
use crate::state::AppState;

/// Violation figures for a period of local dates (both inclusive, either open), for the city,
/// an industry, a district or one enterprise, with a comparison period: `change_ratio` is
/// `(total − compare_total) / compare_total`. Counting happens in the database. Staff see any
/// scope; an enterprise gets its own figures. Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "violations",
    params(StatsQuery),
    responses((status = 200, body = ViolationStats), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/stats/violations")]
pub async fn violation_stats(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    query: ApiQuery<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let (tz, scope) = (state.config.timezone, auth.scope());
    state
        .db
        .read_case(move |conn| figures::violation_stats(conn, tz, scope, query.0))
        .await
        .map(ok)
}
