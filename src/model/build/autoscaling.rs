//! Autoscaling and platform settings of a model: AWS groups and read-replica rules, the ALB
//! health check, and the Kubernetes resource quantities of a replica (the Kubernetes
//! manifests are `kubernetes`).

use crate::autoscale::aws::cli::{AwsCliSet, CliPolicyKind};
use crate::autoscale::aws::convert::parse_scaling_policies_yaml;
use crate::autoscale::health::HealthCheckConfig;
use crate::error::{FieldError, join_path};
use crate::model::{
    AsgBinding, AsgPolicy, AsgPolicyKind, Aws, AwsMetric, ReadReplicaBinding, Resources, Station,
    StationKind,
};
use crate::spec::aws::{AsgSpec, ScalingPoliciesSpec, TierPoliciesSpec};
use crate::spec::aws_cli::{AwsDocument, AwsFile, parse_aws_file};
use crate::spec::confine::Files;
use crate::spec::k8s::parse_quantity;
use crate::spec::model::{AwsGroupSpec, AwsSpec, HealthCheckSpec, ModelSpec, ResourcesSpec};
use crate::suggest::unknown_name;

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

/// The scaling-policies tiers file, when the model names one.
fn tiers_file(spec: &AwsSpec, files: &Files) -> Result<ScalingPoliciesSpec, FieldError> {
    let Some(file) = &spec.scaling_policies else {
        return Ok(ScalingPoliciesSpec::default());
    };
    let policies_path = files
        .resolve(file)
        .map_err(|e| FieldError::new("aws.scaling_policies", e))?;
    let text = crate::spec::read::read_text(&policies_path)
        .map_err(|e| FieldError::new("aws.scaling_policies", e.to_string()))?;
    if ["\"ScalingPolicies\"", "\"MetricAlarms\"", "\"PolicyName\""]
        .iter()
        .any(|k| text.contains(k))
    {
        return Err(FieldError::new(
            "aws.scaling_policies",
            format!(
                "`{file}` is an AWS CLI document, not capsim's scaling-policies tiers; list it under `aws.files` (with the alarms it uses) and name its group in `aws.groups[].group`"
            ),
        ));
    }
    parse_scaling_policies_yaml(&policies_path, &text)
        .map_err(|e| FieldError::new("aws.scaling_policies", e.to_string()))
}

/// Reads one AWS JSON file of the model (`path` is its place in the model file).
fn aws_file(file: &str, path: &str, files: &Files) -> Result<AwsFile, FieldError> {
    let full = files.resolve(file).map_err(|e| FieldError::new(path, e))?;
    let text =
        crate::spec::read::read_text(&full).map_err(|e| FieldError::new(path, e.to_string()))?;
    parse_aws_file(&full, &text).map_err(|e| FieldError::new(path, e.to_string()))
}

