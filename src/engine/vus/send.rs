//! A VU's request leaving: k6's global `--rps` limiter, the client timeout armed with it,
//! the crossing of the load balancer, and the entry service's admission reported back.

use super::{EntryDue, VuCx, VuPhase, VuPool};
use crate::engine::event::Event;
use crate::engine::outcome::Cause;
use crate::engine::queue::{EventQueue, lanes};
use crate::time::Nanos;

/// A request `token` of VU `vu` leaves now: it reaches its entry service after the load
/// balancer's latency (an [`Event::EntryArrive`] then), or at once (returned, for the loop
/// to admit).
#[inline(always)]
pub(super) fn cross_balancer(vu: u32, token: u32, cx: &mut VuCx) -> Option<EntryDue> {
    let model = &cx.exp.model;
    match model.balancer.latency {
        Some(dist) => {
            let d = model.distributions[dist].sample_nanos(cx.rng_system);
            cx.queue.push(cx.now + d, Event::EntryArrive { vu, token });
            None
        }
        None => Some(EntryDue { vu, token }),
    }
}

impl VuPool {
    /// k6's `--rps`: a token bucket of burst 1 shared by all VUs; requests are spaced at
    /// least 1/rps apart, in the order they ask (`rate.Limiter.Wait`, reference 4.2).
    #[inline(always)]
    pub(super) fn request(&mut self, vu: u32, cx: &mut VuCx) -> Option<EntryDue> {
        if cx.exp.rps.is_some()
            && let Some(at) = self.rps_slot(cx)
        {
            let v = &mut self.vus[vu as usize];
            v.token = v.token.wrapping_add(1);
            v.phase = VuPhase::RpsWait;
            let token = v.token;
            cx.queue.push(at, Event::VuWake { vu, token });
            return None;
        }
        self.send_request(vu, cx)
    }

    /// The global rps limiter's slot for a request asking now: `Some(when)` if it must
    /// wait (each call takes a slot).
    #[inline(never)]
    pub(super) fn rps_slot(&mut self, cx: &VuCx) -> Option<Nanos> {
        let rps = cx.exp.rps?;
        let gap = 1e9 / rps;
        let slot = (self.rps_last + gap).max(cx.now as f64);
        self.rps_last = slot;
        let at = slot.ceil() as Nanos;
        (at > cx.now).then_some(at)
    }

    /// The request leaves now: counted as sent, its client timeout armed, then on to
    /// the balancer.
    #[inline(always)]
    pub(super) fn send_request(&mut self, vu: u32, cx: &mut VuCx) -> Option<EntryDue> {
        cx.rec.accounting.sent += 1;
        let now = cx.now;
        let v = &mut self.vus[vu as usize];
        v.token = v.token.wrapping_add(1);
        v.phase = VuPhase::InRequest;
        v.request_sent = now;
        let token = v.token;
        v.timeout = cx.queue.push_vu_timer(
            vu,
            now.saturating_add(cx.exp.client_timeout),
            Event::ClientTimeout { vu, token },
        );
        cross_balancer(vu, token, cx)
    }

    /// The request has crossed the balancer (stale: the VU no longer waits for it).
    pub fn entry_arrive(&self, vu: u32, token: u32) -> Option<EntryDue> {
        let v = &self.vus[vu as usize];
        if matches!(v.phase, VuPhase::InBatch) {
            return self.batch_entry_arrive(vu, token);
        }
        (v.token == token && matches!(v.phase, VuPhase::InRequest))
            .then_some(EntryDue { vu, token })
    }

    /// The endpoint of the VU's request `token`.
    #[inline]
    pub fn request_of(&self, vu: u32, token: u32) -> usize {
        let v = &self.vus[vu as usize];
        if matches!(v.phase, VuPhase::InBatch) {
            return self.batch_endpoint(vu, token);
        }
        v.endpoint as usize
    }

    /// The entry admitted the VU's request `token` as a task, or refused it with a cause.
    #[inline(always)]
    pub fn admitted(
        &mut self,
        vu: u32,
        token: u32,
        result: Result<(u32, u32), Cause>,
        now: Nanos,
        queue: &mut EventQueue,
    ) {
        if matches!(self.vus[vu as usize].phase, VuPhase::InBatch) {
            self.batch_admitted(vu, token, result, now, queue);
            return;
        }
        let v = &mut self.vus[vu as usize];
        match result {
            Ok((task, generation)) => {
                v.task = task;
                v.task_gen = generation;
            }
            Err(cause) => {
                // Answer at the next step, not inside this call: a flow without sleeps
                // against a full service must not recurse.
                v.phase = VuPhase::Refused(cause);
                let token = v.token;
                queue.push_lane(lanes::NOW, now, Event::VuWake { vu, token });
            }
        }
    }
}
