//! The Kubernetes side of a model: manifest files as `kubectl apply -f` takes them. Each
//! Deployment (or StatefulSet) binds to a service by name (the service's `deployment`, or
//! `kubernetes.deployments`), and its `spec.replicas` and containers' cpu and memory
//! requests (a limit standing in for a missing request, as the API server defaults it)
//! replace the service's; each HPA binds to the service its `scaleTargetRef` names; other
//! kinds are listed in a note and skipped.

use super::{ManifestReader, check_range};
use crate::autoscale::hpa::ControllerConfig;
use crate::autoscale::k8s::{hpas_with_targets, unknown_metric_notes};
use crate::error::FieldError;
use crate::model::{HpaBinding, Kubernetes, Provider, Station, StationKind};
use crate::spec::confine::Files;
use crate::spec::k8s_manifests::{Manifest, Workload, parse_manifests};
use crate::spec::model::KubernetesSpec;
use crate::suggest::unknown_name;
use crate::time::Nanos;

fn controller_config(spec: &KubernetesSpec) -> Result<(ControllerConfig, Nanos), FieldError> {
    let mut config = ControllerConfig::default();
    let dur = |d: Option<crate::time::Duration>, default: Nanos| d.map(|d| d.0).unwrap_or(default);
    config.sync_period = dur(spec.sync_period, config.sync_period);
    if config.sync_period == 0 {
        return Err(FieldError::new(
            "kubernetes.sync_period",
            "must be above zero (the controller's default is 15s)",
        ));
    }
    if let Some(t) = spec.tolerance {
        check_range("kubernetes.tolerance", t, 0.0, 1.0)?;
        config.tolerance = t;
    }
    config.cpu_initialization_period = dur(
        spec.cpu_initialization_period,
        config.cpu_initialization_period,
    );
    config.initial_readiness_delay =
        dur(spec.initial_readiness_delay, config.initial_readiness_delay);
    config.downscale_stabilization =
        dur(spec.downscale_stabilization, config.downscale_stabilization);
    let scrape_interval = dur(spec.scrape_interval, 15 * crate::time::NANOS_PER_SEC);
    let metrics_window = dur(spec.metrics_window, 30 * crate::time::NANOS_PER_SEC);
    if scrape_interval == 0
        || metrics_window < scrape_interval
        || metrics_window % scrape_interval != 0
    {
        return Err(FieldError::new(
            "kubernetes.metrics_window",
            "the metrics window must be a whole multiple (1 or more) of the scrape interval, e.g. 15s and 30s",
        ));
    }
    config.metric_window = metrics_window;
    Ok((config, scrape_interval))
}

/// The service a Deployment or HPA target named `target` is.
fn station_of(target: &str, spec: &KubernetesSpec, stations: &[Station]) -> Result<usize, String> {
    let services = || {
        stations
            .iter()
            .filter(|s| s.kind == StationKind::Service)
            .map(|s| s.name.as_str())
    };
    if let Some(service) = spec.deployments.get(target) {
        return stations
            .iter()
            .position(|s| s.kind == StationKind::Service && &s.name == service)
            .ok_or_else(|| {
                format!(
                    "kubernetes.deployments maps `{target}` to {}",
                    unknown_name("service", service, services())
                )
            });
    }
    stations
        .iter()
        .position(|s| s.kind == StationKind::Service && s.deployment == target)
        .ok_or_else(|| {
            format!(
                "set `deployment: {target}` on the service it runs, or map it with `kubernetes.deployments: {{{target}: SERVICE}}` ({})",
                unknown_name(
                    "deployment",
                    target,
                    stations.iter().map(|s| s.deployment.as_str())
                )
            )
        })
}

/// Applies a Deployment's replicas and requests to its service; returns what changed.
fn apply_workload(w: &Workload, station: &mut Station, at: &str) -> Result<String, FieldError> {
    let mut changed = Vec::new();
    let Some(spec) = &w.spec else {
        return Ok(String::new());
    };
    if let Some(r) = spec.replicas {
        if !(1..=i64::from(super::MAX_REPLICAS)).contains(&r) {
            return Err(FieldError::new(
                format!("{at}.spec.replicas"),
                format!(
                    "must be 1 to {} (capsim simulates a running service)",
                    super::MAX_REPLICAS
                ),
            ));
        }
        station.replicas = r as u32;
        changed.push(format!("replicas {r}"));
    }
    let containers = spec
        .template
        .as_ref()
        .map(|t| t.spec.containers.as_slice())
        .unwrap_or_default();
    let sum = |resource: &str| -> Option<i64> {
        let each: Vec<Option<i64>> = containers
            .iter()
            .map(|c| c.resources.request(resource).map(|q| q.milli()))
            .collect();
        // The HPA needs every container's request; with one missing the service keeps its own.
        (!each.is_empty() && each.iter().all(Option::is_some)).then(|| each.iter().flatten().sum())
    };
    if let Some(cpu) = sum("cpu") {
        if cpu <= 0 {
            return Err(FieldError::new(
                format!("{at}.spec.template.spec.containers"),
                "a CPU request of 0 makes utilization undefined",
            ));
        }
        station.resources.cpu_request_milli = Some(cpu);
        changed.push(format!("cpu request {cpu}m"));
    }
    if let Some(mem) = sum("memory") {
        let bytes = mem / 1000;
        if station.resources.memory_request_bytes.is_none()
            && station.resources.memory_base_bytes == 0
        {
            station.resources.memory_base_bytes = bytes / 2;
        }
        station.resources.memory_request_bytes = Some(bytes);
        changed.push(format!("memory request {bytes} bytes"));
    }
    Ok(changed.join(", "))
}

