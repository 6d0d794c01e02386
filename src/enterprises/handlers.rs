//! `/api/v1/enterprises`.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::credit_code::CreditCode;
use super::domain::{self, EnterpriseInput, EnterpriseStatus, ReferenceCodes, ValidEnterprise};
use super::store::{self, EnterpriseChanges, EnterpriseRow, NewEnterprise};
use crate::audit::{self, Actor};
use crate::auth::{Admin, Anyone, Auth, Staff};
use crate::db::DbConn;
use crate::error::{ApiError, Problem, Validator};
use crate::http::extract::{ApiQuery, JsonBody, parse_json, read_body};
use crate::http::idempotency::{self, Idempotent};
use crate::http::pagination::{Page, PageRequest};
use crate::ids::EnterpriseId;
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_enterprise)
        .service(import_enterprises)
        .service(list_enterprises)
        .service(get_enterprise)
        .service(update_enterprise);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseView {
    pub id: EnterpriseId,
    pub credit_code: String,
    pub name: String,
    pub industry: String,
    pub district: String,
    pub address: String,
    pub legal_representative: String,
    pub safety_director: Option<String>,
    pub employee_count: i32,
    pub status: EnterpriseStatus,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl TryFrom<EnterpriseRow> for EnterpriseView {
    type Error = ApiError;
    fn try_from(r: EnterpriseRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: EnterpriseId(r.id),
            status: EnterpriseStatus::parse(&r.status)
                .ok_or_else(|| ApiError::internal("unknown status stored"))?,
            credit_code: r.credit_code,
            name: r.name,
            industry: r.industry,
            district: r.district,
            address: r.address,
            legal_representative: r.legal_representative,
            safety_director: r.safety_director,
            employee_count: r.employee_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn view_json(row: EnterpriseRow) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(EnterpriseView::try_from(row)?).map_err(ApiError::internal)
}

fn created_payload(e: &ValidEnterprise) -> serde_json::Value {
    json!({
        "credit_code": e.credit_code.as_str(), "name": e.name, "industry": e.industry,
        "district": e.district, "address": e.address, "legal_representative": e.legal_representative,
        "safety_director": e.safety_director, "employee_count": e.employee_count,
    })
}

/// Registers an enterprise. The credit code's check character is verified (422 on
/// `credit_code`) and the code is unique (409). Roles: admin.
#[utoipa::path(
    tag = "enterprises",
    request_body = EnterpriseInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")),
    responses((status = 201, body = EnterpriseView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[post("/enterprises")]
pub async fn create_enterprise(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse::<EnterpriseInput>().await?;
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &body.bytes)?;
    let input = body.value;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let result = state
        .db
        .write(move |conn| {
            let codes = store::reference_codes(conn)?;
            let mut v = Validator::new();
            let valid = domain::validate(&input, &codes, "", &mut v);
            v.finish()?;
            let valid =
                valid.ok_or_else(|| ApiError::internal("validator passed without a value"))?;
            idem.run(conn, now, |conn| {
                let row = store::insert(conn, &NewEnterprise::from_valid(&valid, now))?;
                audit::store::append_first(
                    conn,
                    "enterprise",
                    &row.id.to_string(),
                    "created",
                    &actor,
                    created_payload(&valid),
                    now,
                )?;
                Ok((StatusCode::CREATED, view_json(row)?))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

pub const MAX_IMPORT_ROWS: usize = 10_000;
/// An import of 10,000 rows is larger than the usual body limit.
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportResult {
    pub imported: usize,
}

/// Parses a CSV body with a header row naming the fields of [`EnterpriseInput`].
fn parse_csv(bytes: &[u8]) -> Result<Vec<EnterpriseInput>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::MalformedJson(format!("unreadable CSV header: {e}")))?
        .clone();
    let known = [
        "credit_code",
        "name",
        "industry",
        "district",
        "address",
        "legal_representative",
        "safety_director",
        "employee_count",
    ];
    let mut v = Validator::new();
    for h in headers.iter().filter(|h| !known.contains(h)) {
        v.add(
            h.to_owned(),
            "unknown_field",
            "is not a column of an enterprise import",
        );
    }
    v.finish()?;
    let mut rows = Vec::new();
    let mut errors = Validator::new();
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.add(
                    format!("[{index}]"),
                    "invalid",
                    format!("unreadable CSV line: {e}"),
                );
                continue;
            }
        };
        let get = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .to_owned()
        };
        let count = get("employee_count");
        let employee_count = match count.parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                errors.add(
                    format!("[{index}].employee_count"),
                    "invalid_type",
                    "must be a whole number",
                );
                continue;
            }
        };
        let director = get("safety_director");
        rows.push(EnterpriseInput {
            credit_code: get("credit_code"),
            name: get("name"),
            industry: get("industry"),
            district: get("district"),
            address: get("address"),
            legal_representative: get("legal_representative"),
            safety_director: (!director.is_empty()).then_some(director),
            employee_count,
        });
    }
    errors.finish()?;
    Ok(rows)
}

