//! `/api/v1/orders`: suspension orders, their lifting (复工), list and read them.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Anyone, Auth, Inspectors};
use crate::campaigns::handlers::IDEMPOTENCY;
use crate::enforcement::store::OrderFilter;
use crate::enforcement::usecases::orders::{self, CreateOrderRequest, LiftRequest, OrderView};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::create_once;
use crate::http::ok;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{CampaignId, EnterpriseId, OrderId};
use crate::state::AppState;

/// Orders an enterprise to suspend production or stop construction (责令停产整顿/停止施工): the
/// enterprise becomes `suspended` in the same transaction (a closed enterprise is 409).
/// Roles: admin, inspector.
#[utoipa::path(
    tag = "orders",
    request_body = CreateOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY)),
    responses((status = 201, body = OrderView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector"]))
)]
#[post("/orders")]
pub async fn create_order(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.actor();
    let user = auth.id;
    create_once(
        &state,
        &req,
        auth.id,
        body,
        move |conn, now, input: CreateOrderRequest| orders::create(conn, now, &actor, user, &input),
    )
    .await
}

/// Lifts an order (复工). Refused with 409 while any major hazard of the enterprise is not yet
/// verified; the problem lists them in `open_major_hazards`. The enterprise returns to
/// `operating` when no other order is in force (a closed enterprise stays closed).
/// Roles: admin, inspector.
#[utoipa::path(
    tag = "orders",
    params(("id" = i64, Path)),
    request_body = LiftRequest,
    responses((status = 200, body = OrderView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "inspector"]))
)]
#[post("/orders/{id}/lift")]
pub async fn lift_order(
    auth: Auth<Inspectors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = OrderId(id.into_inner());
    let input: LiftRequest = body.value().await?;
    let (actor, now) = (auth.actor(), state.now());
    state
        .db
        .write_case(move |conn| orders::lift(conn, now, &actor, id, &input))
        .await
        .map(ok)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    pub enterprise_id: Option<i64>,
    pub campaign_id: Option<i64>,
    /// `true`: issued and not lifted.
    pub in_force: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists orders, newest first; an enterprise user sees only its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "orders", params(OrderQuery), responses((status = 200, body = Page<OrderView>), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/orders")]
pub async fn list_orders(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    query: ApiQuery<OrderQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let scope = auth.scope();
    let filter = OrderFilter {
        enterprise_id: q.enterprise_id.map(EnterpriseId),
        scope: None,
        campaign_id: q.campaign_id.map(CampaignId),
        in_force: q.in_force,
    };
    state
        .db
        .read_case(move |conn| orders::list(conn, scope, filter, page))
        .await
        .map(ok)
}

/// One order with its timeline; an enterprise user reads only its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "orders", params(("id" = i64, Path)), responses((status = 200, body = OrderView), (status = 404, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/orders/{id}")]
pub async fn get_order(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = OrderId(id.into_inner());
    let scope = auth.scope();
    state
        .db
        .read_case(move |conn| orders::get(conn, scope, id))
        .await
        .map(ok)
}
