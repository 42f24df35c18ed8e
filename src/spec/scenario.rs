//! A k6 scenario as written in an experiment (k6 field names and defaults).
//!
//! [`ScenarioSpec`] mirrors one entry of k6's `options.scenarios`, as written in a YAML
//! experiment or printed by `k6 inspect` (every field optional, JSON `null` = unset).
//! [`ScenarioSpec::validate`] applies the k6 v1.8.1 defaults and validation rules
//! (reference section 4.3/4.4) and produces a [`Scenario`].
//!
//! Executors: `shared-iterations`, `per-vu-iterations`, `constant-vus`, `ramping-vus`,
//! `constant-arrival-rate`, `ramping-arrival-rate`, and one capsim extension that is **not a
//! k6 executor**: `poisson-arrival-rate` {`rate`, `timeUnit` = 1s, `duration`,
//! `preAllocatedVUs`, `maxVUs` = preAllocatedVUs}, an open model whose iterations arrive
//! with exponential gaps of mean `timeUnit/rate` (for queueing-theory checks; `rate` may be
//! fractional). `externally-controlled` is rejected: it needs a live operator, and k6 2.x
//! removed it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, IgnoredAny};

use crate::error::{FieldError, join_path};
use crate::time::{Duration, Nanos, format_duration};
use crate::workload::executor::{
    DEFAULT_GRACEFUL_RAMP_DOWN, DEFAULT_GRACEFUL_STOP, DEFAULT_MAX_DURATION, DEFAULT_TIME_UNIT,
    Executor, MAX_ITERATIONS, MAX_SPAN, MAX_VUS, MIN_DURATION, Scenario, Stage,
};

/// One k6 scenario as written (k6 camelCase field names). Every field is optional here;
/// [`ScenarioSpec::validate`] decides what is required for the chosen executor.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    #[serde(default)]
    pub executor: Option<String>,
    #[serde(default, rename = "startTime")]
    pub start_time: Option<Duration>,
    #[serde(default, rename = "gracefulStop")]
    pub graceful_stop: Option<Duration>,
    #[serde(default)]
    pub exec: Option<String>,
    #[serde(default)]
    pub env: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "opt_count")]
    pub vus: Option<u64>,
    #[serde(default)]
    pub duration: Option<Duration>,
    #[serde(default, deserialize_with = "opt_count")]
    pub iterations: Option<u64>,
    #[serde(default, rename = "maxDuration")]
    pub max_duration: Option<Duration>,
    #[serde(default, rename = "startVUs", deserialize_with = "opt_count")]
    pub start_vus: Option<u64>,
    #[serde(default)]
    pub stages: Option<Vec<StageSpec>>,
    #[serde(default, rename = "gracefulRampDown")]
    pub graceful_ramp_down: Option<Duration>,
    /// Iterations per `timeUnit`: a whole number for the k6 executors, any positive number
    /// for `poisson-arrival-rate`.
    #[serde(default)]
    pub rate: Option<f64>,
    #[serde(default, rename = "timeUnit")]
    pub time_unit: Option<Duration>,
    #[serde(default, rename = "preAllocatedVUs", deserialize_with = "opt_count")]
    pub pre_allocated_vus: Option<u64>,
    #[serde(default, rename = "maxVUs", deserialize_with = "opt_count")]
    pub max_vus: Option<u64>,
    #[serde(default, rename = "startRate", deserialize_with = "opt_count")]
    pub start_rate: Option<u64>,
    /// k6 browser options (`options: {browser: {type: chromium}}`): accepted and ignored.
    #[serde(default)]
    pub options: Option<IgnoredAny>,
}

/// One stage `{duration, target}` as written; both are required by validation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    #[serde(default)]
    pub duration: Option<Duration>,
    #[serde(default, deserialize_with = "opt_count")]
    pub target: Option<u64>,
}

/// A count field: a whole number >= 0, or null.
fn opt_count<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct Opt;
    struct Count;
    const WANT: &str = "a whole number >= 0";
    impl<'de> de::Visitor<'de> for Count {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(WANT)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom(format!("{v} is negative; write {WANT}")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
            if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 {
                Ok(v as u64)
            } else {
                Err(E::custom(format!("{v} is not {WANT}")))
            }
        }
    }
    impl<'de> de::Visitor<'de> for Opt {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "{WANT} or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(Count).map(Some)
        }
    }
    d.deserialize_option(Opt)
}

