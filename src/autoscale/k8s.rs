//! HorizontalPodAutoscaler (autoscaling/v2) manifests as written, and Kubernetes resource
//! quantities.
//!
//! [`parse_hpas`] reads one or more YAML documents (separated by `---`), each a
//! `HorizontalPodAutoscaler`, checks them as the API server would (`validation.go`) and
//! applies the API defaults (`SetDefaults_HorizontalPodAutoscaler`, reference §1.1):
//! `minReplicas` 1, the cpu 80 % metric when `metrics` is empty, and, only when `behavior`
//! is present, every missing field of `scaleUp`/`scaleDown` from the default rules.
//! Unknown fields are rejected everywhere except that the usual `metadata` fields (labels,
//! annotations, uid, ...) and a `status` block are accepted and ignored.

use crate::autoscale::hpa::{
    Behavior, Hpa, MetricSpec, PolicyType, ResourceName, ResourceTarget, ScalingPolicy,
    ScalingRules, SelectPolicy,
};
use crate::error::{FieldError, LoadError};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

// ---------------------------------------------------------------------------------------
// Quantities
// ---------------------------------------------------------------------------------------

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
    let bad = || format!("malformed quantity \"{text}\"; {QUANTITY_HELP}");
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
        return Err(format!("quantity \"{text}\" is too large"));
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
                    format!("unknown suffix \"{other}\" in quantity \"{text}\"; {QUANTITY_HELP}")
                })?;
            let e: i32 = exp.parse().map_err(|_| bad())?;
            if e.abs() > 40 {
                return Err(format!("quantity \"{text}\" is out of range"));
            }
            exp10 += e;
        }
    }
    let too_large = || format!("quantity \"{text}\" is too large (the most is about 9.2e15 units)");
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

// ---------------------------------------------------------------------------------------
// Manifest structs (as written)
// ---------------------------------------------------------------------------------------

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
    pub container_resource: Option<IgnoredAny>,
    pub object: Option<IgnoredAny>,
    pub external: Option<IgnoredAny>,
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
    /// A label selector on the metric; capsim's pods carry one series per metric name, so
    /// it is accepted and not used.
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

/// The first look at each document: only what tells whether it is an HPA.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    api_version: Option<String>,
    kind: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Validation and defaults
// ---------------------------------------------------------------------------------------

fn nearest_hint(given: &str, options: &[&str]) -> String {
    match crate::suggest::nearest(given, options.iter().copied()) {
        Some(n) => format!(" (did you mean \"{n}\"?)"),
        None => String::new(),
    }
}

fn resource_name(name: &str, path: &str) -> Result<ResourceName, FieldError> {
    match name {
        "cpu" => Ok(ResourceName::Cpu),
        "memory" => Ok(ResourceName::Memory),
        other => Err(FieldError::new(
            path,
            format!(
                "capsim simulates the resources \"cpu\" and \"memory\", not \"{other}\"{}",
                nearest_hint(other, &["cpu", "memory"])
            ),
        )),
    }
}

fn positive_quantity(q: Option<Quantity>, path: &str) -> Result<i64, FieldError> {
    match q {
        None => Err(FieldError::new(path, "is required for this target type")),
        Some(q) if q.milli() <= 0 => Err(FieldError::new(path, "must be positive")),
        Some(q) => Ok(q.milli()),
    }
}

