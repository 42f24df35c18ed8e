//! Coverage of the intervals capsim reports, over many macro-runs with fixed seeds.
//!
//! A 95 % interval must contain the true value in about 95 % of independent runs. Each
//! test repeats a run of 8 replications (the default) many times and counts how often the
//! reported interval contains the truth; it passes when the coverage is at least 93 %.
//! Why 93 %: with M macro-runs the observed coverage of a correct 95 % interval has a
//! standard error of sqrt(0.95 * 0.05 / M) (0.5 % for M = 2000, 0.9 % for M = 600), so
//! 93 % sits 2 to 4 standard errors below 95 % (a correct interval passes), while an
//! interval that ignored the spread between replications, or the count rule alone at
//! 8 replications, would be far off. The seeds are fixed, so nothing is flaky.
//!
//! 1. The values rule against exact theory: normal draws, where P(pass) = Phi((b-mu)/sigma).
//! 2. The simulator: M/M/1 with 20 s runs, where the truth (P(avg < b), the mean of the
//!    per-replication mean and p95) comes from a reference run of 4,000 replications.

use capsim::aggregate::thresholds::judge;
use capsim::engine::{Budget, ReplicationResult};
use capsim::model::load::load_experiment;
use capsim::replicate::{RunPlan, run_replications};
use capsim::stats::estimate;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, Normal};
use statrs::distribution::{ContinuousCDF, Normal as StatNormal};
use std::path::PathBuf;

const MIN_COVERAGE: f64 = 0.93;

fn covers([lo, hi]: [f64; 2], truth: f64) -> bool {
    lo <= truth && truth <= hi
}

fn threshold(bound: f64) -> capsim::model::threshold::Threshold {
    capsim::model::threshold::parse_threshold("http_req_duration", &format!("avg<{bound}"), &[])
        .unwrap()
}

/// The interval a threshold's P(pass) is reported with: the values rule's when it was
/// used, else the count's Wilson interval.
fn reported(values: &[f64], bound: f64) -> ([f64; 2], bool) {
    let j = judge(&threshold(bound), values, 0.9, 0.95);
    match j.values {
        Some(v) => (v.ci, true),
        None => (j.pass_probability_ci95, false),
    }
}

#[test]
fn values_rule_covers_the_exact_pass_probability_of_normal_values() {
    let z = StatNormal::new(0.0, 1.0).unwrap();
    let (mu, sigma) = (76.0, 4.0);
    let dist = Normal::new(mu, sigma).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(15);
    for k in [0.0, 1.0, 2.0] {
        let bound = mu + k * sigma;
        let truth = z.cdf(k);
        let runs = 2000;
        let (mut hit, mut used) = (0, 0);
        for _ in 0..runs {
            let v: Vec<f64> = (0..8).map(|_| dist.sample(&mut rng)).collect();
            let (ci, by_values) = reported(&v, bound);
            used += by_values as usize;
            hit += covers(ci, truth) as usize;
        }
        let coverage = hit as f64 / runs as f64;
        println!(
            "normal k={k}: P(pass)={truth:.4} coverage={coverage:.4} values rule used {used}/{runs}"
        );
        assert!(coverage >= MIN_COVERAGE, "k {k}: coverage {coverage}");
        // The Anderson-Darling check rejects about 5 % of normal samples, no more.
        assert!(used as f64 >= 0.9 * runs as f64, "k {k}: used {used}");
    }
}

fn run(first: u32, count: u32) -> Vec<ReplicationResult> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/coverage/mm1_short.yaml");
    let exp = load_experiment(&path).unwrap();
    let plan = RunPlan {
        indices: first..first + count,
        threads: None,
        budget: Budget::default(),
    };
    run_replications(&exp, &plan, &|_| {}).expect("replications run")
}

#[test]
fn mm1_intervals_cover_the_reference_values() {
    const REFERENCE: u32 = 4000;
    const RUNS: u32 = 600;
    let reference = run(0, REFERENCE);
    let avg: Vec<f64> = reference.iter().map(|r| r.latency.unwrap().avg).collect();
    let p95: Vec<f64> = reference.iter().map(|r| r.latency.unwrap().p95).collect();
    let (avg_true, p95_true) = (estimate(&avg).mean, estimate(&p95).mean);
    // A bound one standard deviation above the mean: P(pass) near 0.84, where the count
    // of 8 replications cannot decide and the interval matters.
    let sd =
        (avg.iter().map(|x| (x - avg_true).powi(2)).sum::<f64>() / (avg.len() - 1) as f64).sqrt();
    let bound = avg_true + sd;
    let p_true = avg.iter().filter(|&&x| x < bound).count() as f64 / avg.len() as f64;
    let macro_runs = run(REFERENCE, 8 * RUNS);
    let (mut hit_p, mut hit_avg, mut hit_p95, mut used) = (0, 0, 0, 0);
    for chunk in macro_runs.chunks(8) {
        let a: Vec<f64> = chunk.iter().map(|r| r.latency.unwrap().avg).collect();
        let q: Vec<f64> = chunk.iter().map(|r| r.latency.unwrap().p95).collect();
        let (ci, by_values) = reported(&a, bound);
        used += by_values as usize;
        hit_p += covers(ci, p_true) as usize;
        hit_avg += covers(estimate(&a).ci95.unwrap(), avg_true) as usize;
        hit_p95 += covers(estimate(&q).ci95.unwrap(), p95_true) as usize;
    }
    let f = |h: usize| h as f64 / RUNS as f64;
    println!(
        "mm1 20s: avg {avg_true:.3} ms (sd {sd:.3}), p95 {p95_true:.3} ms, P(avg<{bound:.3}) = {p_true:.4}; \
         coverage P(pass) {:.4} (values rule used {used}/{RUNS}), mean {:.4}, p95 {:.4}",
        f(hit_p),
        f(hit_avg),
        f(hit_p95)
    );
    assert!(f(hit_p) >= MIN_COVERAGE, "P(pass) coverage {}", f(hit_p));
    assert!(f(hit_avg) >= MIN_COVERAGE, "mean coverage {}", f(hit_avg));
    assert!(f(hit_p95) >= MIN_COVERAGE, "p95 coverage {}", f(hit_p95));
}
