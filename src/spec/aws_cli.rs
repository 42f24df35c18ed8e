//! The AWS documents as the AWS CLI prints and takes them: the output of
//! `aws autoscaling describe-auto-scaling-groups` (`AutoScalingGroups`),
//! `aws autoscaling describe-policies` (`ScalingPolicies`) and
//! `aws cloudwatch describe-alarms` (`MetricAlarms`), and the `--cli-input-json` shapes of
//! `create-auto-scaling-group`, `put-scaling-policy` and `put-metric-alarm`. Every
//! documented field is accepted (a typo still gets "did you mean"); [`AwsDocument`] says
//! which document a file is, by its top-level keys, and which fields it holds that do not
//! change a prediction. Their meaning (which alarm triggers which policy) is
//! `autoscale::aws::cli`.

use crate::error::{FieldError, LoadError};
use crate::spec::aws::{
    AdjustmentType, AsgSpec, ComparisonOperator, Statistic, StepAdjustmentSpec, TreatMissingData,
};
use crate::spec::yaml::parse_yaml;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;
use std::path::Path;

/// `PolicyType` (default `SimpleScaling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum PolicyType {
    #[default]
    SimpleScaling,
    StepScaling,
    TargetTrackingScaling,
    PredictiveScaling,
}

/// `{"AlarmName": ..., "AlarmARN": ...}` in a described policy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AlarmRef {
    pub alarm_name: String,
    #[serde(rename = "AlarmARN")]
    pub alarm_arn: Option<String>,
}

/// A CloudWatch `{"Name": ..., "Value": ...}` dimension.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Dimension {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PredefinedMetricSpecification {
    pub predefined_metric_type: String,
    pub resource_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CustomizedMetricSpecification {
    pub metric_name: Option<String>,
    pub namespace: Option<String>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    pub statistic: Option<Statistic>,
    pub unit: Option<String>,
    /// Metric math; capsim refuses it at conversion.
    pub metrics: Option<IgnoredAny>,
    pub period: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TargetTrackingConfiguration {
    pub predefined_metric_specification: Option<PredefinedMetricSpecification>,
    pub customized_metric_specification: Option<CustomizedMetricSpecification>,
    pub target_value: f64,
    #[serde(default)]
    pub disable_scale_in: bool,
}

/// One scaling policy: an element of `describe-policies`' `ScalingPolicies`, or the
/// `put-scaling-policy --cli-input-json` document (no ARN, no alarms).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ScalingPolicyDoc {
    pub auto_scaling_group_name: String,
    pub policy_name: String,
    #[serde(rename = "PolicyARN")]
    pub policy_arn: Option<String>,
    #[serde(default)]
    pub policy_type: PolicyType,
    pub adjustment_type: Option<AdjustmentType>,
    /// Deprecated alias of `MinAdjustmentMagnitude`.
    pub min_adjustment_step: Option<u32>,
    pub min_adjustment_magnitude: Option<u32>,
    pub scaling_adjustment: Option<i64>,
    /// Seconds.
    pub cooldown: Option<u64>,
    pub metric_aggregation_type: Option<String>,
    #[serde(default)]
    pub step_adjustments: Vec<StepAdjustmentSpec>,
    /// Seconds.
    pub estimated_instance_warmup: Option<u64>,
    #[serde(default)]
    pub alarms: Vec<AlarmRef>,
    pub target_tracking_configuration: Option<TargetTrackingConfiguration>,
    pub enabled: Option<bool>,
    pub predictive_scaling_configuration: Option<IgnoredAny>,
}

