//! The 16-bit front of a latency histogram: records on the same cells as
//! `LatencyHistogram` at a quarter of the memory, added into it in batches.

use crate::time::Nanos;

/// Highest trackable value: one day, in microseconds (the histograms' bound).
pub(crate) const MAX_MICROS: u64 = 86_400 * 1_000_000;

/// 16-bit counts on the cells of a `LatencyHistogram` (3 significant figures, µs), for a
/// metric recorded at a high rate: a quarter of the histogram's memory per cell, so the
/// cells a run touches stay in cache. `LatencyHistogram::absorb` adds them into the
/// histogram, which is then the same as if every value had been recorded there (counts,
/// moments and the HDR minimum and maximum), and empties the front. It must run before the
/// histogram is read, and when [`LatencyFront::full`].
#[derive(Clone, Debug)]
pub struct LatencyFront {
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

/// HDR's cell of `us` for 1 µs .. 1 day at 3 significant figures (2048 sub-buckets, unit 1):
/// `Histogram::index_for`, with its constants (leading-zero base 64 - 0 - 11 = 53).
#[inline]
pub(super) fn front_index(us: u64) -> usize {
    let bucket = 53 - (us | 2047).leading_zeros() as usize;
    let sub = (us >> bucket) as usize;
    ((bucket + 1) << 10) + sub - 1024
}

/// The least value of HDR's cell `index` (the inverse of [`front_index`]).
pub(super) fn front_value(index: usize) -> u64 {
    if index < 2048 {
        index as u64
    } else {
        let bucket = (index >> 10) - 1;
        ((index - (bucket << 10)) as u64) << bucket
    }
}

impl Default for LatencyFront {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyFront {
    pub fn new() -> Self {
        LatencyFront {
            cells: vec![0; front_index(MAX_MICROS) + 1],
            n: 0,
            sum_ns: 0,
            min_ns: Nanos::MAX,
            max_ns: 0,
            clamped: 0,
            min_us: u64::MAX,
            max_us: 0,
        }
    }

    /// Records one latency, as `LatencyHistogram::record` would. O(1), no allocation.
    #[inline]
    pub fn record(&mut self, ns: Nanos) {
        let mut us = ns.div_ceil(1_000);
        if us > MAX_MICROS {
            us = MAX_MICROS;
            self.clamped += 1;
        }
        self.cells[front_index(us)] += 1;
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
