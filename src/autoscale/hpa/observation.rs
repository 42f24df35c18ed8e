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

/// One container of a pod, for `ContainerResource` metrics: its name, request and latest
/// usage sample (cpu in millicores, memory in bytes).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ContainerObservation {
    pub name: String,
    pub cpu: ResourceSample,
    pub memory: ResourceSample,
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
    /// The pod's containers, read only by `ContainerResource` metrics (the pod-level
    /// `cpu` and `memory` are their sums).
    pub containers: Vec<ContainerObservation>,
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

    /// Whether metrics-server reports this pod (`Phase`-independent): a pod-level sample
    /// of `resource` exists.
    fn has_sample(&self, resource: ResourceName) -> bool {
        self.resource_milli(resource).1.is_some()
    }

    /// Milli-unit samples of `resource` for one container: (request, usage), as
    /// `calculateRequests` and `getContainerMetrics` read them. A pod without the
    /// container requests 0 of it; a reported pod without it fails the metric.
    pub(super) fn container_milli(
        &self,
        resource: ResourceName,
        container: &str,
    ) -> Result<(Option<i64>, Option<i64>), String> {
        let scale = |v: i64| match resource {
            ResourceName::Cpu => v,
            ResourceName::Memory => v.saturating_mul(1000),
        };
        let found = self.containers.iter().find(|c| c.name == container);
        let sample = |c: &ContainerObservation| match resource {
            ResourceName::Cpu => c.cpu,
            ResourceName::Memory => c.memory,
        };
        match found {
            Some(c) => {
                let s = sample(c);
                let usage = if self.has_sample(resource) {
                    s.usage.map(scale)
                } else {
                    None
                };
                Ok((s.request.map(scale), usage))
            }
            None if self.has_sample(resource) => Err(format!(
                "failed to get container metrics: container {container} not present in metrics for pod {}",
                self.name
            )),
            None => Ok((Some(0), None)),
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
