//! The Auto Scaling group's state: desired capacity, instances, the simple-policy activity
//! and cooldown (§3.2); launching and terminating toward a desired capacity, lifecycle
//! reports from the engine, and health-check replacement with the grace period (§3.7).

use crate::autoscale::aws::group::config::{GroupConfig, HealthCheckType};
use crate::autoscale::aws::group::decision::{Decision, Held};
use crate::autoscale::aws::group::instance::{Instance, InstanceId, LifecycleState};
use crate::autoscale::aws::policy::clamp_capacity;
use crate::time::Nanos;

#[derive(Debug, Clone, PartialEq)]
pub(super) struct SimpleActivity {
    pub(super) cooldown: Nanos,
    pub(super) outstanding: Vec<InstanceId>,
}

/// The Auto Scaling group.
#[derive(Debug, Clone)]
pub struct AutoScalingGroup {
    pub(super) config: GroupConfig,
    pub(super) desired: u32,
    instances: Vec<Instance>,
    next_id: InstanceId,
    pub(super) simple_activity: Option<SimpleActivity>,
    replacements: Vec<InstanceId>,
    pub(super) cooldown_until: Nanos,
}

impl AutoScalingGroup {
    /// A group at time `t0` with `DesiredCapacity` instances already InService and
    /// warmed up.
    pub fn new(config: GroupConfig, t0: Nanos) -> Self {
        let desired = config.desired_capacity;
        let instances = (0..desired as InstanceId)
            .map(|id| Instance {
                id,
                launched_at: t0,
                in_service_at: Some(t0),
                state: LifecycleState::InService,
                initial: true,
            })
            .collect();
        AutoScalingGroup {
            config,
            desired,
            instances,
            next_id: desired as InstanceId,
            simple_activity: None,
            replacements: Vec::new(),
            cooldown_until: 0,
        }
    }

    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    pub fn desired(&self) -> u32 {
        self.desired
    }

    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    pub fn instance(&self, id: InstanceId) -> Option<&Instance> {
        self.instances.iter().find(|i| i.id == id)
    }

    fn count(&self, state: LifecycleState) -> u32 {
        self.instances.iter().filter(|i| i.state == state).count() as u32
    }

    pub fn pending(&self) -> u32 {
        self.count(LifecycleState::Pending)
    }

    pub fn in_service(&self) -> u32 {
        self.count(LifecycleState::InService)
    }

    pub fn terminating(&self) -> u32 {
        self.count(LifecycleState::Terminating)
    }

    /// InService instances past `warmup`: the capacity step and target tracking scale out
    /// from (§3.3 "current capacity … excludes warming instances on scale-out").
    pub fn capacity_excluding_warming(&self, t: Nanos, warmup: Nanos) -> u32 {
        self.instances
            .iter()
            .filter(|i| i.state == LifecycleState::InService && !i.is_warming(t, warmup))
            .count() as u32
    }

    /// Whether any instance is still warming up (blocks policy scale-in, §3.3).
    pub fn any_warming(&self, t: Nanos, warmup: Nanos) -> bool {
        self.instances.iter().any(|i| i.is_warming(t, warmup))
    }

    /// The instances whose metrics count toward the group's aggregated metrics at `t`:
    /// InService and past warm-up (§3.3: "not counted toward the aggregated EC2 instance
    /// metrics" until warm-up expires).
    pub fn metric_instances(&self, t: Nanos, warmup: Nanos) -> impl Iterator<Item = InstanceId> {
        self.instances
            .iter()
            .filter(move |i| i.state == LifecycleState::InService && !i.is_warming(t, warmup))
            .map(|i| i.id)
    }

    /// Whether simple scaling policies are held at `t`: a simple scaling activity or a
    /// health replacement is still in progress, or the cooldown has not ended (§3.2).
    pub fn in_cooldown(&self, t: Nanos) -> bool {
        self.simple_activity.is_some() || !self.replacements.is_empty() || t < self.cooldown_until
    }

    /// When the simple-policy cooldown ends (meaningful once no activity is outstanding).
    pub fn cooldown_until(&self) -> Nanos {
        self.cooldown_until
    }
    /// Manual `SetDesiredCapacity` (clamped to the group's bounds); with `honor_cooldown`
    /// it is refused during a simple-policy cooldown (§3.2).
    pub fn set_desired_capacity(
        &mut self,
        t: Nanos,
        desired: u32,
        honor_cooldown: bool,
    ) -> Decision {
        let mut decision = Decision {
            desired_before: self.desired,
            desired_after: self.desired,
            ..Decision::default()
        };
        if honor_cooldown && self.in_cooldown(t) {
            decision.held.push(("manual".into(), Held::Cooldown));
            return decision;
        }
        let desired = clamp_capacity(desired as i64, self.config.min_size, self.config.max_size);
        self.set_desired(t, desired, &mut decision);
        decision
    }

