//! Each endpoint's latency distribution (latency.csv): percentiles across replications,
//! folded one replication at a time.

use crate::engine::result::ReplicationResult;
use crate::model::experiment::Experiment;
use crate::stats::band_fold::BandCell;
use crate::stats::interval::Band;

/// One row of latency.csv: an endpoint's latency at a percentile, across replications.
#[derive(Debug, Clone)]
pub struct DistributionRow {
    pub endpoint: String,
    pub percentile: f64,
    pub value: Band,
}

/// Each endpoint's latency distribution (percentiles 0..100 step 0.5), mean and 5-95% band
/// across the replications that had requests.
pub fn latency_distribution(
    exp: &Experiment,
    results: &[ReplicationResult],
) -> Vec<DistributionRow> {
    let mut fold = DistributionFold::new(exp);
    results.iter().for_each(|r| fold.add(r));
    fold.rows(exp)
}

/// The latency distributions built one replication at a time, in index order: a
/// [`BandCell`] per endpoint and percentile, so memory does not grow with replications.
#[derive(Debug, Clone, Default)]
pub struct DistributionFold {
    percentiles: Vec<f64>,
    /// Per endpoint: whether any replication had requests there, and its cells.
    endpoints: Vec<(bool, Vec<BandCell>)>,
}

impl DistributionFold {
    pub fn new(exp: &Experiment) -> Self {
        let percentiles: Vec<f64> = crate::engine::result::distribution_percentiles().collect();
        let endpoints = exp
            .model
            .endpoints
            .iter()
            .map(|_| (false, vec![BandCell::default(); percentiles.len()]))
            .collect();
        DistributionFold {
            percentiles,
            endpoints,
        }
    }

    /// Adds one replication (call in index order).
    pub fn add(&mut self, r: &ReplicationResult) {
        for ((any, cells), e) in self.endpoints.iter_mut().zip(&r.endpoints) {
            *any |= !e.distribution.is_empty();
            for (cell, &x) in cells.iter_mut().zip(&e.distribution) {
                cell.push(x);
            }
        }
    }

    pub fn rows(&self, exp: &Experiment) -> Vec<DistributionRow> {
        let mut rows = Vec::new();
        for ((any, cells), e) in self.endpoints.iter().zip(&exp.model.endpoints) {
            if !any {
                continue;
            }
            for (cell, &p) in cells.iter().zip(&self.percentiles) {
                rows.push(DistributionRow {
                    endpoint: e.name.clone(),
                    percentile: p,
                    value: cell.band(),
                });
            }
        }
        rows
    }

    /// Bytes the fold holds now: bounded by [`crate::engine::memory::fold_bytes`] whatever
    /// the number of replications added.
    pub fn bytes(&self) -> usize {
        self.endpoints
            .iter()
            .flat_map(|(_, cells)| cells)
            .map(BandCell::bytes)
            .sum()
    }
}
