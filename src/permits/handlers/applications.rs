//! `/api/v1/applications`: an enterprise's applications and a reviewer's decision.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{act, count_decision, moment};
use crate::actor::Scope;
use crate::auth::{Anyone, Auth, Caller, EnterpriseOnly, Reviewers};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::{self, Idempotent};
use crate::http::pagination::{Page, PageRequest};
use crate::ids::ApplicationId;
use crate::permits::applications::{self, ApplicationQuery};
use crate::permits::lifecycle::{self, CreateApplicationRequest};
use crate::permits::review::{self, DecisionRequest};
use crate::permits::types::TypeCache;
use crate::permits::views::ApplicationView;
use crate::state::AppState;

/// Starts an application for the caller's enterprise. Nothing the system holds is asked: the
/// enterprise's data come from its record. A present but invalid value (wrong type, broken
/// constraint, bad CAS or certificate number, unknown field) is a 422 naming each field. With
/// `submit: true` it is submitted in the same call (every missing required field is a 422, and
/// nothing is created), and an instant item answers with its decision, every rule's result and,
/// when approved, the certificate. Roles: enterprise.
#[utoipa::path(
    tag = "permits",
    request_body = CreateApplicationRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")),
    responses((status = 201, body = ApplicationView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["enterprise"]))
)]
#[post("/applications")]
pub async fn create_application(
    caller: Caller<EnterpriseOnly>,
    state: web::Data<AppState>,
    types: web::Data<TypeCache>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse::<CreateApplicationRequest>().await?;
    let idem = Idempotent::new(
        &req,
        format!("user:{}", caller.unconfirmed_user_id()),
        &body.bytes,
    )?;
    let input = body.value;
    let at = moment(&state);
    let (now, today) = (at.now, at.today);
    let types = types.into_inner();
    // The reads first, outside the write transaction (`lifecycle::open`); the write
    // transaction holds only the writes and the reads of what an approval itself changes.
    let (result, decided) = state
        .db
        .read_then_write(
            move |conn| Ok(lifecycle::open(conn, &types, today, now, &caller, input)?),
            move |conn, opened| {
                let mut decided = None;
                let result = idem.run(conn, now, |conn| {
                    let view = lifecycle::file(conn, now, today, &at.signing_key, opened)?;
                    decided = Some(view.status);
                    Ok((StatusCode::CREATED, to_json(&view)?))
                })?;
                Ok((result, decided))
            },
        )
        .await?;
    count_decision(&state, decided);
    Ok(idempotency::respond(result))
}

/// The caller's own enterprise, whose applications it may change (an enterprise account
/// without one may change none: 403).
fn own(auth: &Auth<EnterpriseOnly>) -> Result<Scope, ApiError> {
    Ok(Scope::Enterprise(
        auth.enterprise_id.ok_or(ApiError::Forbidden)?,
    ))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

/// Lists applications, newest first. Staff see all, an enterprise its own. `overdue=true`
/// finds applications under review past their `due_on`. Roles: admin, reviewer, inspector,
/// enterprise.
#[utoipa::path(
    tag = "permits",
    params(ApplicationQuery),
    responses((status = 200, body = Page<ApplicationView>), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/applications")]
pub async fn list_applications(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    query: ApiQuery<ApplicationQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let today = state.clock.today(state.config.timezone);
    let tz = state.config.timezone;
    let scope = auth.scope();
    let page = state
        .db
        .read_case(move |conn| applications::list(conn, today, tz, scope, &q, page))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One application with its rule results, its certificate and its timeline. Staff read any;
/// an enterprise only its own (another's is 404). Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/applications/{id}")]
pub async fn get_application(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = ApplicationId(id.into_inner());
    let scope = auth.scope();
    let today = state.clock.today(state.config.timezone);
    let view = state
        .db
        .read_case(move |conn| applications::get(conn, today, scope, id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormRequest {
    #[schema(value_type = Object)]
    pub form: Value,
}

/// Replaces a draft's form (a submitted form never changes: 409 `invalid_transition`).
/// Invalid values are a 422 at once. Roles: enterprise.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    request_body = FormRequest,
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["enterprise"]))
)]
#[put("/applications/{id}/form")]
pub async fn update_application_form(
    auth: Auth<EnterpriseOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ApplicationId(id.into_inner());
    let scope = own(&auth)?;
    let input: FormRequest = body.value().await?;
    let view = act(&state, auth.actor(), move |conn, ctx| {
        lifecycle::update_form(conn, ctx, scope, id, &input.form)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The commitment statement (告知承诺); without it the `commitment_accepted` rule fails.
    #[serde(default)]
    pub commitment_accepted: bool,
}

/// Submits a draft. Every missing required field is a 422 and nothing changes. The rules run
/// over the enterprise's own records and are stored; an instant item answers with its final
/// state (approved with its certificate, rejected, filed, or referred to review). Of two
/// concurrent submissions one wins and the other gets 409. Roles: enterprise.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    request_body = SubmitRequest,
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["enterprise"]))
)]
#[post("/applications/{id}/submit")]
pub async fn submit_application(
    auth: Auth<EnterpriseOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ApplicationId(id.into_inner());
    let scope = own(&auth)?;
    let input: SubmitRequest = body.value().await?;
    let view = act(&state, auth.actor(), move |conn, ctx| {
        lifecycle::submit(conn, ctx, scope, id, input.commitment_accepted)
    })
    .await?;
    count_decision(&state, Some(view.status));
    Ok(HttpResponse::Ok().json(view))
}

/// Withdraws a draft or an application under review. Roles: enterprise.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = ["enterprise"]))
)]
#[post("/applications/{id}/withdraw")]
pub async fn withdraw_application(
    auth: Auth<EnterpriseOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = ApplicationId(id.into_inner());
    let scope = own(&auth)?;
    let view = act(&state, auth.actor(), move |conn, ctx| {
        lifecycle::withdraw(conn, ctx, scope, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A reviewer approves or rejects an application under review, with a written reason (at
/// least 10 characters) that goes into the audit trail. Approval issues the certificate. Only
/// the review path: any other state is 409 `invalid_transition`; of two concurrent decisions
/// one wins. Roles: admin, reviewer.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    request_body = DecisionRequest,
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer"]))
)]
#[post("/applications/{id}/decision")]
pub async fn decide_application(
    auth: Auth<Reviewers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ApplicationId(id.into_inner());
    let input: DecisionRequest = body.value().await?;
    let view = act(&state, auth.actor(), move |conn, ctx| {
        review::decide(conn, ctx, id, &input)
    })
    .await?;
    count_decision(&state, Some(view.status));
    Ok(HttpResponse::Ok().json(view))
}