/// Checks every row, its credit code against the file and the database; all-or-nothing.
fn validate_import(
    conn: &mut DbConn,
    inputs: &[EnterpriseInput],
    codes: &impl ReferenceCodes,
) -> Result<Vec<ValidEnterprise>, ApiError> {
    let mut v = Validator::new();
    if inputs.is_empty() {
        v.add("", "empty", "the import holds no rows");
    }
    if inputs.len() > MAX_IMPORT_ROWS {
        v.add(
            "",
            "too_many_rows",
            format!("at most {MAX_IMPORT_ROWS} rows per import"),
        );
    }
    v.finish()?;
    let mut v = Validator::new();
    let mut valid = Vec::with_capacity(inputs.len());
    let mut seen = std::collections::HashMap::<CreditCode, usize>::new();
    for (i, input) in inputs.iter().enumerate() {
        if let Some(e) = domain::validate(input, codes, &format!("[{i}]."), &mut v) {
            if let Some(first) = seen.insert(e.credit_code.clone(), i) {
                v.add(
                    format!("[{i}].credit_code"),
                    "duplicate",
                    format!("repeats row {first}"),
                );
            }
            valid.push(e);
        }
    }
    let all_codes: Vec<&str> = valid.iter().map(|e| e.credit_code.as_str()).collect();
    for (code, _) in store::ids_by_credit_code(conn, &all_codes)? {
        if let Some(i) = CreditCode::parse(&code).ok().and_then(|c| seen.get(&c)) {
            v.add(
                format!("[{i}].credit_code"),
                "taken",
                "an enterprise with this credit_code exists",
            );
        }
    }
    v.finish()?;
    Ok(valid)
}