/// Fields every executor accepts.
pub const COMMON_FIELDS: &[&str] = &[
    "executor",
    "startTime",
    "gracefulStop",
    "exec",
    "env",
    "tags",
];

/// The executors capsim simulates, with their own fields.
pub const EXECUTORS: &[(&str, &[&str])] = &[
    ("shared-iterations", &["vus", "iterations", "maxDuration"]),
    ("per-vu-iterations", &["vus", "iterations", "maxDuration"]),
    ("constant-vus", &["vus", "duration"]),
    ("ramping-vus", &["startVUs", "stages", "gracefulRampDown"]),
    (
        "constant-arrival-rate",
        &["rate", "timeUnit", "duration", "preAllocatedVUs", "maxVUs"],
    ),
    (
        "ramping-arrival-rate",
        &[
            "startRate",
            "timeUnit",
            "stages",
            "preAllocatedVUs",
            "maxVUs",
        ],
    ),
    (
        "poisson-arrival-rate",
        &["rate", "timeUnit", "duration", "preAllocatedVUs", "maxVUs"],
    ),
];

const EXECUTOR_LIST: &str = "shared-iterations, per-vu-iterations, constant-vus, ramping-vus, \
     constant-arrival-rate, ramping-arrival-rate, or capsim's poisson-arrival-rate";

/// Whether `name` is a valid k6 scenario name (`^[0-9a-zA-Z_-]+$`).
pub fn is_valid_scenario_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn err(path: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(path, message)
}

fn fmt_d(ns: Nanos) -> String {
    format_duration(ns)
}

/// A duration that must be at least k6's `minDuration` (1s).
fn min_duration(path: &str, value: Nanos, executor: &str) -> Result<Nanos, FieldError> {
    if value < MIN_DURATION {
        return Err(err(
            path,
            format!(
                "{path} of {executor} must be at least 1s (k6 minDuration), got {}",
                fmt_d(value)
            ),
        ));
    }
    Ok(value)
}

fn vus_limit(path: &str, value: u64) -> Result<u64, FieldError> {
    if value > MAX_VUS {
        return Err(err(
            path,
            format!("{path} = {value} is more than capsim simulates; the most is {MAX_VUS} VUs"),
        ));
    }
    Ok(value)
}

/// A VU count that must be at least 1.
fn positive_vus(path: &str, value: u64, executor: &str) -> Result<u64, FieldError> {
    if value == 0 {
        return Err(err(
            path,
            format!("{executor} needs at least 1 VU; set {path} to 1 or more"),
        ));
    }
    vus_limit(path, value)
}

fn iterations_limit(path: &str, value: u64, what: &str) -> Result<u64, FieldError> {
    if value > MAX_ITERATIONS {
        return Err(err(
            path,
            format!("{what} ({value}) is more than capsim simulates; the most is 10^12 iterations"),
        ));
    }
    Ok(value)
}

fn time_unit(spec: &ScenarioSpec) -> Result<Nanos, FieldError> {
    let tu = spec.time_unit.map_or(DEFAULT_TIME_UNIT, Duration::nanos);
    if tu == 0 {
        return Err(err(
            "timeUnit",
            "timeUnit must be more than 0s, such as \"1s\" (the default) or \"1m\"",
        ));
    }
    Ok(tu)
}

/// `preAllocatedVUs` (required) and `maxVUs` (default: preAllocatedVUs, must not be smaller).
fn vu_pool(spec: &ScenarioSpec, executor: &str) -> Result<(u64, u64), FieldError> {
    let pre = spec.pre_allocated_vus.ok_or_else(|| {
        err(
            "preAllocatedVUs",
            format!(
                "{executor} needs preAllocatedVUs: the number of VUs (>= 0) initialized before \
                 the test; maxVUs defaults to it"
            ),
        )
    })?;
    let pre = vus_limit("preAllocatedVUs", pre)?;
    let max = spec.max_vus.unwrap_or(pre);
    if max < pre {
        return Err(err(
            "maxVUs",
            format!(
                "maxVUs ({max}) can't be less than preAllocatedVUs ({pre}); set maxVUs >= {pre} \
                 or leave it out to use preAllocatedVUs"
            ),
        ));
    }
    Ok((pre, vus_limit("maxVUs", max)?))
}

