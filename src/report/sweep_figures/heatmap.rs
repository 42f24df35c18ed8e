//! The `sweep_heatmap` figure: with two parameters, a heatmap of the metric beside a
//! heatmap of SLO attainment; with three or more, one panel per value of the third
//! parameter; with one, the line chart of `line_chart.rs`.

use crate::report::figures::numbers::fmt_pct;
use crate::report::figures::style::{
    ATTAIN, DrawError, FONT, HEAT, MISSING, anchored, bold, font, ink_on, muted, note, ramp,
    text_px, text_w,
};
use crate::report::sweep_figures::legend::{Swatch, header};
use crate::report::sweep_figures::line_chart::line_chart;
use crate::report::sweep_figures::metric::{Metric, extent};
use crate::report::sweep_figures::table::{DEFAULT_METRIC, SweepRow, SweepTable, short_names};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, VPos};

/// Options of the sweep figures.
#[derive(Debug, Clone)]
pub struct SweepFigureOptions {
    /// Metric of the heatmap (`<metric>_mean` column), e.g. `http_req_duration.p(99)`.
    pub metric: String,
    pub width: u32,
    pub height: u32,
}

impl Default for SweepFigureOptions {
    fn default() -> Self {
        SweepFigureOptions {
            metric: DEFAULT_METRIC.to_string(),
            width: 1200,
            height: 600,
        }
    }
}

/// Most panels of a 3+-parameter heatmap (values of the third parameter beyond are left out).
const MAX_PANELS: usize = 9;

/// Pixel size of the heatmap figure: one row of panels is the normal size; more rows
/// (four or more values of the third parameter) grow it.
pub fn heatmap_size(table: &SweepTable, opts: &SweepFigureOptions) -> (u32, u32) {
    if table.params.len() >= 3 {
        let n = table.levels(2).len().min(MAX_PANELS);
        let rows = n.div_ceil(3) as u32;
        if rows > 1 {
            return (opts.width, 140 + 330 * rows);
        }
    }
    (opts.width, opts.height)
}

/// Cells of a two-parameter grid: `cells[y][x]`, rows of parameter `py`, columns of `px`.
struct Grid<'a> {
    xs: Vec<String>,
    ys: Vec<String>,
    cells: Vec<Vec<Option<&'a SweepRow>>>,
    x_name: String,
    y_name: String,
}

fn grid<'a>(table: &'a SweepTable, names: &[String], keep: impl Fn(&SweepRow) -> bool) -> Grid<'a> {
    let (xs, ys) = (table.levels(0), table.levels(1));
    let mut cells = vec![vec![None; xs.len()]; ys.len()];
    for r in table.rows.iter().filter(|r| keep(r)) {
        let xi = xs.iter().position(|v| *v == r.params[0]);
        let yi = ys.iter().position(|v| *v == r.params[1]);
        if let (Some(xi), Some(yi)) = (xi, yi)
            && cells[yi][xi].is_none()
        {
            cells[yi][xi] = Some(r);
        }
    }
    Grid {
        xs,
        ys,
        cells,
        // The axes carry the knobs' full paths (`scenarios.ramp.stages[1].target`, not
        // `1.target`): the figure is read away from the command that made it.
        x_name: table
            .params
            .first()
            .cloned()
            .unwrap_or_else(|| names[0].clone()),
        y_name: table
            .params
            .get(1)
            .cloned()
            .unwrap_or_else(|| names[1].clone()),
    }
}

struct CellText {
    color: RGBColor,
    main: String,
    sub: String,
}

