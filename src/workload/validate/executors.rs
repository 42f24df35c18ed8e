//! Per-executor validation: each k6 executor's defaults (k6 v1.8.1) and the limits capsim
//! puts on durations, VUs, rates, stages and planned iterations.

use super::err;
use crate::error::{FieldError, join_path};
use crate::spec::scenario::ScenarioSpec;
use crate::time::{Duration, Nanos, format_duration};
use crate::workload::executor::{
    DEFAULT_GRACEFUL_RAMP_DOWN, DEFAULT_MAX_DURATION, DEFAULT_TIME_UNIT, Executor, MAX_ITERATIONS,
    MAX_SPAN, MAX_VUS, MIN_DURATION, Stage,
};

fn fmt_d(ns: Nanos) -> String {
    format_duration(ns)
}

/// A duration that must be at least k6's `minDuration` (1s).
fn min_duration(path: &str, value: Nanos, executor: &str) -> Result<Nanos, FieldError> {
    if value < MIN_DURATION {
        return Err(err(
            path,
            format!(
                "{path} of {executor} must be at least 1s (k6 minDuration), got {}",
                fmt_d(value)
            ),
        ));
    }
    Ok(value)
}

fn vus_limit(path: &str, value: u64) -> Result<u64, FieldError> {
    if value > MAX_VUS {
        return Err(err(
            path,
            format!("{path} = {value} is more than capsim simulates; the most is {MAX_VUS} VUs"),
        ));
    }
    Ok(value)
}

/// A VU count that must be at least 1.
fn positive_vus(path: &str, value: u64, executor: &str) -> Result<u64, FieldError> {
    if value == 0 {
        return Err(err(
            path,
            format!("{executor} needs at least 1 VU; set {path} to 1 or more"),
        ));
    }
    vus_limit(path, value)
}

fn iterations_limit(path: &str, value: u64, what: &str) -> Result<u64, FieldError> {
    if value > MAX_ITERATIONS {
        return Err(err(
            path,
            format!("{what} ({value}) is more than capsim simulates; the most is 10^12 iterations"),
        ));
    }
    Ok(value)
}

fn time_unit(spec: &ScenarioSpec) -> Result<Nanos, FieldError> {
    let tu = spec.time_unit.map_or(DEFAULT_TIME_UNIT, Duration::nanos);
    if tu == 0 {
        return Err(err(
            "timeUnit",
            "timeUnit must be more than 0s, such as \"1s\" (the default) or \"1m\"",
        ));
    }
    Ok(tu)
}

/// `preAllocatedVUs` (required) and `maxVUs` (default: preAllocatedVUs, must not be smaller).
fn vu_pool(spec: &ScenarioSpec, executor: &str) -> Result<(u64, u64), FieldError> {
    let pre = spec.pre_allocated_vus.ok_or_else(|| {
        err(
            "preAllocatedVUs",
            format!(
                "{executor} needs preAllocatedVUs: the number of VUs (>= 0) initialized before \
                 the test; maxVUs defaults to it"
            ),
        )
    })?;
    let pre = vus_limit("preAllocatedVUs", pre)?;
    let max = spec.max_vus.unwrap_or(pre);
    if max < pre {
        return Err(err(
            "maxVUs",
            format!(
                "maxVUs ({max}) can't be less than preAllocatedVUs ({pre}); set maxVUs >= {pre} \
                 or leave it out to use preAllocatedVUs"
            ),
        ));
    }
    Ok((pre, vus_limit("maxVUs", max)?))
}

