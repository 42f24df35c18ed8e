//! The loop's part for calls to external providers: an attempt and its answer, retries
//! after a backoff, failover to another provider, and the failure once all are spent.

use super::Simulation;
use crate::engine::event::Event;
use crate::engine::external::{Attempt, retry_wait};
use crate::engine::outcome::Cause;
use crate::engine::task::Phase;

impl Simulation<'_> {
    pub(super) fn start_attempt(&mut self, task: u32) {
        let now = self.now;
        let t = self.tasks[task];
        let provider = t.provider as usize;
        let attempt = self.providers.attempt(
            self.model,
            provider,
            now,
            self.faults.provider_down(provider),
            self.faults.provider_slowdown(provider),
            &mut self.rng_system,
            &mut self.rec,
        );
        match attempt {
            Attempt::RateLimited => self.attempt_failed(task, Cause::RateLimited),
            Attempt::Answer { delay, outcome } => {
                let tm = &mut self.tasks[task];
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
        }
    }

    /// An attempt has ended (stale if the task is gone).
    pub(super) fn external_done(&mut self, task: u32, generation: u32) {
        if self.tasks.live(task, generation) {
            match self.tasks[task].pending {
                None => {
                    self.tasks[task].pc += 1;
                    self.advance(task);
                }
                Some(cause) => self.attempt_failed(task, cause),
            }
        }
    }

    /// A retry's backoff is over.
    pub(super) fn external_retry(&mut self, task: u32, generation: u32) {
        if self.tasks.live(task, generation) {
            if self.tasks[task].orphaned {
                self.finish(task, None);
            } else {
                self.start_attempt(task);
            }
        }
    }

    fn attempt_failed(&mut self, task: u32, cause: Cause) {
        let t = self.tasks[task];
        if t.orphaned {
            self.finish(task, None);
            return;
        }
        let p = &self.model.providers[t.provider as usize];
        if t.attempt < p.retries {
            let attempt = t.attempt + 1;
            let wait = retry_wait(p, attempt);
            self.tasks[task].attempt = attempt;
            self.queue.push(
                self.now + wait,
                Event::ExternalRetry {
                    task,
                    generation: t.generation,
                },
            );
        } else if let Some(next) = p.failover {
            let tm = &mut self.tasks[task];
            tm.provider = next as u32;
            tm.attempt = 0;
            self.start_attempt(task);
        } else {
            self.fail_here(task, cause);
        }
    }
}
