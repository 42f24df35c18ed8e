//! "What breaks first just above the capacity": the thresholds that fail at the lightest
//! failing load (worst first) and, there, the first resource to saturate as the bottleneck
//! analysis names it (or the busiest resource when none saturates), in one sentence.

use crate::gate::check::GateVerdict;
use crate::gate::metrics::fmt_num;
use crate::planning::probe::{Probe, Resource};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct BreaksFirst {
    /// The thresholds that do not pass there, the one furthest past its bound first.
    pub thresholds: Vec<String>,
    /// The busiest resource there.
    pub resource: Option<Resource>,
    pub sentence: String,
}

fn observed(e: &crate::stats::interval::Estimate) -> String {
    match e.ci95 {
        Some([lo, hi]) => format!("{} [{}, {}]", fmt_num(e.mean), fmt_num(lo), fmt_num(hi)),
        None => fmt_num(e.mean),
    }
}

/// What fails at `above` (a setting that does not pass at `level`), described at `where_`
/// (e.g. "at 1.2x the load (1200 VUs)").
pub fn breaks_first(above: &Probe, level: f64, where_: &str) -> BreaksFirst {
    let mut failing: Vec<_> = above
        .thresholds
        .iter()
        .filter(|t| match t.verdict {
            GateVerdict::Pass => false,
            GateVerdict::Fail => true,
            GateVerdict::Undecided => t.pass_probability < level,
        })
        .collect();
    failing.sort_by(|a, b| a.margin.total_cmp(&b.margin));
    let thresholds: Vec<String> = failing
        .iter()
        .map(|t| {
            format!(
                "{} '{}' (observed {}, P(pass) {:.2})",
                t.metric,
                t.threshold,
                observed(&t.observed),
                t.pass_probability
            )
        })
        .collect();
    let resource = above.busiest().cloned();
    let what = match thresholds.first() {
        Some(t) => format!("{t} fails first"),
        None => "no threshold is shown to fail, but P(pass) falls below the level".into(),
    };
    let busiest = match (&above.saturated_first, &resource) {
        (Some(sentence), _) => format!("; {}", sentence.trim_end_matches('.')),
        (None, Some(r)) if r.wait_ms > 0.0 => format!(
            "; the busiest resource there is {}: {:.0} % busy, {} ms mean wait",
            r.name,
            r.utilization * 100.0,
            fmt_num(r.wait_ms)
        ),
        (None, Some(r)) => format!(
            "; the busiest resource there is {}: {:.0} % busy",
            r.name,
            r.utilization * 100.0
        ),
        (None, None) => String::new(),
    };
    let backlog: String = above
        .resources
        .iter()
        .filter(|r| !r.on_request_path && r.utilization >= 0.99)
        .map(|r| {
            format!(
                "; off the request path, {} is {:.0} % busy (its backlog grows)",
                r.name,
                r.utilization * 100.0
            )
        })
        .collect();
    BreaksFirst {
        thresholds,
        resource,
        sentence: format!("{where_}, {what}{busiest}{backlog}"),
    }
}
