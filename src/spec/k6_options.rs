//! The JSON that `k6 inspect` prints: scenarios, rps and thresholds of an existing k6 script.
//!
//! `k6 inspect script.js` prints every option key, unset ones as `null`, durations as Go
//! strings (`"1m0s"`), and thresholds as a mix of bare strings and
//! `{threshold, abortOnFail, delayAbortEval}` objects (reference section 4.1). capsim reads
//! only what it simulates: `scenarios` (or the `vus`/`duration`/`iterations`/`stages`
//! shortcuts, derived into a `default` scenario as k6's `DeriveScenariosFromShortcuts`
//! does, reference 4.2), `rps` and `thresholds`. Other top-level keys are ignored (k6 has
//! dozens, and `--execution-requirements` adds `totalDuration` and `maxVUs`); scenario
//! fields are strict.
//!
//! Error policy: [`parse_k6_options_with`] fails on the first problem, with the field path
//! (`scenarios.ext.executor`): the shortcuts and scenario fields first, then the caller's
//! check of the scenarios (k6's validation, in name order, which lives in the workload
//! layer), then `rps` and `thresholds`. So a script with an `externally-controlled`
//! scenario is rejected as a whole: capsim cannot simulate a partial plan faithfully, since
//! scenarios share the system under test.

use crate::spec::confine::bound_message;
use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::FieldError;
use crate::spec::scenario::{ScenarioSpec, StageSpec, scenario_from_json};
use crate::time::{Duration, Nanos};

/// Name of the scenario derived from the shortcuts.
pub const DEFAULT_SCENARIO: &str = "default";

/// What capsim takes from a k6 options JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct K6Options {
    /// The scenarios, given or derived from the shortcuts; all of them passed the caller's
    /// check.
    pub scenarios: BTreeMap<String, ScenarioSpec>,
    /// The global HTTP request rate cap (`rps`, a token bucket with burst 1 shared by all
    /// VUs); `None` when unset, null or <= 0, which k6 treats as no limit.
    pub rps: Option<f64>,
    /// Thresholds per metric key (`http_req_duration{scenario:steady}`), in file order.
    pub thresholds: BTreeMap<String, Vec<ThresholdSpec>>,
    /// Things k6 warns about, such as a `vus` that no shortcut uses.
    pub warnings: Vec<String>,
}

/// One threshold entry. A bare string is `{expression, abort_on_fail: false, None}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdSpec {
    /// The expression (`p(95)<500`), not parsed here.
    pub expression: String,
    pub abort_on_fail: bool,
    /// How long after the test start an `abortOnFail` threshold may first abort.
    pub delay_abort_eval: Option<Nanos>,
}

/// The long form of a threshold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdObject {
    threshold: String,
    #[serde(default, rename = "abortOnFail")]
    abort_on_fail: Option<bool>,
    #[serde(default, rename = "delayAbortEval")]
    delay_abort_eval: Option<Duration>,
}

/// A threshold as written, in a k6 options JSON or an experiment's `thresholds`: a string
/// (`"p(95)<500"`) or `{threshold, abortOnFail, delayAbortEval}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ThresholdEntry {
    Short(String),
    Long(ThresholdObject),
}

impl ThresholdEntry {
    pub fn into_spec(self) -> ThresholdSpec {
        match self {
            ThresholdEntry::Short(expression) => ThresholdSpec {
                expression,
                abort_on_fail: false,
                delay_abort_eval: None,
            },
            ThresholdEntry::Long(o) => ThresholdSpec {
                expression: o.threshold,
                abort_on_fail: o.abort_on_fail.unwrap_or(false),
                delay_abort_eval: o.delay_abort_eval.map(Duration::nanos),
            },
        }
    }
}

fn field<T: for<'de> Deserialize<'de>>(
    root: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    want: &str,
) -> Result<Option<T>, FieldError> {
    match root.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => T::deserialize(v).map(Some).map_err(|e| {
            FieldError::new(
                key,
                format!("{}; {key} must be {want}", bound_message(&e.to_string())),
            )
        }),
    }
}

