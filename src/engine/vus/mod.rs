//! Virtual users and the k6 executors that start and stop them: the client side of a
//! replication (flows, think times, the global `rps` cap, client timeouts, checks). The VU
//! pool owns every VU and scenario; when a VU's request reaches its entry service it hands
//! an [`EntryDue`] to the loop, which admits the request and reports back. This file: the
//! VUs' state and their flows (requests, sleeps, answers, checks); `executors.rs`: the
//! scenarios; `batch.rs`: `http.batch()`, a VU with several requests in flight;
//! `answer.rs`: what an answered request records; `send.rs`: a request leaving (rps,
//! client timeout, balancer); `groups.rs`: k6 `group()` timing.

mod answer;
mod batch;
mod executors;
mod groups;
mod send;

pub(crate) use batch::NOT_ADMITTED;

use crate::engine::event::Event;
use crate::engine::outcome::Cause;
use crate::engine::queue::{EventQueue, TimerId};
use crate::engine::recorder::Recorder;
use crate::model::experiment::{Experiment, FlowStep};
use crate::time::Nanos;
use crate::workload::executor::Executor;
use crate::workload::schedule::{ArrivalSchedule, VuStep};
use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VuPhase {
    Idle,
    Sleeping,
    /// Waiting for the global rps limiter.
    RpsWait,
    InRequest,
    /// The entry refused the request at once; the answer is delivered at the next step.
    Refused(Cause),
    /// In an `http.batch()` (the step at `step`): its requests are in the VU's slots.
    InBatch,
}

#[derive(Debug, Clone, Copy)]
struct Vu {
    scenario: u32,
    flow: u32,
    step: u32,
    /// End of the steps of this iteration (a sampled trace's end, else the flow's).
    end: u32,
    /// Bumped whenever the VU stops waiting for something: stale events carry an old one.
    token: u32,
    /// Bumped whenever the VU is activated or ramped down: cancels graceful interrupts.
    epoch: u32,
    active: bool,
    in_iteration: bool,
    stopping: bool,
    phase: VuPhase,
    request_sent: Nanos,
    /// When the iteration in progress started (`iteration_duration`).
    iteration_start: Nanos,
    endpoint: u32,
    task: u32,
    task_gen: u32,
    iterations_done: u64,
    /// The client timeout of the request in progress, cancelled when it is answered.
    timeout: TimerId,
    /// The k6 group the VU is in (`Experiment::groups`; 0: the root group), whose tag its
    /// requests and checks carry.
    group: u32,
}

struct ScenarioState {
    start: Nanos,
    regular_end: Nanos,
    vus: Vec<u32>,
    /// VU-based executors: VUs `vus[..level]` are current.
    level: usize,
    steps: Vec<VuStep>,
    arrival: Option<ArrivalSchedule>,
    /// When the arrival tick in the queue is due (arrival-rate executors).
    next_arrival: Option<Nanos>,
    idle: Vec<u32>,
    max_vus: u64,
    regular_over: bool,
    /// shared-iterations: iterations not yet handed out.
    remaining: u64,
    /// VUs in the middle of an iteration.
    running: u32,
    started: bool,
    /// No iteration will run any more: k6 ends the test when every scenario is finished.
    finished: bool,
}

/// The parts of the replication a VU touches.
pub(crate) struct VuCx<'c, 'e> {
    pub now: Nanos,
    pub exp: &'e Experiment,
    pub queue: &'c mut EventQueue,
    pub rec: &'c mut Recorder,
    /// Think times and arrivals.
    pub rng_load: &'c mut Xoshiro256PlusPlus,
    /// The balancer's latency.
    pub rng_system: &'c mut Xoshiro256PlusPlus,
}

/// A VU's request reaches its entry service now: the loop admits it and reports the outcome
/// with [`VuPool::admitted`].
#[must_use]
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryDue {
    pub vu: u32,
    /// The request's token (a batch's requests each have their own).
    pub token: u32,
}

