//! AWS EC2 Auto Scaling, CloudWatch alarms and ALB health checks against the rules and
//! worked examples of reference §3. Every expected number is computed by hand in the
//! comments.

use capsim::autoscale::aws::alarm::{
    Aggregate, AlarmConfig, AlarmState, MetricAlarm, evaluate_range,
};
use capsim::autoscale::aws::convert::{parse_asg_json, parse_scaling_policies_yaml};
use capsim::autoscale::aws::group::{
    AlarmSignal, AutoScalingGroup, GroupConfig, HealthCheckType, Held, PolicyInput,
};
use capsim::autoscale::aws::policy::{
    ReadReplicaState, SimplePolicy, StepAdjustment, StepPolicy, TargetTrackingPolicy,
    apply_adjustment, clamp_capacity, percent_change,
};
use capsim::autoscale::health::{HealthCheckConfig, InitialRule, TargetGroupHealth, TargetHealth};
use capsim::error::LoadError;
use capsim::spec::aws::{AdjustmentType, ComparisonOperator, Statistic, TreatMissingData};
use capsim::time::{NANOS_PER_MILLI as MS, NANOS_PER_SEC as S};
use std::path::Path;

const MIN: u64 = 60 * S;

// ---------------------------------------------------------------- alarms

/// Threshold 3, GreaterThanThreshold: `0` is 1.0 (not breaching), `X` is 5.0.
fn row(text: &str) -> Vec<Option<f64>> {
    text.split_whitespace()
        .map(|c| match c {
            "0" => Some(1.0),
            "X" => Some(5.0),
            "-" => None,
            other => panic!("bad cell {other}"),
        })
        .collect()
}

fn table_config(m: u32, treat: TreatMissingData) -> AlarmConfig {
    AlarmConfig::new(
        Statistic::Average,
        5 * MIN,
        3,
        ComparisonOperator::GreaterThanThreshold,
        3.0,
    )
    .with_datapoints_to_alarm(m)
    .with_treat_missing_data(treat)
}

use AlarmState::{Alarm as A, InsufficientData as I, Ok as O};
use TreatMissingData::{Breaching, Ignore, Missing, NotBreaching};

/// `None` in the IGNORE column means "retain current state".
fn check_table(m: u32, rows: &[(&str, AlarmState, Option<AlarmState>, AlarmState, AlarmState)]) {
    for (points, missing, ignore, breaching, not_breaching) in rows {
        let d = row(points);
        assert_eq!(d.len(), 5, "the user guide's tables fetch 5 datapoints");
        for (treat, want) in [
            (Missing, *missing),
            (Breaching, *breaching),
            (NotBreaching, *not_breaching),
        ] {
            for current in [O, A, I] {
                let got = evaluate_range(&table_config(m, treat), &d, current);
                assert_eq!(got, want, "{m} of 3, {points:?}, {treat:?}, from {current}");
            }
        }
        for current in [O, A, I] {
            let got = evaluate_range(&table_config(m, Ignore), &d, current);
            assert_eq!(
                got,
                ignore.unwrap_or(current),
                "{m} of 3, {points:?}, ignore"
            );
        }
    }
}

#[test]
fn alarm_missing_data_table_3_of_3_matches_cloudwatch_guide() {
    // CloudWatch UG, "How alarm state is evaluated when data is missing", first table.
    check_table(
        3,
        &[
            ("0 - X - X", O, Some(O), O, O),
            ("0 - - - -", O, Some(O), O, O),
            ("- - - - -", I, None, A, O),
            ("0 X X - X", A, Some(A), A, A),
            ("- - - - X", I, None, A, O),
            ("X - - - -", A, None, A, O),
        ],
    );
}

#[test]
fn alarm_missing_data_table_2_of_3_matches_cloudwatch_guide() {
    // Second table: Datapoints to Alarm 2, Evaluation Periods 3.
    check_table(
        2,
        &[
            ("0 - X - X", A, Some(A), A, A),
            ("0 0 X 0 X", A, Some(A), A, A),
            ("0 - X - -", O, Some(O), A, O),
            ("- - - - 0", O, Some(O), A, O),
            ("- - - - X", I, None, A, O),
        ],
    );
}

#[test]
fn aggregate_statistics() {
    let mut a = Aggregate::EMPTY;
    assert_eq!(a.statistic(Statistic::Average), None);
    assert_eq!(a.statistic(Statistic::SampleCount), None);
    for v in [2.0, 4.0, 9.0] {
        a.add(v);
    }
    assert_eq!(a.statistic(Statistic::Average), Some(5.0));
    assert_eq!(a.statistic(Statistic::Sum), Some(15.0));
    assert_eq!(a.statistic(Statistic::Minimum), Some(2.0));
    assert_eq!(a.statistic(Statistic::Maximum), Some(9.0));
    assert_eq!(a.statistic(Statistic::SampleCount), Some(3.0));
}

