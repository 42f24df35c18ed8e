//! Builds a validated [`Model`] from a [`ModelSpec`]: checks every reference and number,
//! finds call cycles before running, and compiles operations to instructions.

use crate::autoscale::aws::convert::{parse_asg_json, parse_scaling_policies_yaml};
use crate::autoscale::health::HealthCheckConfig;
use crate::autoscale::hpa::ControllerConfig;
use crate::autoscale::k8s::parse_hpas_with_targets;
use crate::error::{FieldError, join_path};
use crate::model::distribution::{self as dist, Distribution};
use crate::model::{
    AsgBinding, AsgPolicy, AsgPolicyKind, Aws, AwsMetric, HpaBinding, Kubernetes,
    ReadReplicaBinding, Resources,
};
use crate::model::{
    Cache, Database, DbNode, DistId, Endpoint, EntryBalancer, Instr, Model, Operation, Program,
    Provider, Station, StationKind,
};
use crate::spec::distribution::DistributionSpec;
use crate::spec::k8s::parse_quantity;
use crate::spec::model::{
    AwsSpec, HealthCheckSpec, KubernetesSpec, ModelSpec, QueryKind, ResourcesSpec, StepSpec,
};
use crate::suggest::unknown_name;
use crate::time::Nanos;
use std::collections::BTreeMap;
use std::path::Path;

/// Default waiting room per replica when a service does not say (Tomcat's acceptCount is 100,
/// a Node.js server has no bound; 1000 keeps memory bounded while rarely refusing).
pub const DEFAULT_QUEUE_CAPACITY: u32 = 1000;
/// Sizes beyond these are refused: they are typos, and they would exhaust memory.
pub const MAX_REPLICAS: u32 = 10_000;
pub const MAX_WORKERS: u32 = 1_000_000;
const PROBABILITY_SLACK: f64 = 1e-6;

struct Builder<'a> {
    spec: &'a ModelSpec,
    base_dir: &'a Path,
    distributions: Vec<Distribution>,
    program: Program,
}

/// Validates `spec` (whose file lives in `base_dir`) into a [`Model`].
pub fn build_model(
    spec: &ModelSpec,
    base_dir: &Path,
    fallback_name: &str,
) -> Result<Model, FieldError> {
    build_model_with(spec, base_dir, fallback_name, &|path| {
        crate::spec::read::read_text(path).map_err(|e| e.to_string())
    })
}

/// Reads an HPA manifest file's text (and may change it: `--set hpa.NAME...` overrides).
pub type ManifestReader<'a> = &'a dyn Fn(&Path) -> Result<String, String>;

