//! A validated experiment: the model, user flows, k6 scenarios, checks and run settings.

use crate::error::{FieldError, join_path};
use crate::model::Model;
pub use crate::model::custom_metrics::CustomMetric;
use crate::model::custom_threshold::{build_custom_thresholds, split_custom};
use crate::model::distribution::{self as dist, Distribution};
use crate::model::threshold::{
    SubmetricPlan, Threshold, assign_submetrics, parse_threshold_in, required_percentiles,
};
use crate::model::threshold_filter::ThresholdContext;
use crate::spec::confine::Files;
use crate::spec::experiment::{CheckSpec, ExperimentSpec, FlowStepSpec};
use crate::spec::k6_options::{K6Options, ThresholdSpec, threshold_entry};
use crate::suggest::unknown_name;
use crate::time::{NANOS_PER_SEC, Nanos};
use crate::workload::executor::Scenario;

/// k6's default per-request timeout.
pub const DEFAULT_CLIENT_TIMEOUT: Nanos = 60 * NANOS_PER_SEC;
pub const DEFAULT_REPLICATIONS: u32 = 8;
pub const DEFAULT_SEED: u64 = 1;
pub const DEFAULT_BUCKET: Nanos = 10 * NANOS_PER_SEC;
/// Limits that keep a hostile or mistyped experiment from exhausting the machine.
pub const MAX_REPLICATIONS: u32 = 100_000;
pub const MAX_BUCKETS: u64 = 100_000;
pub const MIN_BUCKET: Nanos = NANOS_PER_SEC / 10;

#[derive(Debug, Clone)]
pub struct Experiment {
    pub name: String,
    pub model: Model,
    pub flows: Vec<Flow>,
    pub scenarios: Vec<ScenarioPlan>,
    pub rps: Option<f64>,
    pub client_timeout: Nanos,
    pub replications: u32,
    pub seed: u64,
    pub bucket: Nanos,
    /// k6 thresholds, evaluated on each replication.
    pub thresholds: Vec<Threshold>,
    /// The accumulators the filtered thresholds (and `iteration_duration`) need.
    pub submetrics: Vec<SubmetricPlan>,
    /// Percentiles (0..=100) the thresholds need from every latency histogram.
    pub percentiles: Vec<f64>,
    pub checks: Vec<Check>,
    /// Failures injected during the test, in the order written.
    pub faults: Vec<crate::model::fault::Fault>,
    /// Think-time distributions of the flows.
    pub distributions: Vec<Distribution>,
    /// What a k6 script does that the prediction leaves out, and warnings about it.
    pub notes: Vec<String>,
    /// A k6 script's custom metrics, what requests add to them, and the conditions of
    /// the check() results they add (empty for YAML flows).
    pub custom_metrics: Vec<CustomMetric>,
    pub metric_adds: Vec<MetricAdd>,
    pub add_conditions: Vec<CheckCondition>,
    /// The start left out of the steady-state section.
    pub warmup: crate::model::windows::Warmup,
    /// Every stage of every scenario's profile, scenario by scenario.
    pub stages: Vec<crate::model::windows::StageWindow>,
    /// The k6 groups of a script's flows, the root group (id 0) first; only the root
    /// group for a YAML flow.
    pub groups: Vec<crate::model::groups::Group>,
}

/// A k6 script's part of an experiment, built by `model/sampled.rs`: its options,
/// flows with sampled traces, their checks, its custom metrics and the notes on what is
/// not predicted.
#[derive(Debug, Clone)]
pub struct SampledScript {
    pub options: K6Options,
    pub flows: Vec<Flow>,
    pub checks: Vec<Check>,
    /// Each custom metric the script declares, predicted or not.
    pub custom_metrics: Vec<CustomMetric>,
    /// What the flows' requests add to custom metrics (`FlowStep::Request`'s adds).
    pub metric_adds: Vec<MetricAdd>,
    /// The conditions of the check() calls that custom metrics add.
    pub add_conditions: Vec<CheckCondition>,
    pub notes: Vec<String>,
    /// The group paths the script enters, the root group `""` first.
    pub groups: Vec<String>,
}

