//! Statistics across replications: means with Student-t intervals, k6-style quantiles, 5-95% bands, Wilson intervals, paired differences.
//!
//! Every function here takes one value per replication (or per observation) and
//! **skips NaN**: NaN marks a value that is undefined for that replication, such
//! as a percentile of zero requests. Skipping is not silent: the number of values
//! actually used is given by [`finite_count`] (NaN is the only value skipped;
//! infinities are kept and propagate into the mean).

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// A mean and, when at least two values are available, its 95% confidence interval.
///
/// Serializes as `{"mean": 1.5, "ci95": [1.2, 1.8]}`, with `"ci95": null` when there
/// is no interval (fewer than two values). A mean of no values at all is NaN, which
/// `serde_json` writes as `null`.
#[derive(Serialize, Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: Option<[f64; 2]>,
}

/// Number of values that the functions of this module use: the non-NaN ones.
pub fn finite_count(samples: &[f64]) -> usize {
    samples.iter().filter(|x| !x.is_nan()).count()
}

/// Count, mean and sample variance (denominator n-1) of the non-NaN values, by two
/// passes (mean first, then squared deviations) for accuracy.
fn moments(samples: &[f64]) -> (usize, f64, f64) {
    let mut n = 0usize;
    let mut sum = 0.0;
    for &x in samples.iter().filter(|x| !x.is_nan()) {
        n += 1;
        sum += x;
    }
    if n == 0 {
        return (0, f64::NAN, f64::NAN);
    }
    let mean = sum / n as f64;
    if n < 2 {
        return (n, mean, f64::NAN);
    }
    let ss: f64 = samples
        .iter()
        .filter(|x| !x.is_nan())
        .map(|&x| (x - mean) * (x - mean))
        .sum();
    (n, mean, ss / (n as f64 - 1.0))
}

/// Two-sided Student-t quantile `t_{1-alpha/2, df}`. Remembered per thread: statrs's
/// inverse takes about a second at a thousand degrees of freedom, and a summary asks for
/// the same one for each of its hundreds of estimates.
fn t_quantile(confidence: f64, df: f64) -> f64 {
    thread_local! {
        static KNOWN: std::cell::RefCell<Vec<(u64, u64, f64)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let key = (confidence.to_bits(), df.to_bits());
    let known = KNOWN.with(|k| {
        k.borrow()
            .iter()
            .find(|(c, d, _)| (*c, *d) == key)
            .map(|e| e.2)
    });
    if let Some(t) = known {
        return t;
    }
    let p = 1.0 - (1.0 - confidence) / 2.0;
    let t = match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => t.inverse_cdf(p),
        Err(_) => f64::NAN,
    };
    KNOWN.with(|k| {
        let mut k = k.borrow_mut();
        if k.len() >= 64 {
            k.remove(0);
        }
        k.push((key.0, key.1, t));
    });
    t
}

/// Half-width of the 95% Student-t interval of the mean (`t_{0.975, n-1} · s / sqrt(n)`),
/// over the non-NaN values. `None` with fewer than two values. Zero for zero variance.
pub fn t_half_width(samples: &[f64]) -> Option<f64> {
    let (n, _mean, var) = moments(samples);
    if n < 2 {
        return None;
    }
    if var == 0.0 {
        return Some(0.0);
    }
    Some(t_quantile(0.95, n as f64 - 1.0) * (var / n as f64).sqrt())
}

/// Half-width of the 95% interval divided by `|mean|`, for sequential stopping rules
/// ("replicate until the half-width is within 5% of the mean"). `None` with fewer
/// than two values or a zero mean (the ratio is undefined).
pub fn relative_half_width(samples: &[f64]) -> Option<f64> {
    let (n, mean, _) = moments(samples);
    if n < 2 || mean == 0.0 || !mean.is_finite() {
        return None;
    }
    t_half_width(samples).map(|h| h / mean.abs())
}

/// Mean and 95% Student-t confidence interval `mean ± t_{0.975, n-1} · s / sqrt(n)`
/// of the non-NaN values (one per replication). Fewer than two values: `ci95` is
/// `None`. Zero variance: `ci95` is `[mean, mean]`. No values: mean is NaN.
pub fn estimate(samples: &[f64]) -> Estimate {
    let (n, mean, _) = moments(samples);
    let ci95 = if n < 2 {
        None
    } else {
        t_half_width(samples).map(|h| [mean - h, mean + h])
    };
    Estimate { mean, ci95 }
}

/// The set a quantity is known to lie in, so that its interval is not reported outside it
/// (a negative latency, an error rate above 100 %).
///
/// Intersecting a confidence interval with a set that holds the parameter for certain
/// cannot lower its coverage: whenever the raw interval covers the parameter, so does its
/// intersection with the set. It only removes values that were impossible anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// Any real number (differences, offsets).
    Real,
    /// At or above 0: counts, rates per second, times, money.
    NonNegative,
    /// In [0, 1]: fractions and probabilities.
    Proportion,
}

