//! Validated k6 executor configurations, with k6 defaults applied.
//!
//! A [`Scenario`] is what `ScenarioSpec::validate` (in the sibling `validate` module)
//! produces: every default of k6 v1.8.1 filled in (reference section 4.3/4.4), every
//! duration in integer nanoseconds, every size checked against sane limits. The schedule
//! maths that turns an executor into VU steps or iteration start times lives in
//! [`crate::workload::schedule`].

use crate::time::{NANOS_PER_SEC, Nanos};

/// The most VUs one scenario may ask for (hostile-input guard; k6 itself has no limit).
pub const MAX_VUS: u64 = 10_000_000;
/// The most iterations one scenario may plan (hostile-input guard).
pub const MAX_ITERATIONS: u64 = 1_000_000_000_000;
/// The longest regular duration a scenario may have: 10^18 ns, about 31.7 years.
pub const MAX_SPAN: Nanos = 1_000_000_000_000_000_000;
/// k6 `minDuration`: the smallest `duration` or `maxDuration`.
pub const MIN_DURATION: Nanos = NANOS_PER_SEC;
/// k6 `DefaultGracefulStopValue`.
pub const DEFAULT_GRACEFUL_STOP: Nanos = 30 * NANOS_PER_SEC;
/// Default `gracefulRampDown` of ramping-vus.
pub const DEFAULT_GRACEFUL_RAMP_DOWN: Nanos = 30 * NANOS_PER_SEC;
/// Default `maxDuration` of the iteration-based executors (10m).
pub const DEFAULT_MAX_DURATION: Nanos = 600 * NANOS_PER_SEC;
/// Default `timeUnit` of the arrival-rate executors (1s).
pub const DEFAULT_TIME_UNIT: Nanos = NANOS_PER_SEC;

/// One stage of ramping-vus (target = VUs) or ramping-arrival-rate (target = iterations
/// per `timeUnit`). The value moves linearly from the previous target to `target` over
/// `duration`; a zero duration is an instant jump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage {
    pub duration: Nanos,
    pub target: u64,
}

/// A validated k6 scenario: common fields plus the executor.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Scenario name, matching `^[0-9a-zA-Z_-]+$`; every sample gets the tag `scenario:<name>`.
    pub name: String,
    /// Offset from test start (k6 `startTime`, default 0).
    pub start_time: Nanos,
    /// How long in-flight iterations may continue after the regular duration (default 30s).
    pub graceful_stop: Nanos,
    /// The exported function (k6 `exec`, default `"default"`).
    pub exec: String,
    pub executor: Executor,
}

/// The executor of a scenario, with k6 defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub enum Executor {
    /// `shared-iterations`: `vus` VUs share `iterations` iterations, until `max_duration`.
    SharedIterations {
        vus: u64,
        iterations: u64,
        max_duration: Nanos,
    },
    /// `per-vu-iterations`: each of `vus` VUs runs `iterations` iterations, until `max_duration`.
    PerVuIterations {
        vus: u64,
        iterations: u64,
        max_duration: Nanos,
    },
    /// `constant-vus`: `vus` VUs loop back-to-back (closed model) for `duration`.
    ConstantVus { vus: u64, duration: Nanos },
    /// `ramping-vus`: a piecewise-linear VU count; see [`crate::workload::schedule::ramping_vus_steps`].
    RampingVus {
        start_vus: u64,
        stages: Vec<Stage>,
        graceful_ramp_down: Nanos,
    },
    /// `constant-arrival-rate`: `rate` iterations per `time_unit` for `duration` (open model).
    ConstantArrivalRate {
        rate: u64,
        time_unit: Nanos,
        duration: Nanos,
        pre_allocated_vus: u64,
        max_vus: u64,
    },
    /// `ramping-arrival-rate`: the rate (iterations per `time_unit`) moves linearly per stage.
    RampingArrivalRate {
        start_rate: u64,
        time_unit: Nanos,
        stages: Vec<Stage>,
        pre_allocated_vus: u64,
        max_vus: u64,
    },
    /// `poisson-arrival-rate`: **a capsim extension, not a k6 executor.** An open model whose
    /// iterations arrive as a Poisson process with mean `rate` per `time_unit` (exponential
    /// inter-arrival gaps) for `duration`; VU pool and dropping as constant-arrival-rate.
    /// Used for queueing-theory checks (M/M/c), where k6's evenly spaced ticks would be D/M/c.
    PoissonArrivalRate {
        rate: f64,
        time_unit: Nanos,
        duration: Nanos,
        pre_allocated_vus: u64,
        max_vus: u64,
    },
}

