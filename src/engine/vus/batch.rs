//! k6's `http.batch()` on the VU side: a VU with several requests in flight. k6 sends a
//! batch's requests in order from `batch` workers (at most `batch` in flight), each waiting
//! for a slot of its host (at most `batchPerHost` in flight per host, first come first
//! served), and `http.batch()` returns when the last one is answered
//! (`lib/netext/httpext/batch.go`). Each request lives in one of the VU's preallocated
//! slots, with its own token, client timeout and task, and is recorded as a single request
//! is when it is answered.

use super::{EntryDue, VuCx, VuPhase, VuPool};
use crate::engine::event::Event;
use crate::engine::outcome::Cause;
use crate::engine::queue::{EventQueue, TimerId, lanes};
use crate::model::experiment::FlowStep;
use crate::time::Nanos;

/// The task of a batch request not admitted yet (still crossing the balancer).
pub const NOT_ADMITTED: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SlotState {
    /// Not taken by a worker yet (or no batch in progress).
    Free,
    /// Taken; waits for a slot of its host.
    HostWait,
    /// Waits for the global rps limiter.
    RpsWait,
    InRequest,
    /// The entry refused it at once; the answer is delivered at the next step.
    Refused(Cause),
    Answered,
}

/// One request of a batch in progress.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    state: SlotState,
    token: u32,
    endpoint: u32,
    /// Its host, as `Flow::batch_hosts` numbers it.
    host: u32,
    /// Its [`FlowStep::Request`] (checks, custom metrics).
    step: u32,
    sent: Nanos,
    task: u32,
    task_gen: u32,
    timeout: TimerId,
}

impl Slot {
    pub(super) const FREE: Slot = Slot {
        state: SlotState::Free,
        token: 0,
        endpoint: 0,
        host: 0,
        step: 0,
        sent: 0,
        task: 0,
        task_gen: 0,
        timeout: TimerId::NONE,
    };

    /// Occupies a slot of its host (and is not answered yet).
    #[inline]
    fn holds_host(&self) -> bool {
        matches!(
            self.state,
            SlotState::RpsWait | SlotState::InRequest | SlotState::Refused(_)
        )
    }
}

/// A VU's batch in progress: its requests, those taken so far (slots `..next`), those
/// taken and not answered, and those not answered. Kept apart from the VU record (which
/// every request reads), one per VU only when the flows have batches.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct BatchProgress {
    n: u32,
    next: u32,
    open: u32,
    left: u32,
}

impl VuPool {
    #[inline]
    fn base(&self, vu: u32) -> usize {
        vu as usize * self.stride
    }

    /// The slot (index into `slots`) of the VU's batch request `token`, in `state`.
    #[inline]
    fn slot_of(&self, vu: u32, token: u32, state: fn(SlotState) -> bool) -> Option<usize> {
        let base = self.base(vu);
        let n = self.batches[vu as usize].next as usize;
        (base..base + n).find(|&i| self.slots[i].token == token && state(self.slots[i].state))
    }

    /// Bytes of the VUs' batch slots (for the memory budget; 0 without batches).
    pub fn batch_slot_bytes(&self) -> u64 {
        (self.slots.capacity() * std::mem::size_of::<Slot>()) as u64
    }

    /// Batch requests waiting for an answer, over all VUs.
    pub(super) fn batch_in_request(&self) -> u64 {
        self.slots
            .iter()
            .filter(|s| s.state == SlotState::InRequest)
            .count() as u64
    }

    /// The VU reaches the `http.batch()` at its step: its requests take their slots and
    /// the first ones are sent.
    pub(super) fn begin_batch(&mut self, vu: u32, cx: &mut VuCx) {
        let v = self.vus[vu as usize];
        let flow = &cx.exp.flows[v.flow as usize];
        let FlowStep::Batch { n, first_host, .. } = flow.steps[v.step as usize] else {
            return;
        };
        let base = self.base(vu);
        for k in 0..n {
            let step = v.step + 1 + k;
            let endpoint = match flow.steps[step as usize] {
                FlowStep::Request { endpoint, .. } => endpoint as u32,
                _ => 0,
            };
            self.slots[base + k as usize] = Slot {
                endpoint,
                host: flow.batch_hosts[(first_host + k) as usize],
                step,
                ..Slot::FREE
            };
        }
        self.vus[vu as usize].phase = VuPhase::InBatch;
        self.batches[vu as usize] = BatchProgress {
            n,
            next: 0,
            open: 0,
            left: n,
        };
        self.fill_batch(vu, cx);
    }

