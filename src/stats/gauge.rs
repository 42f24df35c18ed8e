//! Online accumulators: `TimeWeighted` (time integral of a piecewise-constant gauge) and `Welford` (mean and variance).

use crate::time::Nanos;

/// Time integral of a piecewise-constant value (utilization, in-flight requests,
/// queue length, replica count): the value holds from one `set` to the next.
///
/// Keeps the integral since creation and since the start of the current window
/// (see [`TimeWeighted::start_window`]), with the maximum over each. Every update is
/// O(1) and allocation-free. Integrals are in value·seconds and are summed with
/// Neumaier compensation, so millions of updates lose no visible precision.
///
/// Times must not go backwards: a `set` at a time before the last update is taken
/// to happen at the last update's time (a zero-length segment), and is caught by a
/// debug assertion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeWeighted {
    start: Nanos,
    last: Nanos,
    value: f64,
    /// Integral over [start, last], value·ns, with Neumaier compensation term.
    total: f64,
    total_c: f64,
    max: f64,
    window_start: Nanos,
    /// Integral over [start, window_start], to subtract.
    window_base: f64,
    window_max: f64,
}

impl TimeWeighted {
    /// Starts at time `t0` with `initial` value.
    pub fn new(t0: Nanos, initial: f64) -> Self {
        TimeWeighted {
            start: t0,
            last: t0,
            value: initial,
            total: 0.0,
            total_c: 0.0,
            max: initial,
            window_start: t0,
            window_base: 0.0,
            window_max: initial,
        }
    }

    fn advance(&mut self, t: Nanos) {
        debug_assert!(t >= self.last, "TimeWeighted time went backwards");
        let t = t.max(self.last);
        let term = self.value * (t - self.last) as f64;
        let sum = self.total + term;
        if self.total.abs() >= term.abs() {
            self.total_c += (self.total - sum) + term;
        } else {
            self.total_c += (term - sum) + self.total;
        }
        self.total = sum;
        self.last = t;
    }

    /// The value changes to `value` at time `t`.
    #[inline]
    pub fn set(&mut self, t: Nanos, value: f64) {
        self.advance(t);
        self.value = value;
        self.max = self.max.max(value);
        self.window_max = self.window_max.max(value);
    }

    /// The value changes by `delta` at time `t` (e.g. +1 on arrival, -1 on departure).
    #[inline]
    pub fn add(&mut self, t: Nanos, delta: f64) {
        let v = self.value + delta;
        self.set(t, v);
    }

    /// The current value.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Integral (value·ns) from creation to `t`.
    fn integral_ns(&self, t: Nanos) -> f64 {
        let t = t.max(self.last);
        self.total + self.total_c + self.value * (t - self.last) as f64
    }

    /// Integral of the value from creation to `t`, in value·seconds (the current value
    /// extends to `t`).
    pub fn integral(&self, t: Nanos) -> f64 {
        self.integral_ns(t) / 1e9
    }

    /// Time-average over `[t0, t]` since creation; `None` over an empty span.
    pub fn mean(&self, t: Nanos) -> Option<f64> {
        let span = t.max(self.last) - self.start;
        (span > 0).then(|| self.integral_ns(t) / span as f64)
    }

    /// Maximum value since creation.
    pub fn max(&self) -> f64 {
        self.max
    }

    /// Starts a new window at `t` (e.g. a time bucket): window integral restarts
    /// from zero, window maximum from the current value.
    pub fn start_window(&mut self, t: Nanos) {
        self.advance(t);
        self.window_start = self.last;
        self.window_base = self.total + self.total_c;
        self.window_max = self.value;
    }

    /// Integral over the current window `[window start, t]`, in value·seconds.
    pub fn window_integral(&self, t: Nanos) -> f64 {
        (self.integral_ns(t) - self.window_base) / 1e9
    }

    /// Time-average over the current window `[window start, t]`; `None` if empty.
    pub fn window_mean(&self, t: Nanos) -> Option<f64> {
        let span = t.max(self.last) - self.window_start;
        (span > 0).then(|| (self.integral_ns(t) - self.window_base) / span as f64)
    }

    /// Maximum value within the current window.
    pub fn window_max(&self) -> f64 {
        self.window_max
    }
}

