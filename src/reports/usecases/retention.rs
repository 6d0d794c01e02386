//! Retention (SPEC 6, GlobaLeaks-style): a report concluded longer ago than
//! `ANJIAN_REPORT_RETENTION_DAYS`, whose reward is paid, lapsed or was never decided, loses its
//! reporter's sealed contact and its reward's sealed payee. Its text, figures, messages and
//! audit trail stay; an `identity_erased` event by the system is appended to its chain.
//!
//! A reward still `decided` (it may be claimed) or `claimed` (it is to be paid) keeps the
//! report's details until it is settled; a decided reward past its claim deadline is written
//! down as lapsed first, as every other reader of rewards does.

use chrono::Duration;
use serde_json::json;

use super::{Now, ReportError};
use crate::audit::{self, Actor};
use crate::db::{Db, DbConn};
use crate::reports::store;

/// The most reports one write erases: each pass is one job of the writer, kept short; the
/// housekeeping step runs passes until none is due.
pub const BATCH: i64 = 200;

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Reports whose details were erased.
    pub erased: usize,
    /// The pass was full: more may be due.
    pub more: bool,
}

/// One pass: erases the details of up to [`BATCH`] reports concluded before `now - keep`.
pub fn erase_expired(conn: &mut DbConn, now: Now, keep: Duration) -> Result<Pass, ReportError> {
    store::lapse_overdue(conn, now.today, now.at, None)?;
    let due = store::due_for_erasure(conn, now.at - keep, BATCH)?;
    let mut erased = 0;
    for id in &due {
        let done = store::erase_identity(conn, *id, now.at)?;
        // Another process erased it first: nothing to record.
        if !(done.contact || done.payee) {
            continue;
        }
        audit::store::append(
            conn,
            "report",
            &id.to_string(),
            "identity_erased",
            &Actor::SYSTEM,
            json!({
                "contact": done.contact,
                "payee": done.payee,
                "retention_days": keep.num_days(),
            }),
            now.at,
        )?;
        erased += 1;
    }
    Ok(Pass {
        erased,
        more: due.len() as i64 == BATCH,
    })
}

/// Housekeeping's retention step: passes of [`erase_expired`], each its own write, until none
/// is full; nothing when retention is off (`keep` is `None`). A failure is logged and left to
/// the next round of housekeeping. Returns how many reports were erased.
pub async fn housekeep(db: &Db, now: Now, keep: Option<Duration>) -> usize {
    let Some(keep) = keep else {
        return 0;
    };
    let mut total = 0;
    loop {
        match db
            .write_case(move |conn| erase_expired(conn, now, keep))
            .await
        {
            Ok(pass) => {
                total += pass.erased;
                if !pass.more || pass.erased == 0 {
                    break;
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "retention: erasing reporters' details failed; the next housekeeping retries");
                break;
            }
        }
    }
    if total > 0 {
        tracing::info!(reports = total, "retention: reporters' details erased");
    }
    total
}
