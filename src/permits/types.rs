//! The permit types: as this process last read them ([`TypeCache`], its own app data), the
//! list, and the admin's change ([`update`]).
//!
//! The cache: the permit types as this process last read them. An instant decision needs its type before
//! anything else; reading all twelve at most once a second saves that round trip (and the
//! parsing of the type's field list) on nearly every application.
//!
//! A change made through this process applies to every application that arrives after its
//! `PATCH` was answered ([`TypeCache::forget`], called once it is committed); a change made
//! through another process (or by a `PATCH` whose client left before the answer), within
//! [`FRESH_FOR`]. Forms and rules are fixed; what may change is a type's statutory days, its
//! validity and whether it is active.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::domain::PermitType;
use super::error::PermitError;
use super::store::{self, PermitTypeChanges};
use super::views::{PermitTypeView, type_view};
use crate::actor::Actor;
use crate::audit;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::validate::Validator;

/// How long one read of the permit types serves this process.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Each type as read, or why its stored row could not be read (a 500 for that type alone).
type Types = Arc<HashMap<String, Result<Arc<PermitType>, String>>>;

#[derive(Default)]
pub struct TypeCache(Mutex<Inner>);

#[derive(Default)]
struct Inner {
    /// Counts [`TypeCache::forget`]s, so that a read which started before one is not kept.
    generation: u64,
    read: Option<(Instant, Types)>,
}

impl TypeCache {
    /// The permit type `code`, or a 422 on `permit_type` when there is none by that code.
    pub fn get(&self, conn: &mut DbConn, code: &str) -> Result<Arc<PermitType>, PermitError> {
        match self.all(conn)?.get(code) {
            Some(Ok(t)) => Ok(Arc::clone(t)),
            Some(Err(why)) => Err(ApiError::internal(why.clone()).into()),
            None => Err(PermitError::UnknownType),
        }
    }

    /// Drops what was read: the next request reads the types again.
    pub fn forget(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.read = None;
    }

    fn all(&self, conn: &mut DbConn) -> Result<Types, ApiError> {
        let generation = {
            let inner = self.lock();
            if let Some((read_at, types)) = &inner.read
                && read_at.elapsed() < FRESH_FOR
            {
                return Ok(types.clone());
            }
            inner.generation
        };
        let read_at = Instant::now();
        let types: Types = Arc::new(
            store::list_types(conn)?
                .iter()
                .map(|row| {
                    let t = row.to_domain().map(Arc::new).map_err(|e| e.to_string());
                    (row.code.clone(), t)
                })
                .collect(),
        );
        let mut inner = self.lock();
        if inner.generation == generation {
            inner.read = Some((read_at, types.clone()));
        }
        Ok(types)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Every permit type with its form fields, in code order.
pub fn list(conn: &mut DbConn) -> Result<Vec<PermitTypeView>, PermitError> {
    let rows = store::list_types(conn)?;
    Ok(rows.iter().map(type_view).collect::<Result<Vec<_>, _>>()?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePermitTypeRequest {
    /// 1 to 365 calendar days.
    pub statutory_days: Option<i64>,
    /// 1 to 240; only for types whose certificates have their own validity.
    pub validity_months: Option<i64>,
    /// An inactive type accepts no new applications or submissions.
    pub active: Option<bool>,
}

/// Changes a permit type's statutory review days (1 to 365), its validity (1 to 240 months,
/// only for a type whose certificates have their own) or whether it accepts applications,
/// with an audit event. Forms and rules are fixed. The caller tells this process's
/// [`TypeCache`] to [`forget`](TypeCache::forget) once the change is committed.
pub fn update(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    code: &str,
    patch: &UpdatePermitTypeRequest,
) -> Result<PermitTypeView, PermitError> {
    let current = store::find_type(conn, code)?.ok_or(PermitError::NotFound)?;
    let mut v = Validator::new();
    if patch
        .statutory_days
        .is_some_and(|d| !(1..=365).contains(&d))
    {
        v.add("statutory_days", "out_of_range", "must be 1 to 365");
    }
    if let Some(m) = patch.validity_months {
        if current.validity_months.is_none() {
            v.add(
                "validity_months",
                "invalid",
                "this type keeps the old expiry or issues no certificate",
            );
        } else if !(1..=240).contains(&m) {
            v.add("validity_months", "out_of_range", "must be 1 to 240");
        }
    }
    v.finish()?;
    let changes = PermitTypeChanges {
        statutory_days: patch.statutory_days.map(|d| d as i32),
        validity_months: patch.validity_months.map(|m| Some(m as i32)),
        active: patch.active,
        updated_at: Some(Some(now)),
    };
    let row = store::update_type(conn, code, &changes)?;
    audit::store::append(
        conn,
        "permit_type",
        code,
        "updated",
        actor,
        json!({"statutory_days": changes.statutory_days, "validity_months": patch.validity_months, "active": changes.active}),
        now,
    )?;
    Ok(type_view(&row)?)
}
