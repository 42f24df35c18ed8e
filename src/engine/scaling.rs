//! The Kubernetes HPA at run time: the metrics-server's scrapes of every pod (its window
//! of samples), what the HPA controller sees of each pod, and each HPA's reconcile state.
//! The loop starts and removes the replicas a reconcile decides on.

use crate::autoscale::hpa::{
    ContainerObservation, HpaState, Observed, PodObservation, PodPhase, ResourceSample,
    reconcile_observed, status_replicas,
};
use crate::engine::event::Event;
use crate::engine::queue::EventQueue;
use crate::engine::recorder::Recorder;
use crate::engine::result::ScaleRecord;
use crate::engine::station::{Replica, ReplicaState, StationState};
use crate::model::{HpaBinding, MetricSource, Model, Station};
use crate::time::Nanos;

/// The custom Pods metric capsim serves: requests arriving per second at a pod.
pub const HTTP_REQUESTS_PER_SECOND: &str = "http_requests_per_second";

/// Per HPA of the model: its controller state.
pub(crate) struct HpaRuntime {
    states: Vec<HpaState>,
    /// Per HPA, per metric: (time, counter) at the previous reconcile, for rate metrics.
    last_counts: Vec<Vec<(Nanos, u64)>>,
}

impl HpaRuntime {
    /// Schedules the first scrape and the first reconcile of every HPA.
    pub fn new(model: &Model, queue: &mut EventQueue) -> Self {
        let states = model
            .kubernetes
            .as_ref()
            .map(|k| k.hpas.iter().map(|_| HpaState::new()).collect())
            .unwrap_or_default();
        if let Some(k) = &model.kubernetes {
            queue.push(k.scrape_interval, Event::MetricsScrape);
            for i in 0..k.hpas.len() {
                queue.push(k.config.sync_period, Event::HpaSync { hpa: i as u32 });
            }
        }
        let last_counts = model
            .kubernetes
            .as_ref()
            .map(|k| {
                k.hpas
                    .iter()
                    .map(|b| vec![(0, 0); b.metric_sources.len()])
                    .collect()
            })
            .unwrap_or_default();
        HpaRuntime {
            states,
            last_counts,
        }
    }

    /// What the metrics adapter serves for metric `m` of HPA `index` (milli-units).
    fn metric_value(
        &mut self,
        index: usize,
        m: usize,
        source: &MetricSource,
        stations: &[StationState],
        rec: &Recorder,
        now: Nanos,
    ) -> Option<i64> {
        let count = match source {
            MetricSource::QueueLength(s) => {
                return Some(i64::from(stations[*s].queued_total()) * 1000);
            }
            MetricSource::Series(points) => {
                return points
                    .iter()
                    .rev()
                    .find(|(at, _)| *at <= now)
                    .map(|(_, v)| *v);
            }
            MetricSource::RequestRate(s) => rec.stations[*s].arrivals,
            MetricSource::ProviderRate(p) => rec.providers[*p].attempts,
        };
        let slot = &mut self.last_counts[index][m];
        let (t0, c0) = *slot;
        *slot = (now, count);
        // A counter reset (warm-up) restarts the rate from zero.
        let delta = if count >= c0 { count - c0 } else { count };
        let span = now.saturating_sub(t0);
        (span > 0).then(|| (delta as f64 * 1000.0 * 1e9 / span as f64).round() as i64)
    }

    /// metrics-server: records each pod's cumulative CPU and arrivals; keeps one window.
    pub fn scrape(
        model: &Model,
        stations: &mut [StationState],
        now: Nanos,
        queue: &mut EventQueue,
    ) {
        let Some(k) = &model.kubernetes else {
            return;
        };
        for b in &k.hpas {
            for r in stations[b.station]
                .replicas
                .iter_mut()
                .filter(|r| r.exists())
            {
                r.scrape(now, k.metrics_window);
            }
        }
        queue.push(now + k.scrape_interval, Event::MetricsScrape);
    }