#[test]
fn alarm_two_of_three_timeline_from_raw_samples() {
    // Period 1 min, 2 of 3, Average > 70. Two samples a minute; minute averages:
    // m0 = (40+60)/2 = 50, m1 = (70+90)/2 = 80, m2 = 60, m3 = 90, m4 = 40, m5 = 95.
    let config = AlarmConfig::new(
        Statistic::Average,
        MIN,
        3,
        ComparisonOperator::GreaterThanThreshold,
        70.0,
    )
    .with_datapoints_to_alarm(2);
    let mut alarm = MetricAlarm::new(config);
    assert_eq!(alarm.state(), I, "a new alarm starts in INSUFFICIENT_DATA");
    let samples = [
        (40.0, 60.0),
        (70.0, 90.0),
        (60.0, 60.0),
        (90.0, 90.0),
        (40.0, 40.0),
        (95.0, 95.0),
    ];
    for (m, (a, b)) in samples.iter().enumerate() {
        let t = m as u64 * MIN;
        alarm.record(t + 10 * S, *a);
        alarm.record(t + 40 * S, *b);
    }
    // Sample exactly at a tick belongs to the next minute: it must not count at t = 60 s.
    let mut expect = vec![];
    for m in 1..=6u64 {
        let e = alarm.evaluate(m * MIN);
        expect.push((e.state, e.invoke_action, e.recent.clone()));
    }
    // t=1m: [50] one real, not breaching → OK.  t=2m: [50,80] 1 breach < 2, a non-breach → OK.
    // t=3m: [50,80,60] → 1 breach → OK.  t=4m: [80,60,90] → 2 → ALARM.
    // t=5m: [60,90,40] → 1 → OK.  t=6m: [90,40,95] → 2 → ALARM.
    let states: Vec<AlarmState> = expect.iter().map(|e| e.0).collect();
    assert_eq!(states, [O, O, O, A, O, A]);
    let actions: Vec<bool> = expect.iter().map(|e| e.1).collect();
    assert_eq!(actions, [false, false, false, true, false, true]);
    assert_eq!(expect[3].2, [80.0, 60.0, 90.0]);
    assert_eq!(expect[0].2, [50.0]);
}

#[test]
fn alarm_with_five_minute_period_slides_every_minute() {
    // P = 300 s, N = 1, Sum > 100. One sample of 30 per minute from minute 0 to 9.
    // Evaluated every minute: at t = 6 min the datapoint covers [1 min, 6 min) → 5 × 30 = 150.
    // At t = 3 min its window [−2 min, 3 min) starts before 0 → missing → INSUFFICIENT_DATA.
    let config = AlarmConfig::new(
        Statistic::Sum,
        5 * MIN,
        1,
        ComparisonOperator::GreaterThanThreshold,
        100.0,
    );
    assert_eq!(config.evaluation_interval(), MIN);
    let mut alarm = MetricAlarm::new(config);
    for m in 0..10 {
        alarm.record(m * MIN + S, 30.0);
    }
    let e3 = alarm.evaluate(3 * MIN);
    assert_eq!(e3.state, I);
    let e6 = alarm.evaluate(6 * MIN);
    assert_eq!(e6.latest(), Some(150.0));
    assert_eq!(e6.state, A);
    assert_eq!(alarm.next_evaluation(6 * MIN), 7 * MIN);
    // High-resolution periods are evaluated every 10 s.
    let hr = AlarmConfig::new(
        Statistic::Average,
        10 * S,
        3,
        ComparisonOperator::GreaterThanThreshold,
        1.0,
    );
    assert_eq!(hr.evaluation_interval(), 10 * S);
}

#[test]
fn alarm_actions_repeat_every_minute_while_in_alarm() {
    let config = AlarmConfig::new(
        Statistic::Maximum,
        MIN,
        1,
        ComparisonOperator::GreaterThanOrEqualToThreshold,
        10.0,
    );
    let mut alarm = MetricAlarm::new(config);
    for m in 0..4 {
        alarm.record(m * MIN, 10.0); // exactly at the threshold: breaches with >=
    }
    let e1 = alarm.evaluate(MIN);
    assert!(e1.changed() && e1.invoke_action);
    let e2 = alarm.evaluate(2 * MIN);
    assert!(
        !e2.changed() && e2.invoke_action,
        "still ALARM: the action runs again"
    );
    assert_eq!(e2.state, A);
}

#[test]
fn alarm_config_validation_names_the_field() {
    let bad_period = AlarmConfig::new(
        Statistic::Average,
        45 * S,
        2,
        ComparisonOperator::LessThanThreshold,
        1.0,
    );
    let e = bad_period.validate().unwrap_err();
    assert_eq!(e.path, "period");
    assert!(e.message.contains("10, 30 or a multiple of 60"), "{e}");
    let m_above_n = table_config(4, Missing);
    assert_eq!(m_above_n.validate().unwrap_err().path, "datapointsToAlarm");
    let too_long = AlarmConfig::new(
        Statistic::Average,
        3600 * S,
        25,
        ComparisonOperator::LessThanThreshold,
        1.0,
    );
    assert!(too_long.validate().unwrap_err().message.contains("one day"));
}

// ---------------------------------------------------------------- adjustments

#[test]
fn percent_change_rounding_follows_the_user_guide() {
    // 10 × 127 % = 12.7 → 12; 67 × 1 % = 0.67 → 1; 2 × −29 % = −0.58 → −1;
    // 23 × −29 % = −6.67 → −6; 11 × 30 % = 3.3 → 3; 0 × 50 % = 0 → 0.
    assert_eq!(percent_change(10, 127), 12);
    assert_eq!(percent_change(67, 1), 1);
    assert_eq!(percent_change(2, -29), -1);
    assert_eq!(percent_change(23, -29), -6);
    assert_eq!(percent_change(11, 30), 3);
    assert_eq!(percent_change(0, 50), 0);
    assert_eq!(percent_change(10, 10), 1);
}

