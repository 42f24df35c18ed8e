//! Latency histograms: `LatencyHistogram` (HDR, 3 significant figures, k6 Trend stats) and `BucketLatency` (2 figures, per time bucket).
//!
//! # Approximation, and how it differs from k6
//!
//! k6 keeps every sample of a Trend and computes `p(N)` by linear interpolation at
//! index `p·(n-1)` of the sorted samples. capsim cannot keep every sample (memory must
//! stay flat in simulated time), so it records into an HDR histogram:
//!
//! * values are recorded in whole microseconds, **rounded up** (`ceil(ns / 1000)`);
//! * the histogram covers 1 µs .. 1 day; longer values are recorded as 1 day and
//!   counted in [`LatencyHistogram::clamped`];
//! * a quantile is the **highest value equivalent** to the bucket holding the sample
//!   of rank `ceil(q·n)` (nearest rank, as HDR does), then clamped into the exact
//!   `[min, max]`.
//!
//! So with `x` the true sample of rank `ceil(q·n)` the reported value `r` satisfies
//! `x ≤ r ≤ x·(1 + ε) + 1 µs`, where `ε` is the relative bucket width: `2^-10 ≈ 0.098%`
//! for [`LatencyHistogram`] (3 significant figures: 2048 sub-buckets) and `2^-7 ≈ 0.78%`
//! for [`BucketLatency`] (2 significant figures: 256 sub-buckets). The estimate errs
//! on the high (conservative) side for SLO checks. Against k6's interpolated value it
//! can further differ by the gap between two adjacent order statistics around rank
//! `q·n` (nearest rank versus interpolation), which vanishes as `n` grows.
//!
//! `avg`, `min`, `max` and `count` are exact (kept beside the histogram in ns).

pub use crate::stats::latency_front::{BucketFront, LatencyFront, Sample};
use crate::stats::latency_front::{MAX_MICROS, front_value};
use crate::time::Nanos;
use hdrhistogram::Histogram;
use serde::Serialize;

/// The k6 Trend summary of `http_req_duration`, all in milliseconds, serialized with
/// k6's keys (`avg`, `min`, `med`, `max`, `p(90)`, `p(95)`, `p(99)`).
#[derive(Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct TrendStats {
    pub avg: f64,
    pub min: f64,
    pub med: f64,
    pub max: f64,
    #[serde(rename = "p(90)")]
    pub p90: f64,
    #[serde(rename = "p(95)")]
    pub p95: f64,
    #[serde(rename = "p(99)")]
    pub p99: f64,
}

/// The shared core: an HDR histogram in µs with fixed bounds, plus exact moments in ns.
#[derive(Clone, Debug)]
struct Core {
    hist: Histogram<u64>,
    count: u64,
    sum_ns: u128,
    min_ns: Nanos,
    max_ns: Nanos,
    clamped: u64,
}

impl Core {
    fn new(sigfig: u8) -> Self {
        // Fixed bounds and no auto-resize, so `record` never allocates. The bounds
        // are constants that hdrhistogram accepts, so creation cannot fail.
        let mut hist = Histogram::new_with_bounds(1, MAX_MICROS, sigfig)
            .expect("constant histogram bounds are valid");
        hist.auto(false);
        Core {
            hist,
            count: 0,
            sum_ns: 0,
            min_ns: Nanos::MAX,
            max_ns: 0,
            clamped: 0,
        }
    }

