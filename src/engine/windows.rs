//! Recording per time window (stages, fault windows, the steady state after the warm-up):
//! the test is cut at every window boundary into segments, each with its own small
//! histogram and counters, allocated when the replication starts; a response or an
//! iteration goes to the segment of its time (O(1), no allocation). At the end, a window
//! is the merge of its segments. For `warmup: auto` the first half of the test is also cut
//! at every MSER-5 batch boundary (5 of [`SLICES`] equal time slices); the replication
//! keeps its latency series per batch and the window after every candidate cut, and the
//! cut is chosen across replications.

use crate::engine::window_result::{SteadyResult, WindowResult};
use crate::model::experiment::Experiment;
use crate::model::windows::Warmup;
use crate::stats::latency::{BucketFront, BucketLatency};
use crate::stats::mser::BATCH;
use crate::time::Nanos;

/// Equal time slices of the planned test whose mean latencies form the MSER-5 series
/// (batches of 5 slices: 100 batches, of which the first 50 are candidate cuts).
pub const SLICES: usize = 500;
/// Batch boundaries at which MSER-5 may cut (the first half of the series).
const CANDIDATES: usize = SLICES / BATCH / 2;

#[derive(Debug, Clone)]
struct Segment {
    hist: BucketLatency,
    requests: u64,
    failures: u64,
    iterations: u64,
}

#[derive(Debug, Default)]
pub struct Windows {
    now: Nanos,
    /// Segment start times, ascending; the first is 0.
    starts: Vec<Nanos>,
    segments: Vec<Segment>,
    current: usize,
    /// When the next segment starts (`Nanos::MAX`: the current one is the last).
    next_start: Nanos,
    stages: Vec<(Nanos, Nanos)>,
    faults: Vec<(Nanos, Nanos)>,
    warmup: Warmup,
    /// Width of an MSER slice (0 unless `warmup: auto`).
    slice: Nanos,
    /// Per slice: latency sum (ms) and count of the responses that arrived in it.
    slices: Vec<(f64, u64)>,
}

impl Windows {
    /// The windows of `exp`, with every segment allocated now.
    pub fn new(exp: &Experiment) -> Self {
        let end = exp.end_time();
        let stages: Vec<(Nanos, Nanos)> = exp.stages.iter().map(|s| (s.start, s.end)).collect();
        let faults: Vec<(Nanos, Nanos)> = exp
            .faults
            .iter()
            .map(|f| (f.at, f.until.unwrap_or(end).max(f.at)))
            .collect();
        let mut bounds: Vec<Nanos> = vec![0];
        for &(a, b) in stages.iter().chain(&faults) {
            bounds.extend([a, b]);
        }
        let mut slice = 0;
        match exp.warmup {
            Warmup::None => {}
            Warmup::Fixed(w) => bounds.push(w),
            Warmup::Auto => {
                // The series covers the regular load (until the last scenario stops
                // starting iterations), not the drain after it.
                let horizon = exp
                    .scenarios
                    .iter()
                    .map(|s| {
                        s.scenario
                            .start_time
                            .saturating_add(s.scenario.regular_duration())
                    })
                    .max()
                    .unwrap_or(end)
                    .clamp(1, end.max(1));
                slice = horizon.div_ceil(SLICES as Nanos).max(1);
                bounds.extend((1..=CANDIDATES).map(|k| k as Nanos * BATCH as Nanos * slice));
            }
        }
        bounds.retain(|&b| b < end.max(1));
        // No stage, fault window or warm-up: nothing reads a window, so nothing is cut or
        // recorded (a response then costs no histogram record here).
        if stages.is_empty() && faults.is_empty() && exp.warmup == Warmup::None {
            bounds.clear();
        }
        bounds.sort_unstable();
        bounds.dedup();
        let segment = Segment {
            hist: BucketLatency::new(),
            requests: 0,
            failures: 0,
            iterations: 0,
        };
        Windows {
            now: 0,
            segments: vec![segment; bounds.len()],
            next_start: bounds.get(1).copied().unwrap_or(Nanos::MAX),
            starts: bounds,
            current: 0,
            stages,
            faults,
            warmup: exp.warmup,
            slice,
            slices: if slice > 0 {
                vec![(0.0, 0); SLICES]
            } else {
                Vec::new()
            },
        }
    }

    /// The clock moved to `now` (never backwards).
    #[inline]
    pub fn advance_to(&mut self, now: Nanos) {
        self.now = now;
    }

    /// When the next segment starts (`Nanos::MAX`: none).
    #[inline]
    pub fn next_start(&self) -> Nanos {
        self.next_start
    }

