//! A processor-sharing server with `cores` cores: every job in service advances at rate
//! `r(n) = min(1, cores / n)`. Run in virtual time: a job needing work `w` that starts at
//! virtual time `v` ends when virtual time reaches `v + w`, so a heap of end points (a
//! 4-ary [`Heap4`]) gives the next departure in O(log n) per arrival or departure. Used by
//! database nodes and by service replicas that declare `cores`.

use crate::engine::heap4::{Heap4, Keyed, total_order_bits};

#[derive(Debug, Clone, Copy)]
struct InService {
    finish_v: f64,
    seq: u64,
    task: u32,
    generation: u32,
}

impl Keyed for InService {
    /// Earliest virtual finish first, then the earliest started (the sequence is unique).
    #[inline(always)]
    fn key(&self) -> u128 {
        (u128::from(total_order_bits(self.finish_v)) << 64) | u128::from(self.seq)
    }
}

/// `x.ceil() as u64` without libm's `ceil` (a call on x86-64 without SSE4.1): the
/// truncation, plus one when it lies below `x`. The same value for every `x`: exact below
/// 2^53, where truncation is exact; above, every `f64` is a whole number; NaN and
/// negatives give 0 and too large values `u64::MAX`, as the cast does.
#[inline]
pub fn ceil_u64(x: f64) -> u64 {
    let t = x as u64;
    if (t as f64) < x {
        t.saturating_add(1)
    } else {
        t
    }
}

#[derive(Debug)]
pub struct ProcessorSharing {
    pub cores: u32,
    virtual_time: f64,
    last_t: u64,
    in_service: Heap4<InService>,
    seq: u64,
    /// Bumped on every change; a departure event with an older version is stale.
    pub version: u32,
}

impl ProcessorSharing {
    pub fn new(cores: u32, capacity: usize) -> Self {
        ProcessorSharing {
            cores,
            virtual_time: 0.0,
            last_t: 0,
            in_service: Heap4::with_capacity(capacity.min(4096)),
            seq: 0,
            version: 0,
        }
    }

    fn rate(&self) -> f64 {
        let n = self.in_service.len();
        if n == 0 {
            0.0
        } else {
            (self.cores as f64 / n as f64).min(1.0)
        }
    }

    fn advance(&mut self, now: u64) {
        let dt = now.saturating_sub(self.last_t) as f64;
        self.virtual_time += dt * self.rate();
        self.last_t = now;
    }

    /// Starts a job of `work_ns` (its time when alone). Returns the time of the next departure.
    pub fn start(&mut self, now: u64, work_ns: f64, task: u32, generation: u32) -> u64 {
        self.advance(now);
        self.seq += 1;
        self.in_service.push(InService {
            finish_v: self.virtual_time + work_ns,
            seq: self.seq,
            task,
            generation,
        });
        self.version = self.version.wrapping_add(1);
        self.next_departure(now)
    }

    /// Time of the next departure given the current population (`u64::MAX`: none).
    pub fn next_departure(&self, now: u64) -> u64 {
        match self.in_service.peek() {
            None => u64::MAX,
            Some(top) => {
                let remaining = (top.finish_v - self.virtual_time).max(0.0);
                now + ceil_u64(remaining / self.rate())
            }
        }
    }

    /// At a departure time: removes the finished job, returning its task and the time of
    /// the following departure.
    pub fn finish(&mut self, now: u64) -> Option<(u32, u32, u64)> {
        self.advance(now);
        let top = self.in_service.pop()?;
        // Rounding to whole nanoseconds may leave a sliver; it belongs to this departure.
        self.virtual_time = self.virtual_time.max(top.finish_v);
        self.version = self.version.wrapping_add(1);
        Some((top.task, top.generation, self.next_departure(now)))
    }

    pub fn active(&self) -> usize {
        self.in_service.len()
    }

    /// Cores busy now: min(jobs, cores).
    pub fn busy_cores(&self) -> u32 {
        (self.in_service.len() as u32).min(self.cores)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_jobs_on_one_core_share_it() {
        let mut n = ProcessorSharing::new(1, 10);
        // A: 10ns of work at t=0; B: 10ns at t=0. Sharing one core, both end at t=20.
        n.start(0, 10.0, 1, 0);
        let next = n.start(0, 10.0, 2, 0);
        assert_eq!(next, 20);
        let (task, _, next) = n.finish(20).unwrap();
        assert_eq!(task, 1);
        assert_eq!(next, 20);
        let (task, _, next) = n.finish(20).unwrap();
        assert_eq!(task, 2);
        assert_eq!(next, u64::MAX);
    }

    #[test]
    fn ceil_without_libm_is_ceil() {
        let mut x = 0.37_f64;
        let specials = [
            0.0,
            -0.0,
            -1.5,
            0.5,
            1.0,
            1.0 + f64::EPSILON,
            (1u64 << 52) as f64 + 0.5,
            (1u64 << 53) as f64,
            1e19,
            2e19,
            f64::INFINITY,
            f64::NAN,
        ];
        for v in specials {
            assert_eq!(ceil_u64(v), v.ceil() as u64, "{v}");
        }
        for _ in 0..200_000 {
            x = (x * 1.618_033_988_7 + 0.123_456_7) % 1e7;
            for v in [x, x.floor(), x * 1e6, x / 1e3] {
                assert_eq!(ceil_u64(v), v.ceil() as u64, "{v}");
            }
        }
    }

    #[test]
    fn enough_cores_means_no_slowdown() {
        let mut n = ProcessorSharing::new(4, 10);
        n.start(0, 100.0, 1, 0);
        n.start(0, 100.0, 2, 0);
        let next = n.start(50, 100.0, 3, 0);
        assert_eq!(next, 100);
        assert_eq!(n.finish(100).unwrap().2, 100);
        assert_eq!(n.finish(100).unwrap().2, 150);
    }
}
