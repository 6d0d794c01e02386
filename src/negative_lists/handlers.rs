//! `/api/v1/negative-list-templates`, `/api/v1/negative-lists`, `/api/v1/violations`,
//! `/api/v1/stats/violations` and `/api/v1/enterprises/{id}/negative-list`.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain::{
    self, Category, EmployeeRef, EmployeeRefError, Handling, Item, ItemInput, ListSource,
    ListStatus, Severity,
};
use super::store::{self, ItemRow, ListRow, NewList, NewViolation, ViolationRow};
use crate::audit::{self, Actor, TimelineEntry};
use crate::auth::{Admin, Anyone, Auth, CurrentUser, EnterpriseOnly, InspectorsOrEnterprise};
use crate::db::DbConn;
use crate::error::{ApiError, Problem, Validator};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::{self, Idempotent};
use crate::http::pagination::{Page, PageRequest};
use crate::ids::EnterpriseId;
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_templates)
        .service(get_template)
        .service(replace_template)
        .service(create_list)
        .service(replace_items)
        .service(publish_list)
        .service(discard_list)
        .service(list_lists)
        .service(get_list)
        .service(current_list)
        .service(record_violation)
        .service(list_violations)
        .service(get_violation)
        .service(correct_violation)
        .service(violation_stats);
}

const LIST: &str = "negative_list";
const TEMPLATE: &str = "negative_list_template";
const VIOLATION: &str = "violation";

fn stored<T>(parsed: Option<T>) -> Result<T, ApiError> {
    parsed.ok_or_else(|| ApiError::internal("unknown enumeration value stored"))
}

fn item_view(r: ItemRow) -> Result<Item, ApiError> {
    Ok(Item {
        category: stored(Category::parse(&r.category))?,
        severity: stored(Severity::parse(&r.severity))?,
        suggested_handling: stored(Handling::parse(&r.suggested_handling))?,
        code: r.code,
        title: r.title,
        description: r.description,
    })
}

fn item_views(rows: Vec<ItemRow>) -> Result<Vec<Item>, ApiError> {
    rows.into_iter().map(item_view).collect()
}

