//! The loop's part for a request's life inside the services: admission at a station, the
//! task running its instructions, timeouts and aborts, and the end of a task (its worker
//! handed on, its answer delivered to its VU, calling task or job queue).

use super::Simulation;
use crate::engine::event::Event;
use crate::engine::gauges::span_f64;
use crate::engine::outcome::Cause;
use crate::engine::queue::{TimerId, lanes};
use crate::engine::station::{QueuedJob, ReplicaState, Waiting};
use crate::engine::task::{Parent, Phase, Task};
use crate::model::Instr;
use crate::spec::model::BalancerAlgorithm;
use crate::time::Nanos;
use rand::RngExt;

impl Simulation<'_> {
    /// [`Self::admit`] out of line: for calls, jobs and retries (the VUs' requests, the
    /// most frequent, inline it).
    #[inline(never)]
    pub(super) fn admit_outlined(
        &mut self,
        station: usize,
        entry: u32,
        parent: Parent,
        algorithm: BalancerAlgorithm,
    ) -> Result<u32, Cause> {
        self.admit(station, entry, parent, algorithm)
    }

    /// A request, call or job arrives at a station. On success the task is running (see
    /// [`Self::start`]) or queued; on refusal the station counts the error.
    #[inline(always)]
    fn admit(
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
        if r.state == ReplicaState::Dead {
            // The balancer still believes in it: the connection is refused.
            self.rec.stations[station].causes[Cause::ConnectionRefused.index()] += 1;
            return Err(Cause::ConnectionRefused);
        }
        let start_now = r.busy < workers;
        if !start_now && r.queued >= capacity {
            self.rec.stations[station].causes[Cause::QueueFull.index()] += 1;
            return Err(Cause::QueueFull);
        }
        if let Parent::Job { attempt } = parent
            && !start_now
            && self.model.stations[station].timeout.is_none()
            && self.exp.faults.is_empty()
        {
            // A job that waits takes no task slot until it starts (see `release`). Not
            // under faults: a killed replica answers its queued work in task-slot order,
            // and keeping that order keeps those experiments' results unchanged.
            r.queued += 1;
            r.queue.push_back(Waiting::JOB);
            r.jobs.push_back(QueuedJob {
                arrived: now,
                attempt,
            });
            self.rec.stations[station].in_flight.add(now, 1);
            return Ok(Waiting::JOB.task);
        }
        let task = self.tasks.alloc(Task {
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
        let generation = self.tasks[task].generation;
        let r = &mut self.stations[station].replicas[replica];
        let counters = &mut self.rec.stations[station];
        counters.in_flight.add(now, 1);
        if start_now {
            r.busy += 1;
            counters.add_busy(now, 1);
            counters.queue_waits += 1;
        } else {
            r.queued += 1;
            r.queue.push_back(Waiting { task, generation });
        }
        if let Some(timeout) = self.model.stations[station].timeout {
            self.tasks[task].station_timer = self.queue.push_lane(
                lanes::station(station),
                now.saturating_add(timeout),
                Event::StationTimeout { task, generation },
            );
        }
        if start_now {
            self.start(task, generation);
        }
        Ok(task)
    }

    /// A task that has just got its worker starts. A `work` step only draws its duration
    /// and arms its end, so it starts here and now, without an event; anything else (a call
    /// may answer at once and re-enter its caller) starts through a zero-delay event.
    /// (A task that has just got its worker is running and not orphaned: an aborted
    /// task that waited has left its queue, so [`Self::advance`]'s first checks are moot.)
    #[inline(always)]
    fn start(&mut self, task: u32, generation: u32) {
        let pc = self.tasks[task].pc;
        match self.model.program.code[pc as usize] {
            Instr::Work { dist } => self.begin_work(task, generation, pc, dist),
            _ => {
                self.queue
                    .push_lane(lanes::NOW, self.now, Event::TaskStep { task, generation });
            }
        }
    }

    /// The task's `work` step at `pc` begins: its duration is drawn and its end armed.
    #[inline(always)]
    fn begin_work(&mut self, task: u32, generation: u32, pc: u32, dist: usize) {
        let d = self.model.distributions[dist].sample_nanos(&mut self.rng_system);
        let t = &mut self.tasks[task];
        t.next_pc = pc + 1;
        t.in_work = true;
        let (station, replica) = (t.station as usize, t.replica as usize);
        let slowdown = self.faults.station_slowdown(station);
        // Without a slowdown the product is `d` itself (exact below 2^53).
        let d = if slowdown == 1.0 && d < 1 << 53 {
            d
        } else {
            slowed(d, slowdown)
        };
        self.stations[station].start_work(
            station,
            replica,
            self.now,
            d,
            task,
            generation,
            &mut self.queue,
        );
    }

    /// A task's timed step (work, cache lookup) is over: it goes on. When its next
    /// instruction ends it (the common `work` then return), it ends here, as
    /// [`Self::advance`] would end it, without entering the interpreter's loop.
    #[inline(always)]
    pub(super) fn task_step(&mut self, task: u32, generation: u32) {
        if self.tasks.live(task, generation) {
            let t = &mut self.tasks[task];
            t.pc = t.next_pc;
            if t.in_work {
                t.in_work = false;
                self.stations[t.station as usize].work_done(t.replica as usize, self.now);
            }
            let t = &mut self.tasks[task];
            if !t.orphaned && matches!(self.model.program.code[t.pc as usize], Instr::Return) {
                self.complete(task);
            } else {
                self.advance(task);
            }
        }
    }

    /// A processor-shared `work` step ends; the task goes on.
    pub(super) fn cpu_next(&mut self, station: usize, replica: usize, version: u32) {
        let Some((task, generation)) =
            self.stations[station].end_work(station, replica, version, self.now, &mut self.queue)
        else {
            return;
        };
        if self.tasks.live(task, generation) {
            let t = &mut self.tasks[task];
            t.pc = t.next_pc;
            t.in_work = false;
            self.advance(task);
        }
    }

    /// Runs a task's instructions until it must wait for something.
    pub(super) fn advance(&mut self, task: u32) {
        loop {
            let t = &mut self.tasks[task];
            if t.orphaned {
                self.finish(task, None);
                return;
            }
            t.phase = Phase::Running;
            let pc = t.pc;
            let generation = t.generation;
            match self.model.program.code[pc as usize] {
                Instr::Work { dist } => {
                    self.begin_work(task, generation, pc, dist);
                    return;
                }
                Instr::Call { station, operation } => {
                    let target = &self.model.stations[station as usize];
                    let entry = target.operations[operation as usize].entry;
                    let algorithm = target.balancer;
                    match self.admit_outlined(
                        station as usize,
                        entry,
                        Parent::Task { task, generation },
                        algorithm,
                    ) {
                        Ok(_) => self.tasks[task].phase = Phase::WaitingChild,
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
                    self.tasks[task].next_pc = if hit { on_hit } else { pc + 1 };
                    self.queue
                        .push(self.now + d, Event::TaskStep { task, generation });
                    return;
                }
                Instr::External { provider } => {
                    let t = &mut self.tasks[task];
                    t.provider = provider;
                    t.attempt = 0;
                    t.phase = Phase::External;
                    self.start_attempt(task);
                    return;
                }
                Instr::Enqueue { station } => {
                    let entry = self.model.stations[station as usize].operations[0].entry;
                    match self.admit_outlined(
                        station as usize,
                        entry,
                        Parent::Job { attempt: 1 },
                        BalancerAlgorithm::RoundRobin,
                    ) {
                        Ok(_) => self.tasks[task].pc = pc + 1,
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
                    self.tasks[task].pc = target;
                }
                Instr::Jump { to } => self.tasks[task].pc = to,
                Instr::Return => {
                    self.finish(task, None);
                    return;
                }
            }
        }
    }

    pub(super) fn station_timeout(&mut self, task: u32, generation: u32) {
        if !self.tasks.live(task, generation) || self.tasks[task].settled {
            return;
        }
        self.abort(task, Cause::Timeout);
    }

    /// A failed job is put back on its queue.
    pub(super) fn job_retry(&mut self, station: usize, attempt: u32) {
        let entry = self.model.stations[station].operations[0].entry;
        // A retry refused by a full queue is lost for good: count it as dead.
        if self
            .admit_outlined(
                station,
                entry,
                Parent::Job { attempt },
                BalancerAlgorithm::RoundRobin,
            )
            .is_err()
        {
            self.rec.stations[station].dead_jobs += 1;
        }
    }

    /// Answers the task's caller with `cause` now (a server-side timeout, a replica that
    /// died). A task still waiting is dropped; one in progress runs on unobserved and
    /// stops at its next step.
    pub(super) fn abort(&mut self, task: u32, cause: Cause) {
        let t = self.tasks[task];
        let station = t.station as usize;
        self.rec.stations[station].causes[cause.index()] += 1;
        let tm = &mut self.tasks[task];
        tm.settled = true;
        tm.orphaned = true;
        tm.parent = Parent::None;
        match t.phase {
            Phase::Queued => {
                self.stations[station].replicas[t.replica as usize].queued -= 1;
                self.release(task);
            }
            Phase::WaitingPool => {
                self.dbs.nodes[t.db_node as usize].waiting -= 1;
                self.release(task);
            }
            // Work in progress goes on (servers seldom cancel it); it stops at the next step.
            _ => {}
        }
        self.deliver(t.parent, station, Some(cause));
    }

    /// The jobs that waited on a replica that just died without a task slot (see
    /// `admit`), oldest first: answered with a connection reset, as `abort` answers a
    /// queued task.
    pub(super) fn abort_queued_jobs(&mut self, station: usize, replica: usize, jobs: Vec<u32>) {
        let cause = Cause::ConnectionReset;
        for attempt in jobs {
            let c = &mut self.rec.stations[station];
            c.causes[cause.index()] += 1;
            c.in_flight.add(self.now, -1);
            let r = &mut self.stations[station].replicas[replica];
            r.queued = r.queued.saturating_sub(1);
            self.leave_if_drained(station, replica);
            self.deliver(Parent::Job { attempt }, station, Some(cause));
        }
    }

    /// Every live task on a replica that just died: answered with a connection reset.
    pub(super) fn abort_replica_tasks(&mut self, station: usize, replica: usize) {
        for i in 0..self.tasks.len() as u32 {
            let t = self.tasks[i];
            if t.alive
                && !t.settled
                && t.station as usize == station
                && t.replica as usize == replica
            {
                self.abort(i, Cause::ConnectionReset);
            }
        }
    }

    pub(super) fn fail_here(&mut self, task: u32, cause: Cause) {
        let t = &mut self.tasks[task];
        if !t.settled {
            t.settled = true;
            self.rec.stations[t.station as usize].causes[cause.index()] += 1;
        }
        self.finish(task, Some(cause));
    }

    fn fail_downstream(&mut self, task: u32, cause: Cause) {
        let t = &mut self.tasks[task];
        if !t.settled {
            t.settled = true;
            self.rec.stations[t.station as usize].downstream_failures += 1;
        }
        self.finish(task, Some(cause));
    }

    /// [`Self::finish`] of a task that returns normally (not settled, not orphaned): the
    /// end of most requests, inlined where a `work` step's end finds its `return`.
    #[inline(always)]
    fn complete(&mut self, task: u32) {
        let t = &self.tasks[task];
        debug_assert!(!t.settled && !t.orphaned);
        let (station, parent, arrived) = (t.station as usize, t.parent, t.arrived);
        let c = &mut self.rec.stations[station];
        c.succeeded += 1;
        c.response_sum += span_f64(self.now - arrived);
        c.responses += 1;
        self.release(task);
        self.deliver(parent, station, None);
    }

    /// The task is done: free its worker, count success, answer its caller.
    pub(super) fn finish(&mut self, task: u32, error: Option<Cause>) {
        // The fields used, not a copy of the whole record.
        let t = &self.tasks[task];
        let (station, settled, orphaned, parent, arrived) = (
            t.station as usize,
            t.settled,
            t.orphaned,
            t.parent,
            t.arrived,
        );
        if !settled {
            debug_assert!(error.is_none());
            let c = &mut self.rec.stations[station];
            c.succeeded += 1;
            c.response_sum += span_f64(self.now - arrived);
            c.responses += 1;
        }
        self.release(task);
        if !orphaned {
            self.deliver(parent, station, error);
        }
    }

    /// Frees the task's worker (starting the next queued task) and its slot.
    #[inline]
    fn release(&mut self, task: u32) {
        let now = self.now;
        let t = &self.tasks[task];
        let (station, replica, holds_worker, station_timer) = (
            t.station as usize,
            t.replica as usize,
            t.holds_worker,
            t.station_timer,
        );
        self.rec.stations[station].in_flight.add(now, -1);
        if holds_worker {
            // Hand the worker to the first live waiter: the busy count does not change
            // (a change of -1 and +1 at the same instant adds nothing to its integral).
            let r = &mut self.stations[station].replicas[replica];
            let tasks = &self.tasks;
            let Some(mut w) =
                r.next_waiter(|w| w.task == Waiting::JOB.task || tasks.still_queued(w))
            else {
                r.busy -= 1;
                self.rec.stations[station].add_busy(now, -1);
                self.release_slot(task, station, replica, station_timer);
                return;
            };
            r.queued -= 1;
            if w.task == Waiting::JOB.task {
                w = self.job_task(station, replica, w);
            }
            let wt = &mut self.tasks[w.task];
            wt.phase = Phase::Running;
            wt.holds_worker = true;
            let c = &mut self.rec.stations[station];
            c.queue_wait_sum += span_f64(now - wt.arrived);
            c.queue_waits += 1;
            c.queued_starts += 1;
            self.start(w.task, w.generation);
        }
        self.release_slot(task, station, replica, station_timer);
    }

    /// A job that waited without a task slot (see [`Self::admit`]) gets its worker: its
    /// task, queued until [`Self::release`] starts it. Out of line, so that `release`
    /// stays small where it is inlined.
    #[inline(never)]
    fn job_task(&mut self, station: usize, replica: usize, w: Waiting) -> Waiting {
        let Some(job) = self.stations[station].replicas[replica].jobs.pop_front() else {
            return w;
        };
        let entry = self.model.stations[station].operations[0].entry;
        let task = self.tasks.alloc(Task {
            station: station as u32,
            replica: replica as u32,
            pc: entry,
            next_pc: entry,
            parent: Parent::Job {
                attempt: job.attempt,
            },
            arrived: job.arrived,
            phase: Phase::Queued,
            alive: true,
            ..Task::EMPTY
        });
        Waiting {
            task,
            generation: self.tasks[task].generation,
        }
    }

    /// The end of [`Self::release`]: the task's timer and slot go.
    #[inline]
    fn release_slot(&mut self, task: u32, station: usize, replica: usize, station_timer: TimerId) {
        // Its timeout would find the slot's generation changed: it need not fire at all.
        self.queue.cancel(lanes::station(station), station_timer);
        self.tasks.free(task);
        self.leave_if_drained(station, replica);
    }

    /// The task's answer reaches whoever waits for it.
    #[inline(always)]
    fn deliver(&mut self, parent: Parent, station: usize, error: Option<Cause>) {
        match parent {
            Parent::None => {}
            Parent::Vu { vu, token } => self.vu_response(vu, token, error),
            Parent::Task { task, generation } => {
                if self.tasks.live(task, generation) {
                    match error {
                        None => {
                            self.tasks[task].pc += 1;
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

    /// The request reaches the entry service of its endpoint.
    pub(super) fn send_to_entry(
        &mut self,
        vu: u32,
        token: u32,
        endpoint: usize,
    ) -> Result<(u32, u32), Cause> {
        let (station, entry) = self.entries[endpoint];
        let task = self.admit(
            station as usize,
            entry,
            Parent::Vu { vu, token },
            self.model.balancer.algorithm,
        )?;
        Ok((task, self.tasks[task].generation))
    }
}

/// A `work` draw under a fault's slowdown. Out of line and cold: inline, the compiler
/// computed it on every draw and chose between the two results afterwards.
#[cold]
#[inline(never)]
fn slowed(d: Nanos, slowdown: f64) -> Nanos {
    (d as f64 * slowdown) as Nanos
}
