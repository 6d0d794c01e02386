//! What a permit use case answers when it does not succeed. The use cases (`lifecycle`,
//! `review`, `register`, `applications`, `types`, `figures`) return [`PermitError`]; the HTTP
//! edge turns it into an [`ApiError`] (a status and a stable code) with the `From` below. The
//! store's and the audit trail's own failures pass through unchanged ([`PermitError::Store`]).

use crate::error::ApiError;
use crate::validate::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum PermitError {
    /// No such application, certificate or permit type, or another enterprise's (404).
    #[error("no such record")]
    NotFound,
    /// A code that names no permit type: a 422 on `permit_type`.
    #[error("is not a permit type code")]
    UnknownType,
    /// Fields that fail their checks (422, each field named).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The record's state does not allow the change (409 `invalid_transition`).
    #[error("{0}")]
    InvalidTransition(String),
    /// What the change needs no longer holds: the type closed to new applications, the
    /// certificate to continue no longer active (409 `conflict`).
    #[error("{0}")]
    Conflict(String),
    /// The caller's token is not one this service stands by now (401).
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// The caller's role or account may not do this (403).
    #[error("your role may not do this")]
    Forbidden,
    /// The store's, the audit trail's and the caller's confirmation's own errors.
    #[error(transparent)]
    Store(#[from] ApiError),
}

impl From<PermitError> for ApiError {
    fn from(e: PermitError) -> Self {
        match e {
            PermitError::NotFound => ApiError::NotFound,
            PermitError::UnknownType => {
                ApiError::field("permit_type", "unknown_code", "is not a permit type code")
            }
            PermitError::Invalid(invalid) => invalid.into(),
            PermitError::InvalidTransition(why) => ApiError::InvalidTransition(why),
            PermitError::Conflict(why) => ApiError::Conflict(why),
            PermitError::Unauthorized => ApiError::Unauthorized,
            PermitError::Forbidden => ApiError::Forbidden,
            PermitError::Store(e) => e,
        }
    }
}