/// One heatmap panel in `area`: a title line, then the cells with the parameter values
/// along the axes (the first level of the y parameter at the bottom).
fn heat_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    g: &Grid,
    cell: &dyn Fn(&SweepRow) -> CellText,
) -> Result<(), DrawError> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    area.draw(&Text::new(title.to_string(), (8, 0), bold(16.0)))?;
    let tick = font(14.0);
    let label_w =
        g.ys.iter()
            .map(|v| text_w(area, v, &tick))
            .max()
            .unwrap_or(10);
    let left = 8 + 22 + label_w + 10;
    let (top, right, bottom) = (30, w - 12, h - 52);
    let (nx, ny) = (g.xs.len().max(1) as i32, g.ys.len().max(1) as i32);
    let cw = ((right - left) / nx).max(1);
    let ch = ((bottom - top) / ny).max(1);
    let (right, bottom) = (left + cw * nx, top + ch * ny);
    let big = (ch as f64 * 0.3)
        .clamp(11.0, 17.0)
        .min(cw as f64 / 5.0)
        .max(10.0);
    for (yi, row) in g.cells.iter().enumerate() {
        // The first level at the bottom.
        let y0 = bottom - ch * (yi as i32 + 1);
        for (xi, r) in row.iter().enumerate() {
            let x0 = left + cw * xi as i32;
            let rect = [(x0 + 1, y0 + 1), (x0 + cw - 1, y0 + ch - 1)];
            let (cx, cy) = (x0 + cw / 2, y0 + ch / 2);
            match r {
                Some(r) => {
                    let t = cell(r);
                    area.draw(&Rectangle::new(rect, t.color.filled()))?;
                    let ink = ink_on(t.color);
                    let one_line = t.sub.is_empty() || (ch as f64) < 2.6 * big;
                    let main_y = if one_line {
                        cy
                    } else {
                        cy - big as i32 / 2 - 2
                    };
                    area.draw(&Text::new(
                        t.main,
                        (cx, main_y),
                        anchored(
                            (FONT, text_px(big), FontStyle::Bold)
                                .into_font()
                                .color(&ink),
                            HPos::Center,
                            VPos::Center,
                        ),
                    ))?;
                    if !one_line {
                        area.draw(&Text::new(
                            t.sub,
                            (cx, cy + big as i32 / 2 + 3),
                            anchored(
                                (FONT, text_px(big * 0.8)).into_font().color(&ink),
                                HPos::Center,
                                VPos::Center,
                            ),
                        ))?;
                    }
                }
                None => {
                    area.draw(&Rectangle::new(rect, MISSING.filled()))?;
                    area.draw(&Text::new(
                        "no data",
                        (cx, cy),
                        anchored(muted(13.0), HPos::Center, VPos::Center),
                    ))?;
                }
            }
        }
    }
    for (xi, v) in g.xs.iter().enumerate() {
        let cx = left + cw * xi as i32 + cw / 2;
        area.draw(&Text::new(
            v.clone(),
            (cx, bottom + 6),
            anchored(tick.clone(), HPos::Center, VPos::Top),
        ))?;
    }
    area.draw(&Text::new(
        g.x_name.clone(),
        ((left + right) / 2, bottom + 28),
        anchored(font(15.0), HPos::Center, VPos::Top),
    ))?;
    for (yi, v) in g.ys.iter().enumerate() {
        let cy = bottom - ch * yi as i32 - ch / 2;
        area.draw(&Text::new(
            v.clone(),
            (left - 8, cy),
            anchored(tick.clone(), HPos::Right, VPos::Center),
        ))?;
    }
    area.draw(&Text::new(
        g.y_name.clone(),
        (8, (top + bottom) / 2),
        anchored(
            font(15.0).transform(FontTransform::Rotate270),
            HPos::Center,
            VPos::Top,
        ),
    ))?;
    Ok(())
}

/// Position of `v` on the colour ramp over `lo..hi`; a range narrower than 5% of its
/// magnitude is widened about its middle, so that noise-level differences stay pale.
fn scale(v: f64, (lo, hi): (f64, f64)) -> f64 {
    let min_span = 0.05 * lo.abs().max(hi.abs());
    let (lo, hi) = if hi - lo < min_span {
        let mid = (lo + hi) / 2.0;
        (mid - min_span / 2.0, mid + min_span / 2.0)
    } else {
        (lo, hi)
    };
    if hi > lo { (v - lo) / (hi - lo) } else { 0.5 }
}

fn ci_text(metric: &Metric, lo: f64, hi: f64) -> String {
    if lo.is_finite() && hi.is_finite() {
        let strip = |s: String| s.trim_end_matches(" ms").to_string();
        format!("{}–{}", strip(metric.fmt(lo)), metric.fmt(hi))
    } else {
        String::new()
    }
}

