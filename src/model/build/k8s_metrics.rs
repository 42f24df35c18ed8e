//! `kubernetes.metrics`: what the metrics adapter serves for each `Object` and `External`
//! metric the HPAs name, bound to a simulated quantity (a queue's backlog, a service's or a
//! provider's request rate) or to a series. Every Object/External metric needs a binding,
//! and every binding a metric; unknown names get "did you mean".

use crate::autoscale::hpa::{Hpa, MetricSpec};
use crate::error::FieldError;
use crate::model::{MetricSource, Provider, Station};
use crate::spec::model::MetricBindingSpec;
use crate::suggest::unknown_name;
use std::collections::BTreeMap;

const SOURCES: &str = "queue_length: STATION, request_rate: STATION, provider_rate: PROVIDER or series: [{at: 0s, value: \"10\"}, ...]";

/// The name of an Object or External metric.
pub(super) fn bound_name(m: &MetricSpec) -> Option<&str> {
    match m {
        MetricSpec::Object { name, .. } | MetricSpec::External { name, .. } => Some(name),
        _ => None,
    }
}

fn source(
    name: &str,
    b: &MetricBindingSpec,
    stations: &[Station],
    providers: &[Provider],
) -> Result<MetricSource, FieldError> {
    let path = format!("kubernetes.metrics.{name}");
    let given = [
        b.queue_length.is_some(),
        b.request_rate.is_some(),
        b.provider_rate.is_some(),
        b.series.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if given != 1 {
        return Err(FieldError::new(
            &path,
            format!("give exactly one of {SOURCES}"),
        ));
    }
    let station = |s: &str, field: &str| {
        stations.iter().position(|st| st.name == s).ok_or_else(|| {
            FieldError::new(
                format!("{path}.{field}"),
                unknown_name(
                    "service or job queue",
                    s,
                    stations.iter().map(|x| x.name.as_str()),
                ),
            )
        })
    };
    if let Some(s) = &b.queue_length {
        return Ok(MetricSource::QueueLength(station(s, "queue_length")?));
    }
    if let Some(s) = &b.request_rate {
        return Ok(MetricSource::RequestRate(station(s, "request_rate")?));
    }
    if let Some(p) = &b.provider_rate {
        return providers
            .iter()
            .position(|x| &x.name == p)
            .map(MetricSource::ProviderRate)
            .ok_or_else(|| {
                FieldError::new(
                    format!("{path}.provider_rate"),
                    unknown_name("provider", p, providers.iter().map(|x| x.name.as_str())),
                )
            });
    }
    let points = b.series.as_deref().unwrap_or_default();
    if points.is_empty() {
        return Err(FieldError::new(
            format!("{path}.series"),
            "needs at least one point, e.g. [{at: 0s, value: \"10\"}]",
        ));
    }
    let mut out = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        if let Some(&(last, _)) = out.last()
            && p.at.0 <= last
        {
            return Err(FieldError::new(
                format!("{path}.series[{i}].at"),
                "points must be in increasing time order",
            ));
        }
        if p.value.milli() < 0 {
            return Err(FieldError::new(
                format!("{path}.series[{i}].value"),
                "must not be negative",
            ));
        }
        out.push((p.at.0, p.value.milli()));
    }
    Ok(MetricSource::Series(out))
}

/// For each HPA, its metrics' value sources (per effective metric), checking that every
/// Object/External metric is bound and every binding used.
pub(super) fn bind_metrics(
    bindings: &BTreeMap<String, MetricBindingSpec>,
    hpas: &[&Hpa],
    stations: &[Station],
    providers: &[Provider],
) -> Result<Vec<Vec<Option<MetricSource>>>, FieldError> {
    let used: Vec<&str> = hpas
        .iter()
        .flat_map(|h| h.metrics.iter().filter_map(bound_name))
        .collect();
    for name in bindings.keys() {
        if !used.contains(&name.as_str()) {
            let msg = if used.is_empty() {
                format!(
                    "no HPA has an Object or External metric named `{name}`; the HPAs have none, so remove `kubernetes.metrics`"
                )
            } else {
                unknown_name("Object or External metric", name, used.iter().copied())
            };
            return Err(FieldError::new(format!("kubernetes.metrics.{name}"), msg));
        }
    }
    let mut resolved = BTreeMap::new();
    for (name, b) in bindings {
        resolved.insert(name.as_str(), source(name, b, stations, providers)?);
    }
    let mut out = Vec::with_capacity(hpas.len());
    for h in hpas {
        let mut per = Vec::new();
        for m in h.effective_metrics() {
            let Some(name) = bound_name(&m) else {
                per.push(None);
                continue;
            };
            let Some(src) = resolved.get(name) else {
                let kind = if matches!(m, MetricSpec::External { .. }) {
                    "External"
                } else {
                    "Object"
                };
                let hint = match crate::suggest::nearest(name, bindings.keys().map(String::as_str))
                {
                    Some(n) => format!(" (did you mean to name the binding `{n}` `{name}`?)"),
                    None => String::new(),
                };
                return Err(FieldError::new(
                    "kubernetes.metrics",
                    format!(
                        "HPA `{}` has the {kind} metric `{name}`, which nothing serves{hint}; bind it: `kubernetes.metrics: {{{name}: {{queue_length: STATION}}}}` (or request_rate, provider_rate, series)",
                        h.name
                    ),
                ));
            };
            per.push(Some(src.clone()));
        }
        out.push(per);
    }
    Ok(out)
}
