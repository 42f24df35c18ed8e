//! The 16-bit front of a latency histogram: records on the same cells as
//! `LatencyHistogram` (or `BucketLatency`) at a quarter of the memory, added into it in
//! batches.

use crate::time::Nanos;

/// Highest trackable value: one day, in microseconds (the histograms' bound).
pub(crate) const MAX_MICROS: u64 = 86_400 * 1_000_000;

/// 16-bit counts on the cells of an HDR histogram of `2^SUB_BITS` sub-buckets in µs: a
/// `LatencyHistogram` (3 significant figures, 11 bits, the default) or a `BucketLatency`
/// (2 figures, 8 bits). For a metric recorded at a high rate: a quarter of the
/// histogram's memory per cell, so the cells a run touches stay in cache, and a record
/// without HDR's checks. The histogram's `absorb` adds them into it, which is then the
/// same as if every value had been recorded there (counts, moments and the HDR minimum
/// and maximum), and empties the front. It must run before the histogram is read, and
/// when [`LatencyFront::full`].
#[derive(Clone, Debug)]
pub struct LatencyFront<const SUB_BITS: u32 = 11> {
    pub(super) cells: Vec<u16>,
    pub(super) n: u32,
    pub(super) sum_ns: u128,
    /// The least non-zero value recorded, less one (`u64::MAX`: none). A zero is in cell
    /// 0, so the least value is 0 or this one plus one; with the greatest, it gives HDR's
    /// own minimum and maximum in µs ([`Self::min_us`], [`Self::max_us`]).
    pub(super) min_nonzero_less_1: Nanos,
    pub(super) max_ns: Nanos,
    pub(super) clamped: u64,
}

/// A latency as a front records it: in ns, and in HDR's µs (rounded up, clamped to
/// [`MAX_MICROS`]). Computed once per response for all the fronts that record it.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub ns: Nanos,
    us: u64,
    clamped: bool,
}

impl Sample {
    #[inline]
    pub fn of(ns: Nanos) -> Self {
        // `ns.div_ceil(1_000)` in one multiply: the two differ only within 999 ns of
        // `u64::MAX`, far above `MAX_MICROS`, where both clamp to it.
        let us = ns.saturating_add(999) / 1_000;
        Sample {
            ns,
            us: us.min(MAX_MICROS),
            clamped: us > MAX_MICROS,
        }
    }
}

/// The front of a `BucketLatency` (2 significant figures).
pub type BucketFront = LatencyFront<8>;

/// HDR's cell of `us` for 1 µs .. 1 day with `2^SUB_BITS` sub-buckets and unit 1:
/// `Histogram::index_for`, with its constants (leading-zero base `64 - 0 - SUB_BITS`).
#[inline]
pub(super) fn front_index<const SUB_BITS: u32>(us: u64) -> usize {
    let half = 1usize << (SUB_BITS - 1);
    let bucket = (64 - SUB_BITS as usize) - (us | ((1 << SUB_BITS) - 1)).leading_zeros() as usize;
    let sub = (us >> bucket) as usize;
    ((bucket + 1) << (SUB_BITS - 1)) + sub - half
}

/// The least value of HDR's cell `index` (the inverse of [`front_index`]).
pub(super) fn front_value<const SUB_BITS: u32>(index: usize) -> u64 {
    if index < 1 << SUB_BITS {
        index as u64
    } else {
        let bucket = (index >> (SUB_BITS - 1)) - 1;
        ((index - (bucket << (SUB_BITS - 1))) as u64) << bucket
    }
}

impl<const SUB_BITS: u32> Default for LatencyFront<SUB_BITS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const SUB_BITS: u32> LatencyFront<SUB_BITS> {
    pub fn new() -> Self {
        LatencyFront {
            cells: vec![0; front_index::<SUB_BITS>(MAX_MICROS) + 1],
            ..Self::new_empty()
        }
    }

