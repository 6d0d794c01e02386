//! Prometheus metrics: requests by route and status, latency histograms, pool usage, and domain
//! counters. Labels are route patterns (`/api/v1/users/{id}`), never raw paths, so no identifier,
//! token or receipt can end up in a label.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub latency: HistogramVec,
    pub pool_connections: IntGauge,
    pub pool_idle: IntGauge,
    pub pool_max: IntGauge,
    /// Domain events by kind and outcome, e.g. `permit_decision{outcome="approved"}`.
    pub domain: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    #[expect(
        clippy::expect_used,
        reason = "metric names and labels are constants; a bad one is a bug caught by every test"
    )]
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("anjian".into()), None).expect("valid prefix");
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route pattern, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route pattern",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route", "method"],
        )
        .expect("valid metric");
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("valid metric");
        let pool_connections = gauge(
            "db_pool_connections",
            "open database connections in the pool",
        );
        let pool_idle = gauge(
            "db_pool_idle_connections",
            "idle database connections in the pool",
        );
        let pool_max = gauge("db_pool_max_connections", "pool size");
        let domain = IntCounterVec::new(
            Opts::new("domain_events_total", "domain events by kind and outcome"),
            &["kind", "outcome"],
        )
        .expect("valid metric");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_idle.clone()),
            Box::new(pool_max.clone()),
            Box::new(domain.clone()),
        ] {
            // Names are distinct constants; registration cannot collide.
            let _ = registry.register(collector);
        }
        Self {
            registry,
            requests,
            latency,
            pool_connections,
            pool_idle,
            pool_max,
            domain,
        }
    }

    pub fn domain_event(&self, kind: &str, outcome: &str) {
        self.domain.with_label_values(&[kind, outcome]).inc();
    }

    pub fn render(&self, pool: &crate::db::Pool) -> String {
        let state = pool.state();
        self.pool_connections.set(i64::from(state.connections));
        self.pool_idle.set(i64::from(state.idle_connections));
        self.pool_max.set(i64::from(pool.max_size()));
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}
