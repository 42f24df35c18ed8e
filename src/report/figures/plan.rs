//! Which figures a run's data supports ([`plan`]), in report order: their file stems,
//! titles, captions and sizes, and the subtitle every run figure carries.

use crate::report::data::{RunData, SeriesColumn};
use crate::report::figures::numbers::fmt_num;
use crate::report::figures::series::{grid, panel_height};

/// Choices that are not in the run folder.
#[derive(Debug, Clone)]
pub struct FigureOptions {
    /// Target request rate drawn on the request-rate figure (the plan's 2,090 req/s).
    pub target_rps: Option<f64>,
    /// Size of a single-panel figure in pixels; multi-panel figures grow in height.
    pub width: u32,
    pub height: u32,
}

impl Default for FigureOptions {
    fn default() -> Self {
        FigureOptions {
            target_rps: None,
            width: 1200,
            height: 600,
        }
    }
}

/// What a figure draws, with the services, databases or endpoints it draws them for.
#[derive(Debug, Clone)]
pub(super) enum Kind {
    Latency,
    RequestRate,
    ErrorRate,
    ErrorsByCause,
    Replicas(Vec<String>),
    DbConnections(Vec<String>),
    InFlight(Vec<String>),
    Utilization(Vec<String>),
    Cost,
    Thresholds,
    LatencyDistribution(Vec<String>),
}

/// File stems of every figure [`plan`] can produce, in report order.
pub const FIGURE_STEMS: &[&str] = &[
    "latency",
    "request_rate",
    "error_rate",
    "errors_by_cause",
    "replicas",
    "db_connections",
    "in_flight",
    "utilization",
    "cost",
    "thresholds",
    "latency_distribution",
];

/// One figure to draw: file stem (`latency` -> latency.png, latency.svg), title,
/// a one-sentence caption for reports, and its size in pixels.
#[derive(Debug, Clone)]
pub struct FigureSpec {
    pub stem: String,
    pub title: String,
    pub caption: String,
    pub width: u32,
    pub height: u32,
    pub(super) kind: Kind,
}

fn changes(col: Option<&SeriesColumn>) -> bool {
    col.is_some_and(|c| {
        let vals = c
            .mean
            .iter()
            .chain(&c.p5)
            .chain(&c.p95)
            .filter(|v| v.is_finite());
        let (lo, hi) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
        hi - lo > 1e-9
    })
}

fn nonzero(col: Option<&SeriesColumn>) -> bool {
    col.is_some_and(|c| {
        c.mean
            .iter()
            .chain(&c.p95)
            .any(|v| v.is_finite() && *v > 0.0)
    })
}

