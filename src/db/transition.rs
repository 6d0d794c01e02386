//! One compare-and-set transition, the same for every state machine of the service.
//!
//! A transition is an `UPDATE … WHERE id = ? AND <guard> RETURNING …`: the guard is the state
//! the transition starts from, so of two requests racing for one change exactly one finds its
//! row. [`settle`] finishes it: the winner appends its audit event in the same transaction and
//! gets the updated row; the loser — or a request made in a state that does not allow the
//! change — reads the record's current state and answers 409 `invalid_transition` naming it
//! (404 when there is no such record).
//!
//! An edit guarded by the row's `updated_at` instead of a state (a task's progress, a campaign's
//! name) has no state to name: [`settle_version`] answers its loser 409 `conflict` ("changed
//! concurrently; reload and retry").

use chrono::NaiveDateTime;
use serde_json::Value;

use crate::audit::{self, Actor};
use crate::db::DbConn;
use crate::error::ApiError;

/// The audit event a transition records when it wins.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// The aggregate's type as the trail names it (`"hazard"`, `"report"`, …).
    pub aggregate: &'static str,
    pub id: i64,
    /// The event's action (`"verified"`, `"concluded"`, …).
    pub action: &'a str,
    pub actor: &'a Actor,
    pub payload: Value,
    pub at: NaiveDateTime,
}

/// What a transition's loser is told: the record, in words (`"the hazard"`), and what it is now.
pub fn refused(what: &str, current: &str) -> ApiError {
    ApiError::InvalidTransition(format!(
        "{what} is {current}: this change is not allowed now"
    ))
}

/// Finishes a compare-and-set. `updated` is what the guarded update returned (`None`: no row
/// matched its guard); `current` reads the record's state now, `None` if there is no such
/// record. On a win, `event` is appended to the record's audit chain.
pub fn settle<T>(
    conn: &mut DbConn,
    updated: Option<T>,
    what: &str,
    current: impl FnOnce(&mut DbConn) -> Result<Option<String>, ApiError>,
    event: Event<'_>,
) -> Result<T, ApiError> {
    match updated {
        Some(row) => {
            audit::store::append(
                conn,
                event.aggregate,
                &event.id.to_string(),
                event.action,
                event.actor,
                event.payload,
                event.at,
            )?;
            Ok(row)
        }
        None => match current(conn)? {
            Some(state) => Err(refused(what, &state)),
            None => Err(ApiError::NotFound),
        },
    }
}

/// Finishes an edit guarded by the row's version (`… AND updated_at = ?`): the winner appends
/// `event`; the loser, whose copy is stale, is told to reload (409 `conflict`).
pub fn settle_version<T>(
    conn: &mut DbConn,
    updated: Option<T>,
    what: &str,
    event: Event<'_>,
) -> Result<T, ApiError> {
    let stale = || ApiError::Conflict(format!("{what} was changed concurrently; reload and retry"));
    settle(conn, updated, what, |_| Err(stale()), event)
}
