//! The experiment file (`experiments/*.yaml`) as written: model, user flow, k6 load, thresholds.

use crate::spec::distribution::DistributionSpec;
use crate::spec::scenario::ScenarioSpec;
use crate::time::Duration;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize)]
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
    /// A k6 script (`.js`), relative to this file: its options, and its scenario functions
    /// recorded as sampled flows (docs/k6-scripts.md). Replaces `flow`, `flows`,
    /// `scenarios` and `k6_options`.
    pub k6_script: Option<String>,
    /// `__ENV` of the script (`-e KEY=VALUE` on the command line adds and wins).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Iterations of each scenario function recorded from the script (default 2000).
    pub samples: Option<u32>,
    /// Requests of the script to endpoints of the model: a `name` tag, `METHOD /path` or
    /// `/path` -> the endpoint (not `endpoints`, which `--set` reads as the model's).
    #[serde(default)]
    pub k6_endpoints: BTreeMap<String, String>,
    /// Calls into modules capsim does not simulate (`k6/ws`, ...) become no-ops.
    pub ignore_unsupported: Option<bool>,
    /// Global request-rate cap (k6 `--rps`).
    pub rps: Option<f64>,
    /// k6's per-request timeout (default 60s).
    pub client_timeout: Option<Duration>,
    pub replications: Option<u32>,
    pub seed: Option<u64>,
    /// Width of a time-series bucket (default 10s).
    pub bucket: Option<Duration>,
    /// Start of the test left out of the steady-state section: a duration (`2m`) or
    /// `auto` (MSER-5). The whole-test view always includes it, as k6 does.
    pub warmup: Option<String>,
    /// k6 thresholds: metric (optionally with `{tag:value}` filters) -> expressions, each a
    /// string or `{threshold, abortOnFail, delayAbortEval}` as in k6.
    #[serde(default)]
    pub thresholds: BTreeMap<String, Vec<serde_json::Value>>,
    /// Grid for `capsim sweep`: override path -> values (`hpa.web-hpa.spec.maxReplicas: [8, 12]`).
    #[serde(default)]
    pub sweep: BTreeMap<String, Vec<serde_json::Value>>,
    /// Alert rules evaluated on each replication's time series (Prometheus-style).
    #[serde(default)]
    pub alerts: Vec<AlertSpec>,
    /// Failures injected during the test.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
}

/// A failure injected at a time, or over a window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// When it happens (from the test start).
    pub at: Duration,
    /// How long it lasts (for outages, slowdowns, failovers); absent for kills.
    #[serde(rename = "for")]
    pub duration: Option<Duration>,
    /// A short label for reports (default: the kind and its target).
    pub name: Option<String>,
    #[serde(flatten)]
    pub kind: FaultKindSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKindSpec {
    /// Kills replicas of a service: their requests fail; the Deployment (or Auto Scaling
    /// group) starts replacements.
    Kill(KillSpec),
    /// A provider stops answering: every attempt fails, so retries and failover act.
    ProviderOutage(TargetSpec),
    /// A provider answers `factor` times slower.
    ProviderSlowdown(SlowdownSpec),
    /// A service's `work` takes `factor` times longer.
    Degrade(SlowdownSpec),
    /// The database primary fails over: writes fail for the window, then a read replica
    /// is promoted (one fewer replica).
    DatabaseFailover(DatabaseTargetSpec),
    /// An availability zone goes: `fraction` of every service's replicas are killed.
    ZoneLoss(ZoneLossSpec),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KillSpec {
    pub service: String,
    /// Replicas to kill ...
    pub count: Option<u32>,
    /// ... or a fraction of them (rounded up).
    pub fraction: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    pub provider: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowdownSpec {
    pub provider: Option<String>,
    pub service: Option<String>,
    pub factor: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseTargetSpec {
    pub database: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneLossSpec {
    pub fraction: f64,
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
