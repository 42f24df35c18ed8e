//! One replication: the event loop and the life of a request inside the services
//! (admission, workers, calls, connection pools, caches, providers, jobs, timeouts).

use crate::autoscale::health::TargetGroupHealth;
use crate::autoscale::hpa::HpaState;
use crate::engine::aws::{GroupRuntime, ReplicaRuleRuntime};
use crate::engine::database::{DbNodeState, PoolWaiter};
use crate::engine::event::Event;
use crate::engine::outcome::Cause;
use crate::engine::queue::EventQueue;
use crate::engine::recorder::Recorder;
use crate::engine::result::{Accounting, ReplicationResult};
use crate::engine::scaling::ScaleRecord;
use crate::engine::station::{StationState, Waiting};
use crate::engine::vus::{ScenarioState, Vu};
use crate::model::experiment::Experiment;
use crate::model::{Instr, Model};
use crate::spec::model::BalancerAlgorithm;
use crate::time::Nanos;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// Limits on one replication, so that an untrusted experiment cannot hold a machine.
/// The deadline and the stop flag are looked at once every [`Budget::CHECK_EVERY`] events,
/// so that the per-event cost is one counter test.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max_events: u64,
    /// Wall-clock deadline shared by every replication of a command (`--max-wall-time`).
    pub deadline: Option<std::time::Instant>,
    /// Set by the Ctrl-C/SIGTERM handler (or a test): stop as soon as possible.
    pub stop: Option<&'static std::sync::atomic::AtomicBool>,
}

impl Budget {
    /// Events between two looks at the clock and the stop flag (a power of two).
    pub const CHECK_EVERY: u64 = 1 << 16;

    /// Whether the run must stop now (the stop flag is set or the deadline has passed).
    pub fn check(&self, replication: u32, events: u64, at: Nanos) -> Result<(), RunError> {
        if self
            .stop
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
        {
            return Err(RunError::Interrupted { replication });
        }
        if let Some(deadline) = self.deadline
            && std::time::Instant::now() >= deadline
        {
            return Err(RunError::WallTime {
                replication,
                events,
                at: crate::time::format_duration(at),
            });
        }
        Ok(())
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_events: u64::MAX,
            deadline: None,
            stop: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error(
        "replication {replication} stopped after {events} events at simulated time {at}: the --max-events budget is spent; raise it or shorten the experiment"
    )]
    EventBudget {
        replication: u32,
        events: u64,
        at: String,
    },
    #[error(
        "replication {replication} stopped after {events} events at simulated time {at}: the --max-wall-time budget is spent; raise it or shorten the experiment"
    )]
    WallTime {
        replication: u32,
        events: u64,
        at: String,
    },
    /// Ctrl-C (SIGINT) or SIGTERM: the command stops without writing its outputs.
    #[error("interrupted during replication {replication}")]
    Interrupted { replication: u32 },
}

