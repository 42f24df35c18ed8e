//! Virtual users and the k6 executors that start and stop them: the client side of a
//! replication (flows, think times, the global `rps` cap, client timeouts, checks).

use crate::engine::event::Event;
use crate::engine::outcome::Cause;
use crate::engine::sim::{Simulation, lanes};
use crate::model::experiment::{CheckCondition, FlowStep};
use crate::time::Nanos;
use crate::workload::executor::Executor;
use crate::workload::schedule::{ArrivalSchedule, VuStep, ramping_vus_steps};
use rand::RngExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VuPhase {
    Idle,
    Sleeping,
    /// Waiting for the global rps limiter.
    RpsWait,
    InRequest,
    /// The entry refused the request at once; the answer is delivered at the next step.
    Refused(Cause),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Vu {
    scenario: u32,
    flow: u32,
    step: u32,
    /// Bumped whenever the VU stops waiting for something: stale events carry an old one.
    token: u32,
    /// Bumped whenever the VU is activated or ramped down: cancels graceful interrupts.
    epoch: u32,
    active: bool,
    in_iteration: bool,
    stopping: bool,
    phase: VuPhase,
    request_sent: Nanos,
    endpoint: u32,
    task: u32,
    task_gen: u32,
    iterations_done: u64,
}

pub(crate) struct ScenarioState {
    start: Nanos,
    regular_end: Nanos,
    vus: Vec<u32>,
    /// VU-based executors: VUs `vus[..level]` are current.
    level: usize,
    steps: Vec<VuStep>,
    arrival: Option<ArrivalSchedule>,
    idle: Vec<u32>,
    max_vus: u64,
    regular_over: bool,
    /// shared-iterations: iterations not yet handed out.
    remaining: u64,
    /// VUs in the middle of an iteration.
    running: u32,
    started: bool,
    /// No iteration will run any more: k6 ends the test when every scenario is finished.
    pub(crate) finished: bool,
}

impl Simulation<'_> {
    pub(crate) fn init_scenarios(&mut self) {
        for (i, plan) in self.exp.scenarios.iter().enumerate() {
            let sc = &plan.scenario;
            let start = sc.start_time;
            let (allocate, max_vus) = match &sc.executor {
                Executor::ConstantArrivalRate {
                    pre_allocated_vus,
                    max_vus,
                    ..
                }
                | Executor::RampingArrivalRate {
                    pre_allocated_vus,
                    max_vus,
                    ..
                }
                | Executor::PoissonArrivalRate {
                    pre_allocated_vus,
                    max_vus,
                    ..
                } => (*pre_allocated_vus, *max_vus),
                other => (other.max_vus(), other.max_vus()),
            };
            let mut state = ScenarioState {
                start,
                regular_end: start + sc.executor.regular_duration(),
                vus: Vec::with_capacity(allocate as usize),
                level: 0,
                steps: Vec::new(),
                arrival: ArrivalSchedule::new(&sc.executor),
                idle: Vec::new(),
                max_vus,
                regular_over: false,
                remaining: 0,
                running: 0,
                started: false,
                finished: false,
            };
            for _ in 0..allocate {
                let id = self.new_vu(i as u32, plan.flow as u32);
                state.vus.push(id);
            }
            if state.arrival.is_some() {
                state.idle = state.vus.iter().rev().copied().collect();
            }
            self.scenarios.push(state);
            self.queue
                .push(start, Event::ScenarioStart { scenario: i as u32 });
            self.queue.push(
                start + sc.executor.regular_duration(),
                Event::ScenarioRegularEnd { scenario: i as u32 },
            );
            self.queue.push(
                sc.total_end(),
                Event::ScenarioHardEnd { scenario: i as u32 },
            );
        }
    }

    fn new_vu(&mut self, scenario: u32, flow: u32) -> u32 {
        self.vus.push(Vu {
            scenario,
            flow,
            step: 0,
            token: 0,
            epoch: 0,
            active: false,
            in_iteration: false,
            stopping: false,
            phase: VuPhase::Idle,
            request_sent: 0,
            endpoint: 0,
            task: 0,
            task_gen: 0,
            iterations_done: 0,
        });
        self.rec.vus_max += 1;
        (self.vus.len() - 1) as u32
    }

    fn executor(&self, scenario: usize) -> &Executor {
        &self.exp.scenarios[scenario].scenario.executor
    }

    pub(crate) fn scenario_start(&mut self, s: usize) {
        self.scenarios[s].started = true;
        self.start_executor(s);
        self.check_finished(s);
    }

    fn start_executor(&mut self, s: usize) {
        match self.executor(s).clone() {
            Executor::ConstantVus { vus, .. } => self.set_level(s, vus as usize),
            Executor::SharedIterations {
                vus, iterations, ..
            } => {
                self.scenarios[s].remaining = iterations;
                self.set_level(s, vus as usize);
            }
            Executor::PerVuIterations { vus, .. } => self.set_level(s, vus as usize),
            Executor::RampingVus {
                start_vus, stages, ..
            } => {
                let steps = ramping_vus_steps(start_vus, &stages);
                let start = self.scenarios[s].start;
                for (k, step) in steps.iter().enumerate().skip(1) {
                    self.queue.push(
                        start + step.at,
                        Event::ScenarioStep {
                            scenario: s as u32,
                            step: k as u32,
                        },
                    );
                }
                let first = steps.first().map(|st| st.vus).unwrap_or(0);
                self.scenarios[s].steps = steps;
                self.set_level(s, first as usize);
            }
            Executor::ConstantArrivalRate { .. }
            | Executor::RampingArrivalRate { .. }
            | Executor::PoissonArrivalRate { .. } => {
                self.schedule_next_arrival(s);
            }
        }
    }

    pub(crate) fn scenario_step(&mut self, s: usize, step: usize) {
        if self.scenarios[s].regular_over {
            return;
        }
        let vus = self.scenarios[s].steps[step].vus;
        self.set_level(s, vus as usize);
    }

    fn set_level(&mut self, s: usize, target: usize) {
        let grace = match self.executor(s) {
            Executor::RampingVus {
                graceful_ramp_down, ..
            } => *graceful_ramp_down,
            _ => 0,
        };
        let target = target.min(self.scenarios[s].vus.len());
        while self.scenarios[s].level < target {
            let level = self.scenarios[s].level;
            let vu = self.scenarios[s].vus[level];
            self.scenarios[s].level += 1;
            self.activate(vu);
        }
        while self.scenarios[s].level > target {
            self.scenarios[s].level -= 1;
            let vu = self.scenarios[s].vus[self.scenarios[s].level];
            // k6 removes the newest VUs first; each may finish its iteration within the grace.
            let v = &mut self.vus[vu as usize];
            v.stopping = true;
            v.epoch = v.epoch.wrapping_add(1);
            if v.in_iteration {
                let epoch = v.epoch;
                self.queue
                    .push(self.now + grace, Event::VuInterrupt { vu, epoch });
            } else {
                self.deactivate(vu);
            }
        }
    }

    fn activate(&mut self, vu: u32) {
        let v = &mut self.vus[vu as usize];
        v.stopping = false;
        v.epoch = v.epoch.wrapping_add(1);
        if !v.active {
            v.active = true;
            self.rec.vus.add(self.now, 1.0);
            self.rec.vus_peak = self.rec.vus_peak.max(self.rec.vus.value as u64);
        }
        if !self.vus[vu as usize].in_iteration {
            self.start_iteration(vu);
        }
    }

    fn deactivate(&mut self, vu: u32) {
        let v = &mut self.vus[vu as usize];
        if v.active {
            v.active = false;
            self.rec.vus.add(self.now, -1.0);
        }
    }

    fn start_iteration(&mut self, vu: u32) {
        let s = self.vus[vu as usize].scenario as usize;
        match *self.executor(s) {
            Executor::SharedIterations { .. } => {
                if self.scenarios[s].remaining == 0 {
                    self.deactivate(vu);
                    return;
                }
                self.scenarios[s].remaining -= 1;
            }
            Executor::PerVuIterations { iterations, .. }
                if self.vus[vu as usize].iterations_done >= iterations =>
            {
                self.deactivate(vu);
                return;
            }
            _ => {}
        }
        let v = &mut self.vus[vu as usize];
        v.in_iteration = true;
        v.step = 0;
        self.scenarios[s].running += 1;
        self.run_flow(vu);
    }

    /// Runs the VU's flow from its current step until it must wait.
    fn run_flow(&mut self, vu: u32) {
        loop {
            let v = self.vus[vu as usize];
            let flow = &self.exp.flows[v.flow as usize];
            let Some(step) = flow.steps.get(v.step as usize) else {
                self.iteration_complete(vu);
                return;
            };
            match *step {
                FlowStep::Request { endpoint, .. } => {
                    self.vus[vu as usize].endpoint = endpoint as u32;
                    self.request(vu);
                    return;
                }
                FlowStep::Sleep { dist } => {
                    let d = self.exp.distributions[dist].sample_nanos(&mut self.rng_load);
                    let v = &mut self.vus[vu as usize];
                    if d == 0 {
                        v.step += 1;
                        continue;
                    }
                    v.token = v.token.wrapping_add(1);
                    v.phase = VuPhase::Sleeping;
                    let token = v.token;
                    self.queue.push(self.now + d, Event::VuWake { vu, token });
                    return;
                }
            }
        }
    }

    /// k6's `--rps`: a token bucket of burst 1 shared by all VUs; requests are spaced at
    /// least 1/rps apart, in the order they ask (`rate.Limiter.Wait`, reference 4.2).
    fn request(&mut self, vu: u32) {
        if let Some(rps) = self.exp.rps {
            let gap = 1e9 / rps;
            let slot = (self.rps_last + gap).max(self.now as f64);
            self.rps_last = slot;
            let at = slot.ceil() as Nanos;
            if at > self.now {
                let v = &mut self.vus[vu as usize];
                v.token = v.token.wrapping_add(1);
                v.phase = VuPhase::RpsWait;
                let token = v.token;
                self.queue.push(at, Event::VuWake { vu, token });
                return;
            }
        }
        self.send_request(vu);
    }

    fn send_request(&mut self, vu: u32) {
        self.accounting.sent += 1;
        let now = self.now;
        let v = &mut self.vus[vu as usize];
        v.token = v.token.wrapping_add(1);
        v.phase = VuPhase::InRequest;
        v.request_sent = now;
        let token = v.token;
        self.queue.push_lane(
            lanes::CLIENT_TIMEOUT,
            now.saturating_add(self.exp.client_timeout),
            Event::ClientTimeout { vu, token },
        );
        match self.model.balancer.latency {
            Some(dist) => {
                let d = self.model.distributions[dist].sample_nanos(&mut self.rng_system);
                self.queue.push(now + d, Event::EntryArrive { vu, token });
            }
            None => self.arrive_at_entry(vu),
        }
    }

    pub(crate) fn entry_arrive(&mut self, vu: u32, token: u32) {
        let v = &self.vus[vu as usize];
        if v.token == token && v.phase == VuPhase::InRequest {
            self.arrive_at_entry(vu);
        }
    }

    fn arrive_at_entry(&mut self, vu: u32) {
        let v = self.vus[vu as usize];
        match self.send_to_entry(vu, v.token, v.endpoint as usize) {
            Ok((task, generation)) => {
                let v = &mut self.vus[vu as usize];
                v.task = task;
                v.task_gen = generation;
            }
            Err(cause) => {
                // Answer at the next step, not inside this call: a flow without sleeps
                // against a full service must not recurse.
                let v = &mut self.vus[vu as usize];
                v.phase = VuPhase::Refused(cause);
                let token = v.token;
                self.queue
                    .push_lane(lanes::NOW, self.now, Event::VuWake { vu, token });
            }
        }
    }

    pub(crate) fn vu_wake(&mut self, vu: u32, token: u32) {
        let v = self.vus[vu as usize];
        if v.token != token {
            return;
        }
        match v.phase {
            VuPhase::Sleeping => {
                let v = &mut self.vus[vu as usize];
                v.step += 1;
                v.phase = VuPhase::Idle;
                self.run_flow(vu);
            }
            VuPhase::RpsWait => self.send_request(vu),
            VuPhase::Refused(cause) => {
                self.vus[vu as usize].phase = VuPhase::InRequest;
                self.vu_response(vu, token, Some(cause));
            }
            VuPhase::Idle | VuPhase::InRequest => {}
        }
    }

    /// The answer to a VU's request (or its client timeout).
    pub(crate) fn vu_response(&mut self, vu: u32, token: u32, error: Option<Cause>) {
        let v = self.vus[vu as usize];
        if v.token != token || v.phase != VuPhase::InRequest {
            return;
        }
        let duration = self.now - v.request_sent;
        self.rec.response(v.endpoint as usize, duration, error);
        if error.is_some() {
            self.accounting.failed += 1;
        } else {
            self.accounting.succeeded += 1;
        }
        if let Some(FlowStep::Request {
            first_check,
            n_checks,
            ..
        }) = self.exp.flows[v.flow as usize]
            .steps
            .get(v.step as usize)
            .copied()
        {
            for k in first_check..first_check + n_checks {
                let passed = match self.exp.checks[k as usize].condition {
                    CheckCondition::StatusOk => error.is_none(),
                    CheckCondition::DurationBelow(limit) => duration < limit,
                };
                self.rec.check(k as usize, passed);
            }
        }
        let v = &mut self.vus[vu as usize];
        v.step += 1;
        v.token = v.token.wrapping_add(1);
        v.phase = VuPhase::Idle;
        self.run_flow(vu);
    }

    pub(crate) fn client_timeout(&mut self, vu: u32, token: u32) {
        let v = self.vus[vu as usize];
        if v.token == token && v.phase == VuPhase::InRequest {
            // The server does not notice that the client left: the request runs on.
            self.detach(v.task, v.task_gen);
            self.vu_response(vu, token, Some(Cause::ClientTimeout));
        }
    }

    fn iteration_complete(&mut self, vu: u32) {
        self.rec.iterations += 1;
        let v = &mut self.vus[vu as usize];
        v.in_iteration = false;
        v.iterations_done += 1;
        let (s, stopping) = (v.scenario as usize, v.stopping);
        self.scenarios[s].running -= 1;
        if self.scenarios[s].arrival.is_some() {
            self.deactivate(vu);
            self.scenarios[s].idle.push(vu);
        } else if stopping || self.scenarios[s].regular_over {
            self.deactivate(vu);
        } else {
            self.start_iteration(vu);
        }
        self.check_finished(s);
    }

    /// Marks the scenario finished once no iteration runs and none will start: after its
    /// regular duration, or (iteration-based executors) when every iteration is done.
    fn check_finished(&mut self, s: usize) {
        let st = &self.scenarios[s];
        if st.finished || !st.started || st.running > 0 {
            return;
        }
        let iteration_based = matches!(
            self.executor(s),
            Executor::SharedIterations { .. } | Executor::PerVuIterations { .. }
        );
        // VUs of the iteration-based executors loop without pause, so none running
        // means none will run again.
        if st.regular_over || iteration_based {
            self.scenarios[s].finished = true;
            self.finished_scenarios += 1;
        }
    }

    pub(crate) fn vu_interrupt_graceful(&mut self, vu: u32, epoch: u32) {
        if self.vus[vu as usize].epoch == epoch {
            self.interrupt(vu);
        }
    }

    /// Cuts the VU's iteration off (end of `gracefulRampDown` or `gracefulStop`).
    fn interrupt(&mut self, vu: u32) {
        let v = self.vus[vu as usize];
        if v.in_iteration {
            self.rec.interrupted_iterations += 1;
            if matches!(v.phase, VuPhase::InRequest | VuPhase::Refused(_)) {
                self.detach(v.task, v.task_gen);
                self.accounting.interrupted += 1;
            }
            let vm = &mut self.vus[vu as usize];
            vm.token = vm.token.wrapping_add(1);
            vm.phase = VuPhase::Idle;
            vm.in_iteration = false;
            let s = vm.scenario as usize;
            self.scenarios[s].running -= 1;
            self.deactivate(vu);
            self.check_finished(s);
        } else {
            self.deactivate(vu);
        }
    }

    pub(crate) fn scenario_regular_end(&mut self, s: usize) {
        self.scenarios[s].regular_over = true;
        match *self.executor(s) {
            Executor::SharedIterations { .. } => {
                self.rec.dropped_iterations += self.scenarios[s].remaining;
                self.scenarios[s].remaining = 0;
            }
            Executor::PerVuIterations { iterations, .. } => {
                for k in 0..self.scenarios[s].vus.len() {
                    let v = self.vus[self.scenarios[s].vus[k] as usize];
                    let attempted = v.iterations_done + v.in_iteration as u64;
                    self.rec.dropped_iterations += iterations.saturating_sub(attempted);
                }
            }
            _ => {}
        }
        for k in 0..self.scenarios[s].vus.len() {
            let vu = self.scenarios[s].vus[k];
            self.vus[vu as usize].stopping = true;
            if !self.vus[vu as usize].in_iteration {
                self.deactivate(vu);
            }
        }
        self.check_finished(s);
    }

    pub(crate) fn scenario_hard_end(&mut self, s: usize) {
        for k in 0..self.scenarios[s].vus.len() {
            let vu = self.scenarios[s].vus[k];
            self.interrupt(vu);
        }
        self.check_finished(s);
    }

    fn schedule_next_arrival(&mut self, s: usize) {
        let rng = &mut self.rng_load;
        let state = &mut self.scenarios[s];
        let Some(schedule) = state.arrival.as_mut() else {
            return;
        };
        if let Some(offset) = schedule.next_start_with(|| rng.random::<f64>()) {
            let at = state.start + offset;
            if at <= state.regular_end {
                self.queue
                    .push(at, Event::ArrivalTick { scenario: s as u32 });
            }
        }
    }

    /// An arrival-rate iteration is due: an idle VU runs it, or it is dropped (and one more
    /// VU is initialised while `maxVUs` allows, k6's `TryRunIteration` path).
    pub(crate) fn arrival_tick(&mut self, s: usize) {
        if self.scenarios[s].regular_over {
            return;
        }
        match self.scenarios[s].idle.pop() {
            Some(vu) => {
                let v = &mut self.vus[vu as usize];
                v.active = true;
                v.stopping = false;
                v.in_iteration = true;
                v.step = 0;
                self.scenarios[s].running += 1;
                self.rec.vus.add(self.now, 1.0);
                self.rec.vus_peak = self.rec.vus_peak.max(self.rec.vus.value as u64);
                self.run_flow(vu);
            }
            None => {
                self.rec.dropped_iterations += 1;
                if (self.scenarios[s].vus.len() as u64) < self.scenarios[s].max_vus {
                    let flow = self.exp.scenarios[s].flow as u32;
                    let id = self.new_vu(s as u32, flow);
                    self.scenarios[s].vus.push(id);
                    self.scenarios[s].idle.push(id);
                }
            }
        }
        self.schedule_next_arrival(s);
    }

    pub(crate) fn vus_in_request(&self) -> u64 {
        self.vus
            .iter()
            .filter(|v| v.phase == VuPhase::InRequest)
            .count() as u64
    }
}
