//! The run's prediction in the exact shape of `k6 run --summary-export` (k6-summary.json):
//! k6's legacy flat export (`oldJSONSummary` in k6's `summary-wrapper.js`), each value the
//! mean across replications, so that dashboards and scripts that read k6 summaries read
//! capsim's prediction unchanged. Where it differs from summary.json: docs/inputs.md.

use crate::aggregate::estimate::TrendEstimate;
use crate::aggregate::summary::Summary;
use crate::aggregate::thresholds::Verdict;
use crate::engine::result::ReplicationResult;
use serde::Serialize;
use std::collections::BTreeMap;

/// `{"root_group": ..., "metrics": ...}` as k6 writes it.
#[derive(Debug, Clone, Serialize)]
pub struct K6SummaryExport {
    pub root_group: K6Group,
    pub metrics: BTreeMap<String, K6Metric>,
}

/// A group (k6's `root_group` and the groups under it), each holding the checks that ran
/// in it (a YAML flow's checks are all in the root group).
#[derive(Debug, Clone, Serialize)]
pub struct K6Group {
    pub name: String,
    pub path: String,
    pub id: String,
    pub groups: BTreeMap<String, K6Group>,
    pub checks: BTreeMap<String, K6Check>,
}

#[derive(Debug, Clone, Serialize)]
pub struct K6Check {
    pub name: String,
    pub path: String,
    pub id: String,
    pub passes: Num,
    pub fails: Num,
}

/// One metric's values in the legacy export's key order; `thresholds` maps each threshold
/// expression to `true` when it FAILED (the legacy export's inverted meaning).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum K6Metric {
    Trend {
        avg: Num,
        min: Num,
        med: Num,
        max: Num,
        #[serde(rename = "p(90)")]
        p90: Num,
        #[serde(rename = "p(95)")]
        p95: Num,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        thresholds: BTreeMap<String, bool>,
    },
    Counter {
        count: Num,
        rate: Num,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        thresholds: BTreeMap<String, bool>,
    },
    Gauge {
        value: Num,
        min: Num,
        max: Num,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        thresholds: BTreeMap<String, bool>,
    },
    /// A Rate: `passes` are the non-zero samples (for `http_req_failed`, the failed
    /// requests), `value` the rate.
    Rate {
        passes: Num,
        fails: Num,
        value: Num,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        thresholds: BTreeMap<String, bool>,
    },
    /// A sub-metric named only by a threshold whose values capsim does not keep.
    ThresholdsOnly { thresholds: BTreeMap<String, bool> },
}

impl K6Metric {
    fn thresholds_mut(&mut self) -> &mut BTreeMap<String, bool> {
        match self {
            K6Metric::Trend { thresholds, .. }
            | K6Metric::Counter { thresholds, .. }
            | K6Metric::Gauge { thresholds, .. }
            | K6Metric::Rate { thresholds, .. }
            | K6Metric::ThresholdsOnly { thresholds } => thresholds,
        }
    }
}

/// A number as JavaScript's `JSON.stringify` writes it: whole numbers without a `.0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if x.fract() == 0.0 && x.abs() < 9.0e15 {
            s.serialize_i64(x as i64)
        } else if x.is_finite() {
            s.serialize_f64(x)
        } else {
            s.serialize_i64(0)
        }
    }
}

/// `md5("")`: the root group's id in every k6 summary.
const ROOT_GROUP_ID: &str = "d41d8cd98f00b204e9800998ecf8427e";

