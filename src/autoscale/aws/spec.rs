//! The seed's AWS files as written: the Auto Scaling group JSON (AWS PascalCase, as
//! `aws autoscaling create-auto-scaling-group --cli-input-json` takes it) and the
//! `SCALING_POLICIES` block (camelCase), with validation that names the field and says
//! what is allowed, and conversion to the runtime types.

use super::alarm::{AlarmConfig, ComparisonOperator, Statistic, TreatMissingData};
use super::group::{DEFAULT_COOLDOWN, GroupConfig, HealthCheckType};
use super::policy::{
    AdjustmentType, ReadReplicaRule, SimplePolicy, StepAdjustment, StepPolicy, TargetTrackingPolicy,
};
use crate::error::{FieldError, LoadError, join_path};
use crate::time::NANOS_PER_SEC;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

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
}

/// The Auto Scaling group JSON.
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
}

impl AsgSpec {
    /// Validates and converts to the runtime group configuration.
    pub fn to_config(&self) -> Result<GroupConfig, FieldError> {
        let name = &self.auto_scaling_group_name;
        if name.is_empty() || name.chars().count() > 255 {
            return Err(FieldError::new(
                "AutoScalingGroupName",
                "the name must have 1 to 255 characters",
            ));
        }
        if self.max_size == 0 {
            return Err(FieldError::new(
                "MaxSize",
                "MaxSize is 0, so the group can never run an instance; use 1 or more",
            ));
        }
        let desired = self.desired_capacity.unwrap_or(self.min_size);
        let config = GroupConfig {
            name: name.clone(),
            min_size: self.min_size,
            max_size: self.max_size,
            desired_capacity: desired,
            default_cooldown: self
                .default_cooldown
                .map_or(DEFAULT_COOLDOWN, |s| s * NANOS_PER_SEC),
            default_instance_warmup: self.default_instance_warmup.map(|s| s * NANOS_PER_SEC),
            health_check_type: match self.health_check_type {
                Some(HealthCheckTypeSpec::Elb) => HealthCheckType::Elb,
                _ => HealthCheckType::Ec2,
            },
            health_check_grace_period: self.health_check_grace_period.unwrap_or(0) * NANOS_PER_SEC,
        };
        config.validate()?;
        if self.health_check_type == Some(HealthCheckTypeSpec::Elb)
            && self.target_group_arns.is_empty()
        {
            return Err(FieldError::new(
                "TargetGroupARNs",
                "HealthCheckType is ELB but no target group is attached; add a TargetGroupARNs entry or use HealthCheckType EC2",
            ));
        }
        for (i, arn) in self.target_group_arns.iter().enumerate() {
            if !arn.starts_with("arn:") {
                return Err(FieldError::new(
                    format!("TargetGroupARNs[{i}]"),
                    format!(
                        "\"{arn}\" is not an ARN; write arn:aws:elasticloadbalancing:…:targetgroup/<name>"
                    ),
                ));
            }
        }
        if let Some(lt) = &self.launch_template
            && lt.launch_template_name.is_none()
            && lt.launch_template_id.is_none()
        {
            return Err(FieldError::new(
                "LaunchTemplate",
                "give LaunchTemplateName or LaunchTemplateId",
            ));
        }
        for (i, tag) in self.tags.iter().enumerate() {
            if tag.key.is_empty() {
                return Err(FieldError::new(
                    format!("Tags[{i}].Key"),
                    "a tag key cannot be empty",
                ));
            }
        }
        Ok(config)
    }
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

impl AlarmPolicySpec {
    pub fn alarm_config(&self) -> AlarmConfig {
        let mut c = AlarmConfig::new(
            self.statistic,
            self.period.saturating_mul(NANOS_PER_SEC),
            self.evaluation_periods,
            self.comparison_operator,
            self.threshold,
        )
        .with_treat_missing_data(self.treat_missing_data);
        if let Some(m) = self.datapoints_to_alarm {
            c = c.with_datapoints_to_alarm(m);
        }
        c
    }