#[test]
fn min_adjustment_magnitude_raises_small_percent_changes() {
    use AdjustmentType::*;
    // 25 % of 4 = 1, minimum 2 → +2 → 6 (the user guide's example).
    assert_eq!(apply_adjustment(4, PercentChangeInCapacity, 25, Some(2)), 6);
    assert_eq!(apply_adjustment(4, PercentChangeInCapacity, 25, None), 5);
    // −25 % of 4 = −1, minimum 2 → −2 → 2.
    assert_eq!(
        apply_adjustment(4, PercentChangeInCapacity, -25, Some(2)),
        2
    );
    // A change already larger than the minimum is kept: 50 % of 20 = 10 > 2 → 30.
    assert_eq!(
        apply_adjustment(20, PercentChangeInCapacity, 50, Some(2)),
        30
    );
    // The minimum does not apply to the other types.
    assert_eq!(apply_adjustment(4, ChangeInCapacity, 1, Some(3)), 5);
    let mut p = SimplePolicy::change_in_capacity(1, None);
    p.min_adjustment_magnitude = Some(3);
    let e = p.validate().unwrap_err();
    assert_eq!(e.path, "minAdjustmentMagnitude");
    assert!(e.message.contains("PercentChangeInCapacity"), "{e}");
}

#[test]
fn exact_capacity_sets_and_is_clamped() {
    assert_eq!(
        apply_adjustment(8, AdjustmentType::ExactCapacity, 5, None),
        5
    );
    let exact = SimplePolicy {
        adjustment_type: AdjustmentType::ExactCapacity,
        scaling_adjustment: 25,
        min_adjustment_magnitude: None,
        cooldown: Some(0),
    };
    let mut g = AutoScalingGroup::new(GroupConfig::new("g", 4, 20, 8), 0);
    let d = g.decide(
        0,
        &[PolicyInput::Simple {
            name: "exact",
            policy: &exact,
            alarm: A,
        }],
    );
    assert_eq!(
        (d.desired_before, d.desired_after),
        (8, 20),
        "25 clamped to MaxSize 20"
    );
    assert_eq!(d.launch.len(), 12);
    let negative = SimplePolicy {
        scaling_adjustment: -1,
        ..exact
    };
    assert_eq!(negative.validate().unwrap_err().path, "scalingAdjustment");
}

#[test]
fn min_and_max_clamps() {
    assert_eq!(clamp_capacity(-3, 4, 20), 4);
    assert_eq!(clamp_capacity(25, 4, 20), 20);
    let down = SimplePolicy::change_in_capacity(-3, Some(60 * S));
    let mut g = AutoScalingGroup::new(GroupConfig::new("g", 4, 20, 5), 0);
    let d = g.decide(
        0,
        &[PolicyInput::Simple {
            name: "down",
            policy: &down,
            alarm: A,
        }],
    );
    assert_eq!(d.desired_after, 4, "5 − 3 = 2 clamped to MinSize 4");
    assert_eq!(d.terminate.len(), 1);
    g.instance_terminated(d.terminate[0], 10 * S);
    assert_eq!(g.cooldown_until(), 70 * S);
    // At MinSize a further scale-in does nothing and starts no cooldown.
    let d = g.decide(
        100 * S,
        &[PolicyInput::Simple {
            name: "down",
            policy: &down,
            alarm: A,
        }],
    );
    assert!(!d.changed());
    assert_eq!(d.held, [("down".to_string(), Held::NoChange)]);
    assert_eq!(g.cooldown_until(), 70 * S);
}

// ---------------------------------------------------------------- simple scaling

#[test]
fn simple_scaling_ignores_alarms_until_activity_and_cooldown_end() {
    // Group 4..20 at 8, DefaultCooldown 300 s; policy +2 with Cooldown 300 s.
    let up = SimplePolicy::change_in_capacity(2, Some(300 * S));
    let input = |state| PolicyInput::Simple {
        name: "api-up",
        policy: &up,
        alarm: state,
    };
    let mut g = AutoScalingGroup::new(GroupConfig::new("api", 4, 20, 8), 0);
    let d = g.decide(0, &[input(A)]);
    assert_eq!((d.desired_after, d.launch.clone()), (10, vec![8, 9]));
    assert_eq!(d.policy.as_deref(), Some("api-up"));
    // t = 60 s: the alarm is still in ALARM but the activity is in progress.
    let d = g.decide(60 * S, &[input(A)]);
    assert!(!d.changed());
    assert_eq!(d.held, [("api-up".to_string(), Held::Cooldown)]);
    // Instances finish launching at 90 s and 120 s; the cooldown runs from the last: 420 s.
    g.instance_in_service(8, 90 * S);
    assert!(g.in_cooldown(100 * S));
    g.instance_in_service(9, 120 * S);
    assert_eq!(g.cooldown_until(), 420 * S);
    assert_eq!(g.decide(180 * S, &[input(A)]).desired_after, 10);
    assert_eq!(g.decide(419 * S, &[input(A)]).desired_after, 10);
    // An OK alarm never acts.
    assert_eq!(g.decide(420 * S, &[input(O)]).desired_after, 10);
    let d = g.decide(420 * S, &[input(A)]);
    assert_eq!((d.desired_before, d.desired_after), (10, 12));
}

#[test]
fn simple_policy_without_cooldown_uses_default_cooldown() {
    let mut cfg = GroupConfig::new("g", 1, 10, 2);
    cfg.default_cooldown = 120 * S;
    let up = SimplePolicy::change_in_capacity(1, None);
    let mut g = AutoScalingGroup::new(cfg, 0);
    let d = g.decide(
        0,
        &[PolicyInput::Simple {
            name: "up",
            policy: &up,
            alarm: A,
        }],
    );
    g.instance_in_service(d.launch[0], 50 * S);
    assert_eq!(g.cooldown_until(), 170 * S, "50 s + DefaultCooldown 120 s");
}

