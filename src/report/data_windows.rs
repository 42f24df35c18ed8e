//! The per-window sections of summary.json read back for report.md and report.html: each
//! stage of the profile, each fault's window, and the steady state after the warm-up.

use crate::report::data::{Counter, Rate, Trend};
use serde::Deserialize;

/// k6's HTTP and iteration metrics inside one window.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WindowData {
    pub start_s: f64,
    pub end_s: f64,
    pub http_req_duration: Trend,
    pub http_req_failed: Rate,
    pub http_reqs: Counter,
    pub iterations: Counter,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StageData {
    pub scenario: String,
    pub stage: usize,
    pub target: Option<u64>,
    #[serde(flatten)]
    pub window: WindowData,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FaultWindowData {
    pub fault: String,
    #[serde(flatten)]
    pub window: WindowData,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SteadyData {
    pub method: String,
    pub warmup_s: Option<f64>,
    pub too_short: bool,
    pub warning: Option<String>,
    #[serde(flatten)]
    pub window: WindowData,
}
