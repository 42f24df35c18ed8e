//! The serde mirror of a k6 scenario as written (k6 field names, every field optional) and
//! reading one from `k6 inspect` JSON with the path of the first bad field.
//!
//! [`ScenarioSpec`] mirrors one entry of k6's `options.scenarios`, as written in a YAML
//! experiment or printed by `k6 inspect` (every field optional, JSON `null` = unset).
//! Applying the k6 v1.8.1 defaults and validation rules (reference section 4.3/4.4) to
//! produce a validated scenario is the workload layer's job (its `validate` module).
//!
//! Executors: `shared-iterations`, `per-vu-iterations`, `constant-vus`, `ramping-vus`,
//! `constant-arrival-rate`, `ramping-arrival-rate`, and one capsim extension that is **not a
//! k6 executor**: `poisson-arrival-rate` {`rate`, `timeUnit` = 1s, `duration`,
//! `preAllocatedVUs`, `maxVUs` = preAllocatedVUs}, an open model whose iterations arrive
//! with exponential gaps of mean `timeUnit/rate` (for queueing-theory checks; `rate` may be
//! fractional). `externally-controlled` is rejected: it needs a live operator, and k6 2.x
//! removed it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, IgnoredAny};

use crate::error::FieldError;
use crate::time::Duration;

/// One k6 scenario as written (k6 camelCase field names). Every field is optional here;
/// validation decides what is required for the chosen executor.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    #[serde(default)]
    pub executor: Option<String>,
    #[serde(default, rename = "startTime")]
    pub start_time: Option<Duration>,
    #[serde(default, rename = "gracefulStop")]
    pub graceful_stop: Option<Duration>,
    #[serde(default)]
    pub exec: Option<String>,
    #[serde(default)]
    pub env: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "opt_count")]
    pub vus: Option<u64>,
    #[serde(default)]
    pub duration: Option<Duration>,
    #[serde(default, deserialize_with = "opt_count")]
    pub iterations: Option<u64>,
    #[serde(default, rename = "maxDuration")]
    pub max_duration: Option<Duration>,
    #[serde(default, rename = "startVUs", deserialize_with = "opt_count")]
    pub start_vus: Option<u64>,
    #[serde(default)]
    pub stages: Option<Vec<StageSpec>>,
    #[serde(default, rename = "gracefulRampDown")]
    pub graceful_ramp_down: Option<Duration>,
    /// Iterations per `timeUnit`: a whole number for the k6 executors, any positive number
    /// for `poisson-arrival-rate`.
    #[serde(default)]
    pub rate: Option<f64>,
    #[serde(default, rename = "timeUnit")]
    pub time_unit: Option<Duration>,
    #[serde(default, rename = "preAllocatedVUs", deserialize_with = "opt_count")]
    pub pre_allocated_vus: Option<u64>,
    #[serde(default, rename = "maxVUs", deserialize_with = "opt_count")]
    pub max_vus: Option<u64>,
    #[serde(default, rename = "startRate", deserialize_with = "opt_count")]
    pub start_rate: Option<u64>,
    /// k6 browser options (`options: {browser: {type: chromium}}`): accepted and ignored.
    #[serde(default)]
    pub options: Option<IgnoredAny>,
}

/// One stage `{duration, target}` as written; both are required by validation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    #[serde(default)]
    pub duration: Option<Duration>,
    #[serde(default, deserialize_with = "opt_count")]
    pub target: Option<u64>,
}

/// A count field: a whole number >= 0, or null.
fn opt_count<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct Opt;
    struct Count;
    const WANT: &str = "a whole number >= 0";
    impl<'de> de::Visitor<'de> for Count {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(WANT)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom(format!("{v} is negative; write {WANT}")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
            if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 {
                Ok(v as u64)
            } else {
                Err(E::custom(format!("{v} is not {WANT}")))
            }
        }
    }
    impl<'de> de::Visitor<'de> for Opt {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "{WANT} or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(Count).map(Some)
        }
    }
    d.deserialize_option(Opt)
}

fn err(path: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(path, message)
}

impl ScenarioSpec {
    /// The executor-specific fields that are set (not null).
    pub fn present_fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut add = |set: bool, name: &'static str| {
            if set {
                out.push(name);
            }
        };
        add(self.vus.is_some(), "vus");
        add(self.duration.is_some(), "duration");
        add(self.iterations.is_some(), "iterations");
        add(self.max_duration.is_some(), "maxDuration");
        add(self.start_vus.is_some(), "startVUs");
        add(self.stages.is_some(), "stages");
        add(self.graceful_ramp_down.is_some(), "gracefulRampDown");
        add(self.rate.is_some(), "rate");
        add(self.time_unit.is_some(), "timeUnit");
        add(self.pre_allocated_vus.is_some(), "preAllocatedVUs");
        add(self.max_vus.is_some(), "maxVUs");
        add(self.start_rate.is_some(), "startRate");
        out
    }
}

/// Deserializes one scenario from a JSON value, with the field path of the first bad
/// field in the error (serde_json alone does not say which field failed).
pub fn scenario_from_json(value: &serde_json::Value) -> Result<ScenarioSpec, FieldError> {
    let whole = match ScenarioSpec::deserialize(value) {
        Ok(spec) => return Ok(spec),
        Err(e) => e,
    };
    let Some(map) = value.as_object() else {
        return Err(err(
            "",
            format!("a scenario must be an object of k6 scenario fields: {whole}"),
        ));
    };
    for (key, field) in map {
        let single =
            serde_json::Value::Object([(key.clone(), field.clone())].into_iter().collect());
        if let Err(e) = ScenarioSpec::deserialize(&single) {
            if key == "stages"
                && let Some(items) = field.as_array()
            {
                for (i, item) in items.iter().enumerate() {
                    if let Err(e) = StageSpec::deserialize(item) {
                        return Err(err(&format!("stages[{i}]"), e.to_string()));
                    }
                }
            }
            return Err(err(key, e.to_string()));
        }
    }
    Err(err("", whole.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_type_errors_name_the_field() {
        let e = scenario_from_json(
            &serde_json::from_str(r#"{"executor": "constant-vus", "vus": -3, "duration": "1m"}"#)
                .unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.path, "vus");
        assert!(e.message.contains(">= 0"), "{e}");
        let e = scenario_from_json(
            &serde_json::from_str(
                r#"{"executor": "ramping-vus", "stages": [{"duration": "1s", "target": 1},
                    {"duration": "5", "target": 2}]}"#,
            )
            .unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.path, "stages[1]");
        assert!(e.message.contains("unit"), "{e}");
    }
}
