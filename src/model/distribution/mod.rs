//! Validated random distributions, sampled in seconds from a portable generator.
//!
//! [`build()`] turns a [`DistributionSpec`](crate::spec::distribution::DistributionSpec)
//! into a [`Distribution`], checking every parameter and reporting a
//! [`FieldError`](crate::error::FieldError) whose path is relative to the distribution
//! (`lognormal.p95`, `empirical.file`). Sampling never allocates: every family holds its
//! precomputed parameters (and `rand_distr` objects where one exists).
//!
//! Formulas, with Φ the standard normal CDF, φ its density and z95 = Φ⁻¹(0.95) = 1.6448536…:
//!
//! * exponential(mean m): mean m, variance m².
//! * uniform(a, b): mean (a+b)/2, variance (b−a)²/12.
//! * normal(μ, σ) truncated to [lo, hi], α = (lo−μ)/σ, β = (hi−μ)/σ, Z = Φ(β)−Φ(α):
//!   mean μ + σ(φ(α)−φ(β))/Z, variance σ²[1 + (αφ(α)−βφ(β))/Z − ((φ(α)−φ(β))/Z)²].
//!   Sampled by inverting the CDF: x = μ + σΦ⁻¹(Φ(α) + U·Z), U uniform on (0, 1); when α > 0
//!   the same is done on the mirrored interval [−β, −α] so that upper tails keep precision.
//! * lognormal(μ, s): median e^μ, p95 e^(μ + z95·s), mean e^(μ + s²/2),
//!   variance (e^(s²) − 1)·e^(2μ + s²).
//!   - `{median, p95}`: μ = ln median, s = ln(p95/median)/z95 (p95 must exceed the median).
//!   - `{median, sigma}`: μ = ln median, s = sigma.
//!   - `{mean, p95}`: with d = ln(p95/mean), ln p95 − ln mean = z95·s − s²/2, so
//!     s²/2 − z95·s + d = 0 and s = z95 ∓ √(z95² − 2d). A real root needs d ≤ z95²/2, that is
//!     p95/mean ≤ e^(z95²/2) ≈ 3.8681. When p95 > mean both roots are positive and the smaller,
//!     s = z95 − √(z95² − 2d) (< z95), is taken: it is the less skewed of the two lognormals.
//!     When p95 ≤ mean only s = z95 + √(z95² − 2d) (≥ 2·z95 ≈ 3.29) is positive: such a
//!     lognormal exists for every ratio in (0, 1], but its median is below e^(−2·z95²) ≈ 0.45 %
//!     of its mean. Then μ = ln mean − s²/2.
//! * gamma(shape k, scale θ): mean kθ, variance kθ²; `{mean, shape}` gives θ = mean/k.
//! * empirical: sorted samples x₁ ≤ … ≤ xₙ; the CDF is piecewise linear through
//!   (x_i, (i−1)/(n−1)), so a draw is x at position U·(n−1) with linear interpolation
//!   (the quantiles are numpy's default "linear" / R type 7 quantiles of the file).
//!   Mean = (Σx − (x₁+xₙ)/2)/(n−1) and E[X²] = Σᵢ (xᵢ² + xᵢxᵢ₊₁ + xᵢ₊₁²)/3/(n−1); n = 1 is
//!   the constant x₁.
//!
//! The parts: [`build()`] with its checks (in `build.rs`), the empirical CSV
//! samples (`empirical.rs`), the families' parameters and truncated-normal maths
//! (`families.rs`), and drawing, moments, scaling and descriptions (`sample.rs`).

mod build;
mod empirical;
mod exp1;
mod families;
mod sample;

pub use build::{build, lognormal_sigma_from_mean_p95, max_lognormal_p95_over_mean};

use crate::time::{format_duration, secs_to_nanos};
use std::sync::Arc;

/// Φ⁻¹(0.95), the 95th percentile of the standard normal distribution.
pub const Z95: f64 = 1.644_853_626_951_472_2;

/// Smallest probability mass a truncated normal may keep inside `[min, max]`.
pub const MIN_TRUNCATED_MASS: f64 = 1e-12;

/// A validated distribution of durations, in seconds.
#[derive(Debug, Clone)]
pub enum Distribution {
    Constant(Constant),
    Exponential(Exponential),
    Uniform(Uniform),
    Normal(TruncatedNormal),
    LogNormal(LogNormal),
    Gamma(Gamma),
    Empirical(Empirical),
}

/// Always the same value.
#[derive(Debug, Clone)]
pub struct Constant {
    secs: f64,
}

/// Exponential with a given mean.
#[derive(Debug, Clone)]
pub struct Exponential {
    mean: f64,
    /// What a draw of the exponential of mean 1 is multiplied by: `1 / (1 / mean)`, as
    /// `rand_distr::Exp::new(1 / mean)` keeps it (so the same draws).
    scale: f64,
}

/// Uniform on `[min, max]`, `min < max`.
#[derive(Debug, Clone)]
pub struct Uniform {
    min: f64,
    max: f64,
}

/// Normal(mean, stddev) conditioned on `[min, max]`; `max` may be infinite.
#[derive(Debug, Clone)]
pub struct TruncatedNormal {
    mean: f64,
    stddev: f64,
    min: f64,
    max: f64,
    /// +1, or −1 when sampling in the mirrored frame (α > 0).
    sign: f64,
    /// Standardized bounds in the sampling frame (`lo` may be −∞, `hi` +∞).
    lo: f64,
    hi: f64,
    /// Φ(lo) and Φ(hi) − Φ(lo) in the sampling frame.
    p_lo: f64,
    mass: f64,
}

/// How a lognormal was written, kept for [`Distribution::describe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogNormalForm {
    MedianP95,
    MeanP95,
    MedianSigma,
}

/// Lognormal: ln X ~ Normal(mu, sigma).
#[derive(Debug, Clone)]
pub struct LogNormal {
    mu: f64,
    sigma: f64,
    form: LogNormalForm,
    dist: rand_distr::LogNormal<f64>,
}

/// Gamma(shape, scale).
#[derive(Debug, Clone)]
pub struct Gamma {
    shape: f64,
    scale: f64,
    dist: rand_distr::Gamma<f64>,
}

/// Piecewise-linear interpolation of the empirical CDF of a sample file.
#[derive(Debug, Clone)]
pub struct Empirical {
    sorted: Arc<[f64]>,
    mean: f64,
    second_moment: f64,
    source: String,
}

fn fmt_secs(secs: f64) -> String {
    format_duration(secs_to_nanos(secs))
}

fn fmt_num(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}
