//! Iteration start times of the arrival-rate executors: constant, ramping (the integral
//! of the rate, as k6 v1.8.1 computes it) and capsim's Poisson extension.

use crate::time::Nanos;
use crate::workload::executor::{Executor, Stage};

/// Iteration start offsets (relative to the scenario start) of an arrival-rate executor.
///
/// ```
/// use capsim::workload::schedule::ArrivalSchedule;
/// let mut s = ArrivalSchedule::constant(20, 1_000_000_000, 3_000_000_000);
/// assert_eq!(s.next_start(), Some(0));
/// assert_eq!(s.next_start(), Some(50_000_000));
/// ```
#[derive(Debug, Clone)]
pub struct ArrivalSchedule {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Constant {
        period: Nanos,
        duration: Nanos,
        next: u64,
        done: bool,
    },
    Ramping(Box<Ramping>),
    Poisson {
        mean_gap: f64,
        duration: Nanos,
        t: f64,
        done: bool,
    },
}

/// State of k6's `RampingArrivalRateConfig.cal`, one stage at a time.
#[derive(Debug, Clone)]
struct Ramping {
    time_unit: f64,
    stages: Vec<Stage>,
    /// Index of the next stage to enter.
    next_stage: usize,
    /// Whether a stage is entered and may still yield iterations.
    in_stage: bool,
    stage_start: Nanos,
    stage_dur: Nanos,
    /// Rates in iterations per ns.
    from: f64,
    to: f64,
    done_so_far: f64,
    end_count: f64,
    /// 1-based number of the next iteration.
    i: f64,
}

impl ArrivalSchedule {
    /// The schedule of an arrival-rate executor; `None` for the VU-based executors.
    pub fn new(executor: &Executor) -> Option<Self> {
        match executor {
            Executor::ConstantArrivalRate {
                rate,
                time_unit,
                duration,
                ..
            } => Some(Self::constant(*rate, *time_unit, *duration)),
            Executor::RampingArrivalRate {
                start_rate,
                time_unit,
                stages,
                ..
            } => Some(Self::ramping(*start_rate, *time_unit, stages)),
            Executor::PoissonArrivalRate {
                rate,
                time_unit,
                duration,
                ..
            } => Some(Self::poisson(*rate, *time_unit, *duration)),
            _ => None,
        }
    }

    /// constant-arrival-rate: iteration `i` (from 0) starts at `i * period`, where
    /// `period = floor(time_unit / rate)` ns, as k6's `notScaledTickerPeriod * gi` (k6 converts
    /// the rational period to a `time.Duration`, truncating to whole ns).
    ///
    /// Boundary choice: the tick at exactly `t = duration` **is included**, so `rate/timeUnit`
    /// for 3s gives `rate*3 + 1` starts when the period divides the duration. In k6 that tick
    /// races with the end of the regular-duration context (both timers expire at the same
    /// instant and Go's `select` picks either); the only observation we have (reference 4.4:
    /// 20/s for 3s gave 25 completed + 36 dropped = 61 = 20*3 + 1) shows the tick winning,
    /// so capsim reproduces the observed count. The iteration starts at the end of the
    /// regular duration and runs within `gracefulStop`.
    ///
    /// `rate == 0` or a zero period (more than one start per ns) yields nothing; validation
    /// rejects both.
    pub fn constant(rate: u64, time_unit: Nanos, duration: Nanos) -> Self {
        let period = time_unit.checked_div(rate).unwrap_or(0);
        ArrivalSchedule {
            kind: Kind::Constant {
                period,
                duration,
                next: 0,
                done: period == 0,
            },
        }
    }

