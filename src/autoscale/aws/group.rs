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

use super::alarm::{AlarmEvaluation, AlarmState, ComparisonOperator};
use super::policy::{SimplePolicy, StepPolicy, TargetTrackingPolicy, clamp_capacity};
use crate::error::FieldError;
use crate::time::{NANOS_PER_SEC, Nanos};

pub type InstanceId = u64;

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

    pub fn from_evaluation(config: &super::alarm::AlarmConfig, eval: &AlarmEvaluation) -> Self {
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
    fn name(&self) -> &str {
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

/// What one call to [`AutoScalingGroup::decide`] did.
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

#[derive(Debug, Clone, PartialEq)]
struct SimpleActivity {
    cooldown: Nanos,
    outstanding: Vec<InstanceId>,
}

/// The Auto Scaling group.
#[derive(Debug, Clone)]
pub struct AutoScalingGroup {
    config: GroupConfig,
    desired: u32,
    instances: Vec<Instance>,
    next_id: InstanceId,
    simple_activity: Option<SimpleActivity>,
    replacements: Vec<InstanceId>,
    cooldown_until: Nanos,
}

#[derive(Debug, Clone, Copy)]
struct Proposal<'a> {
    name: &'a str,
    desired: u32,
    simple: Option<Nanos>,
}

/// The proposal with the largest capacity; on ties the first given.
fn best<'a>(v: &[Proposal<'a>]) -> Option<Proposal<'a>> {
    v.iter()
        .copied()
        .reduce(|a, b| if b.desired > a.desired { b } else { a })
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

    fn proposal_for<'a>(
        &self,
        t: Nanos,
        input: &PolicyInput<'a>,
        held: &mut Vec<(String, Held)>,
    ) -> (Option<Proposal<'a>>, Option<bool>) {
        let (min, max) = (self.config.min_size, self.config.max_size);
        let current = self.desired;
        let with_terminating = current + self.terminating();
        let mut hold = |why| held.push((input.name().to_string(), why));
        match *input {
            PolicyInput::Simple {
                name,
                policy,
                alarm,
            } => {
                if alarm != AlarmState::Alarm {
                    return (None, None);
                }
                if self.in_cooldown(t) {
                    hold(Held::Cooldown);
                    return (None, None);
                }
                let desired = clamp_capacity(policy.proposal(current), min, max);
                if desired == current {
                    hold(Held::NoChange);
                    return (None, None);
                }
                let cooldown = policy.cooldown.unwrap_or(self.config.default_cooldown);
                (
                    Some(Proposal {
                        name,
                        desired,
                        simple: Some(cooldown),
                    }),
                    None,
                )
            }
            PolicyInput::Step {
                name,
                policy,
                alarm,
            } => {
                if alarm.state != AlarmState::Alarm {
                    return (None, None);
                }
                let Some(metric) = policy.metric_aggregation_type.aggregate(&alarm.recent) else {
                    hold(Held::NoMetric);
                    return (None, None);
                };
                let Some(step) = policy.select(metric, alarm.threshold, alarm.comparison) else {
                    hold(Held::NoChange);
                    return (None, None);
                };
                let warmup = self.config.warmup(policy.estimated_instance_warmup);
                let apply = |base: u32| {
                    super::policy::apply_adjustment(
                        base,
                        policy.adjustment_type,
                        step.scaling_adjustment,
                        policy.min_adjustment_magnitude,
                    )
                };
                // Direction from the step's own sign (ExactCapacity: from the target).
                let out = match policy.adjustment_type {
                    super::policy::AdjustmentType::ExactCapacity => {
                        step.scaling_adjustment > current as i64
                    }
                    _ => step.scaling_adjustment > 0,
                };
                let desired = if out {
                    // newDesired = max(currentDesired, cx + adjustment(cx)) (§3.3).
                    let cx = self.capacity_excluding_warming(t, warmup);
                    clamp_capacity(apply(cx).max(current as i64), min, max)
                } else {
                    if self.any_warming(t, warmup) {
                        hold(Held::WarmupBlocksScaleIn);
                        return (None, None);
                    }
                    // Terminating instances count as current capacity on scale-in (§3.3).
                    clamp_capacity(apply(with_terminating).min(current as i64), min, max)
                };
                if desired == current {
                    hold(Held::NoChange);
                    return (None, None);
                }
                (
                    Some(Proposal {
                        name,
                        desired,
                        simple: None,
                    }),
                    None,
                )
            }
            PolicyInput::TargetTracking {
                name,
                policy,
                high,
                low,
            } => {
                let warmup = self.config.warmup(policy.estimated_instance_warmup);
                if high.state == AlarmState::Alarm {
                    let cx = self.capacity_excluding_warming(t, warmup);
                    let Some(metric) = high.latest().filter(|_| cx > 0) else {
                        hold(Held::NoMetric);
                        return (None, None);
                    };
                    let desired = clamp_capacity(
                        policy.proportional_capacity(cx, metric).max(current as i64),
                        min,
                        max,
                    );
                    if desired == current {
                        hold(Held::NoChange);
                        return (None, None);
                    }
                    return (
                        Some(Proposal {
                            name,
                            desired,
                            simple: None,
                        }),
                        None,
                    );
                }
                if policy.disable_scale_in {
                    return (None, None);
                }
                // A scale-in-enabled policy votes: Some(true) ready to scale in.
                if low.state != AlarmState::Alarm {
                    return (None, Some(false));
                }
                if self.any_warming(t, warmup) {
                    hold(Held::WarmupBlocksScaleIn);
                    return (None, Some(false));
                }
                let Some(metric) = low.latest() else {
                    hold(Held::NoMetric);
                    return (None, Some(false));
                };
                let desired = clamp_capacity(
                    policy
                        .proportional_capacity(with_terminating, metric)
                        .min(current as i64),
                    min,
                    max,
                );
                if desired == current {
                    hold(Held::NoChange);
                    return (None, Some(false));
                }
                (
                    Some(Proposal {
                        name,
                        desired,
                        simple: None,
                    }),
                    Some(true),
                )
            }
        }
    }

    /// One evaluation tick at `t`: each policy whose alarm is in ALARM proposes a desired
    /// capacity; the group applies the one giving the largest capacity. Scale-out wins
    /// over scale-in; target tracking scales in only when every scale-in-enabled target
    /// tracking policy is ready to (§3.5). Proposals are clamped to `[MinSize, MaxSize]`.
    pub fn decide(&mut self, t: Nanos, inputs: &[PolicyInput<'_>]) -> Decision {
        let mut held = Vec::new();
        let mut outs: Vec<Proposal> = Vec::new();
        let mut ins: Vec<Proposal> = Vec::new();
        let mut tt_in_unanimous = true;
        let mut tt_in_names: Vec<&str> = Vec::new();
        for input in inputs {
            let (proposal, tt_vote) = self.proposal_for(t, input, &mut held);
            if let Some(vote) = tt_vote {
                tt_in_unanimous &= vote;
            }
            if let Some(p) = proposal {
                if p.desired > self.desired {
                    outs.push(p);
                } else {
                    if tt_vote.is_some() {
                        tt_in_names.push(p.name);
                    }
                    ins.push(p);
                }
            }
        }
        if !tt_in_unanimous {
            for name in &tt_in_names {
                held.push((name.to_string(), Held::ScaleInNotUnanimous));
            }
            ins.retain(|p| !tt_in_names.contains(&p.name));
        }
        // Largest capacity wins; on ties the first policy given.
        let chosen = best(&outs).or_else(|| best(&ins));
        let mut decision = Decision {
            desired_before: self.desired,
            desired_after: self.desired,
            held,
            ..Decision::default()
        };
        if let Some(p) = chosen {
            self.set_desired(t, p.desired, &mut decision);
            decision.policy = Some(p.name.to_string());
            if let Some(cooldown) = p.simple {
                let outstanding: Vec<InstanceId> = decision
                    .launch
                    .iter()
                    .chain(&decision.terminate)
                    .copied()
                    .collect();
                if outstanding.is_empty() {
                    self.cooldown_until = t.saturating_add(cooldown);
                } else {
                    self.simple_activity = Some(SimpleActivity {
                        cooldown,
                        outstanding,
                    });
                }
            }
        }
        decision
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
    fn set_desired(&mut self, t: Nanos, desired: u32, decision: &mut Decision) {
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
