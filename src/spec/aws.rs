//! The AWS Auto Scaling files as written: the Auto Scaling group JSON (AWS PascalCase, as
//! `aws autoscaling create-auto-scaling-group --cli-input-json` takes it) and the
//! `SCALING_POLICIES` block (camelCase), with the CloudWatch and Auto Scaling vocabulary
//! they use (statistics, comparison operators, missing-data treatments, adjustment
//! types), and their parsing. Validation and conversion to the controllers' types is
//! `autoscale::aws::convert`.

use crate::error::LoadError;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;
use std::path::Path;

/// How the samples of one period are reduced to one datapoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum Statistic {
    #[default]
    Average,
    Sum,
    Minimum,
    Maximum,
    SampleCount,
}

/// `PutMetricAlarm` `ComparisonOperator` (the four static-threshold operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ComparisonOperator {
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

impl ComparisonOperator {
    /// Whether `value` breaches `threshold` under this operator.
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => value >= threshold,
            ComparisonOperator::GreaterThanThreshold => value > threshold,
            ComparisonOperator::LessThanThreshold => value < threshold,
            ComparisonOperator::LessThanOrEqualToThreshold => value <= threshold,
        }
    }

    /// True for the two `GreaterThan…` operators (an alarm on high values).
    pub fn is_upper(self) -> bool {
        matches!(
            self,
            ComparisonOperator::GreaterThanOrEqualToThreshold
                | ComparisonOperator::GreaterThanThreshold
        )
    }
}

/// `TreatMissingData` (default `missing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissingData {
    #[default]
    Missing,
    NotBreaching,
    Breaching,
    Ignore,
}

/// `AdjustmentType` of a simple or step policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum AdjustmentType {
    #[default]
    ChangeInCapacity,
    PercentChangeInCapacity,
    ExactCapacity,
}

/// `HealthCheckType` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum HealthCheckTypeSpec {
    #[serde(rename = "EC2")]
    Ec2,
    #[serde(rename = "ELB")]
    Elb,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LaunchTemplateSpec {
    pub launch_template_name: Option<String>,
    pub launch_template_id: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TagSpec {
    pub key: String,
    pub value: Option<String>,
    #[serde(default)]
    pub propagate_at_launch: bool,
    /// In `describe-auto-scaling-groups` output: the group's name and `auto-scaling-group`.
    pub resource_id: Option<IgnoredAny>,
    pub resource_type: Option<IgnoredAny>,
}

/// The Auto Scaling group JSON: one element of `describe-auto-scaling-groups` output or the
/// `create-auto-scaling-group --cli-input-json` document. Every documented field is
/// accepted; those that do not change a prediction are kept as `IgnoredAny` (and listed in
/// one note, `spec::aws_cli::GROUP_FIELDS_USED`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AsgSpec {
    pub auto_scaling_group_name: String,
    pub min_size: u32,
    pub max_size: u32,
    pub desired_capacity: Option<u32>,
    /// Seconds; 300 when absent.
    pub default_cooldown: Option<u64>,
    /// Seconds; not enabled when absent.
    pub default_instance_warmup: Option<u64>,
    pub health_check_type: Option<HealthCheckTypeSpec>,
    /// Seconds; 0 when absent (the CLI/SDK default, §3.6).
    pub health_check_grace_period: Option<u64>,
    pub launch_template: Option<LaunchTemplateSpec>,
    #[serde(rename = "TargetGroupARNs", default)]
    pub target_group_arns: Vec<String>,
    #[serde(default)]
    pub tags: Vec<TagSpec>,
    #[serde(rename = "VPCZoneIdentifier")]
    pub vpc_zone_identifier: Option<String>,
    pub availability_zones: Option<Vec<String>>,
    #[serde(rename = "AutoScalingGroupARN")]
    pub auto_scaling_group_arn: Option<IgnoredAny>,
    pub launch_configuration_name: Option<IgnoredAny>,
    pub mixed_instances_policy: Option<IgnoredAny>,
    pub predicted_capacity: Option<IgnoredAny>,
    pub load_balancer_names: Option<IgnoredAny>,
    pub instances: Option<IgnoredAny>,
    pub instance_id: Option<IgnoredAny>,
    pub created_time: Option<IgnoredAny>,
    pub suspended_processes: Option<IgnoredAny>,
    pub placement_group: Option<IgnoredAny>,
    pub enabled_metrics: Option<IgnoredAny>,
    pub status: Option<IgnoredAny>,
    pub termination_policies: Option<IgnoredAny>,
    pub new_instances_protected_from_scale_in: Option<IgnoredAny>,
    #[serde(rename = "ServiceLinkedRoleARN")]
    pub service_linked_role_arn: Option<IgnoredAny>,
    pub max_instance_lifetime: Option<IgnoredAny>,
    pub capacity_rebalance: Option<IgnoredAny>,
    pub warm_pool_configuration: Option<IgnoredAny>,
    pub warm_pool_size: Option<IgnoredAny>,
    pub context: Option<IgnoredAny>,
    pub desired_capacity_type: Option<IgnoredAny>,
    pub traffic_sources: Option<IgnoredAny>,
    pub instance_maintenance_policy: Option<IgnoredAny>,
    pub availability_zone_distribution: Option<IgnoredAny>,
    pub availability_zone_impairment_policy: Option<IgnoredAny>,
    pub capacity_reservation_specification: Option<IgnoredAny>,
    pub instance_lifecycle_policy: Option<IgnoredAny>,
    pub lifecycle_hook_specification_list: Option<IgnoredAny>,
    pub skip_zonal_shift_validation: Option<IgnoredAny>,
    pub deletion_protection: Option<IgnoredAny>,
}

