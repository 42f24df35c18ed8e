//! The time series (timeseries.csv): per time bucket, the mean and 5-95% band across
//! replications of each column.

use crate::aggregate::estimate::ratio;
use crate::engine::result::ReplicationResult;
use crate::model::experiment::Experiment;
use crate::stats::interval::{Band, band};

/// One row of the time series: mean and 5-95% band across replications per column.
#[derive(Debug, Clone)]
pub struct SeriesRow {
    pub time_s: f64,
    pub values: Vec<Band>,
}

/// Column names of the time series (without the `_mean/_p5/_p95` suffixes).
pub fn series_columns(exp: &Experiment) -> Vec<String> {
    let mut cols: Vec<String> = [
        "vus",
        "request_rate",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "error_rate",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for s in &exp.model.stations {
        cols.push(format!("in_flight_{}", s.name));
    }
    for s in &exp.model.stations {
        cols.push(format!("utilization_{}", s.name));
    }
    for d in &exp.model.databases {
        cols.push(format!("db_connections_{}", d.name));
    }
    for s in &exp.model.stations {
        cols.push(format!("desired_replicas_{}", s.name));
    }
    for s in &exp.model.stations {
        cols.push(format!("ready_replicas_{}", s.name));
    }
    cols.push("cost_usd".to_string());
    cols
}

pub fn time_series(exp: &Experiment, results: &[ReplicationResult]) -> Vec<SeriesRow> {
    let n_buckets = results.iter().map(|r| r.buckets.len()).min().unwrap_or(0);
    let n_stations = exp.model.stations.len();
    (0..n_buckets)
        .map(|b| {
            let col = |f: &dyn Fn(&ReplicationResult) -> f64| {
                let v: Vec<f64> = results.iter().map(f).collect();
                band(&v)
            };
            let mut values = vec![
                col(&|r| r.buckets[b].vus),
                col(&|r| r.buckets[b].requests as f64 / r.buckets[b].span_s),
                col(&|r| r.buckets[b].p50_ms),
                col(&|r| r.buckets[b].p95_ms),
                col(&|r| r.buckets[b].p99_ms),
                col(&|r| ratio(r.buckets[b].failures, r.buckets[b].requests)),
            ];
            for s in 0..n_stations {
                values.push(col(&|r| r.buckets[b].in_flight[s]));
            }
            for s in 0..n_stations {
                values.push(col(&|r| r.buckets[b].utilization[s]));
            }
            for d in 0..exp.model.databases.len() {
                values.push(col(&|r| r.buckets[b].db_in_use[d]));
            }
            for s in 0..n_stations {
                values.push(col(&|r| r.buckets[b].desired[s]));
            }
            for s in 0..n_stations {
                values.push(col(&|r| r.buckets[b].ready[s]));
            }
            values.push(col(&|r| r.buckets[b].cost_usd));
            SeriesRow {
                time_s: b as f64 * exp.bucket as f64 / 1e9,
                values,
            }
        })
        .collect()
}
