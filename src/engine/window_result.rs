//! What one replication measured inside a time window (a stage of the profile, a fault's
//! window, the steady state after the warm-up): small, with no histograms.

use crate::stats::latency::TrendStats;
use crate::time::Nanos;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowResult {
    /// The window in test time, cut at the end of the test.
    pub start: Nanos,
    pub end: Nanos,
    /// `http_req_duration` of the responses that arrived in the window.
    pub latency: Option<TrendStats>,
    /// The experiment's threshold percentiles, in ms, in `Experiment::percentiles` order.
    pub quantiles: Vec<f64>,
    pub requests: u64,
    pub failures: u64,
    pub iterations: u64,
}

impl WindowResult {
    /// Length of the window in seconds.
    pub fn secs(&self) -> f64 {
        self.end.saturating_sub(self.start) as f64 / 1e9
    }
}

/// The steady state of one replication: what follows its warm-up. A fixed warm-up gives
/// the window after it; `warmup: auto` gives the MSER-5 series and the window after each
/// candidate cut, and the cut is chosen across replications.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SteadyResult {
    /// Where the fixed warm-up ends (0 for `auto`).
    pub warmup: Nanos,
    /// A fixed warm-up of half the run or more.
    pub too_short: bool,
    /// The window after the fixed warm-up.
    pub window: WindowResult,
    /// `auto`: width of one MSER-5 batch (5 time slices).
    #[serde(default)]
    pub batch: Nanos,
    /// `auto`: per batch, the latency sum (ms) and count of the responses in it.
    #[serde(default)]
    pub series: Vec<(f64, u64)>,
    /// `auto`: the window `[k·batch, end)` for each candidate cut `k` (first half).
    #[serde(default)]
    pub candidates: Vec<WindowResult>,
}
