//! Planning: `capsim report` on a tiny plan (table rows, verdicts, contradictions) and
//! `capsim calibrate` recovering a known parameter.

use capsim::gate::Runner;
use capsim::gate::metrics::{find, key_metrics};
use capsim::model::load::load_experiment_with;
use capsim::planning::calibrate::{CalibrateOptions, calibrate, parse_param, parse_target};
use capsim::planning::verdicts::{PlanReport, closed_loop_ceiling};
use capsim::planning::{Options, load_plan, report, run_plan, verdicts};
use capsim::spec::overrides::Overrides;
use capsim::stats::interval::estimate;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/planning")
}

/// The tiny plan, run once for every test that reads it.
fn tiny_report() -> &'static PlanReport {
    static R: OnceLock<PlanReport> = OnceLock::new();
    R.get_or_init(|| {
        let dir = fixtures();
        let plan = load_plan(&dir.join("plan.yaml")).expect("plan loads");
        let opts = Options {
            replications: Some(4),
            ..Options::default()
        };
        let runs = run_plan(&dir, &plan, &opts, &|_| {}).expect("plan runs");
        assert_eq!(runs.len(), 2);
        verdicts::build(&plan, &runs, false)
    })
}

/// The plan's replications share one set of workers across experiments
/// (`planning/run_all.rs`): each experiment's results must come back in index order, the
/// same whatever the thread count, so the report cannot change with it.
#[test]
fn plan_results_do_not_depend_on_threads() {
    let dir = fixtures();
    let plan = load_plan(&dir.join("plan.yaml")).expect("plan loads");
    let run = |threads| {
        let opts = Options {
            replications: Some(5),
            threads: Some(threads),
            ..Options::default()
        };
        let runs = run_plan(&dir, &plan, &opts, &|_| {}).expect("plan runs");
        let report = verdicts::build(&plan, &runs, false);
        let mut json = serde_json::to_value(&report).expect("report serialises");
        for key in ["timings", "total_wall_s"] {
            json.as_object_mut().expect("an object").remove(key);
        }
        let events: Vec<Vec<u64>> = runs
            .iter()
            .map(|r| r.results.iter().map(|x| x.events).collect())
            .collect();
        (json, events)
    };
    let one = run(1);
    assert_eq!(one.1.len(), 2);
    assert!(one.1.iter().all(|e| e.len() == 5));
    assert_eq!(one, run(3));
}

#[test]
fn report_has_the_table_rows_and_verdicts() {
    let r = tiny_report();
    assert_eq!(r.rows.len(), 1);
    let row = &r.rows[0];
    assert_eq!(row.row, "steady_row");
    assert_eq!(row.users.mean, 20.0);
    // 20 VUs, 1 s think, ~50-60 ms responses: about 19 req/s, below the 20 req/s ceiling.
    let x = row.request_rate.mean;
    assert!(x > 15.0 && x < 20.0, "rate {x}");
    assert!(closed_loop_ceiling(20.0, 1.0, 1.0, row.avg_ms.mean / 1000.0) >= x * 0.97);
    assert_eq!(row.status.replications, 4);
    assert_eq!(row.status.verdict, "PASS", "{:?}", row.status);

    let spike = r.spike.as_ref().expect("spike row");
    assert_eq!(spike.peak_users.mean, 100.0);
    let [a, b] = spike.window_s.expect("spike window found");
    assert!(
        (a - 60.0).abs() <= 10.0 && (b - 140.0).abs() <= 10.0,
        "{a}..{b}"
    );
    assert_eq!(spike.data_loss.mean, 0.0);

    let sc = r.scaling.as_ref().expect("scaling");
    assert_eq!(sc.services.len(), 1);
    assert!(
        sc.max_instances.mean > 1.0,
        "the burst scales the web service out"
    );
    assert!(sc.scale_up_time_s.mean > 0.0 && sc.scale_up_time_s.mean < 120.0);
    let cost = r.cost.as_ref().expect("cost");
    assert!(cost.baseline_hourly_usd.mean > 0.09 && cost.increase.mean > 0.0);

    // One line per criterion and experiment, each with a probability and a verdict.
    assert_eq!(r.criteria.len(), 5);
    for c in &r.criteria {
        assert_eq!(c.probability.replications, 4, "{}", c.name);
        assert!(["PASS", "FAIL", "UNCERTAIN"].contains(&c.probability.verdict));
    }
    let rate = &r.criteria[0];
    assert_eq!(rate.probability.verdict, "PASS");

    let md = report::markdown(r);
    for needle in [
        "| steady_row | 20 / 20 |",
        "| burst_row | peak 100 / 100 |",
        "## Success criteria",
        "| at least 10 req/s | steady |",
        "Max instances reached",
        "## Contradictions",
    ] {
        assert!(md.contains(needle), "missing `{needle}` in\n{md}");
    }
}

