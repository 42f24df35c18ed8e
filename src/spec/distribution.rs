//! Distribution specs as written in YAML (externally tagged: `{exponential: {mean: 5ms}}`).
//!
//! These are plain serde mirrors of what users write; every check that needs more than the
//! shape of the document (p95 above the median, a readable CSV file, ...) happens in
//! `model::distribution::build`, which reports [`crate::error::FieldError`]s with
//! paths such as `lognormal.p95`.
//!
//! ```yaml
//! service_time: 5ms                      # shorthand for {constant: 5ms}
//! service_time: {constant: 5ms}
//! service_time: {exponential: {mean: 20ms}}
//! service_time: {uniform: {min: 1s, max: 4s}}
//! service_time: {normal: {mean: 50ms, stddev: 10ms, min: 0s, max: 200ms}}
//! service_time: {lognormal: {median: 100ms, p95: 250ms}}
//! service_time: {lognormal: {mean: 120ms, p95: 300ms}}
//! service_time: {lognormal: {median: 100ms, sigma: 0.5}}
//! service_time: {gamma: {mean: 15ms, shape: 2.0}}
//! service_time: {gamma: {shape: 2.0, scale: 7.5ms}}
//! service_time: {empirical: {file: samples.csv, column: latency_ms, unit: ms}}
//! ```

use crate::time::Duration;
use serde::de::{self, IntoDeserializer};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// A random duration as written in a file. Externally tagged: exactly one key. A bare
/// duration (`sleep: 1s`, as k6's `sleep(1)`) is shorthand for `{constant: 1s}`.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum DistributionSpec {
    /// Always the same duration: `{constant: 5ms}`.
    Constant(Duration),
    /// Exponential with the given mean: `{exponential: {mean: 20ms}}`.
    Exponential(ExponentialSpec),
    /// Uniform on `[min, max]`: `{uniform: {min: 1s, max: 4s}}`.
    Uniform(UniformSpec),
    /// Normal truncated to `[min, max]` (min defaults to 0, max to unbounded).
    Normal(NormalSpec),
    /// Lognormal in one of three forms: `{median, p95}`, `{mean, p95}` or `{median, sigma}`.
    Lognormal(LognormalSpec),
    /// Gamma given `{mean, shape}` or `{shape, scale}`.
    Gamma(GammaSpec),
    /// Samples read from a CSV file (with a header row), resolved relative to the model file.
    Empirical(EmpiricalSpec),
}

