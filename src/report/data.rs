//! A run folder's saved results, read back for figures and documents: `summary.json`,
//! `timeseries.csv` and, when present, `latency.csv`.
//!
//! These are small structs of their own, parsed leniently (unknown fields ignored, missing
//! ones defaulted), so that plotting depends on the files' format, not on engine types,
//! and older or newer run folders still render.
//!
//! `latency.csv` (optional) holds the latency distribution per endpoint:
//!
//! ```text
//! endpoint,percentile,value_ms_mean[,value_ms_p5,value_ms_p95]   (or value_ms)
//! GET /,0,1.92
//! GET /,0.5,2.41
//! ...
//! GET /,100,812.7
//! ```
//!
//! one row per endpoint (named as in `summary.json`'s `endpoints`; `*` for all requests
//! together) and percentile (0 to 100 in steps of 0.5, 201 rows per endpoint; any
//! increasing set of percentiles is accepted), `value_ms` being the mean across
//! replications of that replication's percentile of `http_req_duration` in milliseconds.
//! Endpoints appear in the order of their first row.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Problems reading a run folder.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
}

/// A mean with its 95% interval, as summary.json writes it; `null` reads as NaN / no interval.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(from = "RawEstimate")]
pub struct Est {
    pub mean: f64,
    pub ci95: Option<[f64; 2]>,
}

impl Default for Est {
    fn default() -> Self {
        Est {
            mean: f64::NAN,
            ci95: None,
        }
    }
}

#[derive(Deserialize)]
struct RawEstimate {
    mean: Option<f64>,
    #[serde(default)]
    ci95: Option<[Option<f64>; 2]>,
}