    #[inline]
    fn record(&mut self, ns: Nanos) {
        let mut us = ns.div_ceil(1_000);
        if us > MAX_MICROS {
            us = MAX_MICROS;
            self.clamped += 1;
        }
        // In range by construction, so this cannot fail; saturating keeps it total.
        self.hist.saturating_record(us);
        self.count += 1;
        self.sum_ns += u128::from(ns);
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    fn merge(&mut self, other: &Core) {
        if other.count == 0 {
            return;
        }
        // Both sides have identical bounds and precision, so addition cannot fail.
        self.hist
            .add(&other.hist)
            .expect("histograms with identical bounds always add");
        self.count += other.count;
        self.sum_ns += other.sum_ns;
        self.min_ns = self.min_ns.min(other.min_ns);
        self.max_ns = self.max_ns.max(other.max_ns);
        self.clamped += other.clamped;
    }

    /// Adds a front's records (kept on this histogram's cells) and empties it.
    fn absorb<const SUB_BITS: u32>(&mut self, front: &mut LatencyFront<SUB_BITS>) {
        self.add_front(front);
        front.clear();
    }

    /// Adds a front's records (kept on this histogram's cells); the front keeps them.
    fn add_front<const SUB_BITS: u32>(&mut self, front: &LatencyFront<SUB_BITS>) {
        if front.n == 0 {
            return;
        }
        let (min_us, max_us) = (front.min_us(), front.max_us());
        for i in front.touched() {
            let cell = front.cells[i];
            if cell != 0 {
                // A value of the cell within the recorded range, so HDR's own minimum
                // and maximum move only as far as the recorded values did.
                let v = match front_value::<SUB_BITS>(i) {
                    0 => 0,
                    v => v.clamp(min_us, max_us),
                };
                self.hist.saturating_record_n(v, u64::from(cell));
            }
        }
        // Count 0: HDR's minimum and maximum become exactly the recorded ones.
        self.hist.saturating_record_n(max_us, 0);
        if min_us != u64::MAX {
            self.hist.saturating_record_n(min_us, 0);
        }
        self.count += u64::from(front.n);
        self.sum_ns += front.sum_ns;
        self.min_ns = self.min_ns.min(front.min_ns());
        self.max_ns = self.max_ns.max(front.max_ns);
        self.clamped += front.clamped;
    }

    fn reset(&mut self) {
        self.hist.reset();
        self.count = 0;
        self.sum_ns = 0;
        self.min_ns = Nanos::MAX;
        self.max_ns = 0;
        self.clamped = 0;
    }

    fn mean_ms(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_ns as f64 / self.count as f64 / 1e6)
    }

    fn min_ms(&self) -> Option<f64> {
        (self.count > 0).then(|| self.min_ns as f64 / 1e6)
    }

    fn max_ms(&self) -> Option<f64> {
        (self.count > 0).then(|| self.max_ns as f64 / 1e6)
    }

    fn quantile_ms(&self, q: f64) -> Option<f64> {
        if self.count == 0 || q.is_nan() {
            return None;
        }
        let q = q.clamp(0.0, 1.0);
        let us = self.hist.value_at_quantile(q);
        let ns = us.saturating_mul(1_000).clamp(self.min_ns, self.max_ns);
        Some(ns as f64 / 1e6)
    }
}

/// Latency distribution of one metric over a whole run (or merged across runs):
/// HDR histogram at 3 significant figures in µs (1 µs .. 1 day), with exact count,
/// average, min and max. See the module documentation for the error bound.
///
/// About 225 KiB per histogram; `record` is O(1) and never allocates.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    core: Core,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    pub fn new() -> Self {
        LatencyHistogram { core: Core::new(3) }
    }

    /// Records one latency. O(1), no allocation.
    #[inline]
    pub fn record(&mut self, ns: Nanos) {
        self.core.record(ns);
    }

    /// Adds all of `other`'s samples (e.g. merging replications or buckets).
    pub fn merge(&mut self, other: &Self) {
        self.core.merge(&other.core);
    }

    /// Empties the histogram, keeping its memory.
    pub fn reset(&mut self) {
        self.core.reset();
    }

    /// Adds the front's records and empties it (see [`LatencyFront`]).
    pub fn absorb(&mut self, front: &mut LatencyFront) {
        self.core.absorb(front);
    }

    /// Exact number of recorded samples.
    pub fn count(&self) -> u64 {
        self.core.count
    }

    /// Number of samples above one day, recorded as one day in the histogram (their
    /// exact values still count in `mean`, `min` and `max`).
    pub fn clamped(&self) -> u64 {
        self.core.clamped
    }

    /// Exact average in ms; `None` when empty.
    pub fn mean_ms(&self) -> Option<f64> {
        self.core.mean_ms()
    }

    /// Quantile `q` in `[0, 1]` (clamped) in ms, within the module's error bound;
    /// `None` when empty or `q` is NaN.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        self.core.quantile_ms(q)
    }

    /// Exact minimum in ms; `None` when empty.
    pub fn min_ms(&self) -> Option<f64> {
        self.core.min_ms()
    }

    /// Exact maximum in ms; `None` when empty.
    pub fn max_ms(&self) -> Option<f64> {
        self.core.max_ms()
    }

    /// The k6 Trend summary (`avg, min, med, max, p(90), p(95), p(99)`); `None` when empty.
    pub fn trend(&self) -> Option<TrendStats> {
        let q = |p| self.quantile_ms(p);
        Some(TrendStats {
            avg: self.mean_ms()?,
            min: self.min_ms()?,
            med: q(0.5)?,
            max: self.max_ms()?,
            p90: q(0.90)?,
            p95: q(0.95)?,
            p99: q(0.99)?,
        })
    }
}