/// Who waits for a task's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parent {
    /// Nobody any more (the client gave up or was interrupted).
    None,
    Vu {
        vu: u32,
        token: u32,
    },
    Task {
        task: u32,
        generation: u32,
    },
    /// A job: the attempt number, starting at 1.
    Job {
        attempt: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Queued,
    Running,
    WaitingChild,
    WaitingPool,
    InDatabase,
    External,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Task {
    pub generation: u32,
    pub alive: bool,
    pub station: u32,
    pub replica: u32,
    pub pc: u32,
    pub next_pc: u32,
    pub parent: Parent,
    pub arrived: Nanos,
    pub phase: Phase,
    pub holds_worker: bool,
    /// Its caller was already answered (server-side timeout): stop at the next step.
    pub orphaned: bool,
    /// The station has already counted this task's outcome.
    pub settled: bool,
    pub wait_token: u32,
    pub db_node: u32,
    /// When the task began waiting for a connection, then when its query began.
    pub since: Nanos,
    /// In a `work` step (counted as CPU use of its replica).
    pub in_work: bool,
    pub provider: u32,
    pub attempt: u32,
    pub pending: Option<Cause>,
}

impl Task {
    const EMPTY: Task = Task {
        generation: 0,
        alive: false,
        station: 0,
        replica: 0,
        pc: 0,
        next_pc: 0,
        parent: Parent::None,
        arrived: 0,
        phase: Phase::Queued,
        holds_worker: false,
        orphaned: false,
        settled: false,
        wait_token: 0,
        db_node: 0,
        since: 0,
        in_work: false,
        provider: 0,
        attempt: 0,
        pending: None,
    };
}

#[derive(Debug, Clone, Copy)]
struct TokenBucket {
    tokens: f64,
    last: Nanos,
}

/// FIFO lanes of the event queue, one per timer of fixed delay.
pub(crate) mod lanes {
    use crate::model::Model;
    /// Events due at the current instant (a task starting, an immediate answer).
    pub const NOW: usize = 0;
    pub const CLIENT_TIMEOUT: usize = 1;
    pub fn station(station: usize) -> usize {
        2 + station
    }
    pub fn pool(model: &Model, database: usize) -> usize {
        2 + model.stations.len() + database
    }
    pub fn count(model: &Model) -> usize {
        2 + model.stations.len() + model.databases.len()
    }
}

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
    pub(crate) exp: &'a Experiment,
    pub(crate) model: &'a Model,
    pub(crate) replication: u32,
    pub(crate) now: Nanos,
    pub(crate) queue: EventQueue,
    /// Draws of the load: think times, Poisson arrivals.
    pub(crate) rng_load: Xoshiro256PlusPlus,
    /// Draws of the system: work, query times, hits, failures, balancing.
    pub(crate) rng_system: Xoshiro256PlusPlus,
    pub(crate) stations: Vec<StationState>,
    tasks: Vec<Task>,
    free_tasks: Vec<u32>,
    pub(crate) db_nodes: Vec<DbNodeState>,
    /// Per database: index of its primary node; its read replicas follow it.
    /// Per database: its nodes, the primary first, then read replicas (added at run time too).
    pub(crate) db_nodes_of: Vec<Vec<usize>>,
    buckets_tokens: Vec<Option<TokenBucket>>,
    pub(crate) vus: Vec<Vu>,
    pub(crate) scenarios: Vec<ScenarioState>,
    /// Last slot handed out by the global rps limiter (ns, may be fractional).
    pub(crate) rps_last: f64,
    pub(crate) rec: Recorder,
    pub(crate) accounting: Accounting,
    events: u64,
    budget: Budget,
    /// Scenarios with no iteration left to run; all of them ends the test (k6).
    pub(crate) finished_scenarios: usize,
    pub(crate) hpa_states: Vec<HpaState>,
    pub(crate) aws_groups: Vec<GroupRuntime>,
    pub(crate) aws_group_of: Vec<Option<usize>>,
    pub(crate) aws_replica_rules: Vec<ReplicaRuleRuntime>,
    /// Per station: the balancer's target health (entry stations with health checks).
    pub(crate) lb_health: Vec<Option<TargetGroupHealth>>,
    pub(crate) lb_health_version: Vec<u32>,
    pub(crate) decisions: Vec<ScaleRecord>,
}

impl<'a> Simulation<'a> {
    pub fn new(exp: &'a Experiment, replication: u32, budget: Budget) -> Self {
        let model = &exp.model;
        let stations: Vec<StationState> = model.stations.iter().map(StationState::new).collect();
        let mut db_nodes = Vec::new();
        let mut db_nodes_of = Vec::new();
        for (i, d) in model.databases.iter().enumerate() {
            let first = db_nodes.len();
            db_nodes_of.push((first..=first + d.read_replicas as usize).collect::<Vec<usize>>());
            db_nodes.push(DbNodeState::new(
                i as u32,
                d.primary.cores,
                d.primary.pool_size,
            ));
            for _ in 0..d.read_replicas {
                db_nodes.push(DbNodeState::new(
                    i as u32,
                    d.replica.cores,
                    d.replica.pool_size,
                ));
            }
        }
        let rec = Recorder::new(
            exp.bucket,
            exp.n_buckets(),
            model.endpoints.len(),
            exp.checks.len(),
            model,
        );
        let mut sim = Simulation {
            exp,
            model,
            replication,
            now: 0,
            queue: EventQueue::with_capacity(1024, lanes::count(model)),
            rng_load: stream_rng(exp.seed, replication, 1),
            rng_system: stream_rng(exp.seed, replication, 2),
            stations,
            tasks: Vec::with_capacity(1024),
            free_tasks: Vec::with_capacity(1024),
            db_nodes,
            db_nodes_of,
            buckets_tokens: model
                .providers
                .iter()
                .map(|p| {
                    p.rate_limit.map(|(_, burst)| TokenBucket {
                        tokens: burst,
                        last: 0,
                    })
                })
                .collect(),
            vus: Vec::new(),
            scenarios: Vec::new(),
            rps_last: f64::NEG_INFINITY,
            rec,
            accounting: Accounting::default(),
            events: 0,
            budget,
            finished_scenarios: 0,
            hpa_states: model
                .kubernetes
                .as_ref()
                .map(|k| k.hpas.iter().map(|_| HpaState::new()).collect())
                .unwrap_or_default(),
            aws_groups: Vec::new(),
            aws_group_of: vec![None; model.stations.len()],
            aws_replica_rules: Vec::new(),
            lb_health: (0..model.stations.len()).map(|_| None).collect(),
            lb_health_version: vec![0; model.stations.len()],
            decisions: Vec::new(),
        };
        sim.init_scenarios();
        sim.init_autoscaling();
        sim.init_aws();
        sim.init_lb_health();
        sim
    }

