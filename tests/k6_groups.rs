//! k6 groups (docs/k6-scripts.md, docs/thresholds.md): `group(name, fn)` records its path
//! (`::a::b`), requests and checks inside carry it as their `group` tag, each call's
//! `group_duration` is timed in simulated time, and thresholds filter by group.
//!
//! The oracle for `group_duration`: a group holding one request and `sleep(1)` lasts
//! exactly the request's response time plus 1 s in simulated time (nothing else happens
//! inside it), so the mean of `group_duration{group:::login}` must equal the mean of
//! `http_req_duration{group:::login}` plus 1000 ms in every replication. Both means are
//! exact sums of nanoseconds, so the tolerance is 1e-6 ms (float rounding only).

mod common;

use capsim::aggregate::summarize;
use capsim::model::experiment::FlowStep;
use capsim::model::load::{experiment_from_str, model_from_str};
use capsim::model::threshold::Family;
use capsim::replicate::run_replications;
use common::k6_project::{load, plan};
use std::path::{Path, PathBuf};

/// `GET /fast` answers in 5 ms, `GET /slow` in 200 ms (plenty of workers: no queueing);
/// `GET /mm1` is one worker with exponential 50 ms work, so its response times vary.
const MODEL: &str = r#"
name: groups
endpoints:
  "GET /fast": {service: api, operation: fast}
  "GET /slow": {service: api, operation: slow}
  "GET /mm1": {service: one, operation: exp}
services:
  api:
    replicas: 1
    workers: 64
    queue_capacity: 10000
    operations:
      fast:
        - work: {constant: 5ms}
      slow:
        - work: {constant: 200ms}
  one:
    replicas: 1
    workers: 1
    queue_capacity: 10000
    operations:
      exp:
        - work: {exponential: {mean: 50ms}}
"#;

fn project(test: &str, script: &str) -> PathBuf {
    common::k6_project::project("k6_groups", test, MODEL, script)
}

const NESTED: &str = r#"
import http from 'k6/http';
import { check, group, sleep } from 'k6';
export const options = {
  vus: 4, duration: '20s',
  thresholds: {
    'http_req_duration{group:::slow}': ['p(95)<100', 'min>150'],
    'http_req_duration{group:::fast}': ['p(95)<100'],
    'http_req_duration{group:::slow::inner}': ['max<100'],
    'http_req_duration{group:::slow,status:200}': ['min>150'],
    'http_req_duration{group:::fast,name:GET /fast}': ['max<100'],
    'http_reqs{group:::slow}': ['count>0'],
    "http_reqs{group:''}": ['count>0'],
    'checks{group:::fast}': ['rate>0.99'],
    'group_duration': ['max<2000'],
    'group_duration{group:::slow}': ['min>=200', 'avg<1000', 'med<1000', 'p(99)<1000'],
  },
};
export default function () {
  http.get('http://h/fast');
  group('fast', () => {
    const r = http.get('http://h/fast');
    check(r, { 'fast ok': (x) => x.status === 200 });
  });
  group('slow', function () {
    const r = http.get('http://h/slow');
    check(r, { 'slow ok': (x) => x.status === 200 });
    group('inner', () => { http.get('http://h/fast'); });
  });
  sleep(0.5);
}
"#;