/// Validates the stages; `what` names the target ("VUs" or "iterations per timeUnit").
fn stages(spec: &ScenarioSpec, executor: &str, what: &str) -> Result<Vec<Stage>, FieldError> {
    let specs = match &spec.stages {
        Some(s) if !s.is_empty() => s,
        _ => {
            return Err(err(
                "stages",
                format!(
                    "{executor} needs at least one stage: stages: [{{duration: \"30s\", target: 10}}, …] \
                     (target in {what})"
                ),
            ));
        }
    };
    let mut out = Vec::with_capacity(specs.len());
    let mut total: Nanos = 0;
    for (i, s) in specs.iter().enumerate() {
        let path = format!("stages[{i}]");
        let duration = s.duration.ok_or_else(|| {
            err(
                &join_path(&path, "duration"),
                "each stage needs a duration, such as \"30s\" (\"0s\" jumps to the target at once)",
            )
        })?;
        let target = s.target.ok_or_else(|| {
            err(
                &join_path(&path, "target"),
                format!("each stage needs a target: a whole number >= 0 of {what}"),
            )
        })?;
        total = total.saturating_add(duration.nanos());
        if total > MAX_SPAN {
            return Err(err(
                &join_path(&path, "duration"),
                "the stages add up to more than 10^18 ns (about 31 years); shorten them",
            ));
        }
        out.push(Stage {
            duration: duration.nanos(),
            target,
        });
    }
    Ok(out)
}

pub(super) fn executor_config(spec: &ScenarioSpec, executor: &str) -> Result<Executor, FieldError> {
    match executor {
        "shared-iterations" | "per-vu-iterations" => {
            let vus = positive_vus("vus", spec.vus.unwrap_or(1), executor)?;
            let iterations = spec.iterations.unwrap_or(1);
            let max_duration = min_duration(
                "maxDuration",
                spec.max_duration
                    .map_or(DEFAULT_MAX_DURATION, Duration::nanos),
                executor,
            )?;
            if executor == "shared-iterations" {
                if iterations < vus {
                    return Err(err(
                        "iterations",
                        format!(
                            "iterations ({iterations}) can't be less than vus ({vus}) in \
                                 shared-iterations; set iterations >= {vus} or lower vus"
                        ),
                    ));
                }
                iterations_limit("iterations", iterations, "iterations")?;
                Ok(Executor::SharedIterations {
                    vus,
                    iterations,
                    max_duration,
                })
            } else {
                if iterations == 0 {
                    return Err(err(
                        "iterations",
                        "per-vu-iterations needs at least 1 iteration per VU; set iterations \
                             to 1 or more",
                    ));
                }
                let total = vus.saturating_mul(iterations);
                iterations_limit("iterations", total, "vus × iterations")?;
                Ok(Executor::PerVuIterations {
                    vus,
                    iterations,
                    max_duration,
                })
            }
        }
        "constant-vus" => {
            let vus = positive_vus("vus", spec.vus.unwrap_or(1), executor)?;
            let duration = spec.duration.ok_or_else(|| {
                err(
                    "duration",
                    "constant-vus needs a duration of at least 1s, such as \"30s\" or \"5m\"",
                )
            })?;
            let duration = min_duration("duration", duration.nanos(), executor)?;
            Ok(Executor::ConstantVus { vus, duration })
        }
        "ramping-vus" => {
            let start_vus = vus_limit("startVUs", spec.start_vus.unwrap_or(1))?;
            let stages = stages(spec, executor, "VUs")?;
            let mut from = start_vus;
            let mut changes: u64 = 0;
            for (i, s) in stages.iter().enumerate() {
                vus_limit(&format!("stages[{i}].target"), s.target)?;
                changes = changes.saturating_add(s.target.abs_diff(from));
                from = s.target;
            }
            if changes > MAX_VUS {
                return Err(err(
                    "stages",
                    format!(
                        "the stages start and stop {changes} VUs in total; capsim plans at \
                             most {MAX_VUS} VU changes per scenario"
                    ),
                ));
            }
            if start_vus == 0 && stages.iter().all(|s| s.target == 0) {
                return Err(err(
                    "stages",
                    "either startVUs or one of the stage targets must be more than 0",
                ));
            }
            Ok(Executor::RampingVus {
                start_vus,
                stages,
                graceful_ramp_down: spec
                    .graceful_ramp_down
                    .map_or(DEFAULT_GRACEFUL_RAMP_DOWN, Duration::nanos),
            })
        }
        "constant-arrival-rate" => {
            let rate = rate_field(spec, executor, true)?;
            let rate = rate as u64;
            let time_unit = time_unit(spec)?;
            if rate > time_unit {
                return Err(err(
                    "rate",
                    format!(
                        "rate {rate} per {} is more than one iteration per nanosecond; the \
                             most is {time_unit}",
                        fmt_d(time_unit)
                    ),
                ));
            }
            let duration = required_duration(spec, executor)?;
            let period = time_unit / rate;
            iterations_limit("rate", duration / period + 1, "rate × duration")?;
            let (pre_allocated_vus, max_vus) = vu_pool(spec, executor)?;
            Ok(Executor::ConstantArrivalRate {
                rate,
                time_unit,
                duration,
                pre_allocated_vus,
                max_vus,
            })
        }
        "ramping-arrival-rate" => {
            let start_rate = spec.start_rate.unwrap_or(0);
            let time_unit = time_unit(spec)?;
            let stages = stages(spec, executor, "iterations per timeUnit")?;
            // Planned iterations: the integral of the rate.
            let mut from = start_rate as f64;
            let mut total = 0.0;
            for s in &stages {
                let to = s.target as f64;
                total += s.duration as f64 * (from + to) / 2.0 / time_unit as f64;
                from = to;
            }
            if total > MAX_ITERATIONS as f64 {
                return Err(err(
                    "stages",
                    format!(
                        "the stages plan about {total:.3e} iterations; capsim simulates at \
                             most 10^12; lower the targets or shorten the stages"
                    ),
                ));
            }
            let (pre_allocated_vus, max_vus) = vu_pool(spec, executor)?;
            Ok(Executor::RampingArrivalRate {
                start_rate,
                time_unit,
                stages,
                pre_allocated_vus,
                max_vus,
            })
        }
        "poisson-arrival-rate" => {
            let rate = rate_field(spec, executor, false)?;
            let time_unit = time_unit(spec)?;
            let duration = required_duration(spec, executor)?;
            let expected = rate * duration as f64 / time_unit as f64;
            if expected > MAX_ITERATIONS as f64 {
                return Err(err(
                    "rate",
                    format!(
                        "rate × duration plans about {expected:.3e} iterations; capsim \
                             simulates at most 10^12"
                    ),
                ));
            }
            let (pre_allocated_vus, max_vus) = vu_pool(spec, executor)?;
            Ok(Executor::PoissonArrivalRate {
                rate,
                time_unit,
                duration,
                pre_allocated_vus,
                max_vus,
            })
        }
        other => unreachable!("executor {other} is checked against EXECUTORS"),
    }
}