fn metric(m: &MetricSpecManifest, path: &str) -> Result<MetricSpec, FieldError> {
    let kinds = [
        "Resource",
        "Pods",
        "Object",
        "External",
        "ContainerResource",
    ];
    match m.kind.as_str() {
        "Resource" => {
            let r = m.resource.as_ref().ok_or_else(|| {
                FieldError::new(
                    format!("{path}.resource"),
                    "must be set when type is Resource",
                )
            })?;
            if m.pods.is_some() {
                return Err(FieldError::new(
                    format!("{path}.pods"),
                    "must be empty when type is Resource",
                ));
            }
            let resource = resource_name(&r.name, &format!("{path}.resource.name"))?;
            let tpath = format!("{path}.resource.target");
            let target = match r.target.kind.as_str() {
                "Utilization" => {
                    if r.target.average_value.is_some() || r.target.value.is_some() {
                        return Err(FieldError::new(
                            &tpath,
                            "a Utilization target takes only averageUtilization",
                        ));
                    }
                    match r.target.average_utilization {
                        None => {
                            return Err(FieldError::new(
                                format!("{tpath}.averageUtilization"),
                                "must be set when type is Utilization",
                            ));
                        }
                        Some(u) if u <= 0 || u > i32::MAX as i64 => {
                            return Err(FieldError::new(
                                format!("{tpath}.averageUtilization"),
                                "must be greater than 0",
                            ));
                        }
                        Some(u) => ResourceTarget::Utilization(u as i32),
                    }
                }
                "AverageValue" => {
                    if r.target.average_utilization.is_some() || r.target.value.is_some() {
                        return Err(FieldError::new(
                            &tpath,
                            "an AverageValue target takes only averageValue",
                        ));
                    }
                    ResourceTarget::AverageValue(positive_quantity(
                        r.target.average_value,
                        &format!("{tpath}.averageValue"),
                    )?)
                }
                "Value" => {
                    return Err(FieldError::new(
                        format!("{tpath}.type"),
                        "must be Utilization or AverageValue for a Resource metric",
                    ));
                }
                other => {
                    return Err(FieldError::new(
                        format!("{tpath}.type"),
                        format!(
                            "unknown target type \"{other}\"; use Utilization or AverageValue{}",
                            nearest_hint(other, &["Utilization", "AverageValue"])
                        ),
                    ));
                }
            };
            Ok(MetricSpec::Resource { resource, target })
        }
        "Pods" => {
            let p = m.pods.as_ref().ok_or_else(|| {
                FieldError::new(format!("{path}.pods"), "must be set when type is Pods")
            })?;
            if m.resource.is_some() {
                return Err(FieldError::new(
                    format!("{path}.resource"),
                    "must be empty when type is Pods",
                ));
            }
            if p.metric.name.trim().is_empty() {
                return Err(FieldError::new(
                    format!("{path}.pods.metric.name"),
                    "must not be empty",
                ));
            }
            let tpath = format!("{path}.pods.target");
            if p.target.kind != "AverageValue" {
                return Err(FieldError::new(
                    format!("{tpath}.type"),
                    format!(
                        "must be AverageValue for a Pods metric, not \"{}\"",
                        p.target.kind
                    ),
                ));
            }
            if p.target.average_utilization.is_some() || p.target.value.is_some() {
                return Err(FieldError::new(
                    &tpath,
                    "an AverageValue target takes only averageValue",
                ));
            }
            Ok(MetricSpec::Pods {
                name: p.metric.name.clone(),
                average_value: positive_quantity(
                    p.target.average_value,
                    &format!("{tpath}.averageValue"),
                )?,
            })
        }
        "Object" | "External" | "ContainerResource" => Err(FieldError::new(
            format!("{path}.type"),
            format!(
                "{} metrics are valid Kubernetes but capsim does not simulate them yet; use Resource (cpu, memory) or Pods metrics",
                m.kind
            ),
        )),
        other => Err(FieldError::new(
            format!("{path}.type"),
            format!(
                "unknown metric source type \"{other}\"; one of {}{}",
                kinds.join(", "),
                nearest_hint(other, &kinds)
            ),
        )),
    }
}

