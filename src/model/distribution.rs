//! Validated random distributions, sampled in seconds from a portable generator.
//!
//! [`build`] turns a [`DistributionSpec`] into a [`Distribution`], checking every parameter
//! and reporting a [`FieldError`] whose path is relative to the distribution
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

use crate::error::{FieldError, join_path};
use crate::spec::distribution::{
    DistributionSpec, EmpiricalSpec, GammaSpec, LognormalSpec, NormalSpec,
};
use crate::time::{Nanos, format_duration, secs_to_nanos};
use rand::RngExt;
use rand_distr::Distribution as _;
use statrs::function::erf::{erfc, erfc_inv};
use std::path::Path;
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
    exp: rand_distr::Exp<f64>,
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

// ---------------------------------------------------------------------------------------
// Building from specs
// ---------------------------------------------------------------------------------------

/// Validates a spec. Paths in errors are relative to the distribution (`lognormal.p95`);
/// the caller adds its own prefix with [`FieldError::within`]. Empirical files are
/// resolved relative to `base_dir` (the directory of the file that names them).
pub fn build(spec: &DistributionSpec, base_dir: &Path) -> Result<Distribution, FieldError> {
    let family = spec.family();
    let at = |field: &str| join_path(family, field);
    match spec {
        DistributionSpec::Constant(d) => Ok(Distribution::Constant(Constant { secs: d.secs() })),
        DistributionSpec::Exponential(e) => {
            let mean = positive_time(e.mean.secs(), &at("mean"), "the mean of an exponential")?;
            Ok(Distribution::Exponential(Exponential::new(mean)))
        }
        DistributionSpec::Uniform(u) => {
            let (min, max) = (u.min.secs(), u.max.secs());
            if max <= min {
                return Err(FieldError::new(
                    at("max"),
                    format!(
                        "max ({}) must be greater than min ({}); for a fixed duration write {{constant: {}}}",
                        u.max, u.min, u.min
                    ),
                ));
            }
            Ok(Distribution::Uniform(Uniform { min, max }))
        }
        DistributionSpec::Normal(n) => build_normal(n).map_err(|e| e.within(family)),
        DistributionSpec::Lognormal(l) => build_lognormal(l).map_err(|e| e.within(family)),
        DistributionSpec::Gamma(g) => build_gamma(g).map_err(|e| e.within(family)),
        DistributionSpec::Empirical(e) => {
            build_empirical(e, base_dir).map_err(|e| e.within(family))
        }
    }
}

fn positive_time(secs: f64, path: &str, what: &str) -> Result<f64, FieldError> {
    if secs > 0.0 && secs.is_finite() {
        Ok(secs)
    } else {
        Err(FieldError::new(
            path,
            format!("{what} must be greater than 0, such as \"20ms\""),
        ))
    }
}

fn positive_number(value: f64, path: &str, what: &str, example: &str) -> Result<f64, FieldError> {
    if value > 0.0 && value.is_finite() {
        Ok(value)
    } else {
        Err(FieldError::new(
            path,
            format!(
                "{what} is {value}; it must be a finite number greater than 0, such as {example}"
            ),
        ))
    }
}

fn build_normal(n: &NormalSpec) -> Result<Distribution, FieldError> {
    let mean = n.mean.secs();
    let stddev = positive_time(n.stddev.secs(), "stddev", "the standard deviation")?;
    let min = n.min.map_or(0.0, |d| d.secs());
    let max = n.max.map_or(f64::INFINITY, |d| d.secs());
    if max <= min {
        return Err(FieldError::new(
            "max",
            format!(
                "max ({}) must be greater than min ({}); the normal is truncated to [min, max] (min defaults to 0s, max to unbounded)",
                fmt_secs(max),
                fmt_secs(min)
            ),
        ));
    }
    TruncatedNormal::new(mean, stddev, min, max)
        .map(Distribution::Normal)
        .map_err(|mass| {
            FieldError::new(
                "",
                format!(
                    "only {mass:.3e} of a normal with mean {} and stddev {} lies in [{}, {}]; at least {MIN_TRUNCATED_MASS:e} is needed: move min/max towards the mean or widen stddev",
                    fmt_secs(mean),
                    fmt_secs(stddev),
                    fmt_secs(min),
                    if max.is_finite() { fmt_secs(max) } else { "unbounded".to_string() },
                ),
            )
        })
}

