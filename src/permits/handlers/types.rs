//! `/api/v1/permit-types`.

use actix_web::{HttpResponse, get, patch, web};

use crate::auth::{Admin, Auth};
use crate::error::{ApiError, Problem};
use crate::http::extract::{JsonBody, Segment};
use crate::permits::types::{self, TypeCache, UpdatePermitTypeRequest};
use crate::permits::views::PermitTypeView;
use crate::state::AppState;

/// Every permit type with its form fields, so a client can render and check any form.
/// Roles: public.
#[utoipa::path(tag = "permits", responses((status = 200, body = Vec<PermitTypeView>)), security(()))]
#[get("/permit-types")]
pub async fn list_permit_types(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = state.db.read_case(types::list).await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Changes a permit type's statutory review days, validity or whether it accepts
/// applications. Forms and rules are fixed. Roles: admin.
#[utoipa::path(
    tag = "permits",
    params(("code" = String, Path)),
    request_body = UpdatePermitTypeRequest,
    responses((status = 200, body = PermitTypeView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[patch("/permit-types/{code}")]
pub async fn update_permit_type(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    cache: web::Data<TypeCache>,
    code: web::Path<Segment>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner().into_inner();
    let patch: UpdatePermitTypeRequest = body.value().await?;
    let actor = auth.actor();
    let now = state.clock.now_naive();
    let view = state
        .db
        .write_case(move |conn| types::update(conn, now, &actor, &code, &patch))
        .await?;
    // Committed: this process's next application reads the type as it is now.
    cache.forget();
    Ok(HttpResponse::Ok().json(view))
}
