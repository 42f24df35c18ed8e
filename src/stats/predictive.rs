//! P(pass) from the values of a metric across replications, under a normal model: the
//! predictive probability that one more replication passes, and an exact confidence
//! interval for the probability itself (noncentral t), with the checks that decide whether
//! the normal model may be used at all (enough values, spread, no value at a bound, an
//! Anderson-Darling test that does not reject).
//!
//! Model: the replications' values `X_1..X_n` of the metric are independent draws of a
//! normal `N(mu, sigma^2)`. A replication passes `X < b` with probability
//! `p = Phi((b - mu) / sigma)`. References:
//!
//! - Point value: the predictive probability `P(X_{n+1} < b)` with
//!   `X_{n+1} - mean ~ s * sqrt(1 + 1/n) * t_{n-1}` (Geisser 1993, *Predictive Inference*,
//!   ch. 2; Hahn & Meeker 1991, *Statistical Intervals*, sec. 4.7 prediction intervals).
//! - Interval: `sqrt(n) (b - mean) / s` follows a noncentral t with `n-1` degrees of
//!   freedom and noncentrality `sqrt(n) (b - mu) / sigma`; inverting its distribution
//!   function gives an exact interval for `p` (Hahn & Meeker 1991, sec. 4.6, "confidence
//!   interval for the proportion of a normal distribution less than a specified value";
//!   Owen 1968).
//! - Normality check: Anderson-Darling with mean and variance estimated, Stephens'
//!   modification `A* = A^2 (1 + 0.75/n + 2.25/n^2)`, rejected at 5 % when `A* > 0.752`
//!   (Stephens 1974, JASA 69:730; D'Agostino & Stephens 1986, table 4.7).

use crate::stats::interval::Domain;
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

/// Fewest values the normal model is used with (below it the count alone decides).
pub const MIN_VALUES: usize = 5;

/// Which side of the bound passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `value < bound` (or `<=`: the same for a continuous metric).
    Below,
    /// `value > bound` (or `>=`).
    Above,
}

/// P(pass) from the values: the predictive probability and the interval on `p`.
#[derive(Serialize, Clone, Copy, Debug, PartialEq)]
pub struct ValuesPass {
    /// Probability that one more replication passes (predictive, t with n-1 df).
    pub pass_probability: f64,
    /// Confidence interval on the probability that a replication passes.
    pub ci: [f64; 2],
}

/// Why the normal model was not used for a threshold.
pub fn not_normal_reason(values: &[f64], domain: Domain) -> Option<String> {
    let n = values.len();
    if values.iter().any(|v| !v.is_finite()) {
        return Some("a replication has no finite value of the metric".into());
    }
    if n < MIN_VALUES {
        return Some(format!("fewer than {MIN_VALUES} replications"));
    }
    let at_bound = |v: f64| match domain {
        Domain::Real => false,
        Domain::NonNegative => v <= 0.0,
        Domain::Proportion => v <= 0.0 || v >= 1.0,
    };
    if values.iter().any(|&v| at_bound(v)) {
        return Some("values at the bound of the metric's range (not normal there)".into());
    }
    let (mean, s) = mean_sd(values);
    if s.is_nan() || s <= 0.0 || !mean.is_finite() {
        return Some("all values equal".into());
    }
    let a = anderson_darling(values);
    if a > AD_CRITICAL_5 {
        return Some(format!(
            "normality rejected (Anderson-Darling A* = {a:.2} > {AD_CRITICAL_5})"
        ));
    }
    None
}

/// Critical value of Stephens' modified A* at 5 % (mean and variance estimated).
pub const AD_CRITICAL_5: f64 = 0.752;

fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let ss: f64 = values.iter().map(|x| (x - mean) * (x - mean)).sum();
    (mean, (ss / (n - 1.0)).sqrt())
}

fn phi(x: f64) -> f64 {
    Normal::new(0.0, 1.0).map(|d| d.cdf(x)).unwrap_or(f64::NAN)
}

/// Stephens' modified Anderson-Darling statistic A* for normality, mean and variance
/// estimated from the values (at least two distinct values).
pub fn anderson_darling(values: &[f64]) -> f64 {
    let n = values.len();
    let (mean, s) = mean_sd(values);
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let f: Vec<f64> = v
        .iter()
        .map(|x| phi((x - mean) / s).clamp(1e-300, 1.0 - 1e-16))
        .collect();
    let nf = n as f64;
    let sum: f64 = (0..n)
        .map(|i| (2.0 * i as f64 + 1.0) * (f[i].ln() + (1.0 - f[n - 1 - i]).ln()))
        .sum();
    let a2 = -nf - sum / nf;
    a2 * (1.0 + 0.75 / nf + 2.25 / (nf * nf))
}

/// The noncentral t distribution function `P(T <= x)` for `nu` degrees of freedom and
/// noncentrality `delta`, as `E[Phi(x W - delta)]` with `W = sqrt(chi2_nu / nu)`,
/// integrated over the quantiles of `W` (`nodes`, from [`chi_nodes`]).
fn nct_cdf(x: f64, delta: f64, nodes: &[f64]) -> f64 {
    let sum: f64 = nodes.iter().map(|&w| phi(x * w - delta)).sum();
    sum / nodes.len() as f64
}

/// Midpoint quantiles of `W = sqrt(chi2_nu / nu)`: `N` equal-probability nodes.
fn chi_nodes(nu: f64) -> Vec<f64> {
    const N: usize = 2000;
    let Ok(chi) = ChiSquared::new(nu) else {
        return Vec::new();
    };
    (0..N)
        .map(|j| (chi.inverse_cdf((j as f64 + 0.5) / N as f64) / nu).sqrt())
        .collect()
}