/// Validates the stages; `what` names the target ("VUs" or "iterations per timeUnit").
fn stages(spec: &ScenarioSpec, executor: &str, what: &str) -> Result<Vec<Stage>, FieldError> {
    let specs = match &spec.stages {
        Some(s) if !s.is_empty() => s,
        _ => {
            return Err(err(
                "stages",
                format!(
                    "{executor} needs at least one stage: stages: [{{duration: \"30s\", target: 10}}, …] \
                     (target in {what})"
                ),
            ));
        }
    };
    let mut out = Vec::with_capacity(specs.len());
    let mut total: Nanos = 0;
    for (i, s) in specs.iter().enumerate() {
        let path = format!("stages[{i}]");
        let duration = s.duration.ok_or_else(|| {
            err(
                &join_path(&path, "duration"),
                "each stage needs a duration, such as \"30s\" (\"0s\" jumps to the target at once)",
            )
        })?;
        let target = s.target.ok_or_else(|| {
            err(
                &join_path(&path, "target"),
                format!("each stage needs a target: a whole number >= 0 of {what}"),
            )
        })?;
        total = total.saturating_add(duration.nanos());
        if total > MAX_SPAN {
            return Err(err(
                &join_path(&path, "duration"),
                "the stages add up to more than 10^18 ns (about 31 years); shorten them",
            ));
        }
        out.push(Stage {
            duration: duration.nanos(),
            target,
        });
    }
    Ok(out)
}

