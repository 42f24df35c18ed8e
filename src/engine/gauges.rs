//! The recorder's time-weighted gauges (a piecewise-constant value integrated per bucket
//! and overall, a 0/1 gauge of being at capacity) and the small counters of databases,
//! providers and scenarios' VU pools that the bottleneck analysis reads.

use crate::time::Nanos;

/// A time span as `f64`, the same value as `dt as f64`. Below 2^52 (52 days in ns) it is
/// exact through the bits of `2^52 + dt` less `2^52` (two instructions): LLVM compiles
/// `dt as f64`, and any branch to `dt as i64 as f64` that it proves equal, into a slow
/// unsigned conversion sequence.
#[inline]
pub fn span_f64(dt: Nanos) -> f64 {
    const TWO_52: u64 = 1 << 52;
    if dt < TWO_52 {
        f64::from_bits(dt | 0x4330_0000_0000_0000) - TWO_52 as f64
    } else {
        dt as f64
    }
}

/// A piecewise-constant quantity integrated over time, per bucket and overall. Most gauges
/// change on every request (tasks in flight, busy workers), so this one keeps nothing else;
/// [`RangeGauge`] also keeps its least and greatest value.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauge {
    pub value: f64,
    last_t: Nanos,
    bucket_integral: f64,
    total_integral: f64,
}

impl Gauge {
    #[inline]
    pub(crate) fn integrate(&mut self, now: Nanos) {
        let dt = span_f64(now.saturating_sub(self.last_t));
        self.bucket_integral += self.value * dt;
        self.total_integral += self.value * dt;
        self.last_t = now;
    }

    pub fn starting_at(value: f64) -> Self {
        Gauge {
            value,
            ..Gauge::default()
        }
    }

    #[inline]
    pub fn add(&mut self, now: Nanos, delta: f64) {
        self.integrate(now);
        self.value += delta;
    }

    pub fn set(&mut self, now: Nanos, value: f64) {
        self.add(now, value - self.value);
    }

    /// Mean over the bucket that ends at `end` (of width `width`), then starts the next.
    pub(crate) fn close_bucket(&mut self, end: Nanos, width: Nanos) -> f64 {
        self.integrate(end);
        let mean = self.bucket_integral / width as f64;
        self.bucket_integral = 0.0;
        mean
    }

    pub(crate) fn mean_until(&mut self, end: Nanos) -> f64 {
        self.integrate(end);
        if end == 0 {
            0.0
        } else {
            self.total_integral / end as f64
        }
    }
}

/// A [`Gauge`] that also keeps the least and greatest value it has had (replica counts).
#[derive(Debug, Clone, Copy, Default)]
pub struct RangeGauge {
    pub gauge: Gauge,
    pub min: f64,
    pub max: f64,
}

impl RangeGauge {
    pub fn starting_at(value: f64) -> Self {
        RangeGauge {
            gauge: Gauge::starting_at(value),
            min: value,
            max: value,
        }
    }

    pub fn add(&mut self, now: Nanos, delta: f64) {
        self.gauge.add(now, delta);
        self.min = self.min.min(self.gauge.value);
        self.max = self.max.max(self.gauge.value);
    }

    pub fn set(&mut self, now: Nanos, value: f64) {
        self.add(now, value - self.gauge.value);
    }

    pub(crate) fn close_bucket(&mut self, end: Nanos, width: Nanos) -> f64 {
        self.gauge.close_bucket(end, width)
    }

    pub(crate) fn mean_until(&mut self, end: Nanos) -> f64 {
        self.gauge.mean_until(end)
    }
}

/// Sets a 0/1 gauge to whether `used >= capacity`.
#[inline]
pub fn track_at_capacity(gauge: &mut Gauge, now: Nanos, used: f64, capacity: f64) {
    let full = if used >= capacity { 1.0 } else { 0.0 };
    if full != gauge.value {
        gauge.set(now, full);
    }
}

/// Per external provider: attempts made and those its rate limit refused.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProviderCounters {
    pub attempts: u64,
    pub rate_limited: u64,
}

/// Per scenario: its VU pool (iterations running against `maxVUs`) and the arrival-rate
/// iterations that found every VU busy with the pool at `maxVUs`.
#[derive(Debug, Default)]
pub struct ScenarioCounters {
    pub running: Gauge,
    pub full: Gauge,
    pub max_vus: f64,
    /// Arrival-rate iterations due, and those dropped with the pool at `maxVUs`.
    pub due: u64,
    pub refused_at_max: u64,
}

impl ScenarioCounters {
    pub fn new(max_vus: u64) -> Self {
        ScenarioCounters {
            max_vus: max_vus as f64,
            full: Gauge::starting_at(if max_vus == 0 { 1.0 } else { 0.0 }),
            ..ScenarioCounters::default()
        }
    }

    /// Iterations running change by `delta`.
    #[inline]
    pub fn running_change(&mut self, now: Nanos, delta: f64) {
        self.running.add(now, delta);
        let (used, cap) = (self.running.value, self.max_vus);
        track_at_capacity(&mut self.full, now, used, cap);
    }
}

/// Per database (primary and read replicas together).
#[derive(Debug, Default)]
pub struct DbCounters {
    pub in_use: Gauge,
    /// Sum over nodes of min(queries running, cores).
    pub busy_cores: Gauge,
    pub cores: f64,
    pub queries: u64,
    pub query_sum: f64,
    /// Connection grants (zero waits included) and the total wait for them.
    pub waits: u64,
    pub wait_sum: f64,
    pub pool_timeouts: u64,
    /// Read replicas that exist (being created included), for cost.
    pub replicas: Gauge,
    pub replica_price_per_hour: f64,
    /// The primary alone: connections in use and busy cores, each with its capacity and a
    /// 0/1 gauge of being at capacity (the bottleneck analysis).
    pub primary_in_use: Gauge,
    pub primary_pool: f64,
    pub primary_pool_full: Gauge,
    pub primary_busy_cores: Gauge,
    pub primary_cores: f64,
    pub primary_cores_full: Gauge,
    pub replica_cores: f64,
}

impl DbCounters {
    /// Connections in use on the primary change by `delta`.
    #[inline]
    pub fn primary_in_use_change(&mut self, now: Nanos, delta: f64) {
        self.primary_in_use.add(now, delta);
        let (used, cap) = (self.primary_in_use.value, self.primary_pool);
        track_at_capacity(&mut self.primary_pool_full, now, used, cap);
    }

    /// Busy cores of the primary change by `delta`.
    #[inline]
    pub fn primary_busy_cores_change(&mut self, now: Nanos, delta: f64) {
        self.primary_busy_cores.add(now, delta);
        let (used, cap) = (self.primary_busy_cores.value, self.primary_cores);
        track_at_capacity(&mut self.primary_cores_full, now, used, cap);
    }
}

#[cfg(test)]
mod tests {
    use super::span_f64;

    #[test]
    fn span_f64_is_the_plain_conversion() {
        let mut cases = vec![0, 1, 2, (1 << 52) - 1, 1 << 52, (1 << 52) + 1, u64::MAX];
        let mut z: u64 = 0x9E37_79B9_7F4A_7C15;
        for k in 0..200_000u32 {
            z = z
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            cases.push(z >> (k % 64));
        }
        for dt in cases {
            assert_eq!(span_f64(dt).to_bits(), (dt as f64).to_bits(), "{dt}");
        }
    }
}
