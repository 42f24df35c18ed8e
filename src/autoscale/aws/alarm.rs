//! CloudWatch metric alarms (reference §3.1): one datapoint per period aggregated with a
//! statistic, "M out of N" evaluation, the four missing-data treatments, and the
//! repeat-every-minute invocation of Auto Scaling actions.
//!
//! The engine feeds raw samples ([`MetricAlarm::record`]) or pre-aggregated values
//! ([`MetricAlarm::record_aggregate`]) and calls [`MetricAlarm::evaluate`] at each
//! evaluation tick ([`AlarmConfig::evaluation_interval`]: every minute, or every 10 s for
//! 10 s / 30 s high-resolution periods).

use crate::error::FieldError;
use crate::spec::aws::{ComparisonOperator, Statistic, TreatMissingData};
use crate::time::{NANOS_PER_SEC, Nanos};
use std::collections::VecDeque;
use std::fmt;

/// The three alarm states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

impl fmt::Display for AlarmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        })
    }
}

/// The samples of one period (or of one bucket): enough to compute every statistic and
/// to merge buckets into a datapoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aggregate {
    pub sample_count: u64,
    pub sum: f64,
    pub minimum: f64,
    pub maximum: f64,
}

impl Default for Aggregate {
    fn default() -> Self {
        Aggregate::EMPTY
    }
}

impl Aggregate {
    pub const EMPTY: Aggregate = Aggregate {
        sample_count: 0,
        sum: 0.0,
        minimum: f64::INFINITY,
        maximum: f64::NEG_INFINITY,
    };

    pub fn from_sample(value: f64) -> Self {
        Aggregate {
            sample_count: 1,
            sum: value,
            minimum: value,
            maximum: value,
        }
    }

    pub fn add(&mut self, value: f64) {
        self.merge(&Aggregate::from_sample(value));
    }

    pub fn merge(&mut self, other: &Aggregate) {
        self.sample_count += other.sample_count;
        self.sum += other.sum;
        self.minimum = self.minimum.min(other.minimum);
        self.maximum = self.maximum.max(other.maximum);
    }

    /// The datapoint under `statistic`; `None` (missing) when the period has no samples.
    pub fn statistic(&self, statistic: Statistic) -> Option<f64> {
        if self.sample_count == 0 {
            return None;
        }
        Some(match statistic {
            Statistic::Average => self.sum / self.sample_count as f64,
            Statistic::Sum => self.sum,
            Statistic::Minimum => self.minimum,
            Statistic::Maximum => self.maximum,
            Statistic::SampleCount => self.sample_count as f64,
        })
    }
}

/// One alarm's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmConfig {
    pub statistic: Statistic,
    /// Length of one datapoint.
    pub period: Nanos,
    /// N: the number of most recent datapoints evaluated.
    pub evaluation_periods: u32,
    /// M: how many of those N must breach (M = N for a plain alarm).
    pub datapoints_to_alarm: u32,
    pub comparison: ComparisonOperator,
    pub threshold: f64,
    pub treat_missing_data: TreatMissingData,
    /// How many datapoints CloudWatch fetches (the "evaluation range", ≥ N). The user
    /// guide's tables use N = 3 with a range of 5; the default here is N + 2.
    pub evaluation_range: u32,
}

impl AlarmConfig {
    /// A plain N-of-N alarm with `missing` treatment and an evaluation range of N + 2.
    pub fn new(
        statistic: Statistic,
        period: Nanos,
        evaluation_periods: u32,
        comparison: ComparisonOperator,
        threshold: f64,
    ) -> Self {
        AlarmConfig {
            statistic,
            period,
            evaluation_periods,
            datapoints_to_alarm: evaluation_periods,
            comparison,
            threshold,
            treat_missing_data: TreatMissingData::Missing,
            evaluation_range: evaluation_periods.saturating_add(2),
        }
    }

    pub fn with_datapoints_to_alarm(mut self, m: u32) -> Self {
        self.datapoints_to_alarm = m;
        self
    }

    pub fn with_treat_missing_data(mut self, treat: TreatMissingData) -> Self {
        self.treat_missing_data = treat;
        self
    }

    pub fn with_evaluation_range(mut self, range: u32) -> Self {
        self.evaluation_range = range;
        self
    }

    /// How often the alarm is evaluated: every minute for periods of a minute or more,
    /// every 10 s for 10 s and 30 s periods (reference §3.1).
    pub fn evaluation_interval(&self) -> Nanos {
        if self.period >= 60 * NANOS_PER_SEC {
            60 * NANOS_PER_SEC
        } else {
            10 * NANOS_PER_SEC
        }
    }

