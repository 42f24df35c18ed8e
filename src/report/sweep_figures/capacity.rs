//! `capacity_curve.png/.svg` of `capsim capacity`: throughput (right axis) and p(95)
//! (left axis) against the load factor, each with its 95 % band across replications,
//! every factor run marked pass or fail, the operational-law knee and the capacity limit
//! as vertical lines. Drawn from the search's answer (`capacity.json`).

use crate::planning::capacity::{Capacity, load_text};
use crate::report::figures::numbers::fmt_num;
use crate::report::figures::style::{
    AXIS, BAND_ALPHA, BLUE, DrawError, FAIL, GREY, GRID, LIMIT, ORANGE, PASS, Swatch, anchored,
    font, header, key, png_of, svg_of,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// Width and height of the figure.
pub const CAPACITY_SIZE: (u32, u32) = (1200, 720);
pub const CAPACITY_STEM: &str = "capacity_curve";

fn bounds(e: &crate::stats::interval::Estimate) -> (f64, f64) {
    match e.ci95 {
        Some([lo, hi]) => (lo, hi),
        None => (e.mean, e.mean),
    }
}

fn draw<DB: DrawingBackend>(c: &Capacity, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
    let keys = vec![
        key("p(95) response time (left)", ORANGE, Swatch::LineBand),
        key("throughput req/s (right)", BLUE, Swatch::LineBand),
        key("capacity (highest passing factor)", PASS, Swatch::Line),
        key("first failing factor", LIMIT, Swatch::Dashed),
        key("knee (bottleneck law)", GREY, Swatch::Dashed),
    ];
    let sub = format!(
        "{} · load at factor 1: {} · P(pass) >= {} · {} factors, {} replications · bands: 95% CI",
        c.experiment,
        load_text(&c.base_load),
        c.level,
        c.evaluations,
        c.replications
    );
    let body = header(
        root,
        &format!("Capacity curve: {}", c.experiment),
        &sub,
        &keys,
    )?;
    let pts = &c.points;
    let xs: Vec<f64> = pts.iter().map(|p| p.factor).collect();
    let mut x_hi = xs.iter().copied().fold(0.0, f64::max);
    if let Some(k) = c.knee_factor {
        x_hi = x_hi.max(k.min(x_hi * 1.5));
    }
    let x_hi = if x_hi > 0.0 { x_hi * 1.06 } else { 1.0 };
    let x_min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let x_lo = if x_min.is_finite() && x_min > 0.3 * x_hi {
        x_min - 0.06 * x_hi
    } else {
        0.0
    };
    let top = |f: &dyn Fn(&crate::planning::capacity::CurvePoint) -> f64| {
        let m = pts
            .iter()
            .map(f)
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        if m > 0.0 { m * 1.12 } else { 1.0 }
    };
    // Past saturation p(95) grows without bound: the axis stops at three times the
    // highest passing p(95), and points above it are drawn at the top with their value.
    let passing = pts
        .iter()
        .filter(|p| p.probe.passed)
        .map(|p| bounds(&p.probe.p95_ms).1)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let y_left = top(&|p| bounds(&p.probe.p95_ms).1);
    let y_left = if passing > 0.0 {
        y_left.min(3.0 * passing)
    } else {
        y_left
    };
    let clip = |v: f64| v.min(y_left);
    let y_right = top(&|p| bounds(&p.probe.throughput).1);
    let mut chart = ChartBuilder::on(&body)
        .margin_left(16)
        .margin_right(8)
        .margin_top(8)
        .margin_bottom(12)
        .x_label_area_size(56)
        .y_label_area_size(88)
        .right_y_label_area_size(88)
        .build_cartesian_2d(x_lo..x_hi, 0.0..y_left)?
        .set_secondary_coord(x_lo..x_hi, 0.0..y_right);
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(AXIS.stroke_width(1))
        .label_style(font(15.0))
        .axis_desc_style(font(17.0))
        .x_labels(10)
        .y_labels(8)
        .x_desc("load factor (x the experiment's load)")
        .y_desc("p(95) response time (ms)")
        .x_label_formatter(&|v: &f64| fmt_num(*v))
        .y_label_formatter(&|v: &f64| fmt_num(*v))
        .draw()?;
    chart
        .configure_secondary_axes()
        .axis_style(AXIS.stroke_width(1))
        .label_style(font(15.0))
        .axis_desc_style(font(17.0))
        .y_labels(8)
        .y_desc("throughput (req/s)")
        .y_label_formatter(&|v: &f64| fmt_num(*v))
        .draw()?;
    // Bands, then lines, then markers.
    let p95: Vec<(f64, f64, f64, f64)> = pts
        .iter()
        .map(|p| {
            let (lo, hi) = bounds(&p.probe.p95_ms);
            (p.factor, clip(p.probe.p95_ms.mean), clip(lo), clip(hi))
        })
        .filter(|q| q.1.is_finite() && q.2.is_finite() && q.3.is_finite())
        .collect();
    let thr: Vec<(f64, f64, f64, f64)> = pts
        .iter()
        .map(|p| {
            let (lo, hi) = bounds(&p.probe.throughput);
            (p.factor, p.probe.throughput.mean, lo, hi)
        })
        .filter(|q| q.1.is_finite() && q.2.is_finite() && q.3.is_finite())
        .collect();
    let band = |q: &[(f64, f64, f64, f64)]| -> Vec<(f64, f64)> {
        let mut poly: Vec<(f64, f64)> = q.iter().map(|p| (p.0, p.3)).collect();
        poly.extend(q.iter().rev().map(|p| (p.0, p.2)));
        poly
    };
    if p95.len() > 1 {
        chart.draw_series(std::iter::once(Polygon::new(
            band(&p95),
            ORANGE.mix(BAND_ALPHA).filled(),
        )))?;
    }
    if thr.len() > 1 {
        chart.draw_secondary_series(std::iter::once(Polygon::new(
            band(&thr),
            BLUE.mix(BAND_ALPHA).filled(),
        )))?;
    }
    chart.draw_series(std::iter::once(PathElement::new(
        p95.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
        ORANGE.stroke_width(2),
    )))?;
    chart.draw_secondary_series(std::iter::once(PathElement::new(
        thr.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
        BLUE.stroke_width(2),
    )))?;
    for p in pts {
        let y = p.probe.p95_ms.mean;
        if !y.is_finite() {
            continue;
        }
        let color = if p.probe.passed { PASS } else { FAIL };
        chart.draw_series(std::iter::once(
            EmptyElement::at((p.factor, clip(y))) + Circle::new((0, 0), 5, color.filled()),
        ))?;
        if y > y_left {
            chart.draw_series(std::iter::once(Text::new(
                format!("{} ms", fmt_num(y)),
                (p.factor, y_left),
                anchored(font(13.0).color(&FAIL), HPos::Right, VPos::Top),
            )))?;
        }
    }
    for p in &thr {
        chart.draw_secondary_series(std::iter::once(
            EmptyElement::at((p.0, p.1)) + Rectangle::new([(-4, -4), (4, 4)], BLUE.filled()),
        ))?;
    }
    let vline = |x: f64, color: &'static RGBColor, dashed: bool, label: String| {
        let mut segs = Vec::new();
        if dashed {
            let n = 30;
            for i in (0..n).step_by(2) {
                let a = y_left * i as f64 / n as f64;
                let b = y_left * (i + 1) as f64 / n as f64;
                segs.push(vec![(x, a), (x, b)]);
            }
        } else {
            segs.push(vec![(x, 0.0), (x, y_left)]);
        }
        (segs, color, label)
    };
    let mut lines = Vec::new();
    if let Some(f) = c.factor {
        lines.push(vline(f, &PASS, false, format!("capacity {}x", fmt_num(f))));
    }
    if let Some(f) = c.limit_factor {
        lines.push(vline(f, &LIMIT, true, format!("fails {}x", fmt_num(f))));
    }
    if let Some(k) = c.knee_factor.filter(|k| *k <= x_hi) {
        lines.push(vline(k, &GREY, true, format!("knee {}x", fmt_num(k))));
    }
    for (i, (segs, color, label)) in lines.into_iter().enumerate() {
        let x = segs[0][0].0;
        for s in segs {
            chart.draw_series(std::iter::once(PathElement::new(s, color.stroke_width(2))))?;
        }
        chart.draw_series(std::iter::once(Text::new(
            label,
            (x, y_left * (0.97 - 0.06 * i as f64)),
            anchored(font(14.0).color(color), HPos::Left, VPos::Top),
        )))?;
    }
    Ok(())
}

/// PNG and SVG of the capacity curve.
pub fn capacity_figure(c: &Capacity) -> Result<(Vec<u8>, String), DrawError> {
    Ok((
        png_of(CAPACITY_SIZE, |r| draw(c, r))?,
        svg_of(CAPACITY_SIZE, |r| draw(c, r))?,
    ))
}
