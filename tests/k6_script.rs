//! k6 scripts read as written (docs/k6-scripts.md): the shims of k6's modules, the URL
//! mapping, checks, options and `k6 run`'s flags, refusals with file:line:column, the
//! sampled think times, determinism, and the plan's script against baseline.yaml.

use capsim::aggregate::summarize;
use capsim::engine::Budget;
use capsim::error::LoadError;
use capsim::model::experiment::{CheckCondition, Experiment, FlowStep};
use capsim::model::load::load_experiment_with;
use capsim::replicate::{RunPlan, run_replications};
use capsim::spec::k6_script::ScriptFlags;
use capsim::spec::overrides::Overrides;
use std::path::{Path, PathBuf};

const MODEL: &str = r#"
name: items
endpoints:
  "GET /api/items": {service: api, operation: list}
  "POST /api/items": {service: api, operation: list}
  "GET /api/items/{id}": {service: api, operation: list}
  "PUT /api/items/{id}": {service: api, operation: list}
  "PATCH /api/items/{id}": {service: api, operation: list}
  "DELETE /api/items/{id}": {service: api, operation: list}
  "HEAD /api/items": {service: api, operation: list}
  "OPTIONS /api/items": {service: api, operation: list}
  "login": {service: api, operation: list}
services:
  api:
    replicas: 1
    workers: 64
    queue_capacity: 10000
    operations:
      list:
        - work: {constant: 5ms}
"#;

