//! Stations (services, then job queues) with their sizes and per-replica settings, the
//! endpoints that k6 requests name, and the entry load balancer.

use super::autoscaling::{health_check, resources};
use super::{Builder, DEFAULT_QUEUE_CAPACITY, MAX_REPLICAS, MAX_WORKERS, check_range};
use crate::error::{FieldError, join_path};
use crate::model::{Endpoint, EntryBalancer, Operation, Resources, Station, StationKind};
use crate::spec::model::ModelSpec;
use crate::suggest::unknown_name;

impl Builder<'_> {
    /// Services first (in name order), then job queues; operations are compiled in a
    /// second pass so that calls can name any station.
    pub(super) fn stations(&mut self) -> Result<Vec<Station>, FieldError> {
        let spec = self.spec;
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
                    Some(d) => Some(self.distribution(d, &join_path(&path, "startup"))?),
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
        Ok(stations)
    }

    /// The entry load balancer: its algorithm, latency and ALB health check.
    pub(super) fn balancer(&mut self) -> Result<EntryBalancer, FieldError> {
        let spec = self.spec;
        Ok(match &spec.load_balancer {
            Some(lb) => EntryBalancer {
                algorithm: lb.algorithm,
                latency: match &lb.latency {
                    Some(d) => Some(self.distribution(d, "load_balancer.latency")?),
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
        })
    }
}

/// The endpoints, each bound to a service's operation.
pub(super) fn endpoints(spec: &ModelSpec) -> Result<Vec<Endpoint>, FieldError> {
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
    Ok(endpoints)
}
