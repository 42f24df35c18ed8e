//! Entry points shared by the cargo-fuzz targets (fuzz/) and the seeded property tests
//! (tests/fuzz_properties.rs): each takes arbitrary bytes, feeds them to a loader or parser,
//! and panics only on a real defect (a panic inside capsim, or a broken invariant). Errors
//! are the expected outcome for most inputs.

use crate::engine::{Budget, run_replication};
use crate::model::Model;
use std::path::Path;
use std::sync::OnceLock;

/// Events one fuzzed experiment may run: enough to start every scenario and exercise the
/// services, small enough for thousands of cases a second.
pub const FUZZ_MAX_EVENTS: u64 = 20_000;

/// Where fuzzed files "live": a folder that does not exist, so that file references
/// resolve to nothing rather than to the machine's files.
fn base_dir() -> &'static Path {
    Path::new("/nonexistent/capsim-fuzz")
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Model YAML: parse and build.
pub fn model_yaml(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = crate::model::load::model_from_str(text, Path::new("fuzz-model.yaml"), base_dir());
}

/// A small valid model that fuzzed experiments run against (`GET /` and `POST /order`).
pub const FUZZ_MODEL: &str = r#"name: fuzz
endpoints:
  "GET /": {service: web, operation: index}
  "POST /order": {service: web, operation: order}
services:
  web:
    replicas: 2
    workers: 4
    operations:
      index:
        - work: {exponential: {mean: 10ms}}
        - call: {service: api, operation: get}
      order:
        - work: {constant: 5ms}
        - query: {database: main, kind: write, time: {constant: 2ms}}
  api:
    replicas: 1
    workers: 2
    operations:
      get:
        - work: {lognormal: {median: 3ms, p95: 30ms}}
databases:
  main: {cores: 2, pool_size: 10, pool_timeout: 1s}
"#;

/// The k6 options JSON that fuzzed experiments naming `k6_options` get.
pub const FUZZ_K6: &str = r#"{"scenarios": {"load": {"executor": "ramping-vus", "startVUs": 1,
  "stages": [{"duration": "5s", "target": 5}, {"duration": "5s", "target": 0}]}}}"#;

fn fuzz_model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        crate::model::load::model_from_str(FUZZ_MODEL, Path::new("fuzz-model.yaml"), base_dir())
            .expect("the fuzz model is valid")
    })
}

/// Experiment YAML against [`FUZZ_MODEL`]: parse, build, and when it builds, run one short
/// replication under an event budget and summarize it.
pub fn experiment_yaml(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(exp) = crate::model::load::experiment_from_str(
        text,
        &base_dir().join("fuzz-experiment.yaml"),
        fuzz_model().clone(),
        Some(FUZZ_K6),
    ) else {
        return;
    };
    let _ = crate::model::load::experiment_warnings(&exp);
    run_briefly(&exp);
}

/// Runs replication 0 of `exp` for at most [`FUZZ_MAX_EVENTS`] events and summarizes it.
pub fn run_briefly(exp: &crate::model::experiment::Experiment) {
    let budget = Budget {
        max_events: FUZZ_MAX_EVENTS,
        ..Budget::default()
    };
    if let Ok(r) = run_replication(exp, 0, budget) {
        let results = [r];
        let _ = crate::aggregate::summarize(exp, &results);
        let _ = crate::aggregate::time_series(exp, &results);
    }
}

/// A threshold: the first line is the metric key, the rest the expression.
pub fn threshold(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let (key, expr) = text.split_once('\n').unwrap_or((text, "p(95)<500"));
    let endpoints = ["GET /".to_string(), "POST /order".to_string()];
    if let Ok(t) = crate::model::threshold::parse_threshold(key, expr, &endpoints) {
        assert!(
            !t.value.is_nan(),
            "threshold {key:?} {expr:?} parsed to a NaN value"
        );
        let _ = t.passes(0.0);
        let _ = crate::model::threshold::required_percentiles(&[t]);
    }
}

/// A Go/k6 duration; an accepted one formats and parses back to the same value.
pub fn duration(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(ns) = crate::time::parse_duration(text) {
        let shown = crate::time::format_duration(ns);
        let back = crate::time::parse_duration(&shown)
            .unwrap_or_else(|e| panic!("{text:?} -> {ns} ns -> {shown:?} does not parse: {e}"));
        assert!(
            back.abs_diff(ns) <= 1 + ns / 1_000_000_000_000,
            "{text:?} -> {ns} ns -> {shown:?} -> {back} ns"
        );
    }
}

/// The JSON of `k6 inspect`: parse and validate its scenarios.
pub fn k6_options(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(options) = crate::workload::validate::parse_k6_options(text) {
        let _ = options.validated_scenarios();
    }
}
