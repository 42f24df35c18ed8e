//! Replicas that come and go: start-up until ready, draining on removal, billing, the
//! metrics-server view of each pod, and the Kubernetes HPA reconciling in the loop.

use crate::autoscale::hpa::{PodObservation, PodPhase, ResourceSample, reconcile};
use crate::engine::event::Event;
use crate::engine::sim::Simulation;
use crate::engine::station::{Replica, ReplicaState};
use crate::time::Nanos;

/// The custom Pods metric capsim serves: requests arriving per second at a pod.
pub const HTTP_REQUESTS_PER_SECOND: &str = "http_requests_per_second";

/// One scaling decision, for the summary and the optional decision log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScaleRecord {
    pub at: Nanos,
    pub station: usize,
    pub from: u32,
    pub to: u32,
    pub reason: String,
}

impl Simulation<'_> {
    /// Schedules the first scrape and the first reconcile of every HPA.
    pub(crate) fn init_autoscaling(&mut self) {
        let Some(k) = &self.model.kubernetes else {
            return;
        };
        self.queue.push(k.scrape_interval, Event::MetricsScrape);
        for i in 0..k.hpas.len() {
            self.queue
                .push(k.config.sync_period, Event::HpaSync { hpa: i as u32 });
        }
    }

    /// Replicas that exist and are not being removed: what `spec.replicas` counts.
    pub(crate) fn live_replicas(&self, station: usize) -> u32 {
        self.stations[station]
            .replicas
            .iter()
            .filter(|r| matches!(r.state, ReplicaState::Starting | ReplicaState::Ready))
            .count() as u32
    }

    /// Sets the station's replica count: new replicas start (and become ready after their
    /// start-up time); removed ones (not-ready first, then the newest, as a ReplicaSet
    /// does) stop taking requests and leave once they hold none.
    pub(crate) fn scale_to(&mut self, station: usize, desired: u32) {
        let now = self.now;
        let live = self.live_replicas(station);
        self.rec.stations[station].desired.set(now, desired as f64);
        if desired > live {
            for _ in live..desired {
                self.spawn_replica(station);
            }
        } else if desired < live {
            for _ in desired..live {
                let victim = self.stations[station]
                    .replicas
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| {
                        matches!(r.state, ReplicaState::Starting | ReplicaState::Ready)
                    })
                    .max_by_key(|(i, r)| (r.state == ReplicaState::Starting, r.created, *i))
                    .map(|(i, _)| i);
                if let Some(v) = victim {
                    self.retire_replica(station, v);
                }
            }
        }
    }

    pub(crate) fn spawn_replica(&mut self, station: usize) -> usize {
        let now = self.now;
        let s = &self.model.stations[station];
        let delay = s
            .startup
            .map(|d| self.model.distributions[d].sample_nanos(&mut self.rng_system))
            .unwrap_or(0);
        let cores = s.cores;
        let st = &mut self.stations[station];
        let slot = st
            .replicas
            .iter()
            .position(|r| r.state == ReplicaState::Gone && r.queue.is_empty());
        let index = match slot {
            Some(i) => {
                let epoch = st.replicas[i].epoch.wrapping_add(1);
                let queue = std::mem::take(&mut st.replicas[i].queue);
                st.replicas[i] = Replica {
                    epoch,
                    queue,
                    ..Replica::new(st.queue_capacity, now, false, cores)
                };
                i
            }
            None => {
                st.replicas
                    .push(Replica::new(st.queue_capacity, now, false, cores));
                st.replicas.len() - 1
            }
        };
        let epoch = st.replicas[index].epoch;
        self.rec.stations[station].billed.add(now, 1.0);
        self.queue.push(
            now + delay,
            Event::ReplicaReady {
                station: station as u32,
                replica: index as u32,
                epoch,
            },
        );
        index
    }

    pub(crate) fn replica_ready(&mut self, station: usize, replica: usize, epoch: u32) {
        let now = self.now;
        let r = &mut self.stations[station].replicas[replica];
        if r.epoch != epoch || r.state != ReplicaState::Starting {
            return;
        }
        r.state = ReplicaState::Ready;
        r.ready_since = now;
        let routable = self.lb_register(station, replica);
        self.stations[station].replicas[replica].ready = routable;
        let workers = self.model.stations[station].workers as f64;
        let c = &mut self.rec.stations[station];
        c.capacity.add(now, workers);
        c.ready.add(now, 1.0);
        self.aws_instance_ready(station, replica);
    }

    pub(crate) fn retire_replica(&mut self, station: usize, replica: usize) {
        let now = self.now;
        let workers = self.model.stations[station].workers as f64;
        let r = &mut self.stations[station].replicas[replica];
        if r.state == ReplicaState::Ready {
            let c = &mut self.rec.stations[station];
            c.capacity.add(now, -workers);
            c.ready.add(now, -1.0);
        }
        r.state = ReplicaState::Draining;
        r.ready = false;
        self.lb_deregister(station, replica);
        self.leave_if_drained(station, replica);
    }

    /// A draining replica leaves once it holds no request.
    pub(crate) fn leave_if_drained(&mut self, station: usize, replica: usize) {
        let r = &mut self.stations[station].replicas[replica];
        if r.busy > 0 || r.queued > 0 {
            return;
        }
        if r.state == ReplicaState::Dead && !r.ready {
            // A killed replica the platform has noticed: its slot is free once empty.
            r.state = ReplicaState::Gone;
            r.samples.clear();
            self.aws_instance_gone(station, replica);
            self.lb_remove(station, replica);
            return;
        }
        if r.state == ReplicaState::Draining {
            r.state = ReplicaState::Gone;
            let s = &self.model.stations[station];
            let lived = self.now - r.created;
            if lived < s.billing_minimum {
                let extra = (s.billing_minimum - lived) as f64 / 3.6e12 * s.price_per_hour;
                self.rec.stations[station].extra_cost += extra;
                self.rec.spend(extra, true);
            }
            r.samples.clear();
            self.rec.stations[station].billed.add(self.now, -1.0);
            self.aws_instance_gone(station, replica);
            self.lb_remove(station, replica);
        }
    }

    /// metrics-server: records each pod's cumulative CPU and arrivals; keeps one window.
    pub(crate) fn scrape(&mut self) {
        let Some(k) = &self.model.kubernetes else {
            return;
        };
        let now = self.now;
        let window = k.metrics_window;
        for b in &k.hpas {
            for r in self.stations[b.station]
                .replicas
                .iter_mut()
                .filter(|r| r.exists())
            {
                r.integrate_cpu(now);
                r.samples.push_back((now, r.cpu_integral, r.arrivals));
                while r.samples.front().is_some_and(|&(t, _, _)| t + window < now) {
                    r.samples.pop_front();
                }
                r.in_flight_at_scrape = r.busy + r.queued;
            }
        }
        self.queue
            .push(now + k.scrape_interval, Event::MetricsScrape);
    }

    /// What the HPA controller sees of one pod.
    fn observe_pod(&self, station: usize, index: usize, r: &Replica) -> PodObservation {
        let s = &self.model.stations[station];
        let res = &s.resources;
        let (cpu, rate, sample_time) = match (r.samples.front(), r.samples.back()) {
            (Some(first), Some(last)) if last.0 > first.0 => {
                let span = (last.0 - first.0) as f64;
                let cpu =
                    ((last.1 - first.1) / span * res.cpu_per_work_milli as f64).round() as i64;
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
            cpu: ResourceSample {
                request: res.cpu_request_milli,
                usage: cpu,
            },
            memory: ResourceSample {
                request: res.memory_request_bytes,
                usage: memory,
            },
            custom,
            sample_time,
        }
    }

    /// One reconcile of HPA `index`; a changed scale starts or removes replicas now.
    pub(crate) fn hpa_sync(&mut self, index: usize) {
        let Some(k) = &self.model.kubernetes else {
            return;
        };
        let binding = &k.hpas[index];
        let station = binding.station;
        let pods: Vec<PodObservation> = self.stations[station]
            .replicas
            .iter()
            .enumerate()
            .filter(|(_, r)| r.exists())
            .map(|(i, r)| self.observe_pod(station, i, r))
            .collect();
        let current = self.live_replicas(station);
        let decision = reconcile(
            &binding.hpa,
            &mut self.hpa_states[index],
            self.now,
            current,
            &pods,
            &k.config,
        );
        if decision.changed && decision.desired_replicas != current {
            let c = &mut self.rec.stations[station];
            if decision.desired_replicas > current {
                c.scale_ups += 1;
                c.first_scale_up.get_or_insert(self.now);
            } else {
                c.scale_downs += 1;
            }
            self.decisions.push(ScaleRecord {
                at: self.now,
                station,
                from: current,
                to: decision.desired_replicas,
                reason: decision.rescale_reason.clone().unwrap_or_default(),
            });
            self.scale_to(station, decision.desired_replicas);
        }
        self.queue.push(
            self.now + k.config.sync_period,
            Event::HpaSync { hpa: index as u32 },
        );
    }
}
