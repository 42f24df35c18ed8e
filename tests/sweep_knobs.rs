//! The sweep's load knob and its outputs: `scenarios.NAME.scale` multiplies every stage
//! target (and rate) of a scenario at once; a model without prices costs replica-seconds
//! and the sweep says so (no "recommended" point chosen by a cost that is 0 everywhere);
//! the heatmap's axes carry the knobs' full paths.

mod common;

use capsim::model::load::{load_experiment, load_experiment_with};
use capsim::spec::overrides::Overrides;
use capsim::workload::executor::Executor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn capsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run capsim")
}

use common::text;

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("sweep_knobs")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stages(path: &str, set: &[&str]) -> (u64, Vec<u64>) {
    let sets: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let exp = load_experiment_with(&root().join(path), &Overrides::parse(&sets).unwrap()).unwrap();
    match &exp.scenarios[0].scenario.executor {
        Executor::RampingVus {
            start_vus, stages, ..
        } => (*start_vus, stages.iter().map(|s| s.target).collect()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn scale_multiplies_every_stage_target_at_once() {
    let (start, base) = stages("experiments/gradual-ramp.yaml", &[]);
    assert_eq!(base, vec![100, 500, 1000, 2000, 5000, 2000, 0]);
    let (start_half, half) = stages(
        "experiments/gradual-ramp.yaml",
        &["scenarios.gradual_ramp.scale=0.5"],
    );
    assert_eq!((start, start_half), (0, 0));
    assert_eq!(half, vec![50, 250, 500, 1000, 2500, 1000, 0]);
    let (_, more) = stages(
        "experiments/gradual-ramp.yaml",
        &["scenarios.gradual_ramp.scale=1.5"],
    );
    assert_eq!(more, vec![150, 750, 1500, 3000, 7500, 3000, 0]);
    // An arrival-rate scenario: the rate and the VU pool scale together.
    let base = load_experiment(&root().join("experiments/mm1.yaml")).unwrap();
    let sets = vec!["scenarios.open.scale=2".to_string()];
    let twice = load_experiment_with(
        &root().join("experiments/mm1.yaml"),
        &Overrides::parse(&sets).unwrap(),
    )
    .unwrap();
    match (
        &base.scenarios[0].scenario.executor,
        &twice.scenarios[0].scenario.executor,
    ) {
        (
            Executor::PoissonArrivalRate {
                rate: r1,
                max_vus: m1,
                ..
            },
            Executor::PoissonArrivalRate {
                rate: r2,
                max_vus: m2,
                ..
            },
        ) => {
            assert_eq!((*r1, *r2), (50.0, 100.0));
            assert_eq!((*m1, *m2), (1000, 2000));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_scale_knobs_are_clear_errors() {
    let o = capsim(&[
        "run",
        "experiments/mm1.yaml",
        "-q",
        "--set",
        "scenarios.opne.scale=2",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("did you mean `open`"), "{}", text(&o));
    let o = capsim(&[
        "run",
        "experiments/mm1.yaml",
        "-q",
        "--set",
        "scenarios.open.scale=0",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("a number above 0"), "{}", text(&o));
}

#[test]
fn unpriced_sweep_costs_replica_seconds_and_names_full_knobs() {
    let d = tmp("unpriced");
    let o = capsim(&[
        "sweep",
        "experiments/mm1.yaml",
        "-n",
        "3",
        "--set",
        "scenarios.open.duration=60s",
        "--grid",
        "scenarios.open.scale=0.5,1",
        "--grid",
        "services.server.workers=1,2",
        "-o",
        d.to_str().unwrap(),
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("cost replica-s"), "{out}");
    assert!(
        out.contains("no prices in the model: cost is replica-seconds"),
        "{out}"
    );
    // One replica for about 60 s at every point: cost does not separate them.
    assert!(!out.contains("recommended: point"), "{out}");
    assert!(
        out.contains("no recommendation: points 0, 1, 2, 3"),
        "{out}"
    );
    let csv = std::fs::read_to_string(d.join("sweep.csv")).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    let (rate, cost) = (col("http_reqs.rate_mean"), col("cost.replica_s_mean"));
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let scale: f64 = cells[1].parse().unwrap();
        // Poisson arrivals at 50/s x scale for 60 s: the mean rate within 10% (about
        // 4 standard errors of a 3 x 60 s count at 25/s).
        let r: f64 = cells[rate].parse().unwrap();
        assert!((r - 50.0 * scale).abs() < 0.1 * 50.0 * scale, "{line}");
        // 1 replica x the run's length (60 s plus at most the drain of the last requests).
        let c: f64 = cells[cost].parse().unwrap();
        assert!((60.0..61.0).contains(&c), "{line}");
    }
    let svg = std::fs::read_to_string(d.join("sweep_heatmap.svg")).unwrap();
    assert!(svg.contains("scenarios.open.scale"), "heatmap axis");
    assert!(svg.contains("services.server.workers"), "heatmap axis");
}

#[test]
fn priced_sweep_keeps_usd_and_its_columns() {
    // The shipped HPA sweep has prices: no replica-seconds column, cost in USD.
    let d = tmp("priced");
    let o = capsim(&[
        "sweep",
        "experiments/hpa-sweep.yaml",
        "-n",
        "2",
        "--no-plots",
        "--grid",
        "hpa.web-hpa.spec.maxReplicas=4,8",
        "-o",
        d.to_str().unwrap(),
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("cost USD"), "{out}");
    assert!(!out.contains("replica-s"), "{out}");
    let csv = std::fs::read_to_string(d.join("sweep.csv")).unwrap();
    assert!(!csv.lines().next().unwrap().contains("cost.replica_s"));
}
