//! One evaluation tick of an Auto Scaling group: each policy whose alarm is in ALARM
//! proposes a capacity (simple §3.2, step §3.3, target tracking §3.5), and the group
//! applies the largest.

use crate::autoscale::aws::alarm::AlarmState;
use crate::autoscale::aws::group::decision::{Decision, Held, PolicyInput};
use crate::autoscale::aws::group::instance::InstanceId;
use crate::autoscale::aws::group::state::{AutoScalingGroup, SimpleActivity};
use crate::autoscale::aws::policy::{apply_adjustment, clamp_capacity};
use crate::spec::aws::AdjustmentType;
use crate::time::Nanos;

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
                    apply_adjustment(
                        base,
                        policy.adjustment_type,
                        step.scaling_adjustment,
                        policy.min_adjustment_magnitude,
                    )
                };
                // Direction from the step's own sign (ExactCapacity: from the target).
                let out = match policy.adjustment_type {
                    AdjustmentType::ExactCapacity => step.scaling_adjustment > current as i64,
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
}
