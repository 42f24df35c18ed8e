//! What a k6 result file observed, whatever its shape: the series (`metric`,
//! `metric{name:...}`, `metric{status:...}`) and their statistics, read by `k6_result.rs`
//! (summaries) and `k6_samples.rs` (sample files).

use std::collections::BTreeMap;
use std::fmt;

/// What every refusal of an unknown shape says.
pub const SHAPES_READ: &str = "capsim reads k6's `--summary-export=FILE.json`, the \
`handleSummary(data)` object written as JSON (`JSON.stringify(data)`), `--out json=FILE.json` \
(one Metric or Point object a line) and `--out csv=FILE.csv` (header `metric_name,timestamp,\
metric_value,...`); see docs/inputs.md";

/// Which of k6's files it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum K6Shape {
    SummaryExport,
    HandleSummary,
    JsonSamples,
    CsvSamples,
}

impl K6Shape {
    pub fn describe(self) -> &'static str {
        match self {
            K6Shape::SummaryExport => "k6 --summary-export JSON",
            K6Shape::HandleSummary => "k6 handleSummary data (JSON)",
            K6Shape::JsonSamples => "k6 --out json samples (NDJSON)",
            K6Shape::CsvSamples => "k6 --out csv samples",
        }
    }
    /// Sample files hold every sample, so a tag value they lack was observed zero times.
    pub fn complete(self) -> bool {
        matches!(self, K6Shape::JsonSamples | K6Shape::CsvSamples)
    }
}

/// A k6 metric series: the metric overall, or one tag's value (`name` or `status`), written
/// as k6 writes a sub-metric (`http_req_duration{name:GET /a}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesKey {
    pub metric: String,
    pub tag: Option<(String, String)>,
}

impl SeriesKey {
    pub fn overall(metric: &str) -> SeriesKey {
        SeriesKey {
            metric: metric.to_string(),
            tag: None,
        }
    }
    pub fn tagged(metric: &str, tag: &str, value: &str) -> SeriesKey {
        SeriesKey {
            metric: metric.to_string(),
            tag: Some((tag.to_string(), value.to_string())),
        }
    }
    /// Parses `metric` or `metric{tag:value}` with one `name` or `status` tag; `None` for
    /// other sub-metrics (`{expected_response:true}`, several tags), which capsim does not
    /// compare.
    pub fn parse(key: &str) -> Option<SeriesKey> {
        let Some((metric, rest)) = key.split_once('{') else {
            return Some(SeriesKey::overall(key.trim()));
        };
        let inner = rest.strip_suffix('}')?;
        let (tag, value) = inner.split_once(':')?;
        let tag = tag.trim();
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        if tag == "status" && !value.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        (tag == "name" || tag == "status").then(|| SeriesKey::tagged(metric.trim(), tag, value))
    }
}

impl fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tag {
            None => write!(f, "{}", self.metric),
            Some((t, v)) => write!(f, "{}{{{t}:{v}}}", self.metric),
        }
    }
}

/// A request's method and URL path as the sample files tag it, to match k6's default `name`
/// tag (the URL) to capsim's endpoint names (`GET /path`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameHint {
    pub method: String,
    pub path: String,
}

/// What a k6 result file observed.
#[derive(Debug, Clone)]
pub struct Observed {
    pub shape: K6Shape,
    /// Per series, the statistics k6 reports (`avg`, `p(95)`, `rate`, `count`, ...).
    pub values: BTreeMap<SeriesKey, BTreeMap<String, f64>>,
    /// Per observed `name` tag, the method and URL path of its first sample.
    pub name_hints: BTreeMap<String, NameHint>,
    /// The test's length in seconds when the file says (handleSummary's state, or the span of
    /// the samples' timestamps).
    pub duration_s: Option<f64>,
    pub notes: Vec<String>,
}

impl Observed {
    pub fn new(shape: K6Shape) -> Observed {
        Observed {
            shape,
            values: BTreeMap::new(),
            name_hints: BTreeMap::new(),
            duration_s: None,
            notes: Vec::new(),
        }
    }
    pub fn get(&self, key: &SeriesKey, stat: &str) -> Option<f64> {
        self.values.get(key)?.get(stat).copied()
    }
}

/// The path of a URL (`http://host:80/a?b` -> `/a`); a bare path is returned as it is.
pub fn url_path(url: &str) -> String {
    let rest = match url.split_once("://") {
        Some((_, r)) => match r.find('/') {
            Some(i) => &r[i..],
            None => "/",
        },
        None => url,
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    rest[..end].to_string()
}
