//! What the controller remembers about one HPA between reconciles: the recommendation
//! history and the scale events (`timestampedRecommendation`, `timestampedScaleEvent`).

use crate::time::Nanos;
use serde::Serialize;

/// One stored recommendation (`timestampedRecommendation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    pub replicas: u32,
    pub timestamp: Nanos,
}

/// One stored scale event (`timestampedScaleEvent`); `change` is the absolute change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScaleEvent {
    pub change: u32,
    pub timestamp: Nanos,
    pub outdated: bool,
}

impl ScaleEvent {
    pub fn new(change: u32, timestamp: Nanos) -> Self {
        ScaleEvent {
            change,
            timestamp,
            outdated: false,
        }
    }
}

/// What the controller remembers about one HPA between reconciles.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct HpaState {
    /// `None` until the first reconcile, which stores `{currentReplicas, now}`: a freshly
    /// created HPA, or a restarted controller, cannot scale down for one stabilization
    /// window (§1.2 step 2). `Some(vec![])` is a controller that has run but kept nothing.
    pub recommendations: Option<Vec<Recommendation>>,
    pub scale_up_events: Vec<ScaleEvent>,
    pub scale_down_events: Vec<ScaleEvent>,
    /// `status.lastScaleTime`.
    pub last_scale_time: Option<Nanos>,
}

impl HpaState {
    /// A controller that has just started (or an HPA just created).
    pub fn new() -> Self {
        HpaState::default()
    }
    /// A controller with this recommendation history and no scale events.
    pub fn with_recommendations(recommendations: Vec<Recommendation>) -> Self {
        HpaState {
            recommendations: Some(recommendations),
            ..Default::default()
        }
    }
}
