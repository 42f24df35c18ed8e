//! The Auto Scaling group: desired capacity, instances and their lifecycle, simple-policy
//! cooldown (§3.2), warm-up (§3.3, §3.5), min/max clamps (§3.4), health-check replacement
//! with the grace period (§3.7).
//!
//! Driving it: at each alarm evaluation tick (every minute) the engine evaluates the
//! alarms and calls [`AutoScalingGroup::decide`] with one [`PolicyInput`] per policy; an
//! alarm in ALARM invokes its policy at every tick (§3.1). The returned [`Decision`] lists
//! instances to launch (the engine boots them and calls
//! [`AutoScalingGroup::instance_in_service`]) and to terminate (the engine drains them and
//! calls [`AutoScalingGroup::instance_terminated`]).
//!
//! Files: `config` (group settings), `instance` (instances and their lifecycle), `decision`
//! (what a tick's policies bring and what the group did), `state` (the group: capacity,
//! instances, cooldown, launches, terminations, health replacement) and `decide` (the
//! policies' proposals at an alarm tick and the choice among them).

mod config;
mod decide;
mod decision;
mod instance;
mod state;

pub use config::{DEFAULT_COOLDOWN, GroupConfig, HealthCheckType};
pub use decision::{AlarmSignal, Decision, Held, PolicyInput};
pub use instance::{Instance, InstanceId, LifecycleState};
pub use state::AutoScalingGroup;