// ---------------------------------------------------------------- step scaling

fn worked_example_steps() -> (StepPolicy, StepPolicy) {
    // Threshold 50. Out: [0,10) → 0, [10,20) → +10 %, [20,∞) → +30 %.
    // In: (−10,0] → 0, (−20,−10] → −10 %, (−∞,−20] → −30 %.
    let out = StepPolicy::new(
        AdjustmentType::PercentChangeInCapacity,
        vec![
            StepAdjustment::new(Some(0.0), Some(10.0), 0),
            StepAdjustment::new(Some(10.0), Some(20.0), 10),
            StepAdjustment::new(Some(20.0), None, 30),
        ],
    );
    let inn = StepPolicy::new(
        AdjustmentType::PercentChangeInCapacity,
        vec![
            StepAdjustment::new(Some(-10.0), Some(0.0), 0),
            StepAdjustment::new(Some(-20.0), Some(-10.0), -10),
            StepAdjustment::new(None, Some(-20.0), -30),
        ],
    );
    (out, inn)
}

fn step<'a>(name: &'a str, policy: &'a StepPolicy, alarm: &'a AlarmSignal) -> PolicyInput<'a> {
    PolicyInput::Step {
        name,
        policy,
        alarm,
    }
}

fn high(metric: f64) -> AlarmSignal {
    AlarmSignal::new(
        A,
        50.0,
        ComparisonOperator::GreaterThanThreshold,
        vec![metric],
    )
}

fn low(metric: f64) -> AlarmSignal {
    AlarmSignal::new(A, 50.0, ComparisonOperator::LessThanThreshold, vec![metric])
}

#[test]
fn step_bounds_are_inclusive_on_the_side_away_from_the_threshold() {
    let (out, inn) = worked_example_steps();
    out.validate().unwrap();
    inn.validate().unwrap();
    let up = ComparisonOperator::GreaterThanThreshold;
    let down = ComparisonOperator::LessThanThreshold;
    // 60 is 10 above: lower bound inclusive → the +10 % step.
    assert_eq!(out.select(60.0, 50.0, up).unwrap().scaling_adjustment, 10);
    assert_eq!(out.select(59.99, 50.0, up).unwrap().scaling_adjustment, 0);
    assert_eq!(out.select(70.0, 50.0, up).unwrap().scaling_adjustment, 30);
    // 40 is 10 below: upper bound inclusive → the (−20,−10] step.
    assert_eq!(
        inn.select(40.0, 50.0, down).unwrap().scaling_adjustment,
        -10
    );
    assert_eq!(inn.select(40.01, 50.0, down).unwrap().scaling_adjustment, 0);
    assert_eq!(
        inn.select(30.0, 50.0, down).unwrap().scaling_adjustment,
        -30
    );
}

#[test]
fn step_validation_rejects_gaps_overlaps_and_double_null_bounds() {
    let gap = StepPolicy::new(
        AdjustmentType::ChangeInCapacity,
        vec![
            StepAdjustment::new(Some(0.0), Some(10.0), 1),
            StepAdjustment::new(Some(15.0), None, 2),
        ],
    );
    let e = gap.validate().unwrap_err();
    assert!(e.message.contains("overlap or leave a gap"), "{e}");
    let two_null_upper = StepPolicy::new(
        AdjustmentType::ChangeInCapacity,
        vec![
            StepAdjustment::new(Some(0.0), None, 1),
            StepAdjustment::new(Some(10.0), None, 2),
        ],
    );
    assert!(
        two_null_upper
            .validate()
            .unwrap_err()
            .message
            .contains("at most one")
    );
    let no_null_upper = StepPolicy::new(
        AdjustmentType::ChangeInCapacity,
        vec![StepAdjustment::new(Some(0.0), Some(10.0), 1)],
    );
    assert!(
        no_null_upper
            .validate()
            .unwrap_err()
            .message
            .contains("null upper")
    );
}

