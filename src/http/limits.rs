//! Per-process rate limits by client address (SPEC 1.2). They are an optimisation against
//! floods, not a source of truth; the per-username login throttle lives in the database.
//!
//! The client address is the peer, unless the peer is a trusted proxy: then it is the rightmost
//! address of `X-Forwarded-For` that is not itself a trusted proxy.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use crate::config::{Config, Rate};
use crate::error::ApiError;

pub struct Limiter {
    inner: DefaultKeyedRateLimiter<IpAddr>,
}

impl Limiter {
    pub fn new(rate: Rate) -> Self {
        let count = NonZeroU32::new(rate.count).unwrap_or(NonZeroU32::MIN);
        let per_cell = (rate.period / rate.count.max(1)).max(Duration::from_nanos(1));
        let quota = Quota::with_period(per_cell)
            .unwrap_or_else(|| Quota::per_second(count))
            .allow_burst(count);
        Self {
            inner: RateLimiter::keyed(quota),
        }
    }

    /// Counts one event for `ip`; 429 with `Retry-After` when over the rate.
    pub fn check(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.inner.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited {
                retry_after_secs: wait.as_secs() + 1,
            }
        })
    }

    /// Drops the state of addresses that have been quiet (bounds memory).
    pub fn forget_quiet(&self) {
        self.inner.retain_recent();
    }
}

/// Wrong receipts per client address (SPEC 1.2, `ANJIAN_RECEIPT_RATE`): past the limit within
/// one window, *every* receipt route answers that address 429 until the window passes.
///
/// governor's limiters consume a cell on every check, which fits "N attempts per period" but
/// not "is this address blocked?" asked before the (slow) receipt hash and counted only when the
/// receipt turns out wrong. So this is a small fixed-window counter per address: the window
/// opens at the first wrong receipt and lasts the configured period; `check` refuses while the
/// count has reached the limit; `strike` counts one wrong receipt. Time comes from the service
/// clock (tests move it). Per process, like every rate limit here.
pub struct StrikeLimiter {
    limit: u32,
    period: chrono::Duration,
    windows: Mutex<HashMap<IpAddr, (DateTime<Utc>, u32)>>,
}

impl StrikeLimiter {
    pub fn new(rate: Rate) -> Self {
        Self {
            limit: rate.count.max(1),
            period: chrono::Duration::from_std(rate.period)
                .unwrap_or_else(|_| chrono::Duration::minutes(15)),
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn windows(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (DateTime<Utc>, u32)>> {
        self.windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// 429 with `Retry-After` while `ip` has used up its wrong receipts in the current window.
    pub fn check(&self, ip: IpAddr, now: DateTime<Utc>) -> Result<(), ApiError> {
        match self.windows().get(&ip) {
            Some((start, count)) if *count >= self.limit && now < *start + self.period => {
                let wait = (*start + self.period - now).num_seconds().max(0);
                Err(ApiError::RateLimited {
                    retry_after_secs: u64::try_from(wait).unwrap_or(0) + 1,
                })
            }
            _ => Ok(()),
        }
    }

    /// Counts one wrong receipt from `ip`.
    pub fn strike(&self, ip: IpAddr, now: DateTime<Utc>) {
        let mut windows = self.windows();
        let entry = windows.entry(ip).or_insert((now, 0));
        if now >= entry.0 + self.period {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Drops windows that have passed (bounds memory).
    pub fn forget_expired(&self, now: DateTime<Utc>) {
        let period = self.period;
        self.windows().retain(|_, (start, _)| now < *start + period);
    }
}

pub struct RateLimits {
    pub login: Limiter,
    pub report: Limiter,
    pub receipt: StrikeLimiter,
    trusted_proxies: Vec<IpNet>,
}

impl RateLimits {
    pub fn new(config: &Config) -> Self {
        Self {
            login: Limiter::new(config.login_rate),
            report: Limiter::new(config.report_rate),
            receipt: StrikeLimiter::new(config.receipt_rate),
            trusted_proxies: config.trusted_proxies.clone(),
        }
    }

    pub fn client_ip(&self, req: &HttpRequest) -> IpAddr {
        let peer = req
            .peer_addr()
            .map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip());
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        client_address(peer, forwarded, &self.trusted_proxies)
    }

    pub fn forget_quiet(&self) {
        self.login.forget_quiet();
        self.report.forget_quiet();
    }
}

pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(list) = forwarded_for else {
        return peer;
    };
    let hops: Vec<IpAddr> = list
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    hops.iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(hops.first())
        .copied()
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_address(ip("203.0.113.9"), Some("1.2.3.4"), &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                Some("1.2.3.4, 198.51.100.7, 10.0.0.3"),
                &trusted
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), None, &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), Some("garbage"), &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn wrong_receipts_block_an_address_until_the_window_passes() {
        use chrono::TimeZone;
        let strikes = StrikeLimiter::new(Rate {
            count: 2,
            period: Duration::from_secs(900),
        });
        let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let a = ip("192.0.2.1");
        assert!(strikes.check(a, t0).is_ok());
        strikes.strike(a, t0);
        assert!(
            strikes.check(a, t0).is_ok(),
            "one wrong receipt is not yet too many"
        );
        strikes.strike(a, t0 + chrono::Duration::minutes(1));
        match strikes.check(a, t0 + chrono::Duration::minutes(5)) {
            Err(ApiError::RateLimited { retry_after_secs }) => assert_eq!(retry_after_secs, 601),
            other => panic!("{other:?}"),
        }
        assert!(
            strikes.check(ip("192.0.2.2"), t0).is_ok(),
            "others are not affected"
        );
        let later = t0 + chrono::Duration::minutes(15);
        assert!(strikes.check(a, later).is_ok(), "the window has passed");
        strikes.forget_expired(later);
        assert!(strikes.windows().is_empty());
    }

    #[test]
    fn a_limiter_admits_the_burst_then_refuses_with_retry_after() {
        let limiter = Limiter::new(Rate {
            count: 3,
            period: Duration::from_secs(60),
        });
        for _ in 0..3 {
            assert!(limiter.check(ip("192.0.2.1")).is_ok());
        }
        match limiter.check(ip("192.0.2.1")) {
            Err(ApiError::RateLimited { retry_after_secs }) => {
                assert!((1..=21).contains(&retry_after_secs))
            }
            other => panic!("{other:?}"),
        }
        assert!(
            limiter.check(ip("192.0.2.2")).is_ok(),
            "other addresses are not affected"
        );
    }
}