/// Every VU and scenario of the replication.
pub(crate) struct VuPool {
    vus: Vec<Vu>,
    scenarios: Vec<ScenarioState>,
    /// Last slot handed out by the global rps limiter (ns, may be fractional).
    rps_last: f64,
    /// Scenarios with no iteration left to run; all of them ends the test (k6).
    finished: usize,
    /// The batch slots of every VU: VU `v`'s are `slots[v * stride..][..stride]`, `stride`
    /// the largest batch of the flows (0 without batches), allocated with the VU.
    slots: Vec<batch::Slot>,
    stride: usize,
    /// Each VU's batch in progress (empty without batches).
    batches: Vec<batch::BatchProgress>,
    /// Batch requests due at their entry now, in order (drained by the loop at once).
    pending: Vec<EntryDue>,
    /// Tasks of batch requests cut off by an interrupt, for the loop to detach.
    detached: Vec<(u32, u32)>,
    /// When each VU entered each group it is in, by nesting depth: VU `v`'s group at
    /// depth `d` (1 for `::a`) started at `group_starts[v * group_depth + d - 1]`.
    group_starts: Vec<Nanos>,
    /// The deepest nesting of the experiment's groups (0 without groups).
    group_depth: usize,
}

fn executor(exp: &Experiment, scenario: usize) -> &Executor {
    &exp.scenarios[scenario].scenario.executor
}

impl VuPool {
    /// Bytes of one VU's record (for the memory budget).
    pub const VU_BYTES: usize = std::mem::size_of::<Vu>();

    /// VUs allocated so far.
    pub fn len(&self) -> usize {
        self.vus.len()
    }