#[test]
fn the_shim_records_nested_group_paths_and_markers() {
    let dir = project("nested_paths", NESTED);
    let exp = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let paths: Vec<&str> = exp.groups.iter().map(|g| g.path.as_str()).collect();
    assert_eq!(paths, ["", "::fast", "::slow", "::slow::inner"]);
    assert_eq!(exp.groups[3].parent, 2);
    assert_eq!(exp.groups[3].depth, 2);
    let flow = &exp.flows[0];
    let (start, end) = flow.traces[0];
    let name = |e: usize| exp.model.endpoints[e].name.as_str();
    let steps: Vec<String> = flow.steps[start as usize..end as usize]
        .iter()
        .map(|s| match *s {
            FlowStep::Request { endpoint, .. } => name(endpoint).to_string(),
            FlowStep::GroupEnter { group } => format!("enter {}", exp.groups[group as usize].path),
            FlowStep::GroupExit { group } => format!("exit {}", exp.groups[group as usize].path),
            FlowStep::Pause { nanos } => format!("sleep {nanos}"),
            FlowStep::Sleep { .. } => "sleep".into(),
            FlowStep::Batch { n, .. } => format!("batch of {n}"),
        })
        .collect();
    assert_eq!(
        steps,
        [
            "GET /fast",
            "enter ::fast",
            "GET /fast",
            "exit ::fast",
            "enter ::slow",
            "GET /slow",
            "enter ::slow::inner",
            "GET /fast",
            "exit ::slow::inner",
            "exit ::slow",
            "sleep 500000000",
        ]
    );
}

#[test]
fn group_filters_evaluate_their_own_requests() {
    let dir = project("filters", NESTED);
    let exp = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let results = run_replications(&exp, &plan(), &|_| {}).unwrap();
    let s = summarize(&exp, &results);
    let th = |metric: &str, expr: &str| {
        s.thresholds
            .iter()
            .find(|t| t.metric == metric && t.threshold == expr)
            .unwrap_or_else(|| panic!("no threshold {metric}: {expr}"))
    };
    // Held in every replication (true) or in none (false): the values are the same
    // every time here, so the verdict's statistics are not what is tested.
    let held = |metric: &str, expr: &str| {
        let t = th(metric, expr);
        assert!(
            t.passes == 0 || t.passes == t.replications,
            "{metric}: {expr}"
        );
        t.passes == t.replications
    };
    // Only the 200 ms request is in `::slow`: the nested fast request is in
    // `::slow::inner` (k6 tags a request with its innermost group).
    assert!(!held("http_req_duration{group:::slow}", "p(95)<100"));
    assert!(held("http_req_duration{group:::slow}", "min>150"));
    assert!(held("http_req_duration{group:::fast}", "p(95)<100"));
    assert!(held("http_req_duration{group:::slow::inner}", "max<100"));
    assert!(held(
        "http_req_duration{group:::slow,status:200}",
        "min>150"
    ));
    assert!(held(
        "http_req_duration{group:::fast,name:GET /fast}",
        "max<100"
    ));
    assert!(held("checks{group:::fast}", "rate>0.99"));
    // Each iteration makes one request in each of the root, ::fast, ::slow and
    // ::slow::inner: a quarter of the requests each.
    let all = s.metrics.http_reqs.count.mean;
    let slow = th("http_reqs{group:::slow}", "count>0").observed.mean;
    let root = th("http_reqs{group:''}", "count>0").observed.mean;
    assert!(
        slow > 0.0 && (slow * 4.0 - all).abs() < 1e-9,
        "{slow} of {all}"
    );
    assert!((root * 4.0 - all).abs() < 1e-9, "{root} of {all}");
    // `::slow` lasts its 200 ms request plus the 5 ms nested one (no queueing).
    assert!(held("group_duration{group:::slow}", "min>=200"));
    assert!(held("group_duration{group:::slow}", "p(99)<1000"));
    assert!(held("group_duration", "max<2000"));
    let g = s.groups.as_ref().expect("groups in the summary");
    let slow_gd = &g.by_group["::slow"];
    assert!(
        (slow_gd.avg.mean - 205.0).abs() < 1e-6,
        "{}",
        slow_gd.avg.mean
    );
    assert!((g.by_group["::fast"].avg.mean - 5.0).abs() < 1e-6);
    assert_eq!(g.calls["::slow"], g.calls["::slow::inner"]);
    // Checks sit in their groups, in the summary and in k6-summary.json.
    assert!(g.checks["::fast"]["fast ok"].passes > 0.0);
    assert!(g.checks["::slow"]["slow ok"].passes > 0.0);
    let k6 = serde_json::to_value(capsim::aggregate::k6_export::k6_summary_export(
        &s, &results,
    ))
    .unwrap();
    let root_group = &k6["root_group"];
    let inner = &root_group["groups"]["slow"]["groups"]["inner"];
    assert_eq!(inner["path"], "::slow::inner");
    assert_eq!(
        root_group["groups"]["fast"]["checks"]["fast ok"]["path"],
        "::fast::fast ok"
    );
    assert!(root_group["checks"].as_object().unwrap().is_empty());
    assert!(k6["metrics"]["group_duration"]["avg"].as_f64().is_some());
    assert!(k6["metrics"]["group_duration{group:::slow}"]["thresholds"]["min>=200"].is_boolean());
}