/// A fresh folder holding `model.yaml` and `files` (no `.git`: the folder is the root).
fn project(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("k6_script")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.yaml"), MODEL).unwrap();
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn flags(dir: &Path) -> ScriptFlags {
    ScriptFlags {
        model: Some(dir.join("model.yaml")),
        samples: Some(50),
        ..ScriptFlags::default()
    }
}

fn load_with(dir: &Path, script: &str, flags: ScriptFlags) -> Result<Experiment, LoadError> {
    let overrides = Overrides {
        script: flags,
        ..Overrides::default()
    };
    load_experiment_with(&dir.join(script), &overrides)
}

fn load(dir: &Path) -> Experiment {
    load_with(dir, "load.js", flags(dir)).unwrap_or_else(|e| panic!("{e}"))
}

fn err(dir: &Path, flags: ScriptFlags) -> String {
    match load_with(dir, "load.js", flags) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

/// The endpoint names of the first trace of flow `f`, in order (sleeps as `sleep`; group
/// markers left out: tests/k6_groups.rs covers them).
fn first_trace(exp: &Experiment, f: &str) -> Vec<String> {
    let flow = exp.flows.iter().find(|x| x.name == f).expect("flow");
    let (a, b) = flow.traces[0];
    flow.steps[a as usize..b as usize]
        .iter()
        .filter_map(|s| match s {
            FlowStep::Request { endpoint, .. } => Some(exp.model.endpoints[*endpoint].name.clone()),
            FlowStep::Batch { n, .. } => Some(format!("batch of {n}")),
            FlowStep::GroupEnter { .. } | FlowStep::GroupExit { .. } => None,
            _ => Some("sleep".into()),
        })
        .collect()
}

#[test]
fn every_http_shim_maps_to_its_endpoint() {
    let dir = project(
        "shims",
        &[(
            "load.js",
            r#"
import http from 'k6/http';
import { get, del } from 'k6/http';
import { sleep, group } from 'k6';
const BASE = 'https://shop.example.com';
export default function () {
  group('crud', () => {
    http.get(`${BASE}/api/items?page=2`);
    http.post(`${BASE}/api/items`, JSON.stringify({ a: 1 }));
    http.put(`${BASE}/api/items/7`, '{}');
    http.patch(`${BASE}/api/items/7`, '{}');
    del(`${BASE}/api/items/7`);
    http.head(`${BASE}/api/items`);
    http.options(`${BASE}/api/items`);
    http.request('GET', `${BASE}/api/items/9`);
    http.batch([['GET', `${BASE}/api/items`], { method: 'POST', url: `${BASE}/api/items` }]);
    http.get(http.url`${BASE}/api/items/${__ITER}`);
    get(`${BASE}/whatever`, { tags: { name: 'login' } });
  });
  sleep(0.5);
}
"#,
        )],
    );
    let exp = load(&dir);
    assert_eq!(
        first_trace(&exp, "default"),
        [
            "GET /api/items",
            "POST /api/items",
            "PUT /api/items/{id}",
            "PATCH /api/items/{id}",
            "DELETE /api/items/{id}",
            "HEAD /api/items",
            "OPTIONS /api/items",
            "GET /api/items/{id}",
            "batch of 2",
            "GET /api/items",
            "POST /api/items",
            "GET /api/items/{id}",
            "login",
            "sleep",
        ]
    );
    // The batch is predicted as sent in parallel: no note about it any more.
    assert!(
        !exp.notes.iter().any(|n| n.contains("http.batch()")),
        "{:?}",
        exp.notes
    );
}

#[test]
fn an_unmapped_request_names_the_url_and_the_endpoints_and_a_mapping_fixes_it() {
    let script = "import http from 'k6/http';\nexport default function () {\n  http.get('https://x.io/api/carts/1');\n}\n";
    let dir = project("unmapped", &[("load.js", script)]);
    let e = err(&dir, flags(&dir));
    assert!(
        e.contains("GET https://x.io/api/carts/1")
            && e.contains("load.js:3:")
            && e.contains("`GET /api/items`")
            && e.contains("k6_endpoints: {"),
        "{e}"
    );
    // An experiment maps it explicitly.
    let dir = project(
        "mapped",
        &[
            ("load.js", script),
            (
                "exp.yaml",
                "model: model.yaml\nk6_script: load.js\nsamples: 10\nk6_endpoints:\n  \"GET /api/carts/1\": \"GET /api/items/{id}\"\n",
            ),
        ],
    );
    let exp = load_experiment_with(&dir.join("exp.yaml"), &Overrides::default()).unwrap();
    assert_eq!(first_trace(&exp, "default"), ["GET /api/items/{id}"]);
}

#[test]
fn sleep_of_math_random_is_uniform_1_3() {
    let dir = project(
        "uniform",
        &[(
            "load.js",
            "import http from 'k6/http';\nimport { sleep } from 'k6';\nexport default function () {\n  http.get('http://h/api/items');\n  sleep(Math.random() * 2 + 1);\n}\n",
        )],
    );
    let n = 4000;
    let exp = load_with(
        &dir,
        "load.js",
        ScriptFlags {
            samples: Some(n),
            ..flags(&dir)
        },
    )
    .unwrap();
    let mut x: Vec<f64> = exp.flows[0]
        .steps
        .iter()
        .filter_map(|s| match s {
            FlowStep::Pause { nanos } => Some(*nanos as f64 / 1e9),
            _ => None,
        })
        .collect();
    assert_eq!(x.len(), n as usize);
    x.sort_by(f64::total_cmp);
    // Kolmogorov-Smirnov against U(1, 3): the critical value at alpha = 0.001 is
    // 1.95/sqrt(n) = 0.031 for n = 4000; a fixed seed makes it deterministic.
    let d = x
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let f = ((v - 1.0) / 2.0).clamp(0.0, 1.0);
            (f - i as f64 / n as f64)
                .abs()
                .max(((i + 1) as f64 / n as f64 - f).abs())
        })
        .fold(0.0, f64::max);
    assert!(d < 1.95 / (n as f64).sqrt(), "KS distance {d}");
    assert!(x[0] >= 1.0 && x[x.len() - 1] <= 3.0);
    // Moments: mean 2 (sd of the mean 0.577/sqrt(4000) = 0.009; 5 sd), variance 1/3.
    let mean = x.iter().sum::<f64>() / n as f64;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    assert!((mean - 2.0).abs() < 0.046, "mean {mean}");
    assert!((var - 1.0 / 3.0).abs() < 0.03, "variance {var}");
}

