//! `/api/v1/users` (admin only).

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::accounts;
pub use super::accounts::{CreateUserRequest, UpdateUserRequest, UserView};
use crate::auth::{Admin, Auth, password};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::Idempotent;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::UserId;
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(update_user);
}

/// Creates an account. `enterprise_id` is required for, and only for, role `enterprise`; the
/// password must be at least 12 characters and must not contain the username.
/// Roles: admin.
#[utoipa::path(
    tag = "users",
    request_body = CreateUserRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")),
    responses((status = 201, body = UserView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[post("/users")]
pub async fn create_user(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse::<CreateUserRequest>().await?;
    let idem = Idempotent::for_user(&req, auth.id, &body.bytes)?;
    let user = accounts::validate_new_user(&body.value)?;
    let hash = password::hash_blocking(body.value.password.clone()).await?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    idem.create(&state.db, now, move |conn| {
        accounts::create(conn, now, &actor, &user, &hash)
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// 1–200, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists accounts, newest first. Roles: admin.
#[utoipa::path(tag = "users", params(ListQuery), responses((status = 200, body = Page<UserView>)), security(("bearer" = ["admin"])))]
#[get("/users")]
pub async fn list_users(
    _auth: Auth<Admin>,
    state: web::Data<AppState>,
    query: ApiQuery<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::parse(query.0.limit, query.0.cursor.as_deref())?;
    let page = state
        .db
        .read_case(move |conn| accounts::list(conn, page))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One account. Roles: admin.
#[utoipa::path(tag = "users", params(("id" = i64, Path)), responses((status = 200, body = UserView), (status = 404, body = Problem)), security(("bearer" = ["admin"])))]
#[get("/users/{id}")]
pub async fn get_user(
    _auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId(id.into_inner());
    let view = state
        .db
        .read_case(move |conn| accounts::get(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Changes an account. Moving a user to another role clears its enterprise; changing the
/// password, role, enterprise or disabled flag ends every session the user has (the token
/// version moves on). The last enabled admin cannot be disabled or demoted (409).
/// Roles: admin.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path)),
    request_body = UpdateUserRequest,
    responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = UserId(id.into_inner());
    let patch: UpdateUserRequest = body.value().await?;
    let display_name = accounts::check_patch(&patch)?;
    // The policy needs the username, so a new password is checked after a read, then hashed
    // off the database connection.
    let password_hash = match patch.password.clone() {
        Some(p) => {
            let candidate = p.clone();
            state
                .db
                .read_case(move |conn| accounts::check_new_password(conn, id, &candidate))
                .await?;
            Some(password::hash_blocking(p).await?)
        }
        None => None,
    };
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let view = state
        .db
        .write(move |conn| {
            Ok(accounts::update(
                conn,
                now,
                &actor,
                id,
                &patch,
                display_name,
                password_hash,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