    /// Allocates every scenario's initial VUs and schedules its start and ends.
    pub fn new(exp: &Experiment, queue: &mut EventQueue, rec: &mut Recorder) -> Self {
        // Batch slots are sized once, by the largest batch of the flows: the VUs' events
        // allocate nothing.
        let stride = exp
            .flows
            .iter()
            .map(|f| f.max_parallel())
            .max()
            .filter(|&n| n > 1)
            .unwrap_or(0);
        let mut pool = VuPool {
            vus: Vec::new(),
            scenarios: Vec::new(),
            rps_last: f64::NEG_INFINITY,
            finished: 0,
            slots: Vec::new(),
            stride,
            batches: Vec::new(),
            pending: Vec::with_capacity(stride),
            detached: Vec::with_capacity(stride),
            group_starts: Vec::new(),
            group_depth: crate::model::groups::max_depth(&exp.groups) as usize,
        };
        for (i, plan) in exp.scenarios.iter().enumerate() {
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
                next_arrival: None,
                idle: Vec::new(),
                max_vus,
                regular_over: false,
                remaining: 0,
                running: 0,
                started: false,
                finished: false,
            };
            for _ in 0..allocate {
                let id = pool.new_vu(i as u32, plan.flow as u32, rec);
                state.vus.push(id);
            }
            if state.arrival.is_some() {
                state.idle = state.vus.iter().rev().copied().collect();
            }
            pool.scenarios.push(state);
            rec.scenarios
                .push(crate::engine::recorder::ScenarioCounters::new(max_vus));
            queue.push(start, Event::ScenarioStart { scenario: i as u32 });
            queue.push(
                start + sc.executor.regular_duration(),
                Event::ScenarioRegularEnd { scenario: i as u32 },
            );
            queue.push(
                sc.total_end(),
                Event::ScenarioHardEnd { scenario: i as u32 },
            );
        }
        pool
    }

    fn new_vu(&mut self, scenario: u32, flow: u32, rec: &mut Recorder) -> u32 {
        self.vus.push(Vu {
            scenario,
            flow,
            step: 0,
            end: 0,
            token: 0,
            epoch: 0,
            active: false,
            in_iteration: false,
            stopping: false,
            phase: VuPhase::Idle,
            request_sent: 0,
            iteration_start: 0,
            endpoint: 0,
            task: 0,
            task_gen: 0,
            iterations_done: 0,
            timeout: TimerId::NONE,
            group: crate::model::groups::ROOT,
        });
        self.slots
            .extend(std::iter::repeat_n(batch::Slot::FREE, self.stride));
        if self.stride > 0 {
            self.batches.push(batch::BatchProgress::default());
        }
        self.group_starts
            .resize(self.group_starts.len() + self.group_depth, 0);
        rec.vus_max += 1;
        (self.vus.len() - 1) as u32
    }

    /// Every scenario has finished: the test ends.
    #[inline]
    pub fn all_finished(&self) -> bool {
        self.finished == self.scenarios.len()
    }

    /// Requests waiting for an answer (a VU's, or each of a batch's).
    pub fn in_request(&self) -> u64 {
        self.vus
            .iter()
            .filter(|v| matches!(v.phase, VuPhase::InRequest))
            .count() as u64
            + self.batch_in_request()
    }

    pub fn activate(&mut self, vu: u32, cx: &mut VuCx) -> Option<EntryDue> {
        let v = &mut self.vus[vu as usize];
        v.stopping = false;
        v.epoch = v.epoch.wrapping_add(1);
        if !v.active {
            v.active = true;
            cx.rec.vus.add(cx.now, 1);
            cx.rec.vus_peak = cx.rec.vus_peak.max(cx.rec.vus.value() as u64);
        }
        if !self.vus[vu as usize].in_iteration {
            return self.start_iteration(vu, cx);
        }
        None
    }

    fn deactivate(&mut self, vu: u32, cx: &mut VuCx) {
        let v = &mut self.vus[vu as usize];
        if v.active {
            v.active = false;
            cx.rec.vus.add(cx.now, -1);
        }
    }

    fn start_iteration(&mut self, vu: u32, cx: &mut VuCx) -> Option<EntryDue> {
        let s = self.vus[vu as usize].scenario as usize;
        match *executor(cx.exp, s) {
            Executor::SharedIterations { .. } => {
                if self.scenarios[s].remaining == 0 {
                    self.deactivate(vu, cx);
                    return None;
                }
                self.scenarios[s].remaining -= 1;
            }
            Executor::PerVuIterations { iterations, .. }
                if self.vus[vu as usize].iterations_done >= iterations =>
            {
                self.deactivate(vu, cx);
                return None;
            }
            _ => {}
        }
        self.vus[vu as usize].in_iteration = true;
        self.begin_steps(vu, cx);
        self.scenarios[s].running += 1;
        cx.rec.scenarios[s].running_change(cx.now, 1);
        self.run_flow(vu, cx)
    }

    /// Sets the steps of the VU's new iteration: a sampled flow replays one recorded
    /// trace, drawn from the load stream; a written flow runs all its steps and draws
    /// nothing (so its experiments' streams are unchanged).
    fn begin_steps(&mut self, vu: u32, cx: &mut VuCx) {
        let flow = &cx.exp.flows[self.vus[vu as usize].flow as usize];
        let (start, end) = if flow.traces.is_empty() {
            (0, flow.steps.len() as u32)
        } else {
            flow.traces[cx.rng_load.random_range(0..flow.traces.len())]
        };
        let v = &mut self.vus[vu as usize];
        v.iteration_start = cx.now;
        v.step = start;
        v.end = end;
        v.group = crate::model::groups::ROOT;
    }

    /// Runs the VU's flow from its current step until it must wait. A request, the most
    /// common step, is sent here; the other steps go through [`Self::run_steps`].
    #[inline(always)]
    fn run_flow(&mut self, vu: u32, cx: &mut VuCx) -> Option<EntryDue> {
        let v = &self.vus[vu as usize];
        let (flow, at, end) = (v.flow as usize, v.step, v.end);
        if at < end
            && let Some(&FlowStep::Request { endpoint, .. }) =
                cx.exp.flows[flow].steps.get(at as usize)
        {
            self.vus[vu as usize].endpoint = endpoint as u32;
            return self.request(vu, cx);
        }
        self.run_steps(vu, cx)
    }

    /// [`Self::run_flow`]'s loop over every kind of step.
    #[inline(never)]
    fn run_steps(&mut self, vu: u32, cx: &mut VuCx) -> Option<EntryDue> {
        loop {
            // The fields read, not a copy of the record (just written field by field).
            let v = &self.vus[vu as usize];
            let (flow, at, end) = (v.flow as usize, v.step, v.end);
            let flow = &cx.exp.flows[flow];
            let Some(step) = flow.steps.get(at as usize).filter(|_| at < end) else {
                return self.iteration_complete(vu, cx);
            };
            match *step {
                FlowStep::Request { endpoint, .. } => {
                    self.vus[vu as usize].endpoint = endpoint as u32;
                    return self.request(vu, cx);
                }
                FlowStep::Batch { n, .. } => {
                    if n == 0 {
                        self.vus[vu as usize].step += 1;
                        continue;
                    }
                    self.begin_batch(vu, cx);
                    return None;
                }
                FlowStep::Sleep { .. } | FlowStep::Pause { .. } => {
                    let d = match *step {
                        FlowStep::Sleep { dist } => {
                            cx.exp.distributions[dist].sample_nanos(cx.rng_load)
                        }
                        FlowStep::Pause { nanos } => nanos,
                        _ => 0,
                    };
                    let v = &mut self.vus[vu as usize];
                    if d == 0 {
                        v.step += 1;
                        continue;
                    }
                    v.token = v.token.wrapping_add(1);
                    v.phase = VuPhase::Sleeping;
                    let token = v.token;
                    cx.queue.push(cx.now + d, Event::VuWake { vu, token });
                    return None;
                }
                FlowStep::GroupEnter { group } | FlowStep::GroupExit { group } => {
                    self.group_marker(vu, group, matches!(step, FlowStep::GroupEnter { .. }), cx);
                }
            }
        }
    }

    /// A sleep or an rps wait is over, or a refusal is due.
    pub fn wake(&mut self, vu: u32, token: u32, cx: &mut VuCx) -> Option<EntryDue> {
        let v = &self.vus[vu as usize];
        if matches!(v.phase, VuPhase::InBatch) {
            return self.batch_wake(vu, token, cx);
        }
        if v.token != token {
            return None;
        }
        let phase = v.phase;
        match phase {
            VuPhase::Sleeping => {
                let v = &mut self.vus[vu as usize];
                v.step += 1;
                v.phase = VuPhase::Idle;
                self.run_flow(vu, cx)
            }
            VuPhase::RpsWait => self.send_request(vu, cx),
            VuPhase::Refused(cause) => {
                self.vus[vu as usize].phase = VuPhase::InRequest;
                self.response(vu, token, Some(cause), cx)
            }
            VuPhase::Idle | VuPhase::InRequest | VuPhase::InBatch => None,
        }
    }

    /// The answer to a VU's request (or its client timeout).
    pub fn response(
        &mut self,
        vu: u32,
        token: u32,
        error: Option<Cause>,
        cx: &mut VuCx,
    ) -> Option<EntryDue> {
        let v = &self.vus[vu as usize];
        if matches!(v.phase, VuPhase::InBatch) {
            return self.batch_response(vu, token, error, cx);
        }
        if v.token != token || !matches!(v.phase, VuPhase::InRequest) {
            return None;
        }
        // The fields read, not a copy of the record (just written field by field).
        let (timeout, sent, endpoint, step) =
            (v.timeout, v.request_sent, v.endpoint as usize, v.step);
        cx.queue.cancel_vu_timer(vu, timeout);
        let duration = cx.now - sent;
        self.record_response(vu, step, endpoint, duration, error, cx);
        let v = &mut self.vus[vu as usize];
        v.step += 1;
        v.token = v.token.wrapping_add(1);
        v.phase = VuPhase::Idle;
        self.run_flow(vu, cx)
    }

    /// k6's request timeout fired while the VU still waits: the task it leaves behind
    /// (the server does not notice that the client left; the request runs on).
    pub fn timed_out(&self, vu: u32, token: u32) -> Option<(u32, u32)> {
        let v = &self.vus[vu as usize];
        if matches!(v.phase, VuPhase::InBatch) {
            return self.batch_timed_out(vu, token);
        }
        (v.token == token && matches!(v.phase, VuPhase::InRequest)).then_some((v.task, v.task_gen))
    }

    fn iteration_complete(&mut self, vu: u32, cx: &mut VuCx) -> Option<EntryDue> {
        cx.rec.iterations += 1;
        cx.rec.windows.iteration();
        let v = &mut self.vus[vu as usize];
        cx.rec
            .subs
            .iteration(v.scenario as usize, cx.now - v.iteration_start);
        v.in_iteration = false;
        v.iterations_done += 1;
        let (s, stopping) = (v.scenario as usize, v.stopping);
        self.scenarios[s].running -= 1;
        cx.rec.scenarios[s].running_change(cx.now, -1);
        let mut due = None;
        if self.scenarios[s].arrival.is_some() {
            self.deactivate(vu, cx);
            self.scenarios[s].idle.push(vu);
        } else if stopping || self.scenarios[s].regular_over {
            self.deactivate(vu, cx);
        } else {
            due = self.start_iteration(vu, cx);
        }
        // (Admitting `due` touches no scenario state, so it may follow this.)
        self.check_finished(s, cx.exp);
        due
    }
}
