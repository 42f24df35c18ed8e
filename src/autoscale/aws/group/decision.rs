//! What goes into and comes out of one evaluation tick of a group: the alarms as the
//! policies see them, each policy's input, why a policy was held, and the decision.

use crate::autoscale::aws::alarm::{AlarmConfig, AlarmEvaluation, AlarmState};
use crate::autoscale::aws::group::instance::InstanceId;
use crate::autoscale::aws::policy::{SimplePolicy, StepPolicy, TargetTrackingPolicy};
use crate::spec::aws::ComparisonOperator;

/// An alarm as a policy sees it: its state, its threshold and the recent datapoints.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSignal {
    pub state: AlarmState,
    pub threshold: f64,
    pub comparison: ComparisonOperator,
    /// Real datapoints among the newest N, oldest first.
    pub recent: Vec<f64>,
}

impl AlarmSignal {
    pub fn new(
        state: AlarmState,
        threshold: f64,
        comparison: ComparisonOperator,
        recent: Vec<f64>,
    ) -> Self {
        AlarmSignal {
            state,
            threshold,
            comparison,
            recent,
        }
    }

    pub fn from_evaluation(config: &AlarmConfig, eval: &AlarmEvaluation) -> Self {
        AlarmSignal {
            state: eval.state,
            threshold: config.threshold,
            comparison: config.comparison,
            recent: eval.recent.clone(),
        }
    }

    /// The newest real datapoint.
    pub fn latest(&self) -> Option<f64> {
        self.recent.last().copied()
    }
}

/// One policy and its alarm(s) at this tick.
#[derive(Debug, Clone, Copy)]
pub enum PolicyInput<'a> {
    Simple {
        name: &'a str,
        policy: &'a SimplePolicy,
        alarm: AlarmState,
    },
    Step {
        name: &'a str,
        policy: &'a StepPolicy,
        alarm: &'a AlarmSignal,
    },
    TargetTracking {
        name: &'a str,
        policy: &'a TargetTrackingPolicy,
        high: &'a AlarmSignal,
        low: &'a AlarmSignal,
    },
}

impl PolicyInput<'_> {
    pub(super) fn name(&self) -> &str {
        match self {
            PolicyInput::Simple { name, .. }
            | PolicyInput::Step { name, .. }
            | PolicyInput::TargetTracking { name, .. } => name,
        }
    }
}

/// Why a policy whose alarm was in ALARM did not change the capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Simple policy: a scaling activity is in progress or the cooldown has not ended.
    Cooldown,
    /// Step / target tracking scale-in while instances are warming up.
    WarmupBlocksScaleIn,
    /// Target tracking: scale-in needs every scale-in-enabled policy to agree.
    ScaleInNotUnanimous,
    /// The proposal did not move the capacity (already there, warm-up already counted,
    /// or clamped at MinSize / MaxSize).
    NoChange,
    /// The metric had no datapoint to size the step with.
    NoMetric,
}

/// What one call to [`AutoScalingGroup::decide`](super::AutoScalingGroup::decide) did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decision {
    pub desired_before: u32,
    pub desired_after: u32,
    /// The policy whose proposal was applied.
    pub policy: Option<String>,
    pub launch: Vec<InstanceId>,
    pub terminate: Vec<InstanceId>,
    /// Policies that were invoked but held, with the reason.
    pub held: Vec<(String, Held)>,
}

impl Decision {
    pub fn changed(&self) -> bool {
        self.desired_after != self.desired_before
    }
}