    pub fn simple_policy(&self) -> SimplePolicy {
        SimplePolicy {
            adjustment_type: self.adjustment_type,
            scaling_adjustment: self.scaling_adjustment,
            min_adjustment_magnitude: self.min_adjustment_magnitude,
            cooldown: self.cooldown.map(|s| s.saturating_mul(NANOS_PER_SEC)),
        }
    }

    /// `up`: this is a `scaleUp` policy (it must add capacity), else `scaleDown`.
    fn validate(&self, up: bool) -> Result<(), FieldError> {
        if self.metric_name.trim().is_empty() {
            return Err(FieldError::new("metricName", "metricName cannot be empty"));
        }
        self.alarm_config().validate()?;
        self.simple_policy().validate()?;
        if self.scaling_adjustment == 0 && self.adjustment_type != AdjustmentType::ExactCapacity {
            return Err(FieldError::new(
                "scalingAdjustment",
                "scalingAdjustment is 0, so the policy does nothing; use a positive number to add and a negative one to remove",
            ));
        }
        if self.adjustment_type != AdjustmentType::ExactCapacity
            && (self.scaling_adjustment > 0) != up
        {
            let (which, want) = if up {
                ("scaleUp", "positive")
            } else {
                ("scaleDown", "negative")
            };
            return Err(FieldError::new(
                "scalingAdjustment",
                format!(
                    "a {which} policy needs a {want} scalingAdjustment; {} points the other way",
                    self.scaling_adjustment
                ),
            ));
        }
        Ok(())
    }
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

impl ReplicaRuleSideSpec {
    pub fn alarm_config(&self) -> AlarmConfig {
        AlarmConfig::new(
            self.statistic,
            self.period.unwrap_or(60).saturating_mul(NANOS_PER_SEC),
            self.evaluation_periods.unwrap_or(1),
            self.comparison_operator,
            self.threshold,
        )
    }
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

impl ReadReplicasSpec {
    pub fn to_rule(&self) -> Result<ReadReplicaRule, FieldError> {
        for (field, side, want) in [
            ("scaleUp", &self.scale_up, ReplicaAction::AddReadReplica),
            (
                "scaleDown",
                &self.scale_down,
                ReplicaAction::RemoveReadReplica,
            ),
        ] {
            if side.action != want {
                return Err(FieldError::new(
                    format!("{field}.action"),
                    format!(
                        "the {field} rule must use action {want:?}; use addReadReplica under scaleUp and removeReadReplica under scaleDown"
                    ),
                ));
            }
            side.alarm_config()
                .validate()
                .map_err(|e| e.within(field))?;
        }
        if self.scale_down.threshold >= self.scale_up.threshold {
            return Err(FieldError::new(
                "scaleDown.threshold",
                format!(
                    "the scale-down threshold ({}) must be below the scale-up threshold ({}), or replicas flap",
                    self.scale_down.threshold, self.scale_up.threshold
                ),
            ));
        }
        let min_replicas = self.min_replicas.unwrap_or(0);
        let max_replicas = self.max_replicas.unwrap_or(5);
        if min_replicas > max_replicas {
            return Err(FieldError::new(
                "minReplicas",
                format!("minReplicas ({min_replicas}) must be ≤ maxReplicas ({max_replicas})"),
            ));
        }
        let cooldown = self
            .scale_up
            .cooldown
            .or(self.scale_down.cooldown)
            .unwrap_or(300)
            .saturating_mul(NANOS_PER_SEC);
        Ok(ReadReplicaRule {
            add_alarm: self.scale_up.alarm_config(),
            remove_alarm: self.scale_down.alarm_config(),
            cooldown,
            min_replicas,
            max_replicas,
        })
    }
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

impl StepPolicySpec {
    pub fn alarm_config(&self) -> AlarmConfig {
        let mut c = AlarmConfig::new(
            self.statistic,
            self.period.saturating_mul(NANOS_PER_SEC),
            self.evaluation_periods,
            self.comparison_operator,
            self.threshold,
        );
        if let Some(n) = self.datapoints_to_alarm {
            c = c.with_datapoints_to_alarm(n);
        }
        c
    }