#[test]
fn step_scaling_worked_example_with_warmup() {
    // Capacity 10, threshold 50, warm-up 300 s (DefaultInstanceWarmup).
    let (out, inn) = worked_example_steps();
    let mut cfg = GroupConfig::new("g", 1, 100, 10);
    cfg.default_instance_warmup = Some(300 * S);
    let mut g = AutoScalingGroup::new(cfg, 0);

    // Metric 60: +10 % of 10 = 1 → 11.
    let d = g.decide(0, &[step("out", &out, &high(60.0))]);
    assert_eq!(d.desired_after, 11);
    assert_eq!(d.launch, [10]);
    g.instance_in_service(10, 30 * S);
    // The warming instance does not count toward the aggregated metrics (until 330 s).
    assert_eq!(g.metric_instances(60 * S, 300 * S).count(), 10);
    assert!(!g.metric_instances(60 * S, 300 * S).any(|id| id == 10));
    assert_eq!(g.metric_instances(330 * S, 300 * S).count(), 11);

    // Metric 62 while warming: 10 % of 10 = 1 → 11 = desired already → no change.
    let d = g.decide(60 * S, &[step("out", &out, &high(62.0))]);
    assert!(!d.changed());
    assert_eq!(d.held, [("out".to_string(), Held::NoChange)]);

    // Scale-in is blocked while an instance warms up.
    let d = g.decide(90 * S, &[step("in", &inn, &low(35.0))]);
    assert_eq!(d.held, [("in".to_string(), Held::WarmupBlocksScaleIn)]);

    // Metric 70 while warming: 30 % of 10 = 3 → 13; desired is 11 so only 2 are added.
    let d = g.decide(120 * S, &[step("out", &out, &high(70.0))]);
    assert_eq!((d.desired_before, d.desired_after), (11, 13));
    assert_eq!(d.launch, [11, 12]);
    g.instance_in_service(11, 150 * S);
    g.instance_in_service(12, 160 * S);

    // All warm at 460 s. Metric 70: 30 % of 13 = 3.9 → 3 → 16.
    let d = g.decide(460 * S, &[step("out", &out, &high(70.0))]);
    assert_eq!(d.desired_after, 16);
    for id in d.launch.clone() {
        g.instance_in_service(id, 500 * S);
    }
    // At 800 s everything is warm: metric 35 (15 below): −10 % of 16 = −1.6 → −1 → 15;
    // the newest instance (launched at 460 s) is terminated.
    let d = g.decide(800 * S, &[step("in", &inn, &low(35.0))]);
    assert_eq!(d.desired_after, 15);
    assert_eq!(d.terminate, [15]);
    // Next minute, same metric: the terminating instance still counts as current
    // capacity (16 → −1 → 15 = desired), so nothing more is removed.
    let d = g.decide(860 * S, &[step("in", &inn, &low(35.0))]);
    assert!(!d.changed());
}

#[test]
fn step_scaling_without_warmup_uses_current_capacity() {
    // The guide's non-warm-up case: 11 instances, metric 70 → 30 % of 11 = 3.3 → 3 → 14.
    let (out, _) = worked_example_steps();
    let mut g = AutoScalingGroup::new(GroupConfig::new("g", 1, 100, 11), 0);
    let d = g.decide(
        0,
        &[PolicyInput::Step {
            name: "out",
            policy: &out,
            alarm: &high(70.0),
        }],
    );
    assert_eq!(d.desired_after, 14);
}

// ---------------------------------------------------------------- target tracking

#[test]
fn target_tracking_default_alarm_shapes() {
    let tt = TargetTrackingPolicy::new(50.0);
    let h = tt.high_alarm_config();
    assert_eq!(
        (h.period, h.evaluation_periods, h.datapoints_to_alarm),
        (MIN, 3, 3)
    );
    assert_eq!(h.comparison, ComparisonOperator::GreaterThanThreshold);
    assert_eq!(h.threshold, 50.0);
    let l = tt.low_alarm_config();
    assert_eq!(
        (l.period, l.evaluation_periods, l.datapoints_to_alarm),
        (MIN, 15, 15)
    );
    assert_eq!(l.comparison, ComparisonOperator::LessThanThreshold);
    assert!(
        (l.threshold - 35.0).abs() < 1e-9,
        "CPU 50 → 35 as in the EC2 console"
    );
    // "adding 1.5 instances … add two"; "removing 1.5 instances … remove just one".
    assert_eq!(tt.proportional_capacity(10, 57.5), 12);
    assert_eq!(tt.proportional_capacity(10, 42.5), 9);
    assert_eq!(tt.proportional_capacity(10, 50.0), 10);
}

#[test]
fn target_tracking_scale_out_timeline() {
    // Target CPU 50; group 4..20 at 4 (warm); warm-up = DefaultCooldown 300 s.
    let tt = TargetTrackingPolicy::new(50.0);
    let mut high_alarm = MetricAlarm::new(tt.high_alarm_config());
    let mut low_alarm = MetricAlarm::new(tt.low_alarm_config());
    let mut g = AutoScalingGroup::new(GroupConfig::new("api", 4, 20, 4), 0);
    // Per-minute CPU of the non-warming instances: 40, 60, 70, 80, 75, 90.
    let cpu = [40.0, 60.0, 70.0, 80.0, 75.0, 90.0];
    let mut desired = vec![];
    for (m, v) in cpu.iter().enumerate() {
        let t = m as u64 * MIN;
        high_alarm.record(t + S, *v);
        low_alarm.record(t + S, *v);
        let tick = t + MIN;
        let he = high_alarm.evaluate(tick);
        let le = low_alarm.evaluate(tick);
        let hs = AlarmSignal::from_evaluation(high_alarm.config(), &he);
        let ls = AlarmSignal::from_evaluation(low_alarm.config(), &le);
        let d = g.decide(
            tick,
            &[PolicyInput::TargetTracking {
                name: "cpu50",
                policy: &tt,
                high: &hs,
                low: &ls,
            }],
        );
        for id in &d.launch {
            g.instance_in_service(*id, tick + 90 * S);
        }
        desired.push((he.state, d.desired_after));
    }
    // 1–3 min: fewer than 3 breaching datapoints → no ALARM.
    // 4 min: [60,70,80] all > 50 → ALARM; ceil(4 × 80 / 50) = ceil(6.4) = 7.
    // 5 min: 75 from the 4 warm instances: ceil(4 × 75 / 50) = 6 < 7 → stays 7.
    // 6 min: 90: ceil(4 × 90 / 50) = ceil(7.2) = 8 → 8 (one more, warming ones counted).
    assert_eq!(desired, [(O, 4), (O, 4), (O, 4), (A, 7), (A, 7), (A, 8)]);
}

