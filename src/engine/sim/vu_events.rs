//! The loop's part for the VUs: each VU event goes to the VU pool, and a request the pool
//! hands back ([`EntryDue`]) is admitted at its entry service at once, before anything
//! else happens, so the order of events is that of a VU calling the service itself.

use super::Simulation;
use crate::engine::outcome::Cause;
use crate::engine::vus::EntryDue;

impl Simulation<'_> {
    /// Admits the request the VU pool handed back, if any, then a batch's requests due
    /// now, in order.
    #[inline]
    fn send(&mut self, due: Option<EntryDue>) {
        if let Some(due) = due {
            self.admit_due(due);
        }
        let mut k = 0;
        while let Some(due) = self.vus.take_pending(k) {
            self.admit_due(due);
            k += 1;
        }
    }

    #[inline]
    fn admit_due(&mut self, EntryDue { vu, token }: EntryDue) {
        let endpoint = self.vus.request_of(vu, token);
        let result = self.send_to_entry(vu, token, endpoint);
        self.vus
            .admitted(vu, token, result, self.now, &mut self.queue);
    }

    /// Detaches the tasks of an interrupted batch's requests (they run on unobserved).
    fn detach_batch(&mut self) {
        while let Some((task, generation)) = self.vus.take_detached() {
            self.tasks.detach(task, generation);
        }
    }

    pub(super) fn scenario_start(&mut self, s: usize) {
        let (vus, mut cx) = self.vu_parts();
        if let Some(level) = vus.start(s, &mut cx) {
            self.set_level(s, level);
        }
        self.vus.check_finished(s, self.exp);
    }

    pub(super) fn scenario_step(&mut self, s: usize, step: usize) {
        if let Some(level) = self.vus.step_level(s, step) {
            self.set_level(s, level);
        }
    }

    /// Brings the scenario's VU level to `target`: each VU activated may send a request
    /// at once, admitted before the next one starts.
    fn set_level(&mut self, s: usize, target: usize) {
        loop {
            let (vus, mut cx) = self.vu_parts();
            let Some(vu) = vus.next_activation(s, target) else {
                vus.lower_to(s, target, &mut cx);
                return;
            };
            let due = vus.activate(vu, &mut cx);
            self.send(due);
        }
    }

    pub(super) fn scenario_regular_end(&mut self, s: usize) {
        // With `gracefulStop: 0s` k6's iteration context is already done at the boundary:
        // an iteration started then sends nothing, so none is started here either.
        let grace = self.exp.scenarios[s].scenario.total_end() > self.now;
        if grace && self.vus.arrival_due_at_end(s, self.now) {
            // The tick at the boundary was queued after this event; it runs first (k6
            // starts it), and the tick itself then finds the regular duration over.
            self.vus.arrival_taken(s);
            let (vus, mut cx) = self.vu_parts();
            let due = vus.start_arrival(s, &mut cx);
            self.send(due);
        }
        let (vus, mut cx) = self.vu_parts();
        vus.regular_end(s, &mut cx);
    }

    pub(super) fn scenario_hard_end(&mut self, s: usize) {
        for k in 0..self.vus.scenario_vus(s) {
            let (vus, mut cx) = self.vu_parts();
            let vu = vus.scenario_vu(s, k);
            if let Some((task, generation)) = vus.interrupt(vu, &mut cx) {
                self.tasks.detach(task, generation);
            }
            self.detach_batch();
        }
        self.vus.check_finished(s, self.exp);
    }

    pub(super) fn arrival_tick(&mut self, s: usize) {
        if self.vus.regular_over(s) {
            return;
        }
        self.vus.arrival_taken(s);
        let (vus, mut cx) = self.vu_parts();
        let due = vus.start_arrival(s, &mut cx);
        self.send(due);
        let (vus, mut cx) = self.vu_parts();
        vus.schedule_next_arrival(s, &mut cx);
    }

    pub(super) fn vu_wake(&mut self, vu: u32, token: u32) {
        let (vus, mut cx) = self.vu_parts();
        let due = vus.wake(vu, token, &mut cx);
        self.send(due);
    }

    pub(super) fn vu_interrupt(&mut self, vu: u32, epoch: u32) {
        let (vus, mut cx) = self.vu_parts();
        if let Some((task, generation)) = vus.interrupt_graceful(vu, epoch, &mut cx) {
            self.tasks.detach(task, generation);
        }
        self.detach_batch();
    }

    pub(super) fn client_timeout(&mut self, vu: u32, token: u32) {
        if let Some((task, generation)) = self.vus.timed_out(vu, token) {
            // The server does not notice that the client left: the request runs on.
            if task != crate::engine::vus::NOT_ADMITTED {
                self.tasks.detach(task, generation);
            }
            let (vus, mut cx) = self.vu_parts();
            let due = vus.response(vu, token, Some(Cause::ClientTimeout), &mut cx);
            self.send(due);
        }
    }

    pub(super) fn entry_arrive(&mut self, vu: u32, token: u32) {
        let due = self.vus.entry_arrive(vu, token);
        self.send(due);
    }

    /// The answer to a VU's request.
    pub(super) fn vu_response(&mut self, vu: u32, token: u32, error: Option<Cause>) {
        let (vus, mut cx) = self.vu_parts();
        let due = vus.response(vu, token, error, &mut cx);
        self.send(due);
    }
}