fn item_rows(items: &[Item]) -> Vec<ItemRow> {
    items
        .iter()
        .enumerate()
        .map(|(i, it)| ItemRow {
            code: it.code.clone(),
            position: i as i32 + 1,
            category: it.category.as_str().to_owned(),
            title: it.title.clone(),
            description: it.description.clone(),
            severity: it.severity.as_str().to_owned(),
            suggested_handling: it.suggested_handling.as_str().to_owned(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Templates

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateSummary {
    pub industry: String,
    pub name: String,
    pub item_count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateIndex {
    pub items: Vec<TemplateSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub industry: String,
    pub items: Vec<Item>,
}

/// Every industry with the number of items of its negative-list template.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "negative-lists",
    responses((status = 200, body = TemplateIndex)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/negative-list-templates")]
pub async fn list_templates(
    _auth: Auth<Anyone>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let rows = state.db.run(store::template_counts).await?;
    let items = rows
        .into_iter()
        .map(|(industry, name, item_count)| TemplateSummary {
            industry,
            name,
            item_count,
        })
        .collect();
    Ok(HttpResponse::Ok().json(TemplateIndex { items }))
}

/// An industry's negative-list template, in order (404 for an unknown industry).
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "negative-lists",
    params(("industry" = String, Path, description = "an industry code")),
    responses((status = 200, body = TemplateView), (status = 404, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/negative-list-templates/{industry}")]
pub async fn get_template(
    _auth: Auth<Anyone>,
    state: web::Data<AppState>,
    industry: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let industry = industry.into_inner();
    let view = state
        .db
        .run(move |conn| {
            if !store::industry_exists(conn, &industry)? {
                return Err(ApiError::NotFound);
            }
            let items = item_views(store::template_items(conn, &industry)?)?;
            Ok(TemplateView { industry, items })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemsRequest {
    pub items: Vec<ItemInput>,
}

fn codes_payload(items: &[Item]) -> serde_json::Value {
    json!({
        "item_count": items.len(),
        "codes": items.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
    })
}

/// Replaces an industry's template with the items sent (item codes unique, at least one item;
/// 422 otherwise). Lists already copied from it do not change. Roles: admin.
#[utoipa::path(
    tag = "negative-lists",
    params(("industry" = String, Path, description = "an industry code")),
    request_body = ItemsRequest,
    responses((status = 200, body = TemplateView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[put("/negative-list-templates/{industry}")]
pub async fn replace_template(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    industry: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let industry = industry.into_inner();
    let request: ItemsRequest = body.value().await?;
    let mut v = Validator::new();
    let items = domain::validate_items(&request.items, &mut v);
    if items.is_empty() {
        v.add("items", "empty", "a template needs at least one item");
    }
    v.finish()?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let view = state
        .db
        .write(move |conn| {
            if !store::industry_exists(conn, &industry)? {
                return Err(ApiError::NotFound);
            }
            store::replace_template(conn, &industry, &items)?;
            audit::store::append(
                conn,
                TEMPLATE,
                &industry,
                "replaced",
                &actor,
                codes_payload(&items),
                now,
            )?;
            Ok(TemplateView { industry, items })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

// ---------------------------------------------------------------------------------------------
// Enterprise lists

#[derive(Debug, Serialize, ToSchema)]
pub struct ListView {
    pub id: i64,
    pub enterprise_id: EnterpriseId,
    pub version: i32,
    pub status: ListStatus,
    /// What the version was created from.
    pub source: ListSource,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<NaiveDateTime>,
    /// The instant from which this version governs violations.
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub effective_from: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub item_count: usize,
    /// The items, in order (single-record responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    /// The version's history (single-record responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

fn list_view(
    r: ListRow,
    item_count: usize,
    items: Option<Vec<Item>>,
    timeline: Option<Vec<TimelineEntry>>,
) -> Result<ListView, ApiError> {
    Ok(ListView {
        id: r.id,
        enterprise_id: EnterpriseId(r.enterprise_id),
        version: r.version,
        status: stored(ListStatus::parse(&r.status))?,
        source: stored(ListSource::parse(&r.source))?,
        published_at: r.published_at,
        effective_from: r.effective_from,
        created_at: r.created_at,
        updated_at: r.updated_at,
        item_count,
        items,
        timeline,
    })
}

/// A version with its items and timeline.
fn full_list(conn: &mut DbConn, r: ListRow) -> Result<ListView, ApiError> {
    let items = item_views(store::list_items(conn, r.id)?)?;
    let timeline = audit::store::timeline(conn, LIST, &r.id.to_string())?;
    list_view(r, items.len(), Some(items), Some(timeline))
}

/// The list `id` if the caller may see it (another enterprise's is 404).
fn visible_list(conn: &mut DbConn, user: &CurrentUser, id: i64) -> Result<ListRow, ApiError> {
    store::find_list(conn, id)?
        .filter(|r| user.can_see(EnterpriseId(r.enterprise_id)))
        .ok_or(ApiError::NotFound)
}

fn own_enterprise(user: &CurrentUser) -> Result<EnterpriseId, ApiError> {
    user.enterprise_id
        .ok_or_else(|| ApiError::internal("an enterprise account without an enterprise"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateListRequest {
    pub from: ListSource,
}

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
    let body = body.parse::<CreateListRequest>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let from = body.value.from;
    let enterprise = own_enterprise(&auth)?;
    let actor = auth.actor();
    let user_id = auth.id.0;
    let now = state.clock.now_naive();
    let result = state
        .db
        .write(move |conn| {
            idem.run(conn, now, |conn| {
                if store::draft_of(conn, enterprise)?.is_some() {
                    return Err(ApiError::Conflict(
                        "the enterprise already has a draft; edit, publish or discard it".into(),
                    ));
                }
                let items = match from {
                    ListSource::Empty => Vec::new(),
                    ListSource::Current => {
                        let current = store::current_of(conn, enterprise)?.ok_or_else(|| {
                            ApiError::field("from", "not_found", "no version has been published")
                        })?;
                        store::list_items(conn, current.id)?
                    }
                    ListSource::Template => {
                        let industry = crate::enterprises::store::find(conn, enterprise)?
                            .ok_or(ApiError::NotFound)?
                            .industry;
                        let items = store::template_items(conn, &industry)?;
                        if items.is_empty() {
                            return Err(ApiError::field(
                                "from",
                                "not_found",
                                format!("the industry {industry} has no template"),
                            ));
                        }
                        items
                    }
                };
                let version = store::next_version(conn, enterprise)?;
                let row = store::insert_list(
                    conn,
                    &NewList {
                        enterprise_id: enterprise.0,
                        version,
                        status: ListStatus::Draft.as_str(),
                        source: from.as_str(),
                        created_by: user_id,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                store::insert_items(conn, row.id, &items)?;
                audit::store::append_first(
                    conn,
                    LIST,
                    &row.id.to_string(),
                    "created",
                    &actor,
                    json!({"enterprise_id": enterprise.0, "version": version, "from": from.as_str(), "item_count": items.len()}),
                    now,
                )?;
                let view = full_list(conn, row)?;
                Ok((
                    StatusCode::CREATED,
                    serde_json::to_value(view).map_err(ApiError::internal)?,
                ))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

fn published_is_immutable() -> ApiError {
    ApiError::InvalidTransition("a published version never changes; start a new draft".into())
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
    let id = id.into_inner();
    let request: ItemsRequest = body.value().await?;
    let user = auth.user.clone();
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let view = state
        .db
        .write(move |conn| {
            let row = visible_list(conn, &user, id)?;
            if row.status != ListStatus::Draft.as_str() {
                return Err(published_is_immutable());
            }
            let mut v = Validator::new();
            let items = domain::validate_items(&request.items, &mut v);
            v.finish()?;
            if !store::touch_draft(conn, id, now)? {
                return Err(published_is_immutable());
            }
            store::delete_items(conn, id)?;
            store::insert_items(conn, id, &item_rows(&items))?;
            audit::store::append(
                conn,
                LIST,
                &id.to_string(),
                "items_replaced",
                &actor,
                codes_payload(&items),
                now,
            )?;
            let row = store::find_list(conn, id)?.ok_or(ApiError::NotFound)?;
            full_list(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// From when the version governs violations: defaults to now; earlier for records brought
    /// in from paper, never later than now and strictly later than the previous version's.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub effective_from: Option<DateTime<Utc>>,
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
    let id = id.into_inner();
    let request: PublishRequest = body.value().await?;
    let requested = request
        .effective_from
        .map(|t| t.trunc_subsecs(6).naive_utc());
    let user = auth.user.clone();
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let view = state
        .db
        .write(move |conn| {
            let row = visible_list(conn, &user, id)?;
            // Take the draft first: a concurrent publication waits here and then finds it gone.
            if row.status != ListStatus::Draft.as_str() || !store::touch_draft(conn, id, now)? {
                return Err(ApiError::InvalidTransition(
                    "only a draft can be published".into(),
                ));
            }
            if store::list_items(conn, id)?.is_empty() {
                return Err(ApiError::field(
                    "items",
                    "empty",
                    "an empty list cannot be published",
                ));
            }
            let enterprise = EnterpriseId(row.enterprise_id);
            let previous = store::current_of(conn, enterprise)?;
            let effective_from =
                domain::effective_from(requested, now, previous.as_ref().and_then(|p| p.effective_from))
                    .map_err(|e| ApiError::field("effective_from", "out_of_range", e.to_string()))?;
            if let Some(prev) = &previous {
                if !store::supersede(conn, prev.id, now)? {
                    return Err(ApiError::Conflict(
                        "the current version changed concurrently; reload and retry".into(),
                    ));
                }
                audit::store::append(
                    conn,
                    LIST,
                    &prev.id.to_string(),
                    "superseded",
                    &actor,
                    json!({"by_list_id": id, "by_version": row.version}),
                    now,
                )?;
            }
            let published = store::publish(conn, id, now, effective_from)?.ok_or_else(|| {
                ApiError::InvalidTransition("only a draft can be published".into())
            })?;
            audit::store::append(
                conn,
                LIST,
                &id.to_string(),
                "published",
                &actor,
                json!({"version": row.version, "effective_from": crate::clock::rfc3339(effective_from)}),
                now,
            )?;
            full_list(conn, published)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
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
    let id = id.into_inner();
    let user = auth.user.clone();
    let actor = auth.actor();
    let now = state.clock.now_naive();
    state
        .db
        .write(move |conn| {
            let row = visible_list(conn, &user, id)?;
            if row.status != ListStatus::Draft.as_str() || !store::delete_draft(conn, id, now)? {
                return Err(published_is_immutable());
            }
            audit::store::append(
                conn,
                LIST,
                &id.to_string(),
                "discarded",
                &actor,
                json!({"version": row.version}),
                now,
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub enterprise_id: Option<i64>,
    pub status: Option<ListStatus>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
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
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let wanted = q.enterprise_id.map(EnterpriseId);
    let scope = auth.enterprise_scope();
    if let (Some(own), Some(w)) = (scope, wanted)
        && own != w
    {
        return Ok(HttpResponse::Ok().json(Page::<ListView> {
            items: Vec::new(),
            next_cursor: None,
        }));
    }
    let enterprise = scope.or(wanted);
    let status = q.status.map(|s| s.as_str());
    let (rows, counts) = state
        .db
        .run(move |conn| {
            let rows = store::lists(conn, enterprise, status, page.before_id, page.fetch())?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let counts = store::item_counts(conn, &ids)?;
            Ok((rows, counts))
        })
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(|r| {
            let n = counts.get(&r.id).copied().unwrap_or(0) as usize;
            list_view(r, n, None, None)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
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
    let id = id.into_inner();
    let user = auth.user.clone();
    let view = state
        .db
        .run(move |conn| {
            let row = visible_list(conn, &user, id)?;
            full_list(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
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
    if !auth.can_see(enterprise) {
        return Err(ApiError::NotFound);
    }
    let view = state
        .db
        .run(move |conn| {
            let row = store::current_of(conn, enterprise)?.ok_or(ApiError::NotFound)?;
            full_list(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

// ---------------------------------------------------------------------------------------------
// Violations

#[derive(Debug, Serialize, ToSchema)]
pub struct ViolationView {
    pub id: i64,
    pub enterprise_id: EnterpriseId,
    /// The version in force at `occurred_at`.
    pub list_id: i64,
    pub item_code: String,
    /// The item's category and severity.
    pub category: Category,
    pub severity: Severity,
    pub employee_ref: String,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: NaiveDateTime,
    pub location: String,
    pub description: String,
    pub handling: Handling,
    pub fine_fen: i64,
    /// The user who recorded it.
    pub recorded_by: i64,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub corrected_at: Option<NaiveDateTime>,
    pub correction_note: Option<String>,
    /// Another violation of the same employee in the 90 days up to this one.
    pub repeat: bool,
    /// The third or later in those 90 days.
    pub escalated: bool,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// The record's history (single-record responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

fn violation_view(
    r: ViolationRow,
    timeline: Option<Vec<TimelineEntry>>,
) -> Result<ViolationView, ApiError> {
    Ok(ViolationView {
        id: r.id,
        enterprise_id: EnterpriseId(r.enterprise_id),
        list_id: r.list_id,
        category: stored(Category::parse(&r.category))?,
        severity: stored(Severity::parse(&r.severity))?,
        handling: stored(Handling::parse(&r.handling))?,
        item_code: r.item_code,
        employee_ref: r.employee_ref,
        occurred_at: r.occurred_at,
        location: r.location,
        description: r.description,
        fine_fen: r.fine_fen,
        recorded_by: r.recorded_by,
        corrected_at: r.corrected_at,
        correction_note: r.correction_note,
        repeat: r.repeat,
        escalated: r.escalated,
        created_at: r.created_at,
        updated_at: r.updated_at,
        timeline,
    })
}

fn full_violation(conn: &mut DbConn, r: ViolationRow) -> Result<ViolationView, ApiError> {
    let timeline = audit::store::timeline(conn, VIOLATION, &r.id.to_string())?;
    violation_view(r, Some(timeline))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViolationRequest {
    /// Required for staff; an enterprise account records for itself (may be left out).
    pub enterprise_id: Option<i64>,
    /// An item of the list version in force at `occurred_at`.
    pub item_code: String,
    /// The enterprise's staff number or a pseudonym; never a resident ID number.
    pub employee_ref: String,
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: DateTime<Utc>,
    pub location: String,
    pub description: String,
    pub handling: Handling,
    /// Required (> 0) with handling `fine`, and only then.
    #[serde(default)]
    pub fine_fen: i64,
}

pub const MAX_FINE_FEN: i64 = 10_000_000_000;

/// The key that serialises the flag computations of one employee.
fn employee_lock_key(enterprise: EnterpriseId, employee: &EmployeeRef) -> i64 {
    let mut h = Sha256::new();
    h.update(b"violations\n");
    h.update(enterprise.0.to_be_bytes());
    h.update(employee.as_str().as_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

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
    let body = body.parse::<ViolationRequest>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let input = body.value;
    let now = state.clock.now_naive();
    let mut v = Validator::new();
    let enterprise = match (auth.enterprise_scope(), input.enterprise_id) {
        (Some(own), Some(asked)) if own.0 != asked => {
            v.add(
                "enterprise_id",
                "not_found",
                "is not an enterprise you may record for",
            );
            None
        }
        (Some(own), _) => Some(own),
        (None, Some(asked)) => Some(EnterpriseId(asked)),
        (None, None) => {
            v.add("enterprise_id", "required", "is required");
            None
        }
    };
    let employee = match EmployeeRef::parse(&input.employee_ref) {
        Ok(e) => Some(e),
        Err(e) => {
            let code = match e {
                EmployeeRefError::Length => "invalid_length",
                EmployeeRefError::ResidentId => "resident_id",
            };
            v.add("employee_ref", code, e.to_string());
            None
        }
    };
    let occurred_at = input.occurred_at.trunc_subsecs(6).naive_utc();
    if occurred_at > now {
        v.add("occurred_at", "out_of_range", "cannot lie in the future");
    }
    let item_code = input.item_code.trim().to_owned();
    if item_code.is_empty() {
        v.add("item_code", "required", "is required");
    }
    let location = v.text("location", &input.location, 1, 200);
    let description = v.text("description", &input.description, 0, 2000);
    if !(0..=MAX_FINE_FEN).contains(&input.fine_fen) {
        v.add("fine_fen", "out_of_range", "must be 0 to 10,000,000,000");
    } else if input.handling == Handling::Fine && input.fine_fen == 0 {
        v.add("fine_fen", "required", "a fine needs its amount in fen");
    } else if input.handling != Handling::Fine && input.fine_fen != 0 {
        v.add(
            "fine_fen",
            "invalid",
            "only handling `fine` carries an amount",
        );
    }
    v.finish()?;
    let (Some(enterprise), Some(employee), Some(location), Some(description)) =
        (enterprise, employee, location, description)
    else {
        return Err(ApiError::internal("validator passed without values"));
    };
    let actor = auth.actor();
    let user_id = auth.id.0;
    let handling = input.handling;
    let fine_fen = input.fine_fen;
    let result = state
        .db
        .write(move |conn| {
            idem.run(conn, now, |conn| {
                if crate::enterprises::store::find(conn, enterprise)?.is_none() {
                    return Err(ApiError::field("enterprise_id", "not_found", "no such enterprise"));
                }
                crate::db::lock_key(conn, employee_lock_key(enterprise, &employee))?;
                let list = store::in_force(conn, enterprise, occurred_at)?.ok_or_else(|| {
                    ApiError::field(
                        "item_code",
                        "no_list_in_force",
                        "no published negative list was in force at occurred_at",
                    )
                })?;
                let item = store::find_item(conn, list.id, &item_code)?.ok_or_else(|| {
                    ApiError::field(
                        "item_code",
                        "unknown_code",
                        format!("is not an item of version {}, in force at occurred_at", list.version),
                    )
                })?;
                let row = store::insert_violation(
                    conn,
                    &NewViolation {
                        enterprise_id: enterprise.0,
                        list_id: list.id,
                        item_code: item.code,
                        category: item.category,
                        severity: item.severity,
                        employee_ref: employee.as_str().to_owned(),
                        occurred_at,
                        location,
                        description,
                        handling: handling.as_str().to_owned(),
                        fine_fen,
                        recorded_by: user_id,
                        corrected_at: None,
                        correction_note: None,
                        repeat: false,
                        escalated: false,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                audit::store::append_first(
                    conn,
                    VIOLATION,
                    &row.id.to_string(),
                    "recorded",
                    &actor,
                    json!({
                        "enterprise_id": row.enterprise_id, "list_id": row.list_id,
                        "item_code": row.item_code, "employee_ref": row.employee_ref,
                        "occurred_at": crate::clock::rfc3339(row.occurred_at),
                        "location": row.location, "description": row.description,
                        "handling": row.handling, "fine_fen": row.fine_fen,
                    }),
                    now,
                )?;
                let window = domain::repeat_window();
                let recorded = store::employee_window(
                    conn,
                    enterprise,
                    employee.as_str(),
                    occurred_at - window,
                    occurred_at + window,
                )?;
                for (id, flags) in domain::reflag(&recorded, occurred_at) {
                    store::set_flags(conn, id, flags, now)?;
                    audit::store::append(
                        conn,
                        VIOLATION,
                        &id.to_string(),
                        if id == row.id { "flagged" } else { "reflagged" },
                        &Actor::SYSTEM,
                        json!({"repeat": flags.repeat, "escalated": flags.escalated, "after_violation": row.id}),
                        now,
                    )?;
                }
                let row = store::find_violation(conn, row.id)?.ok_or(ApiError::NotFound)?;
                let view = full_violation(conn, row)?;
                Ok((
                    StatusCode::CREATED,
                    serde_json::to_value(view).map_err(ApiError::internal)?,
                ))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ViolationQuery {
    pub enterprise_id: Option<i64>,
    pub category: Option<Category>,
    pub severity: Option<Severity>,
    /// First local date (inclusive) of `occurred_at`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last local date (inclusive) of `occurred_at`.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    pub corrected: Option<bool>,
    pub repeat: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
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
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from > to
    {
        return Err(ApiError::field(
            "to",
            "out_of_range",
            "must not be before from",
        ));
    }
    let wanted = q.enterprise_id.map(EnterpriseId);
    let scope = auth.enterprise_scope();
    if let (Some(own), Some(w)) = (scope, wanted)
        && own != w
    {
        return Ok(HttpResponse::Ok().json(Page::<ViolationView> {
            items: Vec::new(),
            next_cursor: None,
        }));
    }
    let (start, end) = domain::local_period(q.from, q.to, state.config.timezone);
    let filter = store::ViolationFilter {
        enterprise: scope.or(wanted),
        category: q.category.map(|c| c.as_str().to_owned()),
        severity: q.severity.map(|s| s.as_str().to_owned()),
        start,
        end,
        corrected: q.corrected,
        repeat: q.repeat,
    };
    let rows = state
        .db
        .run(move |conn| store::violations(conn, &filter, page.before_id, page.fetch()))
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(|r| violation_view(r, None))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
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
    let id = id.into_inner();
    let user = auth.user.clone();
    let view = state
        .db
        .run(move |conn| {
            let row = store::find_violation(conn, id)?
                .filter(|r| user.can_see(EnterpriseId(r.enterprise_id)))
                .ok_or(ApiError::NotFound)?;
            full_violation(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectRequest {
    /// When the behaviour was corrected: not before the violation, not in the future.
    #[schema(value_type = String, format = DateTime)]
    pub corrected_at: DateTime<Utc>,
    pub note: String,
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
    let id = id.into_inner();
    let request: CorrectRequest = body.value().await?;
    let corrected_at = request.corrected_at.trunc_subsecs(6).naive_utc();
    let user = auth.user.clone();
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let view = state
        .db
        .write(move |conn| {
            let row = store::find_violation(conn, id)?
                .filter(|r| user.can_see(EnterpriseId(r.enterprise_id)))
                .ok_or(ApiError::NotFound)?;
            if row.corrected_at.is_some() {
                return Err(ApiError::InvalidTransition(
                    "the violation is already corrected".into(),
                ));
            }
            let mut v = Validator::new();
            if corrected_at > now {
                v.add("corrected_at", "out_of_range", "cannot lie in the future");
            } else if corrected_at < row.occurred_at {
                v.add(
                    "corrected_at",
                    "out_of_range",
                    "cannot be before occurred_at",
                );
            }
            let note = v.text("note", &request.note, 1, 2000);
            v.finish()?;
            let note = note.unwrap_or_default();
            let row = store::correct(conn, id, corrected_at, &note, now)?.ok_or_else(|| {
                ApiError::InvalidTransition("the violation is already corrected".into())
            })?;
            audit::store::append(
                conn,
                VIOLATION,
                &id.to_string(),
                "corrected",
                &actor,
                json!({"corrected_at": crate::clock::rfc3339(corrected_at), "note": note}),
                now,
            )?;
            full_violation(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

// ---------------------------------------------------------------------------------------------
// Figures

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First local date of the period (inclusive); open when left out.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last local date of the period (inclusive); open when left out.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// First local date of the comparison period (inclusive).
    #[param(value_type = Option<String>, format = Date)]
    pub compare_from: Option<NaiveDate>,
    /// Last local date of the comparison period (inclusive).
    #[param(value_type = Option<String>, format = Date)]
    pub compare_to: Option<NaiveDate>,
    pub enterprise_id: Option<i64>,
    pub industry: Option<String>,
    pub district: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViolationStats {
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    pub total: i64,
    /// Every category code with its count.
    pub by_category: BTreeMap<String, i64>,
    /// Every severity code with its count.
    pub by_severity: BTreeMap<String, i64>,
    /// The employees of the enterprises in scope.
    pub employees: i64,
    /// `total × 100 / employees`; null without employees.
    pub per_100_employees: Option<f64>,
    pub corrected: i64,
    /// `corrected / total`, 0 to 1; null without violations.
    pub corrected_share: Option<f64>,
    pub repeats: i64,
    pub escalations: i64,
    #[schema(value_type = Option<String>, format = Date)]
    pub compare_from: Option<NaiveDate>,
    #[schema(value_type = Option<String>, format = Date)]
    pub compare_to: Option<NaiveDate>,
    /// The comparison period's total; null when no comparison period is given.
    pub compare_total: Option<i64>,
    /// `(total − compare_total) / compare_total`; null when `compare_total` is 0 or absent.
    pub change_ratio: Option<f64>,
}

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
    let q = query.0;
    let mut v = Validator::new();
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f > t
    {
        v.add("to", "out_of_range", "must not be before from");
    }
    if let (Some(f), Some(t)) = (q.compare_from, q.compare_to)
        && f > t
    {
        v.add(
            "compare_to",
            "out_of_range",
            "must not be before compare_from",
        );
    }
    v.finish()?;
    let wanted = q.enterprise_id.map(EnterpriseId);
    let enterprise = match (auth.enterprise_scope(), wanted) {
        (Some(own), Some(w)) if own != w => return Err(ApiError::NotFound),
        (Some(own), _) => Some(own),
        (None, w) => w,
    };
    let scope = store::Scope {
        enterprise,
        industry: q.industry.clone(),
        district: q.district.clone(),
    };
    let tz = state.config.timezone;
    let (start, end) = domain::local_period(q.from, q.to, tz);
    let compare = (q.compare_from.is_some() || q.compare_to.is_some())
        .then(|| domain::local_period(q.compare_from, q.compare_to, tz));
    let (groups, employees, compare_total) = state
        .db
        .run(move |conn| {
            crate::enterprises::store::check_filter_codes(
                conn,
                scope.industry.as_deref(),
                scope.district.as_deref(),
            )?;
            let groups = store::breakdown(conn, &scope, start, end)?;
            let employees = store::employees(conn, &scope)?;
            let compare_total = compare
                .map(|(s, e)| store::count(conn, &scope, s, e))
                .transpose()?;
            Ok((groups, employees, compare_total))
        })
        .await?;
    let mut by_category: BTreeMap<String, i64> = Category::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), 0))
        .collect();
    let mut by_severity: BTreeMap<String, i64> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
    let (mut total, mut corrected, mut repeats, mut escalations) = (0, 0, 0, 0);
    for g in groups {
        *by_category.entry(g.category).or_insert(0) += g.count;
        *by_severity.entry(g.severity).or_insert(0) += g.count;
        total += g.count;
        corrected += g.corrected;
        if g.repeat {
            repeats += g.count;
        }
        if g.escalated {
            escalations += g.count;
        }
    }
    Ok(HttpResponse::Ok().json(ViolationStats {
        from: q.from,
        to: q.to,
        total,
        by_category,
        by_severity,
        employees,
        per_100_employees: domain::per_100_employees(total, employees),
        corrected,
        corrected_share: domain::share(corrected, total),
        repeats,
        escalations,
        compare_from: q.compare_from,
        compare_to: q.compare_to,
        compare_total,
        change_ratio: compare_total.and_then(|c| domain::change_ratio(total, c)),
    }))
}