    /// Whether a request to `host` may start now: fewer than `per_host` (0: no limit) of
    /// the batch's requests to it hold a slot.
    fn host_free(&self, vu: u32, host: u32, per_host: u32) -> bool {
        if per_host == 0 {
            return true;
        }
        let base = self.base(vu);
        let n = self.batches[vu as usize].next as usize;
        let busy = self.slots[base..base + n]
            .iter()
            .filter(|s| s.host == host && s.holds_host())
            .count();
        busy < per_host as usize
    }

    /// Starts what may start: requests waiting for their host (oldest first), then new ones
    /// in order while fewer than `limit` are taken.
    fn fill_batch(&mut self, vu: u32, cx: &mut VuCx) {
        let v = self.vus[vu as usize];
        let FlowStep::Batch {
            limit, per_host, ..
        } = cx.exp.flows[v.flow as usize].steps[v.step as usize]
        else {
            return;
        };
        let base = self.base(vu);
        for k in 0..self.batches[vu as usize].next as usize {
            let s = self.slots[base + k];
            if s.state == SlotState::HostWait && self.host_free(vu, s.host, per_host) {
                self.start_slot(vu, base + k, cx);
            }
        }
        loop {
            let b = &mut self.batches[vu as usize];
            if b.next >= b.n || b.open >= limit.max(1) {
                return;
            }
            let i = base + b.next as usize;
            b.next += 1;
            b.open += 1;
            if self.host_free(vu, self.slots[i].host, per_host) {
                self.start_slot(vu, i, cx);
            } else {
                self.slots[i].state = SlotState::HostWait;
            }
        }
    }

    /// A fresh token of the VU for one batch request.
    #[inline]
    fn next_token(&mut self, vu: u32) -> u32 {
        let v = &mut self.vus[vu as usize];
        v.token = v.token.wrapping_add(1);
        v.token
    }

    /// The request in slot `i` starts: after the rps limiter, if any.
    fn start_slot(&mut self, vu: u32, i: usize, cx: &mut VuCx) {
        if let Some(at) = self.rps_slot(cx) {
            let token = self.next_token(vu);
            self.slots[i].token = token;
            self.slots[i].state = SlotState::RpsWait;
            cx.queue.push(at, Event::VuWake { vu, token });
            return;
        }
        self.send_slot(vu, i, cx);
    }

    /// The request in slot `i` leaves the VU, with its own client timeout; it is due at
    /// its entry now (`pending`) or after the balancer's latency.
    fn send_slot(&mut self, vu: u32, i: usize, cx: &mut VuCx) {
        cx.rec.accounting.sent += 1;
        let now = cx.now;
        let token = self.next_token(vu);
        let s = &mut self.slots[i];
        s.token = token;
        s.state = SlotState::InRequest;
        s.sent = now;
        s.task = NOT_ADMITTED;
        s.timeout = cx.queue.push_lane(
            lanes::batch_timeout(&cx.exp.model),
            now.saturating_add(cx.exp.client_timeout),
            Event::ClientTimeout { vu, token },
        );
        if let Some(due) = super::send::cross_balancer(vu, token, cx) {
            self.pending.push(due);
        }
    }

    /// The next batch request due at its entry now (the loop admits them in order).
    #[inline]
    pub fn take_pending(&mut self, k: usize) -> Option<EntryDue> {
        let due = self.pending.get(k).copied();
        if due.is_none() {
            self.pending.clear();
        }
        due
    }

    /// The next task of an interrupted batch to detach (it runs on unobserved).
    #[inline]
    pub fn take_detached(&mut self) -> Option<(u32, u32)> {
        self.detached.pop()
    }