impl ScenarioSpec {
    /// The executor-specific fields that are set (not null).
    pub fn present_fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut add = |set: bool, name: &'static str| {
            if set {
                out.push(name);
            }
        };
        add(self.vus.is_some(), "vus");
        add(self.duration.is_some(), "duration");
        add(self.iterations.is_some(), "iterations");
        add(self.max_duration.is_some(), "maxDuration");
        add(self.start_vus.is_some(), "startVUs");
        add(self.stages.is_some(), "stages");
        add(self.graceful_ramp_down.is_some(), "gracefulRampDown");
        add(self.rate.is_some(), "rate");
        add(self.time_unit.is_some(), "timeUnit");
        add(self.pre_allocated_vus.is_some(), "preAllocatedVUs");
        add(self.max_vus.is_some(), "maxVUs");
        add(self.start_rate.is_some(), "startRate");
        out
    }

    /// Applies k6's defaults and validation rules. `name` is the scenario's key; error
    /// paths are relative to the scenario (`stages[1].target`; the empty path for the name).
    pub fn validate(&self, name: &str) -> Result<Scenario, FieldError> {
        if !is_valid_scenario_name(name) {
            return Err(err(
                "",
                format!(
                    "scenario name {name:?} is not allowed; use only letters, digits, '_' and '-' \
                     (k6: ^[0-9a-zA-Z_-]+$)"
                ),
            ));
        }
        let exec = match &self.exec {
            None => "default".to_string(),
            Some(e) if e.trim().is_empty() => {
                return Err(err(
                    "exec",
                    "exec can't be empty; name the exported function to run, or leave it out \
                     for \"default\"",
                ));
            }
            Some(e) => e.clone(),
        };
        let executor_name = self.executor.as_deref().ok_or_else(|| {
            err(
                "executor",
                format!("every scenario needs an executor; one of {EXECUTOR_LIST}"),
            )
        })?;
        if executor_name == "externally-controlled" {
            return Err(err(
                "executor",
                "capsim cannot simulate the externally-controlled executor: its VUs are changed \
                 at run time by a live operator (k6's REST API or `k6 scale`), and k6 2.x removed \
                 it; describe the VU changes with ramping-vus stages instead",
            ));
        }
        let Some(&(_, own_fields)) = EXECUTORS.iter().find(|(n, _)| *n == executor_name) else {
            let suggestion = EXECUTORS
                .iter()
                .map(|(n, _)| (strsim::jaro_winkler(n, executor_name), *n))
                .filter(|(score, _)| *score > 0.85)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, n)| format!("did you mean {n:?}? "))
                .unwrap_or_default();
            return Err(err(
                "executor",
                format!(
                    "unknown executor {executor_name:?}; {suggestion}use one of {EXECUTOR_LIST}"
                ),
            ));
        };
        for field in self.present_fields() {
            if !own_fields.contains(&field) {
                let lower = field.to_ascii_lowercase();
                let close: Vec<&str> = own_fields
                    .iter()
                    .copied()
                    .filter(|f| {
                        let f = f.to_ascii_lowercase();
                        f.contains(&lower) || strsim::jaro_winkler(&f, &lower) > 0.85
                    })
                    .collect();
                let hint = if close.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean {}?)", close.join(" or "))
                };
                return Err(err(
                    field,
                    format!(
                        "{field} is not a field of the {executor_name} executor{hint}; its fields \
                         are {}, besides the common {}",
                        own_fields.join(", "),
                        COMMON_FIELDS.join(", ")
                    ),
                ));
            }
        }

        let executor = self.executor_config(executor_name)?;
        Ok(Scenario {
            name: name.to_string(),
            start_time: self.start_time.map_or(0, Duration::nanos),
            graceful_stop: self
                .graceful_stop
                .map_or(DEFAULT_GRACEFUL_STOP, Duration::nanos),
            exec,
            executor,
        })
    }

    fn executor_config(&self, executor: &str) -> Result<Executor, FieldError> {
        match executor {
            "shared-iterations" | "per-vu-iterations" => {
                let vus = positive_vus("vus", self.vus.unwrap_or(1), executor)?;
                let iterations = self.iterations.unwrap_or(1);
                let max_duration = min_duration(
                    "maxDuration",
                    self.max_duration
                        .map_or(DEFAULT_MAX_DURATION, Duration::nanos),
                    executor,
                )?;
                if executor == "shared-iterations" {
                    if iterations < vus {
                        return Err(err(
                            "iterations",
                            format!(
                                "iterations ({iterations}) can't be less than vus ({vus}) in \
                                 shared-iterations; set iterations >= {vus} or lower vus"
                            ),
                        ));
                    }
                    iterations_limit("iterations", iterations, "iterations")?;
                    Ok(Executor::SharedIterations {
                        vus,
                        iterations,
                        max_duration,
                    })
                } else {
                    if iterations == 0 {
                        return Err(err(
                            "iterations",
                            "per-vu-iterations needs at least 1 iteration per VU; set iterations \
                             to 1 or more",
                        ));
                    }
                    let total = vus.saturating_mul(iterations);
                    iterations_limit("iterations", total, "vus × iterations")?;
                    Ok(Executor::PerVuIterations {
                        vus,
                        iterations,
                        max_duration,
                    })
                }
            }
            "constant-vus" => {
                let vus = positive_vus("vus", self.vus.unwrap_or(1), executor)?;
                let duration = self.duration.ok_or_else(|| {
                    err(
                        "duration",
                        "constant-vus needs a duration of at least 1s, such as \"30s\" or \"5m\"",
                    )
                })?;
                let duration = min_duration("duration", duration.nanos(), executor)?;
                Ok(Executor::ConstantVus { vus, duration })
            }
            "ramping-vus" => {
                let start_vus = vus_limit("startVUs", self.start_vus.unwrap_or(1))?;
                let stages = stages(self, executor, "VUs")?;
                let mut from = start_vus;
                let mut changes: u64 = 0;
                for (i, s) in stages.iter().enumerate() {
                    vus_limit(&format!("stages[{i}].target"), s.target)?;
                    changes = changes.saturating_add(s.target.abs_diff(from));
                    from = s.target;
                }
                if changes > MAX_VUS {
                    return Err(err(
                        "stages",
                        format!(
                            "the stages start and stop {changes} VUs in total; capsim plans at \
                             most {MAX_VUS} VU changes per scenario"
                        ),
                    ));
                }
                if start_vus == 0 && stages.iter().all(|s| s.target == 0) {
                    return Err(err(
                        "stages",
                        "either startVUs or one of the stage targets must be more than 0",
                    ));
                }
                Ok(Executor::RampingVus {
                    start_vus,
                    stages,
                    graceful_ramp_down: self
                        .graceful_ramp_down
                        .map_or(DEFAULT_GRACEFUL_RAMP_DOWN, Duration::nanos),
                })
            }
            "constant-arrival-rate" => {
                let rate = self.rate_field(executor, true)?;
                let rate = rate as u64;
                let time_unit = time_unit(self)?;
                if rate > time_unit {
                    return Err(err(
                        "rate",
                        format!(
                            "rate {rate} per {} is more than one iteration per nanosecond; the \
                             most is {time_unit}",
                            fmt_d(time_unit)
                        ),
                    ));
                }
                let duration = self.required_duration(executor)?;
                let period = time_unit / rate;
                iterations_limit("rate", duration / period + 1, "rate × duration")?;
                let (pre_allocated_vus, max_vus) = vu_pool(self, executor)?;
                Ok(Executor::ConstantArrivalRate {
                    rate,
                    time_unit,
                    duration,
                    pre_allocated_vus,
                    max_vus,
                })
            }
            "ramping-arrival-rate" => {
                let start_rate = self.start_rate.unwrap_or(0);
                let time_unit = time_unit(self)?;
                let stages = stages(self, executor, "iterations per timeUnit")?;
                // Planned iterations: the integral of the rate.
                let mut from = start_rate as f64;
                let mut total = 0.0;
                for s in &stages {
                    let to = s.target as f64;
                    total += s.duration as f64 * (from + to) / 2.0 / time_unit as f64;
                    from = to;
                }
                if total > MAX_ITERATIONS as f64 {
                    return Err(err(
                        "stages",
                        format!(
                            "the stages plan about {total:.3e} iterations; capsim simulates at \
                             most 10^12; lower the targets or shorten the stages"
                        ),
                    ));
                }
                let (pre_allocated_vus, max_vus) = vu_pool(self, executor)?;
                Ok(Executor::RampingArrivalRate {
                    start_rate,
                    time_unit,
                    stages,
                    pre_allocated_vus,
                    max_vus,
                })
            }
            "poisson-arrival-rate" => {
                let rate = self.rate_field(executor, false)?;
                let time_unit = time_unit(self)?;
                let duration = self.required_duration(executor)?;
                let expected = rate * duration as f64 / time_unit as f64;
                if expected > MAX_ITERATIONS as f64 {
                    return Err(err(
                        "rate",
                        format!(
                            "rate × duration plans about {expected:.3e} iterations; capsim \
                             simulates at most 10^12"
                        ),
                    ));
                }
                let (pre_allocated_vus, max_vus) = vu_pool(self, executor)?;
                Ok(Executor::PoissonArrivalRate {
                    rate,
                    time_unit,
                    duration,
                    pre_allocated_vus,
                    max_vus,
                })
            }
            other => unreachable!("executor {other} is checked against EXECUTORS"),
        }
    }

    fn rate_field(&self, executor: &str, whole: bool) -> Result<f64, FieldError> {
        let kind = if whole {
            "a whole number > 0"
        } else {
            "a number > 0"
        };
        let rate = self.rate.ok_or_else(|| {
            err(
                "rate",
                format!("{executor} needs a rate: {kind} of iterations per timeUnit (default 1s)"),
            )
        })?;
        if !rate.is_finite() || rate <= 0.0 {
            return Err(err(
                "rate",
                format!("rate must be {kind} of iterations per timeUnit, got {rate}"),
            ));
        }
        if whole && rate.fract() != 0.0 {
            return Err(err(
                "rate",
                format!(
                    "k6 takes a whole number of iterations per timeUnit, got {rate}; for a \
                     fractional rate scale timeUnit, e.g. 2.5/s is rate: 5, timeUnit: 2s"
                ),
            ));
        }
        Ok(rate)
    }

    fn required_duration(&self, executor: &str) -> Result<Nanos, FieldError> {
        let d = self.duration.ok_or_else(|| {
            err(
                "duration",
                format!("{executor} needs a duration of at least 1s, such as \"30s\" or \"5m\""),
            )
        })?;
        min_duration("duration", d.nanos(), executor)
    }
}

