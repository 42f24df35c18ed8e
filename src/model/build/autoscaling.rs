//! Autoscaling and platform settings of a model: Kubernetes HPAs bound to services, AWS
//! groups and read-replica rules, the ALB health check, and the Kubernetes resource
//! quantities of a replica.

use super::{ManifestReader, check_range};
use crate::autoscale::aws::convert::{parse_asg_json, parse_scaling_policies_yaml};
use crate::autoscale::health::HealthCheckConfig;
use crate::autoscale::hpa::ControllerConfig;
use crate::autoscale::k8s::parse_hpas_with_targets;
use crate::error::{FieldError, join_path};
use crate::model::{
    AsgBinding, AsgPolicy, AsgPolicyKind, Aws, AwsMetric, HpaBinding, Kubernetes,
    ReadReplicaBinding, Resources, Station, StationKind,
};
use crate::spec::confine::Files;
use crate::spec::k8s::parse_quantity;
use crate::spec::model::{AwsSpec, HealthCheckSpec, KubernetesSpec, ModelSpec, ResourcesSpec};
use crate::suggest::unknown_name;
use crate::time::Nanos;

/// Parses a Kubernetes quantity field into milli-units.
fn quantity_milli(text: &str, path: &str) -> Result<i64, FieldError> {
    let q = parse_quantity(text).map_err(|m| FieldError::new(path, m))?;
    if q.milli() < 0 {
        return Err(FieldError::new(path, "must not be negative"));
    }
    Ok(q.milli())
}

pub(super) fn resources(spec: Option<&ResourcesSpec>, path: &str) -> Result<Resources, FieldError> {
    let Some(r) = spec else {
        return Ok(Resources {
            cpu_per_work_milli: 1000,
            ..Resources::default()
        });
    };
    let field = |v: &Option<String>, f: &str| -> Result<Option<i64>, FieldError> {
        v.as_deref()
            .map(|t| quantity_milli(t, &join_path(path, f)))
            .transpose()
    };
    let cpu = field(&r.cpu, "cpu")?;
    if cpu == Some(0) {
        return Err(FieldError::new(
            join_path(path, "cpu"),
            "a CPU request of 0 makes utilization undefined; leave it out or give e.g. `500m`",
        ));
    }
    let memory = field(&r.memory, "memory")?.map(|m| m / 1000);
    let per_work = field(&r.cpu_per_work, "cpu_per_work")?.unwrap_or(1000);
    let base = field(&r.memory_base, "memory_base")?
        .map(|m| m / 1000)
        .unwrap_or(memory.unwrap_or(0) / 2);
    let per_request = field(&r.memory_per_request, "memory_per_request")?
        .map(|m| m / 1000)
        .unwrap_or(0);
    Ok(Resources {
        cpu_request_milli: cpu,
        memory_request_bytes: memory,
        cpu_per_work_milli: per_work,
        memory_base_bytes: base,
        memory_per_request_bytes: per_request,
    })
}

/// Loads the HPA manifests and binds each to the service whose deployment it targets.
pub(super) fn kubernetes(
    spec: &KubernetesSpec,
    stations: &[Station],
    files: &Files,
    manifests: ManifestReader<'_>,
) -> Result<Kubernetes, FieldError> {
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
    let mut hpas = Vec::new();
    for (i, file) in spec.hpa_manifests.iter().enumerate() {
        let path = format!("kubernetes.hpa_manifests[{i}]");
        let full = files.resolve(file).map_err(|e| FieldError::new(&path, e))?;
        let text = manifests(&full).map_err(|e| FieldError::new(&path, e))?;
        let loaded = parse_hpas_with_targets(&text)
            .map_err(|e| FieldError::new(&path, format!("{}", e.in_file(&full))))?;
        for (target, hpa) in loaded {
            let station = stations
                .iter()
                .position(|s| s.kind == StationKind::Service && s.deployment == target)
                .ok_or_else(|| {
                    FieldError::new(
                        &path,
                        format!(
                            "HPA `{}` targets deployment `{target}`, which no service is; set `deployment: {target}` on the service it scales ({})",
                            hpa.name,
                            unknown_name("deployment", &target, stations.iter().map(|s| s.deployment.as_str()))
                        ),
                    )
                })?;
            if hpas.iter().any(|b: &HpaBinding| b.station == station) {
                return Err(FieldError::new(
                    &path,
                    format!("two HPAs target deployment `{target}`; keep one"),
                ));
            }
            hpas.push(HpaBinding { station, hpa });
        }
    }
    Ok(Kubernetes {
        config,
        scrape_interval,
        metrics_window,
        hpas,
    })
}

