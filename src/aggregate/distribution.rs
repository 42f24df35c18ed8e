//! Each endpoint's latency distribution (latency.csv): percentiles across replications.

use crate::engine::result::ReplicationResult;
use crate::model::experiment::Experiment;
use crate::stats::interval::{Band, band};

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
    let percentiles: Vec<f64> = crate::engine::result::distribution_percentiles().collect();
    let mut rows = Vec::new();
    for (i, e) in exp.model.endpoints.iter().enumerate() {
        if results
            .iter()
            .all(|r| r.endpoints[i].distribution.is_empty())
        {
            continue;
        }
        for (k, &p) in percentiles.iter().enumerate() {
            let v: Vec<f64> = results
                .iter()
                .map(|r| {
                    r.endpoints[i]
                        .distribution
                        .get(k)
                        .copied()
                        .unwrap_or(f64::NAN)
                })
                .collect();
            rows.push(DistributionRow {
                endpoint: e.name.clone(),
                percentile: p,
                value: band(&v),
            });
        }
    }
    rows
}
