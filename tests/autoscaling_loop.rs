//! Autoscalers in the loop, against trajectories computed by hand from the controllers'
//! rules (reference/semantics.md sections 1 and 3), and cost to the cent.

use capsim::engine::{Budget, run_replication};
use capsim::model::load::load_experiment;
use capsim::time::NANOS_PER_SEC;
use std::path::Path;

/// (seconds, from, to) of every scaling decision of a replication.
fn decisions(r: &capsim::engine::ReplicationResult) -> Vec<(u64, u32, u32)> {
    r.decisions
        .iter()
        .map(|d| (d.at / NANOS_PER_SEC, d.from, d.to))
        .collect()
}

fn fixture(name: &str) -> capsim::model::experiment::Experiment {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/autoscaling")
        .join(name);
    load_experiment(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Deterministic load: 40 requests/s of 100 ms CPU on pods with a 1-core request, HPA at
/// 50% CPU (legacy path, no `behavior`), metrics scraped every 15 s over a 15 s window,
/// pods ready 10 s after creation; from 2m on, 4 requests/s.
///
/// * 15s: pod-0 has one scrape only, so no metric: no change.
/// * 30s: pod-0 used 4 cores (400%): proposal ceil(1 x 400/50) = 8, capped by the
///   legacy scale-up limit max(2 x 1, 4) = 4 (ScaleUpLimit). The raw proposal 8 is
///   what the controller records (section 1.8).
/// * 45s: pod-0 used 3 cores (4 until 40s, then 1 of 4 ready pods), the three new pods
///   are missing (one scrape): proposal 6 (missing pods count as 0 on a scale-up), but
///   the legacy stabilization takes the highest recommendation of the last 5 minutes,
///   8, and the limit is now max(2 x 4, 4) = 8: 4 -> 8.
/// * 60s..120s: 8 pods at 50%: within tolerance, no change (recommendation 8).
/// * 135s: 0.4 cores over 8 pods (5%): proposal 1, but the recommendations of 8 up to
///   120s hold it for 5 minutes; at 435s the one from 120s is older than 5 minutes
///   (strictly), so 8 -> 1 (no scale-down rate limit on the legacy path).
#[test]
fn hpa_step_load_follows_the_hand_computed_trajectory() {
    let exp = fixture("step.yaml");
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    let got = decisions(&r);
    assert_eq!(
        got,
        vec![(30, 1, 4), (45, 4, 8), (435, 8, 1)],
        "decisions: {:#?}",
        r.decisions
    );
    let s = &r.stations[0];
    assert_eq!((s.scale_ups, s.scale_downs), (2, 1));
    assert_eq!(s.first_scale_up_s, Some(30.0));
    assert_eq!(s.desired_max, 8.0);
}

/// The seed's API group (desired 8) and CPU policy (above 70% for 2 x 300 s: +2, cooldown
/// 300 s) under a constant 90% CPU from t = 0, instances in service 60 s after launch.
///
/// * The alarm has its two breaching 5-minute datapoints at 600 s: 8 -> 10.
/// * The cooldown starts when the launch completes (660 s) and lasts 300 s; the alarm
///   stays in ALARM (72% > 70%), so the next action is at 960 s: 10 -> 12.
/// * At 12 instances the CPU is 60%: no further action within the 20 minutes.
#[test]
fn aws_simple_scaling_follows_alarm_and_cooldown_timeline() {
    let exp = fixture("asg.yaml");
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    let got = decisions(&r);
    assert_eq!(
        got,
        vec![(600, 8, 10), (960, 10, 12)],
        "decisions: {:#?}",
        r.decisions
    );
    assert_eq!(r.stations[0].replicas_max, 12.0);
}

/// Exactly 10 minutes (gracefulStop 0) of: 3 replicas at $0.10/h = $0.05; a database
/// primary at $0.50/h and two cache nodes at $0.20/h = $0.15; one read replica at $0.25/h
/// = $0.041667; and one $0.001 provider call per request sent.
#[test]
fn cost_of_a_fixed_fleet_to_the_cent() {
    let exp = fixture("fleet.yaml");
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    assert_eq!(r.duration, 600 * NANOS_PER_SEC);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(
        close(r.stations[0].cost_usd, 0.05),
        "services {}",
        r.stations[0].cost_usd
    );
    assert!(close(r.cost.services, 0.05), "{:?}", r.cost);
    assert!(close(r.cost.caches_and_fixed, 0.15), "{:?}", r.cost);
    assert!(close(r.cost.databases, 0.25 / 6.0), "{:?}", r.cost);
    assert_eq!(r.accounting.sent, 6000);
    assert!(close(r.cost.providers, 6.0), "{:?}", r.cost);
    let total = 0.05 + 0.15 + 0.25 / 6.0 + 6.0;
    assert!(close(r.cost.total(), total), "{:?}", r.cost);
    let per_bucket: f64 = r.buckets.iter().map(|b| b.cost_usd).sum();
    assert!(close(per_bucket, total), "bucket costs sum to {per_bucket}");
}

/// Target tracking at 50% CPU on the same 90% load (AWS default alarms: AlarmHigh 3 of 3
/// one-minute datapoints above the target). The third breaching datapoint ends at 180 s:
/// capacity ceil(8 x 90 / 50) = 15. Afterwards 7.2 cores over 15 instances is 48%: below
/// the target and above the scale-in alarm (0.7 x 50 = 35%), so nothing more.
#[test]
fn aws_target_tracking_sizes_to_the_target() {
    let exp = fixture("tt.yaml");
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    let got = decisions(&r);
    assert_eq!(got, vec![(180, 8, 15)], "decisions: {:#?}", r.decisions);
}

/// Step scaling above 62% CPU (one 1-minute datapoint): +1 below 82%, +3 from 82%; warm-up
/// 120 s; instances in service 60 s after launch.
///
/// * 60 s: 90% is 28 points above: +3, 8 -> 11 (in service at 120 s, warm until 240 s).
/// * 120 s: the datapoint [60, 120) is still 90%: +3 on the capacity without warming
///   instances (8) gives 11: no change.
/// * 180 s: 7.2 cores / 11 = 65.5%: +1 on 8 = 9: no change.
/// * 240 s: 65.5% again, warm-up over: 11 + 1 = 12.
/// * 300 s: the datapoint [240, 300) (the 12th still starting) gives 12 again: no change;
///   afterwards 60% < 62%: the alarm is OK.
#[test]
fn aws_step_scaling_counts_warming_instances_once() {
    let exp = fixture("steps.yaml");
    let r = run_replication(&exp, 0, Budget::default()).unwrap();
    let got = decisions(&r);
    assert_eq!(
        got,
        vec![(60, 8, 11), (240, 11, 12)],
        "decisions: {:#?}",
        r.decisions
    );
}