/// Solves `nct_cdf(x, delta) = target` for `delta` (the function falls as delta grows).
fn solve_delta(x: f64, target: f64, nodes: &[f64]) -> f64 {
    let f = |d: f64| nct_cdf(x, d, nodes) - target;
    let mut step = 1.0 + x.abs() * 0.5;
    let (mut lo, mut hi) = (x - step, x + step);
    for _ in 0..60 {
        if f(lo) >= 0.0 {
            break;
        }
        step *= 2.0;
        lo = x - step;
    }
    step = 1.0 + x.abs() * 0.5;
    for _ in 0..60 {
        if f(hi) <= 0.0 {
            break;
        }
        step *= 2.0;
        hi = x + step;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-10 * (1.0 + mid.abs()) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// P(pass) of `side` of `bound` from the values under the normal model, with its interval
/// at `confidence`. The caller checks [`not_normal_reason`] first; with fewer than two
/// values or no spread this returns `None`.
pub fn values_pass(values: &[f64], side: Side, bound: f64, confidence: f64) -> Option<ValuesPass> {
    let n = values.len();
    if n < 2 || values.iter().any(|v| !v.is_finite()) || !bound.is_finite() {
        return None;
    }
    let (mean, s) = mean_sd(values);
    if s.is_nan() || s <= 0.0 {
        return None;
    }
    let k = match side {
        Side::Below => (bound - mean) / s,
        Side::Above => (mean - bound) / s,
    };
    let nf = n as f64;
    let nu = nf - 1.0;
    let t = StudentsT::new(0.0, 1.0, nu).ok()?;
    let predictive = t.cdf(k / (1.0 + 1.0 / nf).sqrt());
    let alpha = 1.0 - confidence.clamp(1e-9, 1.0 - 1e-9);
    let nodes = chi_nodes(nu);
    if nodes.is_empty() {
        return None;
    }
    let x = nf.sqrt() * k;
    let d_lo = solve_delta(x, 1.0 - alpha / 2.0, &nodes);
    let d_hi = solve_delta(x, alpha / 2.0, &nodes);
    Some(ValuesPass {
        pass_probability: predictive,
        ci: [phi(d_lo / nf.sqrt()), phi(d_hi / nf.sqrt())],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noncentral_t_matches_reference_values() {
        // delta = 0 is Student's t: compare with statrs.
        let nodes = chi_nodes(7.0);
        let t = StudentsT::new(0.0, 1.0, 7.0).unwrap();
        for x in [-3.0, -1.0, 0.0, 0.5, 2.0, 4.0] {
            let got = nct_cdf(x, 0.0, &nodes);
            assert!(
                (got - t.cdf(x)).abs() < 2e-4,
                "x {x}: {got} vs {}",
                t.cdf(x)
            );
        }
        // mpmath quad of the defining integral, 30 digits:
        // P(T <= 3 | nu 7, delta 2) = 0.7572594, P(T <= 10 | nu 4, delta 6) = 0.8267895
        let got = nct_cdf(3.0, 2.0, &nodes);
        assert!((got - 0.757_259_4).abs() < 2e-4, "{got}");
        let got = nct_cdf(10.0, 6.0, &chi_nodes(4.0));
        assert!((got - 0.826_789_5).abs() < 2e-4, "{got}");
    }

    #[test]
    fn far_from_the_bound_is_near_one_and_at_the_bound_is_near_half() {
        // 8 values around 76 with sd ~ 3: bound 300 is ~70 sd away.
        let v = [72.0, 75.0, 78.0, 76.0, 74.0, 80.0, 77.0, 76.0];
        let far = values_pass(&v, Side::Below, 300.0, 0.95).unwrap();
        assert!(far.ci[0] > 0.999, "{far:?}");
        let at = values_pass(&v, Side::Below, 76.0, 0.95).unwrap();
        assert!((at.pass_probability - 0.5).abs() < 0.01, "{at:?}");
        assert!(at.ci[0] < 0.3 && at.ci[1] > 0.7, "{at:?}");
        let above = values_pass(&v, Side::Above, 300.0, 0.95).unwrap();
        assert!(above.ci[1] < 1e-3, "{above:?}");
        assert!(not_normal_reason(&v, Domain::NonNegative).is_none());
    }

    #[test]
    fn model_checks_name_their_reason() {
        let d = Domain::NonNegative;
        assert!(
            not_normal_reason(&[1.0, 2.0, 3.0], d)
                .unwrap()
                .contains("fewer")
        );
        assert!(not_normal_reason(&[1.0; 8], d).unwrap().contains("equal"));
        let zeros = [0.0, 0.0, 0.01, 0.0, 0.0, 0.02, 0.0, 0.0];
        assert!(
            not_normal_reason(&zeros, Domain::Proportion)
                .unwrap()
                .contains("bound")
        );
        let nan = [1.0, f64::NAN, 2.0, 3.0, 4.0, 5.0];
        assert!(not_normal_reason(&nan, d).unwrap().contains("finite"));
        // One far outlier among 12: Anderson-Darling rejects normality.
        let mut out = vec![
            10.0, 10.5, 9.8, 10.2, 10.1, 9.9, 10.3, 10.0, 9.7, 10.4, 10.2,
        ];
        out.push(60.0);
        assert!(not_normal_reason(&out, d).unwrap().contains("Anderson"));
    }

    #[test]
    fn anderson_darling_matches_a_hand_computation() {
        // Values 1..=5: A^2 = 0.1435942, A* = A^2 (1 + 0.15 + 0.09) = 0.1780568 (mpmath,
        // 30 digits, from the definition with Phi of the z scores).
        let a = anderson_darling(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!((a - 0.178_056_8).abs() < 1e-6, "{a}");
    }
}
