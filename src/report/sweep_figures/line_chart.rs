//! The one-parameter form of `sweep_heatmap`: the metric's mean with its 95% CI and SLO
//! attainment with its Wilson interval (right axis) against the parameter value.

use crate::report::figures::numbers::{fmt_num, fmt_pct};
use crate::report::figures::style::{AXIS, BLUE, DrawError, GREEN, GRID, anchored, font};
use crate::report::sweep_figures::legend::{Swatch, header};
use crate::report::sweep_figures::metric::{Metric, extent};
use crate::report::sweep_figures::table::{SweepRow, SweepTable};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// One parameter: the metric's mean with its 95% CI (left axis) and SLO attainment with
/// its Wilson interval (right axis) against the parameter value.
pub(super) fn line_chart<DB: DrawingBackend>(
    table: &SweepTable,
    metric: &Metric,
    name: &str,
    reps: &str,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let m = &metric.name;
    let levels = table.levels(0);
    let numeric: Option<Vec<f64>> = levels.iter().map(|v| v.parse::<f64>().ok()).collect();
    let xpos = |r: &SweepRow| {
        let i = levels.iter().position(|v| *v == r.params[0]).unwrap_or(0);
        match &numeric {
            Some(xs) => xs[i],
            None => i as f64,
        }
    };
    let has_att = table.has("slo_attainment");
    let mut keys = vec![
        (format!("{} mean", metric.label), Swatch::Line(BLUE)),
        ("95% CI".to_string(), Swatch::Interval(BLUE)),
    ];
    if has_att {
        keys.push((
            "SLO attainment (right axis), Wilson 95%".to_string(),
            Swatch::Line(GREEN),
        ));
    }
    let sub = format!(
        "{} points{reps} · one parameter: {}",
        table.rows.len(),
        table.params[0]
    );
    let body = header(
        root,
        &format!("Sweep: {} by {name}", metric.label),
        &sub,
        &keys,
    )?;
    let mut pts: Vec<(f64, f64, f64, f64, f64, f64, f64)> = table
        .rows
        .iter()
        .map(|r| {
            (
                xpos(r),
                table.value(r, &format!("{m}_mean")),
                table.value(r, &format!("{m}_lo")),
                table.value(r, &format!("{m}_hi")),
                table.value(r, "slo_attainment"),
                table.value(r, "slo_attainment_lo"),
                table.value(r, "slo_attainment_hi"),
            )
        })
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (x_lo, x_hi) = extent(pts.iter().map(|p| p.0));
    let pad = if x_hi > x_lo {
        (x_hi - x_lo) * 0.06
    } else {
        0.5
    };
    let y_top = extent(pts.iter().flat_map(|p| [p.1, p.3])).1;
    let y_top = if y_top.is_finite() && y_top > 0.0 {
        y_top * 1.12
    } else {
        1.0
    };
    let mut chart = ChartBuilder::on(&body)
        .margin_left(16)
        .margin_right(8)
        .margin_top(8)
        .margin_bottom(12)
        .x_label_area_size(56)
        .y_label_area_size(88)
        .right_y_label_area_size(if has_att { 88 } else { 0 })
        .build_cartesian_2d((x_lo - pad)..(x_hi + pad), 0.0..y_top)?
        .set_secondary_coord((x_lo - pad)..(x_hi + pad), 0.0..1.05);
    let lv = levels.clone();
    let is_num = numeric.is_some();
    let x_fmt = move |v: &f64| {
        if is_num {
            fmt_num(*v)
        } else if (v - v.round()).abs() < 1e-6 && *v >= 0.0 && (*v as usize) < lv.len() {
            lv[v.round() as usize].clone()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(AXIS.stroke_width(1))
        .label_style(font(15.0))
        .axis_desc_style(font(17.0))
        .x_labels(if is_num { 10 } else { levels.len() })
        .y_labels(8)
        .x_desc(name)
        .y_desc(metric.axis())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&|v: &f64| fmt_num(*v))
        .draw()?;
    if has_att {
        chart
            .configure_secondary_axes()
            .axis_style(AXIS.stroke_width(1))
            .label_style(font(15.0))
            .axis_desc_style(font(17.0))
            .y_labels(6)
            .y_desc("SLO attainment")
            .y_label_formatter(&|v: &f64| {
                if *v <= 1.0 {
                    fmt_pct(*v)
                } else {
                    String::new()
                }
            })
            .draw()?;
    }
    let cap = if x_hi > x_lo {
        (x_hi - x_lo) * 0.008
    } else {
        0.02
    };
    let line: Vec<(f64, f64)> = pts
        .iter()
        .filter(|p| p.1.is_finite())
        .map(|p| (p.0, p.1))
        .collect();
    chart.draw_series(std::iter::once(PathElement::new(
        line.clone(),
        BLUE.stroke_width(2),
    )))?;
    for p in &pts {
        if p.2.is_finite() && p.3.is_finite() {
            for seg in [
                vec![(p.0, p.2), (p.0, p.3)],
                vec![(p.0 - cap, p.2), (p.0 + cap, p.2)],
                vec![(p.0 - cap, p.3), (p.0 + cap, p.3)],
            ] {
                chart.draw_series(std::iter::once(PathElement::new(seg, BLUE.stroke_width(2))))?;
            }
        }
    }
    chart.draw_series(line.iter().map(|&(x, y)| {
        EmptyElement::at((x, y))
            + Circle::new((0, 0), 5, BLUE.filled())
            + Text::new(
                metric.fmt(y),
                (-8, -6),
                anchored(font(13.0).color(&BLUE), HPos::Right, VPos::Bottom),
            )
    }))?;
    if has_att {
        let a: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| p.4.is_finite())
            .map(|p| (p.0, p.4))
            .collect();
        chart.draw_secondary_series(std::iter::once(PathElement::new(
            a.clone(),
            GREEN.stroke_width(2),
        )))?;
        for p in &pts {
            if p.5.is_finite() && p.6.is_finite() {
                let dx = cap * 1.5;
                for seg in [
                    vec![(p.0 + dx, p.5), (p.0 + dx, p.6)],
                    vec![(p.0 + dx - cap, p.5), (p.0 + dx + cap, p.5)],
                    vec![(p.0 + dx - cap, p.6), (p.0 + dx + cap, p.6)],
                ] {
                    chart.draw_secondary_series(std::iter::once(PathElement::new(
                        seg,
                        GREEN.stroke_width(2),
                    )))?;
                }
            }
        }
        chart.draw_secondary_series(a.iter().map(|&(x, y)| {
            EmptyElement::at((x, y)) + Rectangle::new([(-5, -5), (5, 5)], GREEN.filled())
        }))?;
    }
    Ok(())
}