#[test]
fn target_tracking_scale_in_timeline() {
    // Target 50, AlarmLow < 35 for 15 of 15 minutes. Group 2..20 at 10, warm.
    let tt = TargetTrackingPolicy::new(50.0);
    let mut high_alarm = MetricAlarm::new(tt.high_alarm_config());
    let mut low_alarm = MetricAlarm::new(tt.low_alarm_config());
    let mut g = AutoScalingGroup::new(GroupConfig::new("api", 2, 20, 10), 0);
    let mut log = vec![];
    for m in 0..17u64 {
        // CPU 30 for 15 minutes, then 50 (the load spread over fewer instances).
        let v = if m < 15 { 30.0 } else { 50.0 };
        high_alarm.record(m * MIN + S, v);
        low_alarm.record(m * MIN + S, v);
        let tick = (m + 1) * MIN;
        let he = high_alarm.evaluate(tick);
        let hs = AlarmSignal::from_evaluation(high_alarm.config(), &he);
        let le = low_alarm.evaluate(tick);
        let ls = AlarmSignal::from_evaluation(low_alarm.config(), &le);
        let d = g.decide(
            tick,
            &[PolicyInput::TargetTracking {
                name: "cpu50",
                policy: &tt,
                high: &hs,
                low: &ls,
            }],
        );
        log.push((m + 1, le.state, d.desired_after));
    }
    // Minutes 1–14: fewer than 15 datapoints, all breaching → INSUFFICIENT_DATA, no scale-in.
    for (minute, state, desired) in &log[..14] {
        assert_eq!((*state, *desired), (I, 10), "minute {minute}");
    }
    // Minute 15: 15 × 30 < 35 → ALARM; ceil(10 × 30 / 50) = 6.
    assert_eq!(log[14], (15, A, 6));
    // Minute 16: one datapoint of 50 is not breaching → OK; stays 6.
    assert_eq!(log[15], (16, O, 6));
    assert_eq!(log[16], (17, O, 6));
}

#[test]
fn target_tracking_scales_in_only_when_all_policies_agree() {
    let cpu = TargetTrackingPolicy::new(50.0);
    let req = TargetTrackingPolicy::new(1000.0);
    let mut g = AutoScalingGroup::new(GroupConfig::new("g", 1, 20, 10), 0);
    let ok = |th| AlarmSignal::new(O, th, ComparisonOperator::GreaterThanThreshold, vec![]);
    let cpu_low = AlarmSignal::new(A, 35.0, ComparisonOperator::LessThanThreshold, vec![30.0]);
    let req_low_ok = AlarmSignal::new(O, 700.0, ComparisonOperator::LessThanThreshold, vec![800.0]);
    let (h1, h2) = (ok(50.0), ok(1000.0));
    let d = g.decide(
        0,
        &[
            PolicyInput::TargetTracking {
                name: "cpu",
                policy: &cpu,
                high: &h1,
                low: &cpu_low,
            },
            PolicyInput::TargetTracking {
                name: "req",
                policy: &req,
                high: &h2,
                low: &req_low_ok,
            },
        ],
    );
    assert!(!d.changed());
    assert_eq!(d.held, [("cpu".to_string(), Held::ScaleInNotUnanimous)]);
    // With scale-in disabled on the request policy, the CPU policy alone decides: 10 → 6.
    let mut req_out_only = req.clone();
    req_out_only.disable_scale_in = true;
    let d = g.decide(
        0,
        &[
            PolicyInput::TargetTracking {
                name: "cpu",
                policy: &cpu,
                high: &h1,
                low: &cpu_low,
            },
            PolicyInput::TargetTracking {
                name: "req",
                policy: &req_out_only,
                high: &h2,
                low: &req_low_ok,
            },
        ],
    );
    assert_eq!(d.desired_after, 6);
}

// ---------------------------------------------------------------- ASG health replacement

#[test]
fn elb_unhealthy_is_ignored_during_grace_period() {
    let mut cfg = GroupConfig::new("g", 1, 10, 1);
    cfg.health_check_type = HealthCheckType::Elb;
    cfg.health_check_grace_period = 300 * S;
    let mut g = AutoScalingGroup::new(cfg, 0);
    let up = SimplePolicy::change_in_capacity(1, Some(0));
    let d = g.decide(
        0,
        &[PolicyInput::Simple {
            name: "up",
            policy: &up,
            alarm: A,
        }],
    );
    let new = d.launch[0];
    g.instance_in_service(new, 100 * S);
    // Grace runs 100 s → 400 s.
    assert!(g.report_unhealthy(new, 399 * S, true).terminate.is_empty());
    let d = g.report_unhealthy(new, 400 * S, true);
    assert_eq!(d.terminate, [new]);
    assert_eq!(d.launch.len(), 1, "replaced one for one");
    assert_eq!(g.desired(), 2);
    // An EC2 status failure replaces at once, even in grace.
    let repl = d.launch[0];
    g.instance_in_service(repl, 410 * S);
    assert_eq!(g.report_unhealthy(repl, 420 * S, false).terminate, [repl]);
}

// ---------------------------------------------------------------- ALB target health

fn tg(rule: InitialRule) -> TargetGroupHealth {
    let cfg = HealthCheckConfig {
        initial_rule: rule,
        ..HealthCheckConfig::default()
    };
    cfg.validate().unwrap();
    TargetGroupHealth::new(cfg)
}