/// Validates every scenario of a map; error paths start with the scenario name
/// (`spike.stages[1].target`), so callers add their own parent (`scenarios`).
pub fn validate_scenarios(
    scenarios: &BTreeMap<String, ScenarioSpec>,
) -> Result<Vec<Scenario>, FieldError> {
    scenarios
        .iter()
        .map(|(name, spec)| spec.validate(name).map_err(|e| e.within(name)))
        .collect()
}

/// Deserializes one scenario from a JSON value, with the field path of the first bad
/// field in the error (serde_json alone does not say which field failed).
pub fn scenario_from_json(value: &serde_json::Value) -> Result<ScenarioSpec, FieldError> {
    let whole = match ScenarioSpec::deserialize(value) {
        Ok(spec) => return Ok(spec),
        Err(e) => e,
    };
    let Some(map) = value.as_object() else {
        return Err(err(
            "",
            format!("a scenario must be an object of k6 scenario fields: {whole}"),
        ));
    };
    for (key, field) in map {
        let single =
            serde_json::Value::Object([(key.clone(), field.clone())].into_iter().collect());
        if let Err(e) = ScenarioSpec::deserialize(&single) {
            if key == "stages"
                && let Some(items) = field.as_array()
            {
                for (i, item) in items.iter().enumerate() {
                    if let Err(e) = StageSpec::deserialize(item) {
                        return Err(err(&format!("stages[{i}]"), e.to_string()));
                    }
                }
            }
            return Err(err(key, e.to_string()));
        }
    }
    Err(err("", whole.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC as S;

    fn yaml(text: &str) -> ScenarioSpec {
        serde_saphyr::from_str(text).expect("valid scenario YAML")
    }

    fn json(text: &str) -> ScenarioSpec {
        scenario_from_json(&serde_json::from_str(text).unwrap()).expect("valid scenario JSON")
    }

    fn fails(spec: &ScenarioSpec) -> FieldError {
        spec.validate("s").expect_err("validation should fail")
    }

    #[test]
    fn yaml_constant_vus_with_defaults() {
        let s = yaml("executor: constant-vus\nvus: 5\nduration: 1m\n")
            .validate("steady")
            .unwrap();
        assert_eq!(s.name, "steady");
        assert_eq!(s.start_time, 0);
        assert_eq!(s.graceful_stop, 30 * S);
        assert_eq!(s.exec, "default");
        assert_eq!(
            s.executor,
            Executor::ConstantVus {
                vus: 5,
                duration: 60 * S
            }
        );
    }

    #[test]
    fn json_nulls_are_unset() {
        let s = json(
            r#"{"executor": "shared-iterations", "startTime": null, "gracefulStop": null,
                "env": null, "exec": null, "tags": null, "vus": null, "iterations": null,
                "maxDuration": null}"#,
        );
        assert_eq!(s.vus, None);
        let y = yaml("executor: shared-iterations\nvus: ~\nmaxDuration: null\nstartTime: ~\n");
        assert_eq!((y.vus, y.max_duration, y.start_time), (None, None, None));
        let s = s.validate("shared").unwrap();
        assert_eq!(
            s.executor,
            Executor::SharedIterations {
                vus: 1,
                iterations: 1,
                max_duration: 600 * S
            }
        );
    }

    #[test]
    fn browser_options_are_ignored_but_unknown_fields_are_not() {
        let s = json(
            r#"{"executor": "constant-vus", "duration": "10s",
                "options": {"browser": {"type": "chromium"}}}"#,
        );
        assert!(s.validate("ui").is_ok());
        let e = scenario_from_json(
            &serde_json::from_str(r#"{"executor": "constant-vus", "vu": 3}"#).unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.path, "vu");
        assert!(e.message.contains("unknown field"), "{e}");
        assert!(e.message.contains("vus"), "lists the allowed fields: {e}");
    }

    #[test]
    fn json_type_errors_name_the_field() {
        let e = scenario_from_json(
            &serde_json::from_str(r#"{"executor": "constant-vus", "vus": -3, "duration": "1m"}"#)
                .unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.path, "vus");
        assert!(e.message.contains(">= 0"), "{e}");
        let e = scenario_from_json(
            &serde_json::from_str(
                r#"{"executor": "ramping-vus", "stages": [{"duration": "1s", "target": 1},
                    {"duration": "5", "target": 2}]}"#,
            )
            .unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.path, "stages[1]");
        assert!(e.message.contains("unit"), "{e}");
    }

    #[test]
    fn every_executor_with_defaults() {
        let s = yaml("executor: ramping-vus\nstages: [{duration: 10s, target: 0}]\n")
            .validate("r")
            .unwrap();
        assert_eq!(
            s.executor,
            Executor::RampingVus {
                start_vus: 1,
                stages: vec![Stage {
                    duration: 10 * S,
                    target: 0
                }],
                graceful_ramp_down: 30 * S
            }
        );
        let s =
            yaml("executor: constant-arrival-rate\nrate: 30\nduration: 1m\npreAllocatedVUs: 5\n")
                .validate("c")
                .unwrap();
        assert_eq!(
            s.executor,
            Executor::ConstantArrivalRate {
                rate: 30,
                time_unit: S,
                duration: 60 * S,
                pre_allocated_vus: 5,
                max_vus: 5
            }
        );
        let s = yaml(
            "executor: ramping-arrival-rate\npreAllocatedVUs: 2\nmaxVUs: 9\n\
             stages: [{duration: 1m, target: 60}]\n",
        )
        .validate("r")
        .unwrap();
        assert_eq!(
            s.executor,
            Executor::RampingArrivalRate {
                start_rate: 0,
                time_unit: S,
                stages: vec![Stage {
                    duration: 60 * S,
                    target: 60
                }],
                pre_allocated_vus: 2,
                max_vus: 9
            }
        );
        let s = yaml(
            "executor: poisson-arrival-rate\nrate: 2.5\nduration: 10s\npreAllocatedVUs: 3\n\
             gracefulStop: 0s\nstartTime: 5s\nexec: api\n",
        )
        .validate("p")
        .unwrap();
        assert_eq!(
            s.executor,
            Executor::PoissonArrivalRate {
                rate: 2.5,
                time_unit: S,
                duration: 10 * S,
                pre_allocated_vus: 3,
                max_vus: 3
            }
        );
        assert_eq!(
            (s.start_time, s.graceful_stop, s.exec.as_str()),
            (5 * S, 0, "api")
        );
        let s = yaml("executor: per-vu-iterations\nvus: 4\niterations: 3\nmaxDuration: 2s\n")
            .validate("p")
            .unwrap();
        assert_eq!(
            s.executor,
            Executor::PerVuIterations {
                vus: 4,
                iterations: 3,
                max_duration: 2 * S
            }
        );
    }

    #[test]
    fn stage_errors_have_indexed_paths() {
        let e = fails(&yaml(
            "executor: ramping-vus\nstages: [{duration: 10s, target: 5}, {duration: 5s}]\n",
        ));
        assert_eq!(e.path, "stages[1].target");
        assert!(e.message.contains("whole number >= 0"), "{e}");
        let e = fails(&yaml(
            "executor: ramping-arrival-rate\npreAllocatedVUs: 1\nstages: [{target: 5}]\n",
        ));
        assert_eq!(e.path, "stages[0].duration");
        let e = fails(&yaml("executor: ramping-vus\nstages: []\n"));
        assert_eq!(e.path, "stages");
        assert!(e.message.contains("at least one stage"), "{e}");
        let e = fails(&yaml(
            "executor: ramping-vus\nstartVUs: 0\nstages: [{duration: 10s, target: 0}]\n",
        ));
        assert_eq!(e.path, "stages");
        assert!(e.message.contains("more than 0"), "{e}");
    }

    #[test]
    fn foreign_fields_name_the_executors_fields() {
        let e = fails(&yaml(
            "executor: ramping-vus\nvus: 3\nstages: [{duration: 10s, target: 5}]\n",
        ));
        assert_eq!(e.path, "vus");
        assert!(e.message.contains("ramping-vus"), "{e}");
        assert!(
            e.message.contains("startVUs, stages, gracefulRampDown"),
            "{e}"
        );
        assert!(e.message.contains("did you mean startVUs"), "{e}");
        let e = fails(&yaml("executor: constant-vus\nduration: 10s\nrate: 3\n"));
        assert_eq!(e.path, "rate");
        assert!(e.message.contains("vus, duration"), "{e}");
    }

    #[test]
    fn executor_errors() {
        let e = fails(&yaml("vus: 3\n"));
        assert_eq!(e.path, "executor");
        assert!(e.message.contains("constant-arrival-rate"), "{e}");
        let e = fails(&yaml("executor: constant-vu\nvus: 3\nduration: 1s\n"));
        assert_eq!(e.path, "executor");
        assert!(e.message.contains("did you mean \"constant-vus\""), "{e}");
        let e = fails(&yaml(
            "executor: externally-controlled\nvus: 1\nmaxVUs: 5\nduration: 2m\n",
        ));
        assert_eq!(e.path, "executor");
        assert!(e.message.contains("cannot simulate"), "{e}");
        assert!(e.message.contains("k6 2.x removed"), "{e}");
    }

    #[test]
    fn names_must_match_k6_pattern() {
        let spec = yaml("executor: constant-vus\nduration: 1s\n");
        assert!(spec.validate("a-B_9").is_ok());
        for bad in ["", "a b", "x.y", "ü"] {
            let e = spec.validate(bad).unwrap_err();
            assert_eq!(e.path, "");
            assert!(e.message.contains("^[0-9a-zA-Z_-]+$"), "{e}");
        }
    }

    #[test]
    fn k6_validation_rules() {
        // Minimum durations.
        let e = fails(&yaml("executor: constant-vus\nduration: 999ms\n"));
        assert_eq!(e.path, "duration");
        assert!(e.message.contains("at least 1s"), "{e}");
        let e = fails(&yaml("executor: shared-iterations\nmaxDuration: 500ms\n"));
        assert_eq!(e.path, "maxDuration");
        let e = fails(&yaml("executor: constant-vus\n"));
        assert_eq!(e.path, "duration");
        // iterations >= vus for shared-iterations.
        let e = fails(&yaml(
            "executor: shared-iterations\nvus: 5\niterations: 4\n",
        ));
        assert_eq!(e.path, "iterations");
        assert!(e.message.contains("can't be less than vus"), "{e}");
        // vus > 0.
        let e = fails(&yaml("executor: per-vu-iterations\nvus: 0\n"));
        assert_eq!(e.path, "vus");
        let e = fails(&yaml("executor: per-vu-iterations\niterations: 0\n"));
        assert_eq!(e.path, "iterations");
        // maxVUs >= preAllocatedVUs, preAllocatedVUs required.
        let e = fails(&yaml(
            "executor: constant-arrival-rate\nrate: 1\nduration: 1s\npreAllocatedVUs: 5\nmaxVUs: 4\n",
        ));
        assert_eq!(e.path, "maxVUs");
        assert!(
            e.message.contains("can't be less than preAllocatedVUs"),
            "{e}"
        );
        let e = fails(&yaml(
            "executor: constant-arrival-rate\nrate: 1\nduration: 1s\n",
        ));
        assert_eq!(e.path, "preAllocatedVUs");
        // Rates.
        let e = fails(&yaml(
            "executor: constant-arrival-rate\nrate: 2.5\nduration: 1s\npreAllocatedVUs: 1\n",
        ));
        assert_eq!(e.path, "rate");
        assert!(e.message.contains("timeUnit: 2s"), "{e}");
        let e = fails(&yaml(
            "executor: constant-arrival-rate\nrate: 0\nduration: 1s\npreAllocatedVUs: 1\n",
        ));
        assert_eq!(e.path, "rate");
        let e = fails(&yaml(
            "executor: constant-arrival-rate\nrate: 1\ntimeUnit: 0s\nduration: 1s\npreAllocatedVUs: 1\n",
        ));
        assert_eq!(e.path, "timeUnit");
        let e = fails(&yaml("executor: constant-vus\nduration: 1s\nexec: ''\n"));
        assert_eq!(e.path, "exec");
    }

    #[test]
    fn hostile_sizes_are_rejected() {
        let e = fails(&yaml(
            "executor: constant-vus\nvus: 10000001\nduration: 1s\n",
        ));
        assert_eq!(e.path, "vus");
        assert!(e.message.contains("10000000"), "{e}");
        assert!(
            yaml("executor: constant-vus\nvus: 10000000\nduration: 1s\n")
                .validate("s")
                .is_ok()
        );
        let e = fails(&yaml(
            "executor: shared-iterations\niterations: 1000000000001\n",
        ));
        assert_eq!(e.path, "iterations");
        let e = fails(&yaml(
            "executor: per-vu-iterations\nvus: 10000000\niterations: 100001\n",
        ));
        assert_eq!(e.path, "iterations");
        let e = fails(&yaml(
            "executor: ramping-vus\nstages: [{duration: 1s, target: 10000000}, {duration: 1s, target: 0}]\n",
        ));
        assert_eq!(e.path, "stages");
        let e = fails(&yaml(
            "executor: constant-arrival-rate\nrate: 2000000000\nduration: 1s\npreAllocatedVUs: 1\n",
        ));
        assert_eq!(e.path, "rate");
        let e = fails(&yaml(
            "executor: constant-arrival-rate\nrate: 1000000\nduration: 10000h\npreAllocatedVUs: 1\n",
        ));
        assert_eq!(e.path, "rate");
        assert!(e.message.contains("10^12"), "{e}");
        let e = fails(&yaml(
            "executor: ramping-arrival-rate\npreAllocatedVUs: 1\nstages: [{duration: 100000h, target: 10000000}]\n",
        ));
        assert_eq!(e.path, "stages");
    }

    #[test]
    fn validate_scenarios_prefixes_names() {
        let mut m = BTreeMap::new();
        m.insert(
            "ok".to_string(),
            yaml("executor: constant-vus\nduration: 1s\n"),
        );
        m.insert(
            "spike".to_string(),
            yaml("executor: ramping-vus\nstages: [{duration: 1s, target: 1}, {duration: 1s}]\n"),
        );
        let e = validate_scenarios(&m).unwrap_err().within("scenarios");
        assert_eq!(e.path, "scenarios.spike.stages[1].target");
        m.remove("spike");
        assert_eq!(validate_scenarios(&m).unwrap().len(), 1);
    }
}