/// [`build_model`] with the HPA manifests read through `manifests`.
pub fn build_model_with(
    spec: &ModelSpec,
    base_dir: &Path,
    fallback_name: &str,
    manifests: ManifestReader<'_>,
) -> Result<Model, FieldError> {
    let mut b = Builder {
        spec,
        base_dir,
        distributions: Vec::new(),
        program: Program::default(),
    };
    for name in spec.job_queues.keys() {
        if spec.services.contains_key(name) {
            return Err(FieldError::new(
                format!("job_queues.{name}"),
                format!("`{name}` is both a service and a job queue; give them different names"),
            ));
        }
    }
    if spec.services.is_empty() {
        return Err(FieldError::new(
            "services",
            "a model needs at least one service",
        ));
    }
    if spec.endpoints.is_empty() {
        return Err(FieldError::new(
            "endpoints",
            "a model needs at least one endpoint, e.g. `\"GET /\": {service: web, operation: index}`",
        ));
    }

    let databases = b.databases()?;
    let caches = b.caches()?;
    let providers = b.providers()?;
    check_call_cycles(spec)?;

    // Stations with their operations; operations are compiled in a second pass so that
    // calls can name any station.
    let mut stations = Vec::new();
    for (name, s) in &spec.services {
        let path = format!("services.{name}");
        check_range(
            &join_path(&path, "replicas"),
            s.replicas as f64,
            1.0,
            MAX_REPLICAS as f64,
        )?;
        check_range(
            &join_path(&path, "workers"),
            s.workers as f64,
            1.0,
            MAX_WORKERS as f64,
        )?;
        let timeout = match s.timeout {
            Some(t) if t.0 == 0 => {
                return Err(FieldError::new(
                    join_path(&path, "timeout"),
                    "timeout must be above zero; leave it out for no server-side timeout",
                ));
            }
            t => t.map(|t| t.0),
        };
        if s.operations.is_empty() {
            return Err(FieldError::new(
                join_path(&path, "operations"),
                "a service needs at least one operation",
            ));
        }
        stations.push(Station {
            name: name.clone(),
            kind: StationKind::Service,
            replicas: s.replicas,
            workers: s.workers,
            queue_capacity: s.queue_capacity.unwrap_or(DEFAULT_QUEUE_CAPACITY),
            timeout,
            balancer: s.balancer,
            operations: s
                .operations
                .keys()
                .map(|op| Operation {
                    name: op.clone(),
                    entry: 0,
                })
                .collect(),
            job_attempts: 1,
            job_retry_backoff: 0,
            billing_minimum: s.billing_minimum.map(|d| d.0).unwrap_or(0),
            cores: match s.cores {
                Some(c) => {
                    check_range(&join_path(&path, "cores"), c as f64, 1.0, 1024.0)?;
                    Some(c)
                }
                None => None,
            },
            deployment: s.deployment.clone().unwrap_or_else(|| name.clone()),
            resources: resources(s.resources.as_ref(), &join_path(&path, "resources"))?,
            startup: match &s.startup {
                Some(d) => Some(b.distribution(d, &join_path(&path, "startup"))?),
                None => None,
            },
            price_per_hour: match s.price_per_hour {
                Some(p) => {
                    check_range(&join_path(&path, "price_per_hour"), p, 0.0, 1e6)?;
                    p
                }
                None => 0.0,
            },
        });
    }
    for (name, q) in &spec.job_queues {
        let path = format!("job_queues.{name}");
        check_range(
            &join_path(&path, "workers"),
            q.workers as f64,
            1.0,
            MAX_WORKERS as f64,
        )?;
        check_range(
            &join_path(&path, "concurrency"),
            q.concurrency as f64,
            1.0,
            MAX_WORKERS as f64,
        )?;
        check_range(&join_path(&path, "attempts"), q.attempts as f64, 1.0, 100.0)?;
        let slots = q.workers as u64 * q.concurrency as u64;
        if slots > MAX_WORKERS as u64 {
            return Err(FieldError::new(
                path,
                format!("workers x concurrency = {slots} is more than {MAX_WORKERS}"),
            ));
        }
        stations.push(Station {
            name: name.clone(),
            kind: StationKind::JobQueue,
            replicas: 1,
            workers: slots as u32,
            queue_capacity: q.capacity.unwrap_or(u32::MAX),
            timeout: None,
            balancer: Default::default(),
            operations: vec![Operation {
                name: "job".into(),
                entry: 0,
            }],
            job_attempts: q.attempts,
            job_retry_backoff: q.retry_backoff.map(|d| d.0).unwrap_or(0),
            billing_minimum: 0,
            cores: None,
            deployment: name.clone(),
            resources: Resources::default(),
            startup: None,
            price_per_hour: 0.0,
        });
    }
    let n_services = spec.services.len();
    for (i, (name, s)) in spec.services.iter().enumerate() {
        for (j, (op, steps)) in s.operations.iter().enumerate() {
            let path = format!("services.{name}.operations.{op}");
            stations[i].operations[j].entry = b.compile_operation(steps, &path, &stations)?;
        }
    }
    for (k, (name, q)) in spec.job_queues.iter().enumerate() {
        let path = format!("job_queues.{name}.steps");
        stations[n_services + k].operations[0].entry =
            b.compile_operation(&q.steps, &path, &stations)?;
    }

    let mut endpoints = Vec::new();
    for (name, e) in &spec.endpoints {
        let path = format!("endpoints.{name}");
        let station = spec
            .services
            .keys()
            .position(|s| s == &e.service)
            .ok_or_else(|| {
                FieldError::new(
                    join_path(&path, "service"),
                    unknown_name(
                        "service",
                        &e.service,
                        spec.services.keys().map(String::as_str),
                    ),
                )
            })?;
        let ops = &spec.services[&e.service].operations;
        let operation = ops.keys().position(|o| o == &e.operation).ok_or_else(|| {
            FieldError::new(
                join_path(&path, "operation"),
                unknown_name(
                    &format!("operation of service `{}`", e.service),
                    &e.operation,
                    ops.keys().map(String::as_str),
                ),
            )
        })?;
        endpoints.push(Endpoint {
            name: name.clone(),
            station,
            operation,
        });
    }

    let balancer = match &spec.load_balancer {
        Some(lb) => EntryBalancer {
            algorithm: lb.algorithm,
            latency: match &lb.latency {
                Some(d) => Some(b.distribution(d, "load_balancer.latency")?),
                None => None,
            },
            health_check: match &lb.health_check {
                Some(h) => Some(health_check(h)?),
                None => None,
            },
        },
        None => EntryBalancer {
            algorithm: Default::default(),
            latency: None,
            health_check: None,
        },
    };

    let kubernetes = match &spec.kubernetes {
        Some(k) => Some(kubernetes(k, &stations, base_dir, manifests)?),
        None => None,
    };

    let aws = match &spec.aws {
        Some(a) => Some(aws(a, spec, &stations, base_dir)?),
        None => None,
    };

    Ok(Model {
        kubernetes,
        aws,
        name: spec
            .name
            .clone()
            .unwrap_or_else(|| fallback_name.to_string()),
        stations,
        databases,
        caches,
        providers,
        endpoints,
        balancer,
        distributions: b.distributions,
        program: b.program,
    })
}

