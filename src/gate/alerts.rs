//! Alert rules on the time series, Prometheus style: `metric op threshold` must hold for
//! `for` before the alert fires. Evaluated per replication on its time buckets (a bucket's
//! value stands for its whole span; the rule is evaluated at each bucket's end); the summary
//! gives the probability of firing across replications and when (earliest, median).

use crate::engine::result::{BucketRow, ReplicationResult};
use crate::model::experiment::Experiment;
use crate::model::load::load_experiment_spec_with;
use crate::spec::experiment::AlertSpec;
use crate::spec::overrides::Overrides;
use crate::stats::interval::{quantile, wilson_interval};
use serde::Serialize;
use std::path::Path;

type Column = Box<dyn Fn(&BucketRow) -> f64 + Send + Sync>;

pub struct AlertRule {
    pub name: String,
    pub metric: String,
    pub op: String,
    pub threshold: f64,
    pub for_s: f64,
    pub severity: String,
    column: Column,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertSummary {
    pub name: String,
    pub severity: String,
    pub rule: String,
    /// Replications in which it fired, of all.
    pub fired: usize,
    pub replications: usize,
    pub probability: f64,
    pub probability_ci95: [f64; 2],
    /// Seconds from the test start, over the replications where it fired.
    pub earliest_s: Option<f64>,
    pub median_s: Option<f64>,
}

impl AlertSummary {
    pub fn line(&self) -> String {
        let when = match (self.earliest_s, self.median_s) {
            (Some(e), Some(m)) => format!(", first at {e:.0}s (median {m:.0}s)"),
            _ => String::new(),
        };
        format!(
            "[{}] {} ({}): fires in {} of {} replications (P = {:.2}, 95% [{:.2}, {:.2}]){when}",
            self.severity,
            self.name,
            self.rule,
            self.fired,
            self.replications,
            self.probability,
            self.probability_ci95[0],
            self.probability_ci95[1]
        )
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

/// Per-bucket value of each time-series column, in [`crate::aggregate::series_columns`] order.
fn column(exp: &Experiment, name: &str) -> Option<Column> {
    let simple: Option<Column> = match name {
        "vus" => Some(Box::new(|b: &BucketRow| b.vus)),
        "request_rate" => Some(Box::new(|b: &BucketRow| b.requests as f64 / b.span_s)),
        "p50_ms" => Some(Box::new(|b: &BucketRow| b.p50_ms)),
        "p95_ms" => Some(Box::new(|b: &BucketRow| b.p95_ms)),
        "p99_ms" => Some(Box::new(|b: &BucketRow| b.p99_ms)),
        "error_rate" => Some(Box::new(|b: &BucketRow| ratio(b.failures, b.requests))),
        "cost_usd" => Some(Box::new(|b: &BucketRow| b.cost_usd)),
        _ => None,
    };
    if simple.is_some() {
        return simple;
    }
    let stations = &exp.model.stations;
    type Pick = fn(&BucketRow, usize) -> f64;
    let per_station: [(&str, Pick); 4] = [
        ("in_flight_", |b, i| b.in_flight[i]),
        ("utilization_", |b, i| b.utilization[i]),
        ("desired_replicas_", |b, i| b.desired[i]),
        ("ready_replicas_", |b, i| b.ready[i]),
    ];
    for (prefix, pick) in per_station {
        if let Some(s) = name.strip_prefix(prefix)
            && let Some(i) = stations.iter().position(|st| st.name == s)
        {
            return Some(Box::new(move |b: &BucketRow| pick(b, i)));
        }
    }
    if let Some(d) = name.strip_prefix("db_connections_")
        && let Some(i) = exp.model.databases.iter().position(|db| db.name == d)
    {
        return Some(Box::new(move |b: &BucketRow| b.db_in_use[i]));
    }
    None
}

/// The alert rules of the experiment file at `path` (with `overrides`), validated against
/// the time series of `exp` (the same file, loaded).
pub fn load_rules(
    path: &Path,
    overrides: &Overrides,
    exp: &Experiment,
) -> anyhow::Result<Vec<AlertRule>> {
    if path.extension().is_some_and(|e| e == "js") {
        return Ok(Vec::new()); // a bare k6 script has no alert rules
    }
    let spec = load_experiment_spec_with(path, overrides)?;
    build_rules(exp, &spec.alerts).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Validates the rules against the experiment's time-series columns.
pub fn build_rules(exp: &Experiment, specs: &[AlertSpec]) -> Result<Vec<AlertRule>, String> {
    let cols = crate::aggregate::series_columns(exp);
    specs
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let at = format!("alerts[{i}]");
            let column = column(exp, &a.metric).ok_or_else(|| {
                format!(
                    "{at}.metric: {}",
                    crate::suggest::unknown_name(
                        "time-series metric",
                        &a.metric,
                        cols.iter().map(String::as_str)
                    )
                )
            })?;
            if !["<", "<=", ">", ">=", "==", "!="].contains(&a.op.as_str()) {
                return Err(format!(
                    "{at}.op: `{}` is not a comparison; use <, <=, >, >=, == or !=",
                    a.op
                ));
            }
            if !a.threshold.is_finite() {
                return Err(format!("{at}.threshold: must be a finite number"));
            }
            Ok(AlertRule {
                name: a.name.clone(),
                metric: a.metric.clone(),
                op: a.op.clone(),
                threshold: a.threshold,
                for_s: a.for_.map(|d| d.0 as f64 / 1e9).unwrap_or(0.0),
                severity: a.severity.clone().unwrap_or_else(|| "warning".into()),
                column,
            })
        })
        .collect()
}

impl AlertRule {
    fn holds(&self, v: f64) -> bool {
        if v.is_nan() {
            return false;
        }
        match self.op.as_str() {
            "<" => v < self.threshold,
            "<=" => v <= self.threshold,
            ">" => v > self.threshold,
            ">=" => v >= self.threshold,
            "==" => v == self.threshold,
            _ => v != self.threshold,
        }
    }

