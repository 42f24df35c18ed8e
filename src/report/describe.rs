//! What a validated model or experiment holds, in words, for `capsim validate`: the
//! services with their replicas and the autoscaler bound to each, the data tier, the
//! providers, the load balancer's health checks and the cost per hour at the start.

use crate::model::experiment::Experiment;
use crate::model::{Model, StationKind};
use crate::time::format_duration;
use std::fmt::Write;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The model, one line per part: what it is and how it was bound.
pub fn model(m: &Model) -> String {
    let mut out = String::new();
    let services = m
        .stations
        .iter()
        .filter(|s| s.kind == StationKind::Service)
        .count();
    let queues = m.stations.len() - services;
    let _ = writeln!(
        out,
        "model `{}`: {}, {}, {}, {}, {}, {}",
        m.name,
        plural(services, "service", "services"),
        plural(m.endpoints.len(), "endpoint", "endpoints"),
        plural(m.databases.len(), "database", "databases"),
        plural(m.caches.len(), "cache", "caches"),
        plural(m.providers.len(), "provider", "providers"),
        plural(queues, "job queue", "job queues"),
    );
    for (id, s) in m.stations.iter().enumerate() {
        let what = match s.kind {
            StationKind::Service => format!(
                "{} x {} workers, waiting room {}",
                plural(s.replicas as usize, "replica", "replicas"),
                s.workers,
                s.queue_capacity
            ),
            StationKind::JobQueue => format!(
                "job queue: {} x {} workers, {} attempts",
                plural(s.replicas as usize, "worker pod", "worker pods"),
                s.workers,
                s.job_attempts
            ),
        };
        let mut scaled = Vec::new();
        if let Some(k) = &m.kubernetes {
            for b in k.hpas.iter().filter(|b| b.station == id) {
                scaled.push(format!(
                    "HPA `{}` {}-{} replicas",
                    b.hpa.name, b.hpa.min_replicas, b.hpa.max_replicas
                ));
            }
        }
        if let Some(aws) = &m.aws {
            for g in aws.groups.iter().filter(|g| g.station == id) {
                scaled.push(format!(
                    "Auto Scaling group `{}` {}-{} ({})",
                    g.group.name,
                    g.group.min_size,
                    g.group.max_size,
                    plural(g.policies.len(), "policy", "policies")
                ));
            }
        }
        let scaled = if scaled.is_empty() {
            "fixed size".to_string()
        } else {
            scaled.join(", ")
        };
        let _ = writeln!(out, "  {}: {what}; {scaled}", s.name);
    }
    for e in &m.endpoints {
        let _ = writeln!(
            out,
            "  endpoint {} -> {}",
            e.name, m.stations[e.station].name
        );
    }
    for d in &m.databases {
        let mut replicas = plural(d.read_replicas as usize, "read replica", "read replicas");
        if let Some(aws) = &m.aws
            && aws
                .read_replicas
                .iter()
                .any(|r| m.databases[r.database].name == d.name)
        {
            replicas.push_str(" (scaled by a read-replica rule)");
        }
        let _ = writeln!(
            out,
            "  database {}: primary {} cores, pool {} connections per node, {replicas}",
            d.name, d.primary.cores, d.primary.pool_size
        );
    }
    for c in &m.caches {
        let _ = writeln!(
            out,
            "  cache {}: {} at {:.0}% hits",
            c.name,
            plural(c.nodes as usize, "node", "nodes"),
            c.hit_ratio * 100.0
        );
    }
    for p in &m.providers {
        let mut traits = vec![format!("fails {:.2}%", p.failure_probability * 100.0)];
        if let Some((rate, _)) = p.rate_limit {
            traits.push(format!("rate limit {rate}/s"));
        }
        if p.retries > 0 {
            traits.push(plural(p.retries as usize, "retry", "retries"));
        }
        if let Some(f) = p.failover {
            traits.push(format!("fails over to {}", m.providers[f].name));
        }
        let _ = writeln!(out, "  provider {}: {}", p.name, traits.join(", "));
    }
    if let Some(h) = &m.balancer.health_check {
        let _ = writeln!(
            out,
            "  load balancer: health check every {}, unhealthy after {} failures, healthy after {} passes",
            format_duration(h.interval),
            h.unhealthy_threshold,
            h.healthy_threshold
        );
    }
    let services_hourly: f64 = m
        .stations
        .iter()
        .map(|s| s.price_per_hour * s.replicas as f64)
        .sum();
    let data_hourly: f64 = m
        .databases
        .iter()
        .map(|d| d.price_per_hour + d.replica_price_per_hour * d.read_replicas as f64)
        .sum::<f64>()
        + m.caches
            .iter()
            .map(|c| c.price_per_hour * c.nodes as f64)
            .sum::<f64>();
    let per_call: Vec<String> = m
        .providers
        .iter()
        .filter(|p| p.cost_per_call > 0.0)
        .map(|p| format!("{} ${} per call", p.name, p.cost_per_call))
        .collect();
    if services_hourly + data_hourly > 0.0 || !per_call.is_empty() {
        let calls = if per_call.is_empty() {
            String::new()
        } else {
            format!("; {}", per_call.join(", "))
        };
        let _ = writeln!(
            out,
            "  cost at the starting size: ${:.2}/hour (services ${services_hourly:.2}, data tier ${data_hourly:.2}){calls}",
            services_hourly + data_hourly
        );
    } else {
        let _ = writeln!(
            out,
            "  cost: no prices set (add `price_per_hour` to services, databases and caches)"
        );
    }
    out
}

/// The experiment in one line, then its model.
pub fn experiment(exp: &Experiment) -> String {
    let mut out = format!(
        "experiment `{}`: {}, {}, {} replications, ends at {}, {}\n",
        exp.name,
        plural(exp.scenarios.len(), "scenario", "scenarios"),
        plural(exp.flows.len(), "flow", "flows"),
        exp.replications,
        format_duration(exp.end_time()),
        plural(exp.thresholds.len(), "threshold", "thresholds"),
    );
    for line in model(&exp.model).lines() {
        let _ = writeln!(out, "  {line}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load::load_model;
    use std::path::Path;

    fn described(file: &str) -> String {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        model(&load_model(&root.join(file)).unwrap())
    }

    #[test]
    fn says_what_the_model_bound() {
        let text = described("models/hamballer-10x.yaml");
        assert!(text.contains("api: 8 replicas"), "{text}");
        assert!(
            text.contains("HPA `hamballer-api-hpa` 4-20 replicas"),
            "{text}"
        );
        assert!(text.contains("mint: job queue"), "{text}");
        assert!(text.contains("fails over to rpc-secondary"), "{text}");
        assert!(!text.contains("station"), "no queueing jargon: {text}");
        let aws = described("models/aws-demo.yaml");
        assert!(
            aws.contains("Auto Scaling group `hamballer-api-asg` 4-20"),
            "{aws}"
        );
        assert!(aws.contains("scaled by a read-replica rule"), "{aws}");
        assert!(aws.contains("cost at the starting size: $"), "{aws}");
        let plain = described("models/mm1.yaml");
        assert!(plain.contains("fixed size"), "{plain}");
        assert!(plain.contains("no prices set"), "{plain}");
    }
}