const LOGNORMAL_FORMS: &str = "write exactly one of {median, p95}, {mean, p95} or {median, sigma}, such as {lognormal: {median: 100ms, p95: 250ms}}";

fn build_lognormal(l: &LognormalSpec) -> Result<Distribution, FieldError> {
    let form = match (l.median, l.mean, l.p95, l.sigma) {
        (Some(_), None, Some(_), None) => LogNormalForm::MedianP95,
        (None, Some(_), Some(_), None) => LogNormalForm::MeanP95,
        (Some(_), None, None, Some(_)) => LogNormalForm::MedianSigma,
        _ => {
            let given: Vec<&str> = [
                ("median", l.median.is_some()),
                ("mean", l.mean.is_some()),
                ("p95", l.p95.is_some()),
                ("sigma", l.sigma.is_some()),
            ]
            .iter()
            .filter(|(_, set)| *set)
            .map(|(name, _)| *name)
            .collect();
            let given = if given.is_empty() {
                "no fields".to_string()
            } else {
                format!("{{{}}}", given.join(", "))
            };
            return Err(FieldError::new(
                "",
                format!("a lognormal was given {given}; {LOGNORMAL_FORMS}"),
            ));
        }
    };
    let (mu, sigma) = match form {
        LogNormalForm::MedianP95 => {
            let (median, p95) = (l.median.unwrap(), l.p95.unwrap());
            let m = positive_time(median.secs(), "median", "the median")?;
            let p = p95.secs();
            if p <= m {
                return Err(FieldError::new(
                    "p95",
                    format!(
                        "p95 ({p95}) must exceed the median ({median}): a lognormal's 95th percentile is above its median"
                    ),
                ));
            }
            (m.ln(), (p / m).ln() / Z95)
        }
        LogNormalForm::MedianSigma => {
            let m = positive_time(l.median.unwrap().secs(), "median", "the median")?;
            let s = positive_number(l.sigma.unwrap(), "sigma", "sigma", "0.5")?;
            (m.ln(), s)
        }
        LogNormalForm::MeanP95 => {
            let (mean, p95) = (l.mean.unwrap(), l.p95.unwrap());
            let m = positive_time(mean.secs(), "mean", "the mean")?;
            let p = positive_time(p95.secs(), "p95", "p95")?;
            let s = lognormal_sigma_from_mean_p95(m, p).ok_or_else(|| {
                FieldError::new(
                    "p95",
                    format!(
                        "no lognormal has mean {mean} and p95 {p95}: p95/mean is {:.3}, but a lognormal's p95 is at most e^(1.6449²/2) ≈ {:.4} times its mean (the ratio peaks at sigma 1.645; a p95 at or below the mean needs sigma >= 3.29, a median under 0.45% of the mean); lower p95, raise the mean, or give {{median, p95}} instead",
                        p / m,
                        max_lognormal_p95_over_mean()
                    ),
                )
            })?;
            (m.ln() - 0.5 * s * s, s)
        }
    };
    if !(mu.is_finite() && sigma.is_finite() && sigma > 0.0) {
        return Err(FieldError::new(
            "",
            format!(
                "these parameters give no usable lognormal (mu {mu}, sigma {sigma}); {LOGNORMAL_FORMS}"
            ),
        ));
    }
    Ok(Distribution::LogNormal(LogNormal::new(mu, sigma, form)))
}

/// The largest p95/mean ratio any lognormal has: e^(z95²/2), reached at sigma = z95.
pub fn max_lognormal_p95_over_mean() -> f64 {
    (0.5 * Z95 * Z95).exp()
}

