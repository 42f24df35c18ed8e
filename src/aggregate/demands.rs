//! The model's service demands per request of each endpoint: the expected time a request
//! holds each station's workers (nested calls included, waits excluded), the query time it
//! puts on each database, the provider calls it makes and its response time with no
//! waiting at all. The operational-law bounds of the bottleneck analysis start from these.

use crate::model::{Instr, Model};

/// Expected demands of one request of one endpoint (branch probabilities and cache hit
/// ratios weighted in; provider retries, failovers and timeouts ignored).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointDemand {
    /// Per station: seconds a worker is held (its own work plus what it waits for
    /// downstream when nothing queues). Job queues count the jobs the request enqueues.
    pub hold_s: Vec<f64>,
    /// Per database: query seconds, writes (primary only) and reads apart.
    pub write_s: Vec<f64>,
    pub read_s: Vec<f64>,
    /// Per provider: attempts (first attempts only).
    pub calls: Vec<f64>,
    /// Response time with no waiting anywhere: the entry's hold plus the balancer's latency.
    pub min_response_s: f64,
}

/// Instructions the walk may visit before it gives up (sequences of branches multiply the
/// paths; the analysis then goes without model demands).
const MAX_STEPS: usize = 200_000;
/// Deepest nesting of calls, cache lookups and branches the walk follows.
const MAX_DEPTH: usize = 64;

struct Walker<'m> {
    model: &'m Model,
    d: EndpointDemand,
    steps: usize,
}

impl Walker<'_> {
    /// An operation at `station` starting at `entry`, reached with probability `w`:
    /// returns its expected holding time and adds `w` times it to the station's demand.
    fn operation(&mut self, station: usize, entry: u32, w: f64, depth: usize) -> Option<f64> {
        let t = self.sequence(entry, w, depth + 1)?;
        *self.d.hold_s.get_mut(station)? += w * t;
        Some(t)
    }

    /// Expected time from instruction `pc` to the operation's return.
    fn sequence(&mut self, mut pc: u32, w: f64, depth: usize) -> Option<f64> {
        if depth > MAX_DEPTH {
            return None;
        }
        let model = self.model;
        let mean = |dist: usize| model.distributions.get(dist).map(|d| d.mean_secs());
        let mut t = 0.0;
        loop {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return None;
            }
            match *model.program.code.get(pc as usize)? {
                Instr::Work { dist } => t += mean(dist)?,
                Instr::Call { station, operation } => {
                    let target = model.stations.get(station as usize)?;
                    let entry = target.operations.get(operation as usize)?.entry;
                    t += self.operation(station as usize, entry, w, depth)?;
                }
                Instr::Query {
                    database,
                    write,
                    time,
                } => {
                    let m = mean(time)?;
                    let slot = if write {
                        self.d.write_s.get_mut(database as usize)?
                    } else {
                        self.d.read_s.get_mut(database as usize)?
                    };
                    *slot += w * m;
                    t += m;
                }
                Instr::Cache {
                    cache,
                    hit_ratio,
                    on_hit,
                } => {
                    t += mean(model.caches.get(cache as usize)?.latency)?;
                    let h = hit_ratio.clamp(0.0, 1.0);
                    let hit = self.sequence(on_hit, w * h, depth + 1)?;
                    let miss = self.sequence(pc + 1, w * (1.0 - h), depth + 1)?;
                    return Some(t + h * hit + (1.0 - h) * miss);
                }
                Instr::External { provider } => {
                    let p = model.providers.get(provider as usize)?;
                    *self.d.calls.get_mut(provider as usize)? += w;
                    let latency = mean(p.latency)?;
                    t += match p.timeout {
                        Some(limit) => latency.min(limit as f64 / 1e9),
                        None => latency,
                    };
                }
                Instr::Enqueue { station } => {
                    let target = model.stations.get(station as usize)?;
                    let entry = target.operations.first()?.entry;
                    self.operation(station as usize, entry, w, depth)?;
                }
                Instr::Branch { arms } => {
                    let table = model.program.branches.get(arms as usize)?;
                    let mut before = 0.0;
                    let mut arms_t = 0.0;
                    for &(cum, to) in table {
                        let p = (cum.min(1.0) - before).max(0.0);
                        before = cum.min(1.0);
                        arms_t += p * self.sequence(to, w * p, depth + 1)?;
                    }
                    return Some(t + arms_t);
                }
                Instr::Jump { to } => {
                    pc = to;
                    continue;
                }
                Instr::Return => return Some(t),
            }
            pc += 1;
        }
    }
}

/// Each endpoint's demands, in model order; `None` when the program is too large to walk.
pub fn endpoint_demands(model: &Model) -> Option<Vec<EndpointDemand>> {
    let balancer = model
        .balancer
        .latency
        .and_then(|d| model.distributions.get(d))
        .map_or(0.0, |d| d.mean_secs());
    model
        .endpoints
        .iter()
        .map(|e| {
            let mut walker = Walker {
                model,
                d: EndpointDemand {
                    hold_s: vec![0.0; model.stations.len()],
                    write_s: vec![0.0; model.databases.len()],
                    read_s: vec![0.0; model.databases.len()],
                    calls: vec![0.0; model.providers.len()],
                    min_response_s: 0.0,
                },
                steps: 0,
            };
            let station = model.stations.get(e.station)?;
            let entry = station.operations.get(e.operation)?.entry;
            let hold = walker.operation(e.station, entry, 1.0, 0)?;
            walker.d.min_response_s = hold + balancer;
            Some(walker.d)
        })
        .collect()
}

/// The demands of an average request for the endpoint mix `requests` (requests per
/// endpoint); all zero when no request was made.
pub fn mixed(per_endpoint: &[EndpointDemand], requests: &[u64]) -> EndpointDemand {
    let total: u64 = requests.iter().sum();
    let mut out = per_endpoint.first().cloned().unwrap_or_default();
    let zero = |v: &mut Vec<f64>| v.iter_mut().for_each(|x| *x = 0.0);
    zero(&mut out.hold_s);
    zero(&mut out.write_s);
    zero(&mut out.read_s);
    zero(&mut out.calls);
    out.min_response_s = 0.0;
    if total == 0 {
        return out;
    }
    for (d, &n) in per_endpoint.iter().zip(requests) {
        let share = n as f64 / total as f64;
        let add = |to: &mut Vec<f64>, from: &[f64]| {
            to.iter_mut().zip(from).for_each(|(a, b)| *a += share * b)
        };
        add(&mut out.hold_s, &d.hold_s);
        add(&mut out.write_s, &d.write_s);
        add(&mut out.read_s, &d.read_s);
        add(&mut out.calls, &d.calls);
        out.min_response_s += share * d.min_response_s;
    }
    out
}
