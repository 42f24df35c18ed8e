//! k6's `http.batch()` (docs/k6-scripts.md): recorded as one trace element whose requests
//! the engine sends in parallel, up to the `batch` and `batchPerHost` options; each request
//! a sample of its own; the iteration goes on when the last one is answered. Fixed seeds.

use capsim::aggregate::summarize;
use capsim::engine::result::ReplicationResult;
use capsim::engine::{Budget, run_replication};
use capsim::model::experiment::{Experiment, FlowStep};
use capsim::model::load::load_experiment_with;
use capsim::model::threshold::Family;
use capsim::replicate::{RunPlan, run_replications};
use capsim::spec::k6_script::ScriptFlags;
use capsim::spec::overrides::Overrides;
use std::path::{Path, PathBuf};

/// `GET /a` takes `a`, `GET /b` takes `b` (on separate services, ample workers: no queue).
fn model(a: &str, b: &str) -> String {
    format!(
        r#"
name: two
endpoints:
  "GET /a": {{service: sa, operation: op}}
  "GET /b": {{service: sb, operation: op}}
services:
  sa:
    replicas: 1
    workers: 500
    queue_capacity: 10000
    operations:
      op:
        - work: {a}
  sb:
    replicas: 1
    workers: 500
    queue_capacity: 10000
    operations:
      op:
        - work: {b}
"#
    )
}