/// Solves mean = e^(mu + s²/2), p95 = e^(mu + z95·s) for s > 0 (see the module docs for the
/// choice of root). `None` when no lognormal has this mean and p95.
pub fn lognormal_sigma_from_mean_p95(mean: f64, p95: f64) -> Option<f64> {
    let d = (p95 / mean).ln();
    let disc = Z95 * Z95 - 2.0 * d;
    if !disc.is_finite() || disc < 0.0 {
        return None;
    }
    let root = disc.sqrt();
    let s = if d > 0.0 { Z95 - root } else { Z95 + root };
    (s > 0.0 && s.is_finite()).then_some(s)
}

fn build_gamma(g: &GammaSpec) -> Result<Distribution, FieldError> {
    let shape = positive_number(g.shape, "shape", "shape", "2.0")?;
    let scale = match (g.mean, g.scale) {
        (Some(mean), None) => positive_time(mean.secs(), "mean", "the mean")? / shape,
        (None, Some(scale)) => positive_time(scale.secs(), "scale", "the scale")?,
        _ => {
            return Err(FieldError::new(
                "",
                "a gamma needs shape and exactly one of mean or scale, such as {gamma: {mean: 15ms, shape: 2.0}} or {gamma: {shape: 2.0, scale: 7.5ms}}",
            ));
        }
    };
    if !(scale > 0.0 && scale.is_finite()) {
        return Err(FieldError::new(
            "shape",
            format!("shape {shape} gives a scale of {scale}s; use a smaller shape"),
        ));
    }
    Ok(Distribution::Gamma(Gamma::new(shape, scale)))
}

fn build_empirical(e: &EmpiricalSpec, base_dir: &Path) -> Result<Distribution, FieldError> {
    let path = base_dir.join(&e.file);
    let name = &e.file;
    let file_err = |message: String| FieldError::new("file", message);
    let bytes = crate::spec::read::read_sample_file(&path).map_err(|why| {
        file_err(format!(
            "cannot read sample file {} ({why}); the path is relative to {}",
            path.display(),
            if base_dir.as_os_str().is_empty() {
                ".".to_string()
            } else {
                base_dir.display().to_string()
            }
        ))
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|err| file_err(csv_error_text(name, &err)))?
        .clone();
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err(file_err(format!(
            "{name} is empty; it needs a header row, then one sample per row"
        )));
    }
    let (index, column) = match &e.column {
        None => (0, headers.get(0).unwrap_or("").to_string()),
        Some(wanted) => match headers.iter().position(|h| h == wanted) {
            Some(i) => (i, wanted.clone()),
            None => {
                let columns: Vec<&str> = headers.iter().collect();
                let hint = columns
                    .iter()
                    .map(|c| (strsim::jaro_winkler(c, wanted), *c))
                    .filter(|(score, _)| *score > 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, c)| format!(" (did you mean \"{c}\"?)"))
                    .unwrap_or_default();
                return Err(FieldError::new(
                    "column",
                    format!(
                        "{name} has no column \"{wanted}\"{hint}; its columns are: {}",
                        columns.join(", ")
                    ),
                ));
            }
        },
    };
    let unit = e.unit;
    let mut samples = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| file_err(csv_error_text(name, &err)))?;
        let line = record.position().map_or(0, |p| p.line());
        let raw = record.get(index).unwrap_or("");
        let bad = |what: String| {
            file_err(format!(
                "{name} line {line}: {what}; each value in column \"{column}\" must be a number >= 0 in {unit}"
            ))
        };
        if raw.is_empty() {
            return Err(bad(format!("the value in column \"{column}\" is empty")));
        }
        let value: f64 = raw
            .parse()
            .map_err(|_| bad(format!("\"{raw}\" is not a number")))?;
        if !value.is_finite() {
            return Err(bad(format!("\"{raw}\" is not a finite number")));
        }
        if value < 0.0 {
            return Err(bad(format!("{raw} is negative")));
        }
        samples.push(value * unit.secs());
    }
    if samples.is_empty() {
        return Err(file_err(format!(
            "{name} has a header but no samples; at least 1 row is needed"
        )));
    }
    Ok(Distribution::Empirical(Empirical::new(
        samples,
        name.clone(),
    )))
}