fn aws_metric(name: &str, path: &str, allowed: &[AwsMetric]) -> Result<AwsMetric, FieldError> {
    let metric = match name {
        "CPUUtilization" => AwsMetric::CpuUtilization,
        "RequestCount" | "RequestCountPerTarget" => AwsMetric::RequestCount,
        "DatabaseConnections" => AwsMetric::DatabaseConnections,
        other => {
            return Err(FieldError::new(
                path,
                format!(
                    "capsim cannot measure `{other}`; use CPUUtilization or RequestCount for a group, DatabaseConnections for read replicas"
                ),
            ));
        }
    };
    if !allowed.contains(&metric) {
        return Err(FieldError::new(
            path,
            format!("`{name}` does not apply here"),
        ));
    }
    Ok(metric)
}

/// Loads the AWS files and binds groups to services and replica rules to databases.
pub(super) fn aws(
    spec: &AwsSpec,
    model: &ModelSpec,
    stations: &[Station],
    files: &Files,
) -> Result<Aws, FieldError> {
    let policies_path = files
        .resolve(&spec.scaling_policies)
        .map_err(|e| FieldError::new("aws.scaling_policies", e))?;
    let text = crate::spec::read::read_text(&policies_path)
        .map_err(|e| FieldError::new("aws.scaling_policies", e.to_string()))?;
    let tiers = parse_scaling_policies_yaml(&policies_path, &text)
        .map_err(|e| FieldError::new("aws.scaling_policies", e.to_string()))?;
    let tier = |name: &str, path: &str| {
        tiers.get(name).ok_or_else(|| {
            FieldError::new(
                path,
                unknown_name("tier", name, tiers.keys().map(String::as_str)),
            )
        })
    };
    let mut groups = Vec::new();
    for (i, g) in spec.groups.iter().enumerate() {
        let path = format!("aws.groups[{i}]");
        let station = stations
            .iter()
            .position(|s| s.kind == StationKind::Service && s.name == g.service)
            .ok_or_else(|| {
                FieldError::new(
                    join_path(&path, "service"),
                    unknown_name(
                        "service",
                        &g.service,
                        model.services.keys().map(String::as_str),
                    ),
                )
            })?;
        let asg_path = files
            .resolve(&g.asg)
            .map_err(|e| FieldError::new(join_path(&path, "asg"), e))?;
        let json = crate::spec::read::read_text(&asg_path)
            .map_err(|e| FieldError::new(join_path(&path, "asg"), e.to_string()))?;
        let (_, group) = parse_asg_json(&asg_path, &json)
            .map_err(|e| FieldError::new(join_path(&path, "asg"), e.to_string()))?;
        let t = tier(&g.policies, &join_path(&path, "policies"))?;
        let mut policies = Vec::new();
        let group_metrics = [AwsMetric::CpuUtilization, AwsMetric::RequestCount];
        for (side, p) in [("scaleUp", &t.scale_up), ("scaleDown", &t.scale_down)] {
            if let Some(p) = p {
                let metric = aws_metric(
                    &p.metric_name,
                    &format!("{}.{side}.metricName", g.policies),
                    &group_metrics,
                )?;
                policies.push(AsgPolicy {
                    name: format!("{}.{side}", g.policies),
                    metric,
                    kind: AsgPolicyKind::Simple {
                        alarm: p.alarm_config(),
                        policy: p.simple_policy(),
                    },
                });
            }
        }
        for (k, s) in t.step_scaling.iter().enumerate() {
            let at = format!("{}.stepScaling[{k}]", g.policies);
            let metric = aws_metric(&s.metric_name, &format!("{at}.metricName"), &group_metrics)?;
            let policy = s.policy().map_err(|e| e.within(&at))?;
            policies.push(AsgPolicy {
                name: s.name.clone(),
                metric,
                kind: AsgPolicyKind::Step {
                    alarm: s.alarm_config(),
                    policy,
                },
            });
        }
        for (k, s) in t.target_tracking.iter().enumerate() {
            let at = format!("{}.targetTracking[{k}]", g.policies);
            let metric = match s.metric_name.as_str() {
                "CPUUtilization" | "ASGAverageCPUUtilization" => AwsMetric::CpuUtilization,
                "RequestCountPerTarget" | "ALBRequestCountPerTarget" => {
                    AwsMetric::RequestCountPerTarget
                }
                other => {
                    return Err(FieldError::new(
                        format!("{at}.metricName"),
                        format!(
                            "capsim tracks `CPUUtilization` or `RequestCountPerTarget`, not `{other}`"
                        ),
                    ));
                }
            };
            let policy = s.policy().map_err(|e| e.within(&at))?;
            policies.push(AsgPolicy {
                name: s.name.clone(),
                metric,
                kind: AsgPolicyKind::TargetTracking { policy },
            });
        }
        if stations[station].replicas != group.desired_capacity {
            return Err(FieldError::new(
                join_path(&path, "asg"),
                format!(
                    "the group's DesiredCapacity is {} but service `{}` starts with {} replicas; make them equal",
                    group.desired_capacity, g.service, stations[station].replicas
                ),
            ));
        }
        groups.push(AsgBinding {
            station,
            group,
            policies,
        });
    }
    let mut read_replicas = Vec::new();
    for (i, r) in spec.read_replicas.iter().enumerate() {
        let path = format!("aws.read_replicas[{i}]");
        let database = model
            .databases
            .keys()
            .position(|d| d == &r.database)
            .ok_or_else(|| {
                FieldError::new(
                    join_path(&path, "database"),
                    unknown_name(
                        "database",
                        &r.database,
                        model.databases.keys().map(String::as_str),
                    ),
                )
            })?;
        let t = tier(&r.policies, &join_path(&path, "policies"))?;
        let spec = t.read_replicas.as_ref().ok_or_else(|| {
            FieldError::new(
                join_path(&path, "policies"),
                format!("tier `{}` has no readReplicas rule", r.policies),
            )
        })?;
        for (side, s) in [("scaleUp", &spec.scale_up), ("scaleDown", &spec.scale_down)] {
            aws_metric(
                &s.metric_name,
                &format!("{}.readReplicas.{side}.metricName", r.policies),
                &[AwsMetric::DatabaseConnections],
            )?;
        }
        let rule = spec
            .to_rule()
            .map_err(|e| e.within(&format!("{}.readReplicas", r.policies)))?;
        read_replicas.push(ReadReplicaBinding {
            database,
            rule,
            startup: r
                .startup
                .map(|d| d.0)
                .unwrap_or(600 * crate::time::NANOS_PER_SEC),
        });
    }
    Ok(Aws {
        groups,
        read_replicas,
    })
}

pub(super) fn health_check(h: &HealthCheckSpec) -> Result<HealthCheckConfig, FieldError> {
    let mut c = HealthCheckConfig::default();
    if let Some(d) = h.interval {
        c.interval = d.0;
        c.first_check_delay = d.0;
    }
    if let Some(d) = h.timeout {
        c.timeout = d.0;
    }
    if let Some(n) = h.healthy_threshold {
        c.healthy_threshold = n;
    }
    if let Some(n) = h.unhealthy_threshold {
        c.unhealthy_threshold = n;
    }
    if let Some(d) = h.deregistration_delay {
        c.deregistration_delay = d.0;
    }
    c.validate()
        .map_err(|e| e.within("load_balancer.health_check"))?;
    Ok(c)
}