impl Executor {
    /// The executor's name as written in a scenario (`"ramping-vus"`).
    pub fn name(&self) -> &'static str {
        match self {
            Executor::SharedIterations { .. } => "shared-iterations",
            Executor::PerVuIterations { .. } => "per-vu-iterations",
            Executor::ConstantVus { .. } => "constant-vus",
            Executor::RampingVus { .. } => "ramping-vus",
            Executor::ConstantArrivalRate { .. } => "constant-arrival-rate",
            Executor::RampingArrivalRate { .. } => "ramping-arrival-rate",
            Executor::PoissonArrivalRate { .. } => "poisson-arrival-rate",
        }
    }

    /// When the scenario stops starting new iterations, relative to the scenario start
    /// (k6 `regDurationCtx`): `maxDuration`, `duration`, or the sum of the stage durations.
    pub fn regular_duration(&self) -> Nanos {
        match self {
            Executor::SharedIterations { max_duration, .. }
            | Executor::PerVuIterations { max_duration, .. } => *max_duration,
            Executor::ConstantVus { duration, .. }
            | Executor::ConstantArrivalRate { duration, .. }
            | Executor::PoissonArrivalRate { duration, .. } => *duration,
            Executor::RampingVus { stages, .. } | Executor::RampingArrivalRate { stages, .. } => {
                stages_duration(stages)
            }
        }
    }

    /// The most VUs the plan needs at once: `vus`, `max(startVUs, targets)` or `maxVUs`
    /// (the arrival-rate executors may initialize up to `maxVUs`).
    pub fn max_vus(&self) -> u64 {
        match self {
            Executor::SharedIterations { vus, .. }
            | Executor::PerVuIterations { vus, .. }
            | Executor::ConstantVus { vus, .. } => *vus,
            Executor::RampingVus {
                start_vus, stages, ..
            } => stages.iter().map(|s| s.target).fold(*start_vus, u64::max),
            Executor::ConstantArrivalRate { max_vus, .. }
            | Executor::RampingArrivalRate { max_vus, .. }
            | Executor::PoissonArrivalRate { max_vus, .. } => *max_vus,
        }
    }

    /// VUs initialized before the test starts: the plan's VUs, or `preAllocatedVUs` for the
    /// arrival-rate executors (the rest are initialized during the test, one at a time).
    pub fn planned_vus(&self) -> u64 {
        match self {
            Executor::ConstantArrivalRate {
                pre_allocated_vus, ..
            }
            | Executor::RampingArrivalRate {
                pre_allocated_vus, ..
            }
            | Executor::PoissonArrivalRate {
                pre_allocated_vus, ..
            } => *pre_allocated_vus,
            other => other.max_vus(),
        }
    }

    /// Whether iterations are started by a clock (open model) rather than by free VUs.
    pub fn is_arrival_rate(&self) -> bool {
        matches!(
            self,
            Executor::ConstantArrivalRate { .. }
                | Executor::RampingArrivalRate { .. }
                | Executor::PoissonArrivalRate { .. }
        )
    }
}

/// Sum of the stage durations (saturating; validation keeps it at most [`MAX_SPAN`]).
pub fn stages_duration(stages: &[Stage]) -> Nanos {
    stages
        .iter()
        .fold(0, |acc: Nanos, s| acc.saturating_add(s.duration))
}

impl Scenario {
    /// When no new iterations start, relative to the scenario start.
    pub fn regular_duration(&self) -> Nanos {
        self.executor.regular_duration()
    }

    /// The hard end relative to the scenario start (k6 `maxDurationCtx`): regular duration
    /// plus `gracefulStop`. In-flight iterations are interrupted then.
    pub fn end_offset(&self) -> Nanos {
        self.regular_duration().saturating_add(self.graceful_stop)
    }

    /// The hard end relative to the test start: `startTime + end_offset()`.
    pub fn total_end(&self) -> Nanos {
        self.start_time.saturating_add(self.end_offset())
    }

