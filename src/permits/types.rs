//! The permit types as this process last read them. An instant decision needs its type before
//! anything else; reading all twelve at most once a second saves that round trip (and the
//! parsing of the type's field list) on nearly every application.
//!
//! A change made through this process applies at once ([`TypeCache::forget`], called by the
//! `PATCH` of a type once it is committed); a change made through another process, within
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

type Types = Arc<HashMap<String, Arc<PermitType>>>;

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
        self.all(conn)?
            .get(code)
            .cloned()
            .ok_or_else(super::lifecycle::unknown_type)
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
                .map(|row| Ok((row.code.clone(), Arc::new(row.to_domain()?))))
                .collect::<Result<_, ApiError>>()?,
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
