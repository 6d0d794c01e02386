//! `/api/v1/enterprises`.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain::{EnterpriseInput, EnterpriseStatus};
use super::registry;
pub use super::registry::{EnterpriseView, ImportResult, MAX_IMPORT_ROWS, UpdateEnterpriseRequest};
use super::store::Filter;
use crate::auth::{Admin, Anyone, Auth, Staff};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody};
use crate::http::idempotency::{self, Idempotent};
pub use crate::http::import::MAX_IMPORT_BYTES;
use crate::http::import::{self, Columns};
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
    let idem = Idempotent::for_user(&req, auth.id, &body.bytes)?;
    let input = body.value;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let result = state
        .db
        .write(move |conn| {
            let valid = registry::check_new(conn, &input)?;
            idem.run(conn, now, |conn| {
                idempotency::created(&registry::create(conn, now, &actor, &valid)?)
            })
        })
        .await?;
    Ok(idempotency::respond(result))
}

/// The columns of an enterprise import's CSV file: the fields of [`EnterpriseInput`].
const IMPORT_COLUMNS: Columns = Columns {
    names: &[
        "credit_code",
        "name",
        "industry",
        "district",
        "address",
        "legal_representative",
        "safety_director",
        "employee_count",
    ],
    of: "an enterprise import",
};

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
    let body =
        import::read::<EnterpriseInput>(&req, &mut payload, MAX_IMPORT_BYTES, IMPORT_COLUMNS)
            .await?;
    let idem = Idempotent::for_user(&req, auth.id, &body.bytes)?;
    let inputs = body.rows;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    idem.create_alone(&state.db, now, move |conn| {
        registry::import(conn, now, &actor, &inputs)
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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
    let filter = Filter {
        industry: q.industry,
        district: q.district,
        status: q.status.map(|s| s.as_str().to_owned()),
        q: q.q.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    let page = state
        .db
        .read_case(move |conn| registry::list(conn, &filter, page))
        .await?;
    Ok(HttpResponse::Ok().json(page))
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
    let scope = auth.scope();
    let view = state
        .db
        .read_case(move |conn| registry::get(conn, scope, id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
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
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let view = state
        .db
        .write_case(move |conn| registry::update(conn, now, &actor, id, patch))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
