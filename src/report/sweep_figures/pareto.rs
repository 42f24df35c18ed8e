//! The `sweep_pareto` figure: cost against SLO attainment with Wilson intervals, the
//! Pareto front highlighted, every point numbered, and a table of each number's
//! parameter values beside the chart.

use crate::report::figures::numbers::{fmt_num, fmt_pct};
use crate::report::figures::style::{
    AXIS, DOMINATED, DrawError, GRID, MUTED, ORANGE, bold, font, muted, note, text_w,
};
use crate::report::sweep_figures::legend::{Swatch, header};
use crate::report::sweep_figures::metric::extent;
use crate::report::sweep_figures::table::{SweepRow, SweepTable, short_names};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most points numbered on the chart and listed in its table (the Pareto points first).
const MAX_LISTED: usize = 40;

pub(super) fn draw_pareto<DB: DrawingBackend>(
    table: &SweepTable,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let names = short_names(&table.params);
    let marks = table.pareto();
    struct P<'a> {
        row: &'a SweepRow,
        cost: f64,
        att: f64,
        lo: f64,
        hi: f64,
        front: bool,
    }
    let pts: Vec<P> = table
        .rows
        .iter()
        .zip(&marks)
        .map(|(r, &front)| P {
            row: r,
            cost: table.cost(r),
            att: table.value(r, "slo_attainment"),
            lo: table.value(r, "slo_attainment_lo"),
            hi: table.value(r, "slo_attainment_hi"),
            front,
        })
        .collect();
    let n_front = pts.iter().filter(|p| p.front).count();
    let keys = vec![
        (format!("Pareto-optimal ({n_front})"), Swatch::Dot(ORANGE)),
        ("dominated".to_string(), Swatch::Dot(DOMINATED)),
        ("Pareto front".to_string(), Swatch::Line(ORANGE)),
        (
            "SLO attainment, Wilson 95%".to_string(),
            Swatch::Interval(AXIS),
        ),
    ];
    let sub = format!(
        "{} points{} · Pareto-optimal: no other point is at most as costly and at least as likely to meet the SLOs · numbers: the table",
        table.rows.len(),
        table.replications_text()
    );
    let body = header(root, "Sweep: cost versus SLO attainment", &sub, &keys)?;
    let drawable: Vec<&P> = pts
        .iter()
        .filter(|p| p.cost.is_finite() && p.att.is_finite())
        .collect();
    if drawable.is_empty() {
        return note(&body, "sweep.csv has no cost or SLO attainment to draw");
    }
    // Which points get a number: all of them when few, else the front first.
    let mut listed: Vec<&P> = drawable.iter().copied().filter(|p| p.front).collect();
    listed.extend(drawable.iter().copied().filter(|p| !p.front));
    listed.truncate(MAX_LISTED);
    listed.sort_by_key(|p| p.row.point);

    // The table: #, parameters, cost, attainment.
    let (bw, bh) = body.dim_in_pixel();
    let tstyle = font(13.0);
    let hstyle = bold(13.0);
    let mut heads: Vec<String> = vec!["#".into()];
    heads.extend(names.iter().cloned());
    heads.extend(["cost".to_string(), "SLO".to_string()]);
    let lines: Vec<Vec<String>> = listed
        .iter()
        .map(|p| {
            let mut l = vec![p.row.point.to_string()];
            l.extend(p.row.params.iter().cloned());
            l.push(if table.replica_seconds() {
                format!("{} replica-s", fmt_num(p.cost))
            } else {
                format!("${}", fmt_num(p.cost))
            });
            l.push(fmt_pct(p.att));
            l
        })
        .collect();
    let widths: Vec<i32> = (0..heads.len())
        .map(|c| {
            std::iter::once(text_w(&body, &heads[c], &hstyle))
                .chain(lines.iter().map(|l| text_w(&body, &l[c], &tstyle)))
                .max()
                .unwrap_or(10)
        })
        .collect();
    let table_w = (widths.iter().sum::<i32>() + 14 * heads.len() as i32 + 20).min(bw as i32 / 2);
    let (plot_area, table_area) = body.split_horizontally(bw as i32 - table_w);
    let row_h = 20;
    let fits = ((bh as i32 - 60) / row_h).max(1) as usize;
    {
        let mut x = 16;
        let mut y = 8;
        let mut cols_x = Vec::new();
        for (c, h) in heads.iter().enumerate() {
            cols_x.push(x);
            table_area.draw(&Text::new(h.clone(), (x, y), hstyle.clone()))?;
            x += widths[c] + 14;
        }
        y += row_h + 2;
        table_area.draw(&PathElement::new(
            vec![(8, y - 5), (x - 6, y - 5)],
            AXIS.stroke_width(1),
        ))?;
        for (p, l) in listed.iter().zip(&lines).take(fits) {
            let style = if p.front {
                hstyle.clone()
            } else {
                tstyle.clone()
            };
            if p.front {
                table_area.draw(&Circle::new((8, y + 7), 3, ORANGE.filled()))?;
            }
            for (c, s) in l.iter().enumerate() {
                table_area.draw(&Text::new(s.clone(), (cols_x[c], y), style.clone()))?;
            }
            y += row_h;
        }
        let left_out = drawable.len() - listed.len().min(fits);
        if left_out > 0 {
            table_area.draw(&Text::new(
                format!("… {left_out} more in sweep.csv"),
                (16, y + 4),
                muted(13.0),
            ))?;
        }
    }

    let (c_lo, c_hi) = extent(drawable.iter().map(|p| p.cost));
    let pad = if c_hi > c_lo {
        (c_hi - c_lo) * 0.08
    } else {
        c_lo.abs().max(1.0) * 0.05
    };
    let a_lo = extent(
        drawable
            .iter()
            .map(|p| if p.lo.is_finite() { p.lo } else { p.att }),
    )
    .0;
    let y_lo = ((a_lo * 10.0).floor() / 10.0).max(0.0) - 0.03;
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(16)
        .margin_right(24)
        .margin_top(8)
        .margin_bottom(12)
        .x_label_area_size(56)
        .y_label_area_size(88)
        .build_cartesian_2d((c_lo - pad)..(c_hi + pad), y_lo..1.05)?;
    let span = c_hi - c_lo + 2.0 * pad;
    let dec = if span >= 50.0 {
        0
    } else if span >= 1.0 {
        2
    } else {
        3
    };
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(AXIS.stroke_width(1))
        .label_style(font(15.0))
        .axis_desc_style(font(17.0))
        .x_labels(8)
        .y_labels(8)
        .x_desc(if table.replica_seconds() {
            "Cost per run (replica-seconds, mean: the model has no prices)"
        } else {
            "Cost per run (USD, mean)"
        })
        .y_desc("SLO attainment")
        .x_label_formatter(&|v: &f64| format!("${v:.dec$}"))
        .y_label_formatter(&|v: &f64| {
            if (0.0..=1.0 + 1e-9).contains(v) {
                fmt_pct(*v)
            } else {
                String::new()
            }
        })
        .draw()?;
    // Error bars, dominated points, the front, the Pareto points.
    for p in &drawable {
        if p.lo.is_finite() && p.hi.is_finite() {
            let (x, _) = chart.backend_coord(&(p.cost, p.att));
            let (_, ylo) = chart.backend_coord(&(p.cost, p.lo));
            let (_, yhi) = chart.backend_coord(&(p.cost, p.hi));
            let c = if p.front { ORANGE } else { DOMINATED };
            for seg in [
                vec![(x, ylo), (x, yhi)],
                vec![(x - 5, ylo), (x + 5, ylo)],
                vec![(x - 5, yhi), (x + 5, yhi)],
            ] {
                root.draw(&PathElement::new(seg, c.mix(0.7).stroke_width(2)))?;
            }
        }
    }
    let mut front: Vec<(f64, f64)> = drawable
        .iter()
        .filter(|p| p.front)
        .map(|p| (p.cost, p.att))
        .collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    chart.draw_series(std::iter::once(PathElement::new(
        front.clone(),
        ORANGE.stroke_width(3),
    )))?;
    for p in drawable.iter().filter(|p| !p.front) {
        chart.draw_series(std::iter::once(Circle::new(
            (p.cost, p.att),
            6,
            DOMINATED.filled(),
        )))?;
    }
    for p in drawable.iter().filter(|p| p.front) {
        chart.draw_series(std::iter::once(Circle::new(
            (p.cost, p.att),
            8,
            ORANGE.filled(),
        )))?;
        chart.draw_series(std::iter::once(Circle::new(
            (p.cost, p.att),
            8,
            WHITE.stroke_width(2),
        )))?;
    }
    // Numbers: points at (nearly) the same pixel share one label; each label takes the
    // first of eight positions around its point that overlaps no label and no point.
    let px: Vec<(i32, i32)> = listed
        .iter()
        .map(|p| chart.backend_coord(&(p.cost, p.att)))
        .collect();
    let mut groups: Vec<(Vec<usize>, (i32, i32))> = Vec::new();
    for (i, &(x, y)) in px.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|(_, (gx, gy))| (gx - x).abs() <= 6 && (gy - y).abs() <= 6)
        {
            Some((members, _)) => members.push(i),
            None => groups.push((vec![i], (x, y))),
        }
    }
    let all_px: Vec<(i32, i32)> = drawable
        .iter()
        .map(|p| chart.backend_coord(&(p.cost, p.att)))
        .collect();
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let lstyle: TextStyle = bold(14.0);
    let mut boxes: Vec<[i32; 4]> = all_px
        .iter()
        .map(|&(x, y)| [x - 8, y - 8, x + 8, y + 8])
        .collect();
    let overlaps =
        |a: &[i32; 4], b: &[i32; 4]| a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
    for (members, (x, y)) in &groups {
        let text = members
            .iter()
            .map(|&i| listed[i].row.point.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let front = members.iter().any(|&i| listed[i].front);
        let (tw, th) = root
            .estimate_text_size(&text, &lstyle)
            .map(|(w, h)| (w as i32, h as i32))
            .unwrap_or((8 * text.len() as i32, 14));
        let cands = [
            (10, -th - 6),
            (10, 4),
            (-tw - 10, -th - 6),
            (-tw - 10, 4),
            (-tw / 2, -th - 12),
            (-tw / 2, 12),
            (12, -th / 2),
            (-tw - 12, -th / 2),
            (18, -th - 18),
            (-tw - 18, 16),
        ];
        let mut chosen = None;
        for &(dx, dy) in &cands {
            let b = [x + dx, y + dy, x + dx + tw, y + dy + th];
            let inside = b[0] >= xr.start && b[2] <= xr.end && b[1] >= yr.start && b[3] <= yr.end;
            if inside && !boxes.iter().any(|o| overlaps(o, &b)) {
                chosen = Some(b);
                break;
            }
        }
        let b = chosen.unwrap_or([x + 10, y - th - 6, x + 10 + tw, y - 6]);
        boxes.push(b);
        let color = if front {
            RGBColor(0xB3, 0x5C, 0x00)
        } else {
            MUTED
        };
        root.draw(&Text::new(text, (b[0], b[1]), lstyle.clone().color(&color)))?;
    }
    Ok(())
}
