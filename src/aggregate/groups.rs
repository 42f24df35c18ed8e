//! A k6 script's groups in the summary: `group_duration` (k6's trend of each `group()`
//! call's time, from the request before it starts to the end of its last sleep) for all
//! groups together and for each group path, from the accumulators `model/groups.rs` plans.

use crate::aggregate::estimate::{TrendEstimate, trend};
use crate::engine::result::ReplicationResult;
use crate::model::experiment::Experiment;
use crate::model::threshold::Family;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct GroupsSummary {
    /// k6's `group_duration`, every group's calls together (ms).
    pub group_duration: TrendEstimate,
    /// Each group's own `group_duration` (k6's `group_duration{group:::path}`), by path.
    pub by_group: BTreeMap<String, TrendEstimate>,
    /// Calls of each group per replication (mean), by path.
    pub calls: BTreeMap<String, f64>,
    /// Each check's passes and fails per replication (means) in each group it runs in,
    /// by group path (`""`: outside every group) and check name.
    pub checks: BTreeMap<String, BTreeMap<String, GroupCheck>>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct GroupCheck {
    pub passes: f64,
    pub fails: f64,
}

/// The groups' summary; `None` when the flows have no groups.
pub fn groups(exp: &Experiment, results: &[ReplicationResult]) -> Option<GroupsSummary> {
    if exp.groups.len() <= 1 {
        return None;
    }
    let find = |group: Option<u32>| {
        exp.submetrics.iter().position(|p| {
            p.family == Family::Group && p.filter.group == group && {
                let mut rest = p.filter.clone();
                rest.group = None;
                rest.is_empty()
            }
        })
    };
    let of = |k: usize| trend(results, |r| r.submetrics.get(k).and_then(|s| s.latency));
    let whole = find(None)?;
    let mut by_group = BTreeMap::new();
    let mut calls = BTreeMap::new();
    for (g, group) in exp.groups.iter().enumerate().skip(1) {
        if let Some(k) = find(Some(g as u32)) {
            by_group.insert(group.path.clone(), of(k));
            let n: u64 = results
                .iter()
                .map(|r| r.submetrics.get(k).map_or(0, |s| s.count))
                .sum();
            calls.insert(group.path.clone(), n as f64 / results.len().max(1) as f64);
        }
    }
    let n = results.len().max(1) as f64;
    let mut checks: BTreeMap<String, BTreeMap<String, GroupCheck>> = BTreeMap::new();
    for (k, p) in exp.submetrics.iter().enumerate() {
        let (Family::Check, Some(g), Some(list)) = (p.family, p.filter.group, &p.filter.checks)
        else {
            continue;
        };
        if p.filter.scenario.is_some() {
            continue;
        }
        let (Some(group), Some(&c)) = (exp.groups.get(g as usize), list.first()) else {
            continue;
        };
        let (mut passes, mut fails) = (0u64, 0u64);
        for r in results {
            if let Some(s) = r.submetrics.get(k) {
                passes += s.count - s.bad;
                fails += s.bad;
            }
        }
        checks.entry(group.path.clone()).or_default().insert(
            exp.checks[c].name.clone(),
            GroupCheck {
                passes: passes as f64 / n,
                fails: fails as f64 / n,
            },
        );
    }
    Some(GroupsSummary {
        group_duration: of(whole),
        by_group,
        calls,
        checks,
    })
}