/// A cheaper latency histogram for per-time-bucket percentiles (record during a
/// bucket, read p50/p95/p99, then `reset`): HDR at 2 significant figures (relative
/// error ≤ 2^-7 ≈ 0.78%, plus 1 µs), about 30 KiB. Same record/reset API as
/// [`LatencyHistogram`]; count, mean, min and max are exact.
#[derive(Clone, Debug)]
pub struct BucketLatency {
    core: Core,
}

impl Default for BucketLatency {
    fn default() -> Self {
        Self::new()
    }
}

impl BucketLatency {
    pub fn new() -> Self {
        BucketLatency { core: Core::new(2) }
    }

    /// Records one latency. O(1), no allocation.
    #[inline]
    pub fn record(&mut self, ns: Nanos) {
        self.core.record(ns);
    }

    pub fn merge(&mut self, other: &Self) {
        self.core.merge(&other.core);
    }

    /// Adds the front's records and empties it (see [`LatencyFront`]).
    pub fn absorb(&mut self, front: &mut BucketFront) {
        self.core.absorb(front);
    }

    /// Adds the front's records into this histogram and into `also`, and empties it: one
    /// front for two histograms of the same records (a time bucket and a window segment).
    pub fn absorb_both(&mut self, also: &mut BucketLatency, front: &mut BucketFront) {
        self.core.add_front(front);
        also.core.add_front(front);
        front.clear();
    }

    pub fn reset(&mut self) {
        self.core.reset();
    }

    pub fn count(&self) -> u64 {
        self.core.count
    }

