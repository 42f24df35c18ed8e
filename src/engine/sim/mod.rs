//! One replication: the event loop. It owns the components (event queue, stations, tasks,
//! databases, providers, VUs, recorder, autoscaler runtimes, balancer health, faults),
//! pops events in (time, sequence) order and dispatches each to the part of the loop that
//! carries it out, passing every component the parts of the state it needs:
//! `requests.rs` (a request's life in the services), `queries.rs` (database queries),
//! `provider_calls.rs` (external providers), `vu_events.rs` (the VUs), `replicas.rs`
//! (replicas coming and going, faults, balancer health), `autoscaling.rs` (HPA, AWS).

mod autoscaling;
mod provider_calls;
mod queries;
mod replicas;
mod requests;
mod vu_events;

use crate::engine::aws::AwsRuntime;
use crate::engine::budget::{Budget, RunError};
use crate::engine::database::Databases;
use crate::engine::event::Event;
use crate::engine::external::Providers;
use crate::engine::faults::FaultState;
use crate::engine::lb_health::LbHealth;
use crate::engine::memory::{ItemBytes, Live, bucket_row_bytes, format_bytes};
use crate::engine::queue::{EventQueue, lanes};
use crate::engine::recorder::Recorder;
use crate::engine::result::ReplicationResult;
use crate::engine::scaling::HpaRuntime;
use crate::engine::station::StationState;
use crate::engine::task::Tasks;
use crate::engine::vus::{VuCx, VuPool};
use crate::model::Model;
use crate::model::experiment::Experiment;
use crate::time::Nanos;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// Derives the generator for one stream of one replication from the experiment seed.
/// SplitMix64 finalisation of (seed, replication, stream): portable and documented.
pub fn stream_rng(seed: u64, replication: u32, stream: u64) -> Xoshiro256PlusPlus {
    let mut z = seed
        ^ (replication as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    Xoshiro256PlusPlus::seed_from_u64(z)
}

pub struct Simulation<'a> {
    exp: &'a Experiment,
    model: &'a Model,
    replication: u32,
    now: Nanos,
    queue: EventQueue,
    /// Draws of the load: think times, Poisson arrivals.
    rng_load: Xoshiro256PlusPlus,
    /// Draws of the system: work, query times, hits, failures, balancing.
    rng_system: Xoshiro256PlusPlus,
    stations: Vec<StationState>,
    tasks: Tasks,
    dbs: Databases,
    providers: Providers,
    vus: VuPool,
    rec: Recorder,
    events: u64,
    budget: Budget,
    /// The progress guard: the time at the last look, events since the clock last moved
    /// (counted at the looks) and the most allowed ([`crate::engine::budget::stall_limit`]).
    stall_at: Nanos,
    stalled: u64,
    stall_limit: u64,
    hpa: HpaRuntime,
    aws: AwsRuntime,
    lb: LbHealth,
    faults: FaultState,
    /// When an `abortOnFail` threshold stopped the test, and which one.
    aborted: Option<(Nanos, usize)>,
    /// Per endpoint: its entry station and the first instruction of its operation, read
    /// on every request (the model's records are three loads away).
    entries: Vec<(u32, u32)>,
}

impl<'a> Simulation<'a> {
    pub fn new(exp: &'a Experiment, replication: u32, budget: Budget) -> Self {
        let model = &exp.model;
        let stations: Vec<StationState> = (model.stations.iter().enumerate())
            .map(|(i, s)| StationState::new(s, model.cpu_observed(i)))
            .collect();
        let mut rec = Recorder::new(
            exp.bucket,
            exp.n_buckets(),
            model.endpoints.len(),
            exp.checks.len(),
            model,
        );
        rec.subs = crate::engine::submetrics::Submetrics::new(exp);
        rec.windows = crate::engine::windows::Windows::new(exp);
        let mut queue = EventQueue::with_capacity(1024, lanes::count(model));
        // The first events, in this order: scenarios, HPAs, AWS, balancer checks, faults.
        let vus = VuPool::new(exp, &mut queue, &mut rec);
        let hpa = HpaRuntime::new(model, &mut queue);
        let aws = AwsRuntime::new(model, &mut queue);
        let lb = LbHealth::new(model, &stations, 0, &mut queue);
        let faults = FaultState::new(model, &exp.faults, &mut queue);
        if crate::engine::abort::wanted(exp) {
            queue.push(crate::engine::abort::EVERY, Event::ThresholdTick);
        }
        Simulation {
            exp,
            model,
            replication,
            now: 0,
            queue,
            rng_load: stream_rng(exp.seed, replication, 1),
            rng_system: stream_rng(exp.seed, replication, 2),
            stations,
            tasks: Tasks::with_capacity(1024),
            dbs: Databases::new(model),
            providers: Providers::new(model),
            vus,
            rec,
            events: 0,
            budget,
            stall_at: 0,
            stalled: 0,
            stall_limit: crate::engine::budget::stall_limit(
                exp.scenarios
                    .iter()
                    .fold(0u64, |n, s| n.saturating_add(s.scenario.max_vus())),
            ),
            hpa,
            aws,
            lb,
            faults,
            aborted: None,
            entries: model
                .endpoints
                .iter()
                .map(|e| {
                    let entry = model.stations[e.station].operations[e.operation].entry;
                    (e.station as u32, entry)
                })
                .collect(),
        }
    }

