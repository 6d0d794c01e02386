//! `/api/v1/stats/inspections`: the figures of the city's yearly report.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Auth, Staff};
use crate::campaigns::stats::InspectionStats;
use crate::campaigns::usecases::figures::{self, Period};
use crate::error::{ApiError, Problem};
use crate::http::extract::ApiQuery;
use crate::http::ok;
use crate::ids::CampaignId;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Count everything of this campaign (then `from`/`to` must be absent).
    pub campaign_id: Option<i64>,
    /// Inclusive local date, on each record's own date.
    pub from: Option<NaiveDate>,
    /// Inclusive local date, on each record's own date.
    pub to: Option<NaiveDate>,
}

/// The figures of the yearly report (groups, inspectors, inspections, enterprises inspected,
/// stationing, hazards found/rectified/verified/overdue, penalties and fines, orders, tasks),
/// by campaign or by date range, also by district and by industry. Counted in the database.
/// Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "stats", params(StatsQuery), responses((status = 200, body = InspectionStats), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/stats/inspections")]
pub async fn inspection_stats(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    query: ApiQuery<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let period = Period {
        campaign_id: q.campaign_id.map(CampaignId),
        from: q.from,
        to: q.to,
    };
    let today = state.now().today;
    state
        .db
        .read_case(move |conn| figures::inspections(conn, today, period))
        .await
        .map(ok)
}
