//! P(pass) of a threshold on a proportion (`rate<0.01` on http_req_failed, `rate>0.99` on
//! checks) from the counts pooled over all replications: a quasi-binomial model with the
//! dispersion measured between replications and an exact (Clopper-Pearson) interval.
//!
//! Model: in replication `i`, `x_i` of `n_i` requests fail, with mean `n_i p` and variance
//! `φ n_i p (1 − p)`. `φ = 1` is the binomial (independent requests); errors that come in
//! bursts (an overload, an outage) make `φ > 1`, and it is estimated from the spread of
//! the replications' rates by Pearson's statistic, `φ̂ = max(1, X² / (R − 1))` with
//! `X² = Σ (x_i − n_i p̂)² / (n_i p̂ (1 − p̂))` (McCullagh & Nelder 1989, *Generalized
//! Linear Models*, §4.5.2; Williams 1982). The pooled counts are deflated to the
//! effective sample `x/φ̂` of `n/φ̂` (Kish's design effect), and `p` gets the
//! Clopper-Pearson interval on them (Clopper & Pearson 1934; Brown, Cai & DasGupta 2001):
//! `[B⁻¹(α/2; x, n − x + 1), B⁻¹(1 − α/2; x + 1, n − x)]`.
//!
//! One replication of `m` requests (`m` the mean over replications) passes `rate < b`
//! when its count is below `b m`; with `m/φ̂` effective trials, `P(pass | p)` is a binomial
//! distribution function, monotone in `p`, so the interval on `p` maps to an interval on
//! P(pass). Assumption: with no error in any replication the dispersion cannot be
//! measured, and `φ = 1` is assumed; the distribution-free count stays the check (a
//! verdict needs the two not to disagree).

use crate::stats::beta::{beta_reg, inv_beta_reg};
use crate::stats::predictive::{Side, ValuesPass};

/// The pooled rule's estimates for one threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PooledPass {
    /// Pooled proportion `Σ x_i / Σ n_i`.
    pub rate: f64,
    /// Clopper-Pearson interval on the proportion (after the dispersion).
    pub rate_ci: [f64; 2],
    /// Dispersion `φ̂` (1 = binomial).
    pub dispersion: f64,
    pub pass: ValuesPass,
}

/// `P(Bin(n, p) <= k)` for real `n > 0` (regularised incomplete beta).
fn binomial_cdf(k: f64, n: f64, p: f64) -> f64 {
    if k < 0.0 {
        return 0.0;
    }
    if k >= n || p <= 0.0 {
        return 1.0;
    }
    if p >= 1.0 {
        return 0.0;
    }
    // P(X <= k) = 1 − I_p(k + 1, n − k).
    1.0 - beta_reg(k + 1.0, n - k, p)
}

/// The Clopper-Pearson interval on `p` from `x` successes in `n` trials (real-valued
/// after the dispersion), at `confidence`.
pub fn clopper_pearson(x: f64, n: f64, confidence: f64) -> [f64; 2] {
    if n <= 0.0 {
        return [0.0, 1.0];
    }
    let a = (1.0 - confidence) / 2.0;
    let lo = if x <= 0.0 {
        0.0
    } else {
        inv_beta_reg(x, n - x + 1.0, a)
    };
    let hi = if x >= n {
        1.0
    } else {
        inv_beta_reg(x + 1.0, n - x, 1.0 - a)
    };
    [lo.clamp(0.0, 1.0), hi.clamp(0.0, 1.0)]
}