/// One metric alarm: an element of `describe-alarms`' `MetricAlarms`, or the
/// `put-metric-alarm --cli-input-json` document.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct MetricAlarmDoc {
    pub alarm_name: String,
    pub alarm_arn: Option<String>,
    pub alarm_description: Option<IgnoredAny>,
    pub alarm_configuration_updated_timestamp: Option<IgnoredAny>,
    pub actions_enabled: Option<bool>,
    #[serde(rename = "OKActions", default)]
    pub ok_actions: Vec<String>,
    #[serde(default)]
    pub alarm_actions: Vec<String>,
    #[serde(default)]
    pub insufficient_data_actions: Vec<String>,
    pub state_value: Option<IgnoredAny>,
    pub state_reason: Option<IgnoredAny>,
    pub state_reason_data: Option<IgnoredAny>,
    pub state_updated_timestamp: Option<IgnoredAny>,
    pub state_transitioned_timestamp: Option<IgnoredAny>,
    pub metric_name: Option<String>,
    pub namespace: Option<String>,
    pub statistic: Option<Statistic>,
    pub extended_statistic: Option<String>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    /// Seconds.
    pub period: Option<u64>,
    pub unit: Option<IgnoredAny>,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: Option<u32>,
    pub threshold: Option<f64>,
    pub comparison_operator: ComparisonOperator,
    pub treat_missing_data: Option<TreatMissingData>,
    pub evaluate_low_sample_count_percentile: Option<IgnoredAny>,
    /// Metric math; capsim refuses it at conversion.
    pub metrics: Option<IgnoredAny>,
    pub threshold_metric_id: Option<String>,
    pub evaluation_state: Option<IgnoredAny>,
    pub tags: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct GroupsOutput {
    auto_scaling_groups: Vec<AsgSpec>,
    #[serde(rename = "NextToken")]
    _next_token: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct PoliciesOutput {
    scaling_policies: Vec<ScalingPolicyDoc>,
    #[serde(rename = "NextToken")]
    _next_token: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct AlarmsOutput {
    #[serde(default)]
    metric_alarms: Vec<MetricAlarmDoc>,
    #[serde(rename = "CompositeAlarms")]
    _composite_alarms: Option<IgnoredAny>,
    #[serde(rename = "NextToken")]
    _next_token: Option<IgnoredAny>,
}

/// The group fields that change a prediction; every other documented field is accepted
/// and listed in one note.
pub const GROUP_FIELDS_USED: &[&str] = &[
    "AutoScalingGroupName",
    "MinSize",
    "MaxSize",
    "DesiredCapacity",
    "DefaultCooldown",
    "DefaultInstanceWarmup",
    "HealthCheckType",
    "HealthCheckGracePeriod",
    "TargetGroupARNs",
];

/// The alarm fields that change a prediction (the others are accepted and noted).
pub const ALARM_FIELDS_USED: &[&str] = &[
    "AlarmName",
    "AlarmArn",
    "ActionsEnabled",
    "AlarmActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "Dimensions",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
];

/// The policy fields that change a prediction (the others are accepted and noted).
pub const POLICY_FIELDS_USED: &[&str] = &[
    "AutoScalingGroupName",
    "PolicyName",
    "PolicyARN",
    "PolicyType",
    "AdjustmentType",
    "MinAdjustmentStep",
    "MinAdjustmentMagnitude",
    "ScalingAdjustment",
    "Cooldown",
    "StepAdjustments",
    "EstimatedInstanceWarmup",
    "Alarms",
    "TargetTrackingConfiguration",
    "Enabled",
];

/// What a file held.
#[derive(Debug, Clone, PartialEq)]
pub enum AwsDocument {
    /// `describe-auto-scaling-groups` output (`from_describe`) or one group's JSON.
    Groups {
        groups: Vec<AsgSpec>,
        from_describe: bool,
    },
    /// `describe-policies` output or one `put-scaling-policy` input.
    Policies(Vec<ScalingPolicyDoc>),
    /// `describe-alarms` output or one `put-metric-alarm` input.
    Alarms(Vec<MetricAlarmDoc>),
}

/// A parsed AWS file: the document and the accepted fields it holds that do not change a
/// prediction (sorted, each once).
#[derive(Debug, Clone, PartialEq)]
pub struct AwsFile {
    pub document: AwsDocument,
    pub ignored: Vec<String>,
}

/// The shapes capsim reads, for the message about a file of another shape.
pub const AWS_SHAPES: &str = "the output of `aws autoscaling describe-auto-scaling-groups` (top-level `AutoScalingGroups`), `aws autoscaling describe-policies` (`ScalingPolicies`) or `aws cloudwatch describe-alarms` (`MetricAlarms`), or one `--cli-input-json` document of `create-auto-scaling-group` (`AutoScalingGroupName`, `MinSize`, ...), `put-scaling-policy` (`PolicyName`, ...) or `put-metric-alarm` (`AlarmName`, ...)";

type Keys = BTreeMap<String, IgnoredAny>;

fn unused(objects: &[Keys], used: &[&str], out: &mut Vec<String>) {
    for o in objects {
        for k in o.keys() {
            if !used.contains(&k.as_str()) && !out.contains(k) {
                out.push(k.clone());
            }
        }
    }
}

/// The keys of each element of a describe output's list.
#[derive(Debug, Deserialize)]
struct ElementKeys {
    #[serde(rename = "AutoScalingGroups", default)]
    groups: Vec<Keys>,
    #[serde(rename = "ScalingPolicies", default)]
    policies: Vec<Keys>,
    #[serde(rename = "MetricAlarms", default)]
    alarms: Vec<Keys>,
}

/// Reads one AWS JSON file of any of the shapes in [`AWS_SHAPES`]; `file` is only for
/// messages. A file of another shape is refused with its top-level keys and what capsim
/// reads instead.
pub fn parse_aws_file(file: &Path, text: &str) -> Result<AwsFile, LoadError> {
    let top: Keys = parse_yaml(file, text)?;
    let has = |k: &str| top.contains_key(k);
    let mut ignored = Vec::new();
    let inner = || parse_yaml::<ElementKeys>(file, text);
    let document = if has("AutoScalingGroups") {
        let out: GroupsOutput = parse_yaml(file, text)?;
        unused(&inner()?.groups, GROUP_FIELDS_USED, &mut ignored);
        AwsDocument::Groups {
            groups: out.auto_scaling_groups,
            from_describe: true,
        }
    } else if has("ScalingPolicies") {
        let out: PoliciesOutput = parse_yaml(file, text)?;
        unused(&inner()?.policies, POLICY_FIELDS_USED, &mut ignored);
        AwsDocument::Policies(out.scaling_policies)
    } else if has("MetricAlarms") || has("CompositeAlarms") {
        let out: AlarmsOutput = parse_yaml(file, text)?;
        unused(&inner()?.alarms, ALARM_FIELDS_USED, &mut ignored);
        if has("CompositeAlarms") {
            ignored.push("CompositeAlarms".into());
        }
        AwsDocument::Alarms(out.metric_alarms)
    } else if has("PolicyName") {
        let p: ScalingPolicyDoc = parse_yaml(file, text)?;
        unused(&[top], POLICY_FIELDS_USED, &mut ignored);
        AwsDocument::Policies(vec![p])
    } else if has("AlarmName") {
        let a: MetricAlarmDoc = parse_yaml(file, text)?;
        unused(&[top], ALARM_FIELDS_USED, &mut ignored);
        AwsDocument::Alarms(vec![a])
    } else if has("AutoScalingGroupName") {
        let g: AsgSpec = parse_yaml(file, text)?;
        unused(&[top], GROUP_FIELDS_USED, &mut ignored);
        AwsDocument::Groups {
            groups: vec![g],
            from_describe: false,
        }
    } else {
        let keys: Vec<&str> = top.keys().map(String::as_str).take(8).collect();
        let kind = match keys.first() {
            Some(_) => format!("a document with top-level keys {}", keys.join(", ")),
            None => "an empty object".to_string(),
        };
        return Err(LoadError::invalid(
            file,
            FieldError::new(
                "",
                format!(
                    "line 1: {kind} is not an AWS document capsim reads; it reads {AWS_SHAPES}"
                ),
            ),
        ));
    };
    ignored.sort();
    Ok(AwsFile { document, ignored })
}