#[test]
fn checks_with_visible_meaning_are_predicted_and_others_named() {
    let dir = project(
        "checks",
        &[(
            "load.js",
            r#"
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const r = http.get('http://h/api/items');
  check(r, {
    'is 200': (r) => r.status === 200,
    'is 200 or 202': (r) => r.status === 200 || r.status === 202,
    'not an error': (r) => r.status >= 200 && r.status < 400,
    'fast': (r) => r.timings.duration < 300,
    'fast enough': (r) => r.timings.duration <= 500,
    'has body': (r) => r.body.length > 0,
    'created': (r) => r.status === 201,
  });
}
"#,
        )],
    );
    let exp = load(&dir);
    let got: Vec<(String, CheckCondition)> = exp
        .checks
        .iter()
        .map(|c| (c.name.clone(), c.condition))
        .collect();
    let ms = 1_000_000;
    assert_eq!(
        got,
        [
            ("is 200".to_string(), CheckCondition::StatusOk),
            ("is 200 or 202".to_string(), CheckCondition::StatusOk),
            ("not an error".to_string(), CheckCondition::StatusOk),
            ("fast".to_string(), CheckCondition::DurationBelow(300 * ms)),
            (
                "fast enough".to_string(),
                CheckCondition::DurationBelow(500 * ms + 1)
            ),
        ]
    );
    let notes = exp.notes.join("\n");
    assert!(
        notes.contains("check `has body`") && notes.contains("reads body"),
        "{notes}"
    );
    assert!(
        notes.contains("check `created`") && notes.contains("fails on a 200"),
        "{notes}"
    );
}

#[test]
fn reading_a_response_in_control_flow_warns_with_the_line() {
    let dir = project(
        "control",
        &[(
            "load.js",
            "import http from 'k6/http';\nexport default function () {\n  const r = http.get('http://h/api/items');\n  if (r.status !== 200) { http.get('http://h/api/items/1'); }\n  const j = r.json();\n}\n",
        )],
    );
    let exp = load(&dir);
    let notes = exp.notes.join("\n");
    assert!(
        notes.contains("load.js:4:") && notes.contains("`status`"),
        "{notes}"
    );
    assert!(
        notes.contains("load.js:5:") && notes.contains("`json()`"),
        "{notes}"
    );
    assert_eq!(first_trace(&exp, "default"), ["GET /api/items"]);
}

