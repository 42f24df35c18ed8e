//! External providers at run time: each one's rate-limit token bucket, what one attempt of
//! a call does (refused by the limiter, or answered after a delay, well or badly), and the
//! backoff before a retry.

use crate::engine::outcome::Cause;
use crate::engine::recorder::Recorder;
use crate::model::{Model, Provider};
use crate::time::Nanos;
use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;

#[derive(Debug, Clone, Copy)]
struct TokenBucket {
    tokens: f64,
    last: Nanos,
}

/// How one attempt of a provider call goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// 429 at once: the provider refuses before doing any work.
    RateLimited,
    /// The answer comes after `delay`: success (`None`) or a failure.
    Answer {
        delay: Nanos,
        outcome: Option<Cause>,
    },
}

/// Run-time state of the providers: their rate limiters.
pub(crate) struct Providers {
    buckets: Vec<Option<TokenBucket>>,
}

impl Providers {
    pub fn new(model: &Model) -> Self {
        Providers {
            buckets: model
                .providers
                .iter()
                .map(|p| {
                    p.rate_limit.map(|(_, burst)| TokenBucket {
                        tokens: burst,
                        last: 0,
                    })
                })
                .collect(),
        }
    }

    /// One attempt of a call to `provider` now, `down` or slowed by `slowdown` (faults).
    #[allow(clippy::too_many_arguments)]
    pub fn attempt(
        &mut self,
        model: &Model,
        provider: usize,
        now: Nanos,
        down: bool,
        slowdown: f64,
        rng: &mut Xoshiro256PlusPlus,
        rec: &mut Recorder,
    ) -> Attempt {
        let p = &model.providers[provider];
        rec.providers[provider].attempts += 1;
        if let (Some((rate, burst)), Some(bucket)) = (p.rate_limit, self.buckets[provider].as_mut())
        {
            bucket.tokens = (bucket.tokens + (now - bucket.last) as f64 * 1e-9 * rate).min(burst);
            bucket.last = now;
            if bucket.tokens < 1.0 {
                rec.providers[provider].rate_limited += 1;
                return Attempt::RateLimited;
            }
            bucket.tokens -= 1.0;
        }
        if p.cost_per_call > 0.0 {
            rec.spend(p.cost_per_call, false);
        }
        // Draws happen whatever the faults, so runs with and without them stay paired.
        let latency = model.distributions[p.latency].sample_nanos(rng);
        let latency = (latency as f64 * slowdown) as Nanos;
        let failed = p.failure_probability > 0.0 && rng.random::<f64>() < p.failure_probability;
        let (delay, outcome) = match p.timeout {
            // Down: the call hangs until the timeout, or is refused at once without one.
            _ if down => (p.timeout.unwrap_or(0), Some(Cause::ProviderError)),
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
        Attempt::Answer { delay, outcome }
    }
}

/// The wait before retry number `attempt` (1 for the first retry).
pub(crate) fn retry_wait(p: &Provider, attempt: u32) -> Nanos {
    let wait = (p.backoff as f64 * p.backoff_multiplier.powi(attempt as i32 - 1))
        .min(p.max_backoff as f64);
    wait as u64
}
