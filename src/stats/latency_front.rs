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
    pub(super) min_ns: Nanos,
    pub(super) max_ns: Nanos,
    pub(super) clamped: u64,
    /// Least non-zero and greatest value recorded, in µs (HDR's own minimum and maximum).
    pub(super) min_us: u64,
    pub(super) max_us: u64,
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
        let mut us = ns.div_ceil(1_000);
        if us > MAX_MICROS {
            us = MAX_MICROS;
            self.clamped += 1;
        }
        self.cells[front_index::<SUB_BITS>(us)] += 1;
        self.n += 1;
        self.sum_ns += u128::from(ns);
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
        if us != 0 {
            self.min_us = self.min_us.min(us);
        }
        self.max_us = self.max_us.max(us);
    }

    /// The moments of an empty front, without cells (for `absorb`, which keeps its own).
    pub(super) fn new_empty() -> Self {
        LatencyFront {
            cells: Vec::new(),
            n: 0,
            sum_ns: 0,
            min_ns: Nanos::MAX,
            max_ns: 0,
            clamped: 0,
            min_us: u64::MAX,
            max_us: 0,
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
