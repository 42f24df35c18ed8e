//! Horizontal bars with interval whiskers on named categories, shared by the
//! `errors_by_cause` and `thresholds` figures.

use crate::report::figures::style::{AXIS, DrawError, GRID, INK, LIMIT, font};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Horizontal bars with error bars on categories `labels` (top to bottom). `root` is the
/// whole canvas (category labels are placed in its pixel coordinates), `area` the plot's.
#[allow(clippy::too_many_arguments)]
pub(super) fn hbars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    labels: &[String],
    values: &[f64],
    intervals: &[Option<[f64; 2]>],
    colors: &[RGBColor],
    x_max: f64,
    x_desc: &str,
    x_fmt: &dyn Fn(&f64) -> String,
    value_text: &dyn Fn(usize) -> String,
    vline: Option<f64>,
) -> Result<(), DrawError> {
    let n = labels.len();
    let label_style = font(15.0);
    let widest = labels
        .iter()
        .map(|l| {
            area.estimate_text_size(l, &label_style)
                .map(|s| s.0)
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    let mut chart = ChartBuilder::on(area)
        .margin_left(16)
        .margin_right(40)
        .margin_top(4)
        .margin_bottom(12)
        .x_label_area_size(56)
        .y_label_area_size((widest + 28).clamp(80, 560))
        .build_cartesian_2d(0.0..x_max, -0.5..(n as f64 - 0.5))?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(AXIS.stroke_width(1))
        .disable_y_mesh()
        .label_style(font(15.0))
        .axis_desc_style(font(17.0))
        .x_labels(12)
        .y_labels(0)
        .x_desc(x_desc)
        .x_label_formatter(x_fmt)
        .y_label_formatter(&|_| String::new())
        .draw()?;
    // Categories run top to bottom: index i is drawn at y = n-1-i.
    let y_of = |i: usize| (n - 1 - i) as f64;
    let (_, span) = chart.plotting_area().dim_in_pixel();
    let slot = span as f64 / n.max(1) as f64;
    // Bar half-height in data units: at most 16 px, at most 35% of a slot.
    let half = (16.0_f64.min(slot * 0.35)) / slot;
    let text_style = font(14.0).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Left,
        plotters::style::text_anchor::VPos::Center,
    ));
    let label_pos = plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Right,
        plotters::style::text_anchor::VPos::Center,
    );
    for i in 0..n {
        let y = y_of(i);
        let v = values[i];
        if v.is_finite() && v > 0.0 {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - half), (v.min(x_max), y + half)],
                colors[i].mix(0.85).filled(),
            )))?;
        }
        let mut text_x = if v.is_finite() { v.min(x_max) } else { 0.0 };
        if let Some([lo, hi]) = intervals[i] {
            let hi = hi.min(x_max);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(lo, y), (hi, y)],
                INK.stroke_width(2),
            )))?;
            for x in [lo, hi] {
                chart.draw_series(std::iter::once(
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, -9), (0, 9)], INK.stroke_width(2)),
                ))?;
            }
            text_x = text_x.max(hi);
        }
        chart.draw_series(std::iter::once(
            EmptyElement::at((text_x, y)) + Text::new(value_text(i), (8, 0), text_style.clone()),
        ))?;
        // The category label, right-aligned left of the axis (root pixel coordinates).
        let (px, py) = chart.backend_coord(&(0.0, y));
        root.draw(&Text::new(
            labels[i].clone(),
            (px - 12, py),
            label_style.clone().pos(label_pos),
        ))?;
    }
    if let Some(x) = vline {
        chart.draw_series(DashedLineSeries::new(
            vec![(x, -0.5), (x, n as f64 - 0.5)],
            10,
            6,
            LIMIT.stroke_width(2),
        ))?;
    }
    Ok(())
}
