//! Errors, layer by layer.
//!
//! - Pure domain code returns its own small error types (`thiserror`), or collects
//!   [`FieldError`]s through a [`Validator`] (`validate.rs`, no HTTP) into an [`Invalid`].
//! - Store functions return `ApiError` directly: they run inside a use case's transaction, and
//!   the few outcomes a caller must tell apart (a unique violation, a lost compare-and-set) are
//!   turned into `Conflict`/`InvalidTransition` where they happen.
//! - Each capability's use cases return its own error (`thiserror`: `PermitError`,
//!   `ReportError`, …): the outcomes a caller handles, and `Store(ApiError)` for what the stores
//!   answered. `From<…> for ApiError`, beside each, maps it at the edge.
//! - [`ApiError`] is the HTTP edge: each variant maps to one status and one stable `code`, and
//!   renders as `application/problem+json` (RFC 9457). Internal errors are logged once, with
//!   their cause, under the request id, and reach the client as an opaque 500.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::validate::{FieldError, Invalid, Validator};

/// The problem document (RFC 9457) every error answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// A stable snake_case code.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extra members of some problems (e.g. `open_major_hazards`).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug)]
pub enum ApiError {
    MalformedJson(String),
    Unauthorized,
    InvalidCredentials,
    /// A sign-in's second step with a wrong, used or malformed code (or recovery code).
    InvalidTotpCode,
    /// A sign-in's second step with a challenge that is unknown, used or expired.
    InvalidChallenge,
    Forbidden,
    /// The caller's token is the limited one of a sign-in that must enrol a second factor
    /// before anything else (`ANJIAN_REQUIRE_TOTP`).
    TotpEnrolmentRequired,
    NotFound,
    MethodNotAllowed,
    Conflict(String),
    /// A conflict whose problem body carries extra members.
    ConflictWith(String, serde_json::Map<String, serde_json::Value>),
    InvalidTransition(String),
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation(Vec<FieldError>),
    IdempotencyKeyReused,
    RateLimited {
        retry_after_secs: u64,
    },
    Unavailable(String),
    /// The commit was sent but no answer came back (a lost connection): the change may or may
    /// not have been kept.
    OutcomeUnknown(String),
    Internal(String),
}

impl ApiError {
    pub fn internal(err: impl fmt::Display) -> Self {
        Self::Internal(err.to_string())
    }

    pub fn unavailable(err: impl fmt::Display) -> Self {
        Self::Unavailable(err.to_string())
    }

    /// A 422 with one bad field.
    pub fn field(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "malformed_json",
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::InvalidTotpCode => "invalid_totp_code",
            Self::InvalidChallenge => "invalid_challenge",
            Self::Forbidden => "forbidden",
            Self::TotpEnrolmentRequired => "totp_enrolment_required",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict(_) | Self::ConflictWith(..) => "conflict",
            Self::InvalidTransition(_) => "invalid_transition",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Validation(_) => "validation_failed",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::OutcomeUnknown(_) => "outcome_unknown",
            Self::Internal(_) => "internal",
        }
    }

    fn title_and_detail(&self) -> (&'static str, String) {
        match self {
            Self::MalformedJson(d) => ("Malformed JSON", d.clone()),
            Self::Unauthorized => ("Unauthorized", "a valid bearer token is required".into()),
            Self::InvalidCredentials => (
                "Invalid credentials",
                "username or password is wrong".into(),
            ),
            Self::InvalidTotpCode => (
                "Invalid code",
                "the code is wrong or was already used; enter the current one".into(),
            ),
            Self::InvalidChallenge => (
                "Invalid challenge",
                "the sign-in challenge is unknown, used or expired: sign in again".into(),
            ),
            Self::Forbidden => ("Forbidden", "your role may not do this".into()),
            Self::TotpEnrolmentRequired => (
                "Two-factor enrolment required",
                "enrol a second factor (POST /api/v1/auth/totp/enroll, then confirm) and sign in again"
                    .into(),
            ),
            Self::NotFound => ("Not found", "no such resource".into()),
            Self::MethodNotAllowed => (
                "Method not allowed",
                "this path does not accept that method".into(),
            ),
            Self::Conflict(d) | Self::ConflictWith(d, _) => ("Conflict", d.clone()),
            Self::InvalidTransition(d) => ("Invalid transition", d.clone()),
            Self::PayloadTooLarge => (
                "Payload too large",
                "the request body is larger than allowed".into(),
            ),
            Self::UnsupportedMediaType => (
                "Unsupported media type",
                "send the body as application/json".into(),
            ),
            Self::Validation(_) => ("Validation failed", "one or more fields are invalid".into()),
            Self::IdempotencyKeyReused => (
                "Idempotency key reused",
                "this Idempotency-Key was used with a different request".into(),
            ),
            Self::RateLimited { .. } => ("Too many requests", "slow down and retry later".into()),
            Self::Unavailable(_) => (
                "Service unavailable",
                "the database is not answering".into(),
            ),
            Self::OutcomeUnknown(_) => (
                "Outcome unknown",
                "the database stopped answering while saving the change, which may or may not \
                 have been kept: read the record back before trying again (a request sent with \
                 an Idempotency-Key may simply be repeated with the same key)"
                    .into(),
            ),
            Self::Internal(_) => (
                "Internal error",
                "something went wrong; quote the request id".into(),
            ),
        }
    }

    pub fn problem(&self) -> Problem {
        let (title, detail) = self.title_and_detail();
        let code = self.code();
        Problem {
            type_: format!("https://anjian.dev/problems/{code}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            code: code.to_owned(),
            errors: match self {
                Self::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
            extra: match self {
                Self::ConflictWith(_, extra) => extra.clone(),
                _ => serde_json::Map::new(),
            },
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (title, detail) = self.title_and_detail();
        write!(f, "{title}: {detail}")
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized
            | Self::InvalidCredentials
            | Self::InvalidTotpCode
            | Self::InvalidChallenge => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::TotpEnrolmentRequired => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::ConflictWith(..) | Self::InvalidTransition(_) => {
                StatusCode::CONFLICT
            }
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) | Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::OutcomeUnknown(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(error.cause = %cause, "internal error"),
            Self::Unavailable(cause) => {
                tracing::warn!(error.cause = %cause, "database unavailable")
            }
            Self::OutcomeUnknown(cause) => {
                tracing::error!(error.cause = %cause, "committed change not confirmed durable")
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        if let Self::RateLimited { retry_after_secs } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
        }
        if matches!(self, Self::Unauthorized | Self::InvalidCredentials) {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        match err {
            diesel::result::Error::NotFound => Self::NotFound,
            // PostgreSQL gave up waiting for a lock (the writer's `lock_timeout`) or broke a
            // deadlock: nothing of the transaction is kept, and a retry may well succeed.
            // (diesel has no kind for these; the messages are PostgreSQL's, in English.)
            diesel::result::Error::DatabaseError(_, ref info)
                if info
                    .message()
                    .starts_with("canceling statement due to lock timeout")
                    || info.message().starts_with("deadlock detected") =>
            {
                Self::Unavailable(format!("database: {}", info.message()))
            }
            other => Self::Internal(format!("database: {other}")),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        Self::Validation(invalid.0)
    }
}

impl ApiError {
    /// The error as the command line prints it: each bad field with its message, or the title
    /// and detail.
    pub fn for_terminal(&self) -> String {
        match self {
            Self::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }
}
