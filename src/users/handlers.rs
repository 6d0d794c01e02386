//! `/api/v1/users` (admin only).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain::{Username, check_role_binding};
use super::store::{self, NewUser, UserChanges, UserRow};
use crate::audit::{self, Actor};
use crate::auth::{Admin, Auth, Role, password};
use crate::enterprises::store as enterprise_store;
use crate::error::{ApiError, Problem, Validator};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::{self, Idempotent};
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{EnterpriseId, UserId};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(update_user);
}

/// An account as admins see it (never the password hash).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    pub enterprise_id: Option<EnterpriseId>,
    pub display_name: String,
    pub disabled: bool,
    #[serde(
        serialize_with = "crate::clock::utc::serialize",
        skip_deserializing,
        default = "epoch"
    )]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(
        serialize_with = "crate::clock::utc::serialize",
        skip_deserializing,
        default = "epoch"
    )]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

fn epoch() -> NaiveDateTime {
    NaiveDateTime::default()
}

impl TryFrom<UserRow> for UserView {
    type Error = ApiError;
    fn try_from(row: UserRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: UserId(row.id),
            role: Role::parse(&row.role)
                .ok_or_else(|| ApiError::internal("unknown role stored"))?,
            username: row.username,
            enterprise_id: row.enterprise_id.map(EnterpriseId),
            display_name: row.display_name,
            disabled: row.disabled,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub enterprise_id: Option<i64>,
    pub display_name: String,
}

/// Everything an account needs before it is written: checked input and the password's hash.
pub struct ValidUser {
    pub username: Username,
    pub role: Role,
    pub enterprise_id: Option<i64>,
    pub display_name: String,
}

/// Checks a new account's fields, naming every bad one.
pub fn validate_new_user(req: &CreateUserRequest) -> Result<ValidUser, ApiError> {
    let mut v = Validator::new();
    let username = v.check("username", "invalid", Username::parse(&req.username));
    if let Err(message) = password::check_policy(&req.username, &req.password) {
        v.add("password", "weak_password", message);
    }
    let display_name = v.text("display_name", &req.display_name, 1, 100);
    if let Err(message) = check_role_binding(req.role, req.enterprise_id) {
        v.add("enterprise_id", "invalid", message);
    }
    v.finish()?;
    match (username, display_name) {
        (Some(username), Some(display_name)) => Ok(ValidUser {
            username,
            role: req.role,
            enterprise_id: req.enterprise_id,
            display_name,
        }),
        _ => Err(ApiError::internal("validator passed without values")),
    }
}

/// A named enterprise must exist (422 on `enterprise_id` otherwise).
fn ensure_enterprise(
    conn: &mut crate::db::DbConn,
    enterprise_id: Option<i64>,
) -> Result<(), ApiError> {
    match enterprise_id {
        Some(ent) if enterprise_store::find(conn, EnterpriseId(ent))?.is_none() => Err(
            ApiError::field("enterprise_id", "not_found", "names no enterprise"),
        ),
        _ => Ok(()),
    }
}

/// Writes a checked account and its `created` audit event; the enterprise must exist.
pub fn create_in_tx(
    conn: &mut crate::db::DbConn,
    user: &ValidUser,
    password_hash: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<UserRow, ApiError> {
    ensure_enterprise(conn, user.enterprise_id)?;
    let row = store::insert(
        conn,
        &NewUser {
            username: user.username.as_str(),
            password_hash,
            role: user.role.as_str(),
            enterprise_id: user.enterprise_id,
            display_name: &user.display_name,
            disabled: false,
            token_version: 1,
            created_at: now,
            updated_at: now,
        },
    )?;
    audit::store::append_first(
        conn,
        "user",
        &row.id.to_string(),
        "created",
        actor,
        json!({"username": row.username, "role": row.role, "enterprise_id": row.enterprise_id, "display_name": row.display_name}),
        now,
    )?;
    Ok(row)
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
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let user = validate_new_user(&body.value)?;
    let hash = password::hash_blocking(body.value.password.clone()).await?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let result = state
        .db
        .write(move |conn| {
            idem.run(conn, now, |conn| {
                let row = create_in_tx(conn, &user, &hash, &actor, now)?;
                Ok((
                    StatusCode::CREATED,
                    serde_json::to_value(UserView::try_from(row)?).map_err(ApiError::internal)?,
                ))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, IntoParams)]
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
    let rows = state
        .db
        .run(move |conn| store::list(conn, page.before_id, page.fetch()))
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(UserView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
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
    let row = state
        .db
        .run(move |conn| store::find(conn, id))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(UserView::try_from(row)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::http::extract::double_option")]
    #[schema(value_type = Option<i64>)]
    pub enterprise_id: Option<Option<i64>>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
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
    let mut v = Validator::new();
    let display_name = patch
        .display_name
        .as_deref()
        .and_then(|d| v.text("display_name", d, 1, 100));
    v.finish()?;
    let hash = patch.password.clone();
    // The policy needs the username, so the password is checked against it after the read.
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let current = state
        .db
        .run(move |conn| store::find(conn, id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let password_hash = match hash {
        Some(p) => {
            password::check_policy(&current.username, &p)
                .map_err(|m| ApiError::field("password", "weak_password", m))?;
            Some(password::hash_blocking(p).await?)
        }
        None => None,
    };
    let row = state
        .db
        .write(move |conn| {
            let current = store::find(conn, id)?.ok_or(ApiError::NotFound)?;
            let old_role = Role::parse(&current.role)
                .ok_or_else(|| ApiError::internal("unknown role stored"))?;
            let role = patch.role.unwrap_or(old_role);
            let enterprise_id = match patch.enterprise_id {
                Some(value) => value,
                None if role != old_role => None,
                None => current.enterprise_id,
            };
            check_role_binding(role, enterprise_id)
                .map_err(|m| ApiError::field("enterprise_id", "invalid", m))?;
            ensure_enterprise(
                conn,
                enterprise_id.filter(|e| Some(*e) != current.enterprise_id),
            )?;
            let disabled = patch.disabled.unwrap_or(current.disabled);
            let loses_admin =
                old_role == Role::Admin && !current.disabled && (role != Role::Admin || disabled);
            if loses_admin && store::other_enabled_admins(conn, id)? == 0 {
                return Err(ApiError::Conflict(
                    "the last enabled admin cannot be disabled or demoted".into(),
                ));
            }
            let ends_sessions = role != old_role
                || enterprise_id != current.enterprise_id
                || disabled != current.disabled
                || password_hash.is_some();
            let changes = UserChanges {
                display_name: display_name.clone(),
                role: (role != old_role).then(|| role.as_str().to_owned()),
                enterprise_id: (enterprise_id != current.enterprise_id).then_some(enterprise_id),
                disabled: (disabled != current.disabled).then_some(disabled),
                password_hash: password_hash.clone(),
                token_version: ends_sessions.then_some(current.token_version + 1),
                updated_at: Some(now),
            };
            let row = store::update_if_unchanged(conn, id, current.updated_at, &changes)?;
            audit::store::append(
                conn,
                "user",
                &id.to_string(),
                "updated",
                &actor,
                json!({
                    "display_name": changes.display_name,
                    "role": changes.role,
                    "enterprise_id": changes.enterprise_id,
                    "disabled": changes.disabled,
                    "password_changed": password_hash.is_some(),
                    "sessions_ended": ends_sessions,
                }),
                now,
            )?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(UserView::try_from(row)?))
}
