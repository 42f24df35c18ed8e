//! From the runs to the report's content: the predicted table rows, the success criteria
//! with their probabilities, and the contradictions in the plan's own numbers.

pub mod contradictions;
pub mod criteria;
pub mod probability;
pub mod rows;

pub use contradictions::{Contradiction, closed_loop_ceiling, contradictions};
pub use criteria::CriterionReport;
pub use probability::{Probability, num, probability};
pub use rows::{CostReport, RowReport, ScalingReport, ServiceScaling, SpikeReport};

use crate::planning::Ran;
use crate::planning::plan::PlanSpec;
use crate::planning::verdicts::criteria::criteria;
use crate::planning::verdicts::probability::find;
use crate::planning::verdicts::rows::{cost_increase, row_report, scaling_report, spike_report};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub experiment: String,
    pub replications: u32,
    pub simulated_s: f64,
    pub wall_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    pub plan: String,
    pub source: Option<String>,
    pub capsim_version: &'static str,
    pub level: f64,
    pub quick: bool,
    pub rows: Vec<RowReport>,
    pub spike: Option<SpikeReport>,
    pub scaling: Option<ScalingReport>,
    pub cost: Option<CostReport>,
    pub criteria: Vec<CriterionReport>,
    pub contradictions: Vec<Contradiction>,
    /// Plain sentences for the customer.
    pub findings: Vec<String>,
    pub timings: Vec<Timing>,
    pub total_wall_s: f64,
}

fn findings(report: &PlanReport) -> Vec<String> {
    let mut f = Vec::new();
    for r in &report.rows {
        if let Some(x) = r.expected.request_rate
            && let Some([lo, hi]) = r.request_rate.ci95
            && (x < lo || x > hi)
        {
            f.push(format!(
                "{}: capsim predicts {} req/s [{}, {}] where the plan expects {} ({:+.0} %); average response {} ms (plan {}), p(95) {} ms; the test's thresholds hold in {} of {} replications ({}).",
                r.row,
                num(r.request_rate.mean),
                num(lo),
                num(hi),
                num(x),
                (r.request_rate.mean / x - 1.0) * 100.0,
                num(r.avg_ms.mean),
                r.expected.response_time_ms.map(num).unwrap_or_else(|| "-".into()),
                num(r.p95_ms.mean),
                r.status.passes,
                r.status.replications,
                r.status.verdict
            ));
        }
    }
    let failed: Vec<String> = report
        .criteria
        .iter()
        .filter(|c| c.probability.verdict != "PASS")
        .map(|c| format!("{} [{}]: {}", c.name, c.experiment, c.probability.verdict))
        .collect();
    if failed.is_empty() {
        f.push("Every success criterion is predicted to hold.".into());
    } else {
        f.push(format!(
            "Success criteria not shown to hold: {}.",
            failed.join("; ")
        ));
    }
    if !report.contradictions.is_empty() {
        f.push(format!(
            "The plan's expected results contradict themselves or the operational laws in {} place(s) (see Contradictions): \
             they cannot all come true, whatever the infrastructure does.",
            report.contradictions.len()
        ));
    }
    f
}

pub fn build(plan: &PlanSpec, runs: &[Ran], quick: bool) -> PlanReport {
    let rows = plan
        .rows
        .iter()
        .filter_map(|row| find(runs, &row.experiment).map(|run| row_report(plan, row, run)))
        .collect();
    let spike = spike_report(plan, runs);
    let scaling = scaling_report(plan, runs);
    let cost = cost_increase(plan, runs);
    let criteria = criteria(plan, runs, cost.as_ref().map(|c| c.1.as_slice()));
    let timings: Vec<Timing> = runs
        .iter()
        .map(|r| Timing {
            experiment: r.name.clone(),
            replications: r.exp.replications,
            simulated_s: r.exp.end_time() as f64 / 1e9,
            wall_s: r.wall_s,
        })
        .collect();
    let mut report = PlanReport {
        plan: plan.name.clone(),
        source: plan.source.clone(),
        capsim_version: env!("CARGO_PKG_VERSION"),
        level: plan.level,
        quick,
        rows,
        spike,
        scaling,
        cost: cost.map(|c| c.0),
        criteria,
        contradictions: contradictions(plan, runs),
        findings: Vec::new(),
        total_wall_s: runs.iter().map(|r| r.ended_s).fold(0.0, f64::max),
        timings,
    };
    report.findings = findings(&report);
    report
}
