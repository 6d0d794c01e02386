//! Cross-origin requests are refused unless their origin is configured (`ANJIAN_CORS_ORIGINS`).
//! Same-origin requests (the API page at `/api/docs` calling the API) always pass. The portal's
//! addresses are not this layer's: they never grant cross-origin access, and the portal's own
//! check (`portal::csrf`: `Sec-Fetch-Site` or `Origin`, and the form's token) refuses a
//! forged form with its 403 page. Browsers post the portal's forms with `Origin: null`, since
//! every page's referrer policy is `no-referrer` (PORTAL 7.2).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError, web};

use crate::error::ApiError;
use crate::state::AppState;

fn same_origin(req: &ServiceRequest, origin: &str) -> bool {
    let info = req.connection_info();
    origin == format!("{}://{}", info.scheme(), info.host())
}

pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(origin) = origin.filter(|_| !crate::portal::is_portal_path(req.path())) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    if same_origin(&req, &origin) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let allowed = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.cors_origins.iter().any(|o| o == &origin));
    if !allowed {
        let response = ApiError::Forbidden.error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    let origin_value = HeaderValue::from_str(&origin).unwrap_or(HeaderValue::from_static("null"));
    if req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let response = HttpResponse::build(StatusCode::NO_CONTENT)
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin_value))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_METHODS,
                "GET, POST, PUT, PATCH, DELETE",
            ))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "authorization, content-type, idempotency-key, x-request-id",
            ))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .insert_header((header::VARY, "Origin"))
            .finish();
        return Ok(req.into_response(response).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin_value);
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-request-id, retry-after"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    Ok(res.map_into_left_body())
}