    fn launch(&mut self, t: Nanos) -> InstanceId {
        let id = self.next_id;
        self.next_id += 1;
        self.instances.push(Instance {
            id,
            launched_at: t,
            in_service_at: None,
            state: LifecycleState::Pending,
            initial: false,
        });
        id
    }

    /// Moves the capacity to `desired`: launches, or terminates pending instances first,
    /// then the most recently launched InService ones. (AWS's default termination policy
    /// balances Availability Zones and prefers old launch templates; a single-AZ group with
    /// one template reduces to a choice this simulator makes newest-first.)
    pub(super) fn set_desired(&mut self, t: Nanos, desired: u32, decision: &mut Decision) {
        let live = self.pending() + self.in_service();
        if desired > live {
            for _ in live..desired {
                let id = self.launch(t);
                decision.launch.push(id);
            }
        } else if desired < live {
            let mut victims: Vec<(u8, Nanos, InstanceId)> = self
                .instances
                .iter()
                .filter_map(|i| match i.state {
                    LifecycleState::Pending => Some((0, i.launched_at, i.id)),
                    LifecycleState::InService => Some((1, i.launched_at, i.id)),
                    LifecycleState::Terminating => None,
                })
                .collect();
            victims.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)));
            for (_, _, id) in victims.into_iter().take((live - desired) as usize) {
                if let Some(i) = self.instances.iter_mut().find(|i| i.id == id) {
                    i.state = LifecycleState::Terminating;
                }
                decision.terminate.push(id);
            }
        }
        self.desired = desired;
        decision.desired_after = desired;
    }

    fn finish_outstanding(&mut self, id: InstanceId, t: Nanos) {
        self.replacements.retain(|r| *r != id);
        if let Some(activity) = &mut self.simple_activity {
            activity.outstanding.retain(|o| *o != id);
            if activity.outstanding.is_empty() {
                // The cooldown starts when the last instance finishes (§3.2).
                self.cooldown_until = t.saturating_add(activity.cooldown);
                self.simple_activity = None;
            }
        }
    }

    /// The engine reports that instance `id` finished launching and is InService.
    pub fn instance_in_service(&mut self, id: InstanceId, t: Nanos) {
        if let Some(i) = self.instances.iter_mut().find(|i| i.id == id)
            && i.state == LifecycleState::Pending
        {
            i.state = LifecycleState::InService;
            i.in_service_at = Some(t);
        }
        self.finish_outstanding(id, t);
    }

    /// The engine reports that instance `id` finished terminating (after draining); it
    /// leaves the group.
    pub fn instance_terminated(&mut self, id: InstanceId, t: Nanos) {
        self.instances.retain(|i| i.id != id);
        self.finish_outstanding(id, t);
    }

    /// A health check found instance `id` unhealthy at `t`. `from_elb` is an ELB target
    /// health report; otherwise it is an EC2 status (not `running`). ELB reports count only
    /// with `HealthCheckType = ELB` and only after `HealthCheckGracePeriod` from InService;
    /// EC2 reports replace the instance at once, even during grace (§3.7). A replaced
    /// instance is terminated and a new one launched, without waiting for any cooldown.
    pub fn report_unhealthy(&mut self, id: InstanceId, t: Nanos, from_elb: bool) -> Decision {
        let mut decision = Decision {
            desired_before: self.desired,
            desired_after: self.desired,
            ..Decision::default()
        };
        let Some(inst) = self.instances.iter_mut().find(|i| i.id == id) else {
            return decision;
        };
        if inst.state == LifecycleState::Terminating {
            return decision;
        }
        if from_elb {
            if self.config.health_check_type != HealthCheckType::Elb {
                return decision;
            }
            let start = inst.in_service_at.unwrap_or(inst.launched_at);
            let in_grace = !inst.initial
                && (inst.state == LifecycleState::Pending
                    || t < start.saturating_add(self.config.health_check_grace_period));
            if in_grace {
                return decision;
            }
        }
        inst.state = LifecycleState::Terminating;
        decision.terminate.push(id);
        let new = self.launch(t);
        decision.launch.push(new);
        self.replacements.push(new);
        decision
    }
}