pub(super) fn draw_heatmap<DB: DrawingBackend>(
    table: &SweepTable,
    opts: &SweepFigureOptions,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let names = short_names(&table.params);
    let reps = table.replications_text();
    let Some(m) = table.metric(&opts.metric) else {
        let body = header(root, "Sweep", "sweep.csv has no metric columns", &[])?;
        return note(&body, "nothing to draw");
    };
    let metric = Metric::new(&m);
    let mean = |r: &SweepRow| table.value(r, &format!("{m}_mean"));
    let lo = |r: &SweepRow| table.value(r, &format!("{m}_lo"));
    let hi = |r: &SweepRow| table.value(r, &format!("{m}_hi"));
    let att = |r: &SweepRow| table.value(r, "slo_attainment");
    let has_att = table.has("slo_attainment");
    if table.params.len() == 1 {
        return line_chart(table, &metric, &names[0], &reps, root);
    }
    let fixed: Vec<String> = (3..table.params.len())
        .map(|k| format!("{}={}", names[k], table.levels(k)[0]))
        .collect();
    let keep_fixed =
        |r: &SweepRow| (3..table.params.len()).all(|k| r.params[k] == table.levels(k)[0]);
    if table.params.len() == 2 {
        let g = grid(table, &names, |_| true);
        let range = extent(table.rows.iter().map(mean));
        let title = format!("Sweep: {} and SLO attainment", metric.label);
        let sub = format!(
            "{} points{reps} · cells: mean with 95% CI; SLO attainment: share of replications meeting every threshold",
            table.rows.len()
        );
        let keys = vec![
            (
                format!(
                    "{}: {} to {}",
                    metric.label,
                    metric.fmt(range.0),
                    metric.fmt(range.1)
                ),
                Swatch::Ramp(&HEAT),
            ),
            (
                "SLO attainment: 0% to 100%".to_string(),
                Swatch::Ramp(&ATTAIN),
            ),
        ];
        let body = header(root, &title, &sub, &keys)?;
        let panels = if has_att {
            body.split_evenly((1, 2))
        } else {
            vec![body]
        };
        let metric_cell = |r: &SweepRow| {
            let v = mean(r);
            CellText {
                color: if v.is_finite() {
                    ramp(&HEAT, scale(v, range))
                } else {
                    MISSING
                },
                main: metric.fmt(v),
                sub: ci_text(&metric, lo(r), hi(r)),
            }
        };
        heat_panel(
            &panels[0],
            &match metric.unit {
                "" => format!("{} (mean)", metric.label),
                u => format!("{} mean ({u})", metric.label),
            },
            &g,
            &metric_cell,
        )?;
        if has_att {
            let att_cell = |r: &SweepRow| {
                let a = att(r);
                let (l, h) = (
                    table.value(r, "slo_attainment_lo"),
                    table.value(r, "slo_attainment_hi"),
                );
                CellText {
                    color: if a.is_finite() {
                        ramp(&ATTAIN, a)
                    } else {
                        MISSING
                    },
                    main: fmt_pct(a),
                    sub: if l.is_finite() && h.is_finite() {
                        format!("{}–{}", fmt_pct(l), fmt_pct(h))
                    } else {
                        String::new()
                    },
                }
            };
            heat_panel(&panels[1], "SLO attainment (Wilson 95%)", &g, &att_cell)?;
        }
        return Ok(());
    }
    // Three or more parameters: a panel per value of the third.
    let zs = table.levels(2);
    let shown = zs.len().min(MAX_PANELS);
    let rows_used: Vec<&SweepRow> = table.rows.iter().filter(|r| keep_fixed(r)).collect();
    let range = extent(rows_used.iter().map(|r| mean(r)));
    let mut sub = format!(
        "{} points{reps} · one panel per {}",
        table.rows.len(),
        names[2]
    );
    if shown < zs.len() {
        sub.push_str(&format!(" (first {shown} of {})", zs.len()));
    }
    if !fixed.is_empty() {
        sub.push_str(&format!(" · fixed at first value: {}", fixed.join(", ")));
    }
    sub.push_str(" · cells: mean");
    if has_att {
        sub.push_str(" and SLO attainment");
    }
    let title = format!(
        "Sweep: {} by {}, {} and {}",
        metric.label, names[0], names[1], names[2]
    );
    let keys = vec![(
        format!(
            "{} (mean): {} to {}",
            metric.label,
            metric.fmt(range.0),
            metric.fmt(range.1)
        ),
        Swatch::Ramp(&HEAT),
    )];
    let body = header(root, &title, &sub, &keys)?;
    let cols = shown.min(3);
    let prow = shown.div_ceil(cols);
    let panels = body.split_evenly((prow, cols));
    for (z, area) in zs.iter().take(shown).zip(&panels) {
        let g = grid(table, &names, |r| r.params[2] == *z && keep_fixed(r));
        let cell = |r: &SweepRow| {
            let v = mean(r);
            CellText {
                color: if v.is_finite() {
                    ramp(&HEAT, scale(v, range))
                } else {
                    MISSING
                },
                main: metric.fmt(v),
                sub: if has_att {
                    format!("SLO {}", fmt_pct(att(r)))
                } else {
                    String::new()
                },
            }
        };
        heat_panel(area, &format!("{} = {z}", names[2]), &g, &cell)?;
    }
    Ok(())
}