/// The figures that this run's data supports, in report order.
pub fn plan(data: &RunData, opts: &FigureOptions) -> Vec<FigureSpec> {
    let (w, h) = (opts.width, opts.height);
    let ts = &data.series;
    let s = &data.summary;
    let mut out = Vec::new();
    let mut add = |stem: &str, title: &str, caption: String, height: u32, kind: Kind| {
        out.push(FigureSpec {
            stem: stem.into(),
            title: title.into(),
            caption,
            width: w,
            height,
            kind,
        })
    };
    if ts.get("p95_ms").is_some() {
        add(
            "latency",
            "Response time over time",
            "Percentiles of http_req_duration per time bucket (mean across replications, shaded 5-95% range), with the latency thresholds.".into(),
            h,
            Kind::Latency,
        );
    }
    if ts.get("request_rate").is_some() {
        add(
            "request_rate",
            "Request rate and virtual users",
            match opts.target_rps {
                Some(t) => format!(
                    "Requests per second against the target of {} req/s, and the active VUs (right axis).",
                    fmt_num(t)
                ),
                None => "Requests per second and the active VUs (right axis).".into(),
            },
            h,
            Kind::RequestRate,
        );
    }
    if ts.get("error_rate").is_some() {
        add(
            "error_rate",
            "Error rate over time",
            "Share of requests that failed per time bucket, with the http_req_failed threshold."
                .into(),
            h,
            Kind::ErrorRate,
        );
    }
    if !s.errors.is_empty() {
        let n = s.errors.len() as u32;
        add(
            "errors_by_cause",
            "Failed requests by cause",
            "Failed requests per test run by cause (mean across replications, 95% interval)."
                .into(),
            (200 + 56 * n).max(360),
            Kind::ErrorsByCause,
        );
    }
    let services = ts.suffixes("ready_replicas_");
    if !services.is_empty() {
        let changing: Vec<String> = services
            .iter()
            .filter(|svc| {
                changes(ts.get(&format!("ready_replicas_{svc}")))
                    || changes(ts.get(&format!("desired_replicas_{svc}")))
            })
            .cloned()
            .collect();
        let shown = if changing.is_empty() || services.len() <= 3 {
            services.iter().take(8).cloned().collect()
        } else {
            changing
        };
        let rows = grid(shown.len()).0;
        add(
            "replicas",
            "Replicas per service",
            "Ready replicas (solid) and the replicas the autoscaler asked for (dashed), mean and 5-95% range across replications.".into(),
            panel_height(rows),
            Kind::Replicas(shown),
        );
    }
    let dbs = ts.suffixes("db_connections_");
    if !dbs.is_empty() {
        let rows = grid(dbs.len()).0;
        add(
            "db_connections",
            "Database connections in use",
            "Connections in use per database against the pool size.".into(),
            panel_height(rows),
            Kind::DbConnections(dbs),
        );
    }
    let in_flight: Vec<String> = ts
        .suffixes("in_flight_")
        .into_iter()
        .filter(|svc| nonzero(ts.get(&format!("in_flight_{svc}"))))
        .collect();
    if !in_flight.is_empty() {
        add(
            "in_flight",
            "Requests in flight per service",
            "Requests in service or waiting in the queue, per service (all replicas together)."
                .into(),
            h,
            Kind::InFlight(in_flight),
        );
    }
    let util: Vec<String> = ts
        .suffixes("utilization_")
        .into_iter()
        .filter(|svc| nonzero(ts.get(&format!("utilization_{svc}"))))
        .collect();
    if !util.is_empty() {
        add(
            "utilization",
            "Utilization per service",
            "Share of worker slots busy per service.".into(),
            h,
            Kind::Utilization(util),
        );
    }
    if nonzero(ts.get("cost_usd")) {
        add(
            "cost",
            "Cumulative cost",
            "Cumulative infrastructure cost of the test (left axis) and the hourly spend rate (right axis).".into(),
            h,
            Kind::Cost,
        );
    }
    if !s.thresholds.is_empty() {
        let n = s.thresholds.len() as u32;
        add(
            "thresholds",
            "Threshold pass probability",
            "Probability that each threshold passes in a test run, with its 95% Wilson interval and the required level.".into(),
            (220 + 60 * n).max(360),
            Kind::Thresholds,
        );
    }
    if let Some(lat) = &data.latency {
        let eps: Vec<String> = lat.endpoints.iter().map(|(e, _)| e.clone()).collect();
        if !eps.is_empty() {
            add(
                "latency_distribution",
                "Response time distribution per endpoint",
                "Histogram and cumulative distribution of http_req_duration per endpoint (percentiles averaged across replications).".into(),
                150 + 320 * eps.len() as u32,
                Kind::LatencyDistribution(eps),
            );
        }
    }
    out
}

/// The grey line under every run figure's title: experiment, model, replications, `extra`.
pub(super) fn subtitle(data: &RunData, extra: &str) -> String {
    let s = &data.summary;
    let mut out = format!(
        "{} · model {} · {} replication{}",
        s.experiment,
        s.model,
        s.replications,
        if s.replications == 1 { "" } else { "s" }
    );
    if !extra.is_empty() {
        out.push_str(" · ");
        out.push_str(extra);
    }
    out
}

/// The subtitle's note on figures that draw bands.
pub(super) const BAND_NOTE: &str = "lines: mean, shaded: 5–95% across replications";