    /// Checks the CloudWatch limits: period 10 s, 30 s or a multiple of 60 s;
    /// 1 ≤ M ≤ N; N × period ≤ one day; a finite threshold.
    pub fn validate(&self) -> Result<(), FieldError> {
        let secs = self.period / NANOS_PER_SEC;
        let whole = self.period.is_multiple_of(NANOS_PER_SEC);
        if !whole || !(secs == 10 || secs == 30 || (secs >= 60 && secs.is_multiple_of(60))) {
            return Err(FieldError::new(
                "period",
                format!(
                    "period is {} s; CloudWatch allows 10, 30 or a multiple of 60 seconds",
                    self.period as f64 / NANOS_PER_SEC as f64
                ),
            ));
        }
        if self.evaluation_periods == 0 {
            return Err(FieldError::new(
                "evaluationPeriods",
                "evaluationPeriods must be at least 1",
            ));
        }
        if secs.saturating_mul(self.evaluation_periods as u64) > 86_400 {
            return Err(FieldError::new(
                "evaluationPeriods",
                format!(
                    "evaluationPeriods × period = {} s; CloudWatch allows at most one day (86400 s)",
                    secs.saturating_mul(self.evaluation_periods as u64)
                ),
            ));
        }
        if self.datapoints_to_alarm == 0 || self.datapoints_to_alarm > self.evaluation_periods {
            return Err(FieldError::new(
                "datapointsToAlarm",
                format!(
                    "datapointsToAlarm is {}; it must be between 1 and evaluationPeriods ({})",
                    self.datapoints_to_alarm, self.evaluation_periods
                ),
            ));
        }
        if !self.threshold.is_finite() {
            return Err(FieldError::new(
                "threshold",
                "threshold must be a finite number",
            ));
        }
        if self.evaluation_range < self.evaluation_periods {
            return Err(FieldError::new(
                "evaluationRange",
                "the evaluation range must hold at least evaluationPeriods datapoints",
            ));
        }
        Ok(())
    }

    fn breaches(&self, value: f64) -> bool {
        self.comparison.breaches(value, self.threshold)
    }
}

/// The state CloudWatch computes from the datapoints of the evaluation range
/// (`datapoints`: oldest first, `None` = missing), given the alarm's `current` state.
///
/// Rules (CloudWatch UG, `AlarmThatSendsEmail.md`, "How alarm state is evaluated when data
/// is missing", both tables reproduced in the tests):
/// * at least N real datapoints in the range: the most recent N real ones decide,
///   treatment unused; ALARM when ≥ M breach, else OK;
/// * no real datapoint: `missing` → INSUFFICIENT_DATA, `ignore` → keep, `breaching` →
///   ALARM, `notBreaching` → OK;
/// * some but fewer than N: `breaching` / `notBreaching` fill the N − real slots and
///   count all real points; `missing` / `ignore`: ALARM when the real breaching points
///   alone reach M, OK when any real point is not breaching, otherwise (only breaching
///   points, fewer than M) `ignore` keeps the state and `missing` gives ALARM when the
///   newest N slots are all empty (the metric stopped: CloudWatch re-evaluates the last
///   real points, table 1 row `X - - - -`) and INSUFFICIENT_DATA otherwise (row `- - - - X`).
pub fn evaluate_range(
    config: &AlarmConfig,
    datapoints: &[Option<f64>],
    current: AlarmState,
) -> AlarmState {
    let n = config.evaluation_periods as usize;
    let m = config.datapoints_to_alarm as usize;
    let real: Vec<f64> = datapoints.iter().rev().filter_map(|d| *d).collect();
    let verdict = |breaching: usize| {
        if breaching >= m {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        }
    };
    if real.len() >= n {
        let breaching = real[..n].iter().filter(|v| config.breaches(**v)).count();
        return verdict(breaching);
    }
    let breaching_real = real.iter().filter(|v| config.breaches(**v)).count();
    let fill = n - real.len();
    match config.treat_missing_data {
        TreatMissingData::Breaching => verdict(breaching_real + fill),
        TreatMissingData::NotBreaching => verdict(breaching_real),
        TreatMissingData::Missing | TreatMissingData::Ignore => {
            if real.is_empty() {
                return if config.treat_missing_data == TreatMissingData::Missing {
                    AlarmState::InsufficientData
                } else {
                    current
                };
            }
            if breaching_real >= m {
                AlarmState::Alarm
            } else if breaching_real < real.len() {
                AlarmState::Ok
            } else if config.treat_missing_data == TreatMissingData::Ignore {
                current
            } else {
                let newest = &datapoints[datapoints.len().saturating_sub(n)..];
                if newest.iter().all(Option::is_none) {
                    AlarmState::Alarm
                } else {
                    AlarmState::InsufficientData
                }
            }
        }
    }
}

/// The result of one evaluation tick.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmEvaluation {
    pub time: Nanos,
    pub state: AlarmState,
    pub previous: AlarmState,
    /// Whether an attached Auto Scaling action runs now: on entering ALARM and at every
    /// later evaluation while the alarm stays in ALARM (reference §3.1).
    pub invoke_action: bool,
    /// The evaluation range, oldest first (`None` = missing).
    pub datapoints: Vec<Option<f64>>,
    /// The real datapoints among the newest N slots, oldest first: what a step policy
    /// aggregates (reference §3.3, "the most recent metric data points").
    pub recent: Vec<f64>,
}

