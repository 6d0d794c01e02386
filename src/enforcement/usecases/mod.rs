//! The enforcement use cases, a file per record: inspections, hazards, penalties and orders.
//! Each write use case is one function that runs inside the caller's transaction, checks what
//! needs the database, calls the pure rules of `domain.rs`, writes (a state change as a
//! compare-and-set finished by `db::transition::settle`), and appends its audit events; it
//! answers a view or an [`EnforcementError`].

use crate::error::ApiError;
use crate::ids::HazardId;
use crate::validate::Invalid;

pub mod hazards;
pub mod inspections;
pub mod orders;
pub mod penalties;

/// What an enforcement use case answers besides its view.
#[derive(Debug, thiserror::Error)]
pub enum EnforcementError {
    #[error("no such record")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The record's state does not allow the change (a verified hazard rectified, a lifted
    /// order lifted again).
    #[error("{0}")]
    InvalidTransition(String),
    /// A deregistered enterprise is not ordered to suspend.
    #[error("the enterprise is closed (deregistered)")]
    EnterpriseClosed,
    /// The lift-order gate: these major hazards of the enterprise are not yet verified.
    #[error("every major hazard of the enterprise must be verified before the order is lifted")]
    OpenMajorHazards(Vec<HazardId>),
    /// Store and audit failures pass through (a reused decision number among them).
    #[error(transparent)]
    Store(#[from] ApiError),
}

impl From<EnforcementError> for ApiError {
    fn from(e: EnforcementError) -> Self {
        let detail = e.to_string();
        match e {
            EnforcementError::NotFound => ApiError::NotFound,
            EnforcementError::Invalid(invalid) => invalid.into(),
            EnforcementError::InvalidTransition(_) => ApiError::InvalidTransition(detail),
            EnforcementError::EnterpriseClosed => ApiError::Conflict(detail),
            EnforcementError::OpenMajorHazards(ids) => {
                let mut extra = serde_json::Map::new();
                extra.insert("open_major_hazards".into(), serde_json::json!(ids));
                ApiError::ConflictWith(detail, extra)
            }
            EnforcementError::Store(e) => e,
        }
    }
}