    pub fn mean_ms(&self) -> Option<f64> {
        self.core.mean_ms()
    }

    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        self.core.quantile_ms(q)
    }

    pub fn min_ms(&self) -> Option<f64> {
        self.core.min_ms()
    }

    pub fn max_ms(&self) -> Option<f64> {
        self.core.max_ms()
    }

    /// `[p50, p95, p99]` in ms; `None` when empty.
    pub fn percentiles_ms(&self) -> Option<[f64; 3]> {
        Some([
            self.quantile_ms(0.5)?,
            self.quantile_ms(0.95)?,
            self.quantile_ms(0.99)?,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::interval::quantile;
    use crate::stats::latency_front::front_index;

    const MS: Nanos = 1_000_000;

    #[test]
    fn empty_histogram_has_no_stats() {
        let h = LatencyHistogram::new();
        assert_eq!(h.count(), 0);
        assert_eq!(h.mean_ms(), None);
        assert_eq!(h.quantile_ms(0.5), None);
        assert!(h.trend().is_none());
        assert!(BucketLatency::new().percentiles_ms().is_none());
    }

    #[test]
    fn exact_moments_and_bounded_quantiles() {
        let mut h = LatencyHistogram::new();
        let mut exact = Vec::new();
        // 1..=10_000 ms in a scrambled order
        for i in 0..10_000u64 {
            let v = ((i * 7_919) % 10_000 + 1) * MS + 123;
            h.record(v);
            exact.push(v as f64 / 1e6);
        }
        assert_eq!(h.count(), 10_000);
        // exact: mean of (k ms + 123 ns) for k in 1..=10_000
        assert_eq!(h.mean_ms(), Some(5_000.500_123));
        assert_eq!(h.min_ms(), Some(1.000_123));
        assert_eq!(h.max_ms(), Some(10_000.000_123));
        for q in [0.5, 0.9, 0.95, 0.99] {
            let got = h.quantile_ms(q).unwrap();
            let k6 = quantile(&exact, q);
            // conservative: not below the k6 value by more than one order-statistic gap (1 ms)
            assert!(got >= k6 - 1.0, "q={q}: {got} < {k6}");
            assert!(
                got <= k6 * (1.0 + 1.0 / 1024.0) + 1.0 + 0.001,
                "q={q}: {got} vs {k6}"
            );
        }
        let t = h.trend().unwrap();
        assert_eq!(t.max, 10_000.000_123);
        assert!(t.p99 >= t.p95 && t.p95 >= t.p90 && t.p90 >= t.med);
    }

    #[test]
    fn quantile_never_below_true_sample_for_single_value() {
        let mut h = LatencyHistogram::new();
        h.record(1_234_567); // 1.234567 ms
        // clamped into exact [min, max]: exactly the sample
        assert_eq!(h.quantile_ms(0.5), Some(1.234_567));
        assert_eq!(h.quantile_ms(0.0), Some(1.234_567));
    }

    #[test]
    fn values_above_one_day_are_clamped_and_counted() {
        let mut h = LatencyHistogram::new();
        let two_days = 2 * 86_400 * 1_000_000_000u64;
        h.record(MS);
        h.record(two_days);
        assert_eq!(h.clamped(), 1);
        assert_eq!(h.count(), 2);
        assert_eq!(h.max_ms(), Some(two_days as f64 / 1e6));
        let p = h.quantile_ms(1.0).unwrap();
        assert!(p >= 86_400_000.0 && p <= two_days as f64 / 1e6, "{p}");
        h.record(u64::MAX); // no overflow, no panic
        assert_eq!(h.clamped(), 2);
    }

    #[test]
    fn merge_equals_recording_everything() {
        let (mut a, mut b, mut all) = (
            LatencyHistogram::new(),
            LatencyHistogram::new(),
            LatencyHistogram::new(),
        );
        for i in 0..1000u64 {
            let v = i * 37 * 1_000 + 5;
            if i % 3 == 0 {
                a.record(v)
            } else {
                b.record(v)
            }
            all.record(v);
        }
        a.merge(&b);
        assert_eq!(a.count(), all.count());
        assert_eq!(a.mean_ms(), all.mean_ms());
        assert_eq!(a.min_ms(), all.min_ms());
        assert_eq!(a.max_ms(), all.max_ms());
        for q in [0.1, 0.5, 0.99] {
            assert_eq!(a.quantile_ms(q), all.quantile_ms(q));
        }
        a.reset();
        assert_eq!(a.count(), 0);
        assert_eq!(a.mean_ms(), None);
    }

    #[test]
    fn bucket_latency_within_two_figures() {
        let mut b = BucketLatency::new();
        for i in 1..=1000u64 {
            b.record(i * MS);
        }
        let [p50, p95, p99] = b.percentiles_ms().unwrap();
        for (got, rank) in [(p50, 500.0), (p95, 950.0), (p99, 990.0)] {
            assert!(
                got >= rank && got <= rank * (1.0 + 1.0 / 128.0) + 0.001,
                "{got} vs {rank}"
            );
        }
        b.reset();
        assert_eq!(b.count(), 0);
        b.record(3 * MS);
        assert_eq!(b.percentiles_ms(), Some([3.0, 3.0, 3.0]));
    }

    #[test]
    fn trend_serializes_with_k6_keys() {
        let mut h = LatencyHistogram::new();
        h.record(2 * MS);
        let json = serde_json::to_string(&h.trend().unwrap()).unwrap();
        assert_eq!(
            json,
            r#"{"avg":2.0,"min":2.0,"med":2.0,"max":2.0,"p(90)":2.0,"p(95)":2.0,"p(99)":2.0}"#
        );
    }

    /// Edge values, then `n` values spread over every magnitude from 1 ns to about 2^44 ns
    /// (a fixed LCG from `seed`).
    fn spread_ns(edges: &[u64], seed: u64, n: u64) -> Vec<u64> {
        let mut z = seed;
        let mut values = edges.to_vec();
        for k in 0..n {
            z = z
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            values.push((z >> 20) >> (k % 40));
        }
        values
    }

    /// The histogram recorded through fronts is the one recorded directly: HDR's counts,
    /// minimum and maximum, the moments and `steps + 1` quantiles.
    fn assert_same(via: &Core, direct: &Core, steps: u32) {
        assert_eq!(via.hist, direct.hist);
        assert_eq!(via.hist.max(), direct.hist.max());
        assert_eq!(via.hist.min_nz(), direct.hist.min_nz());
        assert_eq!(via.count, direct.count);
        assert_eq!(via.clamped, direct.clamped);
        assert_eq!(via.sum_ns, direct.sum_ns);
        assert_eq!(via.min_ms(), direct.min_ms());
        assert_eq!(via.max_ms(), direct.max_ms());
        for i in 0..=steps {
            let q = f64::from(i) / f64::from(steps);
            assert_eq!(via.quantile_ms(q), direct.quantile_ms(q), "q = {q}");
        }
    }

    /// Recording through a front and absorbing it, at any points, gives the histogram that
    /// recording every value directly gives: every quantile, the moments, HDR's counts,
    /// minimum and maximum.
    #[test]
    fn a_front_absorbed_is_the_same_histogram() {
        let mut direct = LatencyHistogram::new();
        let mut via = LatencyHistogram::new();
        let mut front: LatencyFront = LatencyFront::new();
        let edges = [
            0,
            1,
            999,
            1_000,
            1_001,
            2_047_000,
            2_048_001,
            86_400 * 1_000_000_000,
            u64::MAX,
        ];
        let values = spread_ns(&edges, 0x9E37_79B9_7F4A_7C15, 300_000);
        for (k, &ns) in values.iter().enumerate() {
            direct.record(ns);
            front.record(ns);
            if front.full() || k % 97_003 == 0 {
                via.absorb(&mut front);
                assert!(front.is_empty());
            }
        }
        via.absorb(&mut front);
        assert_same(&via.core, &direct.core, 1000);
        for us in [0u64, 1, 2047, 2048, 2049, 4095, 4096, 1 << 20, MAX_MICROS] {
            assert_eq!(
                front_index::<11>(us),
                front_index::<11>(front_value::<11>(front_index::<11>(us))),
                "{us}"
            );
        }
    }

    /// The same for the per-bucket histogram's 2-figure front, with `reset` between
    /// buckets as the recorder does, the front also absorbed into a window segment's
    /// histogram that is never reset (`absorb_both`, as the recorder does).
    #[test]
    fn a_bucket_front_absorbed_is_the_same_histogram() {
        let mut direct = BucketLatency::new();
        let mut via = BucketLatency::new();
        let mut segment_direct = BucketLatency::new();
        let mut segment = BucketLatency::new();
        let mut front = BucketFront::new();
        let edges = [
            0,
            1,
            255,
            256,
            257,
            999,
            1_000,
            1_001,
            86_400 * 1_000_000_000,
            u64::MAX,
        ];
        let values = spread_ns(&edges, 0x2545_F491_4F6C_DD1D, 200_000);
        for (k, &ns) in values.iter().enumerate() {
            direct.record(ns);
            segment_direct.record(ns);
            front.record(ns);
            if front.full() {
                via.absorb_both(&mut segment, &mut front);
            }
            if k % 70_001 == 0 {
                // A bucket closes: read, then reset.
                via.absorb_both(&mut segment, &mut front);
                assert!(front.is_empty());
                assert_same(&via.core, &direct.core, 200);
                via.reset();
                direct.reset();
            }
        }
        via.absorb_both(&mut segment, &mut front);
        assert_same(&via.core, &direct.core, 200);
        assert_same(&segment.core, &segment_direct.core, 200);
        assert_eq!(segment.count(), values.len() as u64);
        for us in [0u64, 1, 255, 256, 257, 511, 512, 1 << 20, MAX_MICROS] {
            assert_eq!(
                front_index::<8>(us),
                front_index::<8>(front_value::<8>(front_index::<8>(us))),
                "{us}"
            );
        }
    }
}
