//! Faults at run time: their schedule, and the state they leave while they last (providers
//! down or slow, services degraded, a database primary failing over). Killing replicas is
//! the loop's to carry out (it touches stations, tasks, the balancer and the autoscalers);
//! this file says which and how many.

use crate::engine::event::Event;
use crate::engine::queue::EventQueue;
use crate::model::Model;
use crate::model::fault::{Fault, FaultKind, KillAmount};
use crate::time::{NANOS_PER_SEC, Nanos};

/// Time for the platform to notice a dead replica without load-balancer health checks
/// (Kubernetes endpoints removal after the pod's deletion, ASG's EC2 status check).
pub const DETECTION_DELAY: Nanos = 10 * NANOS_PER_SEC;

/// What a fault's start or end asks of the loop beyond the state kept here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FaultAction<'f> {
    None,
    /// Kill replicas of each listed station.
    Kill(&'f [(usize, KillAmount)]),
    /// A database failover is over: a read replica was promoted, one fewer serves reads.
    FailoverOver(usize),
}

/// The effects of the faults in progress.
pub(crate) struct FaultState {
    provider_down: Vec<bool>,
    provider_slowdown: Vec<f64>,
    station_slowdown: Vec<f64>,
    db_failing_over: Vec<bool>,
}

impl FaultState {
    /// No fault in effect; the start and end of every fault are scheduled.
    pub fn new(model: &Model, faults: &[Fault], queue: &mut EventQueue) -> Self {
        for (i, f) in faults.iter().enumerate() {
            queue.push(f.at, Event::FaultStart { fault: i as u32 });
            if let Some(until) = f.until {
                queue.push(until, Event::FaultEnd { fault: i as u32 });
            }
        }
        FaultState {
            provider_down: vec![false; model.providers.len()],
            provider_slowdown: vec![1.0; model.providers.len()],
            station_slowdown: vec![1.0; model.stations.len()],
            db_failing_over: vec![false; model.databases.len()],
        }
    }

    pub fn start<'f>(&mut self, kind: &'f FaultKind) -> FaultAction<'f> {
        match kind {
            FaultKind::Kill { targets } => return FaultAction::Kill(targets),
            FaultKind::ProviderOutage { provider } => self.provider_down[*provider] = true,
            FaultKind::ProviderSlowdown { provider, factor } => {
                self.provider_slowdown[*provider] = *factor
            }
            FaultKind::Degrade { station, factor } => self.station_slowdown[*station] = *factor,
            FaultKind::DatabaseFailover { database } => self.db_failing_over[*database] = true,
        }
        FaultAction::None
    }

    pub fn end<'f>(&mut self, kind: &'f FaultKind) -> FaultAction<'f> {
        match *kind {
            FaultKind::Kill { .. } => {}
            FaultKind::ProviderOutage { provider } => self.provider_down[provider] = false,
            FaultKind::ProviderSlowdown { provider, .. } => self.provider_slowdown[provider] = 1.0,
            FaultKind::Degrade { station, .. } => self.station_slowdown[station] = 1.0,
            FaultKind::DatabaseFailover { database } => {
                self.db_failing_over[database] = false;
                return FaultAction::FailoverOver(database);
            }
        }
        FaultAction::None
    }

    #[inline]
    pub fn provider_down(&self, provider: usize) -> bool {
        self.provider_down[provider]
    }

    #[inline]
    pub fn provider_slowdown(&self, provider: usize) -> f64 {
        self.provider_slowdown[provider]
    }

    /// Factor on the `work` of the station's replicas.
    #[inline]
    pub fn station_slowdown(&self, station: usize) -> f64 {
        self.station_slowdown[station]
    }

    /// The database's primary is failing over: writes are refused.
    #[inline]
    pub fn db_failing_over(&self, database: usize) -> bool {
        self.db_failing_over[database]
    }
}

/// How many of `live` replicas a kill takes.
pub(crate) fn kill_count(amount: KillAmount, live: usize) -> usize {
    match amount {
        KillAmount::Count(c) => (c as usize).min(live),
        KillAmount::Fraction(x) => ((x * live as f64).ceil() as usize).min(live),
    }
}
