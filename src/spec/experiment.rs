//! The experiment file (`experiments/*.yaml`) as written: model, user flow, k6 load, thresholds.

use crate::spec::distribution::DistributionSpec;
use crate::spec::scenario::ScenarioSpec;
use crate::time::Duration;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Path of the model file, relative to this file.
    pub model: String,
    /// The default user flow, like a k6 `export default function`.
    #[serde(default)]
    pub flow: Option<Vec<FlowStepSpec>>,
    /// Further named flows, chosen by a scenario's `exec`.
    #[serde(default)]
    pub flows: BTreeMap<String, Vec<FlowStepSpec>>,
    /// k6 scenarios (k6 field names).
    #[serde(default)]
    pub scenarios: BTreeMap<String, ScenarioSpec>,
    /// The JSON that `k6 inspect script.js` prints, relative to this file: its scenarios,
    /// `rps` and thresholds are used as they are.
    pub k6_options: Option<String>,
    /// Global request-rate cap (k6 `--rps`).
    pub rps: Option<f64>,
    /// k6's per-request timeout (default 60s).
    pub client_timeout: Option<Duration>,
    pub replications: Option<u32>,
    pub seed: Option<u64>,
    /// Width of a time-series bucket (default 10s).
    pub bucket: Option<Duration>,
    /// k6 thresholds: metric (optionally with a `{tag:value}` filter) -> expressions.
    #[serde(default)]
    pub thresholds: BTreeMap<String, Vec<String>>,
    /// Grid for `capsim sweep`: override path -> values (`hpa.web-hpa.spec.maxReplicas: [8, 12]`).
    #[serde(default)]
    pub sweep: BTreeMap<String, Vec<serde_json::Value>>,
    /// Alert rules evaluated on each replication's time series (Prometheus-style).
    #[serde(default)]
    pub alerts: Vec<AlertSpec>,
}

/// An alert rule: fires when `metric op threshold` holds for `for` (time-series buckets).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSpec {
    pub name: String,
    /// A time-series column of timeseries.csv without its suffix (`p95_ms`, `error_rate`,
    /// `utilization_api`, `ready_replicas_api`, ...).
    pub metric: String,
    /// `>`, `>=`, `<`, `<=`, `==` or `!=`.
    pub op: String,
    pub threshold: f64,
    /// How long the condition must hold before the alert fires (default 0s).
    #[serde(rename = "for", default)]
    pub for_: Option<Duration>,
    #[serde(default)]
    pub severity: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FlowStepSpec {
    /// One HTTP request to an endpoint of the model.
    Request(RequestSpec),
    /// `sleep()`: think time drawn from the distribution.
    Sleep(DistributionSpec),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// Endpoint name as in the model (`"GET /api/badges/status"`).
    pub endpoint: String,
    /// k6 checks on this response: name -> condition.
    #[serde(default)]
    pub checks: BTreeMap<String, CheckSpec>,
}

/// A k6 `check()` condition on a response.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CheckSpec {
    /// The response is not an error (k6: status 200-399).
    StatusOk,
    /// The response took less than this (`r.timings.duration < X`).
    DurationBelow(Duration),
}