/// Online mean and variance (Welford 1962; Knuth TAOCP vol. 2, 4.2.2), with Chan et
/// al.'s pairwise merge. NaN values are skipped (and not counted).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Welford {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn push(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.n += 1;
        if self.n == 1 {
            self.min = x;
            self.max = x;
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Combines two accumulators as if all values had been pushed into one.
    pub fn merge(&mut self, other: &Welford) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        let (na, nb) = (self.n as f64, other.n as f64);
        self.mean += delta * nb / n as f64;
        self.m2 += other.m2 + delta * delta * na * nb / n as f64;
        self.n = n;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    /// Mean; `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// Sample variance (denominator n-1); `None` with fewer than two values.
    pub fn variance(&self) -> Option<f64> {
        (self.n > 1).then(|| self.m2 / (self.n - 1) as f64)
    }

    /// Population variance (denominator n); `None` when empty.
    pub fn population_variance(&self) -> Option<f64> {
        (self.n > 0).then(|| self.m2 / self.n as f64)
    }

    /// Sample standard deviation; `None` with fewer than two values.
    pub fn std_dev(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    pub fn min(&self) -> Option<f64> {
        (self.n > 0).then_some(self.min)
    }

    pub fn max(&self) -> Option<f64> {
        (self.n > 0).then_some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Nanos = 1_000_000_000;

    #[test]
    fn time_weighted_mean_of_step_function() {
        // 0 on [0,2s), 4 on [2s,3s), 1 on [3s,5s): integral 4 + 2 = 6, mean 6/5
        let mut g = TimeWeighted::new(0, 0.0);
        g.set(2 * S, 4.0);
        g.set(3 * S, 1.0);
        assert_eq!(g.integral(5 * S), 6.0);
        assert_eq!(g.mean(5 * S), Some(1.2));
        assert_eq!(g.max(), 4.0);
        assert_eq!(g.value(), 1.0);
        assert_eq!(TimeWeighted::new(7, 1.0).mean(7), None);
    }

    #[test]
    fn time_weighted_windows() {
        let mut g = TimeWeighted::new(0, 2.0);
        g.add(S, 1.0); // 3 from 1s
        g.start_window(2 * S);
        assert_eq!(g.window_max(), 3.0);
        g.add(3 * S, -3.0); // 0 from 3s
        // window [2s, 4s]: 3 for 1s, 0 for 1s
        assert_eq!(g.window_integral(4 * S), 3.0);
        assert_eq!(g.window_mean(4 * S), Some(1.5));
        assert_eq!(g.window_max(), 3.0);
        // whole run [0, 4s]: 2 + 3 + 3 + 0 = 8
        assert_eq!(g.integral(4 * S), 8.0);
        g.start_window(4 * S);
        assert_eq!(g.window_max(), 0.0);
        assert_eq!(g.window_mean(4 * S), None);
    }

    #[test]
    fn time_weighted_keeps_precision_over_many_updates() {
        let mut g = TimeWeighted::new(0, 0.0);
        // alternate 0.1 / 0.3 every 1 ms for 1e6 steps: exact mean 0.2
        for i in 0..1_000_000u64 {
            g.set(i * 1_000_000, if i % 2 == 0 { 0.1 } else { 0.3 });
        }
        let mean = g.mean(1_000_000 * 1_000_000).unwrap();
        assert!((mean - 0.2).abs() < 1e-12, "{mean}");
    }

    #[test]
    fn welford_matches_two_pass() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let mut w = Welford::new();
        for &x in &xs {
            w.push(x);
        }
        w.push(f64::NAN);
        assert_eq!(w.count(), 8);
        assert_eq!(w.mean(), Some(5.0));
        assert_eq!(w.population_variance(), Some(4.0));
        assert!((w.variance().unwrap() - 32.0 / 7.0).abs() < 1e-12);
        assert_eq!(w.min(), Some(2.0));
        assert_eq!(w.max(), Some(9.0));

        let (mut a, mut b) = (Welford::new(), Welford::new());
        for (i, &x) in xs.iter().enumerate() {
            if i < 3 { a.push(x) } else { b.push(x) }
        }
        a.merge(&b);
        assert_eq!(a.count(), 8);
        assert!((a.mean().unwrap() - 5.0).abs() < 1e-12);
        assert!((a.population_variance().unwrap() - 4.0).abs() < 1e-12);
        assert_eq!(Welford::new().variance(), None);
    }
}
