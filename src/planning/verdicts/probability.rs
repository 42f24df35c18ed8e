//! How often a condition held across replications (P with its Wilson interval and the
//! verdict against the plan's level), and the small helpers every verdict uses.

use crate::planning::Ran;
use crate::planning::measures::Measures;
use crate::stats::interval::{Domain, Estimate, estimate_in, wilson_interval};
use serde::Serialize;

/// How often a condition held across replications, and what that says.
#[derive(Debug, Clone, Serialize)]
pub struct Probability {
    pub passes: usize,
    pub replications: usize,
    pub p: f64,
    /// 95% Wilson interval.
    pub ci95: [f64; 2],
    /// PASS, FAIL or UNCERTAIN against the plan's level.
    pub verdict: &'static str,
}

pub fn probability(held: &[bool], level: f64) -> Probability {
    let n = held.len();
    let k = held.iter().filter(|&&b| b).count();
    let (lo, hi) = wilson_interval(k as u64, n as u64, 0.95);
    let verdict = if n == 0 {
        "UNCERTAIN"
    } else if lo >= level {
        "PASS"
    } else if hi < level {
        "FAIL"
    } else {
        "UNCERTAIN"
    };
    Probability {
        passes: k,
        replications: n,
        p: if n > 0 { k as f64 / n as f64 } else { f64::NAN },
        ci95: [lo, hi],
        verdict,
    }
}

pub(crate) fn find<'a>(runs: &'a [Ran], name: &str) -> Option<&'a Ran> {
    runs.iter().find(|r| r.name == name)
}

pub(crate) fn est(run: &Ran, f: impl Fn(&Measures) -> f64) -> Estimate {
    // Every measure (rates, times, counts, money) is at or above 0.
    estimate_in(&run.values(f), Domain::NonNegative)
}

/// A number without needless decimals.
pub fn num(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else if (x == x.round() && x.abs() < 1e15) || x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

pub(crate) fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}
