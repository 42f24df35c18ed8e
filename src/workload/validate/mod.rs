//! Validation of k6 scenarios: applies k6 v1.8.1's defaults and limits to a
//! [`ScenarioSpec`] (reference section 4.3/4.4) and produces a validated [`Scenario`].
//!
//! The scenario-level checks live here (name, `exec`, the executor and its fields);
//! [`executors`] holds the per-executor defaults and limits. `k6 inspect` JSON is read by
//! [`crate::spec::k6_options`]; [`parse_k6_options`] reads it and validates its scenarios.

mod executors;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::error::FieldError;
use crate::spec::k6_options::{K6Options, parse_k6_options_with};
use crate::spec::scenario::ScenarioSpec;
use crate::time::Duration;
use crate::workload::executor::{DEFAULT_GRACEFUL_STOP, Scenario};
use executors::executor_config;

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

impl ScenarioSpec {
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

        let executor = executor_config(self, executor_name)?;
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

/// Parses the JSON printed by `k6 inspect` (or `k6 inspect --execution-requirements`) and
/// validates its scenarios: the first problem, in the order
/// [`parse_k6_options_with`] documents, is the error.
pub fn parse_k6_options(json: &str) -> Result<K6Options, FieldError> {
    parse_k6_options_with(json, |scenarios| validate_scenarios(scenarios).map(drop))
}

impl K6Options {
    /// The validated scenarios, in name order.
    pub fn validated_scenarios(&self) -> Result<Vec<Scenario>, FieldError> {
        validate_scenarios(&self.scenarios).map_err(|e| e.within("scenarios"))
    }
}