impl Domain {
    /// The interval `[lo, hi]` intersected with the domain. An interval wholly outside
    /// it (impossible for a mean of values in the domain) collapses onto the nearest bound.
    pub fn clip(self, [lo, hi]: [f64; 2]) -> [f64; 2] {
        let (min, max) = match self {
            Domain::Real => return [lo, hi],
            Domain::NonNegative => (0.0, f64::INFINITY),
            Domain::Proportion => (0.0, 1.0),
        };
        [lo.clamp(min, max), hi.clamp(min, max)]
    }
}

/// [`estimate`] with its interval intersected with `domain` (see [`Domain`]).
pub fn estimate_in(samples: &[f64], domain: Domain) -> Estimate {
    let e = estimate(samples);
    Estimate {
        mean: e.mean,
        ci95: e.ci95.map(|ci| domain.clip(ci)),
    }
}

/// Quantile by k6's method: linear interpolation at index `p·(n-1)` over the sorted
/// values (`med` = p 0.5; one value gives that value). Works on sorted or unsorted
/// input (unsorted input is copied and sorted). NaN values are skipped; `p` is
/// clamped to `[0, 1]`; no values (or `p` NaN) give NaN.
pub fn quantile(sorted_or_not: &[f64], p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    let is_sorted_clean =
        sorted_or_not.iter().all(|x| !x.is_nan()) && sorted_or_not.windows(2).all(|w| w[0] <= w[1]);
    if is_sorted_clean {
        quantile_sorted(sorted_or_not, p)
    } else {
        let mut v: Vec<f64> = sorted_or_not
            .iter()
            .copied()
            .filter(|x| !x.is_nan())
            .collect();
        v.sort_by(f64::total_cmp);
        quantile_sorted(&v, p)
    }
}

/// k6's interpolation over values already sorted ascending and free of NaN.
fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let p = p.clamp(0.0, 1.0);
    let i = p * (n as f64 - 1.0);
    let lo = i.floor() as usize;
    let hi = (i.ceil() as usize).min(n - 1);
    let (j, k) = (sorted[lo], sorted[hi]);
    if lo == hi {
        j
    } else {
        j + (k - j) * (i - i.floor())
    }
}

/// Mean and the 5% and 95% quantiles (k6 interpolation) across replications: the
/// spread of a metric between replications, for bands on plots (not a confidence
/// interval of the mean).
#[derive(Serialize, Clone, Copy, Debug, PartialEq)]
pub struct Band {
    pub mean: f64,
    pub p5: f64,
    pub p95: f64,
}

/// [`Band`] of the non-NaN values; all NaN when there are none.
pub fn band(samples: &[f64]) -> Band {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    let (_, mean, _) = moments(&v);
    Band {
        mean,
        p5: quantile_sorted(&v, 0.05),
        p95: quantile_sorted(&v, 0.95),
    }
}

