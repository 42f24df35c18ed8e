//! k6 groups of a script's flows (`group('login', fn)`): each group path (`::login`,
//! `::checkout::pay`, the root group `""`) interned to a small id at load time, with its
//! parent and depth, so the engine tags samples and times groups with integer ids.

use crate::model::experiment::{Check, Flow, FlowStep};
use crate::model::threshold::{Family, SubmetricPlan};
use crate::model::threshold_filter::Filter;
use std::collections::BTreeSet;

/// One group: its k6 path, the group it is nested in, and how deep it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// k6's path: `""` for the root group, `::outer::inner` for nested groups.
    pub path: String,
    /// The id of the enclosing group (the root group is its own parent).
    pub parent: u32,
    /// 0 for the root group, 1 for `::a`, 2 for `::a::b`.
    pub depth: u32,
}

/// The root group's id: requests outside every `group()` call, and every YAML flow's.
pub const ROOT: u32 = 0;

/// The groups of `paths` (the root `""` first, as the recording lists them), with the
/// parents a path names (`::a::b` is in `::a`; a parent never entered is added).
pub fn build_groups(paths: &[String]) -> Vec<Group> {
    let mut out = vec![Group {
        path: String::new(),
        parent: ROOT,
        depth: 0,
    }];
    for p in paths.iter().filter(|p| !p.is_empty()) {
        intern(&mut out, p);
    }
    out
}

fn intern(groups: &mut Vec<Group>, path: &str) -> u32 {
    if let Some(i) = groups.iter().position(|g| g.path == path) {
        return i as u32;
    }
    let parent = match path.rfind("::") {
        Some(0) | None => ROOT,
        Some(i) => intern(groups, &path[..i]),
    };
    let depth = groups[parent as usize].depth + 1;
    groups.push(Group {
        path: path.to_string(),
        parent,
        depth,
    });
    groups.len() as u32 - 1
}

/// The deepest nesting of `groups` (0 when there are none but the root).
pub fn max_depth(groups: &[Group]) -> u32 {
    groups.iter().map(|g| g.depth).max().unwrap_or(0)
}

/// Groups beyond this many get no `group_duration` of their own in the summary (each
/// one's accumulator is looked at whenever a group ends).
pub const MAX_SUMMARY_GROUPS: usize = 100;

/// The accumulators the summary needs when the flows have groups: `group_duration` whole
/// and by group (the first [`MAX_SUMMARY_GROUPS`]), and each check's passes in each group
/// it runs in (k6's summary lists a group's checks under it), unless a threshold has
/// made them already.
pub fn add_group_plans(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_get_parents_and_depths() {
        let g = build_groups(&["".into(), "::a::b".into(), "::c".into()]);
        let paths: Vec<&str> = g.iter().map(|g| g.path.as_str()).collect();
        assert_eq!(paths, ["", "::a", "::a::b", "::c"]);
        assert_eq!(g[2].parent, 1);
        assert_eq!(g[1].parent, ROOT);
        assert_eq!((g[1].depth, g[2].depth, g[3].depth), (1, 2, 1));
        assert_eq!(max_depth(&g), 2);
        assert_eq!(max_depth(&build_groups(&[])), 0);
    }
}