fn rate_field(spec: &ScenarioSpec, executor: &str, whole: bool) -> Result<f64, FieldError> {
    let kind = if whole {
        "a whole number > 0"
    } else {
        "a number > 0"
    };
    let rate = spec.rate.ok_or_else(|| {
        err(
            "rate",
            format!("{executor} needs a rate: {kind} of iterations per timeUnit (default 1s)"),
        )
    })?;
    if !rate.is_finite() || rate <= 0.0 {
        return Err(err(
            "rate",
            format!("rate must be {kind} of iterations per timeUnit, got {rate}"),
        ));
    }
    if whole && rate.fract() != 0.0 {
        return Err(err(
            "rate",
            format!(
                "k6 takes a whole number of iterations per timeUnit, got {rate}; for a \
                     fractional rate scale timeUnit, e.g. 2.5/s is rate: 5, timeUnit: 2s"
            ),
        ));
    }
    Ok(rate)
}

fn required_duration(spec: &ScenarioSpec, executor: &str) -> Result<Nanos, FieldError> {
    let d = spec.duration.ok_or_else(|| {
        err(
            "duration",
            format!("{executor} needs a duration of at least 1s, such as \"30s\" or \"5m\""),
        )
    })?;
    min_duration("duration", d.nanos(), executor)
}
