//! Scaling policies: simple (§3.2), step (§3.3), target tracking (§3.5), the adjustment
//! types and their rounding (§3.4), and the seed's read-replica rule.
//!
//! Everything here is arithmetic on capacities; the group ([`super::group`]) owns state
//! (desired capacity, warming instances, cooldown) and calls these functions.

use super::alarm::{AlarmConfig, AlarmState};
use crate::error::FieldError;
use crate::spec::aws::{AdjustmentType, ComparisonOperator, Statistic, TreatMissingData};
use crate::time::{NANOS_PER_SEC, Nanos};
use serde::Deserialize;

/// `current × percent / 100`, rounded as the user guide says (§3.4): values above 1 are
/// rounded down, between 0 and 1 up to 1, between −1 and 0 down to −1, below −1 up;
/// that is, truncated toward zero but never to 0 (0 stays 0 only when the product is 0).
pub fn percent_change(current: u32, percent: i64) -> i64 {
    let product = current as i64 * percent;
    let truncated = product / 100;
    if truncated == 0 && product != 0 {
        product.signum()
    } else {
        truncated
    }
}

/// The new desired capacity (before clamping to the group's min and max) when
/// `scaling_adjustment` of `kind` is applied to `current`.
///
/// `min_adjustment_magnitude` applies only to `PercentChangeInCapacity`:
/// `|change| = max(|rounded change|, MinAdjustmentMagnitude)`, keeping the sign of the
/// adjustment (§3.4, "adds 25 percent … minimum increment of 2 … 2 instances added").
pub fn apply_adjustment(
    current: u32,
    kind: AdjustmentType,
    scaling_adjustment: i64,
    min_adjustment_magnitude: Option<u32>,
) -> i64 {
    match kind {
        AdjustmentType::ChangeInCapacity => current as i64 + scaling_adjustment,
        AdjustmentType::ExactCapacity => scaling_adjustment,
        AdjustmentType::PercentChangeInCapacity => {
            let mut change = percent_change(current, scaling_adjustment);
            if let Some(min) = min_adjustment_magnitude
                && scaling_adjustment != 0
                && change.abs() < min as i64
            {
                change = min as i64 * scaling_adjustment.signum();
            }
            current as i64 + change
        }
    }
}

/// Clamps a desired capacity to `[min, max]` (§3.4: never below the minimum or above the
/// maximum).
pub fn clamp_capacity(desired: i64, min: u32, max: u32) -> u32 {
    desired.clamp(min as i64, max as i64) as u32
}

fn validate_adjustment(
    kind: AdjustmentType,
    value: i64,
    min_adjustment_magnitude: Option<u32>,
    field: &str,
) -> Result<(), FieldError> {
    if kind == AdjustmentType::ExactCapacity && value < 0 {
        return Err(FieldError::new(
            field,
            format!(
                "{value} is negative; with ExactCapacity the adjustment is a capacity (0 or more)"
            ),
        ));
    }
    if let Some(m) = min_adjustment_magnitude {
        if kind != AdjustmentType::PercentChangeInCapacity {
            return Err(FieldError::new(
                "minAdjustmentMagnitude",
                "minAdjustmentMagnitude is valid only with adjustmentType PercentChangeInCapacity",
            ));
        }
        if m == 0 {
            return Err(FieldError::new(
                "minAdjustmentMagnitude",
                "minAdjustmentMagnitude must be at least 1",
            ));
        }
    }
    Ok(())
}

/// A simple scaling policy (§3.2): one adjustment, then a cooldown before the group
/// answers simple-policy alarms again.
#[derive(Debug, Clone, PartialEq)]
pub struct SimplePolicy {
    pub adjustment_type: AdjustmentType,
    pub scaling_adjustment: i64,
    pub min_adjustment_magnitude: Option<u32>,
    /// The policy's `Cooldown`; `None` uses the group's `DefaultCooldown`.
    pub cooldown: Option<Nanos>,
}

impl SimplePolicy {
    pub fn change_in_capacity(scaling_adjustment: i64, cooldown: Option<Nanos>) -> Self {
        SimplePolicy {
            adjustment_type: AdjustmentType::ChangeInCapacity,
            scaling_adjustment,
            min_adjustment_magnitude: None,
            cooldown,
        }
    }