#[test]
fn new_target_takes_traffic_after_one_passed_check() {
    // Defaults: interval 30 s, first check one interval after registration, 1 ms answer.
    let mut h = tg(InitialRule::OneCheck);
    h.register(1, 0);
    h.advance(30 * S);
    assert_eq!(
        h.health(1),
        Some(TargetHealth::Initial),
        "result not back yet"
    );
    assert!(h.routable().is_empty());
    let changes = h.advance(30 * S + MS);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].time, 30 * S + MS);
    assert_eq!(h.routable(), [1]);
}

#[test]
fn new_target_with_healthy_threshold_rule_needs_interval_times_threshold() {
    // Checks at 30, 60, 90, 120, 150 s; healthy when the 5th passes: 5 × 30 s + 1 ms.
    let mut h = tg(InitialRule::HealthyThreshold);
    h.register(1, 0);
    h.advance(150 * S);
    assert_eq!(h.health(1), Some(TargetHealth::Initial));
    let changes = h.advance(150 * S + MS);
    assert_eq!(changes[0].time, 150 * S + MS);
    assert_eq!(changes[0].to, TargetHealth::Healthy);
}

#[test]
fn killed_target_receives_traffic_until_unhealthy_threshold() {
    let mut h = tg(InitialRule::OneCheck);
    h.register(1, 0);
    h.register(2, 0);
    h.advance(31 * S);
    assert_eq!(h.routable(), [1, 2]);
    // Target 1 dies at 31 s, right after its passing check at 30 s. Failing checks are
    // sent at 60 s and 90 s and fail at the 5 s timeout: unhealthy at 90 + 5 = 95 s,
    // = last pass 30 s + 2 × 30 s + 5 s.
    h.set_responding(1, 31 * S, false, 0);
    h.advance(95 * S - 1);
    assert_eq!(h.routable(), [1, 2], "still receiving traffic");
    let changes = h.advance(95 * S);
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].target, changes[0].time), (1, 95 * S));
    assert_eq!(h.routable(), [2]);
    // Back at 100 s: it needs 5 consecutive passes (120, 150, 180, 210, 240 s) → 240 s + 1 ms.
    h.set_responding(1, 100 * S, true, MS);
    h.advance(240 * S);
    assert_eq!(h.health(1), Some(TargetHealth::Unhealthy));
    h.advance(240 * S + MS);
    assert_eq!(h.health(1), Some(TargetHealth::Healthy));
}

#[test]
fn all_unhealthy_fails_open() {
    let mut h = tg(InitialRule::OneCheck);
    h.register(1, 0);
    h.register(2, 0);
    h.advance(31 * S);
    h.set_responding(1, 31 * S, false, 0);
    h.set_responding(2, 31 * S, false, 0);
    h.advance(94 * S);
    assert!(!h.failing_open());
    h.advance(95 * S);
    assert_eq!(h.health(1), Some(TargetHealth::Unhealthy));
    assert_eq!(h.health(2), Some(TargetHealth::Unhealthy));
    assert!(h.failing_open());
    assert_eq!(h.routable(), [1, 2], "fail-open: route to all");
}

#[test]
fn slow_answers_count_as_failures_and_draining_targets_get_nothing() {
    let mut h = tg(InitialRule::OneCheck);
    h.register(1, 0);
    h.set_responding(1, 0, true, 6 * S); // over the 5 s timeout
    h.advance(1000 * S);
    assert_eq!(h.health(1), Some(TargetHealth::Unhealthy));
    h.register(2, 1000 * S);
    h.advance(1031 * S);
    assert_eq!(h.routable(), [2]);
    assert_eq!(
        h.deregister(2, 1040 * S),
        Some(1340 * S),
        "300 s deregistration delay"
    );
    assert_eq!(h.health(2), Some(TargetHealth::Draining));
    assert_eq!(
        h.routable(),
        [1],
        "draining excluded; fail-open to the unhealthy one"
    );
}

// ---------------------------------------------------------------- seed files

fn seed(name: &str) -> (std::path::PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models/aws")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    (path, text)
}

#[test]
fn seed_asg_json_loads() {
    let (path, text) = seed("hamballer-api-asg.json");
    let (spec, cfg) = parse_asg_json(&path, &text).unwrap();
    assert_eq!(cfg.name, "hamballer-api-asg");
    assert_eq!(
        (cfg.min_size, cfg.max_size, cfg.desired_capacity),
        (4, 20, 8)
    );
    assert_eq!(cfg.default_cooldown, 300 * S);
    assert_eq!(cfg.health_check_type, HealthCheckType::Elb);
    assert_eq!(cfg.health_check_grace_period, 300 * S);
    assert_eq!(cfg.default_instance_warmup, None);
    assert_eq!(
        cfg.warmup(None),
        300 * S,
        "warm-up falls back to DefaultCooldown"
    );
    assert_eq!(spec.tags.len(), 2);
    assert_eq!(spec.tags[0].value.as_deref(), Some("HamBaller API"));
    assert_eq!(
        spec.launch_template
            .unwrap()
            .launch_template_name
            .as_deref(),
        Some("hamballer-api-template")
    );
    assert_eq!(spec.target_group_arns.len(), 1);
}

