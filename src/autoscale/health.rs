//! ELB / ALB target-group health checks (reference §3.8): each registered target is
//! checked every `interval`; a check sent at `s` succeeds at `s + response time` if the
//! target answers within `timeout`, and fails at `s + timeout` otherwise. The result
//! lasts the whole interval; the next check is sent at `s + interval` whatever the
//! response time.
//!
//! * A new target is `Initial` and takes no traffic until it passes its initial checks:
//!   one check by default (§3.8: "must pass one health check to be considered healthy"),
//!   or `HealthyThresholdCount` consecutive checks with [`InitialRule::HealthyThreshold`].
//! * A `Healthy` target that stops answering keeps receiving traffic until
//!   `UnhealthyThresholdCount` consecutive checks have failed; an `Unhealthy` one returns
//!   after `HealthyThresholdCount` consecutive successes.
//! * Fail-open: with no healthy target and some unhealthy ones, the balancer routes to
//!   every unhealthy target.
//! * Deregistration: a `Draining` target takes no new requests and leaves after the
//!   deregistration delay (300 s by default).

use crate::error::FieldError;
use crate::time::{NANOS_PER_MILLI, NANOS_PER_SEC, Nanos};

pub type TargetId = u64;

/// How many passed checks take a new target from `Initial` to `Healthy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InitialRule {
    /// One passed check (the ALB user guide; the default).
    #[default]
    OneCheck,
    /// `HealthyThresholdCount` consecutive passed checks (how the threshold is often read;
    /// offered for comparison).
    HealthyThreshold,
}

/// Target-group health-check settings. Defaults: the ALB defaults for instance and IP
/// targets (§3.8).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheckConfig {
    /// `HealthCheckIntervalSeconds` (30 s; 5–300 s).
    pub interval: Nanos,
    /// `HealthCheckTimeoutSeconds` (5 s; 2–120 s; less than the interval).
    pub timeout: Nanos,
    /// `HealthyThresholdCount` (5; 2–10).
    pub healthy_threshold: u32,
    /// `UnhealthyThresholdCount` (2; 2–10).
    pub unhealthy_threshold: u32,
    pub initial_rule: InitialRule,
    /// Delay from registration to the first check (default: one interval, the latest a
    /// first check can come).
    pub first_check_delay: Nanos,
    /// Deregistration delay (300 s; 0–3600 s).
    pub deregistration_delay: Nanos,
}

impl Default for HealthCheckConfig {
    fn default() -> Self {
        HealthCheckConfig {
            interval: 30 * NANOS_PER_SEC,
            timeout: 5 * NANOS_PER_SEC,
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            initial_rule: InitialRule::OneCheck,
            first_check_delay: 30 * NANOS_PER_SEC,
            deregistration_delay: 300 * NANOS_PER_SEC,
        }
    }
}

impl HealthCheckConfig {
    /// Checks the ALB ranges of §3.8.
    pub fn validate(&self) -> Result<(), FieldError> {
        let secs = |n: Nanos| n as f64 / NANOS_PER_SEC as f64;
        if !(5 * NANOS_PER_SEC..=300 * NANOS_PER_SEC).contains(&self.interval) {
            return Err(FieldError::new(
                "HealthCheckIntervalSeconds",
                format!("{} s is outside 5–300 s", secs(self.interval)),
            ));
        }
        if !(2 * NANOS_PER_SEC..=120 * NANOS_PER_SEC).contains(&self.timeout) {
            return Err(FieldError::new(
                "HealthCheckTimeoutSeconds",
                format!("{} s is outside 2–120 s", secs(self.timeout)),
            ));
        }
        if self.timeout >= self.interval {
            return Err(FieldError::new(
                "HealthCheckTimeoutSeconds",
                "the timeout must be shorter than the interval",
            ));
        }
        for (name, v) in [
            ("HealthyThresholdCount", self.healthy_threshold),
            ("UnhealthyThresholdCount", self.unhealthy_threshold),
        ] {
            if !(2..=10).contains(&v) {
                return Err(FieldError::new(name, format!("{v} is outside 2–10")));
            }
        }
        if self.deregistration_delay > 3600 * NANOS_PER_SEC {
            return Err(FieldError::new(
                "deregistration_delay.timeout_seconds",
                "the deregistration delay is at most 3600 s",
            ));
        }
        Ok(())
    }
}