    /// The proposed desired capacity (unclamped) from `current`.
    pub fn proposal(&self, current: u32) -> i64 {
        apply_adjustment(
            current,
            self.adjustment_type,
            self.scaling_adjustment,
            self.min_adjustment_magnitude,
        )
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        validate_adjustment(
            self.adjustment_type,
            self.scaling_adjustment,
            self.min_adjustment_magnitude,
            "scalingAdjustment",
        )
    }
}

/// `MetricAggregationType` of a step policy (null → Average).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum MetricAggregationType {
    Minimum,
    Maximum,
    #[default]
    Average,
}

impl MetricAggregationType {
    /// Aggregates the most recent datapoints; `None` when there are none.
    pub fn aggregate(self, values: &[f64]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        Some(match self {
            MetricAggregationType::Minimum => values.iter().copied().fold(f64::INFINITY, f64::min),
            MetricAggregationType::Maximum => {
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            }
            MetricAggregationType::Average => values.iter().sum::<f64>() / values.len() as f64,
        })
    }
}

/// One step: bounds relative to the alarm threshold (`None` = −∞ / +∞).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepAdjustment {
    pub lower_bound: Option<f64>,
    pub upper_bound: Option<f64>,
    pub scaling_adjustment: i64,
}

impl StepAdjustment {
    pub fn new(
        lower_bound: Option<f64>,
        upper_bound: Option<f64>,
        scaling_adjustment: i64,
    ) -> Self {
        StepAdjustment {
            lower_bound,
            upper_bound,
            scaling_adjustment,
        }
    }

    /// Whether `diff` (metric − threshold) falls in this step. Above the threshold the
    /// lower bound is inclusive and the upper exclusive; below it the lower bound is
    /// exclusive and the upper inclusive (§3.3). At the threshold itself the side is the
    /// alarm's: `upper` for a `GreaterThan…` alarm.
    pub fn contains(&self, diff: f64, upper: bool) -> bool {
        let above = diff > 0.0 || (diff == 0.0 && upper);
        let lo = self.lower_bound.unwrap_or(f64::NEG_INFINITY);
        let hi = self.upper_bound.unwrap_or(f64::INFINITY);
        if above {
            lo <= diff && diff < hi
        } else {
            lo < diff && diff <= hi
        }
    }
}

/// A step scaling policy (§3.3): no cooldown; instance warm-up instead.
#[derive(Debug, Clone, PartialEq)]
pub struct StepPolicy {
    pub adjustment_type: AdjustmentType,
    pub steps: Vec<StepAdjustment>,
    pub min_adjustment_magnitude: Option<u32>,
    pub metric_aggregation_type: MetricAggregationType,
    /// `EstimatedInstanceWarmup`; `None` → group `DefaultInstanceWarmup` → `DefaultCooldown`.
    pub estimated_instance_warmup: Option<Nanos>,
}

impl StepPolicy {
    pub fn new(adjustment_type: AdjustmentType, steps: Vec<StepAdjustment>) -> Self {
        StepPolicy {
            adjustment_type,
            steps,
            min_adjustment_magnitude: None,
            metric_aggregation_type: MetricAggregationType::Average,
            estimated_instance_warmup: None,
        }
    }

    /// The step for `metric` against an alarm with `threshold` and `comparison`.
    pub fn select(
        &self,
        metric: f64,
        threshold: f64,
        comparison: ComparisonOperator,
    ) -> Option<&StepAdjustment> {
        let diff = metric - threshold;
        self.steps
            .iter()
            .find(|s| s.contains(diff, comparison.is_upper()))
    }