#[test]
fn seed_scaling_policies_yaml_loads() {
    let (path, text) = seed("scaling-policies.yaml");
    let p = parse_scaling_policies_yaml(&path, &text).unwrap();
    assert_eq!(p.keys().collect::<Vec<_>>(), ["api", "backend", "database"]);
    let api_up = p["api"].scale_up.as_ref().unwrap();
    let alarm = api_up.alarm_config();
    assert_eq!((alarm.period, alarm.evaluation_periods), (300 * S, 2));
    assert_eq!(alarm.threshold, 70.0);
    assert_eq!(api_up.simple_policy().cooldown, Some(300 * S));
    let api_down = p["api"].scale_down.as_ref().unwrap();
    assert_eq!(api_down.simple_policy().scaling_adjustment, -1);
    assert_eq!(api_down.simple_policy().cooldown, Some(600 * S));
    let backend_up = p["backend"].scale_up.as_ref().unwrap();
    assert_eq!(backend_up.metric_name, "RequestCount");
    assert_eq!(backend_up.alarm_config().period, 180 * S);
    let rule = p["database"]
        .read_replicas
        .as_ref()
        .unwrap()
        .to_rule()
        .unwrap();
    assert_eq!(rule.add_alarm.threshold, 80.0);
    assert_eq!(
        rule.add_alarm.comparison,
        ComparisonOperator::GreaterThanThreshold
    );
    assert_eq!(rule.remove_alarm.threshold, 30.0);
    // Replica rule: add one, then hold for the 300 s cooldown.
    let mut st = ReadReplicaState::default();
    assert_eq!(rule.decide(&mut st, 0, A, O, 3), Some(4));
    assert_eq!(rule.decide(&mut st, 299 * S, A, O, 4), None);
    assert_eq!(rule.decide(&mut st, 300 * S, O, A, 4), Some(3));
}

#[test]
fn seed_api_scale_up_policy_end_to_end() {
    // CPU 80 every minute; api.scaleUp: Average > 70 over 2 periods of 300 s.
    // t = 9 min: datapoints [4,9) min real, [−1,4) min before 0 → one breaching point,
    // fewer than M = 2, newest slots hold data → INSUFFICIENT_DATA.
    // t = 10 min: [5,10) and [0,5) both 80 → ALARM → +2: 8 → 10.
    let (path, text) = seed("scaling-policies.yaml");
    let p = parse_scaling_policies_yaml(&path, &text).unwrap();
    let up = p["api"].scale_up.as_ref().unwrap();
    let policy = up.simple_policy();
    let mut alarm = MetricAlarm::new(up.alarm_config());
    let (apath, atext) = seed("hamballer-api-asg.json");
    let (_, cfg) = parse_asg_json(&apath, &atext).unwrap();
    let mut g = AutoScalingGroup::new(cfg, 0);
    for m in 0..10 {
        alarm.record(m * MIN + S, 80.0);
    }
    assert_eq!(alarm.evaluate(9 * MIN).state, I);
    let e = alarm.evaluate(10 * MIN);
    assert_eq!(e.state, A);
    let d = g.decide(
        10 * MIN,
        &[PolicyInput::Simple {
            name: "api.scaleUp",
            policy: &policy,
            alarm: e.state,
        }],
    );
    assert_eq!((d.desired_before, d.desired_after), (8, 10));
}

#[test]
fn spec_errors_name_the_field_and_the_fix() {
    let p = Path::new("x.json");
    let bad = r#"{"AutoScalingGroupName":"a","MinSize":5,"MaxSize":3}"#;
    match parse_asg_json(p, bad).unwrap_err() {
        LoadError::Invalid { error, .. } => {
            assert_eq!(error.path, "MinSize");
            assert!(
                error.message.contains("MinSize must be ≤ MaxSize"),
                "{error}"
            );
        }
        other => panic!("{other}"),
    }
    let typo = r#"{"AutoScalingGroupName":"a","MinSize":1,"MaxSise":3}"#;
    assert!(matches!(
        parse_asg_json(p, typo).unwrap_err(),
        LoadError::Syntax { .. }
    ));
    let desired = r#"{"AutoScalingGroupName":"a","MinSize":1,"MaxSize":3,"DesiredCapacity":9}"#;
    match parse_asg_json(p, desired).unwrap_err() {
        LoadError::Invalid { error, .. } => assert_eq!(error.path, "DesiredCapacity"),
        other => panic!("{other}"),
    }

    let y = Path::new("p.yaml");
    let (_, text) = seed("scaling-policies.yaml");
    let invalid =
        |from: &str, to: &str| match parse_scaling_policies_yaml(y, &text.replacen(from, to, 1)) {
            Err(LoadError::Invalid { error, .. }) => error,
            other => panic!("{other:?}"),
        };
    let e = invalid("scalingAdjustment: 2", "scalingAdjustment: -2");
    assert_eq!(e.path, "api.scaleUp.scalingAdjustment");
    assert!(
        e.message.contains("needs a positive scalingAdjustment"),
        "{e}"
    );
    let e = invalid("period: 300", "period: 45");
    assert_eq!(e.path, "api.scaleUp.period");
    let e = invalid("action: addReadReplica", "action: removeReadReplica");
    assert_eq!(e.path, "database.readReplicas.scaleUp.action");
    let e = invalid(
        "threshold: 30\n    comparisonOperator: LessThanThreshold",
        "threshold: 75\n    comparisonOperator: LessThanThreshold",
    );
    assert_eq!(e.path, "api.scaleDown.threshold");
    // Unknown fields are syntax errors with a location.
    let typo = text.replacen("metricName: CPUUtilization", "metricNam: CPUUtilization", 1);
    assert!(matches!(
        parse_scaling_policies_yaml(y, &typo).unwrap_err(),
        LoadError::Syntax { line: 5, .. }
    ));
}
