//! The time windows reported apart from the whole test: each stage of each scenario's
//! profile, each fault's window, and the steady state after the warm-up (`warmup: 2m` or
//! `warmup: auto`, MSER-5).

use crate::error::FieldError;
use crate::model::threshold::Threshold;
use crate::time::{Nanos, format_duration, parse_duration};
use crate::workload::executor::{Executor, Scenario};

/// The experiment's warm-up: excluded from the steady-state section (never from the
/// whole-test view, which is what k6 reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Warmup {
    /// No steady-state section.
    #[default]
    None,
    /// A fixed warm-up from the test start.
    Fixed(Nanos),
    /// Chosen per replication by MSER-5 on the series of completed-request latency.
    Auto,
}

/// One stage of one scenario's profile, in test time.
#[derive(Debug, Clone, PartialEq)]
pub struct StageWindow {
    /// Index into the experiment's scenarios.
    pub scenario: usize,
    /// Position in the scenario's `stages:` (0-based); 0 for the constant executors.
    pub stage: usize,
    pub start: Nanos,
    pub end: Nanos,
    /// The stage's target (VUs or iterations per timeUnit), for ramping executors.
    pub target: Option<u64>,
}

/// The stages of every scenario, scenario by scenario: each `stages:` entry of the
/// ramping executors, one stage (the regular duration) for the others.
pub fn stage_windows(scenarios: &[Scenario]) -> Vec<StageWindow> {
    let mut out = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        match &s.executor {
            Executor::RampingVus { stages, .. } | Executor::RampingArrivalRate { stages, .. } => {
                let mut at = s.start_time;
                for (k, st) in stages.iter().enumerate() {
                    let end = at.saturating_add(st.duration);
                    out.push(StageWindow {
                        scenario: i,
                        stage: k,
                        start: at,
                        end,
                        target: Some(st.target),
                    });
                    at = end;
                }
            }
            _ => out.push(StageWindow {
                scenario: i,
                stage: 0,
                start: s.start_time,
                end: s.start_time.saturating_add(s.regular_duration()),
                target: None,
            }),
        }
    }
    out
}

/// Reads `warmup:` (`2m`, `30s`, `auto`); `end` is the test's planned length. A fixed
/// warm-up of half the test or more leaves too little steady state to measure: an error
/// that says how long the test must be.
pub fn build_warmup(text: Option<&str>, end: Nanos) -> Result<Warmup, FieldError> {
    let Some(text) = text.map(str::trim) else {
        return Ok(Warmup::None);
    };
    if text == "auto" {
        return Ok(Warmup::Auto);
    }
    let w = parse_duration(text).map_err(|e| {
        FieldError::new(
            "warmup",
            format!("{e}; write a duration such as `2m`, or `auto` for MSER-5"),
        )
    })?;
    if w == 0 {
        return Ok(Warmup::None);
    }
    if w.saturating_mul(2) >= end {
        return Err(FieldError::new(
            "warmup",
            format!(
                "a warm-up of {} is at least half of the test ({}): too little steady state is left; \
                 make the test longer than {} or the warm-up shorter than {}",
                format_duration(w),
                format_duration(end),
                format_duration(w.saturating_mul(2)),
                format_duration(end / 2)
            ),
        ));
    }
    Ok(Warmup::Fixed(w))
}

/// A threshold that names a stage (`{stage:N}`) refers to the experiment's only
/// scenario, and N must be one of its stages.
pub fn check_stage_thresholds(
    thresholds: &[Threshold],
    scenarios: &[Scenario],
) -> Result<(), FieldError> {
    for t in thresholds {
        let Some(n) = t.stage else { continue };
        let place = format!("thresholds.{}", t.key);
        if scenarios.len() != 1 {
            return Err(FieldError::new(
                place,
                format!(
                    "`{{stage:{n}}}` needs exactly one scenario, and the experiment has {}; \
                     keep one scenario or remove the stage filter",
                    scenarios.len()
                ),
            ));
        }
        let count = stage_windows(scenarios).len();
        if n >= count {
            return Err(FieldError::new(
                place,
                format!(
                    "stage {n} does not exist: stages count from 0, in the order of `stages:`, \
                     and scenario `{}` has {count} (0 to {})",
                    scenarios[0].name,
                    count - 1
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC as S;
    use crate::workload::executor::Stage;

    fn ramp(start: Nanos) -> Scenario {
        Scenario {
            name: "ramp".into(),
            start_time: start,
            graceful_stop: 30 * S,
            exec: "default".into(),
            executor: Executor::RampingVus {
                start_vus: 0,
                stages: vec![
                    Stage {
                        duration: 60 * S,
                        target: 10,
                    },
                    Stage {
                        duration: 120 * S,
                        target: 10,
                    },
                ],
                graceful_ramp_down: 30 * S,
            },
        }
    }

    #[test]
    fn stages_follow_the_profile_from_the_scenario_start() {
        let w = stage_windows(&[ramp(5 * S)]);
        assert_eq!(w.len(), 2);
        assert_eq!(
            (w[0].start, w[0].end, w[0].target),
            (5 * S, 65 * S, Some(10))
        );
        assert_eq!((w[1].start, w[1].end, w[1].stage), (65 * S, 185 * S, 1));
    }

    #[test]
    fn warmup_reads_durations_and_auto_and_refuses_half_the_test() {
        assert_eq!(build_warmup(None, 100 * S).unwrap(), Warmup::None);
        assert_eq!(build_warmup(Some("auto"), 100 * S).unwrap(), Warmup::Auto);
        assert_eq!(
            build_warmup(Some("20s"), 100 * S).unwrap(),
            Warmup::Fixed(20 * S)
        );
        let e = build_warmup(Some("50s"), 100 * S).unwrap_err().to_string();
        assert!(e.contains("half") && e.contains("1m40s"), "{e}");
        assert!(build_warmup(Some("soon"), 100 * S).is_err());
    }
}
