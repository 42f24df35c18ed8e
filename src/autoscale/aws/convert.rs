//! The AWS Auto Scaling files, parsed ([`crate::spec::aws`]), into the controllers' types:
//! validation that names the field and says what is allowed, and conversion to the group
//! configuration, alarms and policies.

use crate::autoscale::aws::alarm::AlarmConfig;
use crate::autoscale::aws::group::{DEFAULT_COOLDOWN, GroupConfig, HealthCheckType};
use crate::autoscale::aws::policy::{
    ReadReplicaRule, SimplePolicy, StepAdjustment, StepPolicy, TargetTrackingPolicy,
};
use crate::error::{FieldError, LoadError, join_path};
use crate::spec::aws::{
    AdjustmentType, AlarmPolicySpec, AsgSpec, HealthCheckTypeSpec, ReadReplicasSpec, ReplicaAction,
    ReplicaRuleSideSpec, ScalingPoliciesSpec, StepPolicySpec, TargetTrackingSpec,
    parse_asg_document, parse_scaling_policies_document,
};
use crate::time::NANOS_PER_SEC;
use std::path::Path;

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
    let spec = parse_asg_document(file, text)?;
    let config = spec.to_config().map_err(|e| LoadError::invalid(file, e))?;
    Ok((spec, config))
}

/// Parses and validates a scaling-policies YAML document; `file` is only for messages.
pub fn parse_scaling_policies_yaml(
    file: &Path,
    text: &str,
) -> Result<ScalingPoliciesSpec, LoadError> {
    let spec = parse_scaling_policies_document(file, text)?;
    validate_scaling_policies(&spec).map_err(|e| LoadError::invalid(file, e))?;
    Ok(spec)
}
