//! Scaling an experiment's load along its own profile: one factor multiplies the VUs of
//! closed scenarios (every stage target, `vus`, `startVUs`; the iterations of
//! shared-iterations with them) and the rates of open (arrival-rate) scenarios (every
//! stage target, with their VU pools `preAllocatedVUs`/`maxVUs`), all stages together,
//! so the shape of the test stays the plan's. Used by `capsim capacity`.

use crate::model::experiment::Experiment;
use crate::time::Nanos;
use crate::workload::executor::{Executor, MAX_VUS, Scenario, Stage};

/// How much finer than the written rate unit a scaled integer rate is kept: rates are
/// whole iterations per `timeUnit`, so a rate of 5/s scaled by 1.13 is written as 5650 per
/// 1000 s (the same spacing of arrivals) rather than rounded to 6/s.
const RATE_GRAIN: u64 = 1000;

fn vus(v: u64, f: f64) -> u64 {
    ((v as f64 * f).round() as u64).min(MAX_VUS)
}

fn pool(v: u64, f: f64) -> u64 {
    ((v as f64 * f.max(1.0)).ceil() as u64).clamp(1, MAX_VUS)
}

/// `(rates scaled, time unit)`: integer rates per a finer time unit when rounding would
/// change them by more than 0.1 %.
fn rates(rs: &[u64], unit: Nanos, f: f64) -> (Vec<u64>, Nanos) {
    let smallest = rs.iter().copied().filter(|&r| r > 0).min().unwrap_or(1);
    let grain = if (smallest as f64 * f) >= RATE_GRAIN as f64 || unit > Nanos::MAX / RATE_GRAIN {
        1
    } else {
        RATE_GRAIN
    };
    let out = rs
        .iter()
        .map(|&r| (r as f64 * f * grain as f64).round() as u64)
        .collect();
    (out, unit.saturating_mul(grain))
}

fn stages_with(stages: &[Stage], targets: &[u64]) -> Vec<Stage> {
    stages
        .iter()
        .zip(targets)
        .map(|(s, &t)| Stage {
            duration: s.duration,
            target: t,
        })
        .collect()
}

/// The executor with its load multiplied by `f` (> 0).
pub fn scale_executor(e: &Executor, f: f64) -> Executor {
    match e {
        Executor::SharedIterations {
            vus: v,
            iterations,
            max_duration,
        } => Executor::SharedIterations {
            vus: vus(*v, f).max(1),
            iterations: ((*iterations as f64 * f).round() as u64).max(1),
            max_duration: *max_duration,
        },
        Executor::PerVuIterations {
            vus: v,
            iterations,
            max_duration,
        } => Executor::PerVuIterations {
            vus: vus(*v, f).max(1),
            iterations: *iterations,
            max_duration: *max_duration,
        },
        Executor::ConstantVus { vus: v, duration } => Executor::ConstantVus {
            vus: vus(*v, f).max(1),
            duration: *duration,
        },
        Executor::RampingVus {
            start_vus,
            stages,
            graceful_ramp_down,
        } => {
            let targets: Vec<u64> = stages.iter().map(|s| vus(s.target, f)).collect();
            Executor::RampingVus {
                start_vus: vus(*start_vus, f),
                stages: stages_with(stages, &targets),
                graceful_ramp_down: *graceful_ramp_down,
            }
        }
        Executor::ConstantArrivalRate {
            rate,
            time_unit,
            duration,
            pre_allocated_vus,
            max_vus,
        } => {
            let (r, unit) = rates(&[*rate], *time_unit, f);
            Executor::ConstantArrivalRate {
                rate: r[0].max(1),
                time_unit: unit,
                duration: *duration,
                pre_allocated_vus: pool(*pre_allocated_vus, f),
                max_vus: pool(*max_vus, f).max(pool(*pre_allocated_vus, f)),
            }
        }
        Executor::RampingArrivalRate {
            start_rate,
            time_unit,
            stages,
            pre_allocated_vus,
            max_vus,
        } => {
            let mut all = vec![*start_rate];
            all.extend(stages.iter().map(|s| s.target));
            let (r, unit) = rates(&all, *time_unit, f);
            Executor::RampingArrivalRate {
                start_rate: r[0],
                time_unit: unit,
                stages: stages_with(stages, &r[1..]),
                pre_allocated_vus: pool(*pre_allocated_vus, f),
                max_vus: pool(*max_vus, f).max(pool(*pre_allocated_vus, f)),
            }
        }
        Executor::PoissonArrivalRate {
            rate,
            time_unit,
            duration,
            pre_allocated_vus,
            max_vus,
        } => Executor::PoissonArrivalRate {
            rate: rate * f,
            time_unit: *time_unit,
            duration: *duration,
            pre_allocated_vus: pool(*pre_allocated_vus, f),
            max_vus: pool(*max_vus, f).max(pool(*pre_allocated_vus, f)),
        },
    }
}

