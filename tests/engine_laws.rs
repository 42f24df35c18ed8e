//! Operational laws and determinism of the engine, on the fixtures under
//! `tests/fixtures/theory/`. Unlike the comparisons with closed forms
//! (`engine_theory.rs`), these hold on every sample path, so they are checked per
//! replication with tolerances of rounding or edge effects, not of sampling error.

use capsim::aggregate::{series_columns, summarize, time_series};
use capsim::engine::{Budget, ReplicationResult};
use capsim::model::experiment::Experiment;
use capsim::model::load::load_experiment;
use capsim::replicate::{RunPlan, run_replications};
use capsim::report::files::{summary_json, timeseries_csv};
use std::path::PathBuf;

fn load(name: &str) -> Experiment {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/theory")
        .join(name);
    load_experiment(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn run(exp: &Experiment, threads: Option<usize>) -> Vec<ReplicationResult> {
    let plan = RunPlan {
        indices: 0..exp.replications,
        threads,
        budget: Budget::default(),
    };
    run_replications(exp, &plan, &|_| {}).expect("replications run")
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// Little's law `L = X·W` per station and per replication.
///
/// `little.yaml` keeps the default 30 s `gracefulStop` after 5 min of Poisson arrivals,
/// so every station is empty at the end (checked). Then both sides are the same
/// integral: `∫ N(t) dt` over the run equals the sum of all sojourns, so
/// `mean_in_flight · T = Σ W_i = X·T · mean W` exactly, and the only tolerance needed
/// is floating-point rounding (1e-9 relative; sums of ~10^4 terms in f64).
#[test]
fn littles_law_holds_per_station() {
    let exp = load("little.yaml");
    let results = run(&exp, None);
    for r in &results {
        assert!(r.accounting.balanced(), "{:?}", r.accounting);
        assert_eq!(r.accounting.in_flight_at_end, 0, "the system drained");
        assert_eq!(r.accounting.interrupted, 0);
        assert_eq!(r.dropped_iterations, 0);
        let t = r.duration as f64 / 1e9;
        for (k, s) in r.stations.iter().enumerate() {
            let name = &exp.model.stations[k].name;
            assert!(s.balanced(), "{name}: {s:?}");
            assert_eq!(s.in_flight_at_end, 0, "{name}: drained");
            assert_eq!(s.arrivals, s.succeeded, "{name}: no errors in this model");
            let throughput = s.succeeded as f64 / t;
            let little = throughput * s.mean_response_ms / 1e3;
            println!(
                "replication {} station {name}: L = {:.6}, X·W = {:.6} (X = {:.3}/s, W = {:.3} ms)",
                r.index, s.mean_in_flight, little, throughput, s.mean_response_ms
            );
            assert!(
                rel(s.mean_in_flight, little) < 1e-9,
                "Little's law at {name}: L = {} but X·W = {little}",
                s.mean_in_flight
            );
            // Utilization law for one worker: U = X·S, where S is W minus the wait.
            // The busy time integrates exactly the service times, so this too is an
            // identity on the path (start-time rounding aside).
            let workers = f64::from(exp.model.stations[k].workers);
            let service_s = (s.mean_response_ms - s.mean_queue_wait_ms) / 1e3;
            assert!(
                rel(s.mean_busy_workers, throughput * service_s) < 1e-9,
                "utilization law at {name}: busy {} but X·S = {}",
                s.mean_busy_workers,
                throughput * service_s
            );
            assert!(rel(s.utilization, s.mean_busy_workers / workers) < 1e-12);
        }
        // Little's law on the client side: every request of every iteration reached a
        // station, and each station's count is what the VUs sent to its endpoint.
        let total: u64 = r.stations.iter().map(|s| s.arrivals).sum();
        assert_eq!(total, r.accounting.sent);
        assert_eq!(r.requests, r.accounting.sent);
    }
}

/// With the run cut off at the end of the arrivals (`gracefulStop: 0s`), Little's law
/// holds up to the edge effect of the requests still in flight: they add to `L` but not
/// to `X·W`. At a few requests of ~50 ms against 20 min, that is far below 0.1%.
#[test]
fn littles_law_holds_with_cut_off_runs() {
    let exp = load("mm1_rho08.yaml");
    let exp = Experiment {
        replications: 3,
        ..exp
    };
    for r in &run(&exp, None) {
        let s = &r.stations[0];
        let t = r.duration as f64 / 1e9;
        let little = s.succeeded as f64 / t * s.mean_response_ms / 1e3;
        assert!(s.balanced() && r.accounting.balanced());
        assert!(
            rel(s.mean_in_flight, little) < 1e-3,
            "L = {} but X·W = {little}",
            s.mean_in_flight
        );
    }
}

/// Replications are pure functions of (seed, index) and are collected in index order,
/// so the reports do not depend on the number of threads, and a rerun is identical.
#[test]
fn results_do_not_depend_on_threads() {
    let exp = load("determinism.yaml");
    let outputs = |threads| {
        let results = run(&exp, Some(threads));
        assert!(results.iter().all(|r| r.requests > 0));
        (
            summary_json(&summarize(&exp, &results)),
            timeseries_csv(&series_columns(&exp), &time_series(&exp, &results)),
        )
    };
    let (summary_1, series_1) = outputs(1);
    let (summary_2, series_2) = outputs(2);
    let (summary_1b, series_1b) = outputs(1);
    assert!(
        summary_1 == summary_2,
        "summary.json differs between 1 and 2 threads"
    );
    assert!(
        series_1 == series_2,
        "timeseries.csv differs between 1 and 2 threads"
    );
    assert!(
        summary_1 == summary_1b && series_1 == series_1b,
        "a rerun differs"
    );
    // A different seed gives different results (the comparison is not vacuous).
    let other = Experiment {
        seed: exp.seed + 1,
        ..exp.clone()
    };
    let results = run(&other, Some(2));
    assert!(summary_json(&summarize(&other, &results)) != summary_1);
}

/// k6 ends the test when every scenario has finished: an executor is done when its
/// iterations are (shared-iterations, per-vu-iterations) or when its duration is over
/// and its last iterations have ended (within gracefulStop). `totalDuration` from
/// `k6 inspect` is only the upper bound. The engine runs every replication to that
/// upper bound instead, so rates and time averages are diluted by the idle tail: here
/// 100 requests done in ~0.5 s are reported over 630 s (0.16 requests/s, not ~200/s),
/// and a 10-minute arrival-rate test is averaged over 630 s (5% low).
#[test]
fn test_run_ends_when_the_last_iteration_ends() {
    let exp = load("shared_iterations.yaml");
    for r in &run(&exp, None) {
        assert_eq!(r.iterations, 100);
        let t = r.duration as f64 / 1e9;
        assert!(
            t < 5.0,
            "the test lasted {t} s though its 100 iterations were done within seconds"
        );
    }
}
