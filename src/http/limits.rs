//! Per-process rate limits by client address (SPEC 1.2). They are an optimisation against
//! floods, not a source of truth; the per-username login throttle lives in the database.
//!
//! The client address is the peer, unless the peer is a trusted proxy: then it is the rightmost
//! address of `X-Forwarded-For` that is not itself a trusted proxy.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::HttpRequest;
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

pub struct RateLimits {
    pub login: Limiter,
    pub report: Limiter,
    pub receipt: Limiter,
    trusted_proxies: Vec<IpNet>,
}

impl RateLimits {
    pub fn new(config: &Config) -> Self {
        Self {
            login: Limiter::new(config.login_rate),
            report: Limiter::new(config.report_rate),
            receipt: Limiter::new(config.receipt_rate),
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
        self.receipt.forget_quiet();
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