    /// PutScalingPolicy rules: at least one step; ranges neither overlap nor leave gaps;
    /// at most one null lower and one null upper bound; a negative lower bound needs a
    /// step with a null lower bound, a positive upper bound one with a null upper bound;
    /// lower < upper in each step.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.steps.is_empty() {
            return Err(FieldError::new(
                "stepAdjustments",
                "a step policy needs at least one step adjustment",
            ));
        }
        for (i, s) in self.steps.iter().enumerate() {
            let path = format!("stepAdjustments[{i}]");
            validate_adjustment(
                self.adjustment_type,
                s.scaling_adjustment,
                self.min_adjustment_magnitude,
                "scalingAdjustment",
            )
            .map_err(|e| e.within(&path))?;
            if let (Some(lo), Some(hi)) = (s.lower_bound, s.upper_bound)
                && lo >= hi
            {
                return Err(FieldError::new(
                    format!("{path}.metricIntervalUpperBound"),
                    format!("the upper bound ({hi}) must be greater than the lower bound ({lo})"),
                ));
            }
            for b in [s.lower_bound, s.upper_bound].into_iter().flatten() {
                if !b.is_finite() {
                    return Err(FieldError::new(
                        path,
                        "bounds must be finite numbers or null",
                    ));
                }
            }
        }
        let null_lower = self
            .steps
            .iter()
            .filter(|s| s.lower_bound.is_none())
            .count();
        let null_upper = self
            .steps
            .iter()
            .filter(|s| s.upper_bound.is_none())
            .count();
        if null_lower > 1 || null_upper > 1 {
            return Err(FieldError::new(
                "stepAdjustments",
                "at most one step may have a null lower bound and at most one a null upper bound",
            ));
        }
        if null_lower == 0
            && self
                .steps
                .iter()
                .any(|s| s.lower_bound.is_some_and(|b| b < 0.0))
        {
            return Err(FieldError::new(
                "stepAdjustments",
                "a step has a negative lower bound, so one step must have a null lower bound",
            ));
        }
        if null_upper == 0
            && self
                .steps
                .iter()
                .any(|s| s.upper_bound.is_some_and(|b| b > 0.0))
        {
            return Err(FieldError::new(
                "stepAdjustments",
                "a step has a positive upper bound, so one step must have a null upper bound",
            ));
        }
        let mut sorted: Vec<&StepAdjustment> = self.steps.iter().collect();
        sorted.sort_by(|a, b| {
            a.lower_bound
                .unwrap_or(f64::NEG_INFINITY)
                .total_cmp(&b.lower_bound.unwrap_or(f64::NEG_INFINITY))
        });
        for pair in sorted.windows(2) {
            if pair[0].upper_bound != pair[1].lower_bound {
                return Err(FieldError::new(
                    "stepAdjustments",
                    format!(
                        "the step ending at {:?} and the step starting at {:?} overlap or leave a gap; each upper bound must equal the next step's lower bound",
                        pair[0].upper_bound, pair[1].lower_bound
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The shape of one of the alarms target tracking creates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackingAlarmShape {
    pub period: Nanos,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
}

/// A target tracking policy (§3.5).
///
/// Defaults [secondary, §3.5]: AlarmHigh `metric > target`, 3 of 3 one-minute datapoints;
/// AlarmLow `metric < 0.7 × target`, 15 of 15 one-minute datapoints (the EC2 Auto Scaling
/// console captures: CPU 50 → 35, 40 → 28, 60 → 42; ECS services show 0.9). All of it is
/// configurable.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetTrackingPolicy {
    pub target_value: f64,
    pub disable_scale_in: bool,
    /// `EstimatedInstanceWarmup`; `None` → group `DefaultInstanceWarmup` → `DefaultCooldown`.
    pub estimated_instance_warmup: Option<Nanos>,
    pub scale_out_alarm: TrackingAlarmShape,
    pub scale_in_alarm: TrackingAlarmShape,
    /// AlarmLow threshold = `scale_in_ratio × target_value`.
    pub scale_in_ratio: f64,
}

/// Default AlarmLow ratio for EC2 Auto Scaling groups (§3.5 captures).
pub const DEFAULT_SCALE_IN_RATIO: f64 = 0.7;

impl TargetTrackingPolicy {
    pub fn new(target_value: f64) -> Self {
        TargetTrackingPolicy {
            target_value,
            disable_scale_in: false,
            estimated_instance_warmup: None,
            scale_out_alarm: TrackingAlarmShape {
                period: 60 * NANOS_PER_SEC,
                evaluation_periods: 3,
                datapoints_to_alarm: 3,
            },
            scale_in_alarm: TrackingAlarmShape {
                period: 60 * NANOS_PER_SEC,
                evaluation_periods: 15,
                datapoints_to_alarm: 15,
            },
            scale_in_ratio: DEFAULT_SCALE_IN_RATIO,
        }
    }

    fn alarm(shape: TrackingAlarmShape, cmp: ComparisonOperator, threshold: f64) -> AlarmConfig {
        AlarmConfig::new(
            Statistic::Average,
            shape.period,
            shape.evaluation_periods,
            cmp,
            threshold,
        )
        .with_datapoints_to_alarm(shape.datapoints_to_alarm)
        .with_treat_missing_data(TreatMissingData::Missing)
    }

    /// `TargetTracking-<asg>-AlarmHigh-…`: metric > target.
    pub fn high_alarm_config(&self) -> AlarmConfig {
        Self::alarm(
            self.scale_out_alarm,
            ComparisonOperator::GreaterThanThreshold,
            self.target_value,
        )
    }

    /// `TargetTracking-<asg>-AlarmLow-…`: metric < ratio × target.
    pub fn low_alarm_config(&self) -> AlarmConfig {
        Self::alarm(
            self.scale_in_alarm,
            ComparisonOperator::LessThanThreshold,
            self.scale_in_ratio * self.target_value,
        )
    }

    /// The capacity that brings a per-instance average `metric` measured over `current`
    /// instances to the target: `ceil(current × metric / target)`. Scale-out: "adding 1.5
    /// instances … we round up and add two"; scale-in: "removing 1.5 instances … we remove
    /// just one" (§3.5), i.e. the largest removal that keeps the metric at or below target.
    pub fn proportional_capacity(&self, current: u32, metric: f64) -> i64 {
        if self.target_value <= 0.0 || !metric.is_finite() {
            return current as i64;
        }
        let exact = current as f64 * metric / self.target_value;
        // Guard against 8.000000001 from float noise turning into 9.
        let rounded = (exact - 1e-9).ceil();
        rounded.max(0.0).min(i64::MAX as f64) as i64
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        if !(self.target_value.is_finite() && self.target_value > 0.0) {
            return Err(FieldError::new(
                "targetValue",
                "targetValue must be a positive number",
            ));
        }
        if !(self.scale_in_ratio > 0.0 && self.scale_in_ratio < 1.0) {
            return Err(FieldError::new(
                "scaleInRatio",
                "scaleInRatio must be between 0 and 1 (exclusive); EC2 consoles show 0.7",
            ));
        }
        self.high_alarm_config()
            .validate()
            .map_err(|e| e.within("scaleOutAlarm"))?;
        self.low_alarm_config()
            .validate()
            .map_err(|e| e.within("scaleInAlarm"))?;
        Ok(())
    }
}

/// The seed's database read-replica rule: add one replica while the scale-up alarm is in
/// ALARM, remove one while the scale-down alarm is, each followed by a cooldown, within
/// `[min_replicas, max_replicas]`. This is the seed's own rule, not an AWS feature; its
/// evaluation defaults (one-minute period, one datapoint, 300 s cooldown) are capsim's.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadReplicaRule {
    pub add_alarm: AlarmConfig,
    pub remove_alarm: AlarmConfig,
    pub cooldown: Nanos,
    pub min_replicas: u32,
    pub max_replicas: u32,
}

/// State of a [`ReadReplicaRule`] across ticks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadReplicaState {
    pub cooldown_until: Nanos,
}

impl ReadReplicaRule {
    /// The new replica count at `t`, or `None` when nothing changes. Adding wins when both
    /// alarms are in ALARM.
    pub fn decide(
        &self,
        state: &mut ReadReplicaState,
        t: Nanos,
        add: AlarmState,
        remove: AlarmState,
        replicas: u32,
    ) -> Option<u32> {
        if t < state.cooldown_until {
            return None;
        }
        let next = if add == AlarmState::Alarm && replicas < self.max_replicas {
            replicas + 1
        } else if remove == AlarmState::Alarm && replicas > self.min_replicas {
            replicas - 1
        } else {
            return None;
        };
        state.cooldown_until = t.saturating_add(self.cooldown);
        Some(next)
    }
}
