//! The accumulators of the thresholds' sub-metrics (`http_req_duration{status:200}`,
//! `checks{scenario:ramp}`, `iteration_duration`): one per distinct family and filter of
//! the experiment, allocated when the replication starts, with the static part of each
//! filter (endpoint and scenario, check and scenario) precomputed as a lookup table, so a
//! sample costs one table read per accumulator of its family and allocates nothing.

use crate::engine::outcome::Cause;
use crate::engine::result::SubmetricResult;
use crate::model::experiment::Experiment;
use crate::model::threshold::Family;
use crate::model::threshold_filter::Filter;
use crate::stats::fronted::FrontedHistogram;
use crate::stats::latency::LatencyHistogram;
use crate::time::Nanos;

/// The status code a simulated response has (k6's `status` tag): 200 on success.
pub fn status_of(error: Option<Cause>) -> u16 {
    match error {
        None => 200,
        Some(c) => match c {
            Cause::ClientTimeout => 0,
            Cause::RateLimited => 429,
            Cause::PoolTimeout => 500,
            Cause::ProviderError | Cause::ConnectionRefused | Cause::ConnectionReset => 502,
            Cause::QueueFull | Cause::NoReplica | Cause::DbUnavailable => 503,
            Cause::Timeout | Cause::ProviderTimeout => 504,
        },
    }
}

#[derive(Debug)]
struct Acc {
    /// Durations, for the families that have them (responses, iterations), recorded
    /// through a front: [`Submetrics::flush`] before reading them.
    hist: Option<FrontedHistogram>,
    /// Samples, and the failed ones among them (failed requests, failed checks; the
    /// non-zero values of a custom rate).
    count: u64,
    bad: u64,
    /// The sum of a custom metric's values (a counter's count).
    sum: f64,
    /// Whether a sample's static tags pass: indexed by `key * scenarios + scenario`, where
    /// `key` is the endpoint (responses), the check (checks), the group (group durations)
    /// or 0 (iterations).
    table: Vec<bool>,
    filter: Filter,
}

/// Every sub-metric accumulator of one replication, by family.
#[derive(Debug, Default)]
pub struct Submetrics {
    accs: Vec<Acc>,
    scenarios: usize,
    http: Vec<usize>,
    iteration: Vec<usize>,
    dropped: Vec<usize>,
    check: Vec<usize>,
    custom: Vec<usize>,
    group: Vec<usize>,
}

impl Submetrics {
    pub fn new(exp: &Experiment) -> Self {
        let scenarios = exp.scenarios.len();
        let mut s = Submetrics {
            scenarios,
            ..Submetrics::default()
        };
        for (i, plan) in exp.submetrics.iter().enumerate() {
            let f = &plan.filter;
            let (keys, list) = match plan.family {
                Family::Http => (exp.model.endpoints.len(), Some(&mut s.http)),
                Family::Iteration => (1, Some(&mut s.iteration)),
                Family::Dropped => (1, Some(&mut s.dropped)),
                Family::Check => (exp.checks.len(), Some(&mut s.check)),
                // VU gauges carry no tags: never filtered (kept so indices stay aligned).
                Family::Vus => (0, None),
                Family::Custom(_) => (exp.custom_metrics.len(), Some(&mut s.custom)),
                Family::Group => (exp.groups.len(), Some(&mut s.group)),
            };
            let hist = plan.family.keeps_durations();
            let mut table = Vec::with_capacity(keys * scenarios);
            for key in 0..keys {
                for sc in 0..scenarios {
                    table.push(match plan.family {
                        Family::Http => f.request_matches(key, sc),
                        Family::Check => f.check_matches(key, sc),
                        Family::Custom(m) => {
                            key == m as usize && f.scenario.is_none_or(|x| x == sc)
                        }
                        Family::Group => {
                            f.group_matches(key as u32) && f.scenario.is_none_or(|x| x == sc)
                        }
                        _ => f.scenario.is_none_or(|x| x == sc),
                    });
                }
            }
            if let Some(list) = list {
                list.push(i);
            }
            s.accs.push(Acc {
                hist: hist.then(FrontedHistogram::new),
                count: 0,
                bad: 0,
                sum: 0.0,
                table,
                filter: f.clone(),
            });
        }
        s
    }

    /// Whether any `http_req_*` sub-metric records responses (most experiments have
    /// none: the caller then skips [`Self::response`]'s call).
    #[inline]
    pub fn records_responses(&self) -> bool {
        !self.http.is_empty()
    }

