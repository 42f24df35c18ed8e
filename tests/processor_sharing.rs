//! Processor-shared `work` on a replica with `cores`, against M/G/1-PS theory.

use capsim::model::load::load_experiment;
use capsim::replicate::{RunPlan, run_replications};
use capsim::stats::interval::estimate;
use std::path::Path;

/// M/D/1-PS: Poisson arrivals at 50/s, exactly 10 ms of work, one shared core (rho 0.5).
/// Processor sharing is insensitive to the service distribution: E[T] = E[S] / (1 - rho)
/// = 20 ms, where FCFS (M/D/1) would give E[S] + rho E[S] / (2 (1 - rho)) = 15 ms, so
/// the test tells sharing from queueing. Tolerance: the theory must lie within
/// max(3 CI half-widths, 0.5%) of the mean over 10 replications of 20 simulated minutes
/// (about 7 standard errors; the warm-up transient is under 0.1% of the run).
#[test]
fn mg1_processor_sharing_matches_theory() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ps/mg1ps.yaml");
    let exp = load_experiment(&path).unwrap();
    let plan = RunPlan {
        indices: 0..exp.replications,
        threads: None,
        budget: Default::default(),
    };
    let results = run_replications(&exp, &plan, &|_| {}).unwrap();
    let response: Vec<f64> = results
        .iter()
        .map(|r| r.stations[0].mean_response_ms)
        .collect();
    let e = estimate(&response);
    let [lo, hi] = e.ci95.unwrap();
    let tolerance = (3.0 * (hi - lo) / 2.0).max(0.005 * 20.0);
    assert!(
        (e.mean - 20.0).abs() <= tolerance,
        "mean response {:.3} ms [{lo:.3}, {hi:.3}], theory 20 ms",
        e.mean
    );
    assert!(
        (e.mean - 15.0).abs() > 10.0 * tolerance,
        "indistinguishable from FCFS"
    );
    for r in &results {
        assert!(r.stations[0].balanced());
    }
}
