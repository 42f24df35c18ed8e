//! One instance of an Auto Scaling group and its lifecycle, reduced to what scaling needs
//! (pending, in service, terminating; warm-up).

use crate::time::Nanos;

pub type InstanceId = u64;

/// Lifecycle of one instance, reduced to what scaling needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleState {
    /// Launched, booting, not yet registered.
    Pending,
    InService,
    /// Terminating (deregistration / draining); still counted as capacity on scale-in.
    Terminating,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub id: InstanceId,
    pub launched_at: Nanos,
    /// When the instance entered InService; warm-up and grace run from here.
    pub in_service_at: Option<Nanos>,
    pub state: LifecycleState,
    /// Instances present when the group was created: already warmed up, out of grace.
    pub initial: bool,
}

impl Instance {
    /// Pending, or InService for less than `warmup` (initial instances never warm).
    pub fn is_warming(&self, t: Nanos, warmup: Nanos) -> bool {
        match self.state {
            LifecycleState::Pending => true,
            LifecycleState::InService => {
                !self.initial
                    && self
                        .in_service_at
                        .is_some_and(|s| t < s.saturating_add(warmup))
            }
            LifecycleState::Terminating => false,
        }
    }
}