    /// Runs the replication to the end of the test.
    pub fn run(mut self) -> Result<ReplicationResult, RunError> {
        // The test ends when every scenario has finished (k6 does not wait out gracefulStop
        // when nothing runs), and at the latest at the scenarios' hard end.
        let mut end = self.exp.end_time();
        self.budget.check(self.replication, 0, 0)?;
        let mut next_look = self.next_look();
        while let Some((t, event)) = self.queue.pop_until(end) {
            self.now = t;
            self.rec.advance_to(t);
            self.events += 1;
            // One test per event: the next look is due at the next multiple of
            // `CHECK_EVERY` or at the event past the budget, whichever comes first.
            if self.events >= next_look {
                self.look(t)?;
                next_look = self.next_look();
            }
            // The most frequent event (a `work` step's end) without the dispatch's frame.
            match event {
                Event::TaskStep { task, generation } => self.task_step(task, generation),
                other => self.handle(other),
            }
            if self.vus.all_finished() || self.aborted.is_some() {
                end = t;
                break;
            }
        }
        self.now = end;
        Ok(self.finish_run(end))
    }

    /// The event count at which [`Self::look`] is next due.
    fn next_look(&self) -> u64 {
        let next_multiple = (self.events / Budget::CHECK_EVERY + 1) * Budget::CHECK_EVERY;
        next_multiple.min(self.budget.max_events.saturating_add(1))
    }

    /// The budget's looks: past the event budget the run stops; at each multiple of
    /// [`Budget::CHECK_EVERY`] events the deadline, the stop flag, progress and memory.
    #[cold]
    fn look(&mut self, t: Nanos) -> Result<(), RunError> {
        if self.events > self.budget.max_events {
            return Err(RunError::EventBudget {
                replication: self.replication,
                events: self.events - 1,
                at: crate::time::format_duration(t),
            });
        }
        if self.events.is_multiple_of(Budget::CHECK_EVERY) {
            self.budget.check(self.replication, self.events, t)?;
            self.check_progress(t)?;
            if self.budget.state_limit != u64::MAX {
                self.check_memory(t)?;
            }
        }
        Ok(())
    }

    /// The progress guard, at each look: the clock must move within the stall limit.
    #[cold]
    fn check_progress(&mut self, t: Nanos) -> Result<(), RunError> {
        if t != self.stall_at {
            self.stall_at = t;
            self.stalled = 0;
            return Ok(());
        }
        self.stalled += Budget::CHECK_EVERY;
        if self.stalled >= self.stall_limit {
            return Err(RunError::NoProgress {
                replication: self.replication,
                events: self.stalled,
                at: crate::time::format_duration(t),
            });
        }
        Ok(())
    }

