//! The use cases of reports and rewards: one function per write, and per read that combines
//! several queries, called by the JSON handlers (and by the portal's pages). Each takes `conn`
//! first, then the time ([`Now`]), the actor and typed inputs, checks what needs the database,
//! calls the pure rules of `domain.rs`, writes through `store` and appends its audit events in
//! the same transaction; it answers a view or a [`ReportError`].
//!
//! - `public.rs`: the reporter's side (filing, following by receipt, messages, the claim).
//! - `handling.rs`: staff handling a report (assign, start, messages, conclude, identity).
//! - `rewards.rs`: reward decisions, payment, the reward rules.
//! - `situations.rs`: the reward-situation catalogue and its import (JSON or CSV).
//! - `figures.rs`: the report and reward figures.
//! - `retention.rs`: erasing the reporter's details once a report's keeping time is over.

use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::validate::Invalid;

pub mod figures;
pub mod handling;
pub mod public;
pub mod retention;
pub mod rewards;
pub mod situations;

/// What a report or reward use case may answer besides its view.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No such report, reward or reporter (a wrong receipt).
    #[error("no such record")]
    NotFound,
    /// Fields that are wrong, each named (422).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The record's state does not allow the change (409 `invalid_transition`).
    #[error("{0}")]
    InvalidTransition(String),
    /// The change conflicts with what exists (409 `conflict`): already rewarded, no rule.
    #[error("{0}")]
    Conflict(String),
    /// Store, audit and settle failures pass through as they are.
    #[error(transparent)]
    Store(#[from] ApiError),
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::NotFound => ApiError::NotFound,
            ReportError::Invalid(invalid) => invalid.into(),
            ReportError::InvalidTransition(detail) => ApiError::InvalidTransition(detail),
            ReportError::Conflict(detail) => ApiError::Conflict(detail),
            ReportError::Store(e) => e,
        }
    }
}

pub use crate::clock::Now;

/// A stored enumeration's text read back: text the service did not write is an internal error.
pub(crate) fn internal_text<T>(
    text: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, ApiError> {
    parse(text).ok_or_else(|| ApiError::internal("unknown enumeration value stored"))
}

/// A view or payload as JSON (for the audit trail and idempotent answers).
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(ApiError::internal)
}