/// One threshold as written (a string or k6's long form), at `path` for messages.
pub fn threshold_entry(entry: &serde_json::Value, path: &str) -> Result<ThresholdSpec, FieldError> {
    ThresholdEntry::deserialize(entry)
        .map(ThresholdEntry::into_spec)
        .map_err(|_| {
            FieldError::new(
                path,
                format!(
                    "a threshold is a string such as \"p(95)<500\" or an object \
                     {{\"threshold\": \"p(99)<1000\", \"abortOnFail\": true, \
                     \"delayAbortEval\": \"10s\"}} with no other keys; got {entry}"
                ),
            )
        })
}

/// Parses the JSON printed by `k6 inspect` (or `k6 inspect --execution-requirements`).
/// `check_scenarios` validates the scenarios once they are given or derived, before `rps`
/// and `thresholds` are read; its error paths start with the scenario name, and this adds
/// `scenarios` (and, for a derived scenario, names the shortcut it came from).
pub fn parse_k6_options_with(
    json: &str,
    check_scenarios: impl FnOnce(&BTreeMap<String, ScenarioSpec>) -> Result<(), FieldError>,
) -> Result<K6Options, FieldError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        FieldError::new(
            "",
            format!(
                "not valid JSON ({}); expected the output of `k6 inspect script.js`",
                bound_message(&e.to_string())
            ),
        )
    })?;
    let Some(root) = value.as_object() else {
        return Err(FieldError::new(
            "",
            "expected a JSON object, the output of `k6 inspect script.js`",
        ));
    };

    let vus: Option<u64> = field(root, "vus", "a whole number >= 0")?;
    let duration: Option<Duration> = field(root, "duration", "a duration such as \"30s\"")?;
    let iterations: Option<u64> = field(root, "iterations", "a whole number >= 0")?;
    let stages: Option<Vec<serde_json::Value>> =
        field(root, "stages", "a list of {duration, target}")?;
    let stages: Vec<StageSpec> = stages
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            StageSpec::deserialize(s).map_err(|e| {
                FieldError::new(
                    format!("stages[{i}]"),
                    format!(
                        "{}; a stage is {{\"duration\": \"30s\", \"target\": 10}}",
                        bound_message(&e.to_string())
                    ),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let given: Option<BTreeMap<String, serde_json::Value>> =
        field(root, "scenarios", "an object of named scenarios")?;
    let mut given_scenarios = BTreeMap::new();
    for (name, v) in given.unwrap_or_default() {
        let spec = scenario_from_json(&v).map_err(|e| e.within(&name).within("scenarios"))?;
        given_scenarios.insert(name, spec);
    }

    let mut warnings = Vec::new();
    let conflict = |first: &str, others: &str| {
        FieldError::new(
            first,
            format!(
                "using multiple execution config shortcuts (`{first}` and {others}) \
                 simultaneously is not allowed; keep one of them"
            ),
        )
    };
    let derived = |spec: ScenarioSpec| BTreeMap::from([(DEFAULT_SCENARIO.to_string(), spec)]);
    let scenarios = if let Some(iterations) = iterations {
        if !stages.is_empty() || !given_scenarios.is_empty() {
            return Err(conflict("iterations", "`stages`/`scenarios`"));
        }
        derived(ScenarioSpec {
            executor: Some("shared-iterations".into()),
            vus,
            iterations: Some(iterations),
            max_duration: duration,
            ..ScenarioSpec::default()
        })
    } else if let Some(duration) = duration {
        if !stages.is_empty() || !given_scenarios.is_empty() {
            return Err(conflict("duration", "`stages`/`scenarios`"));
        }
        if duration.nanos() == 0 {
            return Err(FieldError::new(
                "duration",
                "`duration` should be more than 0 (k6 suggests externally-controlled for an \
                 infinite duration, which capsim cannot simulate); give a duration such as \"30s\"",
            ));
        }
        derived(ScenarioSpec {
            executor: Some("constant-vus".into()),
            vus,
            duration: Some(duration),
            ..ScenarioSpec::default()
        })
    } else if !stages.is_empty() {
        if !given_scenarios.is_empty() {
            return Err(conflict("stages", "`scenarios`"));
        }
        derived(ScenarioSpec {
            executor: Some("ramping-vus".into()),
            start_vus: vus,
            stages: Some(stages),
            ..ScenarioSpec::default()
        })
    } else if !given_scenarios.is_empty() {
        given_scenarios
    } else {
        if let Some(v) = vus
            && v != 1
        {
            warnings.push(format!(
                "`vus={v}` option will be ignored, it only works in conjunction with \
                 `iterations`, `duration`, or `stages`"
            ));
        }
        derived(ScenarioSpec {
            executor: Some("per-vu-iterations".into()),
            vus: Some(1),
            iterations: Some(1),
            ..ScenarioSpec::default()
        })
    };
    let derived_from = match (iterations, duration, stages_given(root)) {
        (Some(_), _, _) => Some("iterations"),
        (None, Some(_), _) => Some("duration"),
        (None, None, true) => Some("stages"),
        _ => None,
    };
    check_scenarios(&scenarios).map_err(|e| match derived_from {
        // A derived scenario's problem is in the shortcut the user wrote.
        Some(shortcut) => FieldError::new(
            e.path.clone(),
            format!(
                "{} (scenario derived from the `{shortcut}` shortcut)",
                e.message
            ),
        )
        .within("scenarios"),
        None => e.within("scenarios"),
    })?;

    let rps = match root.get("rps") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(r) if r > 0.0 => Some(r),
            Some(_) => None,
            None => {
                return Err(FieldError::new(
                    "rps",
                    format!("rps must be a number of requests per second (> 0 to limit), got {v}"),
                ));
            }
        },
    };

    let raw: Option<BTreeMap<String, Option<Vec<serde_json::Value>>>> = field(
        root,
        "thresholds",
        "an object of metric -> list of thresholds",
    )?;
    let mut thresholds = BTreeMap::new();
    for (metric, entries) in raw.unwrap_or_default() {
        let mut list = Vec::new();
        for (i, entry) in entries.unwrap_or_default().iter().enumerate() {
            list.push(threshold_entry(
                entry,
                &format!("thresholds.{metric}[{i}]"),
            )?);
        }
        thresholds.insert(metric, list);
    }

    Ok(K6Options {
        scenarios,
        rps,
        thresholds,
        warnings,
    })
}

