//! `capsim compare`: a run's prediction against what k6 observed in the real test. For each
//! k6 metric overall, per `name` tag and per `status`, the predicted mean and 5-95 % band
//! across replications (from replications.csv), the observed value, the relative error
//! and whether the observation falls inside the band; the verdict holds when every
//! observation does. Run folders without replications.csv fall back to summary.json's 95 %
//! interval of the mean, which is narrower than the spread of single runs (noted).

use crate::aggregate::replication_rows::ReplicationTable;
use crate::gate::metrics::{aligned_table, fmt_num};
use crate::spec::k6_observed::{K6Shape, NameHint, Observed, SeriesKey};
use crate::stats::interval::band;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Where the predicted band comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Spread {
    /// The 5 % and 95 % quantiles of the replications' values (k6 interpolation).
    Replications { count: usize },
    /// summary.json's 95 % confidence interval of the mean (older run folders).
    MeanInterval,
}

/// One predicted value: the mean and the band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PredictedValue {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

/// A run's prediction per series and statistic.
#[derive(Debug, Clone)]
pub struct Predicted {
    pub spread: Spread,
    pub values: BTreeMap<(SeriesKey, String), PredictedValue>,
}

impl Predicted {
    /// From replications.csv: the mean and the 5-95 % band of each column.
    pub fn from_table(t: &ReplicationTable) -> Predicted {
        let values = t
            .columns
            .iter()
            .enumerate()
            .map(|(i, (k, s))| {
                let b = band(&t.column(i));
                (
                    (k.clone(), s.clone()),
                    PredictedValue {
                        mean: b.mean,
                        lo: b.p5,
                        hi: b.p95,
                    },
                )
            })
            .collect();
        Predicted {
            spread: Spread::Replications {
                count: t.rows.len(),
            },
            values,
        }
    }

    /// From means and 95 % intervals (summary.json); no interval gives an empty band (NaN).
    pub fn from_intervals(
        list: impl IntoIterator<Item = (SeriesKey, String, f64, Option<[f64; 2]>)>,
    ) -> Predicted {
        let values = list
            .into_iter()
            .map(|(k, s, mean, ci)| {
                let [lo, hi] = ci.unwrap_or([f64::NAN, f64::NAN]);
                ((k, s), PredictedValue { mean, lo, hi })
            })
            .collect();
        Predicted {
            spread: Spread::MeanInterval,
            values,
        }
    }