    /// One reconcile of HPA `index`: the new scale when it changes.
    pub fn reconcile(
        &mut self,
        index: usize,
        model: &Model,
        stations: &[StationState],
        rec: &Recorder,
        now: Nanos,
    ) -> Option<ScaleRecord> {
        let k = model.kubernetes.as_ref()?;
        let binding = &k.hpas[index];
        let station = binding.station;
        let spec = &model.stations[station];
        let st = &stations[station];
        let pods: Vec<PodObservation> = st
            .replicas
            .iter()
            .enumerate()
            .filter(|(_, r)| r.exists())
            .map(|(i, r)| observe_pod(spec, binding, i, r))
            .collect();
        let current = st.live_replicas();
        let mut values = Vec::with_capacity(binding.metric_sources.len());
        for (m, source) in binding.metric_sources.iter().enumerate() {
            values.push(
                source
                    .as_ref()
                    .and_then(|s| self.metric_value(index, m, s, stations, rec, now)),
            );
        }
        let observed = Observed {
            spec_replicas: current,
            status_replicas: status_replicas(&pods),
            pods: &pods,
            metric_values: &values,
        };
        let decision = reconcile_observed(
            &binding.hpa,
            &mut self.states[index],
            now,
            &observed,
            &k.config,
        );
        (decision.changed && decision.desired_replicas != current).then(|| ScaleRecord {
            at: now,
            station,
            from: current,
            to: decision.desired_replicas,
            reason: decision.rescale_reason.clone().unwrap_or_default(),
        })
    }

    /// Schedules the next reconcile of HPA `index`.
    pub fn schedule_sync(index: usize, model: &Model, now: Nanos, queue: &mut EventQueue) {
        if let Some(k) = &model.kubernetes {
            queue.push(
                now + k.config.sync_period,
                Event::HpaSync { hpa: index as u32 },
            );
        }
    }
}

/// What the HPA controller sees of one pod. The service's work runs in the first
/// container of the template; the others (sidecars) report their requests and no usage.
fn observe_pod(s: &Station, binding: &HpaBinding, index: usize, r: &Replica) -> PodObservation {
    let res = &s.resources;
    let (cpu, rate, sample_time) = match (r.samples.front(), r.samples.back()) {
        (Some(first), Some(last)) if last.0 > first.0 => {
            let span = (last.0 - first.0) as f64;
            let cpu = ((last.1 - first.1) / span * res.cpu_per_work_milli as f64).round() as i64;
            let rate = ((last.2 - first.2) as f64 / (span / 1e9) * 1000.0).round() as i64;
            (Some(cpu), Some(rate), Some(last.0))
        }
        // metrics-server needs two scrapes of a pod before it reports it.
        _ => (None, None, None),
    };
    let memory = sample_time.map(|_| {
        res.memory_base_bytes + res.memory_per_request_bytes * r.in_flight_at_scrape as i64
    });
    let mut custom = std::collections::BTreeMap::new();
    if let Some(rate) = rate {
        custom.insert(HTTP_REQUESTS_PER_SECOND.to_string(), rate);
    }
    let cpu = ResourceSample {
        request: res.cpu_request_milli,
        usage: cpu,
    };
    let memory = ResourceSample {
        request: res.memory_request_bytes,
        usage: memory,
    };
    let containers = if binding.containers.is_empty() {
        vec![ContainerObservation {
            name: s.deployment.clone(),
            cpu,
            memory,
        }]
    } else {
        binding
            .containers
            .iter()
            .enumerate()
            .map(
                |(i, (name, cpu_request, memory_request))| ContainerObservation {
                    name: name.clone(),
                    cpu: ResourceSample {
                        request: *cpu_request,
                        usage: if i == 0 {
                            cpu.usage
                        } else {
                            cpu.usage.map(|_| 0)
                        },
                    },
                    memory: ResourceSample {
                        request: *memory_request,
                        usage: if i == 0 {
                            memory.usage
                        } else {
                            memory.usage.map(|_| 0)
                        },
                    },
                },
            )
            .collect()
    };
    PodObservation {
        name: format!("{}-{index}", s.deployment),
        phase: PodPhase::Running,
        deleting: r.state == ReplicaState::Draining,
        start_time: Some(r.created),
        ready: r.state == ReplicaState::Ready,
        ready_transition: if r.state == ReplicaState::Ready {
            r.ready_since
        } else {
            r.created
        },
        cpu,
        memory,
        custom,
        sample_time,
        containers,
    }
}
