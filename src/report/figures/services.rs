//! The per-service figures `in_flight` (requests in service or queued) and `utilization`
//! (busy worker slots): one line per service.

use crate::report::data::RunData;
use crate::report::data::SeriesColumn;
use crate::report::figures::numbers::{finite_max, fmt_num, upper};
use crate::report::figures::plan::FigureSpec;
use crate::report::figures::plan::{BAND_NOTE, subtitle};
use crate::report::figures::series::{TimeAxis, band, empty_col, line, midpoints, time_chart};
use crate::report::figures::style::{DrawError, Key, LINE_W, PALETTE, Swatch, header, key, mesh};
use plotters::coord::Shift;
use plotters::prelude::*;

pub(super) fn per_service<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    t: TimeAxis,
    svcs: &[String],
    prefix: &str,
    percent: bool,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let ts = &data.series;
    let banded = svcs.len() <= 2;
    let swatch = if banded {
        Swatch::LineBand
    } else {
        Swatch::Line
    };
    let keys: Vec<Key> = svcs
        .iter()
        .enumerate()
        .map(|(i, s)| key(s.clone(), PALETTE[i % PALETTE.len()], swatch))
        .collect();
    let note = if banded {
        BAND_NOTE
    } else {
        "lines: mean across replications"
    };
    let body = header(root, &spec.title, &subtitle(data, note), &keys)?;
    let scale = if percent { 100.0 } else { 1.0 };
    let cols: Vec<SeriesColumn> = svcs
        .iter()
        .map(|s| {
            ts.get(&format!("{prefix}{s}"))
                .cloned()
                .unwrap_or_else(empty_col)
        })
        .collect();
    let top = finite_max(cols.iter().flat_map(|c| c.mean.iter().chain(&c.p95))) * scale;
    let y_max = if percent { 100.0 } else { upper(top.max(1.0)) };
    let mut chart = time_chart(&body, t, y_max, false)?;
    let ydesc = if percent {
        "Busy worker slots (%)"
    } else {
        "Requests in flight"
    };
    mesh!(chart, t.label, ydesc, &|v: &f64| fmt_num(*v));
    let xs = midpoints(data, t);
    // Bands of more than two overlapping series turn to mud: lines only then.
    if banded {
        for (i, c) in cols.iter().enumerate() {
            let s = |v: &[f64]| v.iter().map(|x| x * scale).collect::<Vec<_>>();
            let color = PALETTE[i % PALETTE.len()];
            band(&mut chart, &xs, &s(&c.p5), &s(&c.p95), color, 0.12)?;
        }
    }
    for (i, c) in cols.iter().enumerate() {
        let s: Vec<f64> = c.mean.iter().map(|x| x * scale).collect();
        line(&mut chart, &xs, &s, PALETTE[i % PALETTE.len()], LINE_W)?;
    }
    Ok(())
}
