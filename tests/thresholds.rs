//! Every k6 threshold form on a hand-computable model: endpoint `GET /a` always answers 200
//! after 10 ms; `POST /b` works 20 ms and then calls a provider that always fails (5 ms), so
//! it always answers 502 after 25 ms. No balancer latency and no randomness, so every
//! duration, count and rate below is exact: the tolerance on durations (0.1%) is the
//! latency histogram's three significant digits, counts and rates are compared exactly.
//!
//! Scenarios (gracefulStop 30s, so every started iteration completes):
//! - `steady`: constant-vus, 2 VUs for 10 s, default flow A, B, sleep 1 s: iterations
//!   of 1035 ms start at 0, 1.035, ..., 9.315 s: 10 per VU, 20 in all, 40 requests.
//! - `burst`: per-vu-iterations, 1 VU x 3 iterations of flow `other` (A, sleep 500 ms):
//!   3 iterations of 510 ms, 3 requests.
//! - `open`: constant-arrival-rate 4/s for 2 s, 1 VU at most, flow `other`: ticks at 0,
//!   0.25, ..., 1.75 and the boundary tick at 2 s (k6 starts it); the VU is busy 510 ms per
//!   iteration, so it starts at 0, 0.75, 1.5 and the other 6 ticks are dropped.

use capsim::engine::{Budget, ReplicationResult, run_replication};
use capsim::model::experiment::Experiment;
use capsim::model::load::{experiment_from_str, model_from_str};
use std::path::Path;

const MODEL: &str = r#"
name: tags
endpoints:
  "GET /a": {service: web, operation: ok}
  "POST /b": {service: web, operation: broken}
services:
  web:
    replicas: 1
    workers: 100
    queue_capacity: 1000
    operations:
      ok:
        - work: {constant: 10ms}
      broken:
        - work: {constant: 20ms}
        - external: {provider: down}
providers:
  down:
    latency: {constant: 5ms}
    failure_probability: 1.0
"#;

const FLOWS: &str = r#"
model: m.yaml
replications: 1
flow:
  - request: {endpoint: "GET /a", checks: {a ok: status_ok}}
  - request: {endpoint: "POST /b", checks: {b ok: status_ok}}
  - sleep: 1s
flows:
  other:
    - request: {endpoint: "GET /a", checks: {a ok: status_ok}}
    - sleep: 500ms
"#;

const SCENARIOS: &str = r#"
scenarios:
  steady: {executor: constant-vus, vus: 2, duration: 10s}
  burst: {executor: per-vu-iterations, vus: 1, iterations: 3, exec: other}
  open: {executor: constant-arrival-rate, rate: 4, timeUnit: 1s, duration: 2s, preAllocatedVUs: 1, maxVUs: 1, exec: other}
"#;

fn model() -> capsim::model::Model {
    model_from_str(MODEL, Path::new("m.yaml"), Path::new(".")).expect("model builds")
}

fn experiment(thresholds: &str) -> Result<Experiment, String> {
    let text = format!("{FLOWS}{SCENARIOS}thresholds:\n{thresholds}");
    experiment_from_str(&text, Path::new("e.yaml"), model(), None).map_err(|e| e.to_string())
}

fn run(exp: &Experiment) -> ReplicationResult {
    run_replication(exp, 0, Budget::default()).expect("replication runs")
}

/// The observed value of every threshold of `exp` in one replication, by key.
fn observed(thresholds: &str) -> Vec<(String, f64)> {
    let exp = experiment(thresholds).unwrap_or_else(|e| panic!("{e}"));
    let r = run(&exp);
    exp.thresholds
        .iter()
        .map(|t| {
            (
                t.key.clone(),
                capsim::aggregate::observe::observe(t, &r, &exp.percentiles),
            )
        })
        .collect()
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-3 * want.abs().max(1e-9)
}

fn check(thresholds: &str, want: &[(&str, f64)]) {
    let got = observed(thresholds);
    for (key, value) in want {
        let g = got
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("no threshold {key}"))
            .1;
        let ok = if value.is_nan() {
            g.is_nan()
        } else {
            close(g, *value)
        };
        assert!(ok, "{key}: got {g}, want {value}");
    }
}

