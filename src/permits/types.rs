//! The permit types as this process last read them. An instant decision needs its type before
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

use super::domain::PermitType;
use super::store;
use crate::db::DbConn;
use crate::error::ApiError;

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
    pub fn get(&self, conn: &mut DbConn, code: &str) -> Result<Arc<PermitType>, ApiError> {
        match self.all(conn)?.get(code) {
            Some(Ok(t)) => Ok(Arc::clone(t)),
            Some(Err(why)) => Err(ApiError::internal(why.clone())),
            None => Err(super::lifecycle::unknown_type()),
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