/// The group a model's `groups[i]` names: from its `asg` file (by `group` when the file
/// holds several) or, without one, the group called `group` in `aws.files`.
fn pick_group(
    g: &AwsGroupSpec,
    path: &str,
    files: &Files,
    set: &mut AwsCliSet,
) -> Result<AsgSpec, FieldError> {
    let (candidates, place) = match &g.asg {
        Some(file) => {
            let at = join_path(path, "asg");
            let parsed = aws_file(file, &at, files)?;
            let AwsDocument::Groups { groups, .. } = parsed.document.clone() else {
                return Err(FieldError::new(
                    at,
                    format!(
                        "`{file}` holds scaling policies or alarms, not an Auto Scaling group; list it under `aws.files` and give here the output of `aws autoscaling describe-auto-scaling-groups`"
                    ),
                ));
            };
            for f in parsed.ignored {
                if !set.ignored.contains(&f) {
                    set.ignored.push(f);
                }
            }
            (groups, format!("`{file}`"))
        }
        None => (
            set.groups.iter().map(|(_, g)| g.clone()).collect(),
            "`aws.files`".to_string(),
        ),
    };
    let names = || {
        candidates
            .iter()
            .map(|c| c.auto_scaling_group_name.as_str())
    };
    match (&g.group, candidates.len()) {
        (Some(name), _) => candidates
            .iter()
            .find(|c| &c.auto_scaling_group_name == name)
            .cloned()
            .ok_or_else(|| {
                FieldError::new(
                    join_path(path, "group"),
                    format!(
                        "{} in {place}",
                        unknown_name("Auto Scaling group", name, names())
                    ),
                )
            }),
        (None, 1) if g.asg.is_some() => Ok(candidates[0].clone()),
        (None, 0) => Err(FieldError::new(
            path,
            format!(
                "{place} holds no Auto Scaling group; give `asg:` the output of `aws autoscaling describe-auto-scaling-groups`"
            ),
        )),
        (None, _) => Err(FieldError::new(
            join_path(path, "group"),
            format!(
                "{place} holds several groups ({}); say which with `group: NAME`",
                names().collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// The policies of one tier of the scaling-policies file.
fn tier_policies(
    t: &TierPoliciesSpec,
    tier: &str,
    group_metrics: &[AwsMetric],
    policies: &mut Vec<AsgPolicy>,
) -> Result<(), FieldError> {
    for (side, p) in [("scaleUp", &t.scale_up), ("scaleDown", &t.scale_down)] {
        if let Some(p) = p {
            let metric = aws_metric(
                &p.metric_name,
                &format!("{tier}.{side}.metricName"),
                group_metrics,
            )?;
            policies.push(AsgPolicy {
                name: format!("{tier}.{side}"),
                metric,
                kind: AsgPolicyKind::Simple {
                    alarm: p.alarm_config(),
                    policy: p.simple_policy(),
                },
            });
        }
    }
    for (k, s) in t.step_scaling.iter().enumerate() {
        let at = format!("{tier}.stepScaling[{k}]");
        let metric = aws_metric(&s.metric_name, &format!("{at}.metricName"), group_metrics)?;
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
        let at = format!("{tier}.targetTracking[{k}]");
        let metric = match tracked_metric(&s.metric_name, &format!("{at}.metricName")) {
            Ok(m) => m,
            Err(_) => {
                return Err(FieldError::new(
                    format!("{at}.metricName"),
                    format!(
                        "capsim tracks `CPUUtilization` or `RequestCountPerTarget`, not `{}`",
                        s.metric_name
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
    Ok(())
}

/// A target tracking policy's metric (a predefined type, or a customized metric's name).
fn tracked_metric(name: &str, path: &str) -> Result<AwsMetric, FieldError> {
    match name {
        "CPUUtilization" | "ASGAverageCPUUtilization" => Ok(AwsMetric::CpuUtilization),
        "RequestCountPerTarget" | "ALBRequestCountPerTarget" => {
            Ok(AwsMetric::RequestCountPerTarget)
        }
        other => Err(FieldError::new(
            path,
            format!(
                "capsim tracks `ASGAverageCPUUtilization` (CPUUtilization) or `ALBRequestCountPerTarget` (RequestCountPerTarget), not `{other}`"
            ),
        )),
    }
}

/// Loads the AWS files and binds groups to services and replica rules to databases.
pub(super) fn aws(
    spec: &AwsSpec,
    model: &ModelSpec,
    stations: &[Station],
    files: &Files,
    notes: &mut Vec<String>,
) -> Result<Aws, FieldError> {
    let tiers = tiers_file(spec, files)?;
    let mut set = AwsCliSet::default();
    for (i, f) in spec.files.iter().enumerate() {
        let parsed = aws_file(f, &format!("aws.files[{i}]"), files)?;
        set.add(f, parsed);
    }
    let tier = |name: &str, path: &str| {
        tiers.get(name).ok_or_else(|| {
            FieldError::new(
                path,
                if spec.scaling_policies.is_none() {
                    format!(
                        "tier `{name}` needs `aws.scaling_policies` (the scaling-policies file)"
                    )
                } else {
                    unknown_name("tier", name, tiers.keys().map(String::as_str))
                },
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
        let asg = pick_group(g, &path, files, &mut set)?;
        let group = asg
            .to_config()
            .map_err(|e| e.within(&join_path(&path, "asg")))?;
        let mut policies = Vec::new();
        let group_metrics = [AwsMetric::CpuUtilization, AwsMetric::RequestCount];
        if let Some(tier_name) = &g.policies {
            let t = tier(tier_name, &join_path(&path, "policies"))?;
            tier_policies(t, tier_name, &group_metrics, &mut policies)?;
        }
        for p in set.policies_for(&group.name, notes)? {
            let at = format!("aws.files: policy `{}`", p.name);
            let (metric, kind) = match p.kind {
                CliPolicyKind::Simple { alarm, policy } => (
                    aws_metric(&p.metric_name, &format!("{at}: MetricName"), &group_metrics)?,
                    AsgPolicyKind::Simple { alarm, policy },
                ),
                CliPolicyKind::Step { alarm, policy } => (
                    aws_metric(&p.metric_name, &format!("{at}: MetricName"), &group_metrics)?,
                    AsgPolicyKind::Step { alarm, policy },
                ),
                CliPolicyKind::TargetTracking { policy } => (
                    tracked_metric(
                        &p.metric_name,
                        &format!("{at}: TargetTrackingConfiguration"),
                    )?,
                    AsgPolicyKind::TargetTracking { policy },
                ),
            };
            policies.push(AsgPolicy {
                name: p.name,
                metric,
                kind,
            });
        }
        if policies.is_empty() {
            notes.push(format!(
                "group `{}` has no scaling policy (no `policies` tier, no policy in `aws.files` for it); it keeps {} instances",
                group.name, group.desired_capacity
            ));
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
    if let Some(n) = set.note() {
        notes.push(n);
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