/// A target's health state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetHealth {
    Initial,
    Healthy,
    Unhealthy,
    Draining,
}

#[derive(Debug, Clone, PartialEq)]
struct Target {
    id: TargetId,
    health: TargetHealth,
    /// Whether the target answers health checks, and how fast.
    responding: bool,
    response_time: Nanos,
    next_send: Nanos,
    /// (result time, passed) of the check in flight.
    in_flight: Option<(Nanos, bool)>,
    consecutive_ok: u32,
    consecutive_fail: u32,
    drained_at: Option<Nanos>,
}

/// A change of a target's health, at the time the check result came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthChange {
    pub time: Nanos,
    pub target: TargetId,
    pub from: TargetHealth,
    pub to: TargetHealth,
}

/// The health of every target of one target group.
#[derive(Debug, Clone)]
pub struct TargetGroupHealth {
    config: HealthCheckConfig,
    targets: Vec<Target>,
    now: Nanos,
}

impl TargetGroupHealth {
    pub fn new(config: HealthCheckConfig) -> Self {
        TargetGroupHealth {
            config,
            targets: Vec::new(),
            now: 0,
        }
    }

    pub fn config(&self) -> &HealthCheckConfig {
        &self.config
    }

    /// Registers `id` at `t`; its first check goes out after `first_check_delay`. The
    /// target answers checks in 1 ms until told otherwise.
    pub fn register(&mut self, id: TargetId, t: Nanos) -> Vec<HealthChange> {
        let delay = self.config.first_check_delay;
        self.register_with_delay(id, t, delay)
    }

    /// Registers `id` at `t` as already healthy (a target that was in service before the
    /// simulated test began); its next check goes out after `first_check_delay`.
    pub fn register_healthy(&mut self, id: TargetId, t: Nanos) -> Vec<HealthChange> {
        let changes = self.register(id, t);
        if let Some(x) = self.targets.iter_mut().find(|x| x.id == id) {
            x.health = TargetHealth::Healthy;
        }
        changes
    }

    /// Registers `id` at `t` with its own delay to the first check (a random phase).
    pub fn register_with_delay(
        &mut self,
        id: TargetId,
        t: Nanos,
        delay: Nanos,
    ) -> Vec<HealthChange> {
        let changes = self.advance(t);
        self.targets.retain(|x| x.id != id);
        self.targets.push(Target {
            id,
            health: TargetHealth::Initial,
            responding: true,
            response_time: NANOS_PER_MILLI,
            next_send: t.saturating_add(delay),
            in_flight: None,
            consecutive_ok: 0,
            consecutive_fail: 0,
            drained_at: None,
        });
        changes
    }

    /// From `t` on, `id` answers checks in `response_time` (a time at or past the timeout
    /// counts as a failure), or not at all when `responding` is false (a killed target).
    pub fn set_responding(
        &mut self,
        id: TargetId,
        t: Nanos,
        responding: bool,
        response_time: Nanos,
    ) -> Vec<HealthChange> {
        let changes = self.advance(t);
        if let Some(x) = self.targets.iter_mut().find(|x| x.id == id) {
            x.responding = responding;
            x.response_time = response_time;
        }
        changes
    }

    /// Starts deregistering `id` at `t`: no new requests; it leaves at `t +
    /// deregistration delay` (returned), or earlier via [`Self::remove`] when it has no
    /// requests in flight.
    pub fn deregister(&mut self, id: TargetId, t: Nanos) -> Option<Nanos> {
        self.advance(t);
        let delay = self.config.deregistration_delay;
        let x = self.targets.iter_mut().find(|x| x.id == id)?;
        x.health = TargetHealth::Draining;
        x.in_flight = None;
        let at = t.saturating_add(delay);
        x.drained_at = Some(at);
        Some(at)
    }