    /// The most VUs the plan needs at once (see [`Executor::max_vus`]).
    pub fn max_vus(&self) -> u64 {
        self.executor.max_vus()
    }
}

/// The end of the whole plan, like k6's `totalDuration` from
/// `k6 inspect --execution-requirements`: the latest [`Scenario::total_end`].
pub fn plan_total_duration(scenarios: &[Scenario]) -> Nanos {
    scenarios.iter().map(Scenario::total_end).max().unwrap_or(0)
}

/// The most VUs the plan needs at once across scenarios, like k6's `maxVUs` from
/// `k6 inspect --execution-requirements` (`GetMaxPlannedVUs`): each scenario holds
/// [`Scenario::max_vus`] over `[startTime, total_end)`, and overlapping scenarios add up.
/// k6 lets a ramping-vus plan shrink between its peaks; here it holds its peak for its
/// whole span, so for such plans this is an upper bound of k6's number.
pub fn plan_max_vus(scenarios: &[Scenario]) -> u64 {
    // Sweep over interval ends; ends sort before starts at the same instant (half-open).
    let mut events: Vec<(Nanos, bool, u64)> = Vec::with_capacity(scenarios.len() * 2);
    for s in scenarios {
        let (start, end) = (s.start_time, s.total_end());
        if end > start {
            events.push((start, true, s.max_vus()));
            events.push((end, false, s.max_vus()));
        }
    }
    events.sort_by_key(|&(t, is_start, _)| (t, is_start));
    let (mut now, mut best) = (0u64, 0u64);
    for (_, is_start, vus) in events {
        if is_start {
            now = now.saturating_add(vus);
            best = best.max(now);
        } else {
            now = now.saturating_sub(vus);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Nanos = NANOS_PER_SEC;

    fn scenario(start_time: Nanos, graceful_stop: Nanos, executor: Executor) -> Scenario {
        Scenario {
            name: "x".into(),
            start_time,
            graceful_stop,
            exec: "default".into(),
            executor,
        }
    }

    #[test]
    fn durations_and_ends() {
        let s = scenario(
            5 * S,
            30 * S,
            Executor::PerVuIterations {
                vus: 2,
                iterations: 3,
                max_duration: 600 * S,
            },
        );
        assert_eq!(s.regular_duration(), 600 * S);
        assert_eq!(s.end_offset(), 630 * S);
        assert_eq!(s.total_end(), 635 * S);
        assert_eq!(s.max_vus(), 2);

        let r = scenario(
            0,
            10 * S,
            Executor::RampingVus {
                start_vus: 3,
                stages: vec![
                    Stage {
                        duration: 30 * S,
                        target: 10,
                    },
                    Stage {
                        duration: 10 * S,
                        target: 0,
                    },
                ],
                graceful_ramp_down: 5 * S,
            },
        );
        assert_eq!(r.regular_duration(), 40 * S);
        assert_eq!(r.end_offset(), 50 * S);
        assert_eq!(r.max_vus(), 10);
        assert_eq!(r.executor.planned_vus(), 10);
    }

    #[test]
    fn arrival_rate_vus_are_max_vus() {
        let e = Executor::ConstantArrivalRate {
            rate: 30,
            time_unit: S,
            duration: 60 * S,
            pre_allocated_vus: 5,
            max_vus: 20,
        };
        assert_eq!(e.max_vus(), 20);
        assert_eq!(e.planned_vus(), 5);
        assert!(e.is_arrival_rate());
        assert_eq!(e.name(), "constant-arrival-rate");
    }

    #[test]
    fn plan_max_vus_adds_only_overlapping_scenarios() {
        let a = scenario(
            0,
            0,
            Executor::ConstantVus {
                vus: 5,
                duration: 10 * S,
            },
        );
        let b = scenario(
            10 * S,
            0,
            Executor::ConstantVus {
                vus: 7,
                duration: 10 * S,
            },
        );
        let c = scenario(
            5 * S,
            0,
            Executor::ConstantVus {
                vus: 1,
                duration: 10 * S,
            },
        );
        // a and b touch at 10s but do not overlap; c overlaps both.
        assert_eq!(plan_max_vus(&[a.clone(), b.clone()]), 7);
        assert_eq!(plan_max_vus(&[a.clone(), b.clone(), c]), 8);
        assert_eq!(plan_total_duration(&[a, b]), 20 * S);
    }
}