    /// ramping-arrival-rate: iteration `n` (from 1) starts when the integral of the rate
    /// reaches `n` (k6 `RampingArrivalRateConfig.cal`, same f64 formula and operation order).
    /// In a ramping stage from `from` to `to` per ns over `dur`, with `doneSoFar` iterations
    /// before it: `x = (from*dur - sqrt(dur*(from²*dur + 2*(n-doneSoFar)*(to-from)))) / (from-to)`;
    /// in a constant stage `x = (n-doneSoFar)/to`; the start is `stageStart + x`. The first
    /// iteration is at `1/rate` (not at 0), fractional remainders carry into the next
    /// stage, and stages at rate 0 yield nothing.
    ///
    /// Rounding choice: `x` is rounded to the nearest ns (k6's `time.Duration(x)` truncates;
    /// the two differ by at most 1 ns, and rounding keeps exact values like 1s from coming
    /// out as 999999999ns through f64 noise).
    pub fn ramping(start_rate: u64, time_unit: Nanos, stages: &[Stage]) -> Self {
        let time_unit = (time_unit.max(1)) as f64;
        ArrivalSchedule {
            kind: Kind::Ramping(Box::new(Ramping {
                time_unit,
                stages: stages.to_vec(),
                next_stage: 0,
                in_stage: false,
                stage_start: 0,
                stage_dur: 0,
                from: start_rate as f64 / time_unit,
                to: 0.0,
                done_so_far: 0.0,
                end_count: 0.0,
                i: 1.0,
            })),
        }
    }

    /// poisson-arrival-rate (capsim extension, not k6): a Poisson process with mean `rate`
    /// arrivals per `time_unit` on `[0, duration]`. Each start is the previous one (0 for
    /// the first) plus an exponential gap `-ln(1-u) * time_unit/rate`, where `u` is a
    /// uniform draw in `[0, 1)` supplied by the caller through [`Self::next_start_with`].
    /// The clock is kept in f64 ns, so rounding does not accumulate.
    pub fn poisson(rate: f64, time_unit: Nanos, duration: Nanos) -> Self {
        let ok = rate.is_finite() && rate > 0.0;
        ArrivalSchedule {
            kind: Kind::Poisson {
                mean_gap: if ok { time_unit as f64 / rate } else { 0.0 },
                duration,
                t: 0.0,
                done: !ok,
            },
        }
    }

    /// Whether [`Self::next_start_with`] needs random draws (the Poisson extension).
    pub fn needs_randomness(&self) -> bool {
        matches!(self.kind, Kind::Poisson { .. })
    }

    /// The next iteration start of a deterministic schedule, or `None` when there are no more.
    ///
    /// # Panics
    /// For a Poisson schedule, which needs draws: use [`Self::next_start_with`].
    pub fn next_start(&mut self) -> Option<Nanos> {
        self.next_start_with(|| {
            panic!("poisson-arrival-rate needs uniform draws: call next_start_with(draw)")
        })
    }

    /// The next iteration start, or `None` when there are no more. `draw_u01` must return a
    /// uniform number in `[0, 1)`; it is called exactly once per Poisson start and never
    /// for the deterministic executors, so the engine's RNG stream does not depend on it.
    /// Values outside `[0, 1)` are clamped (NaN counts as 0).
    pub fn next_start_with(&mut self, mut draw_u01: impl FnMut() -> f64) -> Option<Nanos> {
        match &mut self.kind {
            Kind::Constant {
                period,
                duration,
                next,
                done,
            } => {
                if *done {
                    return None;
                }
                match next.checked_mul(*period) {
                    Some(t) if t <= *duration => {
                        *next += 1;
                        Some(t)
                    }
                    _ => {
                        *done = true;
                        None
                    }
                }
            }
            Kind::Ramping(r) => r.next(),
            Kind::Poisson {
                mean_gap,
                duration,
                t,
                done,
            } => {
                if *done {
                    return None;
                }
                let u = draw_u01();
                let u = if u.is_nan() {
                    0.0
                } else {
                    u.clamp(0.0, 1.0 - f64::EPSILON / 2.0)
                };
                // -ln(1-u), precise for small u.
                *t += -(-u).ln_1p() * *mean_gap;
                let at = crate::time::round_half_away(*t);
                if at <= *duration as f64 {
                    Some(at as Nanos)
                } else {
                    *done = true;
                    None
                }
            }
        }
    }
}

