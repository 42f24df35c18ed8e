//! The `request_rate` figure: requests per second (with the target rate) and active VUs
//! on a right axis.

use crate::report::data::RunData;
use crate::report::figures::numbers::{finite_max, fmt_num, nice_ceil, upper};
use crate::report::figures::plan::FigureSpec;
use crate::report::figures::plan::{BAND_NOTE, FigureOptions, subtitle};
use crate::report::figures::series::{
    TimeAxis, banded, empty_col, hline, midpoints, runs, time_chart,
};
use crate::report::figures::style::{
    AXIS, BLUE, DrawError, LIMIT, ORANGE, Swatch, font, header, key, mesh,
};
use plotters::coord::Shift;
use plotters::prelude::*;

pub(super) fn request_rate<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    opts: &FigureOptions,
    t: TimeAxis,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let ts = &data.series;
    let rate = ts.get("request_rate").cloned().unwrap_or_else(empty_col);
    let vus = ts.get("vus");
    let mut keys = vec![key("requests per second", BLUE, Swatch::LineBand)];
    if opts.target_rps.is_some() {
        keys.push(key("target", LIMIT, Swatch::Dashed));
    }
    if vus.is_some() {
        keys.push(key("active VUs (right axis)", ORANGE, Swatch::Line));
    }
    let body = header(root, &spec.title, &subtitle(data, BAND_NOTE), &keys)?;
    let top = finite_max(rate.mean.iter().chain(&rate.p95));
    let top = opts.target_rps.map_or(top, |x| top.max(x));
    let y_max = upper(if top.is_finite() { top } else { 1.0 });
    let xs = midpoints(data, t);
    let v_peak = vus.map_or(1.0, |v| finite_max(v.mean.iter().chain(&v.p95)).max(1.0));
    let mut v_max = upper(v_peak);
    // Keep the VU plateau off the target line: if they would sit at the same height,
    // give the VU axis the next nice top.
    if let Some(target) = opts.target_rps {
        for _ in 0..6 {
            if (v_peak / v_max - target / y_max).abs() >= 0.06 {
                break;
            }
            v_max = nice_ceil(v_max * 1.01);
        }
    }
    let mut chart =
        time_chart(&body, t, y_max, vus.is_some())?.set_secondary_coord(0.0..t.end, 0.0..v_max);
    mesh!(chart, t.label, "Requests per second (req/s)", &|v: &f64| {
        fmt_num(*v)
    });
    if vus.is_some() {
        chart
            .configure_secondary_axes()
            .axis_style(AXIS.stroke_width(1))
            .label_style(font(15.0))
            .axis_desc_style(font(17.0))
            .y_labels(8)
            .y_desc("Active VUs")
            .y_label_formatter(&|v: &f64| fmt_num(*v))
            .draw()?;
    }
    if let Some(v) = vus {
        for run in runs(&xs, &v.mean) {
            chart.draw_secondary_series(LineSeries::new(run, ORANGE.stroke_width(2)))?;
        }
    }
    banded(&mut chart, &xs, &rate, 1.0, BLUE)?;
    if let Some(target) = opts.target_rps {
        hline(
            &mut chart,
            t.end,
            target,
            LIMIT,
            &format!("target {} req/s", fmt_num(target)),
            false,
        )?;
    }
    Ok(())
}