#[test]
fn options_scenarios_exec_and_thresholds_as_k6_reads_them() {
    let dir = project(
        "options",
        &[(
            "load.js",
            r#"
import http from 'k6/http';
export const options = {
  scenarios: {
    a: { executor: 'shared-iterations', vus: 2, iterations: 10, exec: 'browse' },
    b: { executor: 'per-vu-iterations', vus: 2, iterations: 3, exec: 'buy', startTime: 1000 },
    c: { executor: 'constant-vus', vus: 3, duration: '30s' },
    d: { executor: 'ramping-vus', stages: [{ duration: '10s', target: 5 }] },
    e: { executor: 'constant-arrival-rate', rate: 5, duration: '20s', preAllocatedVUs: 5 },
    f: { executor: 'ramping-arrival-rate', preAllocatedVUs: 5,
         stages: [{ duration: '10s', target: 5 }] },
  },
  thresholds: { http_req_duration: ['p(95)<500', { threshold: 'p(99)<900', abortOnFail: true }] },
  summaryTrendStats: ['avg', 'p(95)'],
  setupTimeout: '30s',
  userAgent: 'capsim',
};
export function browse() { http.get('http://h/api/items'); }
export function buy() { http.post('http://h/api/items'); }
export default function () { http.get('http://h/api/items/1'); }
"#,
        )],
    );
    let exp = load(&dir);
    let names: Vec<(String, String)> = exp
        .scenarios
        .iter()
        .map(|s| (s.scenario.name.clone(), exp.flows[s.flow].name.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("a", "browse"),
            ("b", "buy"),
            ("c", "default"),
            ("d", "default"),
            ("e", "default"),
            ("f", "default")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(exp.scenarios[1].scenario.start_time, 1_000_000_000);
    assert_eq!(exp.thresholds.len(), 2);
    let notes = exp.notes.join("\n");
    assert!(
        notes.contains("`setupTimeout`") && notes.contains("`userAgent`"),
        "{notes}"
    );
    assert_eq!(first_trace(&exp, "buy"), ["POST /api/items"]);
}

#[test]
fn k6_run_flags_win_over_the_script_options() {
    let dir = project(
        "flags",
        &[(
            "load.js",
            "import http from 'k6/http';\nexport const options = { vus: 3, duration: '1m', rps: 10 };\nexport default function () { http.get('http://h/api/items'); }\n",
        )],
    );
    let exp = load(&dir);
    assert_eq!(exp.scenarios[0].scenario.executor.max_vus(), 3);
    assert_eq!(exp.end_time(), 90_000_000_000); // 1m + the default 30s gracefulStop
    assert_eq!(exp.rps, Some(10.0));
    let exp = load_with(
        &dir,
        "load.js",
        ScriptFlags {
            vus: Some(7),
            duration: Some("2m".into()),
            rps: Some(400.0),
            ..flags(&dir)
        },
    )
    .unwrap();
    assert_eq!(exp.scenarios[0].scenario.executor.max_vus(), 7);
    assert_eq!(exp.end_time(), 150_000_000_000);
    assert_eq!(exp.rps, Some(400.0));
    // --stage replaces the duration; --iterations gives shared-iterations.
    let exp = load_with(
        &dir,
        "load.js",
        ScriptFlags {
            stages: vec![
                capsim::spec::k6_script::parse_stage("10s:5").unwrap(),
                capsim::spec::k6_script::parse_stage("20s:0").unwrap(),
            ],
            ..flags(&dir)
        },
    )
    .unwrap();
    assert_eq!(exp.scenarios[0].scenario.executor.max_vus(), 5);
    let exp = load_with(
        &dir,
        "load.js",
        ScriptFlags {
            iterations: Some(20),
            ..flags(&dir)
        },
    )
    .unwrap();
    assert!(matches!(
        exp.scenarios[0].scenario.executor,
        capsim::workload::Executor::SharedIterations { .. }
    ));
}

#[test]
fn modules_env_vu_iter_and_open_inside_the_project() {
    let dir = project(
        "modules",
        &[
            (
                "load.js",
                r#"
import http from 'k6/http';
import { SharedArray } from 'k6/data';
import { path } from './lib/paths.js';
export { handleSummary } from './lib/paths.js';
const users = new SharedArray('users', () => JSON.parse(open('./data/users.json')));
export default function () {
  if (__VU < 1 || __ITER < 0) throw new Error('bad __VU/__ITER');
  http.get(`${__ENV.BASE}${path(users[0])}`);
}
"#,
            ),
            (
                "lib/paths.js",
                "export function path(id) { return `/api/items/${id}`; }\nexport function handleSummary() { return {}; }\n",
            ),
            ("data/users.json", "[42, 43]"),
        ],
    );
    let exp = load_with(
        &dir,
        "load.js",
        ScriptFlags {
            env: vec![("BASE".into(), "https://shop.example.com".into())],
            ..flags(&dir)
        },
    )
    .unwrap();
    assert_eq!(first_trace(&exp, "default"), ["GET /api/items/{id}"]);
    assert!(exp.notes.iter().any(|n| n.contains("handleSummary")));
}

#[test]
fn refusals_name_the_file_line_and_column() {
    // A syntax error in an imported file.
    let dir = project(
        "syntax",
        &[
            (
                "load.js",
                "import { f } from './lib.js';\nexport default function () { f(); }\n",
            ),
            ("lib.js", "export function f() {\n  let x = ;\n}\n"),
        ],
    );
    let e = err(&dir, flags(&dir));
    assert!(e.contains("lib.js:2:11"), "{e}");

    // A function that never returns.
    let dir = project(
        "spin",
        &[(
            "load.js",
            "import http from 'k6/http';\nexport default function () {\n  http.get('http://h/api/items');\n  while (true) {}\n}\n",
        )],
    );
    let e = err(&dir, flags(&dir));
    assert!(
        e.contains("`default` did not return") && e.contains("budget") && e.contains("load.js"),
        "{e}"
    );

    // open() and imports outside the project.
    let dir = project(
        "escape",
        &[(
            "load.js",
            "const secret = open('../../../../../../etc/passwd');\nexport default function () {}\n",
        )],
    );
    let e = err(&dir, flags(&dir));
    assert!(
        e.contains("open(`../../") && e.contains("leaves the project"),
        "{e}"
    );
    let dir = project(
        "escape_import",
        &[(
            "load.js",
            "import x from '../../../../../../../tmp/x.js';\nexport default function () {}\n",
        )],
    );
    let e = err(&dir, flags(&dir));
    assert!(
        e.contains("load.js:1:") && e.contains("leaves the project"),
        "{e}"
    );
}

#[test]
fn unsupported_modules_are_refused_by_line_or_ignored_with_a_warning() {
    let script = "import http from 'k6/http';\nimport ws from 'k6/ws';\nimport { Client } from 'k6/net/grpc';\nexport default function () {\n  http.get('http://h/api/items');\n  ws.connect('wss://h/ws', {}, (s) => s.close());\n  new Client().connect('h:443');\n}\n";
    let dir = project("unsupported", &[("load.js", script)]);
    let e = err(&dir, flags(&dir));
    assert!(
        e.contains("load.js:2:") && e.contains("`k6/ws`") && e.contains("--ignore-unsupported"),
        "{e}"
    );
    for (name, line) in [
        ("k6/browser", 1),
        ("k6/experimental/redis", 1),
        ("https://jslib.k6.io/k6-utils/1.4.0/index.js", 1),
    ] {
        let dir = project(
            "unsupported_each",
            &[(
                "load.js",
                &format!("import x from '{name}';\nexport default function () {{}}\n"),
            )],
        );
        let e = err(&dir, flags(&dir));
        assert!(
            e.contains(&format!("load.js:{line}:")) && e.contains(name),
            "{e}"
        );
    }
    let exp = load_with(
        &dir_of_unsupported(script),
        "load.js",
        ScriptFlags {
            ignore_unsupported: true,
            ..flags(&dir_of_unsupported(script))
        },
    )
    .unwrap();
    assert_eq!(first_trace(&exp, "default"), ["GET /api/items"]);
    let notes = exp.notes.join("\n");
    assert!(
        notes.contains("`k6/ws`") && notes.contains("`k6/net/grpc`"),
        "{notes}"
    );
}

fn dir_of_unsupported(script: &str) -> PathBuf {
    project("unsupported_ignored", &[("load.js", script)])
}

#[test]
fn same_script_same_traces_and_same_replication() {
    let script = "import http from 'k6/http';\nimport { sleep } from 'k6';\nexport const options = { vus: 5, duration: '20s' };\nexport default function () {\n  if (Math.random() < 0.3) http.post('http://h/api/items');\n  http.get('http://h/api/items');\n  sleep(Math.random());\n}\n";
    let dir = project("determinism", &[("load.js", script)]);
    let a = load(&dir);
    let b = load(&dir);
    assert_eq!(a.flows[0].steps, b.flows[0].steps);
    assert_eq!(a.flows[0].traces, b.flows[0].traces);
    // Both trace shapes were sampled: about 30 % start with a POST (50 samples).
    let posts = a.flows[0]
        .traces
        .iter()
        .filter(|(s, _)| {
            matches!(a.flows[0].steps[*s as usize], FlowStep::Request { endpoint, .. }
                if a.model.endpoints[endpoint].name == "POST /api/items")
        })
        .count();
    assert!((5..=25).contains(&posts), "{posts} of 50");
    let plan = RunPlan {
        indices: 0..2,
        threads: None,
        budget: Budget::default(),
    };
    let ra = run_replications(&a, &plan, &|_| {}).unwrap();
    let rb = run_replications(&b, &plan, &|_| {}).unwrap();
    let sa = serde_json::to_string(&summarize(&a, &ra)).unwrap();
    let sb = serde_json::to_string(&summarize(&b, &rb)).unwrap();
    assert_eq!(sa, sb);
}

/// The plan's own script on the phase-9 model as the plan's baseline runs it
/// (`--vus 500 --duration 10m`), recording `samples` iterations (default when `None`).
fn plans_script(samples: Option<u32>) -> Experiment {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    load_with(
        &root.join("experiments/scripts"),
        "load-testing-framework.js",
        ScriptFlags {
            model: Some(root.join("models/hamballer-phase9.yaml")),
            vus: Some(500),
            duration: Some("10m".into()),
            samples,
            ..ScriptFlags::default()
        },
    )
    .unwrap()
}

/// The plan's own script (experiments/scripts/load-testing-framework.js) run as the plan's
/// baseline (`--vus 500 --duration 10m`) predicts what experiments/baseline.yaml's
/// hand-written flow predicts: the same model and load, so the two 95 % intervals of
/// http_req_duration avg and p(95), http_req_failed and the http_reqs rate overlap
/// (8 replications each, fixed seeds; the two runs draw think times differently, so
/// their means differ by noise, which the intervals cover).
#[test]
fn the_plans_script_predicts_what_baseline_yaml_predicts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let plan = RunPlan {
        indices: 0..8,
        threads: None,
        budget: Budget::default(),
    };
    let yaml = load_experiment_with(
        &root.join("experiments/baseline.yaml"),
        &Overrides::default(),
    )
    .unwrap();
    let script = plans_script(None);
    let notes = script.notes.join("\n");
    assert!(notes.contains("rate `errors`"), "{notes}");
    let a = summarize(&yaml, &run_replications(&yaml, &plan, &|_| {}).unwrap());
    let b = summarize(&script, &run_replications(&script, &plan, &|_| {}).unwrap());
    // The plan's custom metrics are predicted and their thresholds evaluated:
    // `response_time` is the claim's response time (`responseTime.add(response.timings.
    // duration)` after the claim), so its p(95) is the claim endpoint's, exactly.
    let evaluated: Vec<(&str, &str)> = b
        .thresholds
        .iter()
        .map(|t| (t.metric.as_str(), t.threshold.as_str()))
        .collect();
    assert!(
        evaluated.contains(&("errors", "rate<0.01")),
        "{evaluated:?}"
    );
    assert!(
        evaluated.contains(&("response_time", "p(95)<400")),
        "{evaluated:?}"
    );
    let rt = b.custom_metrics["response_time"].trend.as_ref().unwrap();
    let claim = &b.endpoints["POST /api/badges/claim"].http_req_duration;
    assert!(
        (rt.p95.mean - claim.p95.mean).abs() < 1e-9,
        "{} {}",
        rt.p95.mean,
        claim.p95.mean
    );
    assert_eq!(
        b.custom_metrics["requests"].count.as_ref().unwrap().mean,
        b.endpoints["POST /api/badges/claim"].http_reqs.count.mean,
        "throughput.add(1) once per claim, counted with its response"
    );
    let overlap = |what: &str,
                   x: &capsim::stats::interval::Estimate,
                   y: &capsim::stats::interval::Estimate| {
        let (cx, cy) = (x.ci95.unwrap(), y.ci95.unwrap());
        assert!(
            cx[0] <= cy[1] && cy[0] <= cx[1],
            "{what}: baseline.yaml {} {cx:?} vs the script {} {cy:?}",
            x.mean,
            y.mean
        );
    };
    overlap(
        "http_req_duration avg",
        &a.metrics.http_req_duration.avg,
        &b.metrics.http_req_duration.avg,
    );
    overlap(
        "http_req_duration p(95)",
        &a.metrics.http_req_duration.p95,
        &b.metrics.http_req_duration.p95,
    );
    overlap(
        "http_req_failed",
        &a.metrics.http_req_failed.rate,
        &b.metrics.http_req_failed.rate,
    );
    overlap(
        "http_reqs rate",
        &a.metrics.http_reqs.rate,
        &b.metrics.http_reqs.rate,
    );
    // The same checks, by name and meaning.
    let names = |e: &Experiment| {
        let mut v: Vec<(String, CheckCondition)> = e
            .checks
            .iter()
            .map(|c| (c.name.clone(), c.condition))
            .collect();
        v.sort_by(|p, q| p.0.cmp(&q.0));
        v
    };
    assert_eq!(names(&yaml), names(&script));
}

/// The typical script of a few hundred lines (30 user actions: a request, two checks, three
/// custom metrics, a think time each; a random half of them per iteration), shipped so
/// `capsim bench` can time it too, and its model.
fn typical_fixture() -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k6-scripts");
    (dir.join("typical.js"), dir.join("items.yaml"))
}

