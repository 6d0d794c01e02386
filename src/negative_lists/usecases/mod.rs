//! The negative lists' use cases, a file per sub-resource. Each function runs inside the
//! caller's one transaction (`state.db.write` / `state.db.run`), reads, calls the pure rules of
//! [`super::domain`], writes and appends its audit events, and answers a view or a
//! [`NegativeListError`]. The JSON handlers call them; so can a page.

pub mod figures;
pub mod lists;
pub mod templates;
pub mod violations;

use serde_json::json;

use super::domain::{Category, Handling, Item, Severity};
use super::store::ItemRow;
use crate::actor::Scope;
use crate::error::ApiError;
use crate::http::pagination::Page;
use crate::ids::EnterpriseId;
use crate::validate::Invalid;

/// The audit trail's names of the three aggregates.
pub const LIST: &str = "negative_list";
pub const TEMPLATE: &str = "negative_list_template";
pub const VIOLATION: &str = "violation";

/// What a negative-list use case answers when it does not succeed.
#[derive(Debug, thiserror::Error)]
pub enum NegativeListError {
    /// No such record, or another enterprise's.
    #[error("no such record")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The record's state does not allow the change (a published version, a corrected
    /// violation).
    #[error("{0}")]
    InvalidTransition(String),
    /// The enterprise already has a draft, or its current version changed concurrently.
    #[error("{0}")]
    Conflict(String),
    /// Store and audit failures, and the 404 / 409 of a lost compare-and-set, pass through.
    #[error(transparent)]
    Store(#[from] ApiError),
}

impl From<NegativeListError> for ApiError {
    fn from(e: NegativeListError) -> Self {
        match e {
            NegativeListError::NotFound => ApiError::NotFound,
            NegativeListError::Invalid(invalid) => invalid.into(),
            NegativeListError::InvalidTransition(detail) => ApiError::InvalidTransition(detail),
            NegativeListError::Conflict(detail) => ApiError::Conflict(detail),
            NegativeListError::Store(e) => e,
        }
    }
}

/// A stored enumeration's value; text the enumeration does not know is a 500.
fn stored<T>(parsed: Option<T>) -> Result<T, ApiError> {
    parsed.ok_or_else(|| ApiError::internal("unknown enumeration value stored"))
}

/// A stored item (of a template or a list) as the API shows it.
fn item_view(r: ItemRow) -> Result<Item, ApiError> {
    Ok(Item {
        category: stored(Category::parse(&r.category))?,
        severity: stored(Severity::parse(&r.severity))?,
        suggested_handling: stored(Handling::parse(&r.suggested_handling))?,
        code: r.code,
        title: r.title,
        description: r.description,
    })
}

fn item_views(rows: Vec<ItemRow>) -> Result<Vec<Item>, ApiError> {
    rows.into_iter().map(item_view).collect()
}

/// The audit payload of a replacement of items: how many, and their codes in order.
fn codes_payload(items: &[Item]) -> serde_json::Value {
    json!({
        "item_count": items.len(),
        "codes": items.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
    })
}

/// The answer to a list read that may see nothing.
fn empty_page<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        next_cursor: None,
    }
}

/// The enterprise filter of a list read: `asked` (an optional `enterprise_id`) within what the
/// caller may see. `None` when the caller asked for records it may not see: the answer is
/// empty (or 404 for a single figure).
fn narrowed(scope: Scope, asked: Option<EnterpriseId>) -> Option<Option<EnterpriseId>> {
    match (scope, asked) {
        (Scope::All, asked) => Some(asked),
        (Scope::Enterprise(own), Some(asked)) if own != asked => None,
        (Scope::Enterprise(own), _) => Some(Some(own)),
        (Scope::Nothing, _) => None,
    }
}
