//! The accumulators a script's groups need for the summary (model/groups.rs interns the
//! groups): `group_duration` whole and by group, and each check's results in each group it
//! runs in, added after the thresholds' own accumulators.

use crate::model::experiment::{Check, Experiment, Flow, FlowStep};
use crate::model::groups::{Group, ROOT};
use crate::model::threshold::{Family, SubmetricPlan};
use crate::model::threshold_filter::Filter;
use std::collections::BTreeSet;

/// Adds the groups' accumulators to a built experiment (nothing without groups).
pub fn add_to(exp: &mut Experiment) {
    add_group_plans(&mut exp.submetrics, &exp.groups, &exp.flows, &exp.checks);
}

/// Groups beyond this many get no `group_duration` of their own in the summary (each
/// one's accumulator is looked at whenever a group ends).
pub const MAX_SUMMARY_GROUPS: usize = 100;

/// The accumulators the summary needs when the flows have groups: `group_duration` whole
/// and by group (the first [`MAX_SUMMARY_GROUPS`]), and each check's passes in each group
/// it runs in (k6's summary lists a group's checks under it), unless a threshold has
/// made them already.
fn add_group_plans(
    plans: &mut Vec<SubmetricPlan>,
    groups: &[Group],
    flows: &[Flow],
    checks: &[Check],
) {
    if groups.len() <= 1 {
        return;
    }
    let mut add = |family, filter| {
        let plan = SubmetricPlan { family, filter };
        if !plans.contains(&plan) {
            plans.push(plan);
        }
    };
    let each = (1..groups.len().min(MAX_SUMMARY_GROUPS + 1)).map(|g| Some(g as u32));
    for group in std::iter::once(None).chain(each) {
        let filter = Filter {
            group,
            ..Filter::default()
        };
        add(Family::Group, filter);
    }
    for (group, name) in checks_by_group(flows, checks) {
        if group as usize > MAX_SUMMARY_GROUPS {
            continue;
        }
        let same: Vec<usize> = (0..checks.len())
            .filter(|&k| checks[k].name == name)
            .collect();
        let filter = Filter {
            group: Some(group),
            checks: Some(same),
            ..Filter::default()
        };
        add(Family::Check, filter);
    }
}

/// The (group, check name) pairs the flows' steps make, in order of first appearance.
pub fn checks_by_group(flows: &[Flow], checks: &[Check]) -> Vec<(u32, String)> {
    let mut out: BTreeSet<(u32, &str)> = BTreeSet::new();
    for f in flows {
        let mut stack = vec![ROOT];
        for step in &f.steps {
            match *step {
                FlowStep::GroupEnter { group } => stack.push(group),
                FlowStep::GroupExit { .. } if stack.len() > 1 => {
                    stack.pop();
                }
                FlowStep::Request {
                    first_check,
                    n_checks,
                    ..
                } => {
                    let g = *stack.last().unwrap_or(&ROOT);
                    for c in &checks[first_check as usize..(first_check + n_checks) as usize] {
                        out.insert((g, c.name.as_str()));
                    }
                }
                _ => {}
            }
        }
    }
    out.into_iter().map(|(g, n)| (g, n.to_string())).collect()
}