/// P(pass) of `rate < bound` (`side` Below; `inclusive` for `<=`) or `rate > bound`
/// (Above) from per-replication `(count, trials)`. `None` without at least two
/// replications with trials.
pub fn pooled_pass(
    counts: &[(u64, u64)],
    side: Side,
    bound: f64,
    inclusive: bool,
    confidence: f64,
) -> Option<PooledPass> {
    let used: Vec<(f64, f64)> = counts
        .iter()
        .filter(|c| c.1 > 0)
        .map(|&(x, n)| (x.min(n) as f64, n as f64))
        .collect();
    if used.len() < 2 || used.len() < counts.len() {
        return None;
    }
    let x: f64 = used.iter().map(|c| c.0).sum();
    let n: f64 = used.iter().map(|c| c.1).sum();
    let p = x / n;
    let dispersion = if p > 0.0 && p < 1.0 {
        let chi2: f64 = used
            .iter()
            .map(|&(xi, ni)| (xi - ni * p).powi(2) / (ni * p * (1.0 - p)))
            .sum();
        (chi2 / (used.len() - 1) as f64).max(1.0)
    } else {
        1.0
    };
    let rate_ci = clopper_pearson(x / dispersion, n / dispersion, confidence);
    // One more replication: mean size, in effective trials.
    let m = n / used.len() as f64 / dispersion;
    let pass_given = |q: f64| match side {
        // count < b m  <=>  count <= ceil(b m) − 1;  count <= b m  <=>  count <= floor(b m).
        Side::Below => {
            let k = if inclusive {
                (bound * m).floor()
            } else {
                (bound * m).ceil() - 1.0
            };
            binomial_cdf(k, m, q)
        }
        Side::Above => {
            let k = if inclusive {
                (bound * m).ceil() - 1.0
            } else {
                (bound * m).floor()
            };
            1.0 - binomial_cdf(k, m, q)
        }
    };
    let (a, b) = (pass_given(rate_ci[0]), pass_given(rate_ci[1]));
    Some(PooledPass {
        rate: p,
        rate_ci,
        dispersion,
        pass: ValuesPass {
            pass_probability: pass_given(p),
            ci: [a.min(b), a.max(b)],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clopper_pearson_matches_the_closed_forms_at_zero_and_all() {
        // x = 0: upper bound 1 − (α/2)^(1/n); x = n: lower bound (α/2)^(1/n).
        let [lo, hi] = clopper_pearson(0.0, 1000.0, 0.95);
        assert_eq!(lo, 0.0);
        assert!(
            (hi - (1.0 - 0.025f64.powf(1.0 / 1000.0))).abs() < 1e-9,
            "{hi}"
        );
        let [lo, hi] = clopper_pearson(50.0, 50.0, 0.95);
        assert!((lo - 0.025f64.powf(1.0 / 50.0)).abs() < 1e-9 && hi == 1.0);
        // A textbook value: 5 of 20 -> [0.0866, 0.4910] (Brown, Cai & DasGupta 2001).
        let [lo, hi] = clopper_pearson(5.0, 20.0, 0.95);
        assert!(
            (lo - 0.0866).abs() < 5e-4 && (hi - 0.4910).abs() < 5e-4,
            "{lo} {hi}"
        );
    }

    #[test]
    fn binomial_cdf_matches_a_sum() {
        let (n, p) = (20u32, 0.3f64);
        let mut sum = 0.0;
        for k in 0..=n {
            let c = (1..=k).fold(1.0, |a, i| a * (n - k + i) as f64 / i as f64);
            sum += c * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32);
            assert!(
                (binomial_cdf(k as f64, n as f64, p) - sum).abs() < 1e-10,
                "{k}"
            );
        }
    }

    #[test]
    fn zero_errors_in_8_large_runs_pass_a_one_percent_bound() {
        let counts = [(0, 10_000); 8];
        let r = pooled_pass(&counts, Side::Below, 0.01, false, 0.95).unwrap();
        assert_eq!(r.dispersion, 1.0);
        // p < 1 − 0.025^(1/80000) ≈ 4.6e-5: a run of 10,000 requests sees fewer than
        // 100 errors with probability 1 − O(1e-200).
        assert!(r.rate_ci[1] < 5e-5, "{r:?}");
        assert!(r.pass.ci[0] > 0.999, "{r:?}");
    }

    #[test]
    fn at_the_boundary_the_interval_straddles_any_level() {
        // 0.87 % errors in runs of 10,000: a run stays under 1 % with probability ~0.9.
        let counts = [(87, 10_000); 8];
        let r = pooled_pass(&counts, Side::Below, 0.01, false, 0.95).unwrap();
        assert!(r.pass.ci[0] < 0.9 && r.pass.ci[1] > 0.9, "{r:?}");
        assert!((r.pass.pass_probability - 0.9).abs() < 0.05, "{r:?}");
    }

    #[test]
    fn bursts_widen_the_interval() {
        // The same pooled rate, evenly spread or in bursts (one run with every error).
        let even = [(10, 10_000); 8];
        let mut burst = [(0, 10_000); 8];
        burst[0].0 = 80;
        let e = pooled_pass(&even, Side::Below, 0.005, false, 0.95).unwrap();
        let b = pooled_pass(&burst, Side::Below, 0.005, false, 0.95).unwrap();
        assert_eq!(e.dispersion, 1.0);
        // X² = (80 − 10)²/(10·0.999) + 7·10/0.999 ≈ 560.6 over 7 df: φ ≈ 80.
        assert!((b.dispersion - 80.0).abs() < 1.0, "{b:?}");
        assert!(b.rate_ci[1] > 2.0 * e.rate_ci[1], "{e:?} {b:?}");
        assert!(e.pass.ci[0] > 0.99, "{e:?}");
        assert!(b.pass.ci[0] < 0.9, "{b:?}");
    }

    #[test]
    fn the_pass_side_above_mirrors_below() {
        let counts = [(9_990, 10_000); 8];
        let r = pooled_pass(&counts, Side::Above, 0.99, false, 0.95).unwrap();
        assert!(r.pass.ci[0] > 0.999, "{r:?}");
        assert!(pooled_pass(&[(1, 10)], Side::Above, 0.5, false, 0.95).is_none());
    }
}
