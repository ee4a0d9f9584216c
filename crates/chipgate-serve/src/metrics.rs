//! `GET /metrics`: what the service has done, in the OpenMetrics text format (prometheus-client).

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// The service's counters.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    audits: Counter,
    audit_rows: Counter,
    reloads: Family<Labels, Counter>,
    rules: Gauge,
}

/// Latency buckets, seconds: a check takes well under a millisecond, an audit seconds.
const BUCKETS: [f64; 10] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0, 5.0, 30.0];

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        let mut registry = Registry::with_prefix("chipgate");
        let requests = Family::<Labels, Counter>::default();
        let latency = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(histogram);
        let (audits, audit_rows, reloads, rules) = (Counter::default(), Counter::default(), Family::default(), Gauge::default());
        registry.register("requests", "HTTP requests answered, by route and status", requests.clone());
        registry.register(
            "request_duration_seconds",
            "Time to answer a request (for an audit: to start the answer), by route",
            latency.clone(),
        );
        registry.register("audits", "Audits completed", audits.clone());
        registry.register("audit_rows", "Rows of completed audits", audit_rows.clone());
        registry.register("rule_reloads", "Reloads of the rule packs, by result", reloads.clone());
        registry.register("rules", "Rules in the rule set in use", rules.clone());
        Metrics { registry, requests, latency, audits, audit_rows, reloads, rules }
    }

    /// A request answered.
    pub(crate) fn request(&self, route: &str, status: u16, took: Duration) {
        self.requests.get_or_create(&vec![("route", route.to_string()), ("status", status.to_string())]).inc();
        self.latency.get_or_create(&vec![("route", route.to_string())]).observe(took.as_secs_f64());
    }

    /// An audit completed.
    pub(crate) fn audit(&self, rows: u64) {
        self.audits.inc();
        self.audit_rows.inc_by(rows);
    }

    /// A reload tried.
    pub(crate) fn reload(&self, ok: bool) {
        self.reloads.get_or_create(&vec![("result", if ok { "ok" } else { "failed" }.to_string())]).inc();
    }

    /// The text of the metrics; `rules` is the size of the rule set in use.
    pub(crate) fn text(&self, rules: usize) -> String {
        self.rules.set(i64::try_from(rules).unwrap_or(i64::MAX));
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out = "# the metrics could not be encoded\n# EOF\n".to_string();
        }
        out
    }
}
