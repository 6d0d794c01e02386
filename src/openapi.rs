//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations as they
//! are registered (`utoipa-actix-web`), so a route cannot be served without being documented.
//!
//! Each operation names the roles that may call it in its security requirement (OpenAPI 3.1
//! allows role names as the scopes of an HTTP scheme); [`finish`] copies them into the
//! `x-roles` array the SPEC asks for, with `["public"]` for routes that need no token.

use actix_web::{HttpResponse, get, web};
use serde_json::{Value, json};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, Problem};

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "anjian",
        description = "Work-safety regulation for a city Emergency Management Bureau: instant online permits, \
                       violation negative lists, inspection campaigns, and whistleblower reports with rewards. \
                       Every operation names the roles that may call it in `x-roles`.",
        license(name = "Apache-2.0")
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerScheme)
)]
pub struct BaseDoc;

/// The document as served: the generated one plus `x-roles` on every operation.
#[derive(Clone)]
pub struct ServedDoc(pub web::Bytes);

pub fn finish(doc: OpenApiDoc) -> Value {
    let mut value = serde_json::to_value(&doc).unwrap_or(Value::Null);
    if let Some(paths) = value.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for (method, op) in item.iter_mut() {
                if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    continue;
                }
                let roles = roles_of(op);
                if let Some(op) = op.as_object_mut() {
                    op.insert("x-roles".into(), json!(roles));
                }
            }
        }
    }
    value
}

fn roles_of(op: &Value) -> Vec<String> {
    let mut roles: Vec<String> = op
        .get("security")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|req| req.get("bearer").and_then(Value::as_array))
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    if roles.is_empty() {
        roles.push("public".into());
    }
    roles
}

/// This document. Roles: public.
#[utoipa::path(tag = "operations", responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json")), security(()))]
#[get("/api/openapi.json")]
pub async fn openapi_json(doc: web::Data<ServedDoc>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}

/// The interactive API page (served from the binary, nothing from the network). Roles: public.
#[utoipa::path(tag = "operations", responses((status = 308, description = "to /api/docs/")), security(()))]
#[get("/api/docs")]
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("location", "/api/docs/"))
        .finish()
}