#[test]
fn request_tags_alone() {
    check(
        r#"
  "http_req_failed{name:POST /b}": ["rate<0.5"]
  "http_req_failed{name:GET /a}": ["rate<0.5"]
  "http_req_duration{status:200}": ["max<100"]
  "http_req_duration{status:502}": ["min<100"]
  "http_req_duration{expected_response:true}": ["avg<100"]
  "http_req_duration{expected_response:false}": ["avg<100"]
  "http_req_duration{method:POST}": ["p(95)<100"]
  "http_req_duration{url:https://api.test/a}": ["med<100"]
  "http_reqs{name:GET /a}": ["count>0"]
  "http_reqs{scenario:burst}": ["count>0"]
  "http_reqs{group:''}": ["count>0"]
"#,
        &[
            ("http_req_failed{name:POST /b}", 1.0),
            ("http_req_failed{name:GET /a}", 0.0),
            // Only A answers 200 (10 ms), only B answers 502 (25 ms).
            ("http_req_duration{status:200}", 10.0),
            ("http_req_duration{status:502}", 25.0),
            ("http_req_duration{expected_response:true}", 10.0),
            ("http_req_duration{expected_response:false}", 25.0),
            ("http_req_duration{method:POST}", 25.0),
            ("http_req_duration{url:https://api.test/a}", 10.0),
            // A: 20 (steady) + 3 (burst) + 3 (open).
            ("http_reqs{name:GET /a}", 26.0),
            ("http_reqs{scenario:burst}", 3.0),
            // Every request is in the root group: 40 + 3 + 3.
            ("http_reqs{group:''}", 46.0),
        ],
    );
}

#[test]
fn request_tags_combined() {
    check(
        r#"
  "http_reqs{name:GET /a,status:200}": ["count>0"]
  "http_reqs{ method : GET , scenario : 'steady' }": ["count>0"]
  "http_req_duration{name:GET /a,status:502}": ["avg<1"]
  "http_req_failed{scenario:steady,expected_response:false}": ["rate<1"]
  "http_req_duration{scenario:open,name:GET /a}": ["avg<100"]
"#,
        &[
            ("http_reqs{name:GET /a,status:200}", 26.0),
            ("http_reqs{ method : GET , scenario : 'steady' }", 20.0),
            // A never answers 502: no sample, so the value is undefined (and fails).
            ("http_req_duration{name:GET /a,status:502}", f64::NAN),
            (
                "http_req_failed{scenario:steady,expected_response:false}",
                1.0,
            ),
            ("http_req_duration{scenario:open,name:GET /a}", 10.0),
        ],
    );
}

#[test]
fn iteration_check_and_timing_metrics() {
    check(
        r#"
  iteration_duration: ["max<2000"]
  "iteration_duration{scenario:steady}": ["avg<2000"]
  "iteration_duration{scenario:burst}": ["avg<2000"]
  "iterations{scenario:steady}": ["count>0"]
  iterations: ["count>0"]
  "dropped_iterations{scenario:open}": ["count<1"]
  dropped_iterations: ["count<1"]
  checks: ["rate>0.9"]
  "checks{check:b ok}": ["rate>0.9"]
  "checks{check:a ok}": ["rate>0.9"]
  "checks{scenario:burst}": ["rate>0.9"]
  "checks{scenario:steady}": ["rate>0.9"]
  "checks{check:a ok,scenario:open}": ["rate>0.9"]
  http_req_waiting: ["avg<100"]
  "http_req_waiting{name:POST /b}": ["avg<100"]
  http_req_sending: ["p(99)<1"]
  http_req_receiving: ["max<1"]
  http_req_blocked: ["avg<1"]
  http_req_connecting: ["avg<1"]
  "http_req_tls_handshaking{scenario:burst}": ["avg<1"]
"#,
        &[
            ("iteration_duration", 1035.0),
            ("iteration_duration{scenario:steady}", 1035.0),
            ("iteration_duration{scenario:burst}", 510.0),
            ("iterations{scenario:steady}", 20.0),
            // 20 + 3 + 3 (the open scenario started 3 of its 9 ticks).
            ("iterations", 26.0),
            ("dropped_iterations{scenario:open}", 6.0),
            ("dropped_iterations", 6.0),
            // a ok passes 26 times, b ok fails 20 times.
            ("checks", 26.0 / 46.0),
            ("checks{check:b ok}", 0.0),
            ("checks{check:a ok}", 1.0),
            ("checks{scenario:burst}", 1.0),
            ("checks{scenario:steady}", 0.5),
            ("checks{check:a ok,scenario:open}", 1.0),
            // Waiting is the whole duration: the mean of 26 x 10 ms and 20 x 25 ms.
            ("http_req_waiting", (26.0 * 10.0 + 20.0 * 25.0) / 46.0),
            ("http_req_waiting{name:POST /b}", 25.0),
            ("http_req_sending", 0.0),
            ("http_req_receiving", 0.0),
            ("http_req_blocked", 0.0),
            ("http_req_connecting", 0.0),
            ("http_req_tls_handshaking{scenario:burst}", 0.0),
        ],
    );
}

