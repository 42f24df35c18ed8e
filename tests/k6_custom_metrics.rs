//! A k6 script's custom metrics (docs/k6-scripts.md): `Trend.add(res.timings.duration)`,
//! `Rate.add(!success)` of a check() result, `Rate.add(res.status !== 200)`,
//! `Counter.add(1)` and constants are predicted per simulated iteration, so thresholds on
//! them are evaluated and they appear in the summary and k6-summary.json; everything else
//! is named as not predicted, and a threshold on it is stated as not evaluated.
//!
//! The oracle: each predicted metric is made of the same responses as a built-in metric
//! of the same replication (http_req_failed, http_req_duration, http_reqs, a check's rate),
//! so their values must be equal, not merely close (tolerance 1e-9 for float sums).

mod common;

use capsim::aggregate::summarize;
use capsim::engine::Budget;
use capsim::model::experiment::CheckCondition;
use capsim::replicate::run_replications;
use common::k6_project::{load, plan};
use std::path::PathBuf;

/// One worker, a waiting room of 2 and 30 ms of work on average: 10 VUs with 50 ms of
/// think time overflow it, so a good share of the requests fail with 503 and the rest
/// wait various times.
const MODEL: &str = r#"
name: small
endpoints:
  "GET /api/items": {service: api, operation: list}
services:
  api:
    replicas: 1
    workers: 1
    queue_capacity: 2
    operations:
      list:
        - work: {exponential: {mean: 30ms}}
"#;

fn project(test: &str, script: &str) -> PathBuf {
    common::k6_project::project("k6_custom_metrics", test, MODEL, script)
}

fn same(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: {got} vs {want}"
    );
}

#[test]
fn predicted_custom_metrics_equal_the_builtin_metrics_they_are_made_of() {
    let dir = project(
        "equal",
        r#"
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Trend, Rate, Counter } from 'k6/metrics';
const failed = new Rate('failed');
const errors = new Rate('errors');
const slow = new Rate('slow');
const badOrSlow = new Rate('bad_or_slow');
const serverErrors = new Rate('server_errors');
const rt = new Trend('rt');
const seven = new Trend('seven');
const n = new Counter('n');
const before = new Counter('before');
export const options = {
  vus: 10, duration: '30s',
  thresholds: { errors: ['rate<0.01'], rt: ['p(95)<400', 'avg<100'], n: ['count>10'] },
};
export default function () {
  before.add(2);
  const res = http.get('http://h/api/items');
  const ok = check(res, { 'is 200': (r) => r.status === 200 });
  const fast = check(res, { 'fast': (r) => r.timings.duration < 60 });
  const both = check(res, { 'ok and fast': (r) => r.status === 200 && r.timings.duration < 60 });
  failed.add(res.status !== 200);
  errors.add(!ok);
  slow.add(!fast);
  badOrSlow.add(!both);
  serverErrors.add(res.status >= 500);
  rt.add(res.timings.duration);
  seven.add(7);
  n.add(1);
  sleep(0.05);
}
"#,
    );
    let exp = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let ok_and_fast = exp.checks.iter().find(|c| c.name == "ok and fast").unwrap();
    assert_eq!(
        ok_and_fast.condition,
        CheckCondition::StatusOkAndBelow(60_000_000)
    );
    let notes = exp.notes.join("\n");
    assert!(!notes.contains("not predicted"), "{notes}");
    // `failed.add(res.status !== 200)` reads the status for the metric: no control-flow warning.
    assert!(!notes.contains("reads the response's `status`"), "{notes}");
    let results = run_replications(&exp, &plan(), &|_| {}).unwrap();
    let s = summarize(&exp, &results);
    let m = &s.metrics;
    let failed_rate = m.http_req_failed.rate.mean;
    assert!(failed_rate > 0.05 && failed_rate < 0.95, "{failed_rate}");
    let rate = |name: &str| s.custom_metrics[name].rate.as_ref().unwrap().mean;
    same("failed", rate("failed"), failed_rate);
    same("errors", rate("errors"), failed_rate);
    same(
        "server_errors (all failures are 503)",
        rate("server_errors"),
        failed_rate,
    );
    same("slow", rate("slow"), 1.0 - s.checks["fast"].rate.mean);
    same(
        "bad_or_slow",
        rate("bad_or_slow"),
        1.0 - s.checks["ok and fast"].rate.mean,
    );
    let rt = s.custom_metrics["rt"].trend.as_ref().unwrap();
    assert_eq!(s.custom_metrics["rt"].unit, "ms");
    same("rt avg", rt.avg.mean, m.http_req_duration.avg.mean);
    same("rt p(95)", rt.p95.mean, m.http_req_duration.p95.mean);
    same("rt max", rt.max.mean, m.http_req_duration.max.mean);
    let seven = s.custom_metrics["seven"].trend.as_ref().unwrap();
    same("seven avg", seven.avg.mean, 7.0);
    same("seven max", seven.max.mean, 7.0);
    let count = |name: &str| s.custom_metrics[name].count.as_ref().unwrap().mean;
    same("n", count("n"), m.http_reqs.count.mean);
    same("before", count("before"), 2.0 * m.http_reqs.count.mean);
    // The thresholds on them are evaluated, on the same values.
    let th = |metric: &str, expr: &str| {
        s.thresholds
            .iter()
            .find(|t| t.metric == metric && t.threshold == expr)
            .unwrap_or_else(|| panic!("no threshold {metric}: {expr}"))
    };
    same(
        "errors threshold",
        th("errors", "rate<0.01").observed.mean,
        failed_rate,
    );
    same(
        "rt threshold",
        th("rt", "p(95)<400").observed.mean,
        m.http_req_duration.p95.mean,
    );
    same(
        "n threshold",
        th("n", "count>10").observed.mean,
        m.http_reqs.count.mean,
    );
    // k6-summary.json carries them like k6's own export.
    let k6 = serde_json::to_value(capsim::aggregate::k6_export::k6_summary_export(
        &s, &results,
    ))
    .unwrap();
    let metrics = &k6["metrics"];
    assert!(metrics["errors"]["value"].as_f64().is_some(), "{metrics}");
    assert!(metrics["rt"]["p(95)"].as_f64().is_some(), "{metrics}");
    assert!(metrics["n"]["count"].as_f64().is_some(), "{metrics}");
    assert_eq!(metrics["errors"]["thresholds"]["rate<0.01"], true);
}