    /// A response reached its VU, which is in `group`.
    #[inline(never)]
    pub fn response(
        &mut self,
        endpoint: usize,
        scenario: usize,
        group: u32,
        duration: Nanos,
        error: Option<Cause>,
    ) {
        let status = status_of(error);
        for &i in &self.http {
            let a = &mut self.accs[i];
            if a.table[endpoint * self.scenarios + scenario]
                && a.filter.status_matches(status)
                && a.filter.group_matches(group)
            {
                if let Some(h) = &mut a.hist {
                    h.record(duration);
                }
                a.count += 1;
                a.bad += error.is_some() as u64;
            }
        }
    }

    /// An iteration of `scenario` completed after `duration`.
    #[inline]
    pub fn iteration(&mut self, scenario: usize, duration: Nanos) {
        for &i in &self.iteration {
            let a = &mut self.accs[i];
            if a.table[scenario] {
                if let Some(h) = &mut a.hist {
                    h.record(duration);
                }
                a.count += 1;
            }
        }
    }

    /// `n` iterations of `scenario` were dropped.
    #[inline]
    pub fn dropped(&mut self, scenario: usize, n: u64) {
        for &i in &self.dropped {
            let a = &mut self.accs[i];
            if a.table[scenario] {
                a.count += n;
            }
        }
    }

    /// Check `check` ran in `scenario`, in `group`.
    #[inline]
    pub fn check(&mut self, check: usize, scenario: usize, group: u32, passed: bool) {
        for &i in &self.check {
            let a = &mut self.accs[i];
            if a.table[check * self.scenarios + scenario] && a.filter.group_matches(group) {
                a.count += 1;
                a.bad += !passed as u64;
            }
        }
    }

    /// A `group()` call of `group` in `scenario` ended after `duration` (k6's
    /// `group_duration`, tagged with the group's own path).
    #[inline]
    pub fn group(&mut self, group: usize, scenario: usize, duration: Nanos) {
        for &i in &self.group {
            let a = &mut self.accs[i];
            if a.table[group * self.scenarios + scenario] {
                if let Some(h) = &mut a.hist {
                    h.record(duration);
                }
                a.count += 1;
            }
        }
    }

    /// Custom metric `metric` got `value` in `scenario`, from an add() called in `group` (a
    /// trend's value is in ms).
    #[inline]
    pub fn custom(&mut self, metric: usize, scenario: usize, group: u32, value: f64) {
        for &i in &self.custom {
            let a = &mut self.accs[i];
            if a.table[metric * self.scenarios + scenario] && a.filter.group_matches(group) {
                if let Some(h) = &mut a.hist {
                    h.record((value.max(0.0) * 1e6).round() as Nanos);
                }
                a.count += 1;
                a.bad += (value != 0.0) as u64;
                a.sum += value;
            }
        }
    }

    /// The sum of accumulator `k`'s values so far (custom metrics).
    pub fn live_sum(&self, k: usize) -> f64 {
        self.accs.get(k).map_or(0.0, |a| a.sum)
    }

    /// Adds the histograms' fronts into them: before [`Self::live`] or [`Self::results`].
    pub fn flush(&mut self) {
        for h in self.accs.iter_mut().filter_map(|a| a.hist.as_mut()) {
            h.flush();
        }
    }

    /// Accumulator `k` as of the last [`Self::flush`]: its durations (if kept), samples and
    /// failed ones.
    pub fn live(&self, k: usize) -> Option<(Option<&LatencyHistogram>, u64, u64)> {
        self.accs
            .get(k)
            .map(|a| (a.hist.as_ref().map(FrontedHistogram::hist), a.count, a.bad))
    }

    /// The accumulators' values, in the experiment's order (flushed first).
    pub fn results(&mut self, percentiles: &[f64]) -> Vec<SubmetricResult> {
        self.flush();
        self.accs
            .iter()
            .map(|a| SubmetricResult {
                latency: a.hist.as_ref().and_then(|h| h.hist().trend()),
                quantiles: match a.hist.as_ref().map(FrontedHistogram::hist) {
                    Some(h) => h.at_percentiles_ms(percentiles),
                    None => Vec::new(),
                },
                count: a.count,
                bad: a.bad,
                sum: a.sum,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::threshold_filter::SIMULATED_STATUSES;

    #[test]
    fn every_status_a_response_has_is_one_thresholds_accept() {
        let statuses = std::iter::once(None).chain(Cause::ALL.iter().map(|c| Some(*c)));
        for e in statuses {
            let s = status_of(e);
            assert!(
                SIMULATED_STATUSES.iter().any(|(x, _)| *x == s),
                "{e:?} -> {s}"
            );
        }
    }
}