#[test]
fn rates_per_second_use_the_test_duration() {
    let exp = experiment("  \"http_reqs{name:POST /b}\": [\"rate>0\"]\n").unwrap();
    let r = run(&exp);
    let v = capsim::aggregate::observe::observe(&exp.thresholds[0], &r, &exp.percentiles);
    assert_eq!(v, 20.0 / (r.duration as f64 / 1e9));
}

fn refused(thresholds: &str) -> String {
    experiment(thresholds).expect_err("should be refused")
}

#[test]
fn refusals_say_why() {
    for (threshold, says) in [
        ("data_sent: [\"count<1\"]", "no request or response sizes"),
        (
            "data_received: [\"rate<1\"]",
            "no request or response sizes",
        ),
        ("group_duration: [\"avg<1\"]", "no groups"),
        ("ws_session_duration: [\"avg<1\"]", "WebSocket"),
        ("grpc_req_duration: [\"avg<1\"]", "gRPC"),
        ("browser_web_vital_lcp: [\"p(75)<1\"]", "browser"),
        ("my_trend: [\"avg<1\"]", "custom metric needs a flow"),
        (
            "iteration_durations: [\"avg<1\"]",
            "did you mean `iteration_duration`",
        ),
        (
            "\"http_req_duration{group:::login}\": [\"avg<1\"]",
            "the flows have no groups",
        ),
        (
            "\"http_req_duration{status:201}\": [\"avg<1\"]",
            "200 (success)",
        ),
        (
            "\"http_req_duration{status:ok}\": [\"avg<1\"]",
            "a status is a number",
        ),
        (
            "\"http_req_duration{expected_response:yes}\": [\"avg<1\"]",
            "`true` or `false`",
        ),
        (
            "\"http_req_duration{scenario:ramp}\": [\"avg<1\"]",
            "unknown scenario `ramp` (known: burst, open, steady)",
        ),
        (
            "\"http_req_duration{name:GET /c}\": [\"avg<1\"]",
            "unknown endpoint `GET /c`",
        ),
        (
            "\"http_req_duration{method:DELETE}\": [\"avg<1\"]",
            "no endpoint of the model has method `DELETE`",
        ),
        (
            "\"http_req_duration{url:https://x.test/z}\": [\"avg<1\"]",
            "has url path `/z`",
        ),
        (
            "\"http_req_duration{name:GET /a,method:POST}\": [\"avg<1\"]",
            "no endpoint matches every request tag",
        ),
        (
            "\"checks{check:c ok}\": [\"rate>0\"]",
            "unknown check `c ok`",
        ),
        (
            "\"checks{status:200}\": [\"rate>0\"]",
            "k6 does not tag `checks` samples with `status`",
        ),
        (
            "\"iterations{name:GET /a}\": [\"count>0\"]",
            "they carry scenario, group",
        ),
        ("\"vus{scenario:steady}\": [\"value>0\"]", "no tags"),
        (
            "\"http_req_duration{proto:HTTP/2.0}\": [\"avg<1\"]",
            "HTTP protocol versions",
        ),
        (
            "\"http_req_duration{flavour:x}\": [\"avg<1\"]",
            "unknown tag `flavour`",
        ),
        ("\"http_req_duration{status}\": [\"avg<1\"]", "is malformed"),
        (
            "\"http_req_duration{status:200\": [\"avg<1\"]",
            "unmatched curly brace",
        ),
        (
            "\"http_req_sending\": [\"rate<1\"]",
            "allows avg, min, med, max, p(N)",
        ),
    ] {
        let e = refused(&format!("  {threshold}\n"));
        assert!(e.contains(says), "{threshold}: {e}");
        assert!(e.starts_with("e.yaml: thresholds."), "{threshold}: {e}");
    }
}