    /// The memory budget, at each look: the live state must fit in this replication's share.
    #[cold]
    fn check_memory(&self, t: Nanos) -> Result<(), RunError> {
        let live = Live {
            events: self.queue.len() as u64,
            tasks: self.tasks.len() as u64,
            vus: self.vus.len() as u64,
            queued: self.stations.iter().map(|s| s.queued_total() as u64).sum(),
            buckets: self.rec.buckets.len() as u64,
        };
        let bytes =
            live.bytes(&ItemBytes::get(), bucket_row_bytes(self.exp)) + self.vus.batch_slot_bytes();
        if bytes <= self.budget.state_limit {
            return Ok(());
        }
        Err(RunError::Memory {
            replication: self.replication,
            at: crate::time::format_duration(t),
            events: live.events,
            tasks: live.tasks,
            vus: live.vus,
            queued: live.queued,
            bytes: format_bytes(bytes),
            limit: format_bytes(self.budget.state_limit),
        })
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::ScenarioStart { scenario } => self.scenario_start(scenario as usize),
            Event::ScenarioStep { scenario, step } => {
                self.scenario_step(scenario as usize, step as usize)
            }
            Event::ScenarioRegularEnd { scenario } => self.scenario_regular_end(scenario as usize),
            Event::ScenarioHardEnd { scenario } => self.scenario_hard_end(scenario as usize),
            Event::ArrivalTick { scenario } => self.arrival_tick(scenario as usize),
            Event::VuWake { vu, token } => self.vu_wake(vu, token),
            Event::VuInterrupt { vu, epoch } => self.vu_interrupt(vu, epoch),
            Event::ClientTimeout { vu, token } => self.client_timeout(vu, token),
            Event::EntryArrive { vu, token } => self.entry_arrive(vu, token),
            Event::TaskStep { task, generation } => self.task_step(task, generation),
            Event::CpuNext {
                station,
                replica,
                version,
            } => self.cpu_next(station as usize, replica as usize, version),
            Event::ExternalDone { task, generation } => self.external_done(task, generation),
            Event::ExternalRetry { task, generation } => self.external_retry(task, generation),
            Event::StationTimeout { task, generation } => self.station_timeout(task, generation),
            Event::PoolTimeout {
                task,
                generation,
                token,
            } => self.pool_timeout(task, generation, token),
            Event::DbNext { node, version } => self.db_next(node as usize, version),
            Event::ReplicaReady {
                station,
                replica,
                epoch,
            } => self.replica_ready(station as usize, replica as usize, epoch),
            Event::MetricsScrape => {
                HpaRuntime::scrape(self.model, &mut self.stations, self.now, &mut self.queue)
            }
            Event::HpaSync { hpa } => self.hpa_sync(hpa as usize),
            Event::AwsTick => self.aws_tick(),
            Event::DbReplicaReady { node } => self.dbs.replica_ready(node as usize),
            Event::FaultStart { fault } => self.fault_start(fault as usize),
            Event::FaultEnd { fault } => self.fault_end(fault as usize),
            Event::DeathNoticed {
                station,
                replica,
                epoch,
            } => self.death_noticed(station as usize, replica as usize, epoch),
            Event::LbHealth { station, version } => self.lb_health_tick(station as usize, version),
            Event::JobRetry { station, attempt } => self.job_retry(station as usize, attempt),
            Event::ThresholdTick => self.threshold_tick(),
        }
    }

    /// The VU pool and the parts of the replication a VU touches.
    #[inline]
    fn vu_parts(&mut self) -> (&mut VuPool, VuCx<'_, 'a>) {
        (
            &mut self.vus,
            VuCx {
                now: self.now,
                exp: self.exp,
                queue: &mut self.queue,
                rec: &mut self.rec,
                rng_load: &mut self.rng_load,
                rng_system: &mut self.rng_system,
            },
        )
    }

    fn finish_run(self, end: Nanos) -> ReplicationResult {
        let mut in_flight = self.tasks.unsettled_per_station(self.model.stations.len());
        // Jobs waiting without a task slot (see `admit`).
        for (n, s) in in_flight.iter_mut().zip(&self.stations) {
            *n += s.replicas.iter().map(|r| r.jobs.len() as u64).sum::<u64>();
        }
        let in_request = self.vus.in_request();
        let aborted = self.aborted;
        let mut result = self.rec.into_result(
            self.replication,
            end,
            self.events,
            &in_flight,
            in_request,
            &self.exp.percentiles,
        );
        result.aborted_at = aborted.map(|(at, _)| at);
        result.aborted_by = aborted.map(|(_, t)| t);
        result
    }

    /// k6's threshold evaluation: an `abortOnFail` threshold that fails stops the test now.
    fn threshold_tick(&mut self) {
        self.rec.flush_latencies();
        if let Some(t) = crate::engine::abort::breached(self.exp, &self.rec, self.now) {
            self.aborted = Some((self.now, t));
            return;
        }
        let next = self.now + crate::engine::abort::EVERY;
        if next <= self.exp.end_time() {
            self.queue.push(next, Event::ThresholdTick);
        }
    }
}
