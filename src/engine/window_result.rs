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

/// The steady state of one replication: what follows its warm-up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SteadyResult {
    /// Where the warm-up ended (fixed, or chosen by MSER-5).
    pub warmup: Nanos,
    /// MSER-5 found its minimum at the end of the first half: the run is too short to
    /// show the end of the transient (always false for a fixed warm-up).
    pub too_short: bool,
    /// MSER-5 had too few observations to choose (the warm-up is then 0).
    pub undetermined: bool,
    pub window: WindowResult,
}