/// A workload's containers: (name, cpu request in millicores, memory request in bytes).
fn containers(w: &Workload) -> Vec<(String, Option<i64>, Option<i64>)> {
    w.spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .map(|t| {
            t.spec
                .containers
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    (
                        c.name.clone().unwrap_or_else(|| format!("container-{i}")),
                        c.resources.request("cpu").map(|q| q.milli()),
                        c.resources.request("memory").map(|q| q.value()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Loads the manifests, applies Deployments to their services and binds each HPA.
pub(super) fn kubernetes(
    spec: &KubernetesSpec,
    stations: &mut [Station],
    providers: &[Provider],
    files: &Files,
    manifests: ManifestReader<'_>,
    notes: &mut Vec<String>,
) -> Result<Kubernetes, FieldError> {
    let (config, scrape_interval) = controller_config(spec)?;
    let metrics_window = config.metric_window;
    let mut hpas: Vec<HpaBinding> = Vec::new();
    let mut skipped = Vec::new();
    let mut workload_containers = std::collections::BTreeMap::new();
    let mut targets = Vec::new();
    let lists = spec
        .hpa_manifests
        .iter()
        .enumerate()
        .map(|(i, f)| (format!("kubernetes.hpa_manifests[{i}]"), f))
        .chain(
            spec.manifests
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("kubernetes.manifests[{i}]"), f)),
        );
    for (path, file) in lists {
        let full = files.resolve(file).map_err(|e| FieldError::new(&path, e))?;
        let text = manifests(&full).map_err(|e| FieldError::new(&path, e))?;
        let fail = |e: crate::spec::k8s::ManifestError| {
            FieldError::new(&path, format!("{}", e.in_file(&full)))
        };
        let docs = parse_manifests(&text).map_err(fail)?;
        let mut hpa_docs = Vec::new();
        for d in docs {
            let at = format!("[{}]", d.index);
            match d.manifest {
                Manifest::Hpa(h) => hpa_docs.push(*h),
                Manifest::Workload(w) => {
                    let name = w.metadata.name.clone().unwrap_or_default();
                    workload_containers.insert(name.clone(), containers(&w));
                    match station_of(&name, spec, stations) {
                        Ok(s) => {
                            let what = apply_workload(&w, &mut stations[s], &at)
                                .map_err(|e| FieldError::new(&path, format!("{}", crate::error::LoadError::invalid(&full, e))))?;
                            if !what.is_empty() {
                                notes.push(format!(
                                    "{file}:{}: {} `{name}` sets service `{}`: {what} (instead of the model's values)",
                                    d.line, w.kind, stations[s].name
                                ));
                            }
                        }
                        Err(_) => notes.push(format!(
                            "{file}:{}: {} `{name}` runs no service of the model; skipped (map it with `kubernetes.deployments: {{{name}: SERVICE}}`)",
                            d.line, w.kind
                        )),
                    }
                }
                Manifest::Other {
                    kind,
                    api_version,
                    name,
                } => skipped.push(format!(
                    "{file}:{} {kind} {}({api_version})",
                    d.line,
                    name.map(|n| format!("`{n}` ")).unwrap_or_default()
                )),
            }
        }
        let loaded = hpas_with_targets(&hpa_docs).map_err(fail)?;
        for (target, hpa) in loaded {
            notes.extend(unknown_metric_notes(&hpa));
            let station = station_of(&target, spec, stations).map_err(|why| {
                FieldError::new(
                    &path,
                    format!(
                        "HPA `{}` targets deployment `{target}`, which no service is; {why}",
                        hpa.name
                    ),
                )
            })?;
            if hpas.iter().any(|b: &HpaBinding| b.station == station) {
                return Err(FieldError::new(
                    &path,
                    format!("two HPAs target deployment `{target}`; keep one"),
                ));
            }
            targets.push(target.clone());
            hpas.push(HpaBinding {
                station,
                containers: Vec::new(),
                hpa,
                metric_sources: Vec::new(),
            });
        }
    }
    let list: Vec<&crate::autoscale::hpa::Hpa> = hpas.iter().map(|b| &b.hpa).collect();
    let sources = super::k8s_metrics::bind_metrics(&spec.metrics, &list, stations, providers)?;
    for ((b, s), target) in hpas.iter_mut().zip(sources).zip(&targets) {
        b.metric_sources = s;
        // A Deployment in any of the files gives the pods their containers.
        b.containers = workload_containers.get(target).cloned().unwrap_or_default();
    }
    if !skipped.is_empty() {
        notes.push(format!(
            "Kubernetes manifests: capsim reads HorizontalPodAutoscaler, Deployment and StatefulSet; skipped {}",
            skipped.join(", ")
        ));
    }
    Ok(Kubernetes {
        config,
        scrape_interval,
        metrics_window,
        hpas,
    })
}
