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
        Some(self.us_to_ms(self.hist.value_at_quantile(q)))
    }

    /// The quantiles `qs` (ascending, within `[0, 1]`) in ms in one pass over the counts:
    /// each what [`Self::quantile_ms`] gives for it.
    fn quantiles_ms<const N: usize>(&self, qs: [f64; N]) -> Option<[f64; N]> {
        debug_assert!(qs.is_sorted() && qs.iter().all(|q| (0.0..=1.0).contains(q)));
        if self.count == 0 {
            return None;
        }
        let mut out = [f64::NAN; N];
        for (o, us) in out.iter_mut().zip(self.hist.value_at_quantiles(qs)) {
            *o = self.us_to_ms(us);
        }
        Some(out)
    }

    /// The percentiles `ps` (0 to 100) in ms, NaN where undefined: each what
    /// [`Self::quantile_ms`] gives for `p / 100`, in one pass when `ps` ascend (as the
    /// thresholds' percentiles do).
    fn at_percentiles_ms(&self, ps: &[f64]) -> Vec<f64> {
        let qs = ps.iter().map(|p| p / 100.0);
        if self.count == 0 || ps.iter().any(|p| p.is_nan()) || !ps.is_sorted() {
            return qs
                .map(|q| self.quantile_ms(q).unwrap_or(f64::NAN))
                .collect();
        }
        let values = self.hist.value_at_quantiles(qs.map(|q| q.clamp(0.0, 1.0)));
        values.map(|us| self.us_to_ms(us)).collect()
    }

    /// A histogram value (µs) in ms, within the exact minimum and maximum.
    fn us_to_ms(&self, us: u64) -> f64 {
        let ns = us.saturating_mul(1_000).clamp(self.min_ns, self.max_ns);
        ns as f64 / 1e6
    }

    /// The k6 Trend summary (`avg, min, med, max, p(90), p(95), p(99)`); `None` when empty.
    fn trend(&self) -> Option<TrendStats> {
        let [med, p90, p95, p99] = self.quantiles_ms([0.5, 0.90, 0.95, 0.99])?;
        Some(TrendStats {
            avg: self.mean_ms()?,
            min: self.min_ms()?,
            med,
            max: self.max_ms()?,
            p90,
            p95,
            p99,
        })
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

    /// The percentiles `ps` (0 to 100) in ms, NaN when empty: each
    /// `quantile_ms(p / 100)`, in one pass when `ps` ascend.
    pub fn at_percentiles_ms(&self, ps: &[f64]) -> Vec<f64> {
        self.core.at_percentiles_ms(ps)
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
        self.core.trend()
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

    /// The percentiles `ps` (0 to 100) in ms, NaN when empty: each
    /// `quantile_ms(p / 100)`, in one pass when `ps` ascend.
    pub fn at_percentiles_ms(&self, ps: &[f64]) -> Vec<f64> {
        self.core.at_percentiles_ms(ps)
    }

    pub fn min_ms(&self) -> Option<f64> {
        self.core.min_ms()
    }

    pub fn max_ms(&self) -> Option<f64> {
        self.core.max_ms()
    }

    /// `[p50, p95, p99]` in ms; `None` when empty.
    pub fn percentiles_ms(&self) -> Option<[f64; 3]> {
        self.core.quantiles_ms([0.5, 0.95, 0.99])
    }

    /// The k6 Trend summary (`avg, min, med, max, p(90), p(95), p(99)`); `None` when empty.
    pub fn trend(&self) -> Option<TrendStats> {
        self.core.trend()
    }
}

#[cfg(test)]
mod tests;
