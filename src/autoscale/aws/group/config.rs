//! Auto Scaling group settings: sizes, cooldown, warm-up, health-check type and grace
//! period (§3.6), and their validation.

use crate::error::FieldError;
use crate::time::{NANOS_PER_SEC, Nanos};

/// `HealthCheckType` of the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HealthCheckType {
    #[default]
    Ec2,
    Elb,
}

/// The default `DefaultCooldown` (§3.2, §3.6).
pub const DEFAULT_COOLDOWN: Nanos = 300 * NANOS_PER_SEC;

/// Group settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupConfig {
    pub name: String,
    pub min_size: u32,
    pub max_size: u32,
    pub desired_capacity: u32,
    /// `DefaultCooldown` (300 s unless set).
    pub default_cooldown: Nanos,
    /// `DefaultInstanceWarmup` (not enabled unless set).
    pub default_instance_warmup: Option<Nanos>,
    pub health_check_type: HealthCheckType,
    /// `HealthCheckGracePeriod` (0 s from the CLI/SDK, 300 s from the console; §3.6).
    pub health_check_grace_period: Nanos,
}

impl GroupConfig {
    pub fn new(name: impl Into<String>, min_size: u32, max_size: u32, desired: u32) -> Self {
        GroupConfig {
            name: name.into(),
            min_size,
            max_size,
            desired_capacity: desired,
            default_cooldown: DEFAULT_COOLDOWN,
            default_instance_warmup: None,
            health_check_type: HealthCheckType::Ec2,
            health_check_grace_period: 0,
        }
    }

    /// The warm-up a step or target tracking policy uses: its `EstimatedInstanceWarmup`,
    /// else the group's `DefaultInstanceWarmup`, else `DefaultCooldown` (§3.3, §3.6).
    pub fn warmup(&self, estimated_instance_warmup: Option<Nanos>) -> Nanos {
        estimated_instance_warmup
            .or(self.default_instance_warmup)
            .unwrap_or(self.default_cooldown)
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        if self.min_size > self.max_size {
            return Err(FieldError::new(
                "MinSize",
                format!(
                    "MinSize ({}) is above MaxSize ({}); MinSize must be ≤ MaxSize",
                    self.min_size, self.max_size
                ),
            ));
        }
        if self.desired_capacity < self.min_size || self.desired_capacity > self.max_size {
            return Err(FieldError::new(
                "DesiredCapacity",
                format!(
                    "DesiredCapacity ({}) must be between MinSize ({}) and MaxSize ({})",
                    self.desired_capacity, self.min_size, self.max_size
                ),
            ));
        }
        Ok(())
    }
}