    pub(super) fn batch_entry_arrive(&self, vu: u32, token: u32) -> Option<EntryDue> {
        self.slot_of(vu, token, |s| s == SlotState::InRequest)
            .map(|_| EntryDue { vu, token })
    }

    pub(super) fn batch_endpoint(&self, vu: u32, token: u32) -> usize {
        self.slot_of(vu, token, |s| s == SlotState::InRequest)
            .map(|i| self.slots[i].endpoint as usize)
            .unwrap_or(0)
    }

    pub(super) fn batch_admitted(
        &mut self,
        vu: u32,
        token: u32,
        result: Result<(u32, u32), Cause>,
        now: Nanos,
        queue: &mut EventQueue,
    ) {
        let Some(i) = self.slot_of(vu, token, |s| s == SlotState::InRequest) else {
            return;
        };
        match result {
            Ok((task, generation)) => {
                self.slots[i].task = task;
                self.slots[i].task_gen = generation;
            }
            Err(cause) => {
                self.slots[i].state = SlotState::Refused(cause);
                queue.push_lane(lanes::NOW, now, Event::VuWake { vu, token });
            }
        }
    }

    /// A batch request's rps wait is over, or its refusal is due.
    pub(super) fn batch_wake(&mut self, vu: u32, token: u32, cx: &mut VuCx) -> Option<EntryDue> {
        let i = self.slot_of(vu, token, |s| {
            matches!(s, SlotState::RpsWait | SlotState::Refused(_))
        })?;
        match self.slots[i].state {
            SlotState::RpsWait => {
                self.send_slot(vu, i, cx);
                None
            }
            SlotState::Refused(cause) => {
                self.slots[i].state = SlotState::InRequest;
                self.batch_response(vu, token, Some(cause), cx)
            }
            _ => None,
        }
    }

    /// k6's request timeout fired while the batch request still waits: its task.
    pub(super) fn batch_timed_out(&self, vu: u32, token: u32) -> Option<(u32, u32)> {
        self.slot_of(vu, token, |s| s == SlotState::InRequest)
            .map(|i| (self.slots[i].task, self.slots[i].task_gen))
    }

    /// The answer to a batch request (or its client timeout): recorded as a single
    /// request's; the last one of the batch lets the VU go on.
    pub(super) fn batch_response(
        &mut self,
        vu: u32,
        token: u32,
        error: Option<Cause>,
        cx: &mut VuCx,
    ) -> Option<EntryDue> {
        let i = self.slot_of(vu, token, |s| s == SlotState::InRequest)?;
        let s = self.slots[i];
        cx.queue
            .cancel(lanes::batch_timeout(&cx.exp.model), s.timeout);
        self.record_response(vu, s.step, s.endpoint as usize, cx.now - s.sent, error, cx);
        self.slots[i].state = SlotState::Answered;
        let b = &mut self.batches[vu as usize];
        b.open -= 1;
        b.left -= 1;
        if b.left == 0 {
            let n = b.n;
            let v = &mut self.vus[vu as usize];
            v.step += 1 + n;
            v.token = v.token.wrapping_add(1);
            v.phase = VuPhase::Idle;
            return self.run_flow(vu, cx);
        }
        self.fill_batch(vu, cx);
        None
    }

    /// The VU's iteration is cut off in a batch: its requests in flight are interrupted
    /// (their tasks run on unobserved: `take_detached`), the rest never start.
    pub(super) fn interrupt_batch(&mut self, vu: u32, cx: &mut VuCx) {
        let base = self.base(vu);
        let n = self.batches[vu as usize].n as usize;
        for i in base..base + n {
            match self.slots[i].state {
                SlotState::InRequest => {
                    cx.rec.accounting.interrupted += 1;
                    if self.slots[i].task != NOT_ADMITTED {
                        self.detached
                            .push((self.slots[i].task, self.slots[i].task_gen));
                    }
                }
                SlotState::Refused(_) => cx.rec.accounting.interrupted += 1,
                _ => {}
            }
            self.slots[i].state = SlotState::Free;
        }
    }
}
