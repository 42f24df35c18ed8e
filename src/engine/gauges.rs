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

/// An integer-valued gauge that changes on nearly every request (tasks in flight, busy
/// workers, iterations running, active VUs, a 0/1 at-capacity flag), integrated exactly in
/// integers. A change costs one multiply-add and no read of the time of the last change:
/// over the open bucket `[start, t]` the integral is `value·(t − start) − Σ δ·(tᵢ − start)`
/// (each change `δ` at `tᵢ` moves the value for the part of the bucket after it), so a
/// change adds `δ·(tᵢ − start)` to `moved` and the bucket's close settles the rest.
/// The integrals are exact integers (ns × count); [`Gauge`]'s f64 sums of the same
/// integer products give the same means wherever they are exact (below 2^53).
#[derive(Debug, Clone, Copy, Default)]
pub struct CountGauge {
    value: i64,
    /// Start of the open bucket.
    start: Nanos,
    /// Σ δ·(tᵢ − start) over the open bucket's changes.
    moved: i128,
    /// The integral over the closed buckets.
    closed: i128,
}

impl CountGauge {
    pub fn starting_at(value: i64) -> Self {
        CountGauge {
            value,
            ..CountGauge::default()
        }
    }

    #[inline]
    pub fn value(&self) -> i64 {
        self.value
    }

    #[inline]
    pub fn add(&mut self, now: Nanos, delta: i64) {
        let since = now.saturating_sub(self.start);
        self.moved += i128::from(delta) * i128::from(since);
        self.value += delta;
    }

    pub fn set(&mut self, now: Nanos, value: i64) {
        self.add(now, value - self.value);
    }

    /// The integral over the open bucket up to `end`.
    fn open_integral(&self, end: Nanos) -> i128 {
        let span = end.saturating_sub(self.start);
        i128::from(self.value) * i128::from(span) - self.moved
    }

    /// Mean over the bucket that ends at `end` (of width `width`), then starts the next.
    pub(crate) fn close_bucket(&mut self, end: Nanos, width: Nanos) -> f64 {
        let integral = self.open_integral(end);
        self.closed += integral;
        self.moved = 0;
        self.start = end;
        integral as f64 / width as f64
    }

    /// Mean over `[0, end]`.
    pub(crate) fn mean_until(&self, end: Nanos) -> f64 {
        if end == 0 {
            0.0
        } else {
            (self.closed + self.open_integral(end)) as f64 / end as f64
        }
    }
}

/// Sets a 0/1 gauge to whether `used >= capacity`.
#[inline]
pub fn track_at_capacity(gauge: &mut CountGauge, now: Nanos, used: f64, capacity: f64) {
    // Set on every call, changed or not (adding zero leaves the integral as it was): at
    // a busy station the flag flips on a large share of requests, a branch the processor
    // mispredicted.
    gauge.set(now, i64::from(used >= capacity));
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
    pub running: CountGauge,
    pub full: CountGauge,
    pub max_vus: f64,
    /// Arrival-rate iterations due, and those dropped with the pool at `maxVUs`.
    pub due: u64,
    pub refused_at_max: u64,
}

impl ScenarioCounters {
    pub fn new(max_vus: u64) -> Self {
        ScenarioCounters {
            max_vus: max_vus as f64,
            full: CountGauge::starting_at(i64::from(max_vus == 0)),
            ..ScenarioCounters::default()
        }
    }

    /// Iterations running change by `delta`.
    #[inline]
    pub fn running_change(&mut self, now: Nanos, delta: i64) {
        self.running.add(now, delta);
        let (used, cap) = (self.running.value() as f64, self.max_vus);
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
    pub primary_pool_full: CountGauge,
    pub primary_busy_cores: Gauge,
    pub primary_cores: f64,
    pub primary_cores_full: CountGauge,
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
    use super::{CountGauge, Gauge, span_f64};

    /// The integer gauge gives, bucket by bucket and over the run, the very means of the
    /// f64 gauge it replaced, wherever the f64 sums are exact (here: below 2^53); changes at
    /// one instant, changes at a bucket's edge and a run that ends inside a bucket
    /// included.
    #[test]
    fn count_gauge_means_equal_the_float_gauge() {
        let width: u64 = 1_000_000_000;
        let (mut a, mut b) = (Gauge::starting_at(3.0), CountGauge::starting_at(3));
        let mut z: u64 = 0x2545_F491_4F6C_DD1D;
        let (mut now, mut bucket_end, mut value) = (0u64, width, 3i64);
        for _ in 0..200_000 {
            z ^= z << 13;
            z ^= z >> 7;
            z ^= z << 17;
            // Steps of 0 (simultaneous changes) up to a third of a bucket.
            now += (z >> 40) % (width / 3);
            while now >= bucket_end {
                let (fa, fb) = (
                    a.close_bucket(bucket_end, width),
                    b.close_bucket(bucket_end, width),
                );
                assert_eq!(fa.to_bits(), fb.to_bits(), "bucket ending at {bucket_end}");
                bucket_end += width;
            }
            let delta = if value == 0 || z & 1 == 0 { 1 } else { -1 };
            value += delta;
            a.add(now, delta as f64);
            b.add(now, delta);
            assert_eq!(b.value(), value);
        }
        let end = now + width / 2;
        assert_eq!(a.mean_until(end).to_bits(), b.mean_until(end).to_bits());
        assert!(b.mean_until(end) > 0.0);
        assert_eq!(CountGauge::default().mean_until(0), 0.0);
    }

    /// A change past the end of the last bucket closed (the buckets' cap) still counts
    /// in the run's mean.
    #[test]
    fn count_gauge_counts_changes_after_the_last_bucket() {
        let mut g = CountGauge::starting_at(0);
        g.add(0, 2);
        assert_eq!(g.close_bucket(10, 10), 2.0);
        g.add(30, -2);
        // 2 over [0, 30], 0 over [30, 40].
        assert_eq!(g.mean_until(40), 60.0 / 40.0);
    }

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
