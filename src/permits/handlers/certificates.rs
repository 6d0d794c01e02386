//! `/api/v1/certificates` and the public verification, `/api/v1/public/certificate*` (the
//! anonymous routes of permits).

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::act;
use crate::auth::{Admin, Anyone, Auth};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiQuery, JsonBody, Segment};
use crate::http::pagination::{Page, PageRequest};
use crate::ids::CertificateId;
use crate::permits::certificates;
use crate::permits::register::{self, CertificateQuery, RevokeRequest};
use crate::permits::views::{CertificateView, VerificationView};
use crate::state::AppState;

/// Lists certificates, newest first. Staff see all, an enterprise its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "permits",
    params(CertificateQuery),
    responses((status = 200, body = Page<CertificateView>), (status = 422, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/certificates")]
pub async fn list_certificates(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    query: ApiQuery<CertificateQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let today = state.clock.today(state.config.timezone);
    let scope = auth.scope();
    let page = state
        .db
        .read_case(move |conn| register::list(conn, today, scope, &q, page))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One certificate with its timeline. Staff read any; an enterprise only its own.
/// Roles: admin, reviewer, inspector, enterprise.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    responses((status = 200, body = CertificateView), (status = 404, body = Problem)),
    security(("bearer" = ["admin", "reviewer", "inspector", "enterprise"]))
)]
#[get("/certificates/{id}")]
pub async fn get_certificate(
    auth: Auth<Anyone>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = CertificateId(id.into_inner());
    let today = state.clock.today(state.config.timezone);
    let scope = auth.scope();
    let view = state
        .db
        .read_case(move |conn| register::get(conn, today, scope, id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Revokes an active certificate with a reason. Revoked, superseded certificates stay
/// revoked; a second revocation is 409 `invalid_transition`. Roles: admin.
#[utoipa::path(
    tag = "permits",
    params(("id" = i64, Path)),
    request_body = RevokeRequest,
    responses((status = 200, body = CertificateView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin"]))
)]
#[post("/certificates/{id}/revoke")]
pub async fn revoke_certificate(
    auth: Auth<Admin>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = CertificateId(id.into_inner());
    let input: RevokeRequest = body.value().await?;
    let view = act(&state, auth.actor(), move |conn, ctx| {
        register::revoke(conn, ctx, id, &input)
    })
    .await?;
    state.metrics.domain_event("certificate", "revoked");
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateKey {
    /// `Ed25519`
    pub algorithm: &'static str,
    /// `base64` (standard alphabet, padded): the raw 32-byte public key.
    pub encoding: &'static str,
    pub public_key: String,
    /// What is signed.
    pub signed_message: &'static str,
}

/// The Ed25519 public key that verifies every certificate's signature offline.
/// Roles: public.
#[utoipa::path(tag = "permits", responses((status = 200, body = CertificateKey)), security(()))]
#[get("/public/certificate-key")]
pub async fn certificate_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(CertificateKey {
        algorithm: "Ed25519",
        encoding: "base64",
        public_key: certificates::public_key(&state.config.secrets.signing_key),
        signed_message: "the UTF-8 bytes of signed_payload (canonical JSON: keys sorted, no white space); the signature is base64 of the 64-byte Ed25519 signature",
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// The verification code printed on the certificate (case-insensitive).
    pub code: Option<String>,
}

/// Verifies a certificate by its number and verification code, for anyone. A wrong or missing
/// code answers exactly like an unknown number (404). Roles: public.
#[utoipa::path(
    tag = "permits",
    params(("number" = String, Path), VerifyQuery),
    responses((status = 200, body = VerificationView), (status = 404, body = Problem)),
    security(())
)]
#[get("/public/certificates/{number}")]
pub async fn verify_certificate(
    state: web::Data<AppState>,
    number: web::Path<Segment>,
    query: ApiQuery<VerifyQuery>,
) -> Result<HttpResponse, ApiError> {
    let number = number.into_inner().into_inner();
    let code = query.0.code;
    let today = state.clock.today(state.config.timezone);
    let view = state
        .db
        .read_case(move |conn| register::verify(conn, today, &number, code.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
