//! The CI gate through the built binary: exit codes, reports, overrides, paired comparisons,
//! sequential stopping, sweeps and shards that merge byte for byte.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn capsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run capsim")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

use common::text;

fn tmp(name: &str) -> PathBuf {
    // Inside the work tree, wherever the target dir is: the experiments written here name
    // the repository's models, which confinement allows only within the same project.
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-tmp/gate")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn check_passes_with_exit_0() {
    let o = capsim(&["check", "experiments/mm1.yaml"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("PASS: all 2 threshold(s)"), "{t}");
    // The experiment asks for 4; check doubles while a threshold is undecided: p(95) is
    // decided by its values at 8, the error rate (0 everywhere) by the pooled counts.
    assert!(
        t.contains("stopped because every threshold is decided"),
        "{t}"
    );
    assert!(t.contains("replications: 8 used (started at 4"), "{t}");
}

#[test]
fn check_fails_with_exit_1_and_says_why() {
    let o = capsim(&[
        "check",
        "experiments/mm1.yaml",
        "-n",
        "10",
        "--max-replications",
        "10",
        "--set",
        "scenarios.open.rate=85",
    ]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("FAIL    http_req_duration p(95)<80"), "{t}");
    assert!(t.contains("passed in 0 of 10"), "{t}");
}

#[test]
fn a_4x_margin_is_decided_with_the_default_8_replications() {
    // p(95) of M/M/1 at rho 0.5 is ~60 ms; the bound is 5x that. The count alone (8 of 8)
    // cannot show 0.9; the values can, and check stops at 8.
    let d = tmp("margin");
    let exp = d.join("e.yaml");
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/mm1.yaml");
    std::fs::write(
        &exp,
        format!(
            "model: {}\nseed: 7\nreplications: 8\nflow:\n  - request: {{endpoint: \"GET /\"}}\nscenarios:\n  open: {{executor: poisson-arrival-rate, rate: 50, timeUnit: 1s, duration: 2m, preAllocatedVUs: 100, maxVUs: 1000}}\nthresholds:\n  http_req_duration: [\"p(95)<300\"]\n",
            model.display()
        ),
    )
    .unwrap();
    let o = capsim(&["check", s(&exp)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("replications: 8 used (started at 8"), "{t}");
    // The row's last column: the rule that decided.
    assert!(t.contains(" values\n"), "{t}");
}

#[test]
fn undecided_fails_the_gate() {
    // 1 replication and no more: no rule can show 0.9 (the count's 1 of 1, no values
    // rule below 5 replications, no pooled rule below 2).
    let o = capsim(&[
        "check",
        "experiments/mm1.yaml",
        "-n",
        "1",
        "--max-replications",
        "1",
    ]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("UNDECIDED"), "{}", text(&o));
    assert!(text(&o).contains("not shown to pass"), "{}", text(&o));
    assert!(text(&o).contains("stopped at the cap"), "{}", text(&o));
}

#[test]
fn bad_input_exits_2() {
    // Unknown override path: named, with the nearest key.
    let o = capsim(&[
        "check",
        "experiments/mm1.yaml",
        "--set",
        "scenarios.open.rat=85",
    ]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("scenarios.open.rat"), "{}", text(&o));
    assert!(text(&o).contains("nearest: `rate`"), "{}", text(&o));
    let o = capsim(&[
        "check",
        "experiments/mm1.yaml",
        "--set",
        "servics.server.workers=2",
    ]);
    assert_eq!(code(&o), 2);
    assert!(text(&o).contains("did you mean `services`"), "{}", text(&o));
    let o = capsim(&[
        "run",
        "experiments/autoscaling-demo.yaml",
        "--set",
        "hpa.web-hpx.spec.maxReplicas=3",
    ]);
    assert_eq!(code(&o), 2);
    assert!(text(&o).contains("did you mean `web-hpa`"), "{}", text(&o));
    let o = capsim(&["check", "no/such/file.yaml"]);
    assert_eq!(code(&o), 2);
    let o = capsim(&["check", "experiments/mm1.yaml", "--level", "1.5"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn threshold_parse_errors_exit_2_with_location() {
    let d = tmp("bad-threshold");
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/mm1.yaml");
    for (expr, want) in [
        ("p(95)<<80", "not a number"),
        ("p95<80", "unknown aggregation"),
        ("rate<0.01", "allows"),
        ("p(95)", "no operator"),
    ] {
        let exp = d.join("e.yaml");
        std::fs::write(
            &exp,
            format!(
                "model: {}\nflow:\n  - request: {{endpoint: \"GET /\"}}\nscenarios:\n  s: {{executor: constant-vus, vus: 1, duration: 1s}}\nthresholds:\n  http_req_duration: [\"{expr}\"]\n",
                model.display()
            ),
        )
        .unwrap();
        let o = capsim(&["check", s(&exp)]);
        assert_eq!(code(&o), 2, "{expr}: {}", text(&o));
        let t = text(&o);
        assert!(
            t.contains("e.yaml") && t.contains("thresholds"),
            "{expr}: {t}"
        );
        assert!(t.contains(want), "{expr}: {t}");
    }
}

/// A tiny well-formedness check: tags balance and nest; returns the element names seen.
fn xml_elements(xml: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        let j = rest[i..].find('>').expect("unclosed tag") + i;
        let tag = &rest[i + 1..j];
        rest = &rest[j + 1..];
        if tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else {
            let name = tag.split_whitespace().next().unwrap().trim_end_matches('/');
            seen.push(name.to_string());
            if !tag.ends_with('/') {
                stack.push(name.to_string());
            }
        }
        assert!(!tag.contains('<'), "`<` inside a tag");
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    seen
}

#[test]
fn junit_and_markdown_reports() {
    let d = tmp("junit");
    let (j, m) = (d.join("check.xml"), d.join("summary.md"));
    let o = capsim(&[
        "check",
        "experiments/mm1.yaml",
        "-n",
        "10",
        "--max-replications",
        "10",
        "--set",
        "scenarios.open.rate=85",
        "--junit",
        s(&j),
        "--markdown",
        s(&m),
        "-q",
    ]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    let xml = std::fs::read_to_string(&j).unwrap();
    let elems = xml_elements(&xml);
    assert_eq!(elems.iter().filter(|e| *e == "testcase").count(), 2);
    // The zero-error rate threshold passes by the pooled counts: one failure.
    assert_eq!(elems.iter().filter(|e| *e == "failure").count(), 1);
    assert!(
        xml.contains("name=\"http_req_duration: p(95)&lt;80\""),
        "{xml}"
    );
    assert!(xml.contains("P(pass) = 0.000"), "{xml}");
    let md = std::fs::read_to_string(&m).unwrap();
    assert!(
        md.contains("| ❌ fail | `http_req_duration` | `p(95)<80` |"),
        "{md}"
    );
    // JSON too.
    let o = capsim(&[
        "check",
        "experiments/mm1.yaml",
        "-n",
        "10",
        "--max-replications",
        "10",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["thresholds"].as_array().unwrap().len(), 2);
    // p(95) ~60 ms against 80: the values decide what 10 of 10 could not; the error
    // rate (0 everywhere, at its bound) is decided by the pooled counts.
    assert_eq!(v["thresholds"][0]["verdict"], "pass");
    assert_eq!(v["thresholds"][0]["decided_by"], "values");
    assert_eq!(v["thresholds"][1]["verdict"], "pass");
    assert_eq!(v["thresholds"][1]["decided_by"], "pooled");
    assert!(
        v["thresholds"][1]["values_not_used"]
            .as_str()
            .unwrap()
            .contains("bound")
    );
}

#[test]
fn paired_interval_is_narrower_than_unpaired() {
    let o = capsim(&[
        "diff",
        "experiments/mm1.yaml",
        "--set",
        "scenarios.open.rate=60",
        "-n",
        "12",
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v["metrics"].as_array().unwrap();
    let mut compared = 0;
    for name in [
        "http_req_duration.p(95)",
        "http_req_duration.avg",
        "http_reqs.rate",
    ] {
        let r = rows.iter().find(|r| r["metric"] == name).unwrap();
        let w = |x: &serde_json::Value| x[1].as_f64().unwrap() - x[0].as_f64().unwrap();
        let paired = w(&r["paired"]["ci95"]);
        let unpaired = w(&r["unpaired_ci95"]);
        assert!(r["paired"]["mean"].as_f64().unwrap() > 0.0, "{name}");
        assert!(
            paired < unpaired,
            "{name}: paired {paired} vs unpaired {unpaired}"
        );
        compared += 1;
    }
    assert_eq!(compared, 3);
}

#[test]
fn four_shards_merge_to_one_run_byte_for_byte() {
    let d = tmp("shards");
    let one = d.join("one");
    let o = capsim(&[
        "run",
        "experiments/autoscaling-demo.yaml",
        "-n",
        "6",
        "-o",
        s(&one),
        "-q",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let mut parts = Vec::new();
    for k in 1..=4 {
        let p = d.join(format!("part{k}"));
        let o = capsim(&[
            "run",
            "experiments/autoscaling-demo.yaml",
            "-n",
            "6",
            "-o",
            s(&p),
            "--shard",
            &format!("{k}/4"),
            "-q",
        ]);
        assert_eq!(code(&o), 0, "{}", text(&o));
        parts.push(p);
    }
    let merged = d.join("merged");
    let mut args = vec!["merge"];
    // Any order.
    for p in parts.iter().rev() {
        args.push(s(p));
    }
    args.extend(["-o", s(&merged), "-q"]);
    let o = capsim(&args);
    assert_eq!(code(&o), 0, "{}", text(&o));
    for f in ["summary.json", "timeseries.csv"] {
        assert!(
            std::fs::read(one.join(f)).unwrap() == std::fs::read(merged.join(f)).unwrap(),
            "{f} differs"
        );
    }
    // A missing shard is refused.
    let o = capsim(&["merge", s(&parts[0]), s(&parts[1]), "-o", s(&d.join("x"))]);
    assert_eq!(code(&o), 2);
    assert!(text(&o).contains("missing 3/4, 4/4"), "{}", text(&o));
}

#[test]
fn sequential_stopping_meets_its_precision() {
    let d = tmp("precision");
    let o = capsim(&[
        "run",
        "experiments/mm1.yaml",
        "--precision",
        "http_req_duration.p(95)=0.01",
        "-o",
        s(&d),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("precision reached"), "{}", text(&o));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("summary.json")).unwrap()).unwrap();
    let p95 = &v["metrics"]["http_req_duration"]["p(95)"];
    let mean = p95["mean"].as_f64().unwrap();
    let ci = p95["ci95"].as_array().unwrap();
    let half = (ci[1].as_f64().unwrap() - ci[0].as_f64().unwrap()) / 2.0;
    assert!(half / mean <= 0.01, "{}", half / mean);
    assert!(v["replications"].as_u64().unwrap() > 4);
    // The cap stops it first, and says so.
    let o = capsim(&[
        "run",
        "experiments/mm1.yaml",
        "--precision",
        "p95=0.0005",
        "--max-replications",
        "6",
    ]);
    assert!(
        text(&o).contains("stopped by the cap --max-replications 6"),
        "{}",
        text(&o)
    );
}

fn p95_of(dir: &Path) -> f64 {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    v["metrics"]["http_req_duration"]["p(95)"]["mean"]
        .as_f64()
        .unwrap()
}

#[test]
fn overrides_change_the_result() {
    let d = tmp("overrides");
    let (a, b, c) = (d.join("a"), d.join("b"), d.join("c"));
    capsim(&["run", "experiments/mm1.yaml", "-o", s(&a), "-q"]);
    capsim(&[
        "run",
        "experiments/mm1.yaml",
        "-o",
        s(&b),
        "-q",
        "--set",
        "scenarios.open.rate=70",
    ]);
    capsim(&[
        "run",
        "experiments/mm1.yaml",
        "-o",
        s(&c),
        "-q",
        "--set",
        "model.services.server.workers=2",
    ]);
    let (pa, pb, pc) = (p95_of(&a), p95_of(&b), p95_of(&c));
    assert!(pb > pa * 1.5, "{pa} {pb}");
    assert!(pc < pa * 0.8, "{pa} {pc}");
    // A quoted key holding a space and a slash.
    let o = capsim(&[
        "run",
        "experiments/mm1.yaml",
        "-q",
        "--set",
        "endpoints.\"GET /\".service=servr",
    ]);
    assert_eq!(code(&o), 2);
    assert!(text(&o).contains("server"), "{}", text(&o));
}

#[test]
fn hpa_override_changes_cost() {
    let d = tmp("hpa");
    let o = capsim(&[
        "diff",
        "experiments/autoscaling-demo.yaml",
        "-n",
        "3",
        "--set",
        "hpa.web-hpa.spec.behavior.scaleDown.stabilizationWindowSeconds=60",
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cost = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "cost.total_usd")
        .unwrap();
    assert!(cost["paired"]["mean"].as_f64().unwrap() < 0.0, "{cost}");
    let _ = d;
}

#[test]
fn sweep_writes_pareto_table_and_shards_merge() {
    let d = tmp("sweep");
    let grid = [
        "--grid",
        "services.server.workers=1,2",
        "--grid",
        "scenarios.open.rate=50,90",
    ];
    let whole = d.join("whole");
    let mut args = vec![
        "sweep",
        "experiments/mm1.yaml",
        "-n",
        "4",
        "-q",
        "-o",
        s(&whole),
    ];
    args.extend(grid);
    let o = capsim(&args);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let csv = std::fs::read_to_string(whole.join("sweep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        lines[0].starts_with("point,services.server.workers,scenarios.open.rate,replications,")
    );
    assert!(lines[0].ends_with(",slo_attainment,slo_attainment_lo,slo_attainment_hi,pareto"));
    assert!(lines.iter().skip(1).any(|l| l.ends_with(",true")));
    let mut parts = Vec::new();
    for k in 1..=3 {
        let p = d.join(format!("p{k}"));
        let shard = format!("{k}/3");
        let mut args = vec![
            "sweep",
            "experiments/mm1.yaml",
            "-n",
            "4",
            "-q",
            "-o",
            s(&p),
            "--shard",
            &shard,
        ];
        args.extend(grid);
        assert_eq!(code(&capsim(&args)), 0);
        parts.push(p);
    }
    let merged = d.join("merged");
    let o = capsim(&[
        "merge",
        s(&parts[0]),
        s(&parts[1]),
        s(&parts[2]),
        "-o",
        s(&merged),
        "-q",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(merged.join("sweep.csv")).unwrap(),
        csv
    );
}

#[test]
fn alert_rules_are_summarized() {
    let d = tmp("alerts");
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/mm1.yaml");
    let exp = d.join("alerts.yaml");
    std::fs::write(
        &exp,
        format!(
            "model: {}\nreplications: 4\nflow:\n  - request: {{endpoint: \"GET /\"}}\nscenarios:\n  s: {{executor: constant-arrival-rate, rate: 95, timeUnit: 1s, duration: 2m, preAllocatedVUs: 200}}\nthresholds:\n  http_req_duration: [\"p(95)<80\"]\nalerts:\n  - {{name: Slow, metric: p95_ms, op: \">\", threshold: 100, for: 20s, severity: critical}}\n  - {{name: Never, metric: error_rate, op: \">\", threshold: 0.5}}\n",
            model.display()
        ),
    )
    .unwrap();
    let out = d.join("out");
    let o = capsim(&["run", s(&exp), "-o", s(&out)]);
    let t = text(&o);
    assert!(t.contains("[critical] Slow"), "{t}");
    assert!(t.contains("fires in 4 of 4"), "{t}");
    assert!(
        t.contains("Never (error_rate > 0.5 for 0s): fires in 0 of 4"),
        "{t}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("alerts.json")).unwrap()).unwrap();
    assert!(v[0]["earliest_s"].as_f64().unwrap() >= 20.0);
    // A metric that is not a time-series column is bad input.
    let bad = std::fs::read_to_string(&exp)
        .unwrap()
        .replace("metric: p95_ms", "metric: p95");
    std::fs::write(&exp, bad).unwrap();
    let o = capsim(&["run", s(&exp)]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("alerts[0].metric"), "{}", text(&o));
}

/// `run --out` ends by saying how many files it wrote and which one to open next, and the
/// count is the folder's (issue 16: it used to name two files of 20-odd).
#[test]
fn run_says_what_it_wrote_and_what_to_open() {
    let dir = tmp("run-wrote");
    let out = dir.join("mm1");
    let o = capsim(&["run", "experiments/mm1.yaml", "-n", "1", "--out", s(&out)]);
    assert!(code(&o) <= 1, "{}", text(&o));
    // Every file but the hidden `.capsim` marker of a capsim output folder.
    let files = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            !e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    let said = format!("wrote {files} files to {}", out.display());
    assert!(text(&o).contains(&said), "want `{said}` in:\n{}", text(&o));
    assert!(
        text(&o).contains(&format!("open {}", out.join("report.html").display())),
        "{}",
        text(&o)
    );
}
