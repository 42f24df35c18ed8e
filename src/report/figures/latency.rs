//! The `latency` figure: percentiles of the response time over time, with the latency
//! thresholds as limit lines.

use crate::report::data::RunData;
use crate::report::data::SeriesColumn;
use crate::report::figures::numbers::{finite_max, fmt_num, upper};
use crate::report::figures::plan::FigureSpec;
use crate::report::figures::plan::{BAND_NOTE, subtitle};
use crate::report::figures::series::{TimeAxis, band, hline, line, midpoints, time_chart};
use crate::report::figures::style::{
    BAND_ALPHA, BLUE, DrawError, Key, LIMIT, LINE_W, ORANGE, PURPLE, Swatch, header, key, mesh,
};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Thresholds on http_req_duration that have a simple limit, for drawing as lines.
fn latency_limits(data: &RunData) -> Vec<(String, f64)> {
    data.summary
        .thresholds
        .iter()
        .filter(|th| th.metric == "http_req_duration")
        .filter_map(|th| th.limit())
        .filter(|(stat, _)| {
            stat.starts_with("p(") || ["avg", "med", "min", "max"].contains(&stat.as_str())
        })
        .collect()
}

pub(super) fn latency<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    t: TimeAxis,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let ts = &data.series;
    let cols: Vec<(&str, RGBColor, &SeriesColumn)> =
        [("p50", BLUE), ("p95", ORANGE), ("p99", PURPLE)]
            .iter()
            .filter_map(|(n, c)| ts.get(&format!("{n}_ms")).map(|col| (*n, *c, col)))
            .collect();
    let limits = latency_limits(data);
    let mut keys: Vec<Key> = cols
        .iter()
        .map(|(n, c, _)| key(*n, *c, Swatch::LineBand))
        .collect();
    if !limits.is_empty() {
        keys.push(key("threshold", LIMIT, Swatch::Dashed));
    }
    let body = header(root, &spec.title, &subtitle(data, BAND_NOTE), &keys)?;
    let top = finite_max(
        cols.iter()
            .flat_map(|(_, _, c)| c.mean.iter().chain(&c.p95)),
    );
    let top = limits.iter().map(|l| l.1).fold(top, f64::max);
    let y_max = upper(if top.is_finite() { top } else { 1.0 });
    let mut chart = time_chart(&body, t, y_max, false)?;
    mesh!(chart, t.label, "Response time (ms)", &|v: &f64| fmt_num(*v));
    let xs = midpoints(data, t);
    for (_, c, col) in &cols {
        band(&mut chart, &xs, &col.p5, &col.p95, *c, BAND_ALPHA)?;
    }
    for (_, c, col) in &cols {
        line(&mut chart, &xs, &col.mean, *c, LINE_W)?;
    }
    for (stat, v) in &limits {
        hline(
            &mut chart,
            t.end,
            *v,
            LIMIT,
            &format!("{stat} < {} ms", fmt_num(*v)),
            false,
        )?;
    }
    Ok(())
}