    fn endpoint_names(&self) -> BTreeSet<&str> {
        self.values
            .keys()
            .filter_map(|(k, _)| match &k.tag {
                Some((t, v)) if t == "name" => Some(v.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// The statistics compared for each metric (the ones k6's summary prints that capsim
/// predicts).
pub fn compared_stats(metric: &str) -> &'static [&'static str] {
    match metric {
        "http_req_duration" | "iteration_duration" => &["avg", "med", "p(90)", "p(95)", "max"],
        "http_req_failed" | "checks" => &["rate"],
        "http_reqs" | "iterations" => &["count", "rate"],
        "dropped_iterations" => &["count"],
        "vus" => &["max"],
        "vus_max" => &["value"],
        _ => &[],
    }
}

const METRIC_ORDER: [&str; 9] = [
    "http_req_duration",
    "http_req_failed",
    "http_reqs",
    "iteration_duration",
    "iterations",
    "dropped_iterations",
    "checks",
    "vus",
    "vus_max",
];

/// capsim's endpoint for k6's `name` tag: the same name, else `METHOD /path` from the
/// samples' method and URL (k6 names a request by its URL unless the script tags it), else
/// the one endpoint whose path is the name's URL path.
pub fn match_name(
    endpoints: &BTreeSet<&str>,
    name: &str,
    hint: Option<&NameHint>,
) -> Option<String> {
    if endpoints.contains(name) {
        return Some(name.to_string());
    }
    if let Some(h) = hint
        && !h.method.is_empty()
    {
        let m = format!("{} {}", h.method.to_uppercase(), h.path);
        if endpoints.contains(m.as_str()) {
            return Some(m);
        }
    }
    let path = crate::spec::k6_observed::url_path(name);
    let mut by_path = endpoints
        .iter()
        .filter(|e| e.split_once(' ').is_some_and(|(_, p)| p == path));
    match (by_path.next(), by_path.next()) {
        (Some(e), None) => Some(e.to_string()),
        _ => None,
    }
}

/// One comparison.
#[derive(Debug, Clone, Serialize)]
pub struct CompareRow {
    /// The series as capsim names it (`http_req_duration{name:GET /}`).
    pub series: String,
    pub stat: String,
    pub predicted: f64,
    /// The band (5-95 % across replications, or the 95 % interval of the mean).
    pub band: Option<[f64; 2]>,
    pub observed: f64,
    /// (predicted - observed) / observed; `None` when the observation is 0 and the
    /// prediction is not.
    pub relative_error: Option<f64>,
    /// Whether the observation lies in the band; `None` without a band.
    pub inside: Option<bool>,
    /// The `name` tag k6 wrote, when it differs from capsim's endpoint name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_as: Option<String>,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub run: String,
    pub observed_file: String,
    pub shape: K6Shape,
    pub spread: Spread,
    pub rows: Vec<CompareRow>,
    pub inside: usize,
    pub outside: usize,
    /// Every observation with a band lies inside it.
    pub passed: bool,
    pub notes: Vec<String>,
}

fn rel_error(pred: f64, obs: f64) -> Option<f64> {
    if obs != 0.0 {
        Some((pred - obs) / obs)
    } else if pred == 0.0 {
        Some(0.0)
    } else {
        None
    }
}

fn sort_key(k: &SeriesKey, stat: &str) -> (u8, String, usize, usize) {
    let kind = match &k.tag {
        None => 0,
        Some((t, _)) if t == "name" => 1,
        Some(_) => 2,
    };
    let value = k.tag.as_ref().map(|(_, v)| v.clone()).unwrap_or_default();
    let m = METRIC_ORDER
        .iter()
        .position(|&m| m == k.metric)
        .unwrap_or(METRIC_ORDER.len());
    let s = compared_stats(&k.metric)
        .iter()
        .position(|&x| x == stat)
        .unwrap_or(9);
    (kind, value, m, s)
}

/// Compares `pred` with `obs`; `run` and `file` name the two for the report.
pub fn compare(pred: &Predicted, obs: &Observed, run: &str, file: &str) -> Comparison {
    let endpoints = pred.endpoint_names();
    let mut notes = obs.notes.clone();
    // (capsim's series, observed series) pairs.
    let mut pairs: Vec<(SeriesKey, Option<SeriesKey>)> = Vec::new();
    let mut unmatched = Vec::new();
    for key in obs.values.keys() {
        let mapped = match &key.tag {
            Some((t, v)) if t == "name" => match match_name(&endpoints, v, obs.name_hints.get(v)) {
                Some(e) => SeriesKey::tagged(&key.metric, "name", &e),
                None => {
                    if key.metric == "http_reqs" || !obs.shape.complete() {
                        unmatched.push(v.clone());
                    }
                    continue;
                }
            },
            _ => key.clone(),
        };
        pairs.push((mapped, Some(key.clone())));
    }
    // Sample files hold every request: a predicted endpoint or status they lack was
    // observed zero times.
    if obs.shape.complete() {
        let seen: BTreeSet<SeriesKey> = pairs.iter().map(|p| p.0.clone()).collect();
        let missing: BTreeSet<SeriesKey> = pred
            .values
            .iter()
            .filter(|((k, _), v)| k.metric == "http_reqs" && k.tag.is_some() && v.mean > 0.0)
            .map(|((k, _), _)| k.clone())
            .filter(|k| !seen.contains(k))
            .collect();
        pairs.extend(missing.into_iter().map(|k| (k, None)));
    }
    let mut rows = Vec::new();
    let mut no_prediction = BTreeSet::new();
    for (key, okey) in &pairs {
        for &stat in compared_stats(&key.metric) {
            let observed = match okey {
                Some(o) => obs.get(o, stat),
                None if stat == "count" => Some(0.0),
                None => obs.duration_s.map(|_| 0.0),
            };
            let Some(observed) = observed.filter(|x| x.is_finite()) else {
                continue;
            };
            let Some(p) = pred.values.get(&(key.clone(), stat.to_string())) else {
                no_prediction.insert(format!("{key}.{stat}"));
                continue;
            };
            let has_band = p.lo.is_finite() && p.hi.is_finite();
            let eps = 1e-9 * p.lo.abs().max(p.hi.abs()).max(1e-12);
            let observed_as = okey
                .as_ref()
                .filter(|o| o != &key)
                .and_then(|o| o.tag.as_ref().map(|(_, v)| v.clone()));
            rows.push(CompareRow {
                series: key.to_string(),
                stat: stat.to_string(),
                predicted: p.mean,
                band: has_band.then_some([p.lo, p.hi]),
                observed,
                relative_error: rel_error(p.mean, observed),
                inside: has_band.then_some(observed >= p.lo - eps && observed <= p.hi + eps),
                observed_as,
            });
        }
    }
    rows.sort_by(|a, b| {
        let ka = SeriesKey::parse(&a.series).map(|k| sort_key(&k, &a.stat));
        let kb = SeriesKey::parse(&b.series).map(|k| sort_key(&k, &b.stat));
        ka.cmp(&kb)
    });
    if !unmatched.is_empty() {
        unmatched.sort();
        unmatched.dedup();
        notes.push(format!(
            "{} observed `name` tag(s) match no endpoint of the model and are not compared (e.g. `{}`); \
             name the requests as the model does (`GET /path`) with a `name` tag in the script",
            unmatched.len(),
            crate::spec::confine::sanitize(&unmatched[0], 60)
        ));
    }
    if !no_prediction.is_empty() {
        notes.push(format!(
            "{} observed value(s) have no prediction in the run and are not compared (e.g. `{}`)",
            no_prediction.len(),
            crate::spec::confine::sanitize(no_prediction.iter().next().map_or("", |s| s), 60)
        ));
    }
    match pred.spread {
        Spread::MeanInterval => notes.push(
            "this run folder has no replications.csv (written by `capsim run` since this version), so the band \
             is summary.json's 95 % interval of the mean, narrower than the spread of single runs: rerun \
             the experiment for the 5-95 % band across replications"
                .into(),
        ),
        Spread::Replications { count } if count < 20 => notes.push(format!(
            "the band is the 5-95 % quantiles of {count} replications; with fewer than 20 it is itself \
             uncertain (run more with `-n`)"
        )),
        Spread::Replications { .. } => {}
    }
    let inside = rows.iter().filter(|r| r.inside == Some(true)).count();
    let outside = rows.iter().filter(|r| r.inside == Some(false)).count();
    Comparison {
        run: run.to_string(),
        observed_file: file.to_string(),
        shape: obs.shape,
        spread: pred.spread,
        passed: outside == 0 && inside > 0,
        rows,
        inside,
        outside,
        notes,
    }
}

impl Comparison {
    /// The console report: a table and the verdict.
    pub fn table(&self) -> String {
        let band_name = match self.spread {
            Spread::Replications { count } => {
                format!("mean and 5-95 % band across {count} replications")
            }
            Spread::MeanInterval => "mean and its 95 % interval".into(),
        };
        let mut s = format!(
            "\n  prediction: {} ({band_name})\n  observed:   {} ({})\n\n",
            self.run,
            self.observed_file,
            self.shape.describe()
        );
        let rows: Vec<[String; 7]> = self
            .rows
            .iter()
            .map(|r| {
                let series = match &r.observed_as {
                    Some(o) => format!("{} (k6: {o})", r.series),
                    None => r.series.clone(),
                };
                [
                    series,
                    r.stat.clone(),
                    fmt_num(r.predicted),
                    r.band.map_or("-".into(), |[a, b]| {
                        format!("{} .. {}", fmt_num(a), fmt_num(b))
                    }),
                    fmt_num(r.observed),
                    r.relative_error
                        .map_or("-".into(), |e| format!("{:+.1}%", e * 100.0)),
                    match r.inside {
                        Some(true) => "yes".into(),
                        Some(false) => "NO".into(),
                        None => "-".into(),
                    },
                ]
            })
            .collect();
        s.push_str(&aligned_table(
            [
                "series",
                "stat",
                "predicted",
                "band",
                "observed",
                "error",
                "inside",
            ],
            &rows,
        ));
        for n in &self.notes {
            s.push_str(&format!("\n  note: {n}"));
        }
        s.push_str(&format!("\n\n  {}\n", self.verdict()));
        s
    }

    /// The verdict line.
    pub fn verdict(&self) -> String {
        let n = self.inside + self.outside;
        if self.passed {
            format!("verdict: PASS, all {n} observations inside the predicted band")
        } else if n == 0 {
            "verdict: nothing compared (no observation has a predicted band)".into()
        } else {
            let worst: Vec<String> = self
                .rows
                .iter()
                .filter(|r| r.inside == Some(false))
                .take(3)
                .map(|r| format!("{} {}", r.series, r.stat))
                .collect();
            format!(
                "verdict: FAIL, {} of {n} observations outside the predicted band ({}{})",
                self.outside,
                worst.join(", "),
                if self.outside > 3 { ", ..." } else { "" }
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_by_name_then_method_and_path() {
        let e: BTreeSet<&str> = ["GET /a", "POST /b", "checkout"].into_iter().collect();
        assert_eq!(
            match_name(&e, "checkout", None).as_deref(),
            Some("checkout")
        );
        let h = NameHint {
            method: "POST".into(),
            path: "/b".into(),
        };
        assert_eq!(
            match_name(&e, "http://x/b", Some(&h)).as_deref(),
            Some("POST /b")
        );
        assert_eq!(
            match_name(&e, "http://x/a?q=1", None).as_deref(),
            Some("GET /a")
        );
        assert_eq!(match_name(&e, "http://x/zzz", None), None);
    }

    #[test]
    fn relative_errors() {
        assert_eq!(rel_error(110.0, 100.0), Some(0.1));
        assert_eq!(rel_error(0.0, 0.0), Some(0.0));
        assert_eq!(rel_error(1.0, 0.0), None);
    }
}
