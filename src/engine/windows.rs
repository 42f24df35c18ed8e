//! Recording per time window (stages, fault windows, the steady state after the warm-up):
//! the test is cut at every window boundary into segments, each with its own small
//! histogram and counters, allocated when the replication starts; a response or an
//! iteration goes to the segment of its time (O(1), no allocation). At the end, a window
//! is the merge of its segments. For `warmup: auto` the first half of the test is also cut
//! at every MSER-5 batch boundary, and the mean latency of each of [`SLICES`] equal time
//! slices is kept as the series MSER-5 reads.

use crate::engine::window_result::{SteadyResult, WindowResult};
use crate::model::experiment::Experiment;
use crate::model::windows::Warmup;
use crate::stats::latency::{BucketLatency, TrendStats};
use crate::stats::mser::{BATCH, mser};
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
                slice = end.div_ceil(SLICES as Nanos).max(1);
                bounds.extend((1..=CANDIDATES).map(|k| k as Nanos * BATCH as Nanos * slice));
            }
        }
        bounds.retain(|&b| b < end.max(1));
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

    #[inline]
    fn segment(&mut self) -> Option<&mut Segment> {
        while self.current + 1 < self.starts.len() && self.now >= self.starts[self.current + 1] {
            self.current += 1;
        }
        self.segments.get_mut(self.current)
    }

    /// A response arrived now.
    #[inline]
    pub fn response(&mut self, duration: Nanos, failed: bool) {
        if self.slice > 0 {
            let i = ((self.now / self.slice) as usize).min(SLICES - 1);
            self.slices[i].0 += duration as f64 / 1e6;
            self.slices[i].1 += 1;
        }
        if let Some(s) = self.segment() {
            s.hist.record(duration);
            s.requests += 1;
            s.failures += u64::from(failed);
        }
    }

    /// An iteration completed now.
    #[inline]
    pub fn iteration(&mut self) {
        if let Some(s) = self.segment() {
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
        w.latency = trend(&hist);
        w.quantiles = percentiles
            .iter()
            .map(|p| hist.quantile_ms(p / 100.0).unwrap_or(f64::NAN))
            .collect();
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
                undetermined: false,
                window: self.window(w, end, end, percentiles),
            }),
            Warmup::Auto => {
                let (cut, too_short, undetermined) = self.mser_cut(end);
                Some(SteadyResult {
                    warmup: cut,
                    too_short,
                    undetermined,
                    window: self.window(cut, end, end, percentiles),
                })
            }
        };
        (of(&self.stages), of(&self.faults), steady)
    }

    /// MSER-5 on the slice series up to `end`: (warm-up end, too short, undetermined).
    fn mser_cut(&self, end: Nanos) -> (Nanos, bool, bool) {
        let used = (end.div_ceil(self.slice) as usize).min(SLICES);
        // Batch means of 5 slices (mean latency of the responses in them); a batch
        // without responses carries no observation and is left out of the series.
        let batches: Vec<(usize, f64)> = self.slices[..used]
            .chunks_exact(BATCH)
            .enumerate()
            .filter_map(|(k, c)| {
                let (sum, n) = c.iter().fold((0.0, 0u64), |a, s| (a.0 + s.0, a.1 + s.1));
                (n > 0).then(|| (k, sum / n as f64))
            })
            .collect();
        let means: Vec<f64> = batches.iter().map(|b| b.1).collect();
        let Some(t) = mser(&means) else {
            return (0, false, true);
        };
        let first_kept = batches.get(t.batches).map(|b| b.0).unwrap_or(0);
        let beyond = first_kept > CANDIDATES;
        let cut = first_kept.min(CANDIDATES) as Nanos * BATCH as Nanos * self.slice;
        (cut, t.at_edge || beyond, false)
    }
}

/// k6's Trend keys from a bucket histogram (`None` when empty).
fn trend(h: &BucketLatency) -> Option<TrendStats> {
    let q = |p| h.quantile_ms(p);
    Some(TrendStats {
        avg: h.mean_ms()?,
        min: h.min_ms()?,
        med: q(0.5)?,
        max: h.max_ms()?,
        p90: q(0.90)?,
        p95: q(0.95)?,
        p99: q(0.99)?,
    })
}
