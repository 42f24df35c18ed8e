//! k6's result formats in and out, through the built binary: every run writes
//! k6-summary.json in the shape of `k6 run --summary-export`.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn capsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run capsim")
}

use common::text;

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("k6_results")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The keys of an object, sorted (serde_json's map sorts them; the order in the file is
/// checked on the text).
fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// Whether `names` appear in this order in `raw`, starting at `from`.
fn in_order(raw: &str, from: &str, names: &[&str]) -> bool {
    let mut at = raw.find(from).unwrap();
    for n in names {
        match raw[at..].find(&format!("\"{n}\":")) {
            Some(i) => at += i,
            None => return false,
        }
    }
    true
}

/// The legacy export's shape (k6's `summary-wrapper.js`, `oldJSONSummary`): root_group with
/// object-valued groups and checks, flat metric values, Rate metrics as passes/fails/value,
/// thresholds `true` when failed; the values are summary.json's means.
#[test]
fn run_writes_k6_summary_export_with_the_means_of_summary_json() {
    let out = tmp("mm1");
    let o = capsim(&[
        "run",
        "experiments/mm1.yaml",
        "-n",
        "3",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.code().unwrap_or(9) <= 1, "{}", text(&o));
    let raw = std::fs::read_to_string(out.join("k6-summary.json")).unwrap();
    assert!(
        raw.starts_with("{\n    \"root_group\": {\n        \"name\": \"\""),
        "{raw}"
    );
    let k6: Value = serde_json::from_str(&raw).unwrap();
    let ours: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let mut top = keys(&k6);
    top.sort_unstable();
    assert_eq!(top, ["metrics", "root_group"]);
    let root = &k6["root_group"];
    assert_eq!(root["id"], "d41d8cd98f00b204e9800998ecf8427e");
    assert!(root["groups"].as_object().unwrap().is_empty());
    assert!(root["checks"].is_object());
    let m = &k6["metrics"];
    let mut trend = keys(&m["http_req_duration"]);
    trend.retain(|k| *k != "thresholds");
    assert_eq!(trend, ["avg", "max", "med", "min", "p(90)", "p(95)"]);
    let stats = ["avg", "min", "med", "max", "p(90)", "p(95)"];
    assert!(in_order(&raw, "\"http_req_duration\"", &stats), "{raw}");
    let close = |a: &Value, b: &Value| {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        // Same f64 through two serialisers: equal to the last printed digit.
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
    };
    let om = &ours["metrics"];
    for k in ["avg", "min", "med", "max", "p(90)", "p(95)"] {
        close(
            &m["http_req_duration"][k],
            &om["http_req_duration"][k]["mean"],
        );
    }
    close(&m["http_reqs"]["count"], &om["http_reqs"]["count"]["mean"]);
    close(&m["http_reqs"]["rate"], &om["http_reqs"]["rate"]["mean"]);
    assert!(in_order(
        &raw,
        "\"http_req_failed\"",
        &["passes", "fails", "value"]
    ));
    close(
        &m["http_req_failed"]["value"],
        &om["http_req_failed"]["rate"]["mean"],
    );
    // passes (failed requests) + fails (good ones) = requests, replication by replication,
    // so their means add up to the mean request count.
    let pf = m["http_req_failed"]["passes"].as_f64().unwrap()
        + m["http_req_failed"]["fails"].as_f64().unwrap();
    close(&Value::from(pf), &om["http_reqs"]["count"]["mean"]);
    assert_eq!(keys(&m["vus"]), ["max", "min", "value"]);
    assert!(in_order(&raw, "\"vus\"", &["value", "min", "max"]));
    assert_eq!(keys(&m["iterations"]), ["count", "rate"]);
    // Thresholds: the legacy export writes `true` for a FAILED threshold.
    for t in ours["thresholds"].as_array().unwrap() {
        let metric = t["metric"].as_str().unwrap();
        let expr = t["threshold"].as_str().unwrap();
        let failed = t["verdict"] != "pass";
        assert_eq!(m[metric]["thresholds"][expr], failed, "{metric} {expr}");
    }
}
