//! The report and reward figures.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Auth, Staff};
use crate::error::{ApiError, Problem};
use crate::http::extract::ApiQuery;
use crate::reports::usecases::figures::{self as usecase, ReportStats};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First local date (inclusive).
    pub from: Option<NaiveDate>,
    /// Last local date (inclusive).
    pub to: Option<NaiveDate>,
}

/// The report and reward figures of SPEC 5.3 for a period (inclusive local dates): reports
/// received, concluded and substantiated by category, industry and district (by filing date);
/// the median days to conclusion; rewards decided and paid, count and sum, by industry; and
/// the catalogue's situations per industry. Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "reports", params(StatsQuery), responses((status = 200, body = ReportStats), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/stats/reports")]
pub async fn report_stats(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    query: ApiQuery<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let (from, to) = (q.from, q.to);
    let stats = state
        .db
        .read_case(move |conn| usecase::report_stats(conn, from, to))
        .await?;
    Ok(HttpResponse::Ok().json(stats))
}