#[test]
fn group_duration_is_the_response_time_plus_the_sleep_inside() {
    let dir = project(
        "duration",
        r#"
import http from 'k6/http';
import { group, sleep } from 'k6';
export const options = {
  vus: 5, duration: '60s',
  thresholds: {
    'http_req_duration{group:::login}': ['avg<1000'],
    'group_duration{group:::login}': ['avg<2000'],
  },
};
export default function () {
  group('login', () => {
    http.get('http://h/mm1');
    sleep(1);
  });
}
"#,
    );
    let exp = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let sub = |family: Family| {
        exp.submetrics
            .iter()
            .position(|p| p.family == family && p.filter.group == Some(1))
            .unwrap()
    };
    let (req, grp) = (sub(Family::Http), sub(Family::Group));
    let results = run_replications(&exp, &plan(), &|_| {}).unwrap();
    for r in &results {
        let (q, g) = (&r.submetrics[req], &r.submetrics[grp]);
        assert!(q.count > 200, "{}", q.count);
        // gracefulStop (30 s) lets every iteration finish: one group per request.
        assert_eq!(q.count, g.count);
        let (q, g) = (q.latency.unwrap(), g.latency.unwrap());
        assert!(q.avg > 50.0, "the endpoint queues: {}", q.avg);
        assert!(
            (g.avg - (q.avg + 1000.0)).abs() < 1e-6,
            "group {} vs request {} + 1000",
            g.avg,
            q.avg
        );
        assert!((g.min - (q.min + 1000.0)).abs() < 1e-6);
        assert!((g.max - (q.max + 1000.0)).abs() < 1e-6);
    }
}

#[test]
fn group_filters_that_name_no_group_are_refused() {
    let script = |thresholds: &str| {
        format!(
            r#"
import http from 'k6/http';
import {{ group }} from 'k6';
export const options = {{ vus: 1, iterations: 1, thresholds: {{ {thresholds} }} }};
export default function () {{
  group('login', () => {{ group('form', () => {{ http.get('http://h/fast'); }}); }});
}}
"#
        )
    };
    for (i, (thresholds, says)) in [
        (
            "'http_req_duration{group:::logn}': ['avg<1']",
            "did you mean `::login`",
        ),
        (
            "'http_req_duration{group:login}': ['avg<1']",
            "write `{group:::login}`",
        ),
        (
            "'group_duration{group:::login::from}': ['avg<1']",
            "did you mean `::login::form`",
        ),
        (
            "'iterations{group:::login}': ['count>1']",
            "root group only",
        ),
        (
            "'iteration_duration{group:::login}': ['avg<1']",
            "root group only",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = project(&format!("refused_{i}"), &script(thresholds));
        let e = load(&dir).map(|_| ()).expect_err(thresholds).to_string();
        assert!(e.contains(says), "{thresholds}: {e}");
        assert!(e.contains("load.js"), "{e}");
    }
    // A custom metric filtered by a group the script lacks: refused with the groups.
    let dir = project(
        "refused_custom",
        r#"
import http from 'k6/http';
import { group } from 'k6';
import { Trend } from 'k6/metrics';
const rt = new Trend('rt');
export const options = { vus: 1, iterations: 1, thresholds: { 'rt{group:::logn}': ['avg<1'] } };
export default function () {
  group('login', () => { rt.add(http.get('http://h/fast').timings.duration); });
}
"#,
    );
    let e = load(&dir).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("did you mean `::login`"), "{e}");
    assert!(e.contains("load.js"), "{e}");
    // `{group:''}` and the groups the script has are accepted.
    let dir = project(
        "accepted",
        &script(
            "\"iterations{group:''}\": ['count>0'], 'group_duration{group:::login::form}': ['avg<10000']",
        ),
    );
    load(&dir).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_yaml_flow_has_only_the_root_group() {
    let model = model_from_str(MODEL, Path::new("m.yaml"), Path::new(".")).unwrap();
    let exp = |thresholds: &str| {
        let text = format!(
            "model: m.yaml\nreplications: 1\nflow:\n  - request: {{endpoint: \"GET /fast\"}}\nscenarios:\n  s: {{executor: constant-vus, vus: 1, duration: 1s}}\nthresholds:\n{thresholds}"
        );
        experiment_from_str(&text, Path::new("e.yaml"), model.clone(), None)
    };
    let e = exp("  \"http_req_duration{group:::login}\": [\"avg<1\"]\n")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("the flows have no groups"), "{e}");
    let e = exp("  group_duration: [\"avg<1\"]\n")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("call no `group()`"), "{e}");
    // `{group:''}` is every sample, so it needs no accumulator of its own.
    let ok = exp("  \"http_req_duration{group:''}\": [\"avg<1\"]\n").unwrap();
    assert!(ok.thresholds[0].filter.is_empty());
    assert_eq!(ok.groups.len(), 1);
}