/// The same thresholds from a `k6 inspect` JSON: the same parsed thresholds and values.
#[test]
fn k6_inspect_json_reads_every_form_as_yaml_does() {
    let json = r#"{
      "scenarios": {
        "steady": {"executor": "constant-vus", "vus": 2, "duration": "10s"},
        "burst": {"executor": "per-vu-iterations", "vus": 1, "iterations": 3, "exec": "other"},
        "open": {"executor": "constant-arrival-rate", "rate": 4, "timeUnit": "1s", "duration": "2s",
                 "preAllocatedVUs": 1, "maxVUs": 1, "exec": "other"}
      },
      "thresholds": {
        "http_req_duration{name:GET /a,status:200}": ["p(95)<100"],
        "http_req_failed{scenario:steady}": [{"threshold": "rate<0.6", "abortOnFail": false}],
        "checks{check:b ok}": ["rate>0.9"],
        "iteration_duration{scenario:burst}": ["avg<2000"],
        "dropped_iterations{scenario:open}": ["count<10"]
      }
    }"#;
    let yaml_thresholds = r#"
  "http_req_duration{name:GET /a,status:200}": ["p(95)<100"]
  "http_req_failed{scenario:steady}": ["rate<0.6"]
  "checks{check:b ok}": ["rate>0.9"]
  "iteration_duration{scenario:burst}": ["avg<2000"]
  "dropped_iterations{scenario:open}": ["count<10"]
"#;
    let from_yaml = experiment(yaml_thresholds).unwrap();
    let text = format!("{FLOWS}k6_options: inspect.json\n");
    let from_json = experiment_from_str(&text, Path::new("e.yaml"), model(), Some(json)).unwrap();
    let key = |e: &Experiment| {
        let mut v: Vec<String> = e
            .thresholds
            .iter()
            .map(|t| format!("{} {} {:?}", t.key, t.expression, t.filter))
            .collect();
        v.sort();
        v
    };
    assert_eq!(key(&from_yaml), key(&from_json));
    let (ry, rj) = (run(&from_yaml), run(&from_json));
    for ty in &from_yaml.thresholds {
        let tj = from_json
            .thresholds
            .iter()
            .find(|t| t.key == ty.key)
            .unwrap();
        let vy = capsim::aggregate::observe::observe(ty, &ry, &from_yaml.percentiles);
        let vj = capsim::aggregate::observe::observe(tj, &rj, &from_json.percentiles);
        assert_eq!(vy, vj, "{}", ty.key);
    }
}

#[test]
fn an_error_in_a_k6_inspect_file_names_that_file() {
    let text = format!("{FLOWS}k6_options: inspect.json\n");
    for (json, says) in [
        (
            r#"{"vus": 1, "duration": "5s", "thresholds": {"http_req_duration{status:201}": ["p(95)<1"]}}"#,
            "inspect.json: thresholds.http_req_duration{status:201}[0]: ",
        ),
        (
            r#"{"vus": 1, "duration": "5s", "thresholds": {"data_sent": ["count<1"]}}"#,
            "inspect.json: thresholds.data_sent[0]: `data_sent` is not predicted",
        ),
        (
            r#"{"vus": 1, "duration": "5s", "thresholds": {"checks": [{"threshold": "rate>0", "abortOnFail": "yes"}]}}"#,
            "inspect.json: thresholds.checks[0]",
        ),
    ] {
        let e = experiment_from_str(&text, Path::new("e.yaml"), model(), Some(json))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(says), "{e}");
        assert!(!e.contains("e.yaml"), "{e}");
    }
}

