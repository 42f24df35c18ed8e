//! The families' parameters: constructors of the exponential, truncated normal,
//! lognormal and gamma, the normal density and CDF, and truncated-normal sampling.

use super::{
    Exponential, Gamma, LogNormal, LogNormalForm, MIN_TRUNCATED_MASS, TruncatedNormal, Z95,
};
use rand::RngExt;
use statrs::function::erf::{erfc, erfc_inv};

impl Exponential {
    pub(super) fn new(mean: f64) -> Self {
        Exponential {
            mean,
            scale: 1.0 / (1.0 / mean),
        }
    }
}

/// Standard normal density.
fn phi(x: f64) -> f64 {
    if x.is_infinite() {
        0.0
    } else {
        (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
    }
}

/// Standard normal CDF; precise in the lower tail.
fn big_phi(x: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        0.0
    } else if x == f64::INFINITY {
        1.0
    } else {
        0.5 * erfc(-x / std::f64::consts::SQRT_2)
    }
}

/// Standard normal quantile for p in (0, 1).
fn big_phi_inv(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p)
}

impl TruncatedNormal {
    /// `Err(mass)` when less than [`MIN_TRUNCATED_MASS`] lies in `[min, max]`.
    pub(super) fn new(mean: f64, stddev: f64, min: f64, max: f64) -> Result<Self, f64> {
        let alpha = (min - mean) / stddev;
        let beta = (max - mean) / stddev;
        // Work where the CDF values are small (lower tail) to keep precision.
        let (sign, lo, hi) = if alpha > 0.0 {
            (-1.0, -beta, -alpha)
        } else {
            (1.0, alpha, beta)
        };
        let p_lo = big_phi(lo);
        let mass = big_phi(hi) - p_lo;
        if mass.is_nan() || mass < MIN_TRUNCATED_MASS {
            return Err(mass.max(0.0));
        }
        Ok(TruncatedNormal {
            mean,
            stddev,
            min,
            max,
            sign,
            lo,
            hi,
            p_lo,
            mass,
        })
    }

    /// Mean and variance of the standardized truncated variable in the sampling frame.
    pub(super) fn standard_moments(&self) -> (f64, f64) {
        let (a, b) = (self.lo, self.hi);
        let (pa, pb) = (phi(a), phi(b));
        let ratio = (pa - pb) / self.mass;
        let a_pa = if a.is_finite() { a * pa } else { 0.0 };
        let b_pb = if b.is_finite() { b * pb } else { 0.0 };
        let var = 1.0 + (a_pa - b_pb) / self.mass - ratio * ratio;
        (ratio, var.max(0.0))
    }

    pub(super) fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let u: f64 = rng.sample(rand::distr::Open01);
        // Keep p strictly inside (0, 1) so that the quantile is finite.
        let p = (self.p_lo + u * self.mass).clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
        let mut x = big_phi_inv(p);
        if x.is_nan() {
            x = self.lo.max(-40.0);
        }
        let x = x.clamp(self.lo, self.hi);
        (self.mean + self.sign * self.stddev * x).clamp(self.min, self.max)
    }
}

impl LogNormal {
    pub(super) fn new(mu: f64, sigma: f64, form: LogNormalForm) -> Self {
        LogNormal {
            mu,
            sigma,
            form,
            dist: rand_distr::LogNormal::new(mu, sigma).expect("validated sigma > 0"),
        }
    }
    /// Location: the mean of ln X.
    pub fn mu(&self) -> f64 {
        self.mu
    }
    /// Shape: the standard deviation of ln X.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }
    pub fn median_secs(&self) -> f64 {
        self.mu.exp()
    }
    pub fn p95_secs(&self) -> f64 {
        (self.mu + Z95 * self.sigma).exp()
    }
    pub fn form(&self) -> LogNormalForm {
        self.form
    }
}

impl Gamma {
    pub(super) fn new(shape: f64, scale: f64) -> Self {
        Gamma {
            shape,
            scale,
            dist: rand_distr::Gamma::new(shape, scale).expect("validated shape, scale > 0"),
        }
    }
    pub fn shape(&self) -> f64 {
        self.shape
    }
    pub fn scale_secs(&self) -> f64 {
        self.scale
    }
}
