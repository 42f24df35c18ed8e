//! Building a [`Distribution`] from its spec: every parameter checked, errors with paths
//! relative to the distribution; lognormal parameters from the forms users write.

use super::empirical::build_empirical;
use super::{
    Constant, Distribution, Exponential, Gamma, LogNormal, LogNormalForm, MIN_TRUNCATED_MASS,
    TruncatedNormal, Uniform, Z95, fmt_secs,
};
use crate::error::{FieldError, join_path};
use crate::spec::confine::Files;
use crate::spec::distribution::{DistributionSpec, GammaSpec, LognormalSpec, NormalSpec};

/// Validates a spec. Paths in errors are relative to the distribution (`lognormal.p95`);
/// the caller adds its own prefix with [`FieldError::within`]. Empirical files are
/// resolved by `files` (relative to the file that names them, inside its roots).
pub fn build(spec: &DistributionSpec, files: &Files) -> Result<Distribution, FieldError> {
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
        DistributionSpec::Empirical(e) => build_empirical(e, files).map_err(|e| e.within(family)),
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
