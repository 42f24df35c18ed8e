//! A latency histogram recorded through its 16-bit front, for the sub-metrics sampled on
//! every iteration or response (`iteration_duration`, `http_req_duration{...}`).

use crate::stats::latency::{LatencyFront, LatencyHistogram};
use crate::time::Nanos;

/// A [`LatencyHistogram`] that records at a [`LatencyFront`]'s cost. Call
/// [`FrontedHistogram::flush`] before reading [`FrontedHistogram::hist`]: the histogram is
/// then the one recording every value into it gives.
#[derive(Debug, Clone, Default)]
pub struct FrontedHistogram {
    hist: LatencyHistogram,
    front: LatencyFront,
}

impl FrontedHistogram {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one latency. O(1), no allocation.
    #[inline]
    pub fn record(&mut self, ns: Nanos) {
        self.front.record(ns);
        if self.front.full() {
            self.hist.absorb(&mut self.front);
        }
    }

    /// Adds the front into the histogram.
    pub fn flush(&mut self) {
        self.hist.absorb(&mut self.front);
    }

    /// The histogram as of the last [`Self::flush`].
    pub fn hist(&self) -> &LatencyHistogram {
        &self.hist
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flushed at any points, it holds what recording every value directly holds.
    #[test]
    fn flushed_it_is_the_direct_histogram() {
        let mut direct = LatencyHistogram::new();
        let mut fronted = FrontedHistogram::new();
        let mut z: u64 = 7;
        for k in 0..150_000u64 {
            z = z
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let ns = (z >> 24) >> (k % 30);
            direct.record(ns);
            fronted.record(ns);
            if k % 40_000 == 0 {
                fronted.flush();
                assert_eq!(fronted.hist().count(), direct.count());
            }
        }
        fronted.flush();
        assert_eq!(fronted.hist().count(), direct.count());
        assert_eq!(fronted.hist().trend(), direct.trend());
        for i in 0..=100 {
            let q = f64::from(i) / 100.0;
            assert_eq!(fronted.hist().quantile_ms(q), direct.quantile_ms(q));
        }
    }
}
