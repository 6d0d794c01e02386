//! `/api/v1/negative-lists` and `/api/v1/enterprises/{id}/negative-list`: an enterprise's
//! versions, its draft and its current version.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};

use crate::auth::{Anyone, Auth, EnterpriseOnly};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency;
use crate::http::ok;
use crate::http::pagination::Page;
use crate::ids::{EnterpriseId, NegativeListId};
use crate::negative_lists::usecases::lists::{
    self, CreateListRequest, ListQuery, ListView, PublishRequest,
};
use crate::negative_lists::usecases::templates::ItemsRequest;
use crate::state::AppState;

/// Starts a draft version of the caller's negative list: empty, a copy of its current version,
/// or a copy of its industry's template (422 on `from` when there is nothing to copy). An
/// enterprise has at most one draft: a second is 409. Roles: enterprise.
#[utoipa::path(
    tag = "negative-lists",
    request_body = CreateListRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")),
    responses((status = 201, body = ListView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["enterprise"]))
)]
#[post("/negative-lists")]
pub async fn create_list(
    auth: Auth<EnterpriseOnly>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let (request, idem) =
        idempotency::parse_for_user::<CreateListRequest>(&req, auth.id, body).await?;
    let from = request.from;
    let enterprise = auth
        .enterprise_id
        .ok_or_else(|| ApiError::internal("an enterprise account without an enterprise"))?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    idem.create(&state.db, now, move |conn| {
        lists::create(conn, now, &actor, enterprise, from)
    })
    .await
}

/// Replaces all items of a draft (codes unique within the version; 422 otherwise). A
/// published version never changes: 409. Roles: enterprise.
#[utoipa::path(
    tag = "negative-lists",
    params(("id" = i64, Path)),
    request_body = ItemsRequest,
    responses((status = 200, body = ListView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["enterprise"]))
)]
#[put("/negative-lists/{id}/items")]
pub async fn replace_items(
    auth: Auth<EnterpriseOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = NegativeListId(id.into_inner());
    let request: ItemsRequest = body.value().await?;
    let (actor, scope) = (auth.actor(), auth.scope());
    let now = state.clock.now_naive();
    state
        .db
        .write_case(move |conn| lists::replace_items(conn, now, &actor, scope, id, request))
        .await
        .map(ok)
}

/// Publishes a draft: it becomes the current version and the previous one is superseded. An
/// empty draft cannot be published (422 on `items`); `effective_from` must not be in the future
/// and must be strictly later than the previous version's (422). Publishing is a
/// compare-and-set: of two concurrent publications one wins, the other gets 409.
/// Roles: enterprise.
#[utoipa::path(
    tag = "negative-lists",
    params(("id" = i64, Path)),
    request_body = PublishRequest,
    responses((status = 200, body = ListView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["enterprise"]))
)]
#[post("/negative-lists/{id}/publish")]
pub async fn publish_list(
    auth: Auth<EnterpriseOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = NegativeListId(id.into_inner());
    let request: PublishRequest = body.value().await?;
    let (actor, scope) = (auth.actor(), auth.scope());
    let now = state.clock.now_naive();
    state
        .db
        .write_case(move |conn| lists::publish(conn, now, &actor, scope, id, request))
        .await
        .map(ok)
}

/// Discards a draft (its items go with it). A published version cannot be discarded: 409.
/// Roles: enterprise.
#[utoipa::path(
    tag = "negative-lists",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = ["enterprise"]))
)]
#[delete("/negative-lists/{id}")]
pub async fn discard_list(
    auth: Auth<EnterpriseOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = NegativeListId(id.into_inner());
    let (actor, scope) = (auth.actor(), auth.scope());
    let now = state.clock.now_naive();
    state
        .db
        .write_case(move |conn| lists::discard(conn, now, &actor, scope, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Negative-list versions, newest first. Staff see every enterprise's (filter `enterprise_id`);
/// an enterprise sees only its own. Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "negative-lists",
    params(ListQuery),
    responses((status = 200, body = Page<ListView>), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/negative-lists")]
pub async fn list_lists(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    query: ApiQuery<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = auth.scope();
    state
        .db
        .read_case(move |conn| lists::page(conn, scope, query.0))
        .await
        .map(ok)
}

/// One version with its items and timeline; another enterprise's is 404.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "negative-lists",
    params(("id" = i64, Path)),
    responses((status = 200, body = ListView), (status = 404, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/negative-lists/{id}")]
pub async fn get_list(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = NegativeListId(id.into_inner());
    let scope = auth.scope();
    state
        .db
        .read_case(move |conn| lists::get(conn, scope, id))
        .await
        .map(ok)
}

/// The enterprise's current version with its items and timeline (404 when none is published,
/// or when it is another enterprise's). Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "negative-lists",
    params(("id" = i64, Path, description = "the enterprise")),
    responses((status = 200, body = ListView), (status = 404, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/enterprises/{id}/negative-list")]
pub async fn current_list(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let enterprise = EnterpriseId(id.into_inner());
    let scope = auth.scope();
    state
        .db
        .read_case(move |conn| lists::current(conn, scope, enterprise))
        .await
        .map(ok)
}