/// The experiment with every scenario's load multiplied by `f`; durations, flows, the
/// model and the seed are unchanged (common random numbers across factors).
pub fn scale_load(exp: &Experiment, f: f64) -> Experiment {
    let mut out = exp.clone();
    for s in &mut out.scenarios {
        s.scenario.executor = scale_executor(&s.scenario.executor, f);
    }
    out
}

/// The load an experiment offers at its peak: VUs of its closed scenarios (summed over
/// scenarios) and iterations per second of its open ones.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Load {
    pub closed_vus: u64,
    pub open_rate_per_s: f64,
}

fn peak_rate(s: &Scenario) -> f64 {
    let per_s = |r: f64, unit: Nanos| {
        if unit == 0 {
            0.0
        } else {
            r * 1e9 / unit as f64
        }
    };
    match &s.executor {
        Executor::ConstantArrivalRate {
            rate, time_unit, ..
        } => per_s(*rate as f64, *time_unit),
        Executor::RampingArrivalRate {
            start_rate,
            time_unit,
            stages,
            ..
        } => per_s(
            stages.iter().map(|s| s.target).fold(*start_rate, u64::max) as f64,
            *time_unit,
        ),
        Executor::PoissonArrivalRate {
            rate, time_unit, ..
        } => per_s(*rate, *time_unit),
        _ => 0.0,
    }
}

/// The experiment's peak load.
pub fn load_of(exp: &Experiment) -> Load {
    let closed: Vec<Scenario> = exp
        .scenarios
        .iter()
        .filter(|s| !s.scenario.executor.is_arrival_rate())
        .map(|s| s.scenario.clone())
        .collect();
    Load {
        closed_vus: crate::workload::executor::plan_max_vus(&closed),
        open_rate_per_s: exp.scenarios.iter().map(|s| peak_rate(&s.scenario)).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC;

    #[test]
    fn closed_and_open_loads_scale_by_the_factor() {
        let ramp = Executor::RampingVus {
            start_vus: 10,
            stages: vec![
                Stage {
                    duration: NANOS_PER_SEC,
                    target: 100,
                },
                Stage {
                    duration: NANOS_PER_SEC,
                    target: 0,
                },
            ],
            graceful_ramp_down: 0,
        };
        let Executor::RampingVus {
            start_vus, stages, ..
        } = scale_executor(&ramp, 1.5)
        else {
            panic!()
        };
        assert_eq!(
            (start_vus, stages[0].target, stages[1].target),
            (15, 150, 0)
        );
        // 7 per second scaled by 1.13 is 7.91/s: kept as 7910 per 1000 s.
        let open = Executor::ConstantArrivalRate {
            rate: 7,
            time_unit: NANOS_PER_SEC,
            duration: NANOS_PER_SEC,
            pre_allocated_vus: 10,
            max_vus: 20,
        };
        let Executor::ConstantArrivalRate {
            rate,
            time_unit,
            pre_allocated_vus,
            max_vus,
            ..
        } = scale_executor(&open, 1.13)
        else {
            panic!()
        };
        assert_eq!((rate, time_unit), (7910, 1000 * NANOS_PER_SEC));
        assert_eq!((pre_allocated_vus, max_vus), (12, 23));
        // Scaling down keeps the VU pool as written.
        let Executor::ConstantArrivalRate {
            rate,
            time_unit,
            max_vus,
            ..
        } = scale_executor(&open, 0.5)
        else {
            panic!()
        };
        assert_eq!((rate, time_unit, max_vus), (3500, 1000 * NANOS_PER_SEC, 20));
    }
}
