//! The AWS CLI documents ([`crate::spec::aws_cli`]) into the controllers' types: which
//! alarm triggers which policy (a described policy's `Alarms`, else an alarm whose
//! `AlarmActions` name the policy), simple, step and target-tracking policies with
//! predefined and customized metrics, and the checks that name the policy or alarm and say
//! what capsim reads instead.

use crate::autoscale::aws::alarm::AlarmConfig;
use crate::autoscale::aws::policy::{
    MetricAggregationType, SimplePolicy, StepAdjustment, StepPolicy, TargetTrackingPolicy,
};
use crate::error::FieldError;
use crate::spec::aws::{AdjustmentType, AsgSpec, Statistic};
use crate::spec::aws_cli::{AwsDocument, AwsFile, MetricAlarmDoc, PolicyType, ScalingPolicyDoc};
use crate::time::NANOS_PER_SEC;

/// Everything the AWS files of a model hold, each item with the file it came from.
#[derive(Debug, Clone, Default)]
pub struct AwsCliSet {
    pub groups: Vec<(String, AsgSpec)>,
    pub policies: Vec<(String, ScalingPolicyDoc)>,
    pub alarms: Vec<(String, MetricAlarmDoc)>,
    /// Accepted fields that do not change a prediction, over all files.
    pub ignored: Vec<String>,
}

/// A policy ready for a group: what it watches (a CloudWatch metric name, or a target
/// tracking policy's predefined metric type) and what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct CliPolicy {
    /// `PolicyName`, with the alarm's name when several alarms trigger it.
    pub name: String,
    pub metric_name: String,
    pub kind: CliPolicyKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CliPolicyKind {
    Simple {
        alarm: AlarmConfig,
        policy: SimplePolicy,
    },
    Step {
        alarm: AlarmConfig,
        policy: StepPolicy,
    },
    TargetTracking {
        policy: TargetTrackingPolicy,
    },
}

impl AwsCliSet {
    /// Adds one parsed file (`file` names it in messages).
    pub fn add(&mut self, file: &str, parsed: AwsFile) {
        match parsed.document {
            AwsDocument::Groups { groups, .. } => self
                .groups
                .extend(groups.into_iter().map(|g| (file.to_string(), g))),
            AwsDocument::Policies(p) => self
                .policies
                .extend(p.into_iter().map(|p| (file.to_string(), p))),
            AwsDocument::Alarms(a) => self
                .alarms
                .extend(a.into_iter().map(|a| (file.to_string(), a))),
        }
        for f in parsed.ignored {
            if !self.ignored.contains(&f) {
                self.ignored.push(f);
            }
        }
    }

    /// The one note on the accepted fields that do not change a prediction.
    pub fn note(&self) -> Option<String> {
        if self.ignored.is_empty() {
            return None;
        }
        let mut f = self.ignored.clone();
        f.sort();
        Some(format!(
            "AWS files: these fields are accepted and do not change the prediction: {}",
            f.join(", ")
        ))
    }

