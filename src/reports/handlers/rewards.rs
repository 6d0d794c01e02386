//! Rewards and the reward rules: the decision, the list, the detail, the payment.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use crate::auth::{Admin, Auth};
use crate::error::{ApiError, Problem, Validator};
use crate::http::extract::{ApiQuery, JsonBody, parse_json};
use crate::http::idempotency::{self, Idempotent};
use crate::http::pagination::{Page, PageRequest};
use crate::reports::domain::{Category, ReportId, RewardId, RewardStatus};
use crate::reports::store::RewardFilter;
use crate::reports::usecases::rewards::{
    self as usecase, PayRequest, RewardDetail, RewardRequest, RewardView, RuleInput, RuleView,
};
use crate::state::AppState;

/// Decides the reward of a substantiated report by the rules in force when it was filed (or
/// the named situation's rule) → 201 with the amount and its breakdown. An amount other than
/// the computed one must lie within the rule's bounds and come with a reason of at least 10
/// characters. A report not substantiated, already rewarded, or without a rule is 409.
/// Roles: admin.
#[utoipa::path(tag = "rewards", params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "replays the first response")), request_body = RewardRequest, responses((status = 201, body = RewardView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[post("/reports/{id}/reward")]
pub async fn decide_reward(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = ReportId(id.into_inner());
    let actor = auth.actor();
    idempotency::create_once(
        &state,
        &req,
        auth.id,
        body,
        move |conn, now, input: RewardRequest| usecase::decide(conn, now, &actor, id, &input),
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RewardQuery {
    /// As readers see it (`lapsed` includes decided rewards past their deadline).
    pub status: Option<RewardStatus>,
    pub industry: Option<String>,
    /// Decided on or after.
    pub from: Option<NaiveDate>,
    /// Decided on or before.
    pub to: Option<NaiveDate>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists rewards, newest first; filters `status`, `industry`, `from`, `to` (decision dates).
/// Roles: admin.
#[utoipa::path(tag = "rewards", params(RewardQuery), responses((status = 200, body = Page<RewardView>), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[get("/rewards")]
pub async fn list_rewards(
    _auth: Auth<Admin>,
    state: web::Data<AppState>,
    query: ApiQuery<RewardQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let today = state.now().today;
    let filter = RewardFilter {
        status: q.status,
        industry: q.industry,
        from: q.from,
        to: q.to,
    };
    let page = state
        .db
        .read_case(move |conn| usecase::list(conn, today, &filter, page))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One reward with its timeline and, once claimed, the decrypted payee. A decided reward past
/// its deadline is written down as lapsed first. Roles: admin.
#[utoipa::path(tag = "rewards", params(("id" = i64, Path)), responses((status = 200, body = RewardDetail), (status = 404, body = Problem)), security(("bearer" = ["admin"])))]
#[get("/rewards/{id}")]
pub async fn get_reward(
    _auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = RewardId(id.into_inner());
    let now = state.now();
    let data_key = state.config.secrets.data_key;
    let detail = state
        .db
        .write_case(move |conn| usecase::detail(conn, now, &data_key, id))
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Records the payment of a `claimed` reward → 200; any other state is 409. Roles: admin.
#[utoipa::path(tag = "rewards", params(("id" = i64, Path)), request_body = PayRequest, responses((status = 200, body = RewardDetail), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[post("/rewards/{id}/pay")]
pub async fn pay_reward(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = RewardId(id.into_inner());
    let input: PayRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.now();
    let data_key = state.config.secrets.data_key;
    let detail = state
        .db
        .write_case(move |conn| usecase::pay(conn, now, &actor, &data_key, id, &input))
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RuleQuery {
    pub category: Option<Category>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists the reward rules, every version, newest first. Roles: admin.
#[utoipa::path(tag = "rewards", params(RuleQuery), responses((status = 200, body = Page<RuleView>), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[get("/reward-rules")]
pub async fn list_rules(
    _auth: Auth<Admin>,
    state: web::Data<AppState>,
    query: ApiQuery<RuleQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let category = q.category;
    let page = state
        .db
        .read_case(move |conn| usecase::list_rules(conn, category, page))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Adds a version of a category's reward rule, in force from `effective_from` (today or
/// later) for reports filed from that day; one version per category and date (409).
/// Roles: admin.
#[utoipa::path(tag = "rewards", request_body = RuleInput, params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")), responses((status = 201, body = RuleView), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = ["admin"])))]
#[post("/reward-rules")]
pub async fn create_rule(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse::<Value>().await?;
    // `flatten` and `deny_unknown_fields` do not mix in serde: check the names by hand.
    if let Some(obj) = body.value.as_object() {
        const KNOWN: &[&str] = &[
            "category",
            "kind",
            "amount_fen",
            "rate",
            "per_death_general_fen",
            "per_death_larger_fen",
            "per_death_major_fen",
            "per_death_especially_major_fen",
            "floor_fen",
            "cap_fen",
            "uplift_rate",
            "effective_from",
        ];
        let mut v = Validator::new();
        for k in obj.keys().filter(|k| !KNOWN.contains(&k.as_str())) {
            v.add(k.clone(), "unknown_field", "is not a field of this request");
        }
        v.finish()?;
    }
    let input: RuleInput = parse_json(&body.bytes)?;
    let idem = Idempotent::for_user(&req, auth.id, &body.bytes)?;
    let actor = auth.actor();
    let now = state.now();
    idem.create(&state.db, now.at, move |conn| {
        usecase::create_rule(conn, now, &actor, &input)
    })
    .await
}
