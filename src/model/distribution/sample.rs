//! Using a [`Distribution`]: drawing samples (seconds or nanoseconds), moments, scaling,
//! and the short human description.

use super::{
    Constant, Distribution, Empirical, Exponential, Gamma, LogNormal, LogNormalForm,
    TruncatedNormal, Uniform, fmt_num, fmt_secs,
};
use crate::time::{Nanos, secs_to_nanos};
use rand::RngExt;
use rand_distr::Distribution as _;

impl Distribution {
    /// A fixed duration. Negative or NaN input gives 0.
    pub fn constant(secs: f64) -> Distribution {
        let secs = if secs > 0.0 { secs } else { 0.0 };
        Distribution::Constant(Constant { secs })
    }

    /// An exponential with the given mean; a mean that is not > 0 and finite gives the
    /// constant 0 (no delay).
    pub fn exponential(mean_secs: f64) -> Distribution {
        if mean_secs > 0.0 && mean_secs.is_finite() {
            Distribution::Exponential(Exponential::new(mean_secs))
        } else {
            Distribution::constant(0.0)
        }
    }

    /// One draw, in seconds: never negative, never NaN.
    pub fn sample_secs<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let x = match self {
            Distribution::Constant(c) => c.secs,
            Distribution::Exponential(e) => super::exp1::exp1(rng) * e.scale,
            Distribution::Uniform(u) => {
                let v: f64 = rng.random();
                u.min + v * (u.max - u.min)
            }
            Distribution::Normal(n) => n.sample(rng),
            Distribution::LogNormal(l) => l.dist.sample(rng),
            Distribution::Gamma(g) => g.dist.sample(rng),
            Distribution::Empirical(e) => {
                let s = &e.sorted;
                let n = s.len();
                if n == 1 {
                    s[0]
                } else {
                    let v: f64 = rng.random();
                    let t = v * (n - 1) as f64;
                    let i = (t as usize).min(n - 2);
                    s[i] + (t - i as f64) * (s[i + 1] - s[i])
                }
            }
        };
        if x > 0.0 { x } else { 0.0 }
    }

    /// One draw, rounded to the nearest nanosecond (saturating). The exponential, the
    /// most drawn (service times, Poisson think times), without the call through
    /// [`Self::sample_secs`]; the same operations, so the same value.
    #[inline]
    pub fn sample_nanos<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Nanos {
        let secs = match self {
            Distribution::Exponential(e) => {
                let x = super::exp1::exp1(rng) * e.scale;
                if x > 0.0 { x } else { 0.0 }
            }
            _ => self.sample_secs(rng),
        };
        secs_to_nanos(secs)
    }

    /// The exact theoretical mean, in seconds.
    pub fn mean_secs(&self) -> f64 {
        match self {
            Distribution::Constant(c) => c.secs,
            Distribution::Exponential(e) => e.mean,
            Distribution::Uniform(u) => 0.5 * (u.min + u.max),
            Distribution::Normal(n) => {
                let (m, _) = n.standard_moments();
                (n.mean + n.sign * n.stddev * m).clamp(n.min, n.max)
            }
            Distribution::LogNormal(l) => (l.mu + 0.5 * l.sigma * l.sigma).exp(),
            Distribution::Gamma(g) => g.shape * g.scale,
            Distribution::Empirical(e) => e.mean,
        }
    }

    /// The exact theoretical variance, in seconds².
    pub fn variance_secs2(&self) -> f64 {
        match self {
            Distribution::Constant(_) => 0.0,
            Distribution::Exponential(e) => e.mean * e.mean,
            Distribution::Uniform(u) => (u.max - u.min).powi(2) / 12.0,
            Distribution::Normal(n) => {
                let (_, v) = n.standard_moments();
                n.stddev * n.stddev * v
            }
            Distribution::LogNormal(l) => {
                let s2 = l.sigma * l.sigma;
                s2.exp_m1() * (2.0 * l.mu + s2).exp()
            }
            Distribution::Gamma(g) => g.shape * g.scale * g.scale,
            Distribution::Empirical(e) => (e.second_moment - e.mean * e.mean).max(0.0),
        }
    }

    /// Squared coefficient of variation, variance / mean² (0 when the mean is 0).
    pub fn scv(&self) -> f64 {
        let m = self.mean_secs();
        if m > 0.0 {
            self.variance_secs2() / (m * m)
        } else {
            0.0
        }
    }

    /// True when every draw is the same value.
    pub fn is_deterministic(&self) -> bool {
        match self {
            Distribution::Constant(_) => true,
            Distribution::Empirical(e) => e.sorted.first() == e.sorted.last(),
            _ => false,
        }
    }

    /// The same distribution with every time multiplied by `factor` (calibration,
    /// degradation). A factor of 0 gives the constant 0; a negative, NaN or infinite factor
    /// is a programming error and panics.
    pub fn scaled(&self, factor: f64) -> Distribution {
        assert!(
            factor.is_finite() && factor >= 0.0,
            "Distribution::scaled: factor must be finite and >= 0, got {factor}"
        );
        if factor == 0.0 {
            return Distribution::constant(0.0);
        }
        if factor == 1.0 {
            return self.clone();
        }
        match self {
            Distribution::Constant(c) => Distribution::constant(c.secs * factor),
            Distribution::Exponential(e) => Distribution::exponential(e.mean * factor),
            Distribution::Uniform(u) => {
                let (min, max) = (u.min * factor, u.max * factor);
                if max > min {
                    Distribution::Uniform(Uniform { min, max })
                } else {
                    Distribution::constant(min)
                }
            }
            Distribution::Normal(n) => Distribution::Normal(TruncatedNormal {
                mean: n.mean * factor,
                stddev: n.stddev * factor,
                min: n.min * factor,
                max: n.max * factor,
                ..n.clone()
            }),
            Distribution::LogNormal(l) => {
                Distribution::LogNormal(LogNormal::new(l.mu + factor.ln(), l.sigma, l.form))
            }
            Distribution::Gamma(g) => Distribution::Gamma(Gamma::new(g.shape, g.scale * factor)),
            Distribution::Empirical(e) => Distribution::Empirical(Empirical {
                sorted: e.sorted.iter().map(|x| x * factor).collect(),
                mean: e.mean * factor,
                second_moment: e.second_moment * factor * factor,
                source: e.source.clone(),
            }),
        }
    }

    /// Short human text, such as `lognormal(median 100ms, p95 250ms)`.
    pub fn describe(&self) -> String {
        match self {
            Distribution::Constant(c) => format!("constant({})", fmt_secs(c.secs)),
            Distribution::Exponential(e) => format!("exponential(mean {})", fmt_secs(e.mean)),
            Distribution::Uniform(u) => {
                format!("uniform({} to {})", fmt_secs(u.min), fmt_secs(u.max))
            }
            Distribution::Normal(n) => {
                let max = if n.max.is_finite() {
                    format!(", max {}", fmt_secs(n.max))
                } else {
                    String::new()
                };
                format!(
                    "normal(mean {}, stddev {}, min {}{max})",
                    fmt_secs(n.mean),
                    fmt_secs(n.stddev),
                    fmt_secs(n.min)
                )
            }
            Distribution::LogNormal(l) => match l.form {
                LogNormalForm::MedianP95 => format!(
                    "lognormal(median {}, p95 {})",
                    fmt_secs(l.median_secs()),
                    fmt_secs(l.p95_secs())
                ),
                LogNormalForm::MeanP95 => format!(
                    "lognormal(mean {}, p95 {})",
                    fmt_secs(self.mean_secs()),
                    fmt_secs(l.p95_secs())
                ),
                LogNormalForm::MedianSigma => format!(
                    "lognormal(median {}, sigma {})",
                    fmt_secs(l.median_secs()),
                    fmt_num(l.sigma)
                ),
            },
            Distribution::Gamma(g) => format!(
                "gamma(shape {}, mean {})",
                fmt_num(g.shape),
                fmt_secs(g.shape * g.scale)
            ),
            Distribution::Empirical(e) => format!(
                "empirical({}, {} samples, mean {})",
                e.source,
                e.sorted.len(),
                fmt_secs(e.mean)
            ),
        }
    }
}
