//! Drawing time series of a run: the time axis and its unit, time charts, mean lines
//! over their 5-95% bands, limit lines, and grids of small-multiple panels.

use crate::report::data::{RunData, SeriesColumn};
use crate::report::figures::style::{BAND_ALPHA, DrawError, LINE_W, bold, font};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

#[derive(Clone, Copy)]
pub(super) struct TimeAxis {
    /// Seconds per axis unit.
    unit_s: f64,
    pub(super) label: &'static str,
    pub(super) end: f64,
}

impl TimeAxis {
    pub(super) fn new(end_s: f64) -> Self {
        let end_s = if end_s > 0.0 { end_s } else { 1.0 };
        if end_s > 2.0 * 3600.0 {
            TimeAxis {
                unit_s: 3600.0,
                label: "Time since start (h)",
                end: end_s / 3600.0,
            }
        } else if end_s > 300.0 {
            TimeAxis {
                unit_s: 60.0,
                label: "Time since start (min)",
                end: end_s / 60.0,
            }
        } else {
            TimeAxis {
                unit_s: 1.0,
                label: "Time since start (s)",
                end: end_s,
            }
        }
    }

    pub(super) fn of(&self, t_s: f64) -> f64 {
        t_s / self.unit_s
    }
}

pub(super) type XY = Cartesian2d<RangedCoordf64, RangedCoordf64>;

/// Runs of consecutive points where both coordinates are finite.
pub(super) fn runs(xs: &[f64], ys: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for (&x, &y) in xs.iter().zip(ys) {
        if x.is_finite() && y.is_finite() {
            cur.push((x, y));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub(super) fn line<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, XY>,
    xs: &[f64],
    ys: &[f64],
    color: RGBColor,
    width: u32,
) -> Result<(), DrawError> {
    for run in runs(xs, ys) {
        if run.len() == 1 {
            chart.draw_series(std::iter::once(Circle::new(
                run[0],
                width + 1,
                color.filled(),
            )))?;
        } else {
            chart.draw_series(LineSeries::new(run, color.stroke_width(width)))?;
        }
    }
    Ok(())
}

pub(super) fn dashed<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, XY>,
    xs: &[f64],
    ys: &[f64],
    color: RGBColor,
    width: u32,
) -> Result<(), DrawError> {
    for run in runs(xs, ys) {
        chart.draw_series(DashedLineSeries::new(run, 9, 6, color.stroke_width(width)))?;
    }
    Ok(())
}

/// The shaded region between `lo` and `hi`.
pub(super) fn band<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, XY>,
    xs: &[f64],
    lo: &[f64],
    hi: &[f64],
    color: RGBColor,
    alpha: f64,
) -> Result<(), DrawError> {
    let mut start = 0;
    let ok = |i: usize| xs[i].is_finite() && lo[i].is_finite() && hi[i].is_finite();
    let n = xs.len().min(lo.len()).min(hi.len());
    while start < n {
        while start < n && !ok(start) {
            start += 1;
        }
        let mut end = start;
        while end < n && ok(end) {
            end += 1;
        }
        if end > start + 1 {
            let mut pts: Vec<(f64, f64)> = (start..end).map(|i| (xs[i], hi[i])).collect();
            pts.extend((start..end).rev().map(|i| (xs[i], lo[i])));
            chart.draw_series(std::iter::once(Polygon::new(
                pts,
                color.mix(alpha).filled(),
            )))?;
        }
        start = end;
    }
    Ok(())
}

/// A mean line over its 5-95% band, with times converted to the axis unit.
pub(super) fn banded<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, XY>,
    xs: &[f64],
    col: &SeriesColumn,
    scale: f64,
    color: RGBColor,
) -> Result<(), DrawError> {
    let s = |v: &[f64]| v.iter().map(|x| x * scale).collect::<Vec<_>>();
    band(chart, xs, &s(&col.p5), &s(&col.p95), color, BAND_ALPHA)?;
    line(chart, xs, &s(&col.mean), color, LINE_W)
}

