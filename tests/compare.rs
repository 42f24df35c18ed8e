//! `capsim compare` and `calibrate --observed` on k6's result files
//! (tests/fixtures/k6-results/README.md says where each shape comes from). Expected numbers
//! are computed by hand from the fixtures; tolerances are 1e-9 (rounding of decimal input).

mod common;

use capsim::spec::k6_result::{K6Shape, SeriesKey, read_k6_result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DIR: &str = "tests/fixtures/k6-results";

fn capsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run capsim")
}

use common::text;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR).join(name)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// The row of `series` and `stat` in compare's JSON.
fn row<'a>(j: &'a Value, series: &str, stat: &str) -> &'a Value {
    j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["series"] == series && r["stat"] == stat)
        .unwrap_or_else(|| panic!("no row {series} {stat} in {j}"))
}

fn json_of(args: &[&str]) -> (Option<i32>, Value) {
    let o = capsim(args);
    let j = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    (o.status.code(), j)
}

/// A summary export against five replications: bands by k6 interpolation over 5 values
/// (index 0.2 and 3.8), relative errors (predicted - observed) / observed.
#[test]
fn summary_export_against_replications_by_hand() {
    let (code, j) = json_of(&[
        "compare",
        &format!("{DIR}/run-export"),
        &format!("{DIR}/summary-export.json"),
        "--json",
    ]);
    assert_eq!(code, Some(1), "{j}");
    assert_eq!(j["shape"], "summary_export");
    assert_eq!(j["spread"]["count"], 5);
    // (series, stat, predicted mean, band lo, band hi, observed, inside)
    let expect = [
        ("http_req_duration", "avg", 120.0, 102.0, 138.0, 125.0, true),
        ("http_req_duration", "med", 100.0, 91.0, 109.0, 100.0, true),
        (
            "http_req_duration",
            "p(90)",
            200.0,
            182.0,
            218.0,
            230.0,
            false,
        ),
        (
            "http_req_duration",
            "p(95)",
            240.0,
            204.0,
            276.0,
            300.0,
            false,
        ),
        ("http_req_duration", "max", 600.0, 420.0, 780.0, 700.0, true),
        ("http_req_failed", "rate", 0.03, 0.012, 0.048, 0.02, true),
        ("http_reqs", "count", 1020.0, 1002.0, 1038.0, 1000.0, false),
        ("http_reqs", "rate", 10.2, 10.02, 10.38, 10.0, false),
        (
            "http_req_duration{name:GET /}",
            "avg",
            120.0,
            102.0,
            138.0,
            125.0,
            true,
        ),
    ];
    for (series, stat, mean, lo, hi, obs, inside) in expect {
        let r = row(&j, series, stat);
        let f = |k: &str| r[k].as_f64().unwrap();
        assert!(close(f("predicted"), mean), "{r}");
        assert!(close(r["band"][0].as_f64().unwrap(), lo), "{r}");
        assert!(close(r["band"][1].as_f64().unwrap(), hi), "{r}");
        assert!(close(f("observed"), obs), "{r}");
        assert!(close(f("relative_error"), (mean - obs) / obs), "{r}");
        assert_eq!(r["inside"], inside, "{r}");
    }
    assert_eq!(j["rows"].as_array().unwrap().len(), expect.len(), "{j}");
    assert_eq!(
        (j["inside"].as_u64(), j["outside"].as_u64()),
        (Some(5), Some(4))
    );
    assert_eq!(j["passed"], false);
    // Sub-metrics with other tags and metrics the run does not predict are named in notes.
    let notes = j["notes"].to_string();
    assert!(notes.contains("expected_response"), "{notes}");
    assert!(notes.contains("no prediction"), "{notes}");
    // The console table says the same.
    let o = capsim(&[
        "compare",
        &format!("{DIR}/run-export"),
        &format!("{DIR}/summary-export.json"),
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("verdict: FAIL, 4 of 9 observations outside"),
        "{t}"
    );
    assert!(t.contains("-20.0%"), "p(95) error (240-300)/300: {t}");
}

/// A CSV sample file: six requests whose statistics are computed by hand with k6's
/// percentile (linear interpolation at p(n-1)) and rates over the 10 s span of timestamps;
/// k6's default `name` (the URL) is matched to the model's `GET /` and `POST /api`.
#[test]
fn csv_samples_against_replications_by_hand() {
    let (code, j) = json_of(&[
        "compare",
        &format!("{DIR}/run-samples"),
        &format!("{DIR}/samples.csv"),
        "--json",
    ]);
    assert_eq!(code, Some(0), "{j}");
    assert_eq!(j["shape"], "csv_samples");
    // Durations 10, 20, 30, 40, 50, 60 ms: avg 35, med at index 2.5 -> 35, p(90) at 4.5 ->
    // 55, p(95) at 4.75 -> 57.5. GET /: 10..40: p(90) at 2.7 -> 37, p(95) at 2.85 -> 38.5.
    let expect = [
        ("http_req_duration", "avg", 35.0),
        ("http_req_duration", "med", 35.0),
        ("http_req_duration", "p(90)", 55.0),
        ("http_req_duration", "p(95)", 57.5),
        ("http_req_duration", "max", 60.0),
        ("http_req_failed", "rate", 1.0 / 6.0),
        ("http_reqs", "count", 6.0),
        ("http_reqs", "rate", 0.6),
        ("iterations", "count", 3.0),
        ("checks", "rate", 2.0 / 3.0),
        ("vus", "max", 2.0),
        ("vus_max", "value", 5.0),
        ("http_req_duration{name:GET /}", "p(90)", 37.0),
        ("http_req_duration{name:GET /}", "p(95)", 38.5),
        ("http_reqs{name:GET /}", "count", 4.0),
        ("http_req_duration{name:POST /api}", "avg", 55.0),
        ("http_req_failed{name:POST /api}", "rate", 0.5),
        ("http_reqs{status:200}", "count", 5.0),
        ("http_reqs{status:503}", "count", 1.0),
        ("http_reqs{status:503}", "rate", 0.1),
    ];
    for (series, stat, obs) in expect {
        let r = row(&j, series, stat);
        assert!(close(r["observed"].as_f64().unwrap(), obs), "{r}");
        // The fixture predicts 1.05 x the observation with a band of +-0.18 x.
        assert!(close(r["predicted"].as_f64().unwrap(), 1.05 * obs), "{r}");
        assert!(close(r["relative_error"].as_f64().unwrap(), 0.05), "{r}");
        assert_eq!(r["inside"], true, "{r}");
    }
    assert_eq!(
        row(&j, "http_reqs{name:GET /}", "count")["observed_as"],
        "http://localhost:8080/"
    );
    // A status the run predicts none of (504: all zero) is not listed.
    assert!(
        j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["series"] != "http_reqs{status:504}")
    );
    assert_eq!(j["passed"], true);
    assert_eq!(j["outside"], 0);
}