fn mean_of(results: &[ReplicationResult], f: impl Fn(&ReplicationResult) -> f64) -> f64 {
    let v: Vec<f64> = results.iter().map(f).filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// A mean that is undefined in every replication (no requests) is written as 0, as k6
/// writes a trend with no samples.
fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

/// A k6 Trend metric from a trend's means across replications (thresholds filled later).
fn trend_metric(t: &TrendEstimate) -> K6Metric {
    K6Metric::Trend {
        avg: Num(finite(t.avg.mean)),
        min: Num(finite(t.min.mean)),
        med: Num(finite(t.med.mean)),
        max: Num(finite(t.max.mean)),
        p90: Num(finite(t.p90.mean)),
        p95: Num(finite(t.p95.mean)),
        thresholds: BTreeMap::new(),
    }
}

/// Builds the k6 export from the summary (trend statistics, counters, checks, thresholds)
/// and the replications (counts of failed requests, VU samples).
pub fn k6_summary_export(summary: &Summary, results: &[ReplicationResult]) -> K6SummaryExport {
    let m = &summary.metrics;
    let mut metrics = BTreeMap::new();
    let t = &m.http_req_duration;
    metrics.insert("http_req_duration".to_string(), trend_metric(t));
    metrics.insert(
        "http_req_failed".to_string(),
        K6Metric::Rate {
            passes: Num(mean_of(results, |r| r.failures as f64)),
            fails: Num(mean_of(results, |r| {
                r.requests.saturating_sub(r.failures) as f64
            })),
            value: Num(finite(m.http_req_failed.rate.mean)),
            thresholds: BTreeMap::new(),
        },
    );
    for (name, c) in [
        ("http_reqs", &m.http_reqs),
        ("iterations", &m.iterations),
        ("dropped_iterations", &m.dropped_iterations),
    ] {
        metrics.insert(
            name.to_string(),
            K6Metric::Counter {
                count: Num(finite(c.count.mean)),
                rate: Num(finite(c.rate.mean)),
                thresholds: BTreeMap::new(),
            },
        );
    }
    let last_vus = |r: &ReplicationResult| r.digest().last_vus;
    let min_vus = |r: &ReplicationResult| r.digest().min_vus;
    metrics.insert(
        "vus".to_string(),
        K6Metric::Gauge {
            value: Num(mean_of(results, last_vus)),
            min: Num(mean_of(results, min_vus)),
            max: Num(finite(m.vus.value.mean)),
            thresholds: BTreeMap::new(),
        },
    );
    let vmax = finite(m.vus_max.value.mean);
    metrics.insert(
        "vus_max".to_string(),
        K6Metric::Gauge {
            value: Num(vmax),
            min: Num(vmax),
            max: Num(vmax),
            thresholds: BTreeMap::new(),
        },
    );
    if let Some(g) = &summary.groups {
        let t = &g.group_duration;
        metrics.insert("group_duration".to_string(), trend_metric(t));
    }
    let mut checks = BTreeMap::new();
    if !summary.checks.is_empty() {
        let passes: f64 = summary.checks.values().map(|c| finite(c.passes.mean)).sum();
        let fails: f64 = summary.checks.values().map(|c| finite(c.fails.mean)).sum();
        metrics.insert(
            "checks".to_string(),
            K6Metric::Rate {
                passes: Num(passes),
                fails: Num(fails),
                value: Num(m.checks.as_ref().map_or(0.0, |c| finite(c.rate.mean))),
                thresholds: BTreeMap::new(),
            },
        );
        for (name, c) in &summary.checks {
            let path = format!("::{name}");
            checks.insert(
                name.clone(),
                K6Check {
                    name: name.clone(),
                    id: md5_hex(path.as_bytes()),
                    path,
                    passes: Num(finite(c.passes.mean)),
                    fails: Num(finite(c.fails.mean)),
                },
            );
        }
    }
    for (name, c) in &summary.custom_metrics {
        if let Some(t) = &c.trend {
            metrics.insert(name.clone(), trend_metric(t));
        } else if let Some(r) = &c.rate {
            let passes = c.passes.unwrap_or(0.0);
            metrics.insert(
                name.clone(),
                K6Metric::Rate {
                    passes: Num(finite(passes)),
                    fails: Num(finite(c.samples.unwrap_or(0.0) - passes)),
                    value: Num(finite(r.mean)),
                    thresholds: BTreeMap::new(),
                },
            );
        } else if let (Some(n), Some(ps)) = (&c.count, &c.per_second) {
            metrics.insert(
                name.clone(),
                K6Metric::Counter {
                    count: Num(finite(n.mean)),
                    rate: Num(finite(ps.mean)),
                    thresholds: BTreeMap::new(),
                },
            );
        }
    }
    for th in &summary.thresholds {
        let entry = metrics
            .entry(th.metric.clone())
            .or_insert_with(|| K6Metric::ThresholdsOnly {
                thresholds: BTreeMap::new(),
            });
        entry
            .thresholds_mut()
            .insert(th.threshold.clone(), th.verdict != Verdict::Pass);
    }
    let mut root = K6Group {
        name: String::new(),
        path: String::new(),
        id: ROOT_GROUP_ID.to_string(),
        groups: BTreeMap::new(),
        checks,
    };
    if let Some(g) = &summary.groups {
        // With groups, each check sits in the group it ran in, as k6 lists it.
        root.checks.clear();
        let paths = g.calls.keys().chain(g.checks.keys());
        for path in paths.filter(|p| !p.is_empty()) {
            group_at(&mut root, path);
        }
        for (path, list) in &g.checks {
            let group = group_at(&mut root, path);
            for (name, c) in list {
                let check_path = format!("{path}::{name}");
                group.checks.insert(
                    name.clone(),
                    K6Check {
                        name: name.clone(),
                        id: md5_hex(check_path.as_bytes()),
                        path: check_path,
                        passes: Num(finite(c.passes)),
                        fails: Num(finite(c.fails)),
                    },
                );
            }
        }
    }
    K6SummaryExport {
        root_group: root,
        metrics,
    }
}

/// The group at `path` (`::a::b`) under `root`, made (with its parents) if missing; its
/// id is the MD5 of its path, as k6 names groups.
fn group_at<'a>(root: &'a mut K6Group, path: &str) -> &'a mut K6Group {
    let mut group = root;
    let mut at = String::new();
    for name in path.split("::").skip(1) {
        at = format!("{at}::{name}");
        group = group
            .groups
            .entry(name.to_string())
            .or_insert_with(|| K6Group {
                name: name.to_string(),
                path: at.clone(),
                id: md5_hex(at.as_bytes()),
                groups: BTreeMap::new(),
                checks: BTreeMap::new(),
            });
    }
    group
}

/// MD5 (RFC 1321) as lowercase hex: k6 names groups and checks by the MD5 of their path.
pub fn md5_hex(input: &[u8]) -> String {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let k: Vec<u32> = (0..64)
        .map(|i| ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32)
        .collect();
    let mut msg = input.to_vec();
    let bit_len = (input.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_le_bytes());
    let (mut a0, mut b0, mut c0, mut d0) = (
        0x6745_2301u32,
        0xefcd_ab89u32,
        0x98ba_dcfeu32,
        0x1032_5476u32,
    );
    for chunk in msg.chunks_exact(64) {
        let mut w = [0u32; 16];
        for (i, word) in w.iter_mut().enumerate() {
            let b = &chunk[i * 4..i * 4 + 4];
            *word = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f2 = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(w[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f2.rotate_left(S[i]));
        }
        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    [a0, b0, c0, d0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_rfc_1321_vectors_and_k6_ids() {
        assert_eq!(md5_hex(b""), ROOT_GROUP_ID);
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            md5_hex(b"The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6"
        );
        // The check id of the real handleSummary object in reference/semantics.md §4.6.
        assert_eq!(
            md5_hex(b"::status is 200"),
            "6210a8cd14cd70477eba5c5e4cb3fb5f"
        );
    }
}