impl AlarmEvaluation {
    pub fn changed(&self) -> bool {
        self.state != self.previous
    }

    /// The most recent real datapoint in the evaluation range.
    pub fn latest(&self) -> Option<f64> {
        self.datapoints.iter().rev().find_map(|d| *d)
    }
}

/// A CloudWatch metric alarm fed by the engine.
///
/// Samples go into buckets of width gcd(period, evaluation interval), so that the
/// sliding datapoints of the reference's simulation rule, `d[k]` = statistic over
/// `[t − (k+1)·P, t − k·P)`, can be built at every evaluation tick `t` even when the
/// period is longer than the evaluation interval (P = 300 s evaluated every minute).
#[derive(Debug, Clone)]
pub struct MetricAlarm {
    config: AlarmConfig,
    bucket: Nanos,
    buckets: VecDeque<(u64, Aggregate)>,
    state: AlarmState,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl MetricAlarm {
    /// A new alarm starts in INSUFFICIENT_DATA.
    pub fn new(config: AlarmConfig) -> Self {
        let bucket = gcd(config.period.max(1), config.evaluation_interval()).max(1);
        MetricAlarm {
            config,
            bucket,
            buckets: VecDeque::new(),
            state: AlarmState::InsufficientData,
        }
    }

    pub fn config(&self) -> &AlarmConfig {
        &self.config
    }

    pub fn state(&self) -> AlarmState {
        self.state
    }

    /// The next evaluation tick strictly after `t`.
    pub fn next_evaluation(&self, t: Nanos) -> Nanos {
        let i = self.config.evaluation_interval();
        (t / i + 1) * i
    }

    fn retention(&self) -> u64 {
        let per_point = (self.config.period / self.bucket).max(1);
        per_point * self.config.evaluation_range.max(1) as u64 + 1
    }

    /// Adds one raw sample taken at `t` (it belongs to the period containing `t`).
    pub fn record(&mut self, t: Nanos, value: f64) {
        self.record_aggregate(t, Aggregate::from_sample(value));
    }

    /// Merges pre-aggregated samples into the bucket containing `t`. Feed aggregates at
    /// most one evaluation interval wide (for example one per minute) so that sliding
    /// datapoints stay exact.
    pub fn record_aggregate(&mut self, t: Nanos, aggregate: Aggregate) {
        let index = t / self.bucket;
        match self.buckets.iter().rposition(|(i, _)| *i <= index) {
            Some(pos) if self.buckets[pos].0 == index => self.buckets[pos].1.merge(&aggregate),
            Some(pos) => self.buckets.insert(pos + 1, (index, aggregate)),
            None => self.buckets.push_front((index, aggregate)),
        }
        let newest = self.buckets.back().map(|(i, _)| *i).unwrap_or(index);
        let keep_from = newest.saturating_sub(self.retention());
        while self.buckets.front().is_some_and(|(i, _)| *i < keep_from) {
            self.buckets.pop_front();
        }
    }

    /// The evaluation range at tick `t`, oldest first: datapoint `k` (k = 0 newest) covers
    /// `[t − (k+1)·P, t − k·P)`, with `t` rounded down to the bucket width. Windows that
    /// would start before time 0 are missing.
    pub fn datapoints(&self, t: Nanos) -> Vec<Option<f64>> {
        let end = t / self.bucket;
        let per_point = (self.config.period / self.bucket).max(1);
        let range = self.config.evaluation_range.max(1) as u64;
        let mut out = Vec::with_capacity(range as usize);
        for k in (0..range).rev() {
            let hi = end.checked_sub(k * per_point);
            let lo = end.checked_sub((k + 1) * per_point);
            let (Some(lo), Some(hi)) = (lo, hi) else {
                out.push(None);
                continue;
            };
            let mut agg = Aggregate::EMPTY;
            for (_, a) in self.buckets.iter().filter(|(i, _)| *i >= lo && *i < hi) {
                agg.merge(a);
            }
            out.push(agg.statistic(self.config.statistic));
        }
        out
    }

    /// Evaluates the alarm at tick `t` and moves it to its new state.
    pub fn evaluate(&mut self, t: Nanos) -> AlarmEvaluation {
        let datapoints = self.datapoints(t);
        self.evaluate_with(t, datapoints)
    }

    /// Evaluates given datapoints (the evaluation range, oldest first), for an engine that
    /// computes its own per-period aggregates.
    pub fn evaluate_with(&mut self, t: Nanos, datapoints: Vec<Option<f64>>) -> AlarmEvaluation {
        let previous = self.state;
        let state = evaluate_range(&self.config, &datapoints, previous);
        self.state = state;
        let n = self.config.evaluation_periods as usize;
        let recent = datapoints[datapoints.len().saturating_sub(n)..]
            .iter()
            .filter_map(|d| *d)
            .collect();
        AlarmEvaluation {
            time: t,
            state,
            previous,
            invoke_action: state == AlarmState::Alarm,
            datapoints,
            recent,
        }
    }
}