    pub fn policy(&self) -> Result<StepPolicy, FieldError> {
        let mut p = StepPolicy::new(
            self.adjustment_type,
            self.step_adjustments
                .iter()
                .map(|s| {
                    StepAdjustment::new(
                        s.metric_interval_lower_bound,
                        s.metric_interval_upper_bound,
                        s.scaling_adjustment,
                    )
                })
                .collect(),
        );
        p.min_adjustment_magnitude = self.min_adjustment_magnitude;
        p.estimated_instance_warmup = self.estimated_instance_warmup.map(|s| s * NANOS_PER_SEC);
        p.validate()?;
        Ok(p)
    }
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

impl TargetTrackingSpec {
    pub fn policy(&self) -> Result<TargetTrackingPolicy, FieldError> {
        if !self.target_value.is_finite() || self.target_value <= 0.0 {
            return Err(FieldError::new("targetValue", "must be a number above 0"));
        }
        let mut p = TargetTrackingPolicy::new(self.target_value);
        p.disable_scale_in = self.disable_scale_in;
        p.estimated_instance_warmup = self.estimated_instance_warmup.map(|s| s * NANOS_PER_SEC);
        p.validate()?;
        Ok(p)
    }
}

/// The whole `SCALING_POLICIES` block: tier name → policies.
pub type ScalingPoliciesSpec = BTreeMap<String, TierPoliciesSpec>;

/// Validates every tier; the error path starts with the tier name
/// (`backend.scaleDown.scalingAdjustment`).
pub fn validate_scaling_policies(spec: &ScalingPoliciesSpec) -> Result<(), FieldError> {
    for (tier, p) in spec {
        if p.scale_up.is_none()
            && p.scale_down.is_none()
            && p.read_replicas.is_none()
            && p.step_scaling.is_empty()
            && p.target_tracking.is_empty()
        {
            return Err(FieldError::new(
                tier.as_str(),
                "the tier has no policy; give scaleUp, scaleDown, stepScaling, targetTracking or readReplicas",
            ));
        }
        for (i, s) in p.step_scaling.iter().enumerate() {
            s.policy()
                .map_err(|e| e.within(&format!("{tier}.stepScaling[{i}]")))?;
        }
        for (i, t) in p.target_tracking.iter().enumerate() {
            t.policy()
                .map_err(|e| e.within(&format!("{tier}.targetTracking[{i}]")))?;
        }
        if let Some(up) = &p.scale_up {
            up.validate(true)
                .map_err(|e| e.within(&join_path(tier, "scaleUp")))?;
        }
        if let Some(down) = &p.scale_down {
            down.validate(false)
                .map_err(|e| e.within(&join_path(tier, "scaleDown")))?;
        }
        if let (Some(up), Some(down)) = (&p.scale_up, &p.scale_down)
            && up.metric_name == down.metric_name
            && down.threshold >= up.threshold
        {
            return Err(FieldError::new(
                join_path(tier, "scaleDown.threshold"),
                format!(
                    "the scale-down threshold ({}) must be below the scale-up threshold ({}) on the same metric, or the group flaps",
                    down.threshold, up.threshold
                ),
            ));
        }
        if let Some(rr) = &p.read_replicas {
            rr.to_rule()
                .map_err(|e| e.within(&join_path(tier, "readReplicas")))?;
        }
    }
    Ok(())
}

/// Parses and validates an Auto Scaling group JSON document; `file` is only for messages.
pub fn parse_asg_json(file: &Path, text: &str) -> Result<(AsgSpec, GroupConfig), LoadError> {
    let spec: AsgSpec = serde_json::from_str(text).map_err(|e| LoadError::Syntax {
        file: file.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let config = spec.to_config().map_err(|e| LoadError::invalid(file, e))?;
    Ok((spec, config))
}

/// Parses and validates a scaling-policies YAML document; `file` is only for messages.
pub fn parse_scaling_policies_yaml(
    file: &Path,
    text: &str,
) -> Result<ScalingPoliciesSpec, LoadError> {
    let spec: ScalingPoliciesSpec = crate::spec::yaml::parse_yaml(file, text)?;
    validate_scaling_policies(&spec).map_err(|e| LoadError::invalid(file, e))?;
    Ok(spec)
}