impl Ramping {
    fn next(&mut self) -> Option<Nanos> {
        loop {
            if self.in_stage {
                if self.i <= self.end_count {
                    let (from, to, dur) = (self.from, self.to, self.stage_dur as f64);
                    let n = self.i - self.done_so_far;
                    let x = if from != to {
                        let rad = dur * (from * from * dur + 2.0 * n * (to - from));
                        (from * dur - rad.max(0.0).sqrt()) / (from - to)
                    } else {
                        n / to
                    };
                    self.i += 1.0;
                    let x = x.round().clamp(0.0, dur) as Nanos;
                    return Some(self.stage_start + x);
                }
                // Leave the stage; the fractional remainder carries over.
                self.done_so_far = self.end_count;
                self.from = self.to;
                self.stage_start = self.stage_start.saturating_add(self.stage_dur);
                self.in_stage = false;
            }
            let stage = *self.stages.get(self.next_stage)?;
            self.next_stage += 1;
            self.to = stage.target as f64 / self.time_unit;
            self.stage_dur = stage.duration;
            let dur = stage.duration as f64;
            if self.from != self.to {
                self.end_count += dur * ((self.to - self.from) / 2.0 + self.from);
            } else {
                self.end_count += dur * self.to;
            }
            self.in_stage = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC as S;

    fn st(secs: u64, target: u64) -> Stage {
        Stage {
            duration: secs * S,
            target,
        }
    }

    fn all(mut s: ArrivalSchedule) -> Vec<Nanos> {
        std::iter::from_fn(|| s.next_start()).collect()
    }

    #[test]
    fn constant_arrival_rate_20_per_s_for_3s() {
        let got = all(ArrivalSchedule::constant(20, S, 3 * S));
        assert_eq!(got.len(), 61, "rate*duration plus the boundary tick");
        for (i, t) in got.iter().enumerate() {
            assert_eq!(*t, i as u64 * 50_000_000);
        }
        assert_eq!(got.last(), Some(&(3 * S)));
    }

    #[test]
    fn constant_arrival_rate_truncates_period_like_k6() {
        // 3 per second: period floor(1e9/3) = 333333333 ns; ticks up to 1s: 0..=3.
        let got = all(ArrivalSchedule::constant(3, S, S));
        assert_eq!(got, vec![0, 333_333_333, 666_666_666, 999_999_999]);
        // 30 per minute: every 2s, 10s -> 0,2,4,6,8,10.
        let got = all(ArrivalSchedule::constant(30, 60 * S, 10 * S));
        assert_eq!(got, vec![0, 2 * S, 4 * S, 6 * S, 8 * S, 10 * S]);
    }

    #[test]
    fn ramping_arrival_rate_constant_stage_starts_at_one_over_rate() {
        // startRate 5, stages [5 for 2s]: iterations at n/5 s, n = 1..=10.
        let got = all(ArrivalSchedule::ramping(5, S, &[st(2, 5)]));
        let want: Vec<Nanos> = (1..=10).map(|n| n * 200_000_000).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn ramping_arrival_rate_ramp_up_follows_the_integral() {
        // 0 -> 10/s over 10s: rate(t) = t (per s²), integral t²/2 = n -> t = sqrt(2n).
        let got = all(ArrivalSchedule::ramping(0, S, &[st(10, 10)]));
        assert_eq!(got.len(), 50, "integral = 10s * 10/s / 2 = 50");
        assert_eq!(got[0], 1_414_213_562); // sqrt(2) s
        assert_eq!(got[1], 2 * S); // sqrt(4) s
        assert_eq!(got[49], 10 * S); // sqrt(100) s
        for (k, t) in got.iter().enumerate() {
            let want = (2.0 * (k as f64 + 1.0)).sqrt() * 1e9;
            assert!(
                (*t as f64 - want).abs() <= 1.0,
                "n={} got {t} want {want}",
                k + 1
            );
        }
    }

    #[test]
    fn ramping_arrival_rate_reference_example() {
        // Reference `rar`: startRate 10 per 1m, 1m -> 60, 30s -> 0. Integral:
        // 60s*(10+60)/2/60s = 35, plus 30s*(60+0)/2/60s = 15: 50 iterations in 90s.
        let got = all(ArrivalSchedule::ramping(
            10,
            60 * S,
            &[st(60, 60), st(30, 0)],
        ));
        assert_eq!(got.len(), 50);
        // First: rate(t) = 10/60 + (50/60)(t/60) per s, integral t/6 + t²/144 = 1
        // -> t² + 24t - 144 = 0 -> t = 12(sqrt(2) - 1) s = 4.970562748s. k6's formula:
        // x = (from*dur - sqrt(dur*(from²dur + 2*(to-from)))) / (from-to).
        let from: f64 = 10.0 / 60e9;
        let to = 60.0 / 60e9;
        let dur = 60e9;
        let x: f64 =
            (from * dur - (dur * (from * from * dur + 2.0 * (to - from))).sqrt()) / (from - to);
        assert_eq!(got[0], x.round() as u64);
        assert!((got[0] as f64 - 12.0 * (2f64.sqrt() - 1.0) * 1e9).abs() < 10.0);
        // Iteration 35 ends the first stage exactly at 60s; the last at the end, 90s.
        assert_eq!(got[34], 60 * S);
        assert_eq!(got[49], 90 * S);
        assert!(got.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn ramping_arrival_rate_carries_remainders_and_skips_zero_stages() {
        // 5/s for 2s = 10; 5 -> 0 over 1s = 2.5 (12.5 so far, 12 started); 0 for 2s: none;
        // 0 -> 5 over 1s: 2.5 more -> integral 15, so iterations 13, 14, 15 fall in the
        // last stage (starting at 5s): n - doneSoFar = 0.5, 1.5, 2.5 of area 2.5t² -> t =
        // sqrt(0.2), sqrt(0.6), 1 s.
        let got = all(ArrivalSchedule::ramping(
            5,
            S,
            &[st(2, 5), st(1, 0), st(2, 0), st(1, 5)],
        ));
        assert_eq!(got.len(), 15);
        assert_eq!(got[9], 2 * S);
        // 5 -> 0 over 1s: area 5t - 2.5t²; iteration 11 at area 1: t = 1 - sqrt(0.6).
        let t11 = 2e9 + (1.0 - 0.6f64.sqrt()) * 1e9;
        assert!((got[10] as f64 - t11).abs() < 2.0, "{}", got[10]);
        assert!(got[11] < 3 * S);
        assert_eq!(got[12], 5 * S + (0.2f64.sqrt() * 1e9).round() as u64);
        assert_eq!(got[13], 5 * S + (0.6f64.sqrt() * 1e9).round() as u64);
        assert_eq!(got[14], 6 * S);
        assert!(got.iter().all(|&t| !(3 * S..5 * S).contains(&t)));
    }

    #[test]
    fn arrival_schedule_from_executor() {
        let e = Executor::ConstantVus {
            vus: 1,
            duration: S,
        };
        assert!(ArrivalSchedule::new(&e).is_none());
        let e = Executor::ConstantArrivalRate {
            rate: 2,
            time_unit: S,
            duration: S,
            pre_allocated_vus: 1,
            max_vus: 1,
        };
        let s = ArrivalSchedule::new(&e).unwrap();
        assert!(!s.needs_randomness());
        assert_eq!(all(s), vec![0, S / 2, S]);
    }

    #[test]
    fn poisson_uses_the_callers_draws() {
        // rate 2 per second: mean gap 0.5s. u = 1 - e^-1 gives a gap of exactly one mean.
        let mut s = ArrivalSchedule::poisson(2.0, S, 2 * S);
        assert!(s.needs_randomness());
        let u = 1.0 - (-1.0f64).exp();
        let mut calls = 0;
        let mut got = Vec::new();
        while let Some(t) = s.next_start_with(|| {
            calls += 1;
            u
        }) {
            got.push(t);
        }
        assert_eq!(got, vec![S / 2, S, 3 * S / 2, 2 * S]);
        assert_eq!(
            calls, 5,
            "one draw per start plus the one that passed the end"
        );
        assert_eq!(s.next_start_with(|| unreachable!()), None);
        // u = 0 gives gap 0: arrivals at the same instant are allowed.
        let mut s = ArrivalSchedule::poisson(1.0, S, S);
        assert_eq!(s.next_start_with(|| 0.0), Some(0));
    }

    #[test]
    fn poisson_mean_count_matches_rate() {
        // A fixed low-discrepancy sequence of draws: the count is near rate*duration.
        let mut s = ArrivalSchedule::poisson(100.0, S, 100 * S);
        let mut k = 0u64;
        let mut n = 0;
        while s
            .next_start_with(|| {
                k += 1;
                (k as f64 * 0.618_033_988_749_895) % 1.0
            })
            .is_some()
        {
            n += 1;
        }
        assert!((9_800..=10_200).contains(&n), "{n}");
    }

    #[test]
    #[should_panic(expected = "next_start_with")]
    fn poisson_without_draws_panics() {
        ArrivalSchedule::poisson(1.0, S, S).next_start();
    }
}
