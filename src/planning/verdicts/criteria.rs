//! The plan's success criteria: each criterion's measure on each experiment it applies
//! to, and the probability that it holds.

use crate::planning::Ran;
use crate::planning::plan::{CriterionSpec, PlanSpec};
use crate::planning::verdicts::probability::{Probability, find, num, probability};
use crate::stats::interval::{Domain, Estimate, estimate_in};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct CriterionReport {
    pub name: String,
    pub experiment: String,
    pub metric: String,
    pub condition: String,
    pub value: Estimate,
    /// Replications where the measure is undefined (never happened); they count as misses.
    pub undefined: usize,
    pub probability: Probability,
}

pub(crate) fn criterion_default_experiments(plan: &PlanSpec, c: &CriterionSpec) -> Vec<String> {
    if !c.experiments.is_empty() {
        return c.experiments.clone();
    }
    let spike = || plan.spike.as_ref().map(|s| s.experiment.clone());
    let scaling = || plan.scaling.as_ref().map(|s| s.experiment.clone());
    match c.metric.as_str() {
        "recovery_time_s" | "data_loss" | "peak_users" => spike().into_iter().collect(),
        "scale_up_time_s" | "scale_down_time_s" | "max_instances" => {
            scaling().or_else(spike).into_iter().collect()
        }
        "cost_increase" => plan.cost.iter().map(|c| c.scaled.clone()).collect(),
        _ => plan.rows.iter().map(|r| r.experiment.clone()).collect(),
    }
}

pub(crate) fn criteria(
    plan: &PlanSpec,
    runs: &[Ran],
    cost_inc: Option<&[f64]>,
) -> Vec<CriterionReport> {
    let mut out = Vec::new();
    for c in &plan.criteria {
        for name in criterion_default_experiments(plan, c) {
            let Some(run) = find(runs, &name) else {
                continue;
            };
            let values: Vec<f64> = if c.metric == "cost_increase" {
                match cost_inc {
                    Some(v) => v.to_vec(),
                    None => continue,
                }
            } else {
                run.values(|m| m.get(&c.metric).unwrap_or(f64::NAN))
            };
            let held: Vec<bool> = values
                .iter()
                .map(|&v| match (c.below, c.at_least) {
                    (Some(b), _) => v < b,
                    (_, Some(a)) => v >= a,
                    _ => false,
                })
                .collect();
            let condition = match (c.below, c.at_least) {
                (Some(b), _) => format!("{} < {}", c.metric, num(b)),
                (_, Some(a)) => format!("{} >= {}", c.metric, num(a)),
                _ => String::new(),
            };
            out.push(CriterionReport {
                name: c.name.clone(),
                experiment: name.clone(),
                metric: c.metric.clone(),
                condition,
                value: estimate_in(&values, Domain::NonNegative),
                undefined: values.iter().filter(|v| v.is_nan()).count(),
                probability: probability(&held, plan.level),
            });
        }
    }
    out
}