    /// Records one latency, as the histogram's `record` would. O(1), no allocation.
    #[inline]
    pub fn record(&mut self, ns: Nanos) {
        self.record_sample(Sample::of(ns));
    }

    /// Records one latency already converted (see [`Sample`]).
    #[inline]
    pub fn record_sample(&mut self, s: Sample) {
        self.cells[front_index::<SUB_BITS>(s.us)] += 1;
        self.clamped += u64::from(s.clamped);
        self.n += 1;
        self.sum_ns += u128::from(s.ns);
        self.min_nonzero_less_1 = self.min_nonzero_less_1.min(s.ns.wrapping_sub(1));
        self.max_ns = self.max_ns.max(s.ns);
    }

    /// The least value recorded (`Nanos::MAX` when empty). Read before `cells` is cleared.
    pub(super) fn min_ns(&self) -> Nanos {
        match self.min_nonzero_less_1 {
            _ if self.cells.first().is_some_and(|&c| c != 0) => 0,
            u64::MAX => Nanos::MAX,
            m => m + 1,
        }
    }

    /// HDR's minimum: the least non-zero value recorded in µs (`u64::MAX`: none).
    pub(super) fn min_us(&self) -> u64 {
        if self.min_nonzero_less_1 == u64::MAX {
            u64::MAX
        } else {
            Sample::of(self.min_nonzero_less_1 + 1).us
        }
    }

    /// HDR's maximum: the greatest value recorded in µs (0 when empty).
    pub(super) fn max_us(&self) -> u64 {
        Sample::of(self.max_ns).us
    }

    /// The cells its records can have touched: 0 µs, and the least non-zero to the
    /// greatest value's (none when nothing was recorded: the range is then empty too).
    pub(super) fn touched(&self) -> impl Iterator<Item = usize> + use<SUB_BITS> {
        let (min_us, max_us) = (self.min_us(), self.max_us());
        let hi = front_index::<SUB_BITS>(max_us);
        let lo = if min_us == u64::MAX {
            hi + 1
        } else {
            front_index::<SUB_BITS>(min_us).max(1)
        };
        (self.n > 0).then_some(0).into_iter().chain(lo..=hi)
    }

    /// Empties it: the cells it touched and its moments.
    pub(super) fn clear(&mut self) {
        for i in self.touched() {
            self.cells[i] = 0;
        }
        *self = LatencyFront {
            cells: std::mem::take(&mut self.cells),
            ..Self::new_empty()
        };
    }

    /// The moments of an empty front, without cells (for `absorb`, which keeps its own).
    pub(super) fn new_empty() -> Self {
        LatencyFront {
            cells: Vec::new(),
            n: 0,
            sum_ns: 0,
            min_nonzero_less_1: u64::MAX,
            max_ns: 0,
            clamped: 0,
        }
    }

    /// Bytes of its cells (the memory estimate counts one per endpoint).
    pub fn bytes(&self) -> usize {
        self.cells.capacity() * std::mem::size_of::<u16>()
    }

    /// No cell can take another record: absorb it now.
    #[inline]
    pub fn full(&self) -> bool {
        self.n >= u32::from(u16::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample's µs are the ns rounded up, clamped at `MAX_MICROS`, at every edge:
    /// around each multiple of 1,000, around the clamp and next to `u64::MAX`.
    #[test]
    fn sample_microseconds_round_up_and_clamp() {
        let max_ns = MAX_MICROS * 1_000;
        let mut cases = vec![0, 1, 999, 1_000, 1_001, 1_999, 2_000, u64::MAX];
        for edge in [max_ns, u64::MAX - 999, u64::MAX - 998] {
            cases.extend([edge - 1, edge, edge + 1]);
        }
        for ns in cases {
            let s = Sample::of(ns);
            let us = ns.div_ceil(1_000);
            assert_eq!(
                (s.ns, s.us, s.clamped),
                (ns, us.min(MAX_MICROS), us > MAX_MICROS),
                "{ns}"
            );
        }
    }
}