fn project(test: &str, model: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("k6_batch")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.yaml"), model).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

fn load(dir: &Path, file: &str) -> Experiment {
    load_with(dir, file, ScriptFlags::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// Loads with k6 run's flags `flags` (the model and samples added).
fn load_with(dir: &Path, file: &str, flags: ScriptFlags) -> Result<Experiment, String> {
    let overrides = Overrides {
        script: ScriptFlags {
            model: Some(dir.join("model.yaml")),
            samples: Some(20),
            ..flags
        },
        ..Overrides::default()
    };
    load_experiment_with(&dir.join(file), &overrides).map_err(|e| e.to_string())
}

/// A script: one VU runs `iterations` iterations of `body`, with `extra` options; the
/// `iteration_duration` threshold makes capsim keep its samples.
fn script(iterations: u32, extra: &str, body: &str) -> String {
    format!(
        "import http from 'k6/http';\nimport {{ check }} from 'k6';\n\
         export const options = {{ scenarios: {{ s: {{ executor: 'shared-iterations', vus: 1, \
         iterations: {iterations}, maxDuration: '1h' }} }}, \
         thresholds: {{ iteration_duration: ['avg<100000000'] }}{extra} }};\n\
         export default function () {{\n{body}\n}}\n"
    )
}

/// Mean `iteration_duration` (ms) and count of one replication.
fn iteration_duration(exp: &Experiment, r: &ReplicationResult) -> (f64, u64) {
    let k = exp
        .submetrics
        .iter()
        .position(|p| p.family == Family::Iteration && p.filter == Default::default())
        .expect("an iteration_duration accumulator");
    let s = &r.submetrics[k];
    (s.latency.expect("iteration samples").avg, s.count)
}

const PAIR: &str = "  http.batch(['http://h/a', ['GET', 'http://h/b']]);";

#[test]
fn a_batch_lasts_as_long_as_its_slowest_request() {
    let dir = project(
        "max",
        &model("{constant: 30ms}", "{constant: 50ms}"),
        &[("load.js", &script(20, "", PAIR))],
    );
    let exp = load(&dir, "load.js");
    // One trace element: the batch and its two requests.
    let steps = &exp.flows[0].steps;
    assert!(matches!(
        steps[0],
        FlowStep::Batch {
            n: 2,
            limit: 20,
            per_host: 6,
            ..
        }
    ));
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    let (avg, n) = iteration_duration(&exp, &r);
    assert_eq!(n, 20);
    // max(30, 50) = 50 ms; one after another would be 80 ms.
    assert!((avg - 50.0).abs() < 1e-6, "iteration_duration avg {avg} ms");
    // Each request is a sample of its own.
    assert_eq!(r.requests, 40);
    assert_eq!(r.accounting.sent, 40);
    assert_eq!(r.endpoints.iter().map(|e| e.requests).sum::<u64>(), 40);
    assert!(r.accounting.balanced());
}

#[test]
fn batch_per_host_1_sends_them_one_after_another() {
    let dir = project(
        "per_host",
        &model("{constant: 30ms}", "{constant: 50ms}"),
        &[
            ("load.js", &script(20, ", batchPerHost: 1", PAIR)),
            // Two hosts: one each, still in parallel.
            (
                "hosts.js",
                &script(
                    20,
                    ", batchPerHost: 1",
                    "  http.batch(['http://h1/a', 'http://h2:8080/b']);",
                ),
            ),
            // `batch: 1` serialises whatever the hosts.
            (
                "global.js",
                &script(
                    20,
                    ", batch: 1",
                    "  http.batch(['http://h1/a', 'http://h2:8080/b']);",
                ),
            ),
        ],
    );
    for (file, want) in [("load.js", 80.0), ("hosts.js", 50.0), ("global.js", 80.0)] {
        let exp = load(&dir, file);
        let r = run_replication(&exp, 0, Budget::default()).unwrap();
        let (avg, _) = iteration_duration(&exp, &r);
        assert!((avg - want).abs() < 1e-6, "{file}: {avg} ms, want {want}");
        assert_eq!(r.requests, 40, "{file}");
    }
}

/// `--batch-per-host` and `--batch` are over the script's options, as in k6.
#[test]
fn batch_flags_override_the_script_options() {
    let dir = project(
        "flags",
        &model("{constant: 30ms}", "{constant: 50ms}"),
        &[
            ("load.js", &script(20, "", PAIR)),
            ("limited.js", &script(20, ", batchPerHost: 1", PAIR)),
        ],
    );
    let cases = [
        // --batch-per-host 1 serialises the pair to one host: 30 + 50 ms.
        ("load.js", Some(1), None, 80.0, (20, 1)),
        // --batch 1 serialises whatever the hosts.
        ("load.js", None, Some(1), 80.0, (1, 6)),
        // --batch-per-host 0 (no limit) over the script's batchPerHost: 1.
        ("limited.js", Some(0), None, 50.0, (20, 0)),
        // No flag: the script's own.
        ("limited.js", None, None, 80.0, (20, 1)),
    ];
    for (file, per_host, batch, want, limits) in cases {
        let flags = ScriptFlags {
            batch,
            batch_per_host: per_host,
            ..ScriptFlags::default()
        };
        let exp = load_with(&dir, file, flags).unwrap_or_else(|e| panic!("{e}"));
        match exp.flows[0].steps[0] {
            FlowStep::Batch {
                limit, per_host, ..
            } => assert_eq!((limit, per_host), limits, "{file}"),
            ref s => panic!("{file}: not a batch: {s:?}"),
        }
        let r = run_replication(&exp, 0, Budget::default()).unwrap();
        let (avg, _) = iteration_duration(&exp, &r);
        assert!(
            (avg - want).abs() < 1e-6,
            "{file} --batch {batch:?} --batch-per-host {per_host:?}: {avg} ms, want {want}"
        );
    }
    // --batch 0 is refused as the `batch: 0` option is.
    let flags = ScriptFlags {
        batch: Some(0),
        ..ScriptFlags::default()
    };
    let e = load_with(&dir, "load.js", flags).unwrap_err();
    assert!(e.contains("batch"), "{e}");
}

/// Queue behind the limit: 5 requests of 10 ms to one host, at most 2 at once, take
/// ceil(5 / 2) * 10 = 30 ms.
#[test]
fn the_rest_of_a_batch_starts_as_slots_free_up() {
    let dir = project(
        "queue",
        &model("{constant: 10ms}", "{constant: 10ms}"),
        &[(
            "load.js",
            &script(
                10,
                ", batchPerHost: 2",
                "  http.batch(['http://h/a', 'http://h/b', 'http://h/a', 'http://h/b', 'http://h/a']);",
            ),
        )],
    );
    let exp = load(&dir, "load.js");
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    let (avg, _) = iteration_duration(&exp, &r);
    assert!((avg - 30.0).abs() < 1e-6, "{avg} ms");
    assert_eq!(r.requests, 50);
}

/// Exponential service of means 20 and 50 ms at low load (one VU, ample workers): the batch
/// lasts the maximum of two independent exponentials, E = 1/mu1 + 1/mu2 - 1/(mu1 + mu2) =
/// 20 + 50 - 14.29 = 55.71 ms (one after another: 70 ms). 4,000 iterations: the max's
/// standard deviation is 47.8 ms, so the mean's standard error is 0.76 ms; the tolerance,
/// 3 ms, is 4 standard errors (and 19 from the sequential 70 ms).
#[test]
fn exponential_batch_lasts_the_expected_maximum() {
    let dir = project(
        "exp",
        &model("{exponential: {mean: 20ms}}", "{exponential: {mean: 50ms}}"),
        &[("load.js", &script(4000, "", PAIR))],
    );
    let exp = load(&dir, "load.js");
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    let (avg, n) = iteration_duration(&exp, &r);
    assert_eq!(n, 4000);
    let want = 20.0 + 50.0 - 1.0 / (1.0 / 20.0 + 1.0 / 50.0);
    eprintln!("exponential batch: iteration_duration avg {avg:.3} ms, expected {want:.3} ms");
    assert!((avg - want).abs() < 3.0, "{avg} ms, want {want:.2} ± 3");
}

/// A request of the batch that times out (client_timeout 100 ms, service 5 s) is a failed
/// sample at 100 ms; the other succeeds; the iteration lasts 100 ms.
#[test]
fn a_batch_request_that_times_out() {
    let dir = project(
        "timeout",
        &model("{constant: 30ms}", "{constant: 5s}"),
        &[
            (
                "load.js",
                &script(
                    20,
                    "",
                    "  const r = http.batch(['http://h/a', 'http://h/b']);\n  \
                     check(r[1], { 'b ok': (x) => x.status === 200 });",
                ),
            ),
            (
                "exp.yaml",
                "model: model.yaml\nk6_script: load.js\nsamples: 10\nclient_timeout: 100ms\n",
            ),
        ],
    );
    let exp = load(&dir, "exp.yaml");
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    let (avg, _) = iteration_duration(&exp, &r);
    assert!((avg - 100.0).abs() < 1e-6, "{avg} ms");
    assert_eq!(r.requests, 40);
    assert_eq!(r.failures, 20);
    let b = exp
        .model
        .endpoints
        .iter()
        .position(|e| e.name == "GET /b")
        .unwrap();
    assert_eq!(r.endpoints[b].failures, 20);
    // The check on r[1] is the b request's: it fails every time.
    assert_eq!(r.checks, vec![(0, 20)]);
    assert!(r.accounting.balanced());
}

/// gracefulStop cuts an iteration in a batch as it cuts a single request: both requests in
/// flight are interrupted, their tasks run on unobserved.
#[test]
fn graceful_stop_interrupts_a_batch_in_flight() {
    let dir = project(
        "interrupt",
        &model("{constant: 5s}", "{constant: 5s}"),
        &[(
            "load.js",
            "import http from 'k6/http';\nexport const options = { scenarios: { s: { executor: \
             'constant-vus', vus: 2, duration: '1s', gracefulStop: '1s' } } };\n\
             export default function () { http.batch(['http://h/a', 'http://h/b']); }\n",
        )],
    );
    let exp = load(&dir, "load.js");
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    assert_eq!(r.iterations, 0);
    assert_eq!(r.interrupted_iterations, 2);
    assert_eq!(r.accounting.sent, 4);
    assert_eq!(r.accounting.interrupted, 4);
    assert!(r.accounting.balanced());
}

/// The shim hands back responses keyed as the input (an array, or an object by the same
/// keys), so checks and custom metrics read the right request.
#[test]
fn responses_come_back_keyed_like_the_input() {
    let body = "  const rs = http.batch(['http://h/a', { method: 'GET', url: 'http://h/b' }]);\n\
        if (!Array.isArray(rs) || rs.length !== 2) throw new Error('not an array of 2');\n\
        check(rs[1], { 'array b': (x) => x.timings.duration < 40 });\n\
        const o = http.batch({ first: 'http://h/b', second: ['GET', 'http://h/a'] });\n\
        if (Object.keys(o).join() !== 'first,second') throw new Error('keys ' + Object.keys(o));\n\
        check(o.second, { 'object a': (x) => x.timings.duration < 40 });\n\
        bTime.add(o.first.timings.duration);";
    let text = script(10, "", body).replace(
        "export default",
        "import { Trend } from 'k6/metrics';\nconst bTime = new Trend('b_time');\nexport default",
    );
    let dir = project(
        "keys",
        &model("{constant: 30ms}", "{constant: 50ms}"),
        &[("load.js", &text)],
    );
    let exp = load(&dir, "load.js");
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    let names: Vec<&str> = exp.checks.iter().map(|c| c.name.as_str()).collect();
    let passed = |name: &str| r.checks[names.iter().position(|n| *n == name).unwrap()];
    // `array b` reads /b (50 ms): fails; `object a` reads /a (30 ms): passes.
    assert_eq!(passed("array b"), (0, 10));
    assert_eq!(passed("object a"), (10, 0));
    // The trend reads `first`, the /b request: 50 ms each.
    let k = exp
        .custom_metrics
        .iter()
        .position(|m| m.name == "b_time")
        .unwrap();
    let plan = exp
        .submetrics
        .iter()
        .position(|p| p.family == Family::Custom(k as u32) && p.filter == Default::default())
        .unwrap();
    let s = &r.submetrics[plan];
    assert_eq!(s.count, 10);
    assert!((s.sum / 10.0 - 50.0).abs() < 1e-6, "{}", s.sum);
    // Two batches per iteration, each 50 ms.
    let (avg, _) = iteration_duration(&exp, &r);
    assert!((avg - 100.0).abs() < 1e-6, "{avg}");
}

/// Same seed, same bytes, whatever the thread count.
#[test]
fn batches_are_deterministic_across_threads() {
    let body = "  http.batch(['http://h/a', 'http://h/b', 'http://h/a']);\n  \
        if (Math.random() < 0.5) http.batch({ x: 'http://h/b', y: 'http://h/b' });";
    let dir = project(
        "threads",
        &model("{exponential: {mean: 20ms}}", "{exponential: {mean: 50ms}}"),
        &[("load.js", &script(300, ", batchPerHost: 2", body))],
    );
    let exp = load(&dir, "load.js");
    let run = |threads| {
        let plan = RunPlan {
            indices: 0..3,
            threads: Some(threads),
            budget: Budget::default(),
        };
        let rs = run_replications(&exp, &plan, &|_| {}).unwrap();
        serde_json::to_string(&summarize(&exp, &rs)).unwrap()
    };
    assert_eq!(run(1), run(3));
}

/// `--rps` (here the `rps` option, 10/s) gives each batch request its own slot of the
/// limiter: two 30 ms requests per iteration are sent 100 ms apart. The first iteration
/// lasts 130 ms, each later one 200 ms (its first request waits for its slot): 193 ms avg.
#[test]
fn each_batch_request_takes_its_own_rps_slot() {
    let dir = project(
        "rps",
        &model("{constant: 30ms}", "{constant: 30ms}"),
        &[("load.js", &script(10, ", rps: 10", PAIR))],
    );
    let exp = load(&dir, "load.js");
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    let (avg, _) = iteration_duration(&exp, &r);
    assert!((avg - 193.0).abs() < 1e-6, "{avg} ms");
    assert_eq!(r.requests, 20);
}

/// `abortOnFail` stops the replication while batches are in flight; the requests still in
/// flight are counted as such (sent = answered + interrupted + in flight).
#[test]
fn abort_on_fail_with_batches_in_flight() {
    let dir = project(
        "abort",
        &model("{constant: 30ms}", "{constant: 5s}"),
        &[
            (
                "load.js",
                "import http from 'k6/http';\nexport const options = { scenarios: { s: { \
                 executor: 'constant-vus', vus: 3, duration: '60s' } }, thresholds: { \
                 http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true }] } };\n\
                 export default function () { http.batch(['http://h/a', 'http://h/b']); }\n",
            ),
            (
                "exp.yaml",
                "model: model.yaml\nk6_script: load.js\nsamples: 10\nclient_timeout: 100ms\n",
            ),
        ],
    );
    let exp = load(&dir, "exp.yaml");
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    let at = r.aborted_at.expect("aborted");
    assert!(at < 60_000_000_000, "{at}");
    assert!(r.failures > 0 && r.requests > r.failures);
    assert!(r.accounting.balanced(), "{:?}", r.accounting);
}

/// A `group()` around a batch: `group_duration` is the batch's time, the slowest of its
/// requests (50 ms), not their sum (80 ms), and both requests carry the group's tag.
/// Constant service times and no queueing, so the figures are exact (1e-6 ms: float sums).
#[test]
fn a_group_around_a_batch_lasts_as_long_as_the_batch() {
    let body = "  group('both', () => { http.batch(['http://h/a', 'http://h/b']); });";
    let text = script(10, "", body).replace(
        "import { check } from 'k6';",
        "import { check, group } from 'k6';",
    );
    let text = text.replace(
        "thresholds: { iteration_duration:",
        "thresholds: { 'http_reqs{group:::both}': ['count>0'], iteration_duration:",
    );
    let dir = project(
        "group",
        &model("{constant: 30ms}", "{constant: 50ms}"),
        &[("load.js", &text)],
    );
    let exp = load(&dir, "load.js");
    let plan = RunPlan {
        indices: 0..2,
        threads: Some(1),
        budget: Budget::default(),
    };
    let rs = run_replications(&exp, &plan, &|_| {}).unwrap();
    let s = summarize(&exp, &rs);
    let g = s.groups.as_ref().expect("groups in the summary");
    let both = &g.by_group["::both"];
    assert!((both.avg.mean - 50.0).abs() < 1e-6, "{}", both.avg.mean);
    assert!((both.max.mean - 50.0).abs() < 1e-6, "{}", both.max.mean);
    let in_group = s
        .thresholds
        .iter()
        .find(|t| t.metric == "http_reqs{group:::both}")
        .expect("the group's http_reqs")
        .observed
        .mean;
    assert!((in_group - 20.0).abs() < 1e-9, "{in_group}");
    assert!((s.metrics.http_reqs.count.mean - 20.0).abs() < 1e-9);
}