/// What a request's response adds to a custom metric, evaluated when it is answered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricAdd {
    /// Index into [`Experiment::custom_metrics`].
    pub metric: u32,
    pub value: AddValue,
    /// The group the add() was called in (`Experiment::groups`; 0: the root), k6's `group`
    /// tag of its sample; not always the group of the request it is replayed with.
    pub group: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AddValue {
    /// The response time, in ms.
    Duration,
    Constant(f64),
    /// 1 when the response's status is one of the mask's (bit i: `SIMULATED_STATUSES[i]`).
    Status {
        mask: u8,
    },
    /// 1 when every condition `add_conditions[first..first + n]` holds (0 if `negate`).
    AllPass {
        first: u32,
        n: u32,
        negate: bool,
    },
}

#[derive(Debug, Clone)]
pub struct ScenarioPlan {
    pub scenario: Scenario,
    /// Index into [`Experiment::flows`].
    pub flow: usize,
}

#[derive(Debug, Clone)]
pub struct Flow {
    pub name: String,
    pub steps: Vec<FlowStep>,
    /// A flow sampled from a k6 script: each iteration replays one of these ranges of
    /// `steps` (`start..end`), drawn uniformly; empty for a written flow (all of `steps`).
    pub traces: Vec<(u32, u32)>,
    /// The host of each request of each [`FlowStep::Batch`] (a small number per batch:
    /// requests with the same number go to the same host), indexed by its `first_host`.
    pub batch_hosts: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FlowStep {
    /// A request to `endpoint`; its checks are `checks[first_check..first_check + n_checks]`.
    Request {
        endpoint: usize,
        first_check: u32,
        n_checks: u32,
        /// What its response adds to custom metrics: `metric_adds[first_add..+n_adds]`.
        first_add: u32,
        n_adds: u32,
    },
    Sleep {
        dist: usize,
    },
    /// A think time recorded from a script (`sleep(Math.random() * 2 + 1)` in one
    /// iteration).
    Pause {
        nanos: Nanos,
    },
    /// k6's `http.batch()`: the `n` steps after this one are its requests (each a
    /// [`FlowStep::Request`]), sent in parallel: taken in order, at most `limit` at once
    /// (k6's `batch`), and at most `per_host` at once to one host (`batchPerHost`, 0: no
    /// limit); request k's host is `Flow::batch_hosts[first_host + k]`. The VU goes on when
    /// the last one is answered.
    Batch {
        n: u32,
        limit: u32,
        per_host: u32,
        first_host: u32,
    },
    /// A k6 `group()` call begins (index into [`Experiment::groups`]): what follows is
    /// tagged with the group until its [`FlowStep::GroupExit`], which records
    /// `group_duration`.
    GroupEnter {
        group: u32,
    },
    GroupExit {
        group: u32,
    },
}

impl Flow {
    /// The most requests one step of this flow has in flight at once (1 without batches).
    pub fn max_parallel(&self) -> usize {
        self.steps
            .iter()
            .map(|s| match *s {
                FlowStep::Batch { n, .. } => n as usize,
                _ => 1,
            })
            .max()
            .unwrap_or(1)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: String,
    pub condition: CheckCondition,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CheckCondition {
    StatusOk,
    DurationBelow(Nanos),
    /// Both: `r.status === 200 && r.timings.duration < X` (a k6 script's check).
    StatusOkAndBelow(Nanos),
}

impl CheckCondition {
    /// Whether a response (failed or not, after `duration`) passes.
    #[inline]
    pub fn passes(self, failed: bool, duration: Nanos) -> bool {
        match self {
            CheckCondition::StatusOk => !failed,
            CheckCondition::DurationBelow(limit) => duration < limit,
            CheckCondition::StatusOkAndBelow(limit) => !failed && duration < limit,
        }
    }
}

impl Experiment {
    /// When the last scenario's last iteration is cut off (k6's `totalDuration`).
    pub fn end_time(&self) -> Nanos {
        self.scenarios
            .iter()
            .map(|s| s.scenario.total_end())
            .max()
            .unwrap_or(0)
    }

    pub fn n_buckets(&self) -> usize {
        self.end_time().div_ceil(self.bucket).max(1) as usize
    }
}

/// Validates an experiment spec against its (already built) model.
/// `k6` holds the parsed `k6_options` file when the experiment names one.
pub fn build_experiment(
    spec: &ExperimentSpec,
    model: Model,
    k6: Option<&K6Options>,
    script: Option<&SampledScript>,
    files: &Files,
    fallback_name: &str,
) -> Result<Experiment, FieldError> {
    let mut distributions = Vec::new();
    let mut checks = Vec::new();
    let mut flows = Vec::new();
    let mut notes = Vec::new();
    if let Some(rec) = script {
        if spec.flow.is_some() || !spec.flows.is_empty() {
            return Err(FieldError::new(
                "k6_script",
                "the flows come from the k6 script; remove `flow`/`flows` or `k6_script`",
            ));
        }
        flows = rec.flows.clone();
        checks = rec.checks.clone();
        notes.extend(rec.notes.iter().cloned());
    }
    let k6 = script.map(|r| &r.options).or(k6);
    if let Some(steps) = &spec.flow {
        if spec.flows.contains_key("default") {
            return Err(FieldError::new(
                "flows.default",
                "the default flow is given twice: as `flow` and as `flows.default`; keep one",
            ));
        }
        flows.push(build_flow(
            "default",
            steps,
            "flow",
            &model,
            files,
            &mut distributions,
            &mut checks,
        )?);
    }
    for (name, steps) in &spec.flows {
        let path = format!("flows.{name}");
        flows.push(build_flow(
            name,
            steps,
            &path,
            &model,
            files,
            &mut distributions,
            &mut checks,
        )?);
    }
    if flows.is_empty() {
        return Err(FieldError::new(
            "flow",
            "an experiment needs a user flow: `flow: [{request: {endpoint: \"GET /\"}}, {sleep: {constant: 1s}}]`",
        ));
    }

    let mut scenarios = Vec::new();
    let from_k6 = k6.map(|o| &o.scenarios);
    if from_k6.is_some() && !spec.scenarios.is_empty() {
        return Err(FieldError::new(
            "scenarios",
            if script.is_some() {
                "scenarios come from the k6 script's options; remove `scenarios` (or change \
                 them in the script, or with --vus/--duration/--stage)"
            } else {
                "scenarios come from `k6_options`; remove `scenarios` or `k6_options`"
            },
        ));
    }
    let specs = from_k6.unwrap_or(&spec.scenarios);
    let scenario_root = if script.is_some() {
        "options.scenarios"
    } else if from_k6.is_some() {
        "k6_options.scenarios"
    } else {
        "scenarios"
    };
    if specs.is_empty() {
        return Err(FieldError::new(
            "scenarios",
            "an experiment needs at least one scenario, e.g. `scenarios: {load: {executor: constant-vus, vus: 10, duration: 1m}}`",
        ));
    }
    for (name, s) in specs {
        let path = join_path(scenario_root, name);
        let scenario = s.validate(name).map_err(|e| e.within(&path))?;
        let flow = flows
            .iter()
            .position(|f| f.name == scenario.exec)
            .ok_or_else(|| {
                FieldError::new(
                    join_path(&path, "exec"),
                    unknown_name(
                        "flow",
                        &scenario.exec,
                        flows.iter().map(|f| f.name.as_str()),
                    ),
                )
            })?;
        scenarios.push(ScenarioPlan { scenario, flow });
    }

    let rps = match (spec.rps, k6.and_then(|o| o.rps)) {
        (Some(r), _) | (None, Some(r)) => {
            if !r.is_finite() || r <= 0.0 {
                return Err(FieldError::new(
                    "rps",
                    format!(
                        "{r} is not a rate; write requests per second above 0, or leave it out"
                    ),
                ));
            }
            Some(r)
        }
        (None, None) => None,
    };
    let client_timeout = spec
        .client_timeout
        .map(|d| d.0)
        .unwrap_or(DEFAULT_CLIENT_TIMEOUT);
    if client_timeout == 0 {
        return Err(FieldError::new(
            "client_timeout",
            "must be above zero (k6's default is 60s)",
        ));
    }
    let replications = spec.replications.unwrap_or(DEFAULT_REPLICATIONS);
    if replications == 0 || replications > MAX_REPLICATIONS {
        return Err(FieldError::new(
            "replications",
            format!("{replications} replications; allowed: 1 to {MAX_REPLICATIONS}"),
        ));
    }
    let bucket = spec.bucket.map(|d| d.0).unwrap_or(DEFAULT_BUCKET);
    if bucket < MIN_BUCKET {
        return Err(FieldError::new(
            "bucket",
            "a time bucket must be at least 100ms",
        ));
    }

    let mut written: Vec<(String, Vec<ThresholdSpec>)> = Vec::new();
    for (key, entries) in &spec.thresholds {
        let list = entries
            .iter()
            .enumerate()
            .map(|(i, e)| threshold_entry(e, &format!("thresholds.{key}[{i}]")))
            .collect::<Result<_, _>>()?;
        written.push((key.clone(), list));
    }
    let scenario_names: Vec<String> = specs.keys().cloned().collect();
    let check_names: Vec<String> = checks.iter().map(|c| c.name.clone()).collect();
    let group_paths: Vec<String> = script.map(|s| s.groups.clone()).unwrap_or_default();
    let endpoint_names: Vec<String> = model.endpoints.iter().map(|e| e.name.clone()).collect();
    let cx = ThresholdContext {
        endpoints: &endpoint_names,
        scenarios: &scenario_names,
        checks: &check_names,
        groups: &group_paths,
    };
    let mut custom_metrics = script.map(|s| s.custom_metrics.clone()).unwrap_or_default();
    let (written, custom) = split_custom(written, &mut custom_metrics, &mut notes);
    let mut thresholds = build_thresholds(&written, &cx)?;
    thresholds.extend(build_custom_thresholds(&custom, &cx)?);
    let submetrics = assign_submetrics(&mut thresholds);
    let percentiles = required_percentiles(&thresholds);

    let exp = Experiment {
        name: spec
            .name
            .clone()
            .unwrap_or_else(|| fallback_name.to_string()),
        model,
        flows,
        scenarios,
        rps,
        client_timeout,
        replications,
        seed: spec.seed.unwrap_or(DEFAULT_SEED),
        bucket,
        thresholds,
        submetrics,
        percentiles,
        checks,
        faults: Vec::new(),
        distributions,
        notes,
        custom_metrics,
        metric_adds: script.map(|s| s.metric_adds.clone()).unwrap_or_default(),
        add_conditions: script.map(|s| s.add_conditions.clone()).unwrap_or_default(),
        warmup: crate::model::windows::Warmup::None,
        stages: Vec::new(),
        groups: crate::model::groups::build_groups(
            script.map(|s| s.groups.as_slice()).unwrap_or_default(),
        ),
    };
    let n = exp.end_time().div_ceil(bucket);
    if n > MAX_BUCKETS {
        return Err(FieldError::new(
            "bucket",
            format!(
                "the test lasts {} and would need {n} buckets; use a wider bucket (at most {MAX_BUCKETS} buckets)",
                crate::time::format_duration(exp.end_time())
            ),
        ));
    }
    let faults = crate::model::fault::build_faults(&spec.faults, &exp.model, exp.end_time())?;
    let plain: Vec<_> = exp.scenarios.iter().map(|p| p.scenario.clone()).collect();
    crate::model::windows::check_stage_thresholds(&exp.thresholds, &plain)?;
    let mut exp = exp;
    exp.stages = crate::model::windows::stage_windows(&plain);
    exp.warmup = crate::model::windows::build_warmup(spec.warmup.as_deref(), exp.end_time())?;
    exp.faults = faults;
    Ok(exp)
}

/// Parses thresholds written as `key -> [entries]`; errors name `thresholds.KEY[i]`.
fn build_thresholds(
    written: &[(String, Vec<ThresholdSpec>)],
    cx: &ThresholdContext,
) -> Result<Vec<Threshold>, FieldError> {
    let mut thresholds = Vec::new();
    for (key, entries) in written {
        for (i, e) in entries.iter().enumerate() {
            let mut t = parse_threshold_in(key, &e.expression, cx)
                .map_err(|m| FieldError::new(format!("thresholds.{key}[{i}]"), m))?;
            t.abort_on_fail = e.abort_on_fail;
            t.delay_abort_eval = e.delay_abort_eval.unwrap_or(0);
            thresholds.push(t);
        }
    }
    Ok(thresholds)
}

/// Adds the thresholds of a k6 options JSON (`k6_options`) to a built experiment, for the
/// keys the experiment does not set itself. Errors are about the JSON file (paths
/// `thresholds.KEY[i]` in it), so the caller names that file.
///
/// A threshold on one of a k6 script's custom metrics is evaluated when capsim predicts
/// the metric (`exp.custom_metrics`); otherwise it gets a note saying it is not evaluated
/// and why, never a silent pass.
pub fn add_k6_thresholds(
    exp: &mut Experiment,
    spec: &ExperimentSpec,
    k6: &K6Options,
) -> Result<(), FieldError> {
    let written: Vec<(String, Vec<ThresholdSpec>)> = k6
        .thresholds
        .iter()
        .filter(|(k, _)| !spec.thresholds.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let (written, custom) = split_custom(written, &mut exp.custom_metrics, &mut exp.notes);
    let scenario_names: Vec<String> = exp
        .scenarios
        .iter()
        .map(|s| s.scenario.name.clone())
        .collect();
    let check_names: Vec<String> = exp.checks.iter().map(|c| c.name.clone()).collect();
    let group_paths: Vec<String> = exp.groups.iter().map(|g| g.path.clone()).collect();
    let endpoint_names: Vec<String> = exp.model.endpoints.iter().map(|e| e.name.clone()).collect();
    let cx = ThresholdContext {
        endpoints: &endpoint_names,
        scenarios: &scenario_names,
        checks: &check_names,
        groups: &group_paths,
    };
    let added = build_thresholds(&written, &cx)?;
    exp.thresholds.extend(added);
    exp.thresholds
        .extend(build_custom_thresholds(&custom, &cx)?);
    for t in &mut exp.thresholds {
        t.sub = None;
    }
    exp.submetrics = assign_submetrics(&mut exp.thresholds);
    exp.percentiles = required_percentiles(&exp.thresholds);
    // Every predicted custom metric has its whole-metric accumulator (for the summary).
    for (i, m) in exp.custom_metrics.iter().enumerate() {
        let plan = SubmetricPlan {
            family: crate::model::threshold::Family::Custom(i as u32),
            filter: Default::default(),
        };
        if m.not_predicted.is_none() && !exp.submetrics.contains(&plan) {
            exp.submetrics.push(plan);
        }
    }
    Ok(())
}

fn build_flow(
    name: &str,
    steps: &[FlowStepSpec],
    path: &str,
    model: &Model,
    files: &Files,
    distributions: &mut Vec<Distribution>,
    checks: &mut Vec<Check>,
) -> Result<Flow, FieldError> {
    let mut out = Vec::new();
    let mut has_request = false;
    for (i, step) in steps.iter().enumerate() {
        let p = format!("{path}[{i}]");
        match step {
            FlowStepSpec::Request(r) => {
                has_request = true;
                let endpoint = model.endpoint_index(&r.endpoint).ok_or_else(|| {
                    FieldError::new(
                        join_path(&p, "request.endpoint"),
                        unknown_name(
                            "endpoint",
                            &r.endpoint,
                            model.endpoints.iter().map(|e| e.name.as_str()),
                        ),
                    )
                })?;
                let first_check = checks.len() as u32;
                for (check_name, c) in &r.checks {
                    let condition = match c {
                        CheckSpec::StatusOk => CheckCondition::StatusOk,
                        CheckSpec::DurationBelow(d) => CheckCondition::DurationBelow(d.0),
                    };
                    checks.push(Check {
                        name: check_name.clone(),
                        condition,
                    });
                }
                out.push(FlowStep::Request {
                    first_add: 0,
                    n_adds: 0,
                    endpoint,
                    first_check,
                    n_checks: r.checks.len() as u32,
                });
            }
            FlowStepSpec::Sleep(d) => {
                let built = dist::build(d, files).map_err(|e| e.within(&join_path(&p, "sleep")))?;
                distributions.push(built);
                out.push(FlowStep::Sleep {
                    dist: distributions.len() - 1,
                });
            }
        }
    }
    if !has_request {
        return Err(FieldError::new(
            path,
            "a flow needs at least one request; otherwise its VUs would spin without load",
        ));
    }
    Ok(Flow {
        name: name.to_string(),
        steps: out,
        traces: Vec::new(),
        batch_hosts: Vec::new(),
    })
}
