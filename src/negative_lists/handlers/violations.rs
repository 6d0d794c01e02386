//! `/api/v1/violations`: recording, reading and correcting violation records.

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::auth::{Anyone, Auth, InspectorsOrEnterprise};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency;
use crate::http::ok;
use crate::http::pagination::Page;
use crate::ids::ViolationId;
use crate::negative_lists::usecases::violations::{
    self, CorrectRequest, Recording, ViolationQuery, ViolationRequest, ViolationView,
};
use crate::state::AppState;

/// Records a violation. The item must belong to the list version in force at `occurred_at`
/// (the one with the latest `effective_from` not after it; none in force is a 422 on
/// `item_code`); `occurred_at` cannot lie in the future; an `employee_ref` that is a resident ID
/// number is refused. `repeat` and `escalated` are computed from the employee's violations in
/// the 90 days up to `occurred_at`, and the later violations of that employee are re-flagged when
/// this one is recorded out of order. Enterprises record their own; inspectors for any
/// enterprise. Roles: admin, inspector, enterprise.
#[utoipa::path(
    tag = "violations",
    request_body = ViolationRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")),
    responses((status = 201, body = ViolationView), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector", "enterprise"]))
)]
#[post("/violations")]
pub async fn record_violation(
    auth: Auth<InspectorsOrEnterprise>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let (request, idem) =
        idempotency::parse_for_user::<ViolationRequest>(&req, auth.id, body).await?;
    let now = state.clock.now_naive();
    let recording = Recording::parse(auth.scope(), now, request)?;
    let actor = auth.actor();
    idem.create(&state.db, now, move |conn| {
        violations::record(conn, now, &actor, recording)
    })
    .await
}

/// Violation records, newest recorded first, filtered by enterprise, category, severity, local
/// dates of occurrence, corrected and repeat. An enterprise sees only its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "violations",
    params(ViolationQuery),
    responses((status = 200, body = Page<ViolationView>), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/violations")]
pub async fn list_violations(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    query: ApiQuery<ViolationQuery>,
) -> Result<HttpResponse, ApiError> {
    let (tz, scope) = (state.config.timezone, auth.scope());
    state
        .db
        .read_case(move |conn| violations::page(conn, tz, scope, query.0))
        .await
        .map(ok)
}

/// One violation record with its timeline; another enterprise's is 404.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "violations",
    params(("id" = i64, Path)),
    responses((status = 200, body = ViolationView), (status = 404, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/violations/{id}")]
pub async fn get_violation(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = ViolationId(id.into_inner());
    let scope = auth.scope();
    state
        .db
        .read_case(move |conn| violations::get(conn, scope, id))
        .await
        .map(ok)
}

/// Records that a violation was corrected. `corrected_at` is set once: a second time is 409.
/// Enterprises correct their own; inspectors any. Roles: admin, inspector, enterprise.
#[utoipa::path(
    tag = "violations",
    params(("id" = i64, Path)),
    request_body = CorrectRequest,
    responses((status = 200, body = ViolationView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector", "enterprise"]))
)]
#[post("/violations/{id}/correct")]
pub async fn correct_violation(
    auth: Auth<InspectorsOrEnterprise>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ViolationId(id.into_inner());
    let request: CorrectRequest = body.value().await?;
    let (actor, scope) = (auth.actor(), auth.scope());
    let now = state.clock.now_naive();
    state
        .db
        .write_case(move |conn| violations::correct(conn, now, &actor, scope, id, request))
        .await
        .map(ok)
}
