//! What the controller sees of the pods its target's selector matches: phase, readiness,
//! and the latest resource and custom-metric samples.

use crate::autoscale::hpa::spec::ResourceName;
use crate::time::Nanos;
use serde::Serialize;
use std::collections::BTreeMap;

/// `pod.Status.Phase` (Succeeded pods behave like Running ones in `groupPods`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum PodPhase {
    Pending,
    #[default]
    Running,
    Succeeded,
    Failed,
}

/// Request and latest usage sample of one resource of one pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ResourceSample {
    /// Sum of the containers' requests; `None` when a container has none (the metric then
    /// fails with "missing request for ...").
    pub request: Option<i64>,
    /// `None`: metrics-server returned no sample for this pod ("missing" pod, §1.5).
    pub usage: Option<i64>,
}

impl ResourceSample {
    pub fn new(request: i64, usage: Option<i64>) -> Self {
        ResourceSample {
            request: Some(request),
            usage,
        }
    }
}

/// What the controller sees of one pod matched by the target's selector.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PodObservation {
    pub name: String,
    pub phase: PodPhase,
    /// `metadata.deletionTimestamp` is set (terminating).
    pub deleting: bool,
    /// `status.startTime`; `None` (not started) makes the pod unready for cpu.
    pub start_time: Option<Nanos>,
    /// Status of the `Ready` condition.
    pub ready: bool,
    /// `lastTransitionTime` of the `Ready` condition. A pod that has never been ready has
    /// `ready == false` and a transition at (or near) its start time.
    pub ready_transition: Nanos,
    /// cpu in millicores.
    pub cpu: ResourceSample,
    /// memory in bytes.
    pub memory: ResourceSample,
    /// Custom per-pod metrics (`Pods` sources) in milli-units; absent = missing sample.
    pub custom: BTreeMap<String, i64>,
    /// Timestamp of the metric samples; `None` means `now`.
    pub sample_time: Option<Nanos>,
}

impl PodObservation {
    /// A running, ready pod started at `start` (ready since then) with the given cpu sample.
    pub fn running(name: impl Into<String>, start: Nanos, cpu: ResourceSample) -> Self {
        PodObservation {
            name: name.into(),
            phase: PodPhase::Running,
            start_time: Some(start),
            ready: true,
            ready_transition: start,
            cpu,
            ..Default::default()
        }
    }

    /// Milli-unit samples of `resource`: (request, usage).
    pub(super) fn resource_milli(&self, resource: ResourceName) -> (Option<i64>, Option<i64>) {
        match resource {
            ResourceName::Cpu => (self.cpu.request, self.cpu.usage),
            ResourceName::Memory => (
                self.memory.request.map(|b| b.saturating_mul(1000)),
                self.memory.usage.map(|b| b.saturating_mul(1000)),
            ),
        }
    }
}