/// Whether the top-level `stages` is a non-empty list.
fn stages_given(root: &serde_json::Map<String, serde_json::Value>) -> bool {
    root.get("stages")
        .and_then(|s| s.as_array())
        .is_some_and(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC as S;

    /// Parses without checking the scenarios (their validation is a layer up).
    fn parse_k6_options(json: &str) -> Result<K6Options, FieldError> {
        parse_k6_options_with(json, |_| Ok(()))
    }

    #[test]
    fn thresholds_mix_strings_and_objects() {
        let o = parse_k6_options(
            r#"{"thresholds": {"http_req_duration": ["p(95)\u003c500",
                 {"threshold": "p(99)\u003c1000", "abortOnFail": true, "delayAbortEval": "10s"}],
                 "checks": null}}"#,
        )
        .unwrap();
        let t = &o.thresholds["http_req_duration"];
        assert_eq!(
            t,
            &vec![
                ThresholdSpec {
                    expression: "p(95)<500".into(),
                    abort_on_fail: false,
                    delay_abort_eval: None
                },
                ThresholdSpec {
                    expression: "p(99)<1000".into(),
                    abort_on_fail: true,
                    delay_abort_eval: Some(10 * S)
                },
            ]
        );
        assert!(o.thresholds["checks"].is_empty());
        let e =
            parse_k6_options(r#"{"thresholds": {"m": ["ok", {"treshold": "x"}]}}"#).unwrap_err();
        assert_eq!(e.path, "thresholds.m[1]");
    }

    #[test]
    fn rps_zero_or_negative_is_no_limit() {
        assert_eq!(parse_k6_options(r#"{"rps": 50}"#).unwrap().rps, Some(50.0));
        assert_eq!(parse_k6_options(r#"{"rps": 0}"#).unwrap().rps, None);
        assert_eq!(parse_k6_options(r#"{"rps": null}"#).unwrap().rps, None);
        assert_eq!(parse_k6_options(r#"{"rps": "x"}"#).unwrap_err().path, "rps");
    }
}