impl From<RawEstimate> for Est {
    fn from(r: RawEstimate) -> Self {
        Est {
            mean: r.mean.unwrap_or(f64::NAN),
            ci95: match r.ci95 {
                Some([Some(lo), Some(hi)]) => Some([lo, hi]),
                _ => None,
            },
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Trend {
    pub avg: Est,
    pub min: Est,
    pub med: Est,
    pub max: Est,
    #[serde(rename = "p(90)")]
    pub p90: Est,
    #[serde(rename = "p(95)")]
    pub p95: Est,
    #[serde(rename = "p(99)")]
    pub p99: Est,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Rate {
    pub rate: Est,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Counter {
    pub count: Est,
    pub rate: Est,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Gauge {
    pub value: Est,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Metrics {
    pub http_req_duration: Trend,
    pub http_req_failed: Rate,
    pub http_reqs: Counter,
    pub iterations: Counter,
    pub dropped_iterations: Counter,
    pub vus: Gauge,
    pub vus_max: Gauge,
    pub checks: Option<Rate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Endpoint {
    pub http_req_duration: Trend,
    pub http_req_failed: Rate,
    pub http_reqs: Counter,
    pub errors: BTreeMap<String, Est>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Replicas {
    pub min: Est,
    pub max: Est,
    pub avg: Est,
    pub desired_max: Est,
    pub scale_ups: Est,
    pub scale_downs: Est,
    pub time_to_first_scale_up_s: Est,
    pub scaled_up_fraction: f64,
    pub cost_usd: Est,
    /// The autoscaler's bounds (minReplicas / maxReplicas), when summary.json gives them.
    pub min_replicas: Option<f64>,
    pub max_replicas: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Service {
    pub kind: String,
    pub utilization: Est,
    pub mean_in_flight: Est,
    pub queue_wait_ms: Est,
    pub p_wait: Est,
    pub response_ms: Est,
    pub throughput: Est,
    pub errors: BTreeMap<String, Est>,
    pub replicas: Replicas,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Database {
    pub pool_size: u32,
    pub read_replicas: u32,
    /// Pool size of each read replica, when summary.json gives it.
    pub replica_pool_size: Option<u32>,
    pub connections_in_use: Est,
    pub cpu_utilization: Est,
    pub queries_per_s: Est,
    pub query_ms: Est,
    pub pool_wait_ms: Est,
    pub pool_timeouts: Est,
}

impl Database {
    /// Connections available across the primary and its read replicas, when known.
    pub fn total_pool(&self) -> Option<u32> {
        if self.read_replicas == 0 {
            Some(self.pool_size)
        } else {
            self.replica_pool_size
                .map(|r| self.pool_size + r * self.read_replicas)
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Check {
    pub rate: Est,
    pub passes: Est,
    pub fails: Est,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Threshold {
    pub metric: String,
    pub threshold: String,
    pub observed: Est,
    pub passes: usize,
    pub replications: usize,
    pub pass_probability: Option<f64>,
    pub pass_probability_ci95: Option<[Option<f64>; 2]>,
    pub required: f64,
    pub verdict: String,
    /// P(pass) from the metric's values (absent in older files or when not used).
    pub values: Option<ValuesRule>,
    /// P(pass) from the pooled counts (proportions only; absent in older files).
    pub pooled: Option<ValuesRule>,
    pub decided_by: Option<String>,
}

/// The values rule of a threshold in summary.json.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ValuesRule {
    pub pass_probability: Option<f64>,
    pub ci: Option<[Option<f64>; 2]>,
}

impl Threshold {
    pub fn probability(&self) -> f64 {
        self.pass_probability.unwrap_or(f64::NAN)
    }

    pub fn interval(&self) -> Option<[f64; 2]> {
        match self.pass_probability_ci95 {
            Some([Some(lo), Some(hi)]) => Some([lo, hi]),
            _ => None,
        }
    }

    /// `http_req_duration p(95)<500`.
    pub fn label(&self) -> String {
        format!("{} {}", self.metric, self.threshold)
    }

    /// The limit of a simple `stat<value` / `stat<=value` / `stat>value` expression:
    /// `(stat, value)`, e.g. `("p(95)", 500.0)`.
    pub fn limit(&self) -> Option<(String, f64)> {
        parse_limit(&self.threshold)
    }
}

/// `p(95)<500` -> `("p(95)", 500)`; `rate<0.01` -> `("rate", 0.01)`. None for anything else.
pub fn parse_limit(expr: &str) -> Option<(String, f64)> {
    let s: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
    let pos = s.find(['<', '>', '=', '!'])?;
    let (stat, rest) = s.split_at(pos);
    let value = rest.trim_start_matches(['<', '>', '=', '!']);
    let value: f64 = value.parse().ok()?;
    (!stat.is_empty() && value.is_finite()).then(|| (stat.to_string(), value))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Accounting {
    pub sent: Est,
    pub succeeded: Est,
    pub failed: Est,
    pub interrupted: Est,
    pub in_flight_at_end: Est,
    pub conserved: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Cost {
    pub total_usd: Est,
    pub peak_hourly_usd: Est,
}

/// The parts of summary.json that figures and documents show.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RunSummary {
    pub capsim_version: String,
    pub experiment: String,
    pub model: String,
    pub seed: u64,
    pub replications: usize,
    pub test_run_duration_s: Est,
    pub metrics: Metrics,
    pub endpoints: BTreeMap<String, Endpoint>,
    pub services: BTreeMap<String, Service>,
    pub databases: BTreeMap<String, Database>,
    pub checks: BTreeMap<String, Check>,
    pub thresholds: Vec<Threshold>,
    pub errors: BTreeMap<String, Est>,
    pub accounting: Accounting,
    pub cost: Cost,
    /// Per stage, per fault window and after the warm-up (absent in older files).
    pub stages: Vec<StageData>,
    pub fault_windows: Vec<FaultWindowData>,
    pub steady_state: Option<SteadyData>,
    /// Absent in summaries written before the bottleneck analysis.
    pub bottlenecks: Option<crate::report::bottleneck_view::BottleneckView>,
}

// The per-window sections (stages, fault windows, steady state after the warm-up).
/// k6's HTTP and iteration metrics inside one window.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WindowData {
    pub start_s: f64,
    pub end_s: f64,
    pub http_req_duration: Trend,
    pub http_req_failed: Rate,
    pub http_reqs: Counter,
    pub iterations: Counter,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StageData {
    pub scenario: String,
    pub stage: usize,
    pub target: Option<u64>,
    #[serde(flatten)]
    pub window: WindowData,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FaultWindowData {
    pub fault: String,
    #[serde(flatten)]
    pub window: WindowData,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SteadyData {
    pub method: String,
    pub warmup_s: Option<f64>,
    pub too_short: bool,
    pub warning: Option<String>,
    #[serde(flatten)]
    pub window: WindowData,
}

/// One column of the time series: mean and 5-95% band across replications (NaN where empty).
#[derive(Debug, Clone, Default)]
pub struct SeriesColumn {
    pub mean: Vec<f64>,
    pub p5: Vec<f64>,
    pub p95: Vec<f64>,
}

/// timeseries.csv: bucket start times and the columns by name (without `_mean/_p5/_p95`).
#[derive(Debug, Clone, Default)]
pub struct TimeSeries {
    pub time_s: Vec<f64>,
    /// Column names in file order.
    pub names: Vec<String>,
    pub columns: BTreeMap<String, SeriesColumn>,
}

impl TimeSeries {
    pub fn get(&self, name: &str) -> Option<&SeriesColumn> {
        self.columns.get(name)
    }

    /// Width of a bucket, seconds (from the first two rows; 1 when unknown).
    pub fn bucket_s(&self) -> f64 {
        match self.time_s.as_slice() {
            [a, b, ..] if b > a => b - a,
            _ => 1.0,
        }
    }

    /// End of the last bucket, seconds.
    pub fn end_s(&self) -> f64 {
        self.time_s.last().map_or(0.0, |t| t + self.bucket_s())
    }

    /// Names after `prefix` of the columns that start with it, in file order
    /// (`ready_replicas_` -> the services).
    pub fn suffixes(&self, prefix: &str) -> Vec<String> {
        self.names
            .iter()
            .filter_map(|n| n.strip_prefix(prefix).map(str::to_string))
            .collect()
    }
}

/// latency.csv: per endpoint, (percentile, value in ms), percentiles increasing.
#[derive(Debug, Clone, Default)]
pub struct LatencyDistribution {
    pub endpoints: Vec<(String, Vec<(f64, f64)>)>,
}

/// Everything in a run folder that reports use.
#[derive(Debug, Clone, Default)]
pub struct RunData {
    pub dir: PathBuf,
    pub summary: RunSummary,
    pub series: TimeSeries,
    pub latency: Option<LatencyDistribution>,
}

pub const SUMMARY_FILE: &str = "summary.json";
pub const TIMESERIES_FILE: &str = "timeseries.csv";
pub const LATENCY_FILE: &str = "latency.csv";

impl RunData {
    /// A run folder's data from the bytes of its files: `summary.json` and `timeseries.csv`
    /// (required) and `latency.csv` (optional). `dir` names the folder in messages and
    /// reports.
    pub fn parse(
        dir: &Path,
        summary: &[u8],
        series: &[u8],
        latency: Option<&[u8]>,
    ) -> Result<RunData, DataError> {
        let parse_error = |file: &str, message: String| DataError::Parse {
            path: dir.join(file),
            message,
        };
        let summary: RunSummary = serde_json::from_slice(summary)
            .map_err(|e| parse_error(SUMMARY_FILE, e.to_string()))?;
        let series =
            parse_timeseries(series).map_err(|message| parse_error(TIMESERIES_FILE, message))?;
        let latency = latency
            .map(|bytes| parse_latency(bytes).map_err(|m| parse_error(LATENCY_FILE, m)))
            .transpose()?;
        Ok(RunData {
            dir: dir.to_path_buf(),
            summary,
            series,
            latency,
        })
    }
}

fn cell(s: &str, line: u64, col: &str) -> Result<f64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(f64::NAN);
    }
    s.parse()
        .map_err(|_| format!("line {line}, column `{col}`: `{s}` is not a number"))
}

pub fn parse_timeseries(bytes: &[u8]) -> Result<TimeSeries, String> {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r.headers().map_err(|e| e.to_string())?.clone();
    if header.get(0) != Some("time_s") {
        return Err("the first column must be `time_s`".into());
    }
    // Column index -> (name, which statistic).
    let mut slots: Vec<(String, usize)> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for h in header.iter().skip(1) {
        let (name, which) = if let Some(n) = h.strip_suffix("_mean") {
            (n, 0)
        } else if let Some(n) = h.strip_suffix("_p5") {
            (n, 1)
        } else if let Some(n) = h.strip_suffix("_p95") {
            (n, 2)
        } else {
            (h, 0)
        };
        if !names.iter().any(|x| x == name) {
            names.push(name.to_string());
        }
        slots.push((name.to_string(), which));
    }
    let mut ts = TimeSeries {
        names: names.clone(),
        ..Default::default()
    };
    for n in &names {
        ts.columns.insert(n.clone(), SeriesColumn::default());
    }
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        let line = rec.position().map_or(0, |p| p.line());
        ts.time_s
            .push(cell(rec.get(0).unwrap_or(""), line, "time_s")?);
        for (i, (name, which)) in slots.iter().enumerate() {
            let v = cell(rec.get(i + 1).unwrap_or(""), line, &header[i + 1])?;
            let c = ts.columns.get_mut(name).expect("column registered");
            match which {
                0 => c.mean.push(v),
                1 => c.p5.push(v),
                _ => c.p95.push(v),
            }
        }
    }
    // A column given only as a mean: its band is the mean itself.
    let n = ts.time_s.len();
    for c in ts.columns.values_mut() {
        if c.p5.len() != n {
            c.p5 = c.mean.clone();
        }
        if c.p95.len() != n {
            c.p95 = c.mean.clone();
        }
    }
    Ok(ts)
}

pub fn parse_latency(bytes: &[u8]) -> Result<LatencyDistribution, String> {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r.headers().map_err(|e| e.to_string())?.clone();
    let idx = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            format!("missing column `{name}` (expected endpoint,percentile,value_ms)")
        })
    };
    // capsim writes the mean across replications as `value_ms_mean` (with its 5-95% band
    // beside it); a hand-written file may call it `value_ms`.
    let iv = idx("value_ms_mean").or_else(|_| idx("value_ms"))?;
    let (ie, ip) = (idx("endpoint")?, idx("percentile")?);
    let mut out: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        let line = rec.position().map_or(0, |p| p.line());
        let endpoint = rec.get(ie).unwrap_or("").to_string();
        let p = cell(rec.get(ip).unwrap_or(""), line, "percentile")?;
        let v = cell(rec.get(iv).unwrap_or(""), line, "value_ms")?;
        if !(0.0..=100.0).contains(&p) {
            return Err(format!("line {line}: percentile {p} is outside 0 to 100"));
        }
        if v.is_nan() {
            continue;
        }
        match out.iter_mut().find(|(e, _)| *e == endpoint) {
            Some((_, pts)) => pts.push((p, v)),
            None => out.push((endpoint, vec![(p, v)])),
        }
    }
    for (_, pts) in &mut out {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Percentiles of a distribution never decrease; smooth out rounding noise.
        for i in 1..pts.len() {
            if pts[i].1 < pts[i - 1].1 {
                pts[i].1 = pts[i - 1].1;
            }
        }
    }
    out.retain(|(_, pts)| pts.len() >= 2);
    Ok(LatencyDistribution { endpoints: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(parse_limit("p(95)<500"), Some(("p(95)".into(), 500.0)));
        assert_eq!(parse_limit("rate <= 0.01"), Some(("rate".into(), 0.01)));
        assert_eq!(parse_limit("count>10"), Some(("count".into(), 10.0)));
        assert_eq!(parse_limit("nonsense"), None);
    }

    #[test]
    fn timeseries_with_empty_cells() {
        let csv = "time_s,vus_mean,vus_p5,vus_p95,p95_ms_mean,p95_ms_p5,p95_ms_p95\n\
                   0,1,1,1,,,\n15,2,1.5,2.5,10,9,11\n";
        let ts = parse_timeseries(csv.as_bytes()).unwrap();
        assert_eq!(ts.names, vec!["vus", "p95_ms"]);
        assert_eq!(ts.bucket_s(), 15.0);
        assert!(ts.get("p95_ms").unwrap().mean[0].is_nan());
        assert_eq!(ts.get("vus").unwrap().p95[1], 2.5);
    }

    #[test]
    fn latency_rows_group_by_endpoint() {
        let csv = "endpoint,percentile,value_ms\nGET /,0,1\nGET /,100,3\nPOST /x,0,2\nGET /,50,2\nPOST /x,100,5\n";
        let d = parse_latency(csv.as_bytes()).unwrap();
        assert_eq!(d.endpoints.len(), 2);
        assert_eq!(
            d.endpoints[0].1,
            vec![(0.0, 1.0), (50.0, 2.0), (100.0, 3.0)]
        );
    }

    #[test]
    fn estimates_accept_nulls() {
        let e: Est = serde_json::from_str(r#"{"mean": null, "ci95": null}"#).unwrap();
        assert!(e.mean.is_nan() && e.ci95.is_none());
        let e: Est = serde_json::from_str(r#"{"mean": 2.0, "ci95": [1.0, 3.0]}"#).unwrap();
        assert_eq!(e.ci95, Some([1.0, 3.0]));
    }
}