/// k6 tags a custom metric's sample with the group its add() is called in. In `::b` the
/// constant `errors.add(0)` comes before `::b`'s request, so capsim replays it with the
/// request before it, which is in `::a`: its sample must still be tagged `::b`. Every
/// iteration adds 1 in `::a` and 0 in `::b`, so the rates are exactly 1, 0 and 0.5, and
/// the trend holds the 5 ms responses in `::a` and the 200 ms ones in `::b` (constant
/// service, no queueing): the tolerance is float rounding only.
#[test]
fn custom_metrics_filter_by_the_group_of_their_add() {
    let dir = project(
        "custom_by_group",
        r#"
import http from 'k6/http';
import { group } from 'k6';
import { Rate, Trend } from 'k6/metrics';
const errors = new Rate('errors');
const rt = new Trend('rt');
export const options = {
  vus: 2, duration: '10s',
  thresholds: {
    'errors{group:::a}': ['rate>0.99'],
    'errors{group:::b}': ['rate<0.01'],
    'errors': ['rate<0.6'],
    'rt{group:::a}': ['max<100'],
    'rt{group:::b}': ['min>150'],
  },
};
export default function () {
  group('a', () => { rt.add(http.get('http://h/fast').timings.duration); errors.add(1); });
  group('b', () => { errors.add(0); rt.add(http.get('http://h/slow').timings.duration); });
}
"#,
    );
    let exp = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let results = run_replications(&exp, &plan(), &|_| {}).unwrap();
    let s = summarize(&exp, &results);
    let th = |metric: &str, expr: &str| {
        s.thresholds
            .iter()
            .find(|t| t.metric == metric && t.threshold == expr)
            .unwrap_or_else(|| panic!("no threshold {metric}: {expr}"))
    };
    // Rates within 1e-9; trend values (nanoseconds shown in ms) within 1e-6.
    for (metric, expr, want, tolerance) in [
        ("errors{group:::a}", "rate>0.99", 1.0, 1e-9),
        ("errors{group:::b}", "rate<0.01", 0.0, 1e-9),
        ("errors", "rate<0.6", 0.5, 1e-9),
        ("rt{group:::a}", "max<100", 5.0, 1e-6),
        ("rt{group:::b}", "min>150", 200.0, 1e-6),
    ] {
        let t = th(metric, expr);
        assert!(
            (t.observed.mean - want).abs() < tolerance,
            "{metric}: {} want {want}",
            t.observed.mean
        );
        assert_eq!(t.passes, t.replications, "{metric}: {expr}");
    }
}