fn rules(
    given: Option<&ScalingRulesManifest>,
    mut defaults: ScalingRules,
    path: &str,
) -> Result<ScalingRules, FieldError> {
    let Some(g) = given else { return Ok(defaults) };
    // copyHPAScalingRules: field by field; a user policy list replaces the default list.
    if let Some(w) = g.stabilization_window_seconds {
        if !(0..=crate::autoscale::hpa::MAX_STABILIZATION_WINDOW_SECONDS as i64).contains(&w) {
            return Err(FieldError::new(
                format!("{path}.stabilizationWindowSeconds"),
                format!(
                    "must be between 0 and {} (one hour)",
                    crate::autoscale::hpa::MAX_STABILIZATION_WINDOW_SECONDS
                ),
            ));
        }
        defaults.stabilization_window_seconds = Some(w as u32);
    }
    if let Some(sp) = &g.select_policy {
        defaults.select_policy = match sp.as_str() {
            "Max" => SelectPolicy::Max,
            "Min" => SelectPolicy::Min,
            "Disabled" => SelectPolicy::Disabled,
            other => {
                return Err(FieldError::new(
                    format!("{path}.selectPolicy"),
                    format!(
                        "must be Max, Min or Disabled, not \"{other}\"{}",
                        nearest_hint(other, &["Max", "Min", "Disabled"])
                    ),
                ));
            }
        };
    }
    if let Some(ps) = &g.policies {
        if ps.is_empty() {
            return Err(FieldError::new(
                format!("{path}.policies"),
                "must specify at least one Policy",
            ));
        }
        let mut out = Vec::with_capacity(ps.len());
        for (i, p) in ps.iter().enumerate() {
            let pp = format!("{path}.policies[{i}]");
            let kind = match p.kind.as_str() {
                "Pods" => PolicyType::Pods,
                "Percent" => PolicyType::Percent,
                other => {
                    return Err(FieldError::new(
                        format!("{pp}.type"),
                        format!(
                            "must be Pods or Percent, not \"{other}\"{}",
                            nearest_hint(other, &["Pods", "Percent"])
                        ),
                    ));
                }
            };
            if p.value <= 0 || p.value > i32::MAX as i64 {
                return Err(FieldError::new(
                    format!("{pp}.value"),
                    "must be greater than zero",
                ));
            }
            let max = crate::autoscale::hpa::MAX_PERIOD_SECONDS as i64;
            if p.period_seconds <= 0 || p.period_seconds > max {
                return Err(FieldError::new(
                    format!("{pp}.periodSeconds"),
                    format!("must be greater than zero and less than or equal to {max}"),
                ));
            }
            out.push(ScalingPolicy {
                kind,
                value: p.value as u32,
                period_seconds: p.period_seconds as u32,
            });
        }
        defaults.policies = out;
    }
    if let Some(t) = g.tolerance {
        if t.milli() < 0 {
            return Err(FieldError::new(
                format!("{path}.tolerance"),
                "must be greater than or equal to 0",
            ));
        }
        defaults.tolerance = Some(t.as_f64());
    }
    Ok(defaults)
}

impl HorizontalPodAutoscaler {
    /// Validates the manifest and applies the API defaults.
    pub fn to_hpa(&self) -> Result<Hpa, FieldError> {
        if self.api_version != "autoscaling/v2" {
            return Err(FieldError::new(
                "apiVersion",
                format!(
                    "must be \"autoscaling/v2\", not \"{}\" (capsim follows the autoscaling/v2 API)",
                    self.api_version
                ),
            ));
        }
        if self.kind != "HorizontalPodAutoscaler" {
            return Err(FieldError::new(
                "kind",
                format!("must be HorizontalPodAutoscaler, not \"{}\"", self.kind),
            ));
        }
        let name = match &self.metadata.name {
            Some(n) if !n.trim().is_empty() => n.clone(),
            _ => return Err(FieldError::new("metadata.name", "is required")),
        };
        let spec = &self.spec;
        if spec.scale_target_ref.kind.trim().is_empty() {
            return Err(FieldError::new("spec.scaleTargetRef.kind", "is required"));
        }
        if spec.scale_target_ref.name.trim().is_empty() {
            return Err(FieldError::new("spec.scaleTargetRef.name", "is required"));
        }
        let min = spec.min_replicas.unwrap_or(1);
        if min < 1 || min > i32::MAX as i64 {
            return Err(FieldError::new(
                "spec.minReplicas",
                "must be at least 1 (0 needs the HPAScaleToZero gate and an Object or External metric, which capsim does not simulate)",
            ));
        }
        if spec.max_replicas < 1 || spec.max_replicas > i32::MAX as i64 {
            return Err(FieldError::new("spec.maxReplicas", "must be at least 1"));
        }
        if spec.max_replicas < min {
            return Err(FieldError::new(
                "spec.maxReplicas",
                format!("must be greater than or equal to `minReplicas` ({min})"),
            ));
        }
        let mut metrics = Vec::with_capacity(spec.metrics.len());
        for (i, m) in spec.metrics.iter().enumerate() {
            metrics.push(metric(m, &format!("spec.metrics[{i}]"))?);
        }
        if metrics.is_empty() {
            metrics.push(MetricSpec::default_cpu());
        }
        let behavior = match &spec.behavior {
            None => None,
            Some(b) => Some(Behavior {
                scale_up: rules(
                    b.scale_up.as_ref(),
                    ScalingRules::default_scale_up(),
                    "spec.behavior.scaleUp",
                )?,
                scale_down: rules(
                    b.scale_down.as_ref(),
                    ScalingRules::default_scale_down(),
                    "spec.behavior.scaleDown",
                )?,
            }),
        };
        let hpa = Hpa {
            name,
            min_replicas: min as u32,
            max_replicas: spec.max_replicas as u32,
            metrics,
            behavior,
        };
        hpa.validate().map_err(|e| e.within("spec"))?;
        Ok(hpa)
    }
}