    /// Removes `id` from the group.
    pub fn remove(&mut self, id: TargetId) {
        self.targets.retain(|x| x.id != id);
    }

    pub fn health(&self, id: TargetId) -> Option<TargetHealth> {
        self.targets.iter().find(|x| x.id == id).map(|x| x.health)
    }

    /// The next time something happens (a check is sent or a result comes in).
    pub fn next_event(&self) -> Option<Nanos> {
        self.targets
            .iter()
            .filter(|x| x.health != TargetHealth::Draining)
            .map(|x| {
                x.in_flight
                    .map_or(x.next_send, |(at, _)| at.min(x.next_send))
            })
            .min()
    }

    /// Runs every check send and result up to and including `t`, in time order per
    /// target; returns the health changes in time order.
    pub fn advance(&mut self, t: Nanos) -> Vec<HealthChange> {
        let cfg = self.config.clone();
        let mut changes = Vec::new();
        for x in self.targets.iter_mut() {
            if x.health == TargetHealth::Draining {
                continue;
            }
            loop {
                let result_due = x.in_flight.map(|(at, _)| at);
                match result_due {
                    Some(at) if at <= t && at <= x.next_send => {
                        let (_, passed) = x.in_flight.take().unwrap_or((at, false));
                        if let Some(c) = apply_result(&cfg, x, at, passed) {
                            changes.push(c);
                        }
                    }
                    _ if x.next_send <= t => {
                        let s = x.next_send;
                        let passed = x.responding && x.response_time < cfg.timeout;
                        let at = if passed {
                            s + x.response_time
                        } else {
                            s + cfg.timeout
                        };
                        x.in_flight = Some((at, passed));
                        x.next_send = s + cfg.interval;
                    }
                    _ => break,
                }
            }
        }
        self.now = self.now.max(t);
        changes.sort_by_key(|c| (c.time, c.target));
        changes
    }

    /// The targets the balancer may send new requests to (after [`Self::advance`]):
    /// the healthy ones; with none healthy, every unhealthy one (fail-open).
    pub fn routable(&self) -> Vec<TargetId> {
        let healthy: Vec<TargetId> = self
            .targets
            .iter()
            .filter(|x| x.health == TargetHealth::Healthy)
            .map(|x| x.id)
            .collect();
        if !healthy.is_empty() {
            return healthy;
        }
        self.targets
            .iter()
            .filter(|x| x.health == TargetHealth::Unhealthy)
            .map(|x| x.id)
            .collect()
    }

    /// Whether the group is failing open (no healthy target, some unhealthy).
    pub fn failing_open(&self) -> bool {
        !self
            .targets
            .iter()
            .any(|x| x.health == TargetHealth::Healthy)
            && self
                .targets
                .iter()
                .any(|x| x.health == TargetHealth::Unhealthy)
    }
}

fn apply_result(
    cfg: &HealthCheckConfig,
    x: &mut Target,
    at: Nanos,
    passed: bool,
) -> Option<HealthChange> {
    if passed {
        x.consecutive_ok += 1;
        x.consecutive_fail = 0;
    } else {
        x.consecutive_fail += 1;
        x.consecutive_ok = 0;
    }
    let from = x.health;
    let to = match from {
        TargetHealth::Initial if passed => {
            let needed = match cfg.initial_rule {
                InitialRule::OneCheck => 1,
                InitialRule::HealthyThreshold => cfg.healthy_threshold,
            };
            if x.consecutive_ok >= needed {
                TargetHealth::Healthy
            } else {
                from
            }
        }
        TargetHealth::Initial | TargetHealth::Healthy
            if !passed && x.consecutive_fail >= cfg.unhealthy_threshold =>
        {
            TargetHealth::Unhealthy
        }
        TargetHealth::Unhealthy if passed && x.consecutive_ok >= cfg.healthy_threshold => {
            TargetHealth::Healthy
        }
        _ => from,
    };
    (to != from).then(|| {
        x.health = to;
        HealthChange {
            time: at,
            target: x.id,
            from,
            to,
        }
    })
}
