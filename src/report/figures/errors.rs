//! The error figures: `error_rate` (share of failed requests over time, with the
//! http_req_failed threshold) and `errors_by_cause` (failed requests per run by cause).

use crate::report::data::RunData;
use crate::report::figures::bars::hbars;
use crate::report::figures::numbers::{finite_max, fmt_num, fmt_pct, upper};
use crate::report::figures::plan::FigureSpec;
use crate::report::figures::plan::{BAND_NOTE, subtitle};
use crate::report::figures::series::{TimeAxis, banded, empty_col, hline, midpoints, time_chart};
use crate::report::figures::style::{DrawError, INK, LIMIT, RED, Swatch, header, key, mesh, note};
use plotters::coord::Shift;
use plotters::prelude::*;

pub(super) fn error_rate<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    t: TimeAxis,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let col = data
        .series
        .get("error_rate")
        .cloned()
        .unwrap_or_else(empty_col);
    let limits: Vec<f64> = data
        .summary
        .thresholds
        .iter()
        .filter(|th| th.metric == "http_req_failed")
        .filter_map(|th| th.limit())
        .filter(|(s, _)| s == "rate")
        .map(|(_, v)| v)
        .collect();
    let mut keys = vec![key("failed requests", RED, Swatch::LineBand)];
    if !limits.is_empty() {
        keys.push(key("threshold", LIMIT, Swatch::Dashed));
    }
    let overall = data.summary.metrics.http_req_failed.rate.mean;
    let extra = format!("overall {} failed · {BAND_NOTE}", fmt_pct(overall));
    let body = header(root, &spec.title, &subtitle(data, &extra), &keys)?;
    let top = finite_max(col.mean.iter().chain(&col.p95));
    let top = limits.iter().copied().fold(top, f64::max);
    // Percent axis; at least 0-1% so that a clean run does not magnify noise.
    let y_max = upper((top * 100.0).max(0.9));
    let mut chart = time_chart(&body, t, y_max, false)?;
    mesh!(chart, t.label, "Failed requests (%)", &|v: &f64| fmt_num(
        *v
    ));
    let xs = midpoints(data, t);
    banded(&mut chart, &xs, &col, 100.0, RED)?;
    for v in limits {
        hline(
            &mut chart,
            t.end,
            v * 100.0,
            LIMIT,
            &format!("rate < {}", fmt_pct(v)),
            false,
        )?;
    }
    Ok(())
}

/// Human names of error causes (summary.json keys).
pub fn cause_label(cause: &str) -> String {
    match cause {
        "timeout" => "timeout".into(),
        "queue_full" => "queue full (503)".into(),
        "pool_timeout" | "pool_exhausted" => "DB pool exhausted".into(),
        other => other.replace('_', " "),
    }
}

pub(super) fn errors_by_cause<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let mut causes: Vec<(&String, &crate::report::data::Est)> =
        data.summary.errors.iter().collect();
    causes.sort_by(|a, b| b.1.mean.total_cmp(&a.1.mean));
    let sent = data.summary.accounting.sent.mean;
    let keys = vec![
        key("mean per test run", RED, Swatch::Bar),
        key("95% interval", INK, Swatch::Interval),
    ];
    let extra = format!("{} requests sent per run", fmt_num(sent));
    let body = header(root, &spec.title, &subtitle(data, &extra), &keys)?;
    if causes.is_empty() {
        return note(&body, "No failed requests in any replication");
    }
    let labels: Vec<String> = causes.iter().map(|(c, _)| cause_label(c)).collect();
    let values: Vec<f64> = causes.iter().map(|(_, e)| e.mean).collect();
    let intervals: Vec<Option<[f64; 2]>> = causes.iter().map(|(_, e)| e.ci95).collect();
    let top = finite_max(
        values
            .iter()
            .chain(intervals.iter().flatten().map(|i| &i[1])),
    );
    // Room on the right for the value labels.
    let x_max = upper(top.max(1.0) * 1.25);
    let colors = vec![RED; causes.len()];
    let text = |i: usize| {
        let share = if sent > 0.0 {
            values[i] / sent
        } else {
            f64::NAN
        };
        format!("{} ({} of requests)", fmt_num(values[i]), fmt_pct(share))
    };
    hbars(
        root,
        &body,
        &labels,
        &values,
        &intervals,
        &colors,
        x_max,
        "Failed requests per test run",
        &|v: &f64| fmt_num(*v),
        &text,
        None,
    )
}