#[test]
fn unpredictable_custom_metrics_are_named_and_their_thresholds_not_evaluated() {
    let dir = project(
        "not_predicted",
        r#"
import http from 'k6/http';
import { check } from 'k6';
import { Trend, Rate, Counter, Gauge } from 'k6/metrics';
const g = new Gauge('g');
const secs = new Trend('secs');
const hasBody = new Rate('has_body');
const fromCheck = new Counter('from_check');
const opaque = new Rate('opaque');
const text = new Trend('text');
const unchecked = new Rate('unchecked');
export const options = {
  vus: 2, duration: '5s',
  thresholds: { g: ['value<1'], secs: ['avg<1'], has_body: ['rate>0.5'], unchecked: ['rate<0.1'] },
};
export default function () {
  const res = http.get('http://h/api/items');
  const ok = check(res, { 'body': (r) => r.body.length > 0 });
  const flag = Math.random() < 2;
  g.add(3);
  secs.add(res.timings.duration / 1000);
  hasBody.add(res.body.length > 0);
  fromCheck.add(ok ? 0 : 1);
  opaque.add(flag);
  text.add('x');
  unchecked.add(!ok);
}
"#,
    );
    let exp = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let notes = exp.notes.join("\n");
    for (name, why) in [
        ("gauge `g`", "gauges"),
        ("trend `secs`", "load.js:21:"),
        ("rate `has_body`", "cannot trace"),
        (
            "counter `from_check`",
            "computed from a response or a check",
        ),
        ("rate `opaque`", "cannot trace"),
        ("trend `text`", "a string"),
        ("rate `unchecked`", "check `body`, which is not predicted"),
    ] {
        let line = notes
            .lines()
            .find(|l| l.contains(&format!("custom {name} is not predicted")))
            .unwrap_or_else(|| panic!("{name} not named as not predicted:\n{notes}"));
        assert!(line.contains(why), "{line}");
    }
    for t in ["`g`", "`secs`", "`has_body`", "`unchecked`"] {
        assert!(
            notes.contains(&format!("threshold {t} on the script's custom"))
                && notes.contains("is not evaluated (inconclusive)"),
            "{t}: {notes}"
        );
    }
    assert!(exp.thresholds.is_empty());
    let results = run_replications(&exp, &plan(), &|_| {}).unwrap();
    let s = summarize(&exp, &results);
    assert!(s.thresholds.is_empty());
    let g = &s.custom_metrics["g"];
    assert!(g.not_predicted.is_some() && g.rate.is_none());
    assert_eq!(g.thresholds_not_evaluated, ["g: 'value<1'"]);
}

/// abortOnFail on a custom rate stops the replication at the first 2 s evaluation, as
/// k6 would: from the first second on, a good share of the requests fail.
#[test]
fn abort_on_fail_on_a_custom_rate() {
    let dir = project(
        "abort",
        r#"
import http from 'k6/http';
import { sleep } from 'k6';
import { Rate } from 'k6/metrics';
const failed = new Rate('failed');
export const options = {
  vus: 10, duration: '30s',
  thresholds: { failed: [{ threshold: 'rate<0.01', abortOnFail: true }] },
};
export default function () {
  const res = http.get('http://h/api/items');
  failed.add(res.status !== 200);
  sleep(0.05);
}
"#,
    );
    let exp = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let r = capsim::engine::run_replication(&exp, 0, Budget::default()).unwrap();
    assert_eq!(r.aborted_at, Some(2_000_000_000));
    assert_eq!(r.aborted_by, Some(0));
}