/// One of the seed's alarm-driven simple policies (`scaleUp` / `scaleDown`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlarmPolicySpec {
    pub metric_name: String,
    pub threshold: f64,
    pub comparison_operator: ComparisonOperator,
    pub evaluation_periods: u32,
    /// Seconds.
    pub period: u64,
    pub scaling_adjustment: i64,
    #[serde(default)]
    pub adjustment_type: AdjustmentType,
    /// Seconds; the group's DefaultCooldown when absent.
    pub cooldown: Option<u64>,
    #[serde(default)]
    pub statistic: Statistic,
    pub datapoints_to_alarm: Option<u32>,
    #[serde(default)]
    pub treat_missing_data: TreatMissingData,
    pub min_adjustment_magnitude: Option<u32>,
}

/// `addReadReplica` / `removeReadReplica`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReplicaAction {
    AddReadReplica,
    RemoveReadReplica,
}

/// One side of the database read-replica rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicaRuleSideSpec {
    pub metric_name: String,
    pub threshold: f64,
    pub comparison_operator: ComparisonOperator,
    pub action: ReplicaAction,
    /// capsim default: 1.
    pub evaluation_periods: Option<u32>,
    /// Seconds; capsim default 60.
    pub period: Option<u64>,
    #[serde(default)]
    pub statistic: Statistic,
    /// Seconds; capsim default 300.
    pub cooldown: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadReplicasSpec {
    pub scale_up: ReplicaRuleSideSpec,
    pub scale_down: ReplicaRuleSideSpec,
    /// capsim defaults: 0 and 5 when absent (the seed's database has 3 replicas).
    pub min_replicas: Option<u32>,
    pub max_replicas: Option<u32>,
}

/// One tier of the `SCALING_POLICIES` block (`api`, `backend`, `database`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TierPoliciesSpec {
    pub scale_up: Option<AlarmPolicySpec>,
    pub scale_down: Option<AlarmPolicySpec>,
    pub read_replicas: Option<ReadReplicasSpec>,
    /// Step scaling policies, each with its own alarm (§3.3).
    #[serde(default)]
    pub step_scaling: Vec<StepPolicySpec>,
    /// Target tracking policies (§3.5).
    #[serde(default)]
    pub target_tracking: Vec<TargetTrackingSpec>,
}

/// One step adjustment, bounds relative to the alarm threshold (AWS field names).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StepAdjustmentSpec {
    pub metric_interval_lower_bound: Option<f64>,
    pub metric_interval_upper_bound: Option<f64>,
    pub scaling_adjustment: i64,
}

/// A step scaling policy with its CloudWatch alarm.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepPolicySpec {
    pub name: String,
    pub metric_name: String,
    pub threshold: f64,
    pub comparison_operator: ComparisonOperator,
    pub evaluation_periods: u32,
    /// Seconds.
    pub period: u64,
    #[serde(default)]
    pub statistic: Statistic,
    pub datapoints_to_alarm: Option<u32>,
    #[serde(default)]
    pub adjustment_type: AdjustmentType,
    pub step_adjustments: Vec<StepAdjustmentSpec>,
    pub min_adjustment_magnitude: Option<u32>,
    /// Seconds.
    pub estimated_instance_warmup: Option<u64>,
}

/// A target tracking policy (AWS `TargetTrackingConfiguration`, flattened).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetTrackingSpec {
    pub name: String,
    /// `CPUUtilization` (ASGAverageCPUUtilization) or `RequestCountPerTarget`.
    pub metric_name: String,
    pub target_value: f64,
    #[serde(default)]
    pub disable_scale_in: bool,
    /// Seconds.
    pub estimated_instance_warmup: Option<u64>,
}

/// The whole `SCALING_POLICIES` block: tier name → policies.
pub type ScalingPoliciesSpec = BTreeMap<String, TierPoliciesSpec>;

/// Parses an Auto Scaling group JSON document; `file` is only for messages.
/// (JSON is read through the YAML parser, a superset, so that a misspelt field gets the
/// nearest documented name.)
pub fn parse_asg_document(file: &Path, text: &str) -> Result<AsgSpec, LoadError> {
    crate::spec::yaml::parse_yaml(file, text)
}

/// Parses a scaling-policies YAML document; `file` is only for messages.
pub fn parse_scaling_policies_document(
    file: &Path,
    text: &str,
) -> Result<ScalingPoliciesSpec, LoadError> {
    crate::spec::yaml::parse_yaml(file, text)
}