fn csv_error_text(name: &str, err: &csv::Error) -> String {
    let at = |pos: &Option<csv::Position>| match pos {
        Some(p) => format!("{name} line {}", p.line()),
        None => name.to_string(),
    };
    match err.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "{}: {len} field{}, but the header has {expected_len}; every row needs the same number of comma-separated fields",
            at(pos),
            if *len == 1 { "" } else { "s" }
        ),
        csv::ErrorKind::Utf8 { pos, err } => format!("{}: not valid UTF-8 ({err})", at(pos)),
        csv::ErrorKind::Io(io) => format!("{name}: {io}"),
        _ => format!("{name}: {err}"),
    }
}

// ---------------------------------------------------------------------------------------
// Families
// ---------------------------------------------------------------------------------------

impl Exponential {
    fn new(mean: f64) -> Self {
        Exponential {
            mean,
            exp: rand_distr::Exp::new(1.0 / mean).expect("validated mean > 0"),
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
    fn new(mean: f64, stddev: f64, min: f64, max: f64) -> Result<Self, f64> {
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
    fn standard_moments(&self) -> (f64, f64) {
        let (a, b) = (self.lo, self.hi);
        let (pa, pb) = (phi(a), phi(b));
        let ratio = (pa - pb) / self.mass;
        let a_pa = if a.is_finite() { a * pa } else { 0.0 };
        let b_pb = if b.is_finite() { b * pb } else { 0.0 };
        let var = 1.0 + (a_pa - b_pb) / self.mass - ratio * ratio;
        (ratio, var.max(0.0))
    }

    fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
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
    fn new(mu: f64, sigma: f64, form: LogNormalForm) -> Self {
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
    fn new(shape: f64, scale: f64) -> Self {
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

impl Empirical {
    fn new(mut samples: Vec<f64>, source: String) -> Self {
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let (mean, second_moment) = if n == 1 {
            (samples[0], samples[0] * samples[0])
        } else {
            let sum: f64 = samples.iter().sum();
            let mean = (sum - 0.5 * (samples[0] + samples[n - 1])) / (n - 1) as f64;
            let sq: f64 = samples
                .windows(2)
                .map(|w| (w[0] * w[0] + w[0] * w[1] + w[1] * w[1]) / 3.0)
                .sum();
            (mean, sq / (n - 1) as f64)
        };
        Empirical {
            sorted: samples.into(),
            mean,
            second_moment,
            source,
        }
    }
    /// The samples, in seconds, sorted ascending.
    pub fn samples_secs(&self) -> &[f64] {
        &self.sorted
    }
    /// The file the samples came from, as written in the spec.
    pub fn source(&self) -> &str {
        &self.source
    }
    /// The q-quantile (0 ≤ q ≤ 1) of the interpolated CDF.
    pub fn quantile_secs(&self, q: f64) -> f64 {
        let s = &self.sorted;
        let n = s.len();
        if n == 1 {
            return s[0];
        }
        let t = q.clamp(0.0, 1.0) * (n - 1) as f64;
        let i = (t.floor() as usize).min(n - 2);
        let frac = t - i as f64;
        s[i] + frac * (s[i + 1] - s[i])
    }
}

// ---------------------------------------------------------------------------------------
// Distribution
// ---------------------------------------------------------------------------------------

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
            Distribution::Exponential(e) => e.exp.sample(rng),
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

    /// One draw, rounded to the nearest nanosecond (saturating).
    pub fn sample_nanos<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Nanos {
        secs_to_nanos(self.sample_secs(rng))
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

fn fmt_secs(secs: f64) -> String {
    format_duration(secs_to_nanos(secs))
}

fn fmt_num(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}
