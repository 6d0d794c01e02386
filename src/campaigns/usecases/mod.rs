//! The campaign use cases, a file per sub-resource: campaigns, their key tasks, inspection
//! groups with their stationings, and the figures. Each write use case is one function that
//! runs inside the caller's transaction, checks what needs the database, calls the pure rules
//! of `domain.rs`, writes, and appends its audit events; it answers a view or a
//! [`CampaignError`].

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::ApiError;
use crate::validate::{Invalid, Validator};

pub mod campaigns;
pub mod figures;
pub mod groups;
pub mod tasks;

pub use crate::clock::Now;

/// What a campaign use case answers besides its view.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("no such record")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The campaign is closed: nothing more is added to it.
    #[error("{0}")]
    Closed(String),
    /// The record's state does not allow the change (a closed campaign edited, a done task
    /// reopened, a lost compare-and-set).
    #[error("{0}")]
    InvalidTransition(String),
    /// Store and audit failures pass through.
    #[error(transparent)]
    Store(#[from] ApiError),
}

impl From<CampaignError> for ApiError {
    fn from(e: CampaignError) -> Self {
        match e {
            CampaignError::NotFound => ApiError::NotFound,
            CampaignError::Invalid(invalid) => invalid.into(),
            CampaignError::Closed(detail) => ApiError::Conflict(detail),
            CampaignError::InvalidTransition(detail) => ApiError::InvalidTransition(detail),
            CampaignError::Store(e) => e,
        }
    }
}

/// A stored enum text that parsed: anything else is a broken row (500).
pub(crate) fn stored<T>(parsed: Option<T>, what: &str) -> Result<T, ApiError> {
    parsed.ok_or_else(|| ApiError::internal(format!("unknown {what} stored")))
}

/// A view as JSON (an idempotent creation stores its response).
pub fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

/// A date in the past or today, else a 422 on `field`.
pub(crate) fn not_future(v: &mut Validator, field: &str, date: NaiveDate, today: NaiveDate) {
    if date > today {
        v.add(field, "out_of_range", "must not be in the future");
    }
}

/// A required text of 1 to `max` characters (trimmed); empty when refused.
pub(crate) fn valid_text(v: &mut Validator, field: &str, value: &str, max: usize) -> String {
    v.text(field, value, 1, max).unwrap_or_default()
}

/// Whether the enterprise exists (read through the enterprises' store).
pub(crate) fn enterprise_exists(
    conn: &mut crate::db::DbConn,
    id: crate::ids::EnterpriseId,
) -> Result<bool, ApiError> {
    Ok(crate::enterprises::store::find(conn, id)?.is_some())
}