/// Imports up to 10,000 enterprises from a JSON array or a CSV file with a header row
/// (`Content-Type: text/csv`), all or nothing: a 422 lists every bad row by index and field
/// (`[3].credit_code`). Bodies up to 16 MiB. Roles: admin.
#[utoipa::path(
    tag = "enterprises",
    request_body(content = Vec<EnterpriseInput>, description = "a JSON array, or text/csv with a header row"),
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")),
    responses((status = 201, body = ImportResult), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[post("/enterprises/import")]
pub async fn import_enterprises(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let mime = req.mime_type().ok().flatten();
    let is_csv = mime
        .as_ref()
        .is_some_and(|m| m.type_() == "text" && m.subtype() == "csv");
    let is_json = mime
        .as_ref()
        .is_some_and(|m| m.type_() == "application" && m.subtype() == "json");
    if !is_csv && !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let bytes = read_body(&req, &mut payload, MAX_IMPORT_BYTES).await?;
    let inputs: Vec<EnterpriseInput> = if is_csv {
        parse_csv(&bytes)?
    } else {
        parse_json(&bytes)?
    };
    let idem = Idempotent::new(&req, format!("user:{}", auth.id), &bytes)?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let result = state
        .db
        .write(move |conn| {
            let codes = store::reference_codes(conn)?;
            idem.run(conn, now, |conn| {
                let valid = validate_import(conn, &inputs, &codes)?;
                let rows: Vec<NewEnterprise<'_>> = valid
                    .iter()
                    .map(|e| NewEnterprise::from_valid(e, now))
                    .collect();
                store::insert_many(conn, &rows)?;
                let all_codes: Vec<&str> = valid.iter().map(|e| e.credit_code.as_str()).collect();
                let ids: std::collections::HashMap<String, i64> =
                    store::ids_by_credit_code(conn, &all_codes)?
                        .into_iter()
                        .collect();
                let events = valid
                    .iter()
                    .filter_map(|e| {
                        ids.get(e.credit_code.as_str())
                            .map(|id| (id.to_string(), created_payload(e)))
                    })
                    .collect::<Vec<_>>();
                audit::store::append_first_many(
                    conn,
                    "enterprise",
                    "imported",
                    &actor,
                    &events,
                    now,
                )?;
                Ok((StatusCode::CREATED, json!({ "imported": valid.len() })))
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseQuery {
    pub industry: Option<String>,
    pub district: Option<String>,
    pub status: Option<EnterpriseStatus>,
    /// Name contains (case-insensitive).
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists enterprises, newest first, filtered by industry, district, status and name.
/// Roles: admin, reviewer, inspector.
#[utoipa::path(tag = "enterprises", params(EnterpriseQuery), responses((status = 200, body = Page<EnterpriseView>), (status = 422, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector"])))]
#[get("/enterprises")]
pub async fn list_enterprises(
    _auth: Auth<Staff>,
    state: web::Data<AppState>,
    query: ApiQuery<EnterpriseQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let filter = store::Filter {
        industry: q.industry,
        district: q.district,
        status: q.status.map(|s| s.as_str().to_owned()),
        q: q.q.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    let rows = state
        .db
        .run(move |conn| {
            store::check_filter_codes(
                conn,
                filter.industry.as_deref(),
                filter.district.as_deref(),
            )?;
            store::list(conn, &filter, page.before_id, page.fetch())
        })
        .await?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(EnterpriseView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// One enterprise. Staff read any; an enterprise user reads only its own (another's is 404).
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(tag = "enterprises", params(("id" = i64, Path)), responses((status = 200, body = EnterpriseView), (status = 404, body = Problem)), security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"])))]
#[get("/enterprises/{id}")]
pub async fn get_enterprise(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = EnterpriseId(id.into_inner());
    if !auth.can_see(id) {
        return Err(ApiError::NotFound);
    }
    let row = state
        .db
        .run(move |conn| store::find(conn, id))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(EnterpriseView::try_from(row)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEnterpriseRequest {
    pub credit_code: Option<String>,
    pub name: Option<String>,
    pub industry: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub legal_representative: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::http::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub safety_director: Option<Option<String>>,
    pub employee_count: Option<i64>,
    /// `closed` (deregistered) or back to `operating`; `suspended` is set only by orders.
    pub status: Option<EnterpriseStatus>,
}

/// Changes an enterprise. `status` may be set to `closed` or back to `operating` (409 while a
/// suspension order is in force); asking for `suspended` is a 422: only orders set it.
/// Roles: admin.
#[utoipa::path(
    tag = "enterprises",
    params(("id" = i64, Path)),
    request_body = UpdateEnterpriseRequest,
    responses((status = 200, body = EnterpriseView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[patch("/enterprises/{id}")]
pub async fn update_enterprise(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = EnterpriseId(id.into_inner());
    let patch: UpdateEnterpriseRequest = body.value().await?;
    let actor: Actor = auth.actor();
    let now = state.clock.now_naive();
    let row = state
        .db
        .write(move |conn| {
            let current = store::find(conn, id)?.ok_or(ApiError::NotFound)?;
            let codes = store::reference_codes(conn)?;
            let mut v = Validator::new();
            let credit_code = patch
                .credit_code
                .as_deref()
                .and_then(|c| v.check("credit_code", "invalid", CreditCode::parse(c)))
                .map(|c| c.as_str().to_owned());
            let name = patch.name.as_deref().and_then(|s| v.text("name", s, 1, 200));
            let address = patch.address.as_deref().and_then(|s| v.text("address", s, 1, 300));
            let legal = patch.legal_representative.as_deref().and_then(|s| v.text("legal_representative", s, 1, 100));
            let director = match &patch.safety_director {
                Some(Some(s)) => v.text("safety_director", s, 1, 100).map(Some),
                Some(None) => Some(None),
                None => None,
            };
            if let Some(code) = patch.industry.as_deref().filter(|c| !codes.has_industry(c)) {
                v.add("industry", "unknown_code", format!("{code} is not an industry code"));
            }
            if let Some(code) = patch.district.as_deref().filter(|c| !codes.has_district(c)) {
                v.add("district", "unknown_code", format!("{code} is not a district code"));
            }
            if patch.employee_count.is_some_and(|n| !(0..=domain::MAX_EMPLOYEES).contains(&n)) {
                v.add("employee_count", "out_of_range", "must be 0 to 10,000,000");
            }
            if patch.status == Some(EnterpriseStatus::Suspended) {
                v.add("status", "invalid_value", "suspended is set and cleared only by suspension orders");
            }
            v.finish()?;
            let old_status = EnterpriseStatus::parse(&current.status).ok_or_else(|| ApiError::internal("unknown status stored"))?;
            if patch.status == Some(EnterpriseStatus::Operating) && crate::enterprises::store::order_in_force(conn, id)? {
                return Err(ApiError::Conflict("a suspension order is in force; lift it to resume operation".into()));
            }
            let status = patch.status.filter(|s| *s != old_status);
            let changes = EnterpriseChanges {
                credit_code,
                name_lower: name.as_ref().map(|n| n.to_lowercase()),
                name,
                industry: patch.industry,
                district: patch.district,
                address,
                legal_representative: legal,
                safety_director: director,
                employee_count: patch.employee_count.map(|n| n as i32),
                status: status.map(|s| s.as_str().to_owned()),
                updated_at: Some(now),
            };
            let row = store::update_if_unchanged(conn, id, current.updated_at, &changes)?;
            if row.district != current.district || row.industry != current.industry {
                // The inspection figures group by copies of these (enforcement::store).
                crate::enforcement::store::recopy_enterprise(conn, id, &row.district, &row.industry)?;
            }
            audit::store::append(
                conn,
                "enterprise",
                &id.to_string(),
                if status.is_some() { "status_changed" } else { "updated" },
                &actor,
                json!({
                    "credit_code": changes.credit_code, "name": changes.name, "industry": changes.industry,
                    "district": changes.district, "address": changes.address,
                    "legal_representative": changes.legal_representative,
                    "safety_director": changes.safety_director, "employee_count": changes.employee_count,
                    "status": changes.status,
                }),
                now,
            )?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(EnterpriseView::try_from(row)?))
}
