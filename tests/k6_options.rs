//! `k6 inspect` JSON: the reference example (section 4.1) and the shortcut derivation (4.2).

use capsim::spec::k6_options::ThresholdSpec;
use capsim::time::{NANOS_PER_SEC as S, parse_duration};
use capsim::workload::executor::{Executor, Stage, plan_max_vus, plan_total_duration};
use capsim::workload::validate::parse_k6_options;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn reference_example_with_externally_controlled_is_rejected() {
    // The full reference output has an `externally-controlled` scenario: parsing fails as a
    // whole, naming that scenario's executor field.
    let e = parse_k6_options(&fixture("k6-inspect.json")).unwrap_err();
    assert_eq!(e.path, "scenarios.ext.executor");
    assert!(
        e.message
            .contains("cannot simulate the externally-controlled"),
        "{e}"
    );
    assert!(e.message.contains("k6 2.x removed"), "{e}");
}

#[test]
fn reference_example_without_ext_parses_every_scenario() {
    let o = parse_k6_options(&fixture("k6-inspect-no-ext.json")).unwrap();
    assert_eq!(o.rps, Some(50.0));
    assert!(o.warnings.is_empty());
    let names: Vec<&str> = o.scenarios.keys().map(String::as_str).collect();
    assert_eq!(names, ["car", "pervu", "ramp", "rar", "shared", "steady"]);
    let steady_spec = &o.scenarios["steady"];
    assert_eq!(steady_spec.env.as_ref().unwrap()["A"], "b");
    assert_eq!(steady_spec.tags.as_ref().unwrap()["t"], "x");

    let s = o.validated_scenarios().unwrap();
    let by_name = |n: &str| s.iter().find(|x| x.name == n).unwrap();

    let car = by_name("car");
    assert_eq!(
        car.executor,
        Executor::ConstantArrivalRate {
            rate: 30,
            time_unit: S,
            duration: 60 * S,
            pre_allocated_vus: 5,
            max_vus: 20
        }
    );
    assert_eq!((car.start_time, car.graceful_stop), (0, 30 * S));

    let pervu = by_name("pervu");
    assert_eq!(
        pervu.executor,
        Executor::PerVuIterations {
            vus: 2,
            iterations: 3,
            max_duration: 600 * S
        }
    );
    assert_eq!(pervu.start_time, 5 * S);
    assert_eq!(pervu.total_end(), parse_duration("10m35s").unwrap());

    assert_eq!(
        by_name("ramp").executor,
        Executor::RampingVus {
            start_vus: 0,
            stages: vec![
                Stage {
                    duration: 30 * S,
                    target: 10
                },
                Stage {
                    duration: 10 * S,
                    target: 0
                }
            ],
            graceful_ramp_down: 5 * S
        }
    );
    assert_eq!(
        by_name("rar").executor,
        Executor::RampingArrivalRate {
            start_rate: 10,
            time_unit: 60 * S,
            stages: vec![
                Stage {
                    duration: 60 * S,
                    target: 60
                },
                Stage {
                    duration: 30 * S,
                    target: 0
                }
            ],
            pre_allocated_vus: 2,
            max_vus: 2 // "maxVUs": null means preAllocatedVUs
        }
    );
    assert_eq!(
        by_name("shared").executor,
        Executor::SharedIterations {
            vus: 2,
            iterations: 10,
            max_duration: 30 * S
        }
    );
    let steady = by_name("steady");
    assert_eq!(
        steady.executor,
        Executor::ConstantVus {
            vus: 5,
            duration: 60 * S
        }
    );
    assert_eq!(steady.graceful_stop, 10 * S);
    assert_eq!(steady.exec, "default");

    // k6 inspect --execution-requirements said totalDuration 10m35s and maxVUs 46 with the
    // ext scenario (5 maxVUs, ending at 2m); without it the plan needs 41.
    assert_eq!(plan_total_duration(&s), parse_duration("10m35s").unwrap());
    assert_eq!(plan_max_vus(&s), 41);
}

#[test]
fn reference_thresholds_unescape_and_mix_forms() {
    let o = parse_k6_options(&fixture("k6-inspect-no-ext.json")).unwrap();
    let keys: Vec<&str> = o.thresholds.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "http_req_duration",
            "http_req_duration{scenario:steady}",
            "http_req_failed"
        ]
    );
    assert_eq!(
        o.thresholds["http_req_duration"],
        vec![
            ThresholdSpec {
                expression: "p(95)<500".into(),
                abort_on_fail: false,
                delay_abort_eval: None
            },
            ThresholdSpec {
                expression: "p(99)<1000".into(),
                abort_on_fail: true,
                delay_abort_eval: Some(10 * S)
            }
        ]
    );
    assert_eq!(o.thresholds["http_req_failed"][0].expression, "rate<0.01");
    assert_eq!(
        o.thresholds["http_req_duration{scenario:steady}"][0].expression,
        "avg<200"
    );
}

#[test]
fn execution_requirements_keys_and_unknown_top_level_keys_are_ignored() {
    let o = parse_k6_options(
        r#"{"vus": 10, "duration": "30s", "totalDuration": "1m0s", "maxVUs": 10,
            "someFutureOption": {"x": [1, 2]}, "dns": {"ttl": null}}"#,
    )
    .unwrap();
    let s = o.validated_scenarios().unwrap();
    assert_eq!(s[0].name, "default");
    assert_eq!(
        s[0].executor,
        Executor::ConstantVus {
            vus: 10,
            duration: 30 * S
        }
    );
    assert_eq!(plan_total_duration(&s), 60 * S);
    assert_eq!(plan_max_vus(&s), 10);
}

#[test]
fn derived_stages_scenario_matches_k6_inspect() {
    // k6: {stages:[…]} -> "default": {"executor":"ramping-vus", "startVUs": null, …}
    let o = parse_k6_options(
        r#"{"vus": null, "duration": null, "iterations": null,
            "stages": [{"duration": "1m0s", "target": 20}], "scenarios": null}"#,
    )
    .unwrap();
    let spec = &o.scenarios["default"];
    assert_eq!(spec.executor.as_deref(), Some("ramping-vus"));
    assert_eq!(spec.start_vus, None);
    let s = o.validated_scenarios().unwrap();
    assert_eq!(
        s[0].executor,
        Executor::RampingVus {
            start_vus: 1,
            stages: vec![Stage {
                duration: 60 * S,
                target: 20
            }],
            graceful_ramp_down: 30 * S
        }
    );
}

#[test]
fn scenario_fields_are_strict_in_inspect_json() {
    let e = parse_k6_options(
        r#"{"scenarios": {"a": {"executor": "constant-vus", "vus": 2, "duration": "1m0s",
            "iterations": 5}}}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "scenarios.a.iterations");
    assert!(e.message.contains("its fields are vus, duration"), "{e}");
    let e = parse_k6_options(
        r#"{"scenarios": {"bad name": {"executor": "constant-vus", "duration": "1s"}}}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "scenarios.bad name");
}
