//! The key metrics that `diff`, `sweep` and `--precision` work on: one number per
//! replication, named as in summary.json (`http_req_duration.p(95)`, `cost.total_usd`).

use crate::engine::result::ReplicationResult;
use crate::model::experiment::Experiment;
use crate::stats::interval::{Domain, Estimate, estimate_in};

type Getter = Box<dyn Fn(&ReplicationResult) -> f64 + Send + Sync>;

pub struct MetricDef {
    pub name: String,
    pub unit: &'static str,
    pub get: Getter,
}

impl MetricDef {
    fn new(
        name: impl Into<String>,
        unit: &'static str,
        get: impl Fn(&ReplicationResult) -> f64 + Send + Sync + 'static,
    ) -> Self {
        MetricDef {
            name: name.into(),
            unit,
            get: Box::new(get),
        }
    }

    /// The metric in each replication (NaN where undefined).
    pub fn values(&self, results: &[ReplicationResult]) -> Vec<f64> {
        results.iter().map(|r| (self.get)(r)).collect()
    }

    /// Where the metric lives: the error rate in [0, 1], every other key metric (times,
    /// rates, counts, money, replicas) at or above 0.
    pub fn domain(&self) -> Domain {
        if self.name == "http_req_failed.rate" {
            Domain::Proportion
        } else {
            Domain::NonNegative
        }
    }

    /// The mean across replications with its 95% interval, kept inside the domain.
    pub fn estimate(&self, results: &[ReplicationResult]) -> Estimate {
        estimate_in(&self.values(results), self.domain())
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

fn per_s(c: u64, r: &ReplicationResult) -> f64 {
    let s = r.duration as f64 / 1e9;
    if s > 0.0 { c as f64 / s } else { f64::NAN }
}

/// Metrics that every experiment has, then per-service replica counts where an autoscaler acts.
pub fn key_metrics(exp: &Experiment) -> Vec<MetricDef> {
    let trend = |name: &'static str, f: fn(&crate::stats::latency::TrendStats) -> f64| {
        MetricDef::new(format!("http_req_duration.{name}"), "ms", move |r| {
            r.latency.map(|t| f(&t)).unwrap_or(f64::NAN)
        })
    };
    let mut v = vec![
        trend("avg", |t| t.avg),
        trend("med", |t| t.med),
        trend("p(90)", |t| t.p90),
        trend("p(95)", |t| t.p95),
        trend("p(99)", |t| t.p99),
        trend("max", |t| t.max),
        MetricDef::new("http_req_failed.rate", "", |r| {
            ratio(r.failures, r.requests)
        }),
        MetricDef::new("http_reqs.rate", "/s", |r| per_s(r.requests, r)),
        MetricDef::new("iterations.count", "", |r| r.iterations as f64),
        MetricDef::new("dropped_iterations.count", "", |r| {
            r.dropped_iterations as f64
        }),
        // Everything the run costs, as summary.json's `cost.total_usd`: replicas, database
        // primaries and read replicas, caches and provider calls.
        MetricDef::new("cost.total_usd", "USD", |r| r.cost.total()),
    ];
    let scaled: Vec<usize> = exp
        .model
        .kubernetes
        .iter()
        .flat_map(|k| k.hpas.iter().map(|b| b.station))
        .collect();
    for (i, s) in exp.model.stations.iter().enumerate() {
        if scaled.contains(&i) {
            v.push(MetricDef::new(
                format!("replicas_avg.{}", s.name),
                "",
                move |r| r.stations[i].replicas_avg,
            ));
            v.push(MetricDef::new(
                format!("replicas_max.{}", s.name),
                "",
                move |r| r.stations[i].replicas_max,
            ));
        }
    }
    v
}

/// Short names accepted for the common metrics.
pub fn canonical(name: &str) -> String {
    let n = name.trim();
    match n {
        "p90" | "p(90)" => "http_req_duration.p(90)".into(),
        "p95" | "p(95)" => "http_req_duration.p(95)".into(),
        "p99" | "p(99)" => "http_req_duration.p(99)".into(),
        "avg" | "med" | "max" => format!("http_req_duration.{n}"),
        "error_rate" | "http_req_failed" => "http_req_failed.rate".into(),
        "http_reqs" | "throughput" => "http_reqs.rate".into(),
        "cost" | "cost_usd" => "cost.total_usd".into(),
        _ => n
            .replace("http_req_duration.p95", "http_req_duration.p(95)")
            .replace("http_req_duration.p99", "http_req_duration.p(99)")
            .replace("http_req_duration.p90", "http_req_duration.p(90)"),
    }
}

/// Finds a metric by name (or short name), with the nearest name in the error.
pub fn find<'a>(defs: &'a [MetricDef], name: &str) -> Result<&'a MetricDef, String> {
    let want = canonical(name);
    defs.iter().find(|d| d.name == want).ok_or_else(|| {
        crate::suggest::unknown_name("metric", name, defs.iter().map(|d| d.name.as_str()))
    })
}