    /// The policies whose `AutoScalingGroupName` is `group`, with their alarms; disabled
    /// and predictive policies, and alarms with actions off, are skipped with a note.
    pub fn policies_for(
        &self,
        group: &str,
        notes: &mut Vec<String>,
    ) -> Result<Vec<CliPolicy>, FieldError> {
        let mut out = Vec::new();
        for (file, p) in self
            .policies
            .iter()
            .filter(|(_, p)| p.auto_scaling_group_name == group)
        {
            let at = format!("{file}: policy `{}`", p.policy_name);
            if p.enabled == Some(false) {
                notes.push(format!("{at} is disabled (Enabled: false); skipped"));
                continue;
            }
            match p.policy_type {
                PolicyType::PredictiveScaling => {
                    notes.push(format!(
                        "{at} is PredictiveScaling, which forecasts from 14 days of history; capsim simulates the reactive policies only, so it is skipped"
                    ));
                }
                PolicyType::TargetTrackingScaling => {
                    out.push(target_tracking(p).map_err(|e| e.within(&at))?);
                }
                PolicyType::SimpleScaling | PolicyType::StepScaling => {
                    let alarms = self.alarms_of(p, group).map_err(|e| e.within(&at))?;
                    for (afile, a) in &alarms {
                        if a.actions_enabled == Some(false) {
                            notes.push(format!(
                                "{afile}: alarm `{}` has ActionsEnabled false, so it never triggers `{}`; skipped",
                                a.alarm_name, p.policy_name
                            ));
                            continue;
                        }
                        let aat = format!("{afile}: alarm `{}`", a.alarm_name);
                        let (metric_name, alarm) =
                            alarm_config(a, group).map_err(|e| e.within(&aat))?;
                        let name = if alarms.len() > 1 {
                            format!("{}/{}", p.policy_name, a.alarm_name)
                        } else {
                            p.policy_name.clone()
                        };
                        let kind = if p.policy_type == PolicyType::SimpleScaling {
                            CliPolicyKind::Simple {
                                alarm,
                                policy: simple(p).map_err(|e| e.within(&at))?,
                            }
                        } else {
                            CliPolicyKind::Step {
                                alarm,
                                policy: step(p).map_err(|e| e.within(&at))?,
                            }
                        };
                        out.push(CliPolicy {
                            name,
                            metric_name,
                            kind,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// The alarms that trigger a simple or step policy: those its `Alarms` list names
    /// (describe-policies output), else those whose `AlarmActions` hold its ARN.
    fn alarms_of(
        &self,
        p: &ScalingPolicyDoc,
        group: &str,
    ) -> Result<Vec<(String, MetricAlarmDoc)>, FieldError> {
        let known = || {
            self.alarms
                .iter()
                .map(|(_, a)| a.alarm_name.as_str())
                .collect::<Vec<_>>()
        };
        if !p.alarms.is_empty() {
            let mut out = Vec::new();
            for r in &p.alarms {
                match self
                    .alarms
                    .iter()
                    .find(|(_, a)| a.alarm_name == r.alarm_name)
                {
                    Some(a) => out.push(a.clone()),
                    None => {
                        return Err(FieldError::new(
                            "Alarms",
                            format!(
                                "uses alarm `{}`, which no AWS file of the model describes; add the output of `aws cloudwatch describe-alarms --alarm-names {}` to `aws.files`{}",
                                r.alarm_name,
                                r.alarm_name,
                                crate::suggest::nearest(&r.alarm_name, known())
                                    .map(|n| format!(" (did you mean `{n}`?)"))
                                    .unwrap_or_default()
                            ),
                        ));
                    }
                }
            }
            return Ok(out);
        }
        let suffix = format!(":autoScalingGroupName/{group}:policyName/{}", p.policy_name);
        let triggers = |action: &String| {
            p.policy_arn.as_deref() == Some(action.as_str())
                || (action.starts_with("arn:aws:autoscaling:") && action.ends_with(&suffix))
        };
        let out: Vec<_> = self
            .alarms
            .iter()
            .filter(|(_, a)| a.alarm_actions.iter().any(triggers))
            .cloned()
            .collect();
        if out.is_empty() {
            return Err(FieldError::new(
                "Alarms",
                format!(
                    "no alarm triggers this {:?} policy: give the `aws cloudwatch describe-alarms` output (or a `put-metric-alarm` document) of an alarm whose AlarmActions hold the policy's ARN (…{suffix}), or the `describe-policies` output that lists its Alarms",
                    p.policy_type
                ),
            ));
        }
        Ok(out)
    }
}

fn secs(s: u64) -> u64 {
    s.saturating_mul(NANOS_PER_SEC)
}

/// The alarm as the controller evaluates it, and the metric it watches.
fn alarm_config(a: &MetricAlarmDoc, group: &str) -> Result<(String, AlarmConfig), FieldError> {
    if a.metrics.is_some() || a.threshold_metric_id.is_some() {
        return Err(FieldError::new(
            "Metrics",
            "metric-math and anomaly-detection alarms are not simulated; use an alarm on one metric (MetricName, Namespace, Statistic, Period, Threshold)",
        ));
    }
    if a.extended_statistic.is_some() {
        return Err(FieldError::new(
            "ExtendedStatistic",
            "percentile statistics are not simulated; use Statistic Average, Sum, Minimum, Maximum or SampleCount",
        ));
    }
    let metric = a
        .metric_name
        .clone()
        .ok_or_else(|| FieldError::new("MetricName", "is required (e.g. CPUUtilization)"))?;
    for d in &a.dimensions {
        if d.name == "AutoScalingGroupName" && d.value != group {
            return Err(FieldError::new(
                "Dimensions",
                format!(
                    "the alarm watches group `{}`, but its action scales group `{group}`; capsim measures the metric of the group it scales",
                    d.value
                ),
            ));
        }
    }
    let period = a
        .period
        .ok_or_else(|| FieldError::new("Period", "is required (seconds, e.g. 300)"))?;
    let threshold = a
        .threshold
        .ok_or_else(|| FieldError::new("Threshold", "is required"))?;
    let mut c = AlarmConfig::new(
        a.statistic.unwrap_or(Statistic::Average),
        secs(period),
        a.evaluation_periods,
        a.comparison_operator,
        threshold,
    )
    .with_treat_missing_data(a.treat_missing_data.unwrap_or_default());
    if let Some(m) = a.datapoints_to_alarm {
        c = c.with_datapoints_to_alarm(m);
    }
    c.validate()?;
    Ok((metric, c))
}

fn magnitude(p: &ScalingPolicyDoc) -> Option<u32> {
    p.min_adjustment_magnitude.or(p.min_adjustment_step)
}

fn simple(p: &ScalingPolicyDoc) -> Result<SimplePolicy, FieldError> {
    let adjustment = p.scaling_adjustment.ok_or_else(|| {
        FieldError::new(
            "ScalingAdjustment",
            "is required for a SimpleScaling policy (e.g. 2 to add two instances)",
        )
    })?;
    let s = SimplePolicy {
        adjustment_type: p
            .adjustment_type
            .unwrap_or(AdjustmentType::ChangeInCapacity),
        scaling_adjustment: adjustment,
        min_adjustment_magnitude: magnitude(p),
        cooldown: p.cooldown.map(secs),
    };
    s.validate()?;
    Ok(s)
}

fn step(p: &ScalingPolicyDoc) -> Result<StepPolicy, FieldError> {
    if p.step_adjustments.is_empty() {
        return Err(FieldError::new(
            "StepAdjustments",
            "a StepScaling policy needs at least one step adjustment",
        ));
    }
    let mut s = StepPolicy::new(
        p.adjustment_type
            .unwrap_or(AdjustmentType::ChangeInCapacity),
        p.step_adjustments
            .iter()
            .map(|a| {
                StepAdjustment::new(
                    a.metric_interval_lower_bound,
                    a.metric_interval_upper_bound,
                    a.scaling_adjustment,
                )
            })
            .collect(),
    );
    s.min_adjustment_magnitude = magnitude(p);
    s.estimated_instance_warmup = p.estimated_instance_warmup.map(secs);
    s.metric_aggregation_type = match p.metric_aggregation_type.as_deref() {
        None | Some("Average") => MetricAggregationType::Average,
        Some("Minimum") => MetricAggregationType::Minimum,
        Some("Maximum") => MetricAggregationType::Maximum,
        Some(other) => {
            return Err(FieldError::new(
                "MetricAggregationType",
                format!("must be Average, Minimum or Maximum, not `{other}`"),
            ));
        }
    };
    s.validate()?;
    Ok(s)
}

/// A target tracking policy: predefined `ASGAverageCPUUtilization` or
/// `ALBRequestCountPerTarget`, or a customized metric naming the same measures.
fn target_tracking(p: &ScalingPolicyDoc) -> Result<CliPolicy, FieldError> {
    let c = p.target_tracking_configuration.as_ref().ok_or_else(|| {
        FieldError::new(
            "TargetTrackingConfiguration",
            "is required for a TargetTrackingScaling policy",
        )
    })?;
    let metric_name = match (
        &c.predefined_metric_specification,
        &c.customized_metric_specification,
    ) {
        (Some(pre), None) => pre.predefined_metric_type.clone(),
        (None, Some(cust)) => {
            if cust.metrics.is_some() {
                return Err(FieldError::new(
                    "TargetTrackingConfiguration.CustomizedMetricSpecification.Metrics",
                    "metric math is not simulated; name one metric (MetricName, Namespace, Statistic)",
                ));
            }
            let name = cust.metric_name.clone().ok_or_else(|| {
                FieldError::new(
                    "TargetTrackingConfiguration.CustomizedMetricSpecification.MetricName",
                    "is required",
                )
            })?;
            if !matches!(cust.statistic, None | Some(Statistic::Average)) {
                return Err(FieldError::new(
                    "TargetTrackingConfiguration.CustomizedMetricSpecification.Statistic",
                    "capsim tracks the group's Average (a metric that grows and shrinks with capacity); use Average",
                ));
            }
            name
        }
        _ => {
            return Err(FieldError::new(
                "TargetTrackingConfiguration",
                "give exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification",
            ));
        }
    };
    if !c.target_value.is_finite() || c.target_value <= 0.0 {
        return Err(FieldError::new(
            "TargetTrackingConfiguration.TargetValue",
            "must be a number above 0",
        ));
    }
    let mut policy = TargetTrackingPolicy::new(c.target_value);
    policy.disable_scale_in = c.disable_scale_in;
    policy.estimated_instance_warmup = p.estimated_instance_warmup.map(secs);
    policy.validate()?;
    Ok(CliPolicy {
        name: p.policy_name.clone(),
        metric_name,
        kind: CliPolicyKind::TargetTracking { policy },
    })
}
