//! Kubernetes documents as written: resource quantities ([`Quantity`]), the serde mirror of
//! `HorizontalPodAutoscaler` manifests (autoscaling/v2, v2beta2 and v1), and the HPAs of a
//! multi-document YAML text (split and sorted by kind in `k8s_manifests`).
//!
//! Unknown fields are rejected everywhere except that the usual `metadata` fields (labels,
//! annotations, uid, ...) and a `status` block are accepted and ignored. Checking the
//! manifests as the API server would, and applying its defaults, is the controller's side
//! (`autoscale::k8s`).

use crate::error::{FieldError, LoadError};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// A Kubernetes resource quantity (`"500m"`, `"1"`, `"256Mi"`, `"1.5Gi"`, `"100"`, `"1e3"`),
/// held in milli-units as the HPA controller reads it (`MilliValue()`, rounded up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity {
    milli: i64,
}

impl Quantity {
    pub fn from_milli(milli: i64) -> Self {
        Quantity { milli }
    }
    /// Milli-units: millicores for cpu, milli-bytes for memory.
    pub fn milli(self) -> i64 {
        self.milli
    }
    /// Whole units rounded up (`Value()`): cores, bytes.
    pub fn value(self) -> i64 {
        self.milli.div_euclid(1000) + i64::from(self.milli.rem_euclid(1000) != 0)
    }
    pub fn as_f64(self) -> f64 {
        self.milli as f64 / 1000.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.milli % 1000 == 0 {
            write!(f, "{}", self.milli / 1000)
        } else {
            write!(f, "{}m", self.milli)
        }
    }
}

const QUANTITY_HELP: &str = "write a Kubernetes quantity such as \"500m\", \"1\", \"1.5\", \"256Mi\", \"1Gi\" or \"100\" (suffixes: m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or an exponent e3)";

