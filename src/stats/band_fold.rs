//! A [`Band`] (mean and 5-95% quantiles across replications) built one replication at a
//! time in bounded memory: exact up to [`EXACT_CAP`] values, then P-square estimates.
//!
//! Up to [`EXACT_CAP`] non-NaN values a cell keeps them all and its band is exactly
//! [`band`] of them (same bytes). The value after that turns the cell into two P-square
//! markers sets (Jain & Chlamtac 1985, "The P² algorithm for dynamic calculation of
//! quantiles and histograms without storing observations"), started from the kept values'
//! exact order statistics, and a running sum; the stored values are dropped. Values must
//! arrive in a fixed order (replication index order) for the result to be deterministic.

use crate::stats::interval::{Band, band};

/// Values a cell keeps exactly before it switches to P-square estimates: twice the
/// replication count of the largest shipped experiment (32), so their bands stay exact.
pub const EXACT_CAP: usize = 64;

/// One P-square quantile estimator: five markers with heights and positions.
#[derive(Debug, Clone, PartialEq)]
pub struct PSquare {
    p: f64,
    /// Marker heights, ascending.
    q: [f64; 5],
    /// Marker positions, 1-based.
    n: [f64; 5],
    count: u64,
}

impl PSquare {
    /// Starts from at least 5 values sorted ascending (without NaN): markers at the exact
    /// order statistics nearest the desired positions.
    pub fn from_sorted(sorted: &[f64], p: f64) -> Option<Self> {
        let len = sorted.len();
        if len < 5 {
            return None;
        }
        let mut s = PSquare {
            p,
            q: [0.0; 5],
            n: [0.0; 5],
            count: len as u64,
        };
        let desired = s.desired();
        let mut prev = 0usize;
        for (i, d) in desired.iter().enumerate() {
            // 1-based, strictly increasing, leaving room for the markers after it.
            let at = (d.round() as usize).max(prev + 1).min(len - (4 - i));
            s.n[i] = at as f64;
            s.q[i] = sorted[at - 1];
            prev = at;
        }
        Some(s)
    }

    /// Desired marker positions for the values seen: `1 + (count - 1) * {0, p/2, p, (1+p)/2, 1}`.
    fn desired(&self) -> [f64; 5] {
        let m = (self.count - 1) as f64;
        let p = self.p;
        [
            1.0,
            1.0 + m * p / 2.0,
            1.0 + m * p,
            1.0 + m * (1.0 + p) / 2.0,
            1.0 + m,
        ]
    }

    pub fn push(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        let k = if x < self.q[0] {
            self.q[0] = x;
            0
        } else if x >= self.q[4] {
            self.q[4] = x;
            3
        } else {
            (0..4).find(|&i| x < self.q[i + 1]).unwrap_or(3)
        };
        for n in &mut self.n[k + 1..] {
            *n += 1.0;
        }
        self.count += 1;
        let desired = self.desired();
        for (i, want) in desired.iter().enumerate().take(4).skip(1) {
            let d = want - self.n[i];
            if (d >= 1.0 && self.n[i + 1] - self.n[i] > 1.0)
                || (d <= -1.0 && self.n[i - 1] - self.n[i] < -1.0)
            {
                let s = d.signum();
                let parabolic = self.parabolic(i, s);
                self.q[i] = if self.q[i - 1] < parabolic && parabolic < self.q[i + 1] {
                    parabolic
                } else {
                    self.linear(i, s)
                };
                self.n[i] += s;
            }
        }
    }

    fn parabolic(&self, i: usize, s: f64) -> f64 {
        let (q, n) = (&self.q, &self.n);
        q[i] + s / (n[i + 1] - n[i - 1])
            * ((n[i] - n[i - 1] + s) * (q[i + 1] - q[i]) / (n[i + 1] - n[i])
                + (n[i + 1] - n[i] - s) * (q[i] - q[i - 1]) / (n[i] - n[i - 1]))
    }

    fn linear(&self, i: usize, s: f64) -> f64 {
        let j = if s > 0.0 { i + 1 } else { i - 1 };
        self.q[i] + s * (self.q[j] - self.q[i]) / (self.n[j] - self.n[i])
    }

    /// The estimate of the `p` quantile.
    pub fn value(&self) -> f64 {
        self.q[2]
    }
}

/// Past the cap: a running sum and the two quantile estimators.
#[derive(Debug, Clone, PartialEq)]
struct Sketch {
    sum: f64,
    count: u64,
    p5: PSquare,
    p95: PSquare,
}

/// One band built a value at a time (NaN values are skipped, as [`band`] skips them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BandCell {
    exact: Vec<f64>,
    sketch: Option<Box<Sketch>>,
}

impl BandCell {
    pub fn push(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        if let Some(s) = &mut self.sketch {
            s.sum += x;
            s.count += 1;
            s.p5.push(x);
            s.p95.push(x);
            return;
        }
        if self.exact.len() < EXACT_CAP {
            self.exact.push(x);
            return;
        }
        let values = std::mem::take(&mut self.exact);
        let sum: f64 = values.iter().sum();
        let mut sorted = values;
        sorted.sort_by(f64::total_cmp);
        if let (Some(p5), Some(p95)) = (
            PSquare::from_sorted(&sorted, 0.05),
            PSquare::from_sorted(&sorted, 0.95),
        ) {
            let mut s = Sketch {
                sum,
                count: sorted.len() as u64,
                p5,
                p95,
            };
            s.sum += x;
            s.count += 1;
            s.p5.push(x);
            s.p95.push(x);
            self.sketch = Some(Box::new(s));
        }
    }

    /// Whether the band is exact (at most [`EXACT_CAP`] values so far).
    pub fn is_exact(&self) -> bool {
        self.sketch.is_none()
    }

    pub fn band(&self) -> Band {
        match &self.sketch {
            None => band(&self.exact),
            Some(s) => Band {
                mean: s.sum / s.count as f64,
                p5: s.p5.value(),
                p95: s.p95.value(),
            },
        }
    }

    /// Bytes this cell holds now, itself and its heap blocks (for tests of the accounting).
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.exact.capacity() * 8
            + self
                .sketch
                .as_ref()
                .map_or(0, |_| std::mem::size_of::<Sketch>())
    }

    /// Bytes this cell holds on the heap at most (for the memory estimate).
    pub const MAX_BYTES: usize = EXACT_CAP * 8 + std::mem::size_of::<Sketch>();
}