/// k6 evaluates thresholds every 2 s; an `abortOnFail` one that fails stops the test at
/// that evaluation, once `delayAbortEval` has passed (strictly).
#[test]
fn abort_on_fail_stops_the_replication_when_k6_would() {
    const S: u64 = 1_000_000_000;
    let at = |thresholds: &str| {
        let exp = experiment(thresholds).unwrap_or_else(|e| panic!("{e}"));
        let r = run(&exp);
        let summary = capsim::aggregate::summarize(&exp, std::slice::from_ref(&r));
        (r, summary)
    };
    // Half the requests fail from the first second on: the first evaluation (2 s) aborts.
    let (r, s) = at("  http_req_failed: [{threshold: \"rate<0.1\", abortOnFail: true}]\n");
    assert_eq!(r.aborted_at, Some(2 * S));
    assert_eq!(r.duration, 2 * S);
    let a = s.thresholds[0].aborted.as_ref().expect("abort summary");
    assert_eq!((a.replications, a.first_s), (1, Some(2.0)));
    // Not before delayAbortEval: 4 s is not past 4 s, so the 6 s evaluation aborts.
    let (r, _) = at(
        "  http_req_failed: [{threshold: \"rate<0.1\", abortOnFail: true, delayAbortEval: 4s}]\n",
    );
    assert_eq!(r.aborted_at, Some(6 * S));
    // A sub-metric: B fails from its first request.
    let (r, _) =
        at("  \"http_req_failed{name:POST /b}\": [{threshold: \"rate<0.5\", abortOnFail: true}]\n");
    assert_eq!(r.aborted_at, Some(2 * S));
    // A threshold that holds never aborts; nor does one without abortOnFail.
    let (r, s) = at(
        "  \"http_req_failed{name:GET /a}\": [{threshold: \"rate<0.5\", abortOnFail: true}]\n  http_req_failed: [\"rate<0.1\"]\n",
    );
    assert_eq!(r.aborted_at, None);
    assert!(r.duration > 10 * S);
    // (Thresholds are in key order: the unfiltered one first.)
    assert!(s.thresholds[0].aborted.is_none());
    let a = s.thresholds[1].aborted.as_ref().expect("abort summary");
    assert_eq!((a.replications, a.first_s), (0, None));
}

/// Iterations started by the engine at k6's boundary: constant-arrival-rate 20/s for 3 s
/// starts 61 (0, 50 ms, ..., 3 s: k6's reference run saw 25 completed + 36 dropped = 61);
/// ramping-arrival-rate at a constant 10/s for 2 s has ticks at 0.1, ..., 2 s: 20.
#[test]
fn arrival_rate_iterations_at_the_end_of_the_duration_start() {
    for (scenario, want) in [
        (
            "{executor: constant-arrival-rate, rate: 20, timeUnit: 1s, duration: 3s, preAllocatedVUs: 50}",
            61,
        ),
        (
            "{executor: ramping-arrival-rate, startRate: 10, timeUnit: 1s, preAllocatedVUs: 50, stages: [{duration: 2s, target: 10}]}",
            20,
        ),
        // With 2 VUs busy 1035 ms each, most ticks are dropped; every tick is counted.
        (
            "{executor: constant-arrival-rate, rate: 20, timeUnit: 1s, duration: 3s, preAllocatedVUs: 2, maxVUs: 2}",
            61,
        ),
        // gracefulStop 0: k6's iteration context is done at the boundary, so the last
        // tick starts nothing (and is not a dropped iteration either).
        (
            "{executor: constant-arrival-rate, rate: 20, timeUnit: 1s, duration: 3s, preAllocatedVUs: 50, gracefulStop: 0s}",
            60,
        ),
    ] {
        let text = format!("{FLOWS}scenarios:\n  only: {scenario}\n");
        let exp = experiment_from_str(&text, Path::new("e.yaml"), model(), None).unwrap();
        let r = run(&exp);
        // Every tick is a completed, interrupted (gracefulStop 0) or dropped iteration.
        assert_eq!(
            r.iterations + r.interrupted_iterations + r.dropped_iterations,
            want,
            "{scenario}: {} completed, {} interrupted, {} dropped",
            r.iterations,
            r.interrupted_iterations,
            r.dropped_iterations
        );
        if !scenario.contains("gracefulStop") {
            assert_eq!(r.interrupted_iterations, 0, "{scenario}");
        }
    }
}