/// A number for tables: few significant digits, no exponent for ordinary magnitudes.
pub fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        return "-".into();
    }
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        format!("{x:.0}")
    } else if a >= 100.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a >= 0.001 {
        format!("{x:.4}")
    } else {
        format!("{x:.2e}")
    }
}

/// A signed number (`+38.2`).
pub fn fmt_signed(x: f64) -> String {
    let s = fmt_num(x);
    if x > 0.0 { format!("+{s}") } else { s }
}

/// A console table: each column left-aligned to its widest cell (header included), two
/// spaces of indent, trailing blanks trimmed, one line per row.
pub fn aligned_table<const N: usize>(head: [&str; N], rows: &[[String; N]]) -> String {
    let mut w = head.map(|h| h.chars().count());
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            l.push_str(&format!(" {:<width$}", c, width = w[i]));
        }
        l.trim_end().to_string() + "\n"
    };
    let mut s = line(&head.map(String::from));
    for r in rows {
        s.push_str(&line(r));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Budget, run_replication};
    use crate::model::load::{experiment_from_str, model_from_str};
    use std::path::Path;

    /// `diff`, `sweep` and `calibrate` compare the cost that summary.json reports: the
    /// database and the provider calls count, not only the service replicas.
    #[test]
    fn cost_is_the_whole_bill() {
        let model = model_from_str(
            "name: priced\n\
             endpoints:\n  \"GET /\": {service: api, operation: get}\n\
             services:\n  api:\n    replicas: 2\n    workers: 4\n    price_per_hour: 1.0\n    \
             operations:\n      get:\n        - query: {database: pg, kind: read, time: {constant: 1ms}}\n        \
             - external: {provider: rpc}\n\
             databases:\n  pg: {cores: 2, pool_size: 4, pool_timeout: 1s, price_per_hour: 3.0}\n\
             providers:\n  rpc: {latency: {constant: 1ms}, cost_per_call: 0.001}\n",
            Path::new("priced.yaml"),
            Path::new("."),
        )
        .unwrap();
        let exp = experiment_from_str(
            "model: priced.yaml\nflow:\n  - request: {endpoint: \"GET /\"}\n  - sleep: 1s\n\
             scenarios:\n  s: {executor: constant-vus, vus: 2, duration: 1m}\n",
            Path::new("e.yaml"),
            model,
            None,
        )
        .unwrap();
        let r = run_replication(&exp, 0, Budget::default()).unwrap();
        let defs = key_metrics(&exp);
        let cost = find(&defs, "cost.total_usd")
            .unwrap()
            .values(std::slice::from_ref(&r))[0];
        let services: f64 = r.stations.iter().map(|s| s.cost_usd).sum();
        assert_eq!(cost, r.cost.total());
        // The primary is billed with the caches (`caches_and_fixed`), read replicas apart.
        assert!(
            r.cost.caches_and_fixed > 0.0 && r.cost.providers > 0.0,
            "{:?}",
            r.cost
        );
        assert!(
            cost > services + r.cost.caches_and_fixed,
            "{cost} vs {services}"
        );
    }
}
