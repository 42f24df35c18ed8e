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
//! Error policy: [`parse_k6_options`] fails on the first problem, scenarios checked in name
//! order, with the field path (`scenarios.ext.executor`). So a script with an
//! `externally-controlled` scenario is rejected as a whole: capsim cannot simulate a
//! partial plan faithfully, since scenarios share the system under test.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::FieldError;
use crate::spec::scenario::{ScenarioSpec, StageSpec, scenario_from_json, validate_scenarios};
use crate::time::{Duration, Nanos};
use crate::workload::executor::Scenario;

/// Name of the scenario derived from the shortcuts.
pub const DEFAULT_SCENARIO: &str = "default";

/// What capsim takes from a k6 options JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct K6Options {
    /// The scenarios, given or derived from the shortcuts; all of them validate.
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

impl K6Options {
    /// The validated scenarios, in name order.
    pub fn validated_scenarios(&self) -> Result<Vec<Scenario>, FieldError> {
        validate_scenarios(&self.scenarios).map_err(|e| e.within("scenarios"))
    }
}

/// The long form of a threshold.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdObject {
    threshold: String,
    #[serde(default, rename = "abortOnFail")]
    abort_on_fail: Option<bool>,
    #[serde(default, rename = "delayAbortEval")]
    delay_abort_eval: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ThresholdEntry {
    Short(String),
    Long(ThresholdObject),
}

fn field<T: for<'de> Deserialize<'de>>(
    root: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    want: &str,
) -> Result<Option<T>, FieldError> {
    match root.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => T::deserialize(v)
            .map(Some)
            .map_err(|e| FieldError::new(key, format!("{e}; {key} must be {want}"))),
    }
}

/// Parses the JSON printed by `k6 inspect` (or `k6 inspect --execution-requirements`).
pub fn parse_k6_options(json: &str) -> Result<K6Options, FieldError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        FieldError::new(
            "",
            format!("not valid JSON ({e}); expected the output of `k6 inspect script.js`"),
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
                    format!("{e}; a stage is {{\"duration\": \"30s\", \"target\": 10}}"),
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
    validate_scenarios(&scenarios).map_err(|e| match derived_from {
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
            let parsed = ThresholdEntry::deserialize(entry).map_err(|_| {
                FieldError::new(
                    format!("thresholds.{metric}[{i}]"),
                    format!(
                        "a threshold is a string such as \"p(95)<500\" or an object \
                         {{\"threshold\": \"p(99)<1000\", \"abortOnFail\": true, \
                         \"delayAbortEval\": \"10s\"}} with no other keys; got {entry}"
                    ),
                )
            })?;
            list.push(match parsed {
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
            });
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
    use crate::workload::executor::{Executor, Stage};

    #[test]
    fn shortcut_vus_duration_gives_constant_vus() {
        let o = parse_k6_options(r#"{"vus": 10, "duration": "30s", "iterations": null, "stages": null, "scenarios": null}"#)
            .unwrap();
        let s = o.validated_scenarios().unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name, "default");
        assert_eq!(
            s[0].executor,
            Executor::ConstantVus {
                vus: 10,
                duration: 30 * S
            }
        );
        assert_eq!(
            s[0].total_end(),
            60 * S,
            "30s + 30s gracefulStop, like k6's totalDuration"
        );
        assert!(o.warnings.is_empty());
    }

    #[test]
    fn shortcut_iterations_gives_shared_iterations() {
        let o = parse_k6_options(r#"{"vus": 2, "iterations": 10, "duration": "1m0s"}"#).unwrap();
        let s = o.validated_scenarios().unwrap();
        assert_eq!(
            s[0].executor,
            Executor::SharedIterations {
                vus: 2,
                iterations: 10,
                max_duration: 60 * S
            }
        );
        let o = parse_k6_options(r#"{"iterations": 3}"#).unwrap();
        assert_eq!(
            o.validated_scenarios().unwrap()[0].executor,
            Executor::SharedIterations {
                vus: 1,
                iterations: 3,
                max_duration: 600 * S
            }
        );
    }

    #[test]
    fn shortcut_stages_gives_ramping_vus() {
        let o = parse_k6_options(
            r#"{"vus": 3, "stages": [{"duration": "10s", "target": 5}, {"duration": "0s", "target": 0}]}"#,
        )
        .unwrap();
        assert_eq!(
            o.validated_scenarios().unwrap()[0].executor,
            Executor::RampingVus {
                start_vus: 3,
                stages: vec![
                    Stage {
                        duration: 10 * S,
                        target: 5
                    },
                    Stage {
                        duration: 0,
                        target: 0
                    }
                ],
                graceful_ramp_down: 30 * S
            }
        );
        // Without vus, startVUs takes the ramping-vus default of 1.
        let o = parse_k6_options(r#"{"stages": [{"duration": "10s", "target": 5}]}"#).unwrap();
        assert_eq!(o.scenarios["default"].start_vus, None);
    }

    #[test]
    fn no_shortcut_gives_one_iteration_and_warns_about_vus() {
        let o = parse_k6_options(r#"{"vus": 5, "stages": []}"#).unwrap();
        assert_eq!(
            o.validated_scenarios().unwrap()[0].executor,
            Executor::PerVuIterations {
                vus: 1,
                iterations: 1,
                max_duration: 600 * S
            }
        );
        assert_eq!(o.warnings.len(), 1);
        assert!(o.warnings[0].contains("`vus=5` option will be ignored"));
        assert!(parse_k6_options("{}").unwrap().warnings.is_empty());
    }

    #[test]
    fn shortcut_conflicts() {
        let sc = r#""scenarios": {"a": {"executor": "constant-vus", "duration": "1s"}}"#;
        let e = parse_k6_options(&format!(r#"{{"iterations": 5, {sc}}}"#)).unwrap_err();
        assert_eq!(e.path, "iterations");
        assert!(e.message.contains("not allowed"), "{e}");
        let e =
            parse_k6_options(r#"{"duration": "5s", "stages": [{"duration": "1s", "target": 1}]}"#)
                .unwrap_err();
        assert_eq!(e.path, "duration");
        let e = parse_k6_options(&format!(
            r#"{{"stages": [{{"duration": "1s", "target": 1}}], {sc}}}"#
        ))
        .unwrap_err();
        assert_eq!(e.path, "stages");
        let e = parse_k6_options(r#"{"duration": "0s"}"#).unwrap_err();
        assert_eq!(e.path, "duration");
        assert!(e.message.contains("more than 0"), "{e}");
        // A derived scenario is validated too: 500ms is under k6's 1s minimum.
        let e = parse_k6_options(r#"{"vus": 1, "duration": "500ms"}"#).unwrap_err();
        assert_eq!(e.path, "scenarios.default.duration");
        assert!(e.message.contains("`duration` shortcut"), "{e}");
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

    #[test]
    fn scenario_errors_have_full_paths() {
        let e = parse_k6_options(
            r#"{"scenarios": {"b": {"executor": "ramping-vus", "stages": [{"duration": "1s", "target": 1}, {"duration": "1s", "target": null}]}}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "scenarios.b.stages[1].target");
        let e = parse_k6_options(
            r#"{"scenarios": {"b": {"executor": "constant-vus", "durations": "1s"}}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "scenarios.b.durations");
        let e = parse_k6_options("{\"vus\": 1,").unwrap_err();
        assert_eq!(e.path, "");
        assert!(e.message.contains("not valid JSON"), "{e}");
        let e = parse_k6_options("[1]").unwrap_err();
        assert!(e.message.contains("object"), "{e}");
    }
}