    /// Runs the replication to the end of the test.
    pub fn run(mut self) -> Result<ReplicationResult, RunError> {
        // The test ends when every scenario has finished (k6 does not wait out gracefulStop
        // when nothing runs), and at the latest at the scenarios' hard end.
        let mut end = self.exp.end_time();
        self.budget.check(self.replication, 0, 0)?;
        while let Some((t, event)) = self.queue.pop_until(end) {
            self.now = t;
            self.rec.advance_to(t);
            self.events += 1;
            if self.events > self.budget.max_events {
                return Err(RunError::EventBudget {
                    replication: self.replication,
                    events: self.events - 1,
                    at: crate::time::format_duration(t),
                });
            }
            if self.events.is_multiple_of(Budget::CHECK_EVERY) {
                self.budget.check(self.replication, self.events, t)?;
            }
            self.handle(event);
            if self.finished_scenarios == self.scenarios.len() {
                end = t;
                break;
            }
        }
        self.now = end;
        Ok(self.finish_run(end))
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
            Event::VuInterrupt { vu, epoch } => self.vu_interrupt_graceful(vu, epoch),
            Event::ClientTimeout { vu, token } => self.client_timeout(vu, token),
            Event::EntryArrive { vu, token } => self.entry_arrive(vu, token),
            Event::TaskStep { task, generation } => {
                if self.live(task, generation) {
                    let t = &mut self.tasks[task as usize];
                    t.pc = t.next_pc;
                    if t.in_work {
                        t.in_work = false;
                        let r = &mut self.stations[t.station as usize].replicas[t.replica as usize];
                        r.integrate_cpu(self.now);
                        r.cpu_busy -= 1;
                    }
                    self.advance(task);
                }
            }
            Event::CpuNext {
                station,
                replica,
                version,
            } => self.cpu_next(station as usize, replica as usize, version),
            Event::ExternalDone { task, generation } => {
                if self.live(task, generation) {
                    match self.tasks[task as usize].pending {
                        None => {
                            self.tasks[task as usize].pc += 1;
                            self.advance(task);
                        }
                        Some(cause) => self.attempt_failed(task, cause),
                    }
                }
            }
            Event::ExternalRetry { task, generation } => {
                if self.live(task, generation) {
                    if self.tasks[task as usize].orphaned {
                        self.finish(task, None);
                    } else {
                        self.start_attempt(task);
                    }
                }
            }
            Event::StationTimeout { task, generation } => self.station_timeout(task, generation),
            Event::PoolTimeout {
                task,
                generation,
                token,
            } => {
                if self.live(task, generation) {
                    let t = self.tasks[task as usize];
                    if t.phase == Phase::WaitingPool && t.wait_token == token {
                        let node = &mut self.db_nodes[t.db_node as usize];
                        node.waiting -= 1;
                        self.rec.databases[node.database as usize].pool_timeouts += 1;
                        self.fail_here(task, Cause::PoolTimeout);
                    }
                }
            }
            Event::DbNext { node, version } => self.db_next(node as usize, version),
            Event::ReplicaReady {
                station,
                replica,
                epoch,
            } => self.replica_ready(station as usize, replica as usize, epoch),
            Event::MetricsScrape => self.scrape(),
            Event::HpaSync { hpa } => self.hpa_sync(hpa as usize),
            Event::AwsTick => self.aws_tick(),
            Event::DbReplicaReady { node } => self.db_replica_ready(node as usize),
            Event::LbHealth { station, version } => self.lb_health_tick(station as usize, version),
            Event::JobRetry { station, attempt } => {
                let entry = self.model.stations[station as usize].operations[0].entry;
                // A retry refused by a full queue is lost for good: count it as dead.
                if self
                    .admit(
                        station as usize,
                        entry,
                        Parent::Job { attempt },
                        BalancerAlgorithm::RoundRobin,
                    )
                    .is_err()
                {
                    self.rec.stations[station as usize].dead_jobs += 1;
                }
            }
        }
    }

    #[inline]
    pub(crate) fn live(&self, task: u32, generation: u32) -> bool {
        let t = &self.tasks[task as usize];
        t.alive && t.generation == generation
    }

    fn alloc_task(&mut self, task: Task) -> u32 {
        match self.free_tasks.pop() {
            Some(i) => {
                let generation = self.tasks[i as usize].generation;
                self.tasks[i as usize] = Task { generation, ..task };
                i
            }
            None => {
                self.tasks.push(task);
                (self.tasks.len() - 1) as u32
            }
        }
    }

    /// A request, call or job arrives at a station. On success the task is running (a
    /// zero-delay step starts it) or queued; on refusal the station counts the error.
    pub(crate) fn admit(
        &mut self,
        station: usize,
        entry: u32,
        parent: Parent,
        algorithm: BalancerAlgorithm,
    ) -> Result<u32, Cause> {
        let now = self.now;
        self.rec.stations[station].arrivals += 1;
        let Some(replica) = self.stations[station].pick(algorithm, &mut self.rng_system) else {
            self.rec.stations[station].causes[Cause::NoReplica.index()] += 1;
            return Err(Cause::NoReplica);
        };
        let st = &mut self.stations[station];
        let workers = st.workers;
        let capacity = st.queue_capacity;
        let r = &mut st.replicas[replica];
        r.arrivals += 1;
        let start_now = r.busy < workers;
        if !start_now && r.queued >= capacity {
            self.rec.stations[station].causes[Cause::QueueFull.index()] += 1;
            return Err(Cause::QueueFull);
        }
        let task = self.alloc_task(Task {
            station: station as u32,
            replica: replica as u32,
            pc: entry,
            next_pc: entry,
            parent,
            arrived: now,
            phase: if start_now {
                Phase::Running
            } else {
                Phase::Queued
            },
            holds_worker: start_now,
            alive: true,
            ..Task::EMPTY
        });
        let generation = self.tasks[task as usize].generation;
        let r = &mut self.stations[station].replicas[replica];
        let counters = &mut self.rec.stations[station];
        counters.in_flight.add(now, 1.0);
        if start_now {
            r.busy += 1;
            counters.busy.add(now, 1.0);
            counters.queue_waits += 1;
            self.queue
                .push_lane(lanes::NOW, now, Event::TaskStep { task, generation });
        } else {
            r.queued += 1;
            r.queue.push_back(Waiting { task, generation });
        }
        if let Some(timeout) = self.model.stations[station].timeout {
            self.queue.push_lane(
                lanes::station(station),
                now.saturating_add(timeout),
                Event::StationTimeout { task, generation },
            );
        }
        Ok(task)
    }

    /// Runs a task's instructions until it must wait for something.
    pub(crate) fn advance(&mut self, task: u32) {
        loop {
            let t = &mut self.tasks[task as usize];
            if t.orphaned {
                self.finish(task, None);
                return;
            }
            t.phase = Phase::Running;
            let pc = t.pc;
            let generation = t.generation;
            match self.model.program.code[pc as usize] {
                Instr::Work { dist } => {
                    let d = self.model.distributions[dist].sample_nanos(&mut self.rng_system);
                    let t = &mut self.tasks[task as usize];
                    t.next_pc = pc + 1;
                    t.in_work = true;
                    let (station, replica) = (t.station as usize, t.replica as usize);
                    let now = self.now;
                    let r = &mut self.stations[station].replicas[replica];
                    r.integrate_cpu(now);
                    match r.cpu.as_mut() {
                        // The replica's cores are shared by the work in progress.
                        Some(ps) => {
                            ps.start(now, d as f64, task, generation);
                            let busy = ps.busy_cores();
                            r.cpu_busy = busy;
                            self.schedule_cpu(station, replica);
                        }
                        None => {
                            r.cpu_busy += 1;
                            self.queue
                                .push(now + d, Event::TaskStep { task, generation });
                        }
                    }
                    return;
                }
                Instr::Call { station, operation } => {
                    let target = &self.model.stations[station as usize];
                    let entry = target.operations[operation as usize].entry;
                    let algorithm = target.balancer;
                    match self.admit(
                        station as usize,
                        entry,
                        Parent::Task { task, generation },
                        algorithm,
                    ) {
                        Ok(_) => self.tasks[task as usize].phase = Phase::WaitingChild,
                        Err(cause) => self.fail_downstream(task, cause),
                    }
                    return;
                }
                Instr::Query {
                    database, write, ..
                } => {
                    self.query(task, database as usize, write);
                    return;
                }
                Instr::Cache {
                    cache,
                    hit_ratio,
                    on_hit,
                } => {
                    let c = &self.model.caches[cache as usize];
                    let d = self.model.distributions[c.latency].sample_nanos(&mut self.rng_system);
                    let hit = self.rng_system.random::<f64>() < hit_ratio;
                    self.tasks[task as usize].next_pc = if hit { on_hit } else { pc + 1 };
                    self.queue
                        .push(self.now + d, Event::TaskStep { task, generation });
                    return;
                }
                Instr::External { provider } => {
                    let t = &mut self.tasks[task as usize];
                    t.provider = provider;
                    t.attempt = 0;
                    t.phase = Phase::External;
                    self.start_attempt(task);
                    return;
                }
                Instr::Enqueue { station } => {
                    let entry = self.model.stations[station as usize].operations[0].entry;
                    match self.admit(
                        station as usize,
                        entry,
                        Parent::Job { attempt: 1 },
                        BalancerAlgorithm::RoundRobin,
                    ) {
                        Ok(_) => self.tasks[task as usize].pc = pc + 1,
                        Err(cause) => {
                            self.fail_downstream(task, cause);
                            return;
                        }
                    }
                }
                Instr::Branch { arms } => {
                    let u = self.rng_system.random::<f64>();
                    let table = &self.model.program.branches[arms as usize];
                    let target = table
                        .iter()
                        .find(|(cum, _)| u < *cum)
                        .map(|(_, to)| *to)
                        .unwrap_or(table[table.len() - 1].1);
                    self.tasks[task as usize].pc = target;
                }
                Instr::Jump { to } => self.tasks[task as usize].pc = to,
                Instr::Return => {
                    self.finish(task, None);
                    return;
                }
            }
        }
    }

    fn query(&mut self, task: u32, database: usize, write: bool) {
        let nodes = &self.db_nodes_of[database];
        let primary = nodes[0];
        let node = if write {
            primary
        } else {
            // Reads go to the least busy ready replica (ties: lowest index), else the primary.
            nodes[1..]
                .iter()
                .copied()
                .filter(|&n| self.db_nodes[n].ready)
                .min_by_key(|&n| (self.db_nodes[n].in_use + self.db_nodes[n].waiting, n))
                .unwrap_or(primary)
        };
        let t = &mut self.tasks[task as usize];
        t.db_node = node as u32;
        t.since = self.now;
        let n = &mut self.db_nodes[node];
        if n.in_use < n.pool_size {
            n.change_in_use(self.now, 1);
            self.grant_connection(task, node);
        } else {
            t.phase = Phase::WaitingPool;
            t.wait_token = t.wait_token.wrapping_add(1);
            let (generation, token) = (t.generation, t.wait_token);
            n.waiting += 1;
            n.waiters.push_back(PoolWaiter {
                task,
                generation,
                token,
            });
            let timeout = self.model.databases[database].pool_timeout;
            self.queue.push_lane(
                lanes::pool(self.model, database),
                self.now.saturating_add(timeout),
                Event::PoolTimeout {
                    task,
                    generation,
                    token,
                },
            );
        }
    }

    /// The task got a connection (counted in `in_use` by the caller): its query starts.
    fn grant_connection(&mut self, task: u32, node: usize) {
        let now = self.now;
        let db = &mut self.rec.databases[self.db_nodes[node].database as usize];
        db.in_use.add(now, 1.0);
        db.waits += 1;
        db.wait_sum += (now - self.tasks[task as usize].since) as f64;
        self.tasks[task as usize].since = now;
        self.start_query(task, node);
    }

    /// Keeps the database's busy-cores gauge equal to the sum of min(queries, cores).
    fn track_busy_cores(&mut self, node: usize, before: usize) {
        let n = &self.db_nodes[node];
        let cores = n.ps.cores as usize;
        let delta = n.ps.active().min(cores) as f64 - before.min(cores) as f64;
        if delta != 0.0 {
            self.rec.databases[n.database as usize]
                .busy_cores
                .add(self.now, delta);
        }
    }

    /// The task holds a connection: its query joins the node's processor sharing.
    fn start_query(&mut self, task: u32, node: usize) {
        let before = self.db_nodes[node].ps.active();
        let t = &mut self.tasks[task as usize];
        t.phase = Phase::InDatabase;
        let generation = t.generation;
        let Instr::Query { time, .. } = self.model.program.code[t.pc as usize] else {
            unreachable!("a task in a query is at a query instruction")
        };
        let work = self.model.distributions[time].sample_secs(&mut self.rng_system) * 1e9;
        self.db_nodes[node]
            .ps
            .start(self.now, work, task, generation);
        self.track_busy_cores(node, before);
        self.schedule_db(node);
    }

    fn schedule_cpu(&mut self, station: usize, replica: usize) {
        let Some(ps) = &self.stations[station].replicas[replica].cpu else {
            return;
        };
        let next = ps.next_departure(self.now);
        if next != u64::MAX {
            let version = ps.version;
            self.queue.push(
                next,
                Event::CpuNext {
                    station: station as u32,
                    replica: replica as u32,
                    version,
                },
            );
        }
    }

    /// A processor-shared `work` step ends; the task goes on.
    fn cpu_next(&mut self, station: usize, replica: usize, version: u32) {
        let now = self.now;
        let r = &mut self.stations[station].replicas[replica];
        let Some(ps) = r.cpu.as_mut() else { return };
        if ps.version != version {
            return;
        }
        let Some((task, generation, _)) = ps.finish(now) else {
            return;
        };
        let busy = ps.busy_cores();
        r.integrate_cpu(now);
        r.cpu_busy = busy;
        self.schedule_cpu(station, replica);
        if self.live(task, generation) {
            let t = &mut self.tasks[task as usize];
            t.pc = t.next_pc;
            t.in_work = false;
            self.advance(task);
        }
    }

    fn schedule_db(&mut self, node: usize) {
        let n = &self.db_nodes[node];
        let next = n.ps.next_departure(self.now);
        if next != u64::MAX {
            self.queue.push(
                next,
                Event::DbNext {
                    node: node as u32,
                    version: n.ps.version,
                },
            );
        }
    }

    fn db_next(&mut self, node: usize, version: u32) {
        if self.db_nodes[node].ps.version != version {
            return;
        }
        let before = self.db_nodes[node].ps.active();
        let Some((task, generation, _)) = self.db_nodes[node].ps.finish(self.now) else {
            return;
        };
        self.track_busy_cores(node, before);
        let db = &mut self.rec.databases[self.db_nodes[node].database as usize];
        db.queries += 1;
        db.query_sum += (self.now - self.tasks[task as usize].since) as f64;
        db.in_use.add(self.now, -1.0);
        // The connection goes back to the pool, or straight to the first live waiter.
        self.db_nodes[node].change_in_use(self.now, -1);
        while let Some(w) = self.db_nodes[node].waiters.pop_front() {
            let t = &self.tasks[w.task as usize];
            if t.alive
                && t.generation == w.generation
                && t.phase == Phase::WaitingPool
                && t.wait_token == w.token
            {
                let n = &mut self.db_nodes[node];
                n.waiting -= 1;
                n.change_in_use(self.now, 1);
                self.grant_connection(w.task, node);
                break;
            }
        }
        self.schedule_db(node);
        if self.live(task, generation) {
            self.tasks[task as usize].pc += 1;
            self.advance(task);
        }
    }

    pub(crate) fn start_attempt(&mut self, task: u32) {
        let now = self.now;
        let t = self.tasks[task as usize];
        let p = &self.model.providers[t.provider as usize];
        if let (Some((rate, burst)), Some(bucket)) = (
            p.rate_limit,
            self.buckets_tokens[t.provider as usize].as_mut(),
        ) {
            bucket.tokens = (bucket.tokens + (now - bucket.last) as f64 * 1e-9 * rate).min(burst);
            bucket.last = now;
            if bucket.tokens < 1.0 {
                // 429 at once: the provider refuses before doing any work.
                self.attempt_failed(task, Cause::RateLimited);
                return;
            }
            bucket.tokens -= 1.0;
        }
        if p.cost_per_call > 0.0 {
            self.rec.spend(p.cost_per_call, false);
        }
        let latency = self.model.distributions[p.latency].sample_nanos(&mut self.rng_system);
        let failed =
            p.failure_probability > 0.0 && self.rng_system.random::<f64>() < p.failure_probability;
        let (delay, outcome) = match p.timeout {
            Some(limit) if latency > limit => (limit, Some(Cause::ProviderTimeout)),
            _ => (
                latency,
                if failed {
                    Some(Cause::ProviderError)
                } else {
                    None
                },
            ),
        };
        let tm = &mut self.tasks[task as usize];
        tm.pending = outcome;
        tm.phase = Phase::External;
        self.queue.push(
            now + delay,
            Event::ExternalDone {
                task,
                generation: t.generation,
            },
        );
    }

    fn attempt_failed(&mut self, task: u32, cause: Cause) {
        let t = self.tasks[task as usize];
        if t.orphaned {
            self.finish(task, None);
            return;
        }
        let p = &self.model.providers[t.provider as usize];
        if t.attempt < p.retries {
            let attempt = t.attempt + 1;
            let wait = (p.backoff as f64 * p.backoff_multiplier.powi(attempt as i32 - 1))
                .min(p.max_backoff as f64);
            self.tasks[task as usize].attempt = attempt;
            self.queue.push(
                self.now + wait as u64,
                Event::ExternalRetry {
                    task,
                    generation: t.generation,
                },
            );
        } else if let Some(next) = p.failover {
            let tm = &mut self.tasks[task as usize];
            tm.provider = next as u32;
            tm.attempt = 0;
            self.start_attempt(task);
        } else {
            self.fail_here(task, cause);
        }
    }

    fn station_timeout(&mut self, task: u32, generation: u32) {
        if !self.live(task, generation) || self.tasks[task as usize].settled {
            return;
        }
        let t = self.tasks[task as usize];
        let station = t.station as usize;
        self.rec.stations[station].causes[Cause::Timeout.index()] += 1;
        let tm = &mut self.tasks[task as usize];
        tm.settled = true;
        tm.orphaned = true;
        tm.parent = Parent::None;
        match t.phase {
            Phase::Queued => {
                self.stations[station].replicas[t.replica as usize].queued -= 1;
                self.release(task);
            }
            Phase::WaitingPool => {
                self.db_nodes[t.db_node as usize].waiting -= 1;
                self.release(task);
            }
            // Work in progress goes on (servers seldom cancel it); it stops at the next step.
            _ => {}
        }
        self.deliver(t.parent, station, Some(Cause::Timeout));
    }

    pub(crate) fn fail_here(&mut self, task: u32, cause: Cause) {
        let t = &mut self.tasks[task as usize];
        if !t.settled {
            t.settled = true;
            self.rec.stations[t.station as usize].causes[cause.index()] += 1;
        }
        self.finish(task, Some(cause));
    }

    fn fail_downstream(&mut self, task: u32, cause: Cause) {
        let t = &mut self.tasks[task as usize];
        if !t.settled {
            t.settled = true;
            self.rec.stations[t.station as usize].downstream_failures += 1;
        }
        self.finish(task, Some(cause));
    }

    /// The task is done: free its worker, count success, answer its caller.
    pub(crate) fn finish(&mut self, task: u32, error: Option<Cause>) {
        let t = self.tasks[task as usize];
        let station = t.station as usize;
        if !t.settled {
            debug_assert!(error.is_none());
            let c = &mut self.rec.stations[station];
            c.succeeded += 1;
            c.response_sum += (self.now - t.arrived) as f64;
            c.responses += 1;
        }
        self.release(task);
        if !t.orphaned {
            self.deliver(t.parent, station, error);
        }
    }

    /// Frees the task's worker (starting the next queued task) and its slot.
    fn release(&mut self, task: u32) {
        let now = self.now;
        let t = self.tasks[task as usize];
        let station = t.station as usize;
        self.rec.stations[station].in_flight.add(now, -1.0);
        if t.holds_worker {
            let r = &mut self.stations[station].replicas[t.replica as usize];
            r.busy -= 1;
            self.rec.stations[station].busy.add(now, -1.0);
            // Hand the worker to the first live waiter.
            while let Some(w) = r.queue.pop_front() {
                let wt = &mut self.tasks[w.task as usize];
                if wt.alive && wt.generation == w.generation && wt.phase == Phase::Queued {
                    r.queued -= 1;
                    r.busy += 1;
                    wt.phase = Phase::Running;
                    wt.holds_worker = true;
                    let c = &mut self.rec.stations[station];
                    c.busy.add(now, 1.0);
                    c.queue_wait_sum += (now - wt.arrived) as f64;
                    c.queue_waits += 1;
                    c.queued_starts += 1;
                    self.queue.push_lane(
                        lanes::NOW,
                        now,
                        Event::TaskStep {
                            task: w.task,
                            generation: w.generation,
                        },
                    );
                    break;
                }
            }
        }
        let tm = &mut self.tasks[task as usize];
        tm.alive = false;
        tm.generation = tm.generation.wrapping_add(1);
        self.free_tasks.push(task);
        self.leave_if_drained(station, t.replica as usize);
    }

    fn deliver(&mut self, parent: Parent, station: usize, error: Option<Cause>) {
        match parent {
            Parent::None => {}
            Parent::Vu { vu, token } => self.vu_response(vu, token, error),
            Parent::Task { task, generation } => {
                if self.live(task, generation) {
                    match error {
                        None => {
                            self.tasks[task as usize].pc += 1;
                            self.advance(task);
                        }
                        Some(cause) => self.fail_downstream(task, cause),
                    }
                }
            }
            Parent::Job { attempt } => {
                if error.is_some() {
                    let s = &self.model.stations[station];
                    if attempt < s.job_attempts {
                        self.rec.stations[station].job_retries += 1;
                        let at = self.now + s.job_retry_backoff;
                        self.queue.push(
                            at,
                            Event::JobRetry {
                                station: station as u32,
                                attempt: attempt + 1,
                            },
                        );
                    } else {
                        self.rec.stations[station].dead_jobs += 1;
                    }
                }
            }
        }
    }

    /// Detaches a task from its VU (client timeout or interruption): it runs on unobserved.
    pub(crate) fn detach(&mut self, task: u32, generation: u32) {
        if self.live(task, generation) {
            self.tasks[task as usize].parent = Parent::None;
        }
    }

    /// The request reaches the entry service of its endpoint.
    pub(crate) fn send_to_entry(
        &mut self,
        vu: u32,
        token: u32,
        endpoint: usize,
    ) -> Result<(u32, u32), Cause> {
        let e = &self.model.endpoints[endpoint];
        let entry = self.model.stations[e.station].operations[e.operation].entry;
        let task = self.admit(
            e.station,
            entry,
            Parent::Vu { vu, token },
            self.model.balancer.algorithm,
        )?;
        Ok((task, self.tasks[task as usize].generation))
    }

    fn finish_run(mut self, end: Nanos) -> ReplicationResult {
        self.rec.finish(end);
        let mut in_flight = vec![0u64; self.model.stations.len()];
        for t in &self.tasks {
            if t.alive && !t.settled {
                in_flight[t.station as usize] += 1;
            }
        }
        self.accounting.in_flight_at_end = self.vus_in_request();
        let stations = self.rec.station_results(end, &in_flight);
        let databases = self.rec.database_results(end);
        ReplicationResult {
            index: self.replication,
            duration: end,
            events: self.events,
            latency: self.rec.overall_trend(),
            quantiles: self.rec.overall_quantiles(&self.exp.percentiles),
            requests: self.rec.requests,
            failures: self.rec.failures,
            causes: self.rec.causes,
            endpoints: self.rec.endpoint_results(&self.exp.percentiles),
            checks: self.rec.checks.clone(),
            iterations: self.rec.iterations,
            dropped_iterations: self.rec.dropped_iterations,
            interrupted_iterations: self.rec.interrupted_iterations,
            vus_max: self.rec.vus_max,
            vus_peak: self.rec.vus_peak,
            accounting: self.accounting,
            stations,
            databases,
            cost: self.rec.cost,
            buckets: std::mem::take(&mut self.rec.buckets),
            decisions: std::mem::take(&mut self.decisions),
        }
    }
}
