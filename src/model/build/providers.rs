//! External providers of a model: latency, failures, rate limits, retries with backoff,
//! failover chains (which must end) and the price per call.

use super::{Builder, check_probability, check_range, price};
use crate::error::{FieldError, join_path};
use crate::model::Provider;
use crate::suggest::unknown_name;

impl Builder<'_> {
    pub(super) fn providers(&mut self) -> Result<Vec<Provider>, FieldError> {
        let names: Vec<&str> = self.spec.providers.keys().map(String::as_str).collect();
        let mut out = Vec::new();
        for (name, p) in &self.spec.providers {
            let path = format!("providers.{name}");
            check_probability(
                &join_path(&path, "failure_probability"),
                p.failure_probability,
            )?;
            let latency = self.distribution(&p.latency, &join_path(&path, "latency"))?;
            let rate_limit = match &p.rate_limit {
                Some(r) => {
                    check_range(&join_path(&path, "rate_limit.rate"), r.rate, 1e-6, 1e9)?;
                    let burst = r.burst.unwrap_or(1.0);
                    check_range(&join_path(&path, "rate_limit.burst"), burst, 1.0, 1e9)?;
                    Some((r.rate, burst))
                }
                None => None,
            };
            let failover = match &p.failover {
                Some(f) if f == name => {
                    return Err(FieldError::new(
                        join_path(&path, "failover"),
                        "a provider cannot fail over to itself; name another provider",
                    ));
                }
                Some(f) => Some(names.iter().position(|n| n == f).ok_or_else(|| {
                    FieldError::new(
                        join_path(&path, "failover"),
                        unknown_name("provider", f, names.iter().copied()),
                    )
                })?),
                None => None,
            };
            let (retries, backoff, multiplier, max_backoff) = match &p.retries {
                Some(r) => {
                    check_range(
                        &join_path(&path, "retries.attempts"),
                        r.attempts as f64,
                        0.0,
                        100.0,
                    )?;
                    let m = r.multiplier.unwrap_or(2.0);
                    check_range(&join_path(&path, "retries.multiplier"), m, 1.0, 100.0)?;
                    (
                        r.attempts,
                        r.backoff.0,
                        m,
                        r.max_backoff.map(|d| d.0).unwrap_or(u64::MAX),
                    )
                }
                None => (0, 0, 1.0, u64::MAX),
            };
            out.push(Provider {
                name: name.clone(),
                latency,
                failure_probability: p.failure_probability,
                rate_limit,
                timeout: p.timeout.map(|d| d.0).filter(|&t| t > 0),
                retries,
                backoff,
                backoff_multiplier: multiplier,
                max_backoff,
                failover,
                cost_per_call: price(p.cost_per_call, &join_path(&path, "cost_per_call"))?,
            });
        }
        // Failover chains must end.
        for (i, p) in out.iter().enumerate() {
            let mut seen = vec![i];
            let mut next = p.failover;
            while let Some(n) = next {
                if seen.contains(&n) {
                    let chain: Vec<&str> = seen.iter().map(|&k| out[k].name.as_str()).collect();
                    return Err(FieldError::new(
                        format!("providers.{}.failover", p.name),
                        format!(
                            "failover loops: {} -> {}; the chain must end at a provider without failover",
                            chain.join(" -> "),
                            out[n].name
                        ),
                    ));
                }
                seen.push(n);
                next = out[n].failover;
            }
        }
        Ok(out)
    }
}
