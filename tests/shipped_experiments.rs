//! The shipped models and experiments: every file validates, and the HamBaller Phase 9
//! baseline reproduces the plan's measured numbers (its calibration).

use capsim::aggregate::summarize;
use capsim::engine::Budget;
use capsim::model::load::{load_experiment, load_model};
use capsim::replicate::{RunPlan, run_replications};
use std::path::{Path, PathBuf};

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        // experiments/plan.yaml maps a plan's table to experiments (capsim report).
        .filter(|p| p.file_name().is_none_or(|n| n != "plan.yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_model_validates() {
    let files = yaml_files("models");
    assert!(
        files.len() >= 3,
        "expected the shipped models, found {files:?}"
    );
    for f in files {
        if let Err(e) = load_model(&f) {
            panic!("{} does not validate:\n{e}", f.display());
        }
    }
}

#[test]
fn every_shipped_experiment_validates() {
    let files = yaml_files("experiments");
    assert!(
        files.len() >= 4,
        "expected the shipped experiments, found {files:?}"
    );
    for f in files {
        if let Err(e) = load_experiment(&f) {
            panic!("{} does not validate:\n{e}", f.display());
        }
    }
}

#[test]
fn features_experiment_runs_and_conserves_requests() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/features.yaml");
    let exp = load_experiment(&path).expect("features.yaml loads");
    let plan = RunPlan {
        indices: 0..2,
        threads: None,
        budget: Budget::default(),
    };
    let results = run_replications(&exp, &plan, &|_| {}).expect("runs");
    let summary = summarize(&exp, &results);
    assert!(summary.metrics.http_reqs.count.mean > 1000.0);
    for (name, s) in &summary.services {
        assert!(s.conserved, "request conservation fails at {name}");
    }
}

/// The plan's calibration criterion is "within 10 %" of its measured baseline: 380 ms
/// average response time and 0.7 % errors at 500 VUs. We demand more than the point
/// estimate inside the band: the whole 95 % confidence interval over 8 replications must
/// lie inside it, so that the test cannot pass by luck of the seed and fails if a change
/// moves the model by more than the band allows. (With 8 replications of 10 minutes the
/// intervals are about +-1 % of the average and +-3 % of the error rate, far narrower than
/// the band, so the check is not flaky; it is also deterministic: fixed seed.)
#[test]
fn phase9_baseline_reproduces_the_plans_measurements() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/baseline.yaml");
    let exp = load_experiment(&path).expect("baseline.yaml loads");
    let plan = RunPlan {
        indices: 0..8,
        threads: None,
        budget: Budget::default(),
    };
    let results = run_replications(&exp, &plan, &|_| {}).expect("baseline runs");
    let summary = summarize(&exp, &results);

    let within = |what: &str, est: &capsim::stats::interval::Estimate, target: f64| {
        let (lo, hi) = (0.9 * target, 1.1 * target);
        let ci = est
            .ci95
            .unwrap_or_else(|| panic!("{what}: no confidence interval"));
        assert!(
            lo <= est.mean && est.mean <= hi,
            "{what}: mean {} outside [{lo}, {hi}] (target {target} +-10 %)",
            est.mean
        );
        assert!(
            lo <= ci[0] && ci[1] <= hi,
            "{what}: 95 % CI [{}, {}] not inside [{lo}, {hi}]: too wide or off target",
            ci[0],
            ci[1]
        );
    };
    within(
        "http_req_duration avg (ms)",
        &summary.metrics.http_req_duration.avg,
        380.0,
    );
    within(
        "http_req_failed rate",
        &summary.metrics.http_req_failed.rate,
        0.007,
    );
}

/// The plan's 10x architecture: both seed HPAs bind to their Deployments (hamballer-api
/// 4..20, hamballer-backend 5..25), the services start at the plan's instance counts and
/// every scaled service has a price.
#[test]
fn hamballer_10x_model_binds_the_seed_hpas() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/hamballer-10x.yaml");
    let model = load_model(&path).unwrap_or_else(|e| panic!("hamballer-10x.yaml: {e}"));
    let k8s = model.kubernetes.as_ref().expect("a kubernetes block");
    let bound = |deployment: &str| {
        let b = k8s
            .hpas
            .iter()
            .find(|b| model.stations[b.station].deployment == deployment)
            .unwrap_or_else(|| panic!("no HPA bound to {deployment}"));
        (
            &model.stations[b.station],
            b.hpa.min_replicas,
            b.hpa.max_replicas,
        )
    };
    let (api, min, max) = bound("hamballer-api");
    assert_eq!(
        (api.name.as_str(), api.replicas, min, max),
        ("api", 8, 4, 20)
    );
    let (backend, min, max) = bound("hamballer-backend");
    assert_eq!(
        (backend.name.as_str(), backend.replicas, min, max),
        ("backend", 10, 5, 25)
    );
    for s in [api, backend] {
        assert!(s.price_per_hour > 0.0, "{} has no price", s.name);
        assert!(s.startup.is_some(), "{} has no start-up time", s.name);
        assert!(
            s.resources.cpu_request_milli.is_some(),
            "{}: no cpu request",
            s.name
        );
        assert!(
            s.resources.memory_request_bytes.is_some(),
            "{}: no memory request",
            s.name
        );
    }
}

/// A shortened spike (tests/fixtures/plan/spike-short.yaml: 300 -> 5000 -> 300 VUs) on the
/// 10x model: the seed's HPAs scale the API and the backend out during the spike and back
/// in after it. The fixture's first minute is shorter than the 300 s scale-down window,
/// so the scale-downs counted come after the spike. Deterministic (fixed seed).
#[test]
fn hamballer_10x_short_spike_scales_out_and_back_in() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plan/spike-short.yaml");
    let exp = load_experiment(&path).expect("spike-short.yaml loads");
    let plan = RunPlan {
        indices: 0..2,
        threads: None,
        budget: Budget::default(),
    };
    let results = run_replications(&exp, &plan, &|_| {}).expect("runs");
    let summary = summarize(&exp, &results);
    for (name, start) in [("api", 8.0), ("backend", 10.0)] {
        let r = &summary.services[name].replicas;
        assert!(
            r.desired_max.mean > start,
            "{name}: the HPA never asked for more than the {start} replicas it started with \
             (desired_max {})",
            r.desired_max.mean
        );
        assert!(r.scale_ups.mean >= 1.0, "{name}: no scale-up");
        assert!(
            r.scale_downs.mean >= 1.0,
            "{name}: no scale-down after the spike"
        );
        assert_eq!(
            r.scaled_up_fraction, 1.0,
            "{name}: not every replication scaled up"
        );
        assert!(
            r.max.mean > r.min.mean,
            "{name}: ready replicas never changed ({}..{})",
            r.min.mean,
            r.max.mean
        );
        assert!(r.cost_usd.mean > 0.0, "{name}: no cost");
    }
    for (name, s) in &summary.services {
        assert!(s.conserved, "request conservation fails at {name}");
    }
}