impl<'de> Deserialize<'de> for DistributionSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = DistributionSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a duration such as `1s` (shorthand for `{constant: 1s}`) or a distribution \
                     such as `{exponential: {mean: 20ms}}`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DistributionSpec, E> {
                let constant = Duration::deserialize(v.into_deserializer()).map_err(|e: E| {
                    E::custom(format!(
                        "{e}; or write a distribution such as `{{exponential: {{mean: 20ms}}}}` \
                         (a bare duration is shorthand for `{{constant: ...}}`)"
                    ))
                })?;
                Ok(DistributionSpec::Constant(constant))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DistributionSpec, E> {
                Duration::deserialize(v.into_deserializer()).map(DistributionSpec::Constant)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DistributionSpec, E> {
                Duration::deserialize(v.into_deserializer()).map(DistributionSpec::Constant)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DistributionSpec, E> {
                Duration::deserialize(v.into_deserializer()).map(DistributionSpec::Constant)
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<DistributionSpec, A::Error> {
                DistributionSpec::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl DistributionSpec {
    /// The YAML key of this family (`"lognormal"`), used as the first element of error paths.
    pub fn family(&self) -> &'static str {
        match self {
            DistributionSpec::Constant(_) => "constant",
            DistributionSpec::Exponential(_) => "exponential",
            DistributionSpec::Uniform(_) => "uniform",
            DistributionSpec::Normal(_) => "normal",
            DistributionSpec::Lognormal(_) => "lognormal",
            DistributionSpec::Gamma(_) => "gamma",
            DistributionSpec::Empirical(_) => "empirical",
        }
    }
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExponentialSpec {
    pub mean: Duration,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UniformSpec {
    pub min: Duration,
    pub max: Duration,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NormalSpec {
    pub mean: Duration,
    pub stddev: Duration,
    /// Lower truncation bound; defaults to 0 (durations are never negative).
    #[serde(default)]
    pub min: Option<Duration>,
    /// Upper truncation bound; unbounded when absent.
    #[serde(default)]
    pub max: Option<Duration>,
}

/// All fields optional here; `build` checks that exactly one of the three forms is used.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LognormalSpec {
    #[serde(default)]
    pub median: Option<Duration>,
    #[serde(default)]
    pub mean: Option<Duration>,
    #[serde(default)]
    pub p95: Option<Duration>,
    /// Standard deviation of the logarithm (dimensionless).
    #[serde(default)]
    pub sigma: Option<f64>,
}

/// `shape` plus exactly one of `mean` or `scale`; `build` checks the combination.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GammaSpec {
    pub shape: f64,
    #[serde(default)]
    pub mean: Option<Duration>,
    #[serde(default)]
    pub scale: Option<Duration>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EmpiricalSpec {
    /// CSV file with a header row, relative to the file that names it.
    pub file: String,
    /// Header name of the column to read; the first column when absent.
    #[serde(default)]
    pub column: Option<String>,
    /// Unit of the numbers in the column; milliseconds when absent.
    #[serde(default)]
    pub unit: TimeUnit,
}

/// Unit of bare numbers in an empirical CSV column.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    Ns,
    Us,
    #[default]
    Ms,
    S,
}

impl TimeUnit {
    /// Seconds in one of this unit.
    pub fn secs(self) -> f64 {
        match self {
            TimeUnit::Ns => 1e-9,
            TimeUnit::Us => 1e-6,
            TimeUnit::Ms => 1e-3,
            TimeUnit::S => 1.0,
        }
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeUnit::Ns => "ns",
            TimeUnit::Us => "us",
            TimeUnit::Ms => "ms",
            TimeUnit::S => "s",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::yaml::parse_yaml;
    use std::path::Path;

    #[derive(Deserialize, Debug)]
    struct Doc {
        sleep: DistributionSpec,
    }

    fn parse(text: &str) -> Result<DistributionSpec, String> {
        parse_yaml::<Doc>(Path::new("e.yaml"), text)
            .map(|d| d.sleep)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_bare_duration_is_a_constant() {
        assert_eq!(
            parse("sleep: 1s").unwrap(),
            DistributionSpec::Constant(Duration(1_000_000_000))
        );
        assert_eq!(
            parse("sleep: 1s").unwrap(),
            parse("sleep: {constant: 1s}").unwrap()
        );
        assert_eq!(
            parse("sleep: 0").unwrap(),
            DistributionSpec::Constant(Duration(0))
        );
    }

    #[test]
    fn the_tagged_forms_keep_their_messages() {
        assert!(matches!(
            parse("sleep: {exponential: {mean: 20ms}}").unwrap(),
            DistributionSpec::Exponential(_)
        ));
        let typo = parse("sleep: {constnt: 1s}").unwrap_err();
        assert!(typo.contains("did you mean `constant`"), "{typo}");
        assert!(typo.contains("e.yaml:1:"), "{typo}");
        let two = parse("sleep: {constant: 1ms, exponential: {mean: 1ms}}").unwrap_err();
        assert!(two.contains("exactly one key"), "{two}");
        let field = parse("sleep: {uniform: {min: 1s, maxx: 2s}}").unwrap_err();
        assert!(field.contains("did you mean `max`"), "{field}");
    }

    #[test]
    fn a_bare_value_that_is_no_duration_says_both_forms() {
        let unitless = parse("sleep: 1").unwrap_err();
        assert!(unitless.contains("has no unit"), "{unitless}");
        let junk = parse("sleep: soon").unwrap_err();
        assert!(junk.contains("{constant: ...}"), "{junk}");
        assert!(junk.contains("exponential"), "{junk}");
    }
}