    /// When the rule first fires in one replication (seconds from the start), if it does.
    pub fn fires_at(&self, r: &ReplicationResult, bucket_s: f64) -> Option<f64> {
        let mut since: Option<f64> = None;
        for (b, row) in r.buckets.iter().enumerate() {
            let start = b as f64 * bucket_s;
            let end = start + row.span_s;
            if self.holds((self.column)(row)) {
                let s = *since.get_or_insert(start);
                if end - s >= self.for_s {
                    return Some(end);
                }
            } else {
                since = None;
            }
        }
        None
    }

    pub fn summarize(&self, exp: &Experiment, results: &[ReplicationResult]) -> AlertSummary {
        let bucket_s = exp.bucket as f64 / 1e9;
        let times: Vec<f64> = results
            .iter()
            .filter_map(|r| self.fires_at(r, bucket_s))
            .collect();
        let n = results.len();
        let (lo, hi) = wilson_interval(times.len() as u64, n as u64, 0.95);
        AlertSummary {
            name: self.name.clone(),
            severity: self.severity.clone(),
            rule: format!(
                "{} {} {} for {}s",
                self.metric, self.op, self.threshold, self.for_s
            ),
            fired: times.len(),
            replications: n,
            probability: if n > 0 {
                times.len() as f64 / n as f64
            } else {
                f64::NAN
            },
            probability_ci95: [lo, hi],
            earliest_s: times.iter().copied().reduce(f64::min),
            median_s: (!times.is_empty()).then(|| quantile(&times, 0.5)),
        }
    }
}

/// Summaries of every rule (fired or not).
pub fn evaluate(
    exp: &Experiment,
    rules: &[AlertRule],
    results: &[ReplicationResult],
) -> Vec<AlertSummary> {
    rules.iter().map(|r| r.summarize(exp, results)).collect()
}
