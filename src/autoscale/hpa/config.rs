//! The controller's flags (`kube-controller-manager`, §1.1) and the tolerances an HPA gets
//! under them (§1.6).

use crate::autoscale::hpa::spec::Hpa;
use crate::time::{NANOS_PER_SEC, Nanos};
use serde::Serialize;

/// kube-controller-manager flags and hard-coded constants (§1.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControllerConfig {
    /// `--horizontal-pod-autoscaler-sync-period` (15 s). The simulator calls
    /// [`reconcile`](super::reconcile) this often; `reconcile` itself does not use it.
    pub sync_period: Nanos,
    /// `--horizontal-pod-autoscaler-tolerance` (0.1), both directions.
    pub tolerance: f64,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period` (5 m).
    pub cpu_initialization_period: Nanos,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s).
    pub initial_readiness_delay: Nanos,
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (5 m).
    pub downscale_stabilization: Nanos,
    /// The resource-metrics window (`PodMetrics.Window`) used by the CPU readiness check of
    /// pods inside their initialization period (§1.4). metrics-server reports tens of
    /// seconds; 30 s is a tunable default, the controller tests use 1 m.
    pub metric_window: Nanos,
    /// `scaleUpLimitFactor` (2.0; the Kubernetes tests set 8) for the legacy path.
    pub scale_up_limit_factor: f64,
    /// `scaleUpLimitMinimum` (4.0) for the legacy path.
    pub scale_up_limit_minimum: f64,
    /// Honour `behavior.*.tolerance` (the `HPAConfigurableTolerance` gate, §1.6).
    pub configurable_tolerance: bool,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            sync_period: 15 * NANOS_PER_SEC,
            tolerance: 0.1,
            cpu_initialization_period: 300 * NANOS_PER_SEC,
            initial_readiness_delay: 30 * NANOS_PER_SEC,
            downscale_stabilization: 300 * NANOS_PER_SEC,
            metric_window: 30 * NANOS_PER_SEC,
            scale_up_limit_factor: 2.0,
            scale_up_limit_minimum: 4.0,
            configurable_tolerance: true,
        }
    }
}

/// Scale-down and scale-up tolerances (`Tolerances`, §1.6).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerances {
    pub scale_down: f64,
    pub scale_up: f64,
}

impl Tolerances {
    pub fn both(t: f64) -> Self {
        Tolerances {
            scale_down: t,
            scale_up: t,
        }
    }
    /// Inclusive bounds: a ratio of exactly 0.9 or 1.1 is within a 0.1 tolerance (§1.6).
    pub fn is_within(&self, usage_ratio: f64) -> bool {
        (1.0 - self.scale_down) <= usage_ratio && usage_ratio <= (1.0 + self.scale_up)
    }
    /// The tolerances an HPA gets under `config`.
    pub fn for_hpa(hpa: &Hpa, config: &ControllerConfig) -> Self {
        let mut t = Tolerances::both(config.tolerance);
        if config.configurable_tolerance
            && let Some(b) = &hpa.behavior
        {
            if let Some(up) = b.scale_up.tolerance {
                t.scale_up = up;
            }
            if let Some(down) = b.scale_down.tolerance {
                t.scale_down = down;
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_bounds_are_inclusive() {
        let t = Tolerances::both(0.1);
        assert!(t.is_within(0.9));
        assert!(t.is_within(1.1));
        assert!(!t.is_within(1.1000001));
        assert!(!t.is_within(0.8999999));
    }
}
