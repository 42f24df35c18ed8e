//! A k6 script's custom metrics in the summary (summary.json's `custom_metrics`, the
//! console, k6-summary.json): each predicted one's values with 95 % intervals, from its
//! whole-metric accumulator; each one capsim cannot predict, with the reason and the
//! thresholds on it that were not evaluated.

use crate::aggregate::estimate::{TrendEstimate, est, ratio, trend};
use crate::engine::result::{ReplicationResult, SubmetricResult};
use crate::model::custom_metrics::CustomKind;
use crate::model::experiment::{AddValue, Experiment};
use crate::model::threshold::Family;
use crate::stats::interval::{Domain, Estimate};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct CustomMetricSummary {
    /// `trend`, `rate`, `counter` or `gauge`.
    pub kind: &'static str,
    /// `ms` for a trend of response times only (`res.timings.duration`), else empty.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub unit: &'static str,
    /// A trend's statistics (in the unit added: ms for `res.timings.duration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend: Option<TrendEstimate>,
    /// A rate's share of non-zero values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<Estimate>,
    /// A counter's sum, and the sum per second of the test.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<Estimate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_second: Option<Estimate>,
    /// Values added (mean per replication): a rate's non-zero ones and all of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passes: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<f64>,
    /// Why capsim does not predict it (then no values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_predicted: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub thresholds_not_evaluated: Vec<String>,
}

/// Every custom metric of the experiment's script, by name.
pub fn custom_metrics(
    exp: &Experiment,
    results: &[ReplicationResult],
) -> BTreeMap<String, CustomMetricSummary> {
    let mut out = BTreeMap::new();
    for (i, m) in exp.custom_metrics.iter().enumerate() {
        let adds = || exp.metric_adds.iter().filter(|a| a.metric == i as u32);
        let time = m.kind == CustomKind::Trend
            && adds().next().is_some()
            && adds().all(|a| a.value == AddValue::Duration);
        let mut s = CustomMetricSummary {
            kind: m.kind.name(),
            unit: if time { "ms" } else { "" },
            trend: None,
            rate: None,
            count: None,
            per_second: None,
            passes: None,
            samples: None,
            not_predicted: m.not_predicted.clone(),
            thresholds_not_evaluated: m.thresholds_not_evaluated.clone(),
        };
        let k = exp
            .submetrics
            .iter()
            .position(|p| p.family == Family::Custom(i as u32) && p.filter.is_empty());
        if let (None, Some(k)) = (&m.not_predicted, k) {
            let sub = |r: &ReplicationResult| r.submetrics.get(k).cloned().unwrap_or_default();
            let mean = |f: fn(&SubmetricResult) -> f64| {
                results.iter().map(|r| f(&sub(r))).sum::<f64>() / results.len().max(1) as f64
            };
            s.samples = Some(mean(|x| x.count as f64));
            match m.kind {
                CustomKind::Trend => s.trend = Some(trend(results, |r| sub(r).latency)),
                CustomKind::Rate => {
                    s.rate = Some(est(results, Domain::Proportion, |r| {
                        let x = sub(r);
                        ratio(x.bad, x.count)
                    }));
                    s.passes = Some(mean(|x| x.bad as f64));
                }
                CustomKind::Counter => {
                    s.count = Some(est(results, Domain::Real, |r| sub(r).sum));
                    s.per_second = Some(est(results, Domain::Real, |r| {
                        let secs = r.duration as f64 / 1e9;
                        if secs > 0.0 {
                            sub(r).sum / secs
                        } else {
                            f64::NAN
                        }
                    }));
                }
                CustomKind::Gauge => {}
            }
        }
        out.insert(m.name.clone(), s);
    }
    out
}
