//! The bottleneck analysis as the views show it: summary.json's `bottlenecks` read back
//! (the documents) or taken from the run's summary (the console), laid out as one table of
//! resources, the bound lines and the departures, so console, report.md and report.html
//! carry the same content.

use serde::Deserialize;

/// A mean with its interval as summary.json writes it (`null` reads as NaN).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(from = "RawEst")]
pub struct Est {
    pub mean: f64,
}

impl Default for Est {
    fn default() -> Self {
        Est { mean: f64::NAN }
    }
}

#[derive(Deserialize)]
struct RawEst {
    mean: Option<f64>,
}

impl From<RawEst> for Est {
    fn from(r: RawEst) -> Self {
        Est {
            mean: r.mean.unwrap_or(f64::NAN),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourceView {
    pub name: String,
    pub kind: String,
    pub capacity: Est,
    pub utilization: Est,
    pub saturated: Est,
    pub response_share: Option<Est>,
    pub refused: Est,
    pub predicted_utilization: Option<Est>,
    pub max_throughput_per_s: Option<Est>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ClosedView {
    pub vus: Est,
    pub think_time_s: Est,
    pub knee_vus: Est,
    pub throughput_bound_per_s: Est,
    pub above_knee: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BoundsView {
    pub throughput_per_s: Est,
    pub response_ms: Est,
    pub max_throughput_per_s: Option<Est>,
    pub bound_set_by: Option<String>,
    pub min_response_ms: Option<Est>,
    pub closed: Option<ClosedView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BottleneckView {
    pub headline: String,
    pub first: Option<String>,
    pub resources: Vec<ResourceView>,
    pub bounds: BoundsView,
    pub departures: Vec<String>,
}

impl BottleneckView {
    /// The view of a run's summary (the console's path; the documents read summary.json).
    pub fn of(b: &crate::aggregate::BottleneckSummary) -> Option<Self> {
        serde_json::to_value(b)
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
    }
}

fn percent(x: f64) -> String {
    if !x.is_finite() {
        "–".to_string()
    } else if x * 100.0 < 10.0 {
        format!("{:.1}%", x * 100.0)
    } else {
        format!("{:.0}%", x * 100.0)
    }
}

fn number(x: f64) -> String {
    if !x.is_finite() {
        "–".to_string()
    } else if x.abs() >= 100.0 || (x.fract() == 0.0 && x.abs() < 1e15) {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// The resource table's header.
pub const HEADER: [&str; 8] = [
    "resource", "servers", "busy", "full", "of resp", "refused", "law", "max/s",
];

/// What the short headers mean, for a line under the table.
pub const LEGEND: &str = "servers: capacity (time-averaged); busy: utilization; full: share of the time at capacity (waiting rooms, rate limits: of arrivals refused); of resp: its waits as a share of the response time; law: X·D/c from the model's demands; max/s: c/D, the requests per second it lets through.";

/// One row per resource, the named first resource marked with `◀`.
pub fn rows(v: &BottleneckView) -> Vec<Vec<String>> {
    v.resources
        .iter()
        .map(|r| {
            let mark = if v.first.as_deref() == Some(r.name.as_str()) {
                " ◀"
            } else {
                ""
            };
            vec![
                format!("{}{mark}", r.name),
                number(r.capacity.mean),
                percent(r.utilization.mean),
                percent(r.saturated.mean),
                r.response_share
                    .map_or("–".to_string(), |e| percent(e.mean)),
                number(r.refused.mean),
                r.predicted_utilization
                    .map_or("–".to_string(), |e| percent(e.mean)),
                r.max_throughput_per_s
                    .map_or("–".to_string(), |e| number(e.mean)),
            ]
        })
        .collect()
}

/// The operational-law bounds beside the simulated figures, one sentence each.
pub fn bound_lines(v: &BottleneckView) -> Vec<String> {
    let b = &v.bounds;
    let mut out = Vec::new();
    match (&b.max_throughput_per_s, &b.bound_set_by) {
        (Some(x), Some(by)) => out.push(format!(
            "Throughput {}/s simulated; the bottleneck law bounds it at {}/s (c/D of {by}).",
            number(b.throughput_per_s.mean),
            number(x.mean)
        )),
        _ => out.push(format!(
            "Throughput {}/s simulated; no model demand bounds it.",
            number(b.throughput_per_s.mean)
        )),
    }
    if let Some(r0) = &b.min_response_ms {
        out.push(format!(
            "Mean response time {} ms simulated; {} ms with no waiting anywhere (the model's demands).",
            number(b.response_ms.mean),
            number(r0.mean)
        ));
    }
    if let Some(c) = &b.closed {
        out.push(format!(
            "Closed flow: N = {} VUs on average, think time Z = {} s per request (Z = N/X - R), knee N* = (R0 + Z)·c/D_max = {} VUs; the bound min(N/(R0 + Z), c/D_max) is {}/s{}.",
            number(c.vus.mean),
            number(c.think_time_s.mean),
            number(c.knee_vus.mean),
            number(c.throughput_bound_per_s.mean),
            if c.above_knee {
                ": above the knee, more VUs only add waiting"
            } else {
                ": below the knee, throughput grows with the VUs"
            }
        ));
    }
    out
}