/// `--out json` holds the same samples as the CSV file and reads to the same values.
#[test]
fn ndjson_samples_read_as_the_csv_samples() {
    let csv = read_k6_result(&fixture("samples.csv")).unwrap();
    let nd = read_k6_result(&fixture("samples.ndjson")).unwrap();
    assert_eq!(csv.shape, K6Shape::CsvSamples);
    assert_eq!(nd.shape, K6Shape::JsonSamples);
    assert_eq!(csv.values, nd.values);
    assert_eq!(csv.duration_s, Some(10.0));
    assert_eq!(nd.duration_s, Some(10.0));
    let it = SeriesKey::overall("iteration_duration");
    // Iterations of 102, 106 and 109 ms.
    assert!(close(nd.get(&it, "avg").unwrap(), 317.0 / 3.0));
    assert_eq!(nd.name_hints["http://localhost:8080/api"].method, "POST");
    assert_eq!(nd.name_hints["http://localhost:8080/api"].path, "/api");
    // Not compared: absent.
    assert!(nd.values.keys().all(|k| k.metric != "http_req_waiting"));
}

/// handleSummary's data object: `values` per metric, state's test duration.
#[test]
fn handle_summary_object_is_read() {
    let o = read_k6_result(&fixture("handle-summary.json")).unwrap();
    assert_eq!(o.shape, K6Shape::HandleSummary);
    assert!(close(o.duration_s.unwrap(), 3.202209762));
    let d = SeriesKey::overall("http_req_duration");
    assert_eq!(o.get(&d, "p(95)"), Some(201.63));
    assert_eq!(
        o.get(&SeriesKey::overall("http_req_failed"), "rate"),
        Some(0.0)
    );
    assert_eq!(
        o.get(&SeriesKey::overall("dropped_iterations"), "count"),
        Some(36.0)
    );
    assert_eq!(o.get(&SeriesKey::overall("vus_max"), "value"), Some(2.0));
    // The legacy export's Rate `value` reads as `rate`.
    let e = read_k6_result(&fixture("summary-export.json")).unwrap();
    assert_eq!(e.shape, K6Shape::SummaryExport);
    assert_eq!(e.get(&SeriesKey::overall("checks"), "rate"), Some(0.98));
    assert_eq!(
        e.get(
            &SeriesKey::tagged("http_req_duration", "name", "GET /"),
            "avg"
        ),
        Some(125.0)
    );
}

