//! The plan file (`experiments/plan.yaml`): which experiment answers which row of the
//! customer's results table, the values the customer expects, the success criteria, and
//! the overrides of `--quick`. A next customer writes their own.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default probability a verdict needs (lower Wilson bound of P(pass)) to read PASS.
pub const DEFAULT_LEVEL: f64 = 0.8;

fn default_level() -> f64 {
    DEFAULT_LEVEL
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    /// The plan's title.
    pub name: String,
    /// Where the plan's expectations come from (a document).
    #[serde(default)]
    pub source: Option<String>,
    /// P(pass) a verdict must reach (lower end of its 95% Wilson interval) to read PASS;
    /// an upper end below it reads FAIL, anything else UNCERTAIN.
    #[serde(default = "default_level")]
    pub level: f64,
    /// Replications per experiment (default: each experiment's own).
    #[serde(default)]
    pub replications: Option<u32>,
    /// The experiments to run, by name (file `NAME.yaml` in the folder unless `file:`).
    pub experiments: BTreeMap<String, ExperimentEntry>,
    /// Rows of the load-test table.
    #[serde(default)]
    pub rows: Vec<RowSpec>,
    #[serde(default)]
    pub spike: Option<SpikeSpec>,
    #[serde(default)]
    pub scaling: Option<ScalingSpec>,
    #[serde(default)]
    pub cost: Option<CostSpec>,
    #[serde(default)]
    pub criteria: Vec<CriterionSpec>,
    /// `capsim report --capacity`: how much load the architecture holds and the cheapest
    /// knob settings at the target load.
    #[serde(default)]
    pub capacity: Option<CapacitySpec>,
    #[serde(default)]
    pub quick: QuickSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentEntry {
    /// The experiment file, relative to the folder (default `NAME.yaml`).
    #[serde(default)]
    pub file: Option<String>,
    /// `--set` overrides always applied (e.g. prices the model lacks).
    #[serde(default)]
    pub set: Vec<String>,
    /// Overrides added under `--quick` (shorter scenarios).
    #[serde(default)]
    pub quick: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuickSpec {
    /// Replications under `--quick` (default 2).
    #[serde(default)]
    pub replications: Option<u32>,
}

/// The customer's own numbers for a load-test row.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    #[serde(default)]
    pub users: Option<f64>,
    /// Requests per second.
    #[serde(default)]
    pub request_rate: Option<f64>,
    /// Average response time, ms.
    #[serde(default)]
    pub response_time_ms: Option<f64>,
    /// A fraction (0.007 for 0.7 %).
    #[serde(default)]
    pub error_rate: Option<f64>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowSpec {
    /// The row's name in the plan (`load_2x`).
    pub row: String,
    pub experiment: String,
    #[serde(default)]
    pub expected: Expected,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeExpected {
    #[serde(default)]
    pub peak_users: Option<f64>,
    #[serde(default)]
    pub recovery_time_s: Option<f64>,
    #[serde(default)]
    pub data_loss: Option<f64>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeSpec {
    pub row: String,
    pub experiment: String,
    /// Start and end of the spike (`[5m, 12m]`); default: read from the VU time series
    /// (where VUs are above the pre-spike level by 10 % of the rise).
    #[serde(default)]
    pub window: Option<[String; 2]>,
    /// Limits "recovered" means (default: the experiment's `p(95)<` and `rate<` thresholds).
    #[serde(default)]
    pub recovery_p95_ms: Option<f64>,
    #[serde(default)]
    pub recovery_error_rate: Option<f64>,
    #[serde(default)]
    pub expected: SpikeExpected,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingExpected {
    #[serde(default)]
    pub max_instances: Option<f64>,
    #[serde(default)]
    pub scale_up_time_s: Option<f64>,
    #[serde(default)]
    pub scale_down_time_s: Option<f64>,
    /// The plan's own cost figure, as written (`"87%"`).
    #[serde(default)]
    pub cost_efficiency: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingSpec {
    /// A run with a load rise and fall (the spike).
    pub experiment: String,
    #[serde(default)]
    pub expected: ScalingExpected,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostSpec {
    /// Today's architecture (hourly cost is the reference).
    pub baseline: String,
    /// The scaled architecture at the target load.
    pub scaled: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionSpec {
    /// As the plan words it.
    pub name: String,
    /// `request_rate`, `avg_ms`, `p95_ms`, `error_rate`, `scale_up_time_s`,
    /// `recovery_time_s`, `scale_down_time_s`, `cost_increase`.
    pub metric: String,
    #[serde(default)]
    pub below: Option<f64>,
    #[serde(default)]
    pub at_least: Option<f64>,
    /// Experiments judged (default: the spike/scaling/cost experiment for those metrics,
    /// every row's experiment otherwise).
    #[serde(default)]
    pub experiments: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacitySpec {
    /// The experiment whose load is scaled along its profile (its thresholds are the SLOs).
    pub experiment: String,
    /// The cheapest knob settings at another experiment's load.
    #[serde(default)]
    pub size: Option<SizeSpec>,
    /// Which values of a few knobs do best on one experiment (e.g. the HPAs' scale-down
    /// stabilization windows on the spike test).
    #[serde(default)]
    pub tune: Option<TuneSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuneSpec {
    /// The experiment the settings are tried on.
    pub experiment: String,
    /// `PATH=LO..HI`, as `capsim size --knob`.
    pub knobs: Vec<String>,
    /// Values per knob, evenly spaced from LO to HI (default 3).
    #[serde(default = "default_tune_points")]
    pub points: usize,
    /// Replications of every setting (default 4; 2 with --quick).
    #[serde(default = "default_tune_replications")]
    pub replications: u32,
}

fn default_tune_points() -> usize {
    3
}

fn default_tune_replications() -> u32 {
    4
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeSpec {
    /// The experiment whose load and thresholds the settings must meet.
    pub experiment: String,
    /// `PATH=LO..HI`, as `capsim size --knob`.
    pub knobs: Vec<String>,
}