    /// The clock reached [`Self::next_start`]: the latencies of the ending segment, in the
    /// recorder's bucket front (which records every response once for both), go into its
    /// histogram and the bucket's, and the next segment begins.
    pub fn cross(&mut self, now: Nanos, front: &mut BucketFront, bucket: &mut BucketLatency) {
        while now >= self.next_start {
            bucket.absorb_both(&mut self.segments[self.current].hist, front);
            self.current += 1;
            self.next_start = self
                .starts
                .get(self.current + 1)
                .copied()
                .unwrap_or(Nanos::MAX);
        }
    }

    /// The current segment's histogram, for the recorder's bucket front to be absorbed
    /// into (`None` without windows).
    #[inline]
    pub fn segment_hist(&mut self) -> Option<&mut BucketLatency> {
        self.segments.get_mut(self.current).map(|s| &mut s.hist)
    }

    /// A response arrived now (its latency goes to the segment's histogram through the
    /// recorder's bucket front).
    #[inline]
    pub fn response(&mut self, ns: Nanos, failed: bool) {
        if self.slice > 0
            && let Some(s) = self.slices.get_mut((self.now / self.slice) as usize)
        {
            s.0 += ns as f64 / 1e6;
            s.1 += 1;
        }
        if let Some(s) = self.segments.get_mut(self.current) {
            s.requests += 1;
            s.failures += u64::from(failed);
        }
    }

    /// An iteration completed now.
    #[inline]
    pub fn iteration(&mut self) {
        if let Some(s) = self.segments.get_mut(self.current) {
            s.iterations += 1;
        }
    }

    /// The window `[a, b)` cut at the test's `end`: the merge of its segments.
    fn window(&self, a: Nanos, b: Nanos, end: Nanos, percentiles: &[f64]) -> WindowResult {
        let (a, b) = (a.min(end), b.min(end));
        let mut hist = BucketLatency::new();
        let mut w = WindowResult {
            start: a,
            end: b,
            ..WindowResult::default()
        };
        for (s, &t) in self.segments.iter().zip(&self.starts) {
            if t >= a && t < b {
                hist.merge(&s.hist);
                w.requests += s.requests;
                w.failures += s.failures;
                w.iterations += s.iterations;
            }
        }
        w.latency = hist.trend();
        w.quantiles = hist.at_percentiles_ms(percentiles);
        w
    }

    /// Stage, fault and steady-state results of a replication that ended at `end`.
    pub fn results(
        &self,
        end: Nanos,
        percentiles: &[f64],
    ) -> (Vec<WindowResult>, Vec<WindowResult>, Option<SteadyResult>) {
        let of = |v: &[(Nanos, Nanos)]| {
            v.iter()
                .map(|&(a, b)| self.window(a, b, end, percentiles))
                .collect()
        };
        let steady = match self.warmup {
            Warmup::None => None,
            Warmup::Fixed(w) => Some(SteadyResult {
                warmup: w,
                too_short: w.saturating_mul(2) >= end,
                window: self.window(w, end, end, percentiles),
                ..SteadyResult::default()
            }),
            Warmup::Auto => Some(self.auto(end, percentiles)),
        };
        (of(&self.stages), of(&self.faults), steady)
    }

    /// `warmup: auto`: the MSER-5 series of this replication (latency sum and count per
    /// batch of 5 slices) and the window after every candidate cut; the cut itself is
    /// chosen across replications (`aggregate::windows`).
    fn auto(&self, end: Nanos, percentiles: &[f64]) -> SteadyResult {
        let used = (end.div_ceil(self.slice) as usize).min(SLICES);
        let series: Vec<(f64, u64)> = self.slices[..used]
            .chunks_exact(BATCH)
            .map(|c| c.iter().fold((0.0, 0u64), |a, s| (a.0 + s.0, a.1 + s.1)))
            .collect();
        let batch = BATCH as Nanos * self.slice;
        // The windows [k·batch, end) for k = 0..=CANDIDATES, merged from the last back.
        let mut hist = BucketLatency::new();
        let (mut requests, mut failures, mut iterations) = (0, 0, 0);
        let mut candidates = vec![WindowResult::default(); CANDIDATES + 1];
        let mut next = self.segments.len();
        for k in (0..=CANDIDATES).rev() {
            let from = k as Nanos * batch;
            while next > 0 && self.starts[next - 1] >= from {
                next -= 1;
                let seg = &self.segments[next];
                hist.merge(&seg.hist);
                requests += seg.requests;
                failures += seg.failures;
                iterations += seg.iterations;
            }
            candidates[k] = WindowResult {
                start: from.min(end),
                end,
                latency: hist.trend(),
                quantiles: hist.at_percentiles_ms(percentiles),
                requests,
                failures,
                iterations,
            };
        }
        SteadyResult {
            warmup: 0,
            too_short: false,
            window: WindowResult::default(),
            batch,
            series,
            candidates,
        }
    }
}