#[test]
fn contradiction_detector_flags_an_impossible_rate() {
    let r = tiny_report();
    let c = r
        .contradictions
        .iter()
        .find(|c| c.subject == "steady_row" && c.kind == "response-time law")
        .unwrap_or_else(|| panic!("no contradiction for steady_row: {:?}", r.contradictions));
    assert!(c.text.contains("even at R = 0"), "{}", c.text);
    assert!(c.text.contains("20 req/s"), "{}", c.text);
    // The burst row's claims are consistent: nothing flagged for it.
    assert!(!r.contradictions.iter().any(|c| c.subject == "burst_row"));
    assert_eq!(closed_loop_ceiling(500.0, 2.0, 4.5, 0.38), 1000.0 / 5.26);
}

#[test]
fn calibrate_recovers_a_known_service_mean() {
    let exp_path = fixtures().join("mm1-open.yaml");
    let path = "model.services.server.operations.serve[0].work.exponential.mean";
    // The target: the average response time the model gives with a 10 ms mean.
    let truth = Overrides::parse(&[format!("{path}=10ms")]).unwrap();
    let exp = load_experiment_with(&exp_path, &truth).unwrap();
    let idx: Vec<u32> = (0..exp.replications).collect();
    let runner = Runner::default();
    let results = runner.run(&exp, &idx).unwrap();
    let defs = key_metrics(&exp);
    let avg = estimate(
        &find(&defs, "http_req_duration.avg")
            .unwrap()
            .values(&results),
    )
    .mean;
    assert!(
        avg > 10.0 && avg < 16.0,
        "M/M/1 at rho 0.2: ~12.5 ms, got {avg}"
    );

    let params = [parse_param(&format!("{path}=4ms..25ms")).unwrap()];
    let targets = [parse_target(&format!("http_req_duration.avg={avg}")).unwrap()];
    let opts = CalibrateOptions {
        replications: None,
        seed: None,
        tolerance: 0.02,
        max_evaluations: 40,
        runner,
    };
    let cal = calibrate(
        &exp_path,
        &Overrides::default(),
        &params,
        &targets,
        &opts,
        &|_| {},
    )
    .unwrap();
    assert!(cal.converged(), "{cal:?}");
    let got = cal.best[0];
    assert!(
        (got - 10.0).abs() / 10.0 < 0.03,
        "recovered {got} ms, want 10 ms"
    );
    assert!(cal.iterations.len() >= 3 && cal.iterations.len() <= 40);
    assert!(cal.set_lines[0].starts_with(&format!("--set {path}=")));
    assert!(cal.set_lines[0].ends_with("ms"));
}

#[test]
fn params_and_targets_parse() {
    let p = parse_param("model.services.a.operations.b[2].work.gamma.mean=100ms..0.2s").unwrap();
    assert_eq!((p.lo, p.hi, p.unit.as_deref()), (100.0, 200.0, Some("ms")));
    assert_eq!(
        p.set_line(150.0),
        "model.services.a.operations.b[2].work.gamma.mean=150ms"
    );
    let p = parse_param("services.web.workers=4..32").unwrap();
    assert_eq!((p.lo, p.hi, p.unit), (4.0, 32.0, None));
    assert!(parse_param("services.web.workers=32..4").is_err());
    assert!(parse_param("services.web.workers=4").is_err());
    let t = parse_target("p95=500").unwrap();
    assert_eq!(t.metric, "http_req_duration.p(95)");
    assert!(parse_target("p95=fast").is_err());
}

#[test]
fn quick_cli_report_writes_both_files() {
    let out = std::env::temp_dir().join(format!("capsim-plan-{}", std::process::id()));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["report"])
        .arg(fixtures())
        .args(["--quick", "--quiet", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let md = std::fs::read_to_string(out.join("plan-report.md")).unwrap();
    assert!(md.contains("QUICK MODE"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("plan-report.json")).unwrap())
            .unwrap();
    assert_eq!(json["rows"][0]["row"], "steady_row");
    assert_eq!(json["rows"][0]["status"]["replications"], 2);
    let _ = std::fs::remove_dir_all(&out);
}