/// A horizontal limit line across the plot with its label above the right end.
pub(super) fn hline<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, XY>,
    x_end: f64,
    y: f64,
    color: RGBColor,
    label: &str,
    label_at_left: bool,
) -> Result<(), DrawError> {
    chart.draw_series(DashedLineSeries::new(
        vec![(0.0, y), (x_end, y)],
        10,
        6,
        color.stroke_width(2),
    ))?;
    if !label.is_empty() {
        let style = font(14.0)
            .color(&color)
            .pos(plotters::style::text_anchor::Pos::new(
                if label_at_left {
                    plotters::style::text_anchor::HPos::Left
                } else {
                    plotters::style::text_anchor::HPos::Right
                },
                plotters::style::text_anchor::VPos::Bottom,
            ));
        let x = if label_at_left { 0.0 } else { x_end };
        let dx = if label_at_left { 6 } else { -6 };
        chart.draw_series(std::iter::once(
            EmptyElement::at((x, y)) + Text::new(label.to_string(), (dx, -4), style),
        ))?;
    }
    Ok(())
}

/// A time chart on `area` with y in `0..y_max`.
pub(super) fn time_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    t: TimeAxis,
    y_max: f64,
    right_axis: bool,
) -> Result<ChartContext<'a, DB, XY>, DrawError> {
    time_chart_x(area, t, y_max, right_axis, true)
}

/// [`time_chart`], with room for the x-axis description only when `x_desc` (small
/// multiples name the time axis on the bottom row only).
pub(super) fn time_chart_x<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    t: TimeAxis,
    y_max: f64,
    right_axis: bool,
    x_desc: bool,
) -> Result<ChartContext<'a, DB, XY>, DrawError> {
    let chart = ChartBuilder::on(area)
        .margin_left(16)
        .margin_right(if right_axis { 8 } else { 32 })
        .margin_top(8)
        .margin_bottom(if x_desc { 12 } else { 4 })
        .x_label_area_size(if x_desc { 56 } else { 30 })
        .y_label_area_size(88)
        .right_y_label_area_size(if right_axis { 88 } else { 0 })
        .build_cartesian_2d(0.0..t.end, 0.0..y_max)?;
    Ok(chart)
}

/// Bucket midpoints in axis units: each value is an average over its bucket.
pub(super) fn midpoints(data: &RunData, t: TimeAxis) -> Vec<f64> {
    let half = data.series.bucket_s() / 2.0;
    data.series.time_s.iter().map(|&s| t.of(s + half)).collect()
}

pub(super) fn empty_col() -> SeriesColumn {
    SeriesColumn::default()
}

// ---------------------------------------------------------------------------------------
// Small multiples

/// Height of a figure with `rows` rows of time panels: one row is a normal figure.
pub(super) fn panel_height(rows: usize) -> u32 {
    if rows <= 1 {
        520
    } else {
        180 + 250 * rows as u32
    }
}

/// Rows and columns of a small-multiples grid of `n` panels.
pub(super) fn grid(n: usize) -> (usize, usize) {
    if n <= 3 {
        (n.max(1), 1)
    } else {
        (n.div_ceil(2), 2)
    }
}

/// Splits `body` into a grid of panels, one per name, each titled.
/// The panels with, for each, whether it is on the bottom row of its column.
pub(super) fn panels<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    n: usize,
) -> Vec<(DrawingArea<DB, Shift>, bool)> {
    let (rows, cols) = grid(n);
    body.split_evenly((rows, cols))
        .into_iter()
        .take(n)
        .enumerate()
        .map(|(i, a)| (a, i + cols >= n))
        .collect()
}

pub(super) fn panel_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, DrawError> {
    area.draw(&Text::new(title.to_string(), (24, 6), bold(17.0)))?;
    Ok(area.split_vertically(30).1)
}
