//! What every handler can reach: the database, the configuration, the clock, the keys, the
//! per-process counters. No capability's cache lives here (the permit types as last read are
//! their own app data, `permits::types::TypeCache`). Nothing here is the source of truth
//! for anything: processes share only the database.

use std::sync::Arc;

use crate::auth::token::TokenKeys;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::http::limits::RateLimits;
use crate::http::metrics::Metrics;
use crate::portal::csrf::CsrfKey;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub tokens: Arc<TokenKeys>,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<RateLimits>,
    /// The portal's form tokens' key.
    pub csrf: Arc<CsrfKey>,
}

impl AppState {
    /// When a request acts: the instant, and the city's local date.
    pub fn now(&self) -> crate::clock::Now {
        self.clock.at(self.config.timezone)
    }

    pub fn new(db: Db, config: Config, clock: Clock) -> Self {
        let tokens = Arc::new(TokenKeys::new(&config.secrets.jwt_secret));
        let limits = Arc::new(RateLimits::new(&config));
        let csrf = Arc::new(CsrfKey::derive(&config.secrets.jwt_secret));
        Self {
            db,
            config: Arc::new(config),
            clock,
            tokens,
            metrics: Arc::new(Metrics::new()),
            limits,
            csrf,
        }
    }
}
