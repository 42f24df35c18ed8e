//! The time series (timeseries.csv): per time bucket, the mean and 5-95% band across
//! replications of each column.

use crate::aggregate::estimate::ratio;
use crate::engine::result::ReplicationResult;
use crate::model::experiment::Experiment;
use crate::stats::band_fold::BandCell;
use crate::stats::interval::Band;

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

/// The time series of `results` (all of them at once; [`SeriesFold`] one at a time).
pub fn time_series(exp: &Experiment, results: &[ReplicationResult]) -> Vec<SeriesRow> {
    let mut fold = SeriesFold::new(exp);
    results.iter().for_each(|r| fold.add(r));
    fold.rows(exp)
}

/// The time series built one replication at a time, in replication index order: each
/// bucket's column keeps a [`BandCell`] (exact up to [`crate::stats::band_fold::EXACT_CAP`]
/// replications, bounded after), so its memory does not grow with the replications.
/// Buckets past the shortest replication's are dropped, as the rows stop there.
#[derive(Debug, Clone, Default)]
pub struct SeriesFold {
    columns: usize,
    /// Buckets so far (the fewest of any replication), `None` before the first.
    buckets: Option<usize>,
    /// Bucket-major: `cells[b * columns + c]`.
    cells: Vec<BandCell>,
}

impl SeriesFold {
    pub fn new(exp: &Experiment) -> Self {
        SeriesFold {
            columns: series_columns(exp).len(),
            buckets: None,
            cells: Vec::new(),
        }
    }

    /// Adds one replication (call in index order).
    pub fn add(&mut self, r: &ReplicationResult) {
        let n = match self.buckets {
            None => r.buckets.len(),
            Some(n) => n.min(r.buckets.len()),
        };
        self.buckets = Some(n);
        self.cells.resize_with(n * self.columns, BandCell::default);
        let mut row = Vec::with_capacity(self.columns);
        for (b, bucket) in r.buckets.iter().take(n).enumerate() {
            row.clear();
            row.extend([
                bucket.vus,
                bucket.requests as f64 / bucket.span_s,
                bucket.p50_ms,
                bucket.p95_ms,
                bucket.p99_ms,
                ratio(bucket.failures, bucket.requests),
            ]);
            row.extend(&bucket.in_flight);
            row.extend(&bucket.utilization);
            row.extend(&bucket.db_in_use);
            row.extend(&bucket.desired);
            row.extend(&bucket.ready);
            row.push(bucket.cost_usd);
            let cells = &mut self.cells[b * self.columns..(b + 1) * self.columns];
            for (cell, &x) in cells.iter_mut().zip(&row) {
                cell.push(x);
            }
        }
    }

    pub fn rows(&self, exp: &Experiment) -> Vec<SeriesRow> {
        if self.columns == 0 {
            return Vec::new();
        }
        self.cells
            .chunks(self.columns)
            .enumerate()
            .map(|(b, cells)| SeriesRow {
                time_s: b as f64 * exp.bucket as f64 / 1e9,
                values: cells.iter().map(BandCell::band).collect(),
            })
            .collect()
    }

    /// Bytes the fold holds now: bounded by [`crate::engine::memory::fold_bytes`] whatever
    /// the number of replications added.
    pub fn bytes(&self) -> usize {
        self.cells.iter().map(BandCell::bytes).sum()
    }
}
