//! Results per time window: the steady state after a warm-up (fixed and MSER-5) against
//! M/M/1 theory, and per-stage results and `{stage:N}` thresholds against the profile.

use capsim::aggregate::summarize;
use capsim::aggregate::thresholds::{DecidedBy, Verdict};
use capsim::engine::{Budget, ReplicationResult};
use capsim::model::experiment::Experiment;
use capsim::model::load::load_experiment;
use capsim::model::windows::Warmup;
use capsim::replicate::{RunPlan, run_replications};
use capsim::stats::estimate;
use std::path::PathBuf;

fn load(name: &str) -> Experiment {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/windows")
        .join(name);
    load_experiment(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn run(exp: &Experiment, count: u32) -> Vec<ReplicationResult> {
    let plan = RunPlan {
        indices: 0..count,
        threads: None,
        budget: Budget::default(),
    };
    run_replications(exp, &plan, &|_| {}).expect("replications run")
}

/// Mean and standard error over independent macro-runs.
fn mean_se(v: &[f64]) -> (f64, f64) {
    let e = estimate(v);
    let sd = (v.iter().map(|x| (x - e.mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
    (e.mean, sd / (v.len() as f64).sqrt())
}

/// Over macro-runs of 8 replications (the default), each summarised as `capsim run`
/// would: the whole-test mean response time and the steady state's.
fn macro_means(exp: &Experiment, results: &[ReplicationResult]) -> (Vec<f64>, Vec<f64>) {
    results
        .chunks(8)
        .map(|c| {
            let s = summarize(exp, c);
            (
                s.metrics.http_req_duration.avg.mean,
                s.steady_state.unwrap().window.http_req_duration.avg.mean,
            )
        })
        .unzip()
}

/// M/M/1 at rho 0.9 (mean response 1/(mu - lambda) = 400 ms), 2-minute runs from empty.
/// The empty start lowers the whole-test mean; the steady state after the warm-up must
/// not be biased. Over M = 400 macro-runs of 8 replications, with SE the standard error of
/// the macro-run mean: the whole-test mean must lie below theory by more than 3 SE (the
/// bias is real: measured -3.1 % +- 0.56), and the steady state after a fixed 40 s
/// warm-up, and after the MSER-5 cut chosen from all 3,200 replications, within 3.3 SE
/// of theory (a correct estimator fails this one time in a thousand; fixed seeds make it
/// deterministic; measured +0.29 % +- 0.73 and +0.12 % +- 0.70).
#[test]
fn steady_state_removes_the_empty_start_bias_of_mm1() {
    const M: u32 = 400;
    const W: f64 = 400.0;
    let auto = load("mm1_warmup.yaml");
    assert_eq!(auto.warmup, Warmup::Auto);
    let results = run(&auto, 8 * M);
    let (whole, steady) = macro_means(&auto, &results);
    let ((w, w_se), (st, st_se)) = (mean_se(&whole), mean_se(&steady));
    let st_auto = st;
    let cut = summarize(&auto, &results).steady_state.unwrap();
    let cuts: Vec<f64> = results
        .chunks(8)
        .map(|c| summarize(&auto, c).steady_state.unwrap().warmup_s)
        .collect();
    let short = results
        .chunks(8)
        .filter(|c| summarize(&auto, c).steady_state.unwrap().too_short)
        .count();
    println!(
        "mm1 rho 0.9, 2m, {M} x 8 replications, MSER-5: whole {w:.2} ms ({:+.2} % +- {:.2}), steady {st:.2} ms ({:+.2} % +- {:.2}); \
         cut over all {} s, per macro-run mean {:.1} s, too short {short}",
        100.0 * (w / W - 1.0),
        100.0 * w_se / W,
        100.0 * (st / W - 1.0),
        100.0 * st_se / W,
        cut.warmup_s,
        estimate(&cuts).mean
    );
    // Diagnostics: the cut chosen over all replications, applied to every macro-run.
    let all_cut = capsim::aggregate::windows::mser_cut(&results).0;
    let at_all: Vec<f64> = results
        .chunks(8)
        .map(|c| {
            c.iter()
                .map(|r| {
                    r.steady.as_ref().unwrap().candidates[all_cut]
                        .latency
                        .unwrap()
                        .avg
                })
                .sum::<f64>()
                / 8.0
        })
        .collect();
    let (a, a_se) = mean_se(&at_all);
    println!(
        "  with the cut of all {} replications ({} s): {a:.2} ms ({:+.2} % +- {:.2})",
        8 * M,
        cut.warmup_s,
        100.0 * (a / W - 1.0),
        100.0 * a_se / W
    );
    let first = ((a - W).abs() < 3.3 * a_se, w < W - 3.0 * w_se);

    // A fixed warm-up of 40 s (about three relaxation times) does the same.
    let fixed = Experiment {
        warmup: Warmup::Fixed(40_000_000_000),
        ..auto.clone()
    };
    let results = run(&fixed, 8 * M);
    let (whole_f, steady_f) = macro_means(&fixed, &results);
    let (st, st_se) = mean_se(&steady_f);
    println!(
        "mm1 rho 0.9, 2m, warm-up 40s: steady {st:.2} ms ({:+.2} % +- {:.2})",
        100.0 * (st / W - 1.0),
        100.0 * st_se / W
    );
    assert_eq!(
        whole_f, whole,
        "the whole-test view does not depend on the warm-up"
    );
    assert!(
        (st - W).abs() < 3.3 * st_se,
        "fixed: steady {st} (se {st_se})"
    );
    assert!(first.1, "whole-test mean not biased low");
    assert!(
        first.0,
        "auto (cut from all replications): not within 3.3 SE of theory"
    );
    assert!(
        !cut.too_short && cut.warmup_s > 10.0 && cut.warmup_s < 60.0,
        "{}",
        cut.warmup_s
    );
    // With 8 replications the averaged series is still noisy at rho 0.9: MSER-5 cuts
    // early (10 s on average, measured) and leaves part of the bias; the steady state
    // is still no lower than the whole test. Documented in docs/statistics.md.
    assert!(st_auto >= w, "{st_auto} < {w}");
    assert!(short < M as usize / 20, "{short}");
    assert!(
        results
            .iter()
            .all(|r| r.steady.as_ref().unwrap().window.start == 40_000_000_000)
    );
    let s = summarize(&fixed, &results[..8]);
    let section = s.steady_state.as_ref().unwrap();
    assert_eq!((section.method, section.warmup_s), ("fixed", 40.0));
    assert!(section.warning.is_none());
    let none = Experiment {
        warmup: Warmup::None,
        ..auto.clone()
    };
    let plain = summarize(&none, &run(&none, 8));
    assert!(plain.steady_state.is_none());
    assert_eq!(
        plain.metrics.http_req_duration.avg.mean,
        s.metrics.http_req_duration.avg.mean
    );
}

#[test]
fn stages_follow_the_profile_and_thresholds_name_them() {
    let exp = load("stages.yaml");
    assert_eq!(exp.stages.len(), 4);
    let results = run(&exp, 8);
    let s = summarize(&exp, &results);
    assert_eq!(s.stages.len(), 4);
    let rate = |k: usize| s.stages[k].window.http_reqs.rate.mean;
    // Stage 0 ramps 0 -> 20/s over 20 s: 10/s on average; stages 1 and 3 hold 20 and 30/s;
    // stage 2 lasts no time. Arrivals are k6's evenly spaced ticks; a response lands in
    // the window of its end, at most a few tens of ms after its start: 1 % tolerance.
    // (The ramp's ticks are discrete: up to a few iterations more than its area, 5 %.)
    assert!((rate(0) - 10.0).abs() < 0.5, "{}", rate(0));
    assert!((rate(1) - 20.0).abs() < 0.2, "{}", rate(1));
    assert!((rate(3) - 30.0).abs() < 0.3, "{}", rate(3));
    assert_eq!(s.stages[2].window.http_reqs.count.mean, 0.0);
    assert_eq!(
        (s.stages[1].window.start_s, s.stages[1].window.end_s),
        (20.0, 60.0)
    );
    assert_eq!(s.stages[3].target, Some(30));
    // k6's ticks are evenly spaced: D/M/1 at rho 0.2 in stage 1, where the response time
    // is exponential with rate mu (1 - s), s = exp(-(1 - s) / rho) = 0.00697: mean
    // 10.07 ms, p95 3.0 x 10.07 = 30.1 ms. Tolerance 0.5 ms on the mean (8 replications
    // of 800 responses: standard error ~0.13 ms) and 3 ms on p95 (its spread is larger,
    // and the window's histogram has 2 significant figures).
    let avg = s.stages[1].window.http_req_duration.avg.mean;
    assert!((avg - 10.07).abs() < 0.5, "{avg}");
    // Thresholds on stages: p(95) far under 300 passes by the values;
    // avg < 2 fails; no errors pass rate<0.01 by the pooled counts with 8 replications.
    let by = |key: &str, expr: &str| {
        s.thresholds
            .iter()
            .find(|t| t.metric == key && t.threshold == expr)
            .unwrap()
    };
    let p95 = by("http_req_duration{stage:1}", "p(95)<300");
    assert_eq!(p95.verdict, Verdict::Pass, "{p95:?}");
    assert!((p95.observed.mean - 30.1).abs() < 3.0, "{p95:?}");
    assert_eq!(
        by("http_req_duration{stage:1}", "avg<2").verdict,
        Verdict::Fail
    );
    let failed = by("http_req_failed{stage:3}", "rate<0.01");
    assert_eq!(
        (failed.verdict, failed.decided_by),
        (Verdict::Pass, DecidedBy::Pooled),
        "{failed:?}"
    );
    let reqs = by("http_reqs{stage:3}", "rate>29");
    assert!((reqs.observed.mean - 30.0).abs() < 0.3, "{reqs:?}");
}
