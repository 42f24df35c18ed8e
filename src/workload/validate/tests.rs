//! Unit tests of scenario validation (k6 defaults, limits and error paths) and of
//! `k6 inspect` options whose scenarios are validated.

use std::collections::BTreeMap;

use super::*;
use crate::error::FieldError;
use crate::spec::scenario::{ScenarioSpec, scenario_from_json};
use crate::time::NANOS_PER_SEC as S;
use crate::workload::executor::{Executor, Stage};

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
    let s = yaml("executor: constant-arrival-rate\nrate: 30\nduration: 1m\npreAllocatedVUs: 5\n")
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

// `k6 inspect` options: shortcut derivation and scenario errors, validated.

#[test]
fn shortcut_vus_duration_gives_constant_vus() {
    let o = parse_k6_options(
        r#"{"vus": 10, "duration": "30s", "iterations": null, "stages": null, "scenarios": null}"#,
    )
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
    let e = parse_k6_options(r#"{"duration": "5s", "stages": [{"duration": "1s", "target": 1}]}"#)
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
