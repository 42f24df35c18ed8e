//! Sequential stopping (`--precision metric=0.05`): replicate in batches until the 95%
//! interval of the metric's mean is within the target relative half-width, or until the
//! cap, as JMT and lqsim do. The batch sizes depend only on the results, never on the
//! thread count, so the outcome is deterministic.

use crate::engine::{ReplicationResult, RunError};
use crate::gate::Runner;
use crate::gate::metrics::{MetricDef, canonical, find, key_metrics};
use crate::model::experiment::Experiment;
use crate::stats::interval::relative_half_width;
use serde::Serialize;

/// Default cap on replications under `--precision` (`--max-replications`).
pub const DEFAULT_MAX_REPLICATIONS: u32 = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct Precision {
    pub metric: String,
    /// Target relative half-width of the 95% interval (0.05 = within 5% of the mean).
    pub target: f64,
}

/// Parses `metric=relative_half_width` (`http_req_duration.p(95)=0.05`, `p95=5%`).
pub fn parse_precision(text: &str) -> Result<Precision, String> {
    let (m, v) = text.rsplit_once('=').ok_or_else(|| {
        format!("--precision `{text}`: write `metric=relative_half_width`, e.g. `http_req_duration.p(95)=0.05`")
    })?;
    let v = v.trim();
    let target = match v.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|x| x / 100.0),
        None => v.parse::<f64>(),
    }
    .map_err(|_| format!("--precision `{text}`: `{v}` is not a number (0.05 or 5%)"))?;
    if !(target > 0.0 && target < 1.0) {
        return Err(format!(
            "--precision `{text}`: the relative half-width must be between 0 and 1 (e.g. 0.05)"
        ));
    }
    Ok(Precision {
        metric: canonical(m),
        target,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Stopping {
    pub metric: String,
    pub target: f64,
    pub replications: u32,
    /// Relative half-width reached (None: undefined, e.g. a zero mean).
    pub achieved: Option<f64>,
    pub max_replications: u32,
    /// True when the precision was met; false when the cap stopped it first.
    pub met: bool,
}

impl Stopping {
    pub fn line(&self) -> String {
        let got = self
            .achieved
            .map(|a| format!("{a:.4}"))
            .unwrap_or_else(|| "undefined".into());
        if self.met {
            format!(
                "sequential stopping: precision reached: {} relative half-width {got} <= {} after {} replications",
                self.metric, self.target, self.replications
            )
        } else {
            format!(
                "sequential stopping: stopped by the cap --max-replications {} before the precision: {} relative half-width {got} > {}",
                self.max_replications, self.metric, self.target
            )
        }
    }
}

/// Checks the metric name against the experiment before anything runs.
pub fn check_metric(exp: &Experiment, p: &Precision) -> Result<(), String> {
    let defs = key_metrics(exp);
    find(&defs, &p.metric).map(|_| ())
}

fn rhw(def: &MetricDef, results: &[ReplicationResult]) -> Option<f64> {
    relative_half_width(&def.values(results))
}

/// Runs `initial` replications, then batches until the precision or `cap` is reached.
pub fn run_until(
    exp: &Experiment,
    precision: &Precision,
    initial: u32,
    cap: u32,
    runner: &Runner,
) -> Result<(Vec<ReplicationResult>, Stopping), RunError> {
    let defs = key_metrics(exp);
    let def = find(&defs, &precision.metric).expect("checked by check_metric");
    let cap = cap.max(2);
    let mut n = initial.clamp(2, cap);
    let first: Vec<u32> = (0..n).collect();
    let mut results = runner.run(exp, &first)?;
    loop {
        let achieved = rhw(def, &results);
        let met = achieved.is_some_and(|a| a <= precision.target);
        if met || n >= cap {
            let stop = Stopping {
                metric: def.name.clone(),
                target: precision.target,
                replications: n,
                achieved,
                max_replications: cap,
                met,
            };
            return Ok((results, stop));
        }
        // The half-width shrinks like 1/sqrt(n): aim for the n that would meet the target,
        // at most doubling per batch.
        let want = match achieved {
            Some(a) => (n as f64 * (a / precision.target).powi(2)).ceil() as u64,
            None => 2 * n as u64,
        };
        let step = (want.saturating_sub(n as u64)).clamp(2, n as u64) as u32;
        let next = (n + step).min(cap);
        let batch: Vec<u32> = (n..next).collect();
        results.extend(runner.run(exp, &batch)?);
        n = next;
    }
}

/// Default cap of `check`'s sequential rule on thresholds (`--max-replications`): from the
/// default 8, at most four looks (8, 16, 32, 64).
pub const DEFAULT_CHECK_MAX_REPLICATIONS: u32 = 64;

/// How `check` chose its number of replications: it adds replications while a threshold
/// is undecided, doubling each time, up to the cap.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionStopping {
    pub initial: u32,
    pub replications: u32,
    pub max_replications: u32,
    /// Thresholds still undecided when it stopped (0: every threshold decided).
    pub undecided: usize,
}

impl DecisionStopping {
    pub fn line(&self) -> String {
        if self.undecided == 0 {
            format!(
                "replications: {} used (started at {}, cap {}): stopped because every threshold is decided",
                self.replications, self.initial, self.max_replications
            )
        } else {
            format!(
                "replications: {} used (started at {}): stopped at the cap --max-replications {} with {} threshold(s) undecided",
                self.replications, self.initial, self.max_replications, self.undecided
            )
        }
    }
}

/// Starting from `results` (replications `0..n`), adds replications while `undecided`
/// counts a threshold that is not decided, doubling the count each time, up to `cap`.
/// The batches depend only on the results, so the outcome is deterministic.
pub fn run_until_decided(
    exp: &Experiment,
    mut results: Vec<ReplicationResult>,
    cap: u32,
    runner: &Runner,
    undecided: impl Fn(&[ReplicationResult]) -> usize,
) -> Result<(Vec<ReplicationResult>, DecisionStopping), RunError> {
    let initial = results.len() as u32;
    let mut n = initial;
    loop {
        let open = undecided(&results);
        if open == 0 || n >= cap {
            let stop = DecisionStopping {
                initial,
                replications: n,
                max_replications: cap.max(initial),
                undecided: open,
            };
            return Ok((results, stop));
        }
        let next = (2 * n).clamp(n + 1, cap);
        let batch: Vec<u32> = (n..next).collect();
        results.extend(runner.run(exp, &batch)?);
        n = next;
    }
}