/// Parses a Kubernetes quantity into milli-units, rounding a fraction of a milli-unit up
/// as `Quantity.MilliValue()` does.
pub fn parse_quantity(text: &str) -> Result<Quantity, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err(format!("empty quantity; {QUANTITY_HELP}"));
    }
    let shown = crate::spec::confine::sanitize(text, 40);
    let bad = || format!("malformed quantity \"{shown}\"; {QUANTITY_HELP}");
    let (negative, rest) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let num_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(num_end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return Err(bad());
    }
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return Err(format!("quantity \"{shown}\" is too large"));
    }
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| bad())?
    };
    // value = mantissa * 10^exp10 * 2^exp2, then * 1000 for milli-units.
    let mut exp10: i32 = -(frac_part.len() as i32) + 3;
    let mut exp2: u32 = 0;
    match suffix {
        "" => {}
        "n" => exp10 -= 9,
        "u" => exp10 -= 6,
        "m" => exp10 -= 3,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        "Ki" => exp2 = 10,
        "Mi" => exp2 = 20,
        "Gi" => exp2 = 30,
        "Ti" => exp2 = 40,
        "Pi" => exp2 = 50,
        "Ei" => exp2 = 60,
        other => {
            let exp = other
                .strip_prefix('e')
                .or_else(|| other.strip_prefix('E'))
                .ok_or_else(|| {
                    format!(
                        "unknown suffix \"{}\" in quantity \"{shown}\"; {QUANTITY_HELP}",
                        crate::spec::confine::sanitize(other, 10)
                    )
                })?;
            let e: i32 = exp.parse().map_err(|_| bad())?;
            if e.abs() > 40 {
                return Err(format!("quantity \"{shown}\" is out of range"));
            }
            exp10 += e;
        }
    }
    let too_large =
        || format!("quantity \"{shown}\" is too large (the most is about 9.2e15 units)");
    let mut value = mantissa.checked_mul(1i128 << exp2).ok_or_else(too_large)?;
    if exp10 >= 0 {
        for _ in 0..exp10 {
            value = value.checked_mul(10).ok_or_else(too_large)?;
        }
    } else {
        let mut div: i128 = 1;
        for _ in 0..(-exp10) {
            div = div.saturating_mul(10);
        }
        // Round up (away from zero for positive values), as MilliValue does.
        value = (value + div - 1) / div;
    }
    if value > i64::MAX as i128 {
        return Err(too_large());
    }
    let milli = value as i64;
    Ok(Quantity {
        milli: if negative { -milli } else { milli },
    })
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Kubernetes quantity such as \"500m\", \"1\" or \"256Mi\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
                parse_quantity(v).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
                parse_quantity(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
                parse_quantity(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
                if !v.is_finite() {
                    return Err(E::custom("a quantity must be a finite number"));
                }
                parse_quantity(&format!("{v}")).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl serde::Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A `HorizontalPodAutoscaler` document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HorizontalPodAutoscaler {
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    pub spec: HpaSpec,
    /// `kubectl get -o yaml` output carries a status; it is ignored.
    #[serde(default)]
    pub status: Option<IgnoredAny>,
}

/// `metadata`: name and namespace are kept; the other standard fields are accepted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectMeta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub generate_name: Option<IgnoredAny>,
    pub uid: Option<IgnoredAny>,
    pub resource_version: Option<IgnoredAny>,
    pub generation: Option<IgnoredAny>,
    pub creation_timestamp: Option<IgnoredAny>,
    pub deletion_timestamp: Option<IgnoredAny>,
    pub deletion_grace_period_seconds: Option<IgnoredAny>,
    pub owner_references: Option<IgnoredAny>,
    pub finalizers: Option<IgnoredAny>,
    pub managed_fields: Option<IgnoredAny>,
    pub self_link: Option<IgnoredAny>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HpaSpec {
    pub scale_target_ref: CrossVersionObjectReference,
    pub min_replicas: Option<i64>,
    pub max_replicas: i64,
    /// autoscaling/v1 only: converted to a cpu `Utilization` metric.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    pub target_cpu_utilization_percentage: Option<i64>,
    #[serde(default)]
    pub metrics: Vec<MetricSpecManifest>,
    pub behavior: Option<BehaviorManifest>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CrossVersionObjectReference {
    pub api_version: Option<String>,
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricSpecManifest {
    #[serde(rename = "type")]
    pub kind: String,
    pub resource: Option<ResourceMetricSource>,
    pub pods: Option<PodsMetricSource>,
    pub container_resource: Option<ContainerResourceMetricSource>,
    pub object: Option<ObjectMetricSource>,
    pub external: Option<ExternalMetricSource>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerResourceMetricSource {
    pub name: String,
    pub container: String,
    pub target: MetricTargetManifest,
}

/// `object`: a metric describing one Kubernetes object (an Ingress's request rate, a
/// queue's length published on a Service, ...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectMetricSource {
    pub described_object: CrossVersionObjectReference,
    pub metric: MetricIdentifier,
    pub target: MetricTargetManifest,
}

/// `external`: a metric from outside the cluster (a cloud queue's depth, ...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalMetricSource {
    pub metric: MetricIdentifier,
    pub target: MetricTargetManifest,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceMetricSource {
    pub name: String,
    pub target: MetricTargetManifest,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodsMetricSource {
    pub metric: MetricIdentifier,
    pub target: MetricTargetManifest,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricIdentifier {
    pub name: String,
    /// A label selector on the metric; capsim serves one series per metric name (the
    /// model's `kubernetes.metrics` binding), so it is accepted and not used.
    pub selector: Option<IgnoredAny>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricTargetManifest {
    #[serde(rename = "type")]
    pub kind: String,
    pub average_utilization: Option<i64>,
    pub average_value: Option<Quantity>,
    pub value: Option<Quantity>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BehaviorManifest {
    pub scale_up: Option<ScalingRulesManifest>,
    pub scale_down: Option<ScalingRulesManifest>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingRulesManifest {
    pub stabilization_window_seconds: Option<i64>,
    pub select_policy: Option<String>,
    pub policies: Option<Vec<ScalingPolicyManifest>>,
    pub tolerance: Option<Quantity>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingPolicyManifest {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: i64,
    pub period_seconds: i64,
}

/// An error from parsing HPA manifests: a YAML problem with its place, or an invalid field.
#[derive(Debug, Clone, PartialEq)]
pub enum ManifestError {
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    Invalid(FieldError),
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Syntax {
                line,
                column,
                message,
            } => write!(f, "{line}:{column}: {message}"),
            ManifestError::Invalid(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ManifestError {}

impl ManifestError {
    /// Attaches the file name.
    pub fn in_file(self, path: &Path) -> LoadError {
        match self {
            ManifestError::Syntax {
                line,
                column,
                message,
            } => LoadError::Syntax {
                file: path.to_path_buf(),
                line,
                column,
                message,
            },
            ManifestError::Invalid(e) => LoadError::invalid(path, e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        let m = |s: &str| parse_quantity(s).unwrap().milli();
        assert_eq!(m("500m"), 500);
        assert_eq!(m("1"), 1000);
        assert_eq!(m("1.5"), 1500);
        assert_eq!(m("100"), 100_000);
        assert_eq!(m("256Mi"), 256 * 1024 * 1024 * 1000);
        assert_eq!(m("1Gi"), 1024 * 1024 * 1024 * 1000);
        assert_eq!(m("2k"), 2_000_000);
        assert_eq!(m("1e3"), 1_000_000);
        assert_eq!(m("0.1m"), 1); // rounded up
        assert_eq!(m("15.0"), 15000);
        assert!(parse_quantity("12x").is_err());
        assert!(parse_quantity("").is_err());
        assert!(parse_quantity("1..2").is_err());
        assert!(parse_quantity("99999999999Ei").is_err());
    }
}
