//! The k6 executors' side of the VU pool: scenarios starting, VU levels rising and
//! falling (ramp-down grace), iterations cut off, the end of the regular duration, and
//! the arrivals of the arrival-rate executors.

use super::{EntryDue, VuCx, VuPhase, VuPool, executor};
use crate::engine::event::Event;
use crate::model::experiment::Experiment;
use crate::time::Nanos;
use crate::workload::executor::Executor;
use crate::workload::schedule::ramping_vus_steps;
use rand::RngExt;

impl VuPool {
    /// The scenario begins: its executor starts. Returns the VU level to set
    /// (VU-based executors); arrival-rate executors schedule their first arrival.
    pub fn start(&mut self, s: usize, cx: &mut VuCx) -> Option<usize> {
        self.scenarios[s].started = true;
        let exp = cx.exp;
        match executor(exp, s) {
            Executor::ConstantVus { vus, .. } => Some(*vus as usize),
            Executor::SharedIterations {
                vus, iterations, ..
            } => {
                self.scenarios[s].remaining = *iterations;
                Some(*vus as usize)
            }
            Executor::PerVuIterations { vus, .. } => Some(*vus as usize),
            Executor::RampingVus {
                start_vus, stages, ..
            } => {
                let steps = ramping_vus_steps(*start_vus, stages);
                let start = self.scenarios[s].start;
                for (k, step) in steps.iter().enumerate().skip(1) {
                    cx.queue.push(
                        start + step.at,
                        Event::ScenarioStep {
                            scenario: s as u32,
                            step: k as u32,
                        },
                    );
                }
                let first = steps.first().map(|st| st.vus).unwrap_or(0);
                self.scenarios[s].steps = steps;
                Some(first as usize)
            }
            Executor::ConstantArrivalRate { .. }
            | Executor::RampingArrivalRate { .. }
            | Executor::PoissonArrivalRate { .. } => {
                self.schedule_next_arrival(s, cx);
                None
            }
        }
    }

    /// ramping-vus: the VU level of step `step` (None once the regular duration is over).
    pub fn step_level(&self, s: usize, step: usize) -> Option<usize> {
        let st = &self.scenarios[s];
        (!st.regular_over).then(|| st.steps[step].vus as usize)
    }

    /// Raising the level towards `target`: the next VU to activate, if any.
    pub fn next_activation(&mut self, s: usize, target: usize) -> Option<u32> {
        let st = &mut self.scenarios[s];
        let target = target.min(st.vus.len());
        if st.level >= target {
            return None;
        }
        let vu = st.vus[st.level];
        st.level += 1;
        Some(vu)
    }

    /// Lowers the level to `target`: k6 removes the newest VUs first; each may finish its
    /// iteration within the ramp-down grace.
    pub fn lower_to(&mut self, s: usize, target: usize, cx: &mut VuCx) {
        let grace = match executor(cx.exp, s) {
            Executor::RampingVus {
                graceful_ramp_down, ..
            } => *graceful_ramp_down,
            _ => 0,
        };
        let target = target.min(self.scenarios[s].vus.len());
        while self.scenarios[s].level > target {
            self.scenarios[s].level -= 1;
            let vu = self.scenarios[s].vus[self.scenarios[s].level];
            let v = &mut self.vus[vu as usize];
            v.stopping = true;
            v.epoch = v.epoch.wrapping_add(1);
            if v.in_iteration {
                let epoch = v.epoch;
                cx.queue
                    .push(cx.now + grace, Event::VuInterrupt { vu, epoch });
            } else {
                self.deactivate(vu, cx);
            }
        }
    }

    /// Marks the scenario finished once no iteration runs and none will start: after its
    /// regular duration, or (iteration-based executors) when every iteration is done.
    pub fn check_finished(&mut self, s: usize, exp: &Experiment) {
        let st = &self.scenarios[s];
        if st.finished || !st.started || st.running > 0 {
            return;
        }
        let iteration_based = matches!(
            executor(exp, s),
            Executor::SharedIterations { .. } | Executor::PerVuIterations { .. }
        );
        // VUs of the iteration-based executors loop without pause, so none running
        // means none will run again.
        if st.regular_over || iteration_based {
            self.scenarios[s].finished = true;
            self.finished += 1;
        }
    }

    /// A ramped-down VU's grace is over (stale when it was activated again since).
    pub fn interrupt_graceful(&mut self, vu: u32, epoch: u32, cx: &mut VuCx) -> Option<(u32, u32)> {
        if self.vus[vu as usize].epoch == epoch {
            self.interrupt(vu, cx)
        } else {
            None
        }
    }