/// A run folder from before replications.csv: summary.json's 95 % intervals, with a note.
#[test]
fn older_run_folders_compare_against_the_interval_of_the_mean() {
    let (code, j) = json_of(&[
        "compare",
        &format!("{DIR}/run-old"),
        &format!("{DIR}/summary-export.json"),
        "--json",
    ]);
    assert_eq!(code, Some(1), "{j}");
    assert_eq!(j["spread"]["kind"], "mean_interval");
    let r = row(&j, "http_req_duration", "avg");
    assert_eq!(r["band"], serde_json::json!([110.0, 130.0]));
    assert_eq!(r["inside"], true);
    assert_eq!(row(&j, "http_req_duration", "p(95)")["inside"], false);
    assert!(
        j["notes"].to_string().contains("no replications.csv"),
        "{j}"
    );
}

/// Bad input exits 2 with a bounded message that says what is read.
#[test]
fn refusals() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compare_refusals");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = tmp.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    };
    let run = format!("{DIR}/run-export");
    let secret = "x".repeat(5000);
    let cases: Vec<(String, &str)> = vec![
        (format!("{DIR}/not-k6.yaml"), "--summary-export"),
        (write("gz.json.gz", b"\x1f\x8b\x08\x00rest"), "gunzip"),
        (write("arr.json", b"[1, 2]"), "--out csv"),
        (write("nometrics.json", b"{\"root_group\": {}}"), "without a `metrics` object"),
        (
            write("bad.ndjson", format!("{{\"type\":\"Point\",\"metric\":\"http_reqs\",\"data\":{{\"time\":\"2024-01-01T00:00:00Z\",\"value\":1}}}}\n{{\"type\":\"Bogus{secret}\"}}\n").as_bytes()),
            "line 2",
        ),
        (
            write("bad.csv", b"metric_name,timestamp,metric_value\nhttp_reqs,1700000000,one\n"),
            "line 2: metric_value `one` is not a number",
        ),
        (write("empty.csv", b"metric_name,timestamp,metric_value\n"), "no samples"),
        (
            write("other.csv", b"metric_name,time,value\nhttp_reqs,1,1\n"),
            "lacks `metric_name`, `timestamp` or `metric_value`",
        ),
        (tmp.join("missing.json").to_str().unwrap().to_string(), "cannot read"),
    ];
    for (file, want) in &cases {
        let o = capsim(&["compare", &run, file]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{file}: {t}");
        assert!(t.contains(want), "{file}: want `{want}` in {t}");
        assert!(t.len() < 1500, "bounded message: {t}");
    }
    // The run folder: missing files, not a folder.
    let o = capsim(&[
        "compare",
        tmp.to_str().unwrap(),
        &format!("{DIR}/samples.csv"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("neither replications.csv nor summary.json"),
        "{}",
        text(&o)
    );
    let o = capsim(&[
        "compare",
        &format!("{DIR}/samples.csv"),
        &format!("{DIR}/samples.csv"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("not a folder"), "{}", text(&o));
    // A replications.csv symlinked out of its run folder is refused.
    #[cfg(unix)]
    {
        let d = tmp.join("linked");
        std::fs::create_dir_all(&d).unwrap();
        let outside = std::env::temp_dir().join("capsim-compare-outside.csv");
        std::fs::write(&outside, "replication\n0\n").unwrap();
        let _ = std::os::unix::fs::symlink(&outside, d.join("replications.csv"));
        let o = capsim(&[
            "compare",
            d.to_str().unwrap(),
            &format!("{DIR}/samples.csv"),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    }
}

/// `capsim run` writes replications.csv (one row per replication) that compare reads; the
/// run's own k6-summary.json (the means) compares inside the band for the trend means.
#[test]
fn run_writes_replications_csv_that_compare_reads() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compare_mm1");
    let _ = std::fs::remove_dir_all(&out);
    let o = capsim(&[
        "run",
        "experiments/mm1.yaml",
        "-n",
        "4",
        "--no-plots",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.code().unwrap_or(9) <= 1, "{}", text(&o));
    let csv = std::fs::read_to_string(out.join("replications.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "header and 4 replications: {csv}");
    assert!(
        lines[0].starts_with("replication,http_req_duration.avg,"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("http_reqs{status:200}.count"),
        "{}",
        lines[0]
    );
    let (_, j) = json_of(&[
        "compare",
        out.to_str().unwrap(),
        out.join("k6-summary.json").to_str().unwrap(),
        "--json",
    ]);
    // The mean of 4 values lies between their 5 % and 95 % quantiles.
    assert_eq!(row(&j, "http_req_duration", "avg")["inside"], true, "{j}");
    assert!(close(
        row(&j, "http_req_duration", "avg")["relative_error"]
            .as_f64()
            .unwrap(),
        0.0
    ));
}

/// `calibrate --observed` takes its targets from the k6 file; a bare `--target METRIC` reads
/// its value there, and a metric the file lacks is refused with what it has.
#[test]
fn calibrate_takes_targets_from_a_k6_result() {
    let obs = read_k6_result(&fixture("summary-export.json")).unwrap();
    let (t, notes) = capsim::planning::calibrate::observed_targets(&obs, &[]).unwrap();
    let got: Vec<(String, f64)> = t.iter().map(|t| (t.metric.clone(), t.value)).collect();
    assert_eq!(
        got,
        [
            ("http_req_duration.avg".to_string(), 125.0),
            ("http_req_duration.p(95)".to_string(), 300.0),
            ("http_req_failed.rate".to_string(), 0.02),
        ]
    );
    assert!(notes.is_empty(), "{notes:?}");
    let (t, _) = capsim::planning::calibrate::observed_targets(
        &obs,
        &["p95".to_string(), "http_reqs.rate=12".to_string()],
    )
    .unwrap();
    assert_eq!(
        (t[0].metric.as_str(), t[0].value),
        ("http_req_duration.p(95)", 300.0)
    );
    assert_eq!((t[1].metric.as_str(), t[1].value), ("http_reqs.rate", 12.0));
    let e = capsim::planning::calibrate::observed_targets(&obs, &["iteration_duration.avg".into()])
        .unwrap_err();
    assert!(
        e.contains("has no such value") && e.contains("http_req_duration.p(95)"),
        "{e}"
    );
    // handleSummary with a zero failure rate: skipped with a note.
    let hs = read_k6_result(&fixture("handle-summary.json")).unwrap();
    let (t, notes) = capsim::planning::calibrate::observed_targets(&hs, &[]).unwrap();
    assert_eq!(t.len(), 2);
    assert!(notes[0].contains("observed as 0"), "{notes:?}");
    // Through the binary: an unreadable observed file is bad input.
    let o = capsim(&[
        "calibrate",
        "experiments/mm1.yaml",
        "--param",
        "model.services.server.workers=1..4",
        "--observed",
        &format!("{DIR}/not-k6.yaml"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--summary-export"), "{}", text(&o));
}