/// Wilson score interval for a binomial proportion (Wilson 1927; Agresti & Coull 1998):
///
/// ```text
/// centre = (p̂ + z²/2n) / (1 + z²/n),  half = z/(1 + z²/n) · sqrt(p̂(1-p̂)/n + z²/4n²)
/// ```
///
/// with `z` the standard normal quantile at `1 - (1-confidence)/2`. Used for "the
/// probability that a threshold passes" across replications. Good coverage even at
/// 0 or n successes, unlike the Wald interval. `trials == 0` gives `(0, 1)` (nothing
/// known). `successes` above `trials` are treated as `trials`; `confidence` is
/// clamped to `(0, 1)`.
pub fn wilson_interval(successes: u64, trials: u64, confidence: f64) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let conf = if confidence.is_nan() {
        0.95
    } else {
        confidence.clamp(1e-12, 1.0 - 1e-12)
    };
    let z = Normal::new(0.0, 1.0)
        .map(|d| d.inverse_cdf(1.0 - (1.0 - conf) / 2.0))
        .unwrap_or(1.959_963_984_540_054);
    let n = trials as f64;
    let p = successes.min(trials) as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At 0 or n successes the bound is exactly 0 or 1 (avoid rounding residue).
    let lo = if successes == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if successes >= trials {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// Mean of the paired differences `a[i] - b[i]` with its 95% Student-t interval:
/// the comparison of two configurations run with common random numbers (same seed
/// and replication index), where pairing removes most of the shared noise.
///
/// Pairs where either side is NaN are skipped. If the slices differ in length only
/// the common prefix is paired (a caller bug, caught by a debug assertion).
pub fn paired_difference(a: &[f64], b: &[f64]) -> Estimate {
    debug_assert_eq!(a.len(), b.len(), "paired_difference needs equal lengths");
    let diffs: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| !x.is_nan() && !y.is_nan())
        .map(|(x, y)| x - y)
        .collect();
    estimate(&diffs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn estimate_matches_hand_computed_t_interval() {
        // values 1..=5: mean 3, s^2 = 2.5, t_{0.975,4} = 2.776445105
        let e = estimate(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(e.mean, 3.0);
        let h = 2.776_445_105_197_793 * (2.5f64 / 5.0).sqrt();
        let [lo, hi] = e.ci95.unwrap();
        assert!(close(lo, 3.0 - h, 1e-9), "{lo}");
        assert!(close(hi, 3.0 + h, 1e-9), "{hi}");
    }

    #[test]
    fn estimate_small_and_degenerate_inputs() {
        assert_eq!(estimate(&[7.0]).ci95, None);
        assert_eq!(estimate(&[7.0]).mean, 7.0);
        assert!(estimate(&[]).mean.is_nan());
        assert_eq!(estimate(&[2.0, 2.0, 2.0]).ci95, Some([2.0, 2.0]));
    }

    #[test]
    fn estimate_skips_nan() {
        let e = estimate(&[1.0, f64::NAN, 3.0]);
        assert_eq!(e.mean, 2.0);
        // t_{0.975,1} = 12.7062047, s = sqrt(2), n = 2 -> h = 12.7062047
        let [lo, hi] = e.ci95.unwrap();
        assert!(close(hi - 2.0, 12.706_204_736_174_7, 1e-6), "{hi}");
        assert!(close(2.0 - lo, 12.706_204_736_174_7, 1e-6), "{lo}");
        assert_eq!(finite_count(&[1.0, f64::NAN, 3.0]), 2);
    }

    #[test]
    fn estimate_serializes_null_interval() {
        let s = serde_json::to_string(&estimate(&[4.0])).unwrap();
        assert_eq!(s, r#"{"mean":4.0,"ci95":null}"#);
        let s = serde_json::to_string(&estimate(&[1.0, 1.0])).unwrap();
        assert_eq!(s, r#"{"mean":1.0,"ci95":[1.0,1.0]}"#);
    }

    #[test]
    fn half_widths() {
        assert_eq!(t_half_width(&[1.0]), None);
        let h = t_half_width(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert!(close(h, 2.776_445_105_197_793 * 0.5f64.sqrt(), 1e-9));
        let r = relative_half_width(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert!(close(r, h / 3.0, 1e-12));
        assert_eq!(relative_half_width(&[-1.0, 1.0]), None);
    }

    #[test]
    fn domains_clip_intervals_without_moving_the_mean() {
        // 2 values with a large spread: the raw t interval goes below 0 (and above 1).
        let e = estimate_in(&[0.01, 0.9], Domain::Proportion);
        assert_eq!(e.mean, 0.455);
        assert_eq!(e.ci95, Some([0.0, 1.0]));
        let raw = estimate(&[10.0, 200.0]);
        assert!(raw.ci95.unwrap()[0] < 0.0);
        let e = estimate_in(&[10.0, 200.0], Domain::NonNegative);
        assert_eq!(e.ci95.unwrap()[0], 0.0);
        assert_eq!(e.ci95.unwrap()[1], raw.ci95.unwrap()[1]);
        assert_eq!(
            estimate_in(&[-3.0, 5.0], Domain::Real),
            estimate(&[-3.0, 5.0])
        );
        // Intervals inside the domain are left alone, byte for byte.
        let inside = [100.0, 101.0, 102.0];
        assert_eq!(estimate_in(&inside, Domain::NonNegative), estimate(&inside));
        assert_eq!(estimate_in(&[7.0], Domain::Proportion).ci95, None);
    }

    #[test]
    fn quantile_follows_k6_interpolation() {
        let v = [10.0, 20.0, 30.0, 40.0];
        assert_eq!(quantile(&v, 0.5), 25.0); // index 1.5
        assert_eq!(quantile(&v, 0.0), 10.0);
        assert_eq!(quantile(&v, 1.0), 40.0);
        assert!(close(quantile(&v, 0.95), 38.5, 1e-12)); // index 2.85
        // unsorted input and NaN
        assert_eq!(quantile(&[40.0, f64::NAN, 10.0, 30.0, 20.0], 0.5), 25.0);
        assert_eq!(quantile(&[5.0], 0.9), 5.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn band_uses_5_and_95_percent() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect(); // index p*100
        let b = band(&v);
        assert_eq!(b.mean, 50.0);
        assert_eq!(b.p5, 5.0);
        assert_eq!(b.p95, 95.0);
    }

    #[test]
    fn wilson_matches_published_example() {
        // 0 of 20 at 95%: (0, 0.1611) (Newcombe 1998, Stat. Med. 17:857-872, Wilson score method)
        let (lo, hi) = wilson_interval(0, 20, 0.95);
        assert_eq!(lo, 0.0);
        assert!(close(hi, 0.1611, 5e-5), "{hi}");
        // 15 of 148 at 95%: (0.0624, 0.1605) (same table)
        let (lo, hi) = wilson_interval(15, 148, 0.95);
        assert!(close(lo, 0.0624, 5e-5), "{lo}");
        assert!(close(hi, 0.1605, 5e-5), "{hi}");
        assert_eq!(wilson_interval(0, 0, 0.95), (0.0, 1.0));
    }

    #[test]
    fn paired_difference_removes_common_noise() {
        let a = [10.0, 20.0, 30.0, f64::NAN];
        let b = [9.0, 19.0, 29.0, 5.0];
        let d = paired_difference(&a, &b);
        assert_eq!(d.mean, 1.0);
        assert_eq!(d.ci95, Some([1.0, 1.0]));
    }
}