/// An error from [`parse_hpas`]: a YAML problem with its place, or an invalid field.
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

fn syntax(e: serde_saphyr::Error) -> ManifestError {
    let (line, column) = e
        .location()
        .map(|l| (l.line() as usize, l.column() as usize))
        .unwrap_or((0, 0));
    let full = e.to_string();
    let message = full.lines().next().unwrap_or("").trim().to_string();
    ManifestError::Syntax {
        line,
        column,
        message,
    }
}

/// Parses every `HorizontalPodAutoscaler` document of a multi-document YAML text. Field
/// paths in errors start with `[i]`, the document's index.
pub fn parse_hpas(text: &str) -> Result<Vec<Hpa>, ManifestError> {
    Ok(parse_hpas_with_targets(text)?
        .into_iter()
        .map(|(_, h)| h)
        .collect())
}

/// Like [`parse_hpas`], with each HPA's `scaleTargetRef.name` (the Deployment it scales).
pub fn parse_hpas_with_targets(text: &str) -> Result<Vec<(String, Hpa)>, ManifestError> {
    let probes: Vec<Probe> = serde_saphyr::from_multiple(text).map_err(syntax)?;
    if probes.is_empty() {
        return Err(ManifestError::Invalid(FieldError::new(
            "",
            "no YAML documents; expected one or more HorizontalPodAutoscaler manifests",
        )));
    }
    for (i, p) in probes.iter().enumerate() {
        if p.kind.as_deref() != Some("HorizontalPodAutoscaler") {
            return Err(ManifestError::Invalid(FieldError::new(
                format!("[{i}].kind"),
                format!(
                    "expected HorizontalPodAutoscaler, found {}; keep only HPA manifests in this file",
                    p.kind.as_deref().unwrap_or("no kind")
                ),
            )));
        }
        if p.api_version.is_none() {
            return Err(ManifestError::Invalid(FieldError::new(
                format!("[{i}].apiVersion"),
                "is required (autoscaling/v2)",
            )));
        }
    }
    let docs: Vec<HorizontalPodAutoscaler> = serde_saphyr::from_multiple(text).map_err(syntax)?;
    let mut out = Vec::with_capacity(docs.len());
    for (i, d) in docs.iter().enumerate() {
        let hpa = d
            .to_hpa()
            .map_err(|e| ManifestError::Invalid(e.within(&format!("[{i}]"))))?;
        if out.iter().any(|(_, h): &(String, Hpa)| h.name == hpa.name) {
            return Err(ManifestError::Invalid(FieldError::new(
                format!("[{i}].metadata.name"),
                format!("another HPA in this file is already named \"{}\"", hpa.name),
            )));
        }
        out.push((d.spec.scale_target_ref.name.clone(), hpa));
    }
    Ok(out)
}

/// Reads and parses an HPA manifest file.
pub fn load_hpas(path: &Path) -> Result<Vec<Hpa>, LoadError> {
    Ok(load_hpas_with_targets(path)?
        .into_iter()
        .map(|(_, h)| h)
        .collect())
}

/// Reads and parses an HPA manifest file: each HPA with the Deployment it scales.
pub fn load_hpas_with_targets(path: &Path) -> Result<Vec<(String, Hpa)>, LoadError> {
    let text = crate::spec::read::read_text(path)?;
    parse_hpas_with_targets(&text).map_err(|e| e.in_file(path))
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
