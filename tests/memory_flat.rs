//! Memory flat in replications (issues 11 and 14): `capsim run` folds each replication's
//! time buckets and latency distributions into running bands as it finishes and keeps a
//! compact result, so what it holds stops growing at the bands' exact cap. Checked three
//! ways: the folded outputs are the same bytes as the whole-results ones (up to the cap)
//! and for any thread count (past it); the folds' own byte accounting does not depend on
//! the replication count; and a run whose whole results would need about 2 GB finishes
//! under a hard 1 GiB address-space limit. Last, the bands past the cap: P-square against
//! the exact quantiles.

mod common;

use capsim::aggregate::{latency_distribution, series_columns, summarize, time_series};
use capsim::engine::Budget;
use capsim::engine::memory::fold_bytes;
use capsim::model::experiment::Experiment;
use capsim::model::load::load_experiment;
use capsim::replicate::{Folded, RunPlan, run_folded, run_replications};
use capsim::report::files::{latency_csv, summary_json, timeseries_csv};
use capsim::stats::band_fold::{BandCell, EXACT_CAP};
use capsim::stats::interval::{Band, band, quantile};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn load(name: &str, replications: u32) -> Experiment {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/theory")
        .join(name);
    let mut exp = load_experiment(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    exp.replications = replications;
    exp
}

fn plan(exp: &Experiment, threads: usize) -> RunPlan {
    RunPlan {
        indices: 0..exp.replications,
        threads: Some(threads),
        budget: Budget::default(),
    }
}

fn folded(exp: &Experiment, threads: usize) -> Folded {
    run_folded(exp, &plan(exp, threads), false, &|_| {}).expect("replications run")
}

/// summary.json, timeseries.csv and latency.csv of a folded run.
fn outputs(exp: &Experiment, f: &Folded) -> [Vec<u8>; 3] {
    [
        summary_json(&summarize(exp, &f.results)),
        timeseries_csv(&series_columns(exp), &f.series.rows(exp)),
        latency_csv(&f.distribution.rows(exp)),
    ]
}

/// Up to the exact cap, folding as replications finish and dropping their buckets gives
/// the same bytes as keeping every whole result and aggregating at the end (the path
/// `merge` and the gate commands still take).
#[test]
fn folded_outputs_equal_whole_results_up_to_the_cap() {
    let exp = load("determinism.yaml", 20);
    let whole = run_replications(&exp, &plan(&exp, 2), &|_| {}).expect("replications run");
    let want = [
        summary_json(&summarize(&exp, &whole)),
        timeseries_csv(&series_columns(&exp), &time_series(&exp, &whole)),
        latency_csv(&latency_distribution(&exp, &whole)),
    ];
    let f = folded(&exp, 2);
    assert!(f.results.iter().all(|r| r.buckets.is_empty()));
    let got = outputs(&exp, &f);
    for (k, name) in ["summary.json", "timeseries.csv", "latency.csv"]
        .iter()
        .enumerate()
    {
        assert!(got[k] == want[k], "{name} differs between folded and whole");
    }
}

/// Past the cap (P-square estimates), results are still folded in replication index order:
/// the same bytes for 1, 2 and 4 worker threads.
#[test]
fn folded_outputs_do_not_depend_on_threads() {
    let exp = load("determinism.yaml", 3 * EXACT_CAP as u32 / 2);
    let one = outputs(&exp, &folded(&exp, 1));
    for threads in [2, 4] {
        let many = outputs(&exp, &folded(&exp, threads));
        for (k, name) in ["summary.json", "timeseries.csv", "latency.csv"]
            .iter()
            .enumerate()
        {
            assert!(
                one[k] == many[k],
                "{name} differs between 1 and {threads} threads"
            );
        }
    }
}

/// What a folded run retains: the bands' bytes are the same after 80 and after 200
/// replications (both past the cap) and within the estimate the memory budget uses; each
/// kept result has dropped its buckets and distributions.
#[test]
fn retained_state_does_not_grow_with_replications() {
    let mut sizes = Vec::new();
    for n in [80, 200] {
        let exp = load("determinism.yaml", n);
        let f = folded(&exp, 2);
        assert_eq!(f.results.len(), n as usize);
        for r in &f.results {
            assert_eq!(r.buckets.capacity(), 0);
            assert!(r.endpoints.iter().all(|e| e.distribution.capacity() == 0));
            assert!(r.digest.as_ref().is_some_and(|d| d.rows.is_empty()));
        }
        let bands = f.series.bytes() + f.distribution.bytes();
        let bound = fold_bytes(&exp, n as u64);
        assert!(bands as u64 <= bound, "{bands} > estimate {bound}");
        sizes.push(bands);
    }
    assert_eq!(sizes[0], sizes[1], "the bands grew with replications");
}

const MODEL: &str = r#"name: shop
endpoints:
  "GET /": {service: web, operation: index}
services:
  web:
    replicas: 1
    workers: 4
    operations:
      index:
        - work: {exponential: {mean: 10ms}}
"#;

/// 1,000 replications of 6,001 buckets (10 min at 100 ms): whole results took about 2 GB
/// (rows of five per-station arrays each), so the run aborted ("memory allocation
/// failed") under a 1 GiB address-space limit; folded, it needs a few tens of MB. The limit is hard
/// (`prlimit --as`), so a regression fails here instead of taking the machine down.
#[test]
fn a_thousand_replications_of_many_buckets_run_under_a_hard_limit() {
    let dir = std::env::temp_dir().join(format!("capsim-memory-flat-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.yaml"), MODEL).unwrap();
    std::fs::write(
        dir.join("exp.yaml"),
        "model: model.yaml\nreplications: 1000\nbucket: 100ms\nflow:\n  - request: {endpoint: \"GET /\"}\n  - sleep: {constant: 1s}\nscenarios:\n  load: {executor: constant-vus, vus: 2, duration: 10m}\n",
    )
    .unwrap();
    let (code, out, err) = capsim_limited(
        &dir,
        &[
            "run",
            "-q",
            "-t",
            "2",
            "--no-plots",
            "-o",
            "out",
            "exp.yaml",
        ],
    );
    let series = std::fs::read_to_string(dir.join("out/timeseries.csv")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(
        series.lines().count(),
        1 + 6001,
        "a header and one row per bucket"
    );
}

/// Runs capsim in `dir` under a hard 1 GiB address-space limit and a 120 s guard.
fn capsim_limited(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let child = Command::new("prlimit")
        .arg(format!("--as={}", 1u64 << 30))
        .arg(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start capsim under prlimit");
    let (code, out, err, _) =
        common::wait_bounded(child, Duration::from_secs(120), &format!("capsim {args:?}"));
    (code, out, err)
}

// ------------------------------------------------ the bands past the cap (P-square)

/// A deterministic normal-looking sample (sum of 12 uniforms from an LCG, minus 6).
fn sample(n: usize, seed: u64) -> Vec<f64> {
    let mut x = seed;
    let mut uniform = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| (0..12).map(|_| uniform()).sum::<f64>() - 6.0)
        .collect()
}

#[test]
fn exact_up_to_the_cap() {
    let v = sample(EXACT_CAP, 1);
    let mut cell = BandCell::default();
    for (i, &x) in v.iter().enumerate() {
        cell.push(x);
        if i == 3 {
            cell.push(f64::NAN);
        }
    }
    assert!(cell.is_exact());
    assert_eq!(cell.band(), band(&v));
}

/// P-square past the cap: within 0.1 standard deviations of the exact 5% and 95%
/// quantiles of 1,000 and 10,000 standard-normal values (measured: at most 0.016 and
/// 0.074, the latter on the third sample), and the mean within 1e-9 of the exact mean (only the summation
/// order differs). The exact 5% quantile's own sampling error at n = 1,000 is about
/// 0.067 (sqrt(p(1-p)/n) / density), so the estimate's error is of the order of the
/// replications' own noise in the band.
#[test]
fn p_square_tracks_the_exact_quantiles() {
    for (n, seed) in [(1_000, 7), (10_000, 11), (1_000, 13)] {
        let v = sample(n, seed);
        let mut cell = BandCell::default();
        v.iter().for_each(|&x| cell.push(x));
        assert!(!cell.is_exact());
        let b = cell.band();
        let exact = band(&v);
        assert!((b.mean - exact.mean).abs() < 1e-9, "{b:?} {exact:?}");
        assert!(
            (b.p5 - quantile(&v, 0.05)).abs() < 0.1,
            "{n}: {b:?} {exact:?}"
        );
        assert!(
            (b.p95 - quantile(&v, 0.95)).abs() < 0.1,
            "{n}: {b:?} {exact:?}"
        );
    }
}

/// A constant cell stays exactly constant; sorted input (the worst order) stays close.
#[test]
fn p_square_edge_orders() {
    let mut cell = BandCell::default();
    (0..500).for_each(|_| cell.push(3.5));
    assert_eq!(
        cell.band(),
        Band {
            mean: 3.5,
            p5: 3.5,
            p95: 3.5
        }
    );
    let v: Vec<f64> = (0..1000).map(f64::from).collect();
    let mut cell = BandCell::default();
    v.iter().for_each(|&x| cell.push(x));
    let b = cell.band();
    // Exact: 49.95 and 949.05 on a range of 999; 2% of the range.
    assert!((b.p5 - 49.95).abs() < 20.0, "{b:?}");
    assert!((b.p95 - 949.05).abs() < 20.0, "{b:?}");
}