/// The benchmark's script records as it should: its checks and custom metrics predicted, so
/// the speed figure is for the work a real script asks for.
#[test]
fn typical_fixture_records_its_checks_and_custom_metrics() {
    let (script, model) = typical_fixture();
    let exp = load_with(
        script.parent().unwrap(),
        "typical.js",
        ScriptFlags {
            model: Some(model),
            samples: Some(50),
            ..ScriptFlags::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let notes = exp.notes.join("\n");
    assert!(!notes.contains("not predicted"), "{notes}");
    assert_eq!(exp.thresholds.len(), 2);
    assert_eq!(exp.checks.len(), 60);
    assert_eq!(exp.flows[0].traces.len(), 50);
}

/// This thread's CPU time in seconds (Linux; None elsewhere): a figure that holds up on a
/// machine busy with other work, where the wall-clock time does not.
fn thread_cpu_s() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Not a test: the loading-and-recording figures for docs/k6-scripts.md (run with
/// `cargo test --test k6_script -- --ignored --nocapture record_speed`; it prints, never
/// asserts on time). The typical script (tests/fixtures/k6-scripts/typical.js), 2000
/// recorded iterations, and the plan's script, 2000 and 5000: wall-clock and CPU seconds.
#[test]
#[ignore]
fn record_speed() {
    let timed = |what: &str, run: &dyn Fn() -> Experiment| {
        let (cpu, start) = (thread_cpu_s(), std::time::Instant::now());
        let exp = run();
        let wall = start.elapsed().as_secs_f64();
        let cpu = match (cpu, thread_cpu_s()) {
            (Some(a), Some(b)) => format!(", {:.3}s CPU", b - a),
            _ => String::new(),
        };
        println!(
            "{what}: load + record: {wall:.3}s wall{cpu} ({} traces, {} steps)",
            exp.flows.iter().map(|f| f.traces.len()).sum::<usize>(),
            exp.flows.iter().map(|f| f.steps.len()).sum::<usize>()
        );
    };
    let (script, model) = typical_fixture();
    let lines = std::fs::read_to_string(&script).unwrap().lines().count();
    timed(
        &format!("typical script ({lines} lines), 2000 iterations"),
        &|| {
            load_with(
                script.parent().unwrap(),
                "typical.js",
                ScriptFlags {
                    model: Some(model.clone()),
                    samples: Some(2000),
                    ..ScriptFlags::default()
                },
            )
            .unwrap_or_else(|e| panic!("{e}"))
        },
    );
    for samples in [2000, 5000] {
        timed(&format!("the plan's script, {samples} iterations"), &|| {
            plans_script(Some(samples))
        });
    }
}

/// Arrival-rate executors start iterations on their own path: each replays a trace too.
/// constant-arrival-rate 10/s for 10 s starts 100 iterations (101 if the one due at the
/// end instant starts, as in k6), each one GET.
#[test]
fn arrival_rate_iterations_replay_traces() {
    let dir = project(
        "arrival",
        &[(
            "load.js",
            "import http from 'k6/http';\nexport const options = { scenarios: { a: { executor: 'constant-arrival-rate', rate: 10, duration: '10s', preAllocatedVUs: 5 } } };\nexport default function () { http.get('http://h/api/items'); }\n",
        )],
    );
    let exp = load(&dir);
    let r = capsim::engine::run_replication(&exp, 0, Budget::default()).unwrap();
    assert!((100..=101).contains(&r.iterations), "{}", r.iterations);
    assert_eq!(r.accounting.sent, r.iterations);
}