/// Parses a Kubernetes quantity field into milli-units.
fn quantity_milli(text: &str, path: &str) -> Result<i64, FieldError> {
    let q = parse_quantity(text).map_err(|m| FieldError::new(path, m))?;
    if q.milli() < 0 {
        return Err(FieldError::new(path, "must not be negative"));
    }
    Ok(q.milli())
}

fn resources(spec: Option<&ResourcesSpec>, path: &str) -> Result<Resources, FieldError> {
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
fn kubernetes(
    spec: &KubernetesSpec,
    stations: &[Station],
    base_dir: &Path,
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
        let full = base_dir.join(file);
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
fn aws(
    spec: &AwsSpec,
    model: &ModelSpec,
    stations: &[Station],
    base_dir: &Path,
) -> Result<Aws, FieldError> {
    let policies_path = base_dir.join(&spec.scaling_policies);
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
        let asg_path = base_dir.join(&g.asg);
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

fn health_check(h: &HealthCheckSpec) -> Result<HealthCheckConfig, FieldError> {
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

/// A price in USD: finite and not negative; absent means free.
fn price(value: Option<f64>, path: &str) -> Result<f64, FieldError> {
    match value {
        Some(v) => {
            check_range(path, v, 0.0, 1e9)?;
            Ok(v)
        }
        None => Ok(0.0),
    }
}

fn check_range(path: &str, value: f64, min: f64, max: f64) -> Result<(), FieldError> {
    if !value.is_finite() || value < min || value > max {
        return Err(FieldError::new(
            path,
            format!("{value} is out of range; allowed: {min} to {max}"),
        ));
    }
    Ok(())
}

fn check_probability(path: &str, value: f64) -> Result<(), FieldError> {
    if !value.is_finite() || !(0.0..=1.0).contains(&value) {
        return Err(FieldError::new(
            path,
            format!("{value} is not a probability; write a number from 0 to 1 (0.85 for 85%)"),
        ));
    }
    Ok(())
}

impl Builder<'_> {
    fn distribution(&mut self, spec: &DistributionSpec, path: &str) -> Result<DistId, FieldError> {
        let d = dist::build(spec, self.base_dir).map_err(|e| e.within(path))?;
        self.distributions.push(d);
        Ok(self.distributions.len() - 1)
    }

    fn databases(&mut self) -> Result<Vec<Database>, FieldError> {
        let mut out = Vec::new();
        for (name, d) in &self.spec.databases {
            let path = format!("databases.{name}");
            check_range(&join_path(&path, "cores"), d.cores as f64, 1.0, 10_000.0)?;
            check_range(
                &join_path(&path, "pool_size"),
                d.pool_size as f64,
                1.0,
                1_000_000.0,
            )?;
            check_range(
                &join_path(&path, "read_replicas"),
                d.read_replicas as f64,
                0.0,
                100.0,
            )?;
            let replica = DbNode {
                cores: d.replica_cores.unwrap_or(d.cores),
                pool_size: d.replica_pool_size.unwrap_or(d.pool_size),
            };
            check_range(
                &join_path(&path, "replica_cores"),
                replica.cores as f64,
                1.0,
                10_000.0,
            )?;
            check_range(
                &join_path(&path, "replica_pool_size"),
                replica.pool_size as f64,
                1.0,
                1_000_000.0,
            )?;
            out.push(Database {
                name: name.clone(),
                primary: DbNode {
                    cores: d.cores,
                    pool_size: d.pool_size,
                },
                replica,
                read_replicas: d.read_replicas,
                pool_timeout: d.pool_timeout.0,
                price_per_hour: price(d.price_per_hour, &join_path(&path, "price_per_hour"))?,
                replica_price_per_hour: price(
                    d.replica_price_per_hour.or(d.price_per_hour),
                    &join_path(&path, "replica_price_per_hour"),
                )?,
            });
        }
        Ok(out)
    }

    fn caches(&mut self) -> Result<Vec<Cache>, FieldError> {
        let mut out = Vec::new();
        for (name, c) in &self.spec.caches {
            let path = format!("caches.{name}");
            check_probability(&join_path(&path, "hit_ratio"), c.hit_ratio)?;
            let latency = self.distribution(&c.latency, &join_path(&path, "latency"))?;
            out.push(Cache {
                name: name.clone(),
                latency,
                hit_ratio: c.hit_ratio,
                nodes: c.nodes.unwrap_or(1),
                price_per_hour: price(c.price_per_hour, &join_path(&path, "price_per_hour"))?,
            });
        }
        Ok(out)
    }

    fn providers(&mut self) -> Result<Vec<Provider>, FieldError> {
        let names: Vec<&str> = self.spec.providers.keys().map(String::as_str).collect();
        let mut out = Vec::new();
        for (name, p) in &self.spec.providers {
            let path = format!("providers.{name}");
            check_probability(
                &join_path(&path, "failure_probability"),
                p.failure_probability,
            )?;
            let latency = self.distribution(&p.latency, &join_path(&path, "latency"))?;
            let rate_limit = match &p.rate_limit {
                Some(r) => {
                    check_range(&join_path(&path, "rate_limit.rate"), r.rate, 1e-6, 1e9)?;
                    let burst = r.burst.unwrap_or(1.0);
                    check_range(&join_path(&path, "rate_limit.burst"), burst, 1.0, 1e9)?;
                    Some((r.rate, burst))
                }
                None => None,
            };
            let failover = match &p.failover {
                Some(f) if f == name => {
                    return Err(FieldError::new(
                        join_path(&path, "failover"),
                        "a provider cannot fail over to itself; name another provider",
                    ));
                }
                Some(f) => Some(names.iter().position(|n| n == f).ok_or_else(|| {
                    FieldError::new(
                        join_path(&path, "failover"),
                        unknown_name("provider", f, names.iter().copied()),
                    )
                })?),
                None => None,
            };
            let (retries, backoff, multiplier, max_backoff) = match &p.retries {
                Some(r) => {
                    check_range(
                        &join_path(&path, "retries.attempts"),
                        r.attempts as f64,
                        0.0,
                        100.0,
                    )?;
                    let m = r.multiplier.unwrap_or(2.0);
                    check_range(&join_path(&path, "retries.multiplier"), m, 1.0, 100.0)?;
                    (
                        r.attempts,
                        r.backoff.0,
                        m,
                        r.max_backoff.map(|d| d.0).unwrap_or(u64::MAX),
                    )
                }
                None => (0, 0, 1.0, u64::MAX),
            };
            out.push(Provider {
                name: name.clone(),
                latency,
                failure_probability: p.failure_probability,
                rate_limit,
                timeout: p.timeout.map(|d| d.0).filter(|&t| t > 0),
                retries,
                backoff,
                backoff_multiplier: multiplier,
                max_backoff,
                failover,
                cost_per_call: price(p.cost_per_call, &join_path(&path, "cost_per_call"))?,
            });
        }
        // Failover chains must end.
        for (i, p) in out.iter().enumerate() {
            let mut seen = vec![i];
            let mut next = p.failover;
            while let Some(n) = next {
                if seen.contains(&n) {
                    let chain: Vec<&str> = seen.iter().map(|&k| out[k].name.as_str()).collect();
                    return Err(FieldError::new(
                        format!("providers.{}.failover", p.name),
                        format!(
                            "failover loops: {} -> {}; the chain must end at a provider without failover",
                            chain.join(" -> "),
                            out[n].name
                        ),
                    ));
                }
                seen.push(n);
                next = out[n].failover;
            }
        }
        Ok(out)
    }

    fn compile_operation(
        &mut self,
        steps: &[StepSpec],
        path: &str,
        stations: &[Station],
    ) -> Result<u32, FieldError> {
        let entry = self.program.code.len() as u32;
        let mut hits = Vec::new();
        self.compile_block(steps, path, stations, &mut hits)?;
        let end = self.emit(Instr::Return);
        self.patch_hits(&hits, end);
        Ok(entry)
    }

    fn emit(&mut self, instr: Instr) -> u32 {
        self.program.code.push(instr);
        (self.program.code.len() - 1) as u32
    }

    fn patch_hits(&mut self, hits: &[u32], target: u32) {
        for &at in hits {
            if let Instr::Cache { on_hit, .. } = &mut self.program.code[at as usize] {
                *on_hit = target;
            }
        }
    }

    /// Emits `steps`; cache instructions whose hit must skip to the end of this block are
    /// recorded in `hits` for the caller to patch.
    fn compile_block(
        &mut self,
        steps: &[StepSpec],
        path: &str,
        stations: &[Station],
        hits: &mut Vec<u32>,
    ) -> Result<(), FieldError> {
        let spec = self.spec;
        for (i, step) in steps.iter().enumerate() {
            let p = format!("{path}[{i}]");
            match step {
                StepSpec::Work(d) => {
                    let dist = self.distribution(d, &join_path(&p, "work"))?;
                    self.emit(Instr::Work { dist });
                }
                StepSpec::Call(c) => {
                    let station = spec.services.keys().position(|s| s == &c.service).ok_or_else(|| {
                        let msg = if spec.job_queues.contains_key(&c.service) {
                            format!("`{}` is a job queue; use `enqueue: {{queue: {}}}` to put work on it", c.service, c.service)
                        } else {
                            unknown_name("service", &c.service, spec.services.keys().map(String::as_str))
                        };
                        FieldError::new(join_path(&p, "call.service"), msg)
                    })?;
                    let ops = &stations[station].operations;
                    let operation =
                        ops.iter()
                            .position(|o| o.name == c.operation)
                            .ok_or_else(|| {
                                FieldError::new(
                                    join_path(&p, "call.operation"),
                                    unknown_name(
                                        &format!("operation of service `{}`", c.service),
                                        &c.operation,
                                        ops.iter().map(|o| o.name.as_str()),
                                    ),
                                )
                            })?;
                    self.emit(Instr::Call {
                        station: station as u32,
                        operation: operation as u32,
                    });
                }
                StepSpec::Query(q) => {
                    let database = spec
                        .databases
                        .keys()
                        .position(|d| d == &q.database)
                        .ok_or_else(|| {
                            FieldError::new(
                                join_path(&p, "query.database"),
                                unknown_name(
                                    "database",
                                    &q.database,
                                    spec.databases.keys().map(String::as_str),
                                ),
                            )
                        })?;
                    let time = self.distribution(&q.time, &join_path(&p, "query.time"))?;
                    self.emit(Instr::Query {
                        database: database as u32,
                        write: q.kind == QueryKind::Write,
                        time,
                    });
                }
                StepSpec::Cache(c) => {
                    let cache =
                        spec.caches
                            .keys()
                            .position(|k| k == &c.cache)
                            .ok_or_else(|| {
                                FieldError::new(
                                    join_path(&p, "cache.cache"),
                                    unknown_name(
                                        "cache",
                                        &c.cache,
                                        spec.caches.keys().map(String::as_str),
                                    ),
                                )
                            })?;
                    let hit_ratio = match c.hit_ratio {
                        Some(h) => {
                            check_probability(&join_path(&p, "cache.hit_ratio"), h)?;
                            h
                        }
                        None => spec.caches[&c.cache].hit_ratio,
                    };
                    let at = self.emit(Instr::Cache {
                        cache: cache as u32,
                        hit_ratio,
                        on_hit: u32::MAX,
                    });
                    hits.push(at);
                }
                StepSpec::External(e) => {
                    let provider = spec
                        .providers
                        .keys()
                        .position(|k| k == &e.provider)
                        .ok_or_else(|| {
                            FieldError::new(
                                join_path(&p, "external.provider"),
                                unknown_name(
                                    "provider",
                                    &e.provider,
                                    spec.providers.keys().map(String::as_str),
                                ),
                            )
                        })?;
                    self.emit(Instr::External {
                        provider: provider as u32,
                    });
                }
                StepSpec::Enqueue(e) => {
                    let k = spec
                        .job_queues
                        .keys()
                        .position(|k| k == &e.queue)
                        .ok_or_else(|| {
                            FieldError::new(
                                join_path(&p, "enqueue.queue"),
                                unknown_name(
                                    "job queue",
                                    &e.queue,
                                    spec.job_queues.keys().map(String::as_str),
                                ),
                            )
                        })?;
                    self.emit(Instr::Enqueue {
                        station: (spec.services.len() + k) as u32,
                    });
                }
                StepSpec::Branch(arms) => {
                    let bp = join_path(&p, "branch");
                    if arms.is_empty() {
                        return Err(FieldError::new(bp, "a branch needs at least one arm"));
                    }
                    let mut total = 0.0;
                    for (k, arm) in arms.iter().enumerate() {
                        check_probability(&format!("{bp}[{k}].probability"), arm.probability)?;
                        total += arm.probability;
                    }
                    if (total - 1.0).abs() > PROBABILITY_SLACK {
                        return Err(FieldError::new(
                            bp,
                            format!(
                                "the arms' probabilities sum to {total}; they must sum to 1 (add an arm with empty `steps` for \"nothing\")"
                            ),
                        ));
                    }
                    let table = self.program.branches.len();
                    self.program.branches.push(Vec::new());
                    self.emit(Instr::Branch { arms: table as u32 });
                    let mut exits = Vec::new();
                    let mut cumulative = 0.0;
                    let mut rows = Vec::new();
                    for (k, arm) in arms.iter().enumerate() {
                        let start = self.program.code.len() as u32;
                        cumulative += arm.probability;
                        let last = k + 1 == arms.len();
                        rows.push((if last { f64::INFINITY } else { cumulative }, start));
                        let mut arm_hits = Vec::new();
                        self.compile_block(
                            &arm.steps,
                            &format!("{bp}[{k}].steps"),
                            stations,
                            &mut arm_hits,
                        )?;
                        let exit = self.emit(Instr::Jump { to: u32::MAX });
                        self.patch_hits(&arm_hits, exit);
                        exits.push(exit);
                    }
                    let after = self.program.code.len() as u32;
                    for e in exits {
                        self.program.code[e as usize] = Instr::Jump { to: after };
                    }
                    self.program.branches[table] = rows;
                }
            }
        }
        Ok(())
    }
}

/// Finds call cycles (A.x -> B.y -> A.x, through calls and enqueues) before running:
/// a cycle would make every request recurse until it times out.
fn check_call_cycles(spec: &ModelSpec) -> Result<(), FieldError> {
    // Node: "service.operation" or "queue" (job queue steps).
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    fn collect(steps: &[StepSpec], out: &mut Vec<String>) {
        for s in steps {
            match s {
                StepSpec::Call(c) => out.push(format!("{}.{}", c.service, c.operation)),
                StepSpec::Enqueue(e) => out.push(e.queue.clone()),
                StepSpec::Branch(arms) => arms.iter().for_each(|a| collect(&a.steps, out)),
                _ => {}
            }
        }
    }
    let mut where_: BTreeMap<String, String> = BTreeMap::new();
    for (name, s) in &spec.services {
        for (op, steps) in &s.operations {
            let node = format!("{name}.{op}");
            let mut out = Vec::new();
            collect(steps, &mut out);
            where_.insert(node.clone(), format!("services.{name}.operations.{op}"));
            edges.insert(node, out);
        }
    }
    for (name, q) in &spec.job_queues {
        let mut out = Vec::new();
        collect(&q.steps, &mut out);
        where_.insert(name.clone(), format!("job_queues.{name}.steps"));
        edges.insert(name.clone(), out);
    }
    // Iterative DFS with colours.
    let mut colour: BTreeMap<&str, u8> = BTreeMap::new();
    for start in edges.keys() {
        if colour.get(start.as_str()).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        colour.insert(start.as_str(), 1);
        while let Some((node, idx)) = stack.last().copied() {
            let next = edges.get(node).and_then(|v| v.get(idx));
            match next {
                Some(child) => {
                    stack.last_mut().unwrap().1 += 1;
                    match colour.get(child.as_str()).copied().unwrap_or(0) {
                        0 if edges.contains_key(child) => {
                            colour.insert(child.as_str(), 1);
                            stack.push((child.as_str(), 0));
                        }
                        1 => {
                            let pos = stack.iter().position(|(n, _)| *n == child).unwrap_or(0);
                            let mut cycle: Vec<&str> =
                                stack[pos..].iter().map(|(n, _)| *n).collect();
                            cycle.push(child.as_str());
                            return Err(FieldError::new(
                                where_[cycle[0]].clone(),
                                format!(
                                    "call cycle {}; a request would call itself until it times out. Break the cycle",
                                    cycle.join(" -> ")
                                ),
                            ));
                        }
                        _ => {}
                    }
                }
                None => {
                    colour.insert(node, 2);
                    stack.pop();
                }
            }
        }
    }
    Ok(())
}