    /// Cuts the VU's iteration off (end of `gracefulRampDown` or `gracefulStop`). Returns
    /// the task of a request it was waiting for, which runs on unobserved (a batch's are
    /// left in `take_detached`).
    pub fn interrupt(&mut self, vu: u32, cx: &mut VuCx) -> Option<(u32, u32)> {
        let v = self.vus[vu as usize];
        if !v.in_iteration {
            self.deactivate(vu, cx);
            return None;
        }
        cx.rec.interrupted_iterations += 1;
        let mut detach = None;
        if matches!(v.phase, VuPhase::InBatch) {
            self.interrupt_batch(vu, cx);
        }
        if matches!(v.phase, VuPhase::InRequest | VuPhase::Refused(_)) {
            detach = Some((v.task, v.task_gen));
            cx.rec.accounting.interrupted += 1;
        }
        let vm = &mut self.vus[vu as usize];
        vm.token = vm.token.wrapping_add(1);
        vm.phase = VuPhase::Idle;
        vm.in_iteration = false;
        let s = vm.scenario as usize;
        self.scenarios[s].running -= 1;
        cx.rec.scenarios[s].running_change(cx.now, -1);
        self.deactivate(vu, cx);
        self.check_finished(s, cx.exp);
        detach
    }

    /// VUs of the scenario, and its `k`-th.
    pub fn scenario_vus(&self, s: usize) -> usize {
        self.scenarios[s].vus.len()
    }

    pub fn scenario_vu(&self, s: usize, k: usize) -> u32 {
        self.scenarios[s].vus[k]
    }

    /// No new iteration starts (the scenario's regular duration is over).
    pub fn regular_end(&mut self, s: usize, cx: &mut VuCx) {
        self.scenarios[s].regular_over = true;
        match *executor(cx.exp, s) {
            Executor::SharedIterations { .. } => {
                cx.rec.dropped_iterations += self.scenarios[s].remaining;
                cx.rec.subs.dropped(s, self.scenarios[s].remaining);
                self.scenarios[s].remaining = 0;
            }
            Executor::PerVuIterations { iterations, .. } => {
                for k in 0..self.scenarios[s].vus.len() {
                    let v = self.vus[self.scenarios[s].vus[k] as usize];
                    let attempted = v.iterations_done + v.in_iteration as u64;
                    cx.rec.dropped_iterations += iterations.saturating_sub(attempted);
                    cx.rec.subs.dropped(s, iterations.saturating_sub(attempted));
                }
            }
            _ => {}
        }
        for k in 0..self.scenarios[s].vus.len() {
            let vu = self.scenarios[s].vus[k];
            self.vus[vu as usize].stopping = true;
            if !self.vus[vu as usize].in_iteration {
                self.deactivate(vu, cx);
            }
        }
        self.check_finished(s, cx.exp);
    }

    pub fn regular_over(&self, s: usize) -> bool {
        self.scenarios[s].regular_over
    }

    pub fn schedule_next_arrival(&mut self, s: usize, cx: &mut VuCx) {
        let rng = &mut *cx.rng_load;
        let state = &mut self.scenarios[s];
        let Some(schedule) = state.arrival.as_mut() else {
            return;
        };
        if let Some(offset) = schedule.next_start_with(|| rng.random::<f64>()) {
            let at = state.start + offset;
            if at <= state.regular_end {
                state.next_arrival = Some(at);
                cx.queue
                    .push_tick(at, Event::ArrivalTick { scenario: s as u32 });
            }
        }
    }

    /// The arrival tick in the queue has come (it runs now, or never).
    pub fn arrival_taken(&mut self, s: usize) {
        self.scenarios[s].next_arrival = None;
    }

    /// Whether an arrival is due exactly now, at the end of the regular duration: k6
    /// starts it (its ticker fires at `duration` as the duration's context ends), so the
    /// end runs it before it closes the scenario (constant-arrival-rate 20/s for 3s starts
    /// 61 iterations, the last at 3s).
    pub fn arrival_due_at_end(&self, s: usize, now: Nanos) -> bool {
        let st = &self.scenarios[s];
        !st.regular_over && st.next_arrival == Some(now) && now == st.regular_end
    }

    /// An arrival-rate iteration is due: an idle VU runs it, or it is dropped (and one more
    /// VU is initialised while `maxVUs` allows, k6's `TryRunIteration` path).
    pub fn start_arrival(&mut self, s: usize, cx: &mut VuCx) -> Option<EntryDue> {
        cx.rec.scenarios[s].due += 1;
        match self.scenarios[s].idle.pop() {
            Some(vu) => {
                let v = &mut self.vus[vu as usize];
                v.active = true;
                v.stopping = false;
                v.in_iteration = true;
                self.begin_steps(vu, cx);
                self.scenarios[s].running += 1;
                cx.rec.scenarios[s].running_change(cx.now, 1);
                cx.rec.vus.add(cx.now, 1);
                cx.rec.vus_peak = cx.rec.vus_peak.max(cx.rec.vus.value() as u64);
                self.run_flow(vu, cx)
            }
            None => {
                cx.rec.dropped_iterations += 1;
                cx.rec.subs.dropped(s, 1);
                if self.scenarios[s].vus.len() as u64 >= self.scenarios[s].max_vus {
                    cx.rec.scenarios[s].refused_at_max += 1;
                }
                if (self.scenarios[s].vus.len() as u64) < self.scenarios[s].max_vus {
                    let flow = cx.exp.scenarios[s].flow as u32;
                    let id = self.new_vu(s as u32, flow, cx.rec);
                    self.scenarios[s].vus.push(id);
                    self.scenarios[s].idle.push(id);
                }
                None
            }
        }
    }
}
