//! Figures of a sweep folder, drawn from its `sweep.csv` (see [`crate::gate::sweep::csv`]):
//!
//! - `sweep_heatmap.png/.svg`: with two parameters, a heatmap of a metric (default the mean
//!   p(95)) beside a heatmap of SLO attainment, every cell annotated; with one parameter, a
//!   line chart of both with their 95% intervals as error bars; with three or more, one
//!   heatmap panel per value of the third parameter (the fourth and later fixed at their
//!   first value), cells coloured by the metric and annotated with it and the attainment.
//! - `sweep_pareto.png/.svg`: cost against SLO attainment, Wilson intervals as error bars,
//!   the Pareto-optimal points highlighted and joined by the front, every point numbered,
//!   and a table beside the chart giving each number's parameter values.
//!
//! The reader is tolerant: columns are found by name, unknown columns are ignored, empty
//! cells read as missing.

use crate::report::data::DataError;
use crate::report::figures::{
    AXIS, BLUE, DrawError, FONT, GREEN, GRID, INK, MUTED, ORANGE, RED, YELLOW, bold, fmt_money,
    fmt_num, fmt_pct, font, muted, png_of, svg_of,
};
use crate::report::files::write_atomic;
use crate::report::render::RenderError;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// File name of a sweep's table inside its folder.
pub const SWEEP_CSV: &str = "sweep.csv";
/// Stems of the figures written next to it.
pub const HEATMAP_STEM: &str = "sweep_heatmap";
pub const PARETO_STEM: &str = "sweep_pareto";
/// The metric the heatmap colours by default (`<metric>_mean/_lo/_hi` columns).
pub const DEFAULT_METRIC: &str = "http_req_duration.p(95)";

// ---------------------------------------------------------------------------------------
// Reading sweep.csv

/// A sweep.csv: parameter columns, then named value columns.
#[derive(Debug, Clone)]
pub struct SweepTable {
    /// Parameter paths, in grid order (the first varies slowest).
    pub params: Vec<String>,
    pub rows: Vec<SweepRow>,
    columns: HashMap<String, usize>,
}

#[derive(Debug, Clone)]
pub struct SweepRow {
    pub point: usize,
    /// Values of the parameters, as written.
    pub params: Vec<String>,
    cells: Vec<String>,
}

impl SweepTable {
    /// Parses sweep.csv text: `point`, the parameters, then `replications` and the metric
    /// columns. Columns other than `point` and the parameters are looked up by name.
    pub fn parse(text: &str) -> Result<SweepTable, String> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let head: Vec<String> = reader
            .headers()
            .map_err(|e| format!("header: {e}"))?
            .iter()
            .map(|s| s.trim().to_string())
            .collect();
        if head.first().map(String::as_str) != Some("point") {
            return Err("the first column must be `point`".into());
        }
        let is_value = |h: &str| {
            h == "replications"
                || h.ends_with("_mean")
                || h.starts_with("P(")
                || h.starts_with("slo_attainment")
                || h == "pareto"
        };
        let n_params = head[1..].iter().take_while(|h| !is_value(h)).count();
        if n_params == 0 {
            return Err("no parameter columns between `point` and the values".into());
        }
        let params = head[1..=n_params].to_vec();
        let columns = head
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        let mut rows = Vec::new();
        for (line, rec) in reader.records().enumerate() {
            let rec = rec.map_err(|e| format!("row {}: {e}", line + 1))?;
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let cells: Vec<String> = rec.iter().map(|c| c.trim().to_string()).collect();
            let point = cells[0]
                .parse::<usize>()
                .map_err(|_| format!("row {}: `point` is not a number", line + 1))?;
            if cells.len() <= n_params {
                return Err(format!("row {}: too few cells", line + 1));
            }
            rows.push(SweepRow {
                point,
                params: cells[1..=n_params].to_vec(),
                cells,
            });
        }
        if rows.is_empty() {
            return Err("no rows".into());
        }
        Ok(SweepTable {
            params,
            rows,
            columns,
        })
    }

    /// Reads `dir/sweep.csv`.
    pub fn load(dir: &Path) -> Result<SweepTable, DataError> {
        let path = dir.join(SWEEP_CSV);
        let text = std::fs::read_to_string(&path).map_err(|source| DataError::Io {
            path: path.clone(),
            source,
        })?;
        SweepTable::parse(&text).map_err(|message| DataError::Parse { path, message })
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// A numeric cell; NaN when the column is absent or the cell empty or not a number.
    pub fn value(&self, row: &SweepRow, column: &str) -> f64 {
        self.columns
            .get(column)
            .and_then(|&i| row.cells.get(i))
            .and_then(|c| c.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    }

    /// Distinct values of parameter `k`, in order of first appearance (grid order).
    pub fn levels(&self, k: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.rows {
            if !out.contains(&r.params[k]) {
                out.push(r.params[k].clone());
            }
        }
        out
    }

    /// Pareto marks: the `pareto` column where present, else computed from cost and
    /// attainment (no other point at most as costly and at least as good, better on one).
    pub fn pareto(&self) -> Vec<bool> {
        if let Some(&i) = self.columns.get("pareto") {
            return self
                .rows
                .iter()
                .map(|r| r.cells.get(i).is_some_and(|c| c == "true"))
                .collect();
        }
        let pts: Vec<(f64, f64)> = self
            .rows
            .iter()
            .map(|r| (self.cost(r), self.value(r, "slo_attainment")))
            .collect();
        pts.iter()
            .map(|&(c, a)| {
                c.is_finite()
                    && a.is_finite()
                    && !pts
                        .iter()
                        .any(|&(qc, qa)| qc <= c && qa >= a && (qc < c || qa > a))
            })
            .collect()
    }

    fn cost(&self, row: &SweepRow) -> f64 {
        self.value(row, "cost.total_usd_mean")
    }

    /// The metric to draw: `wanted` when the table has `<wanted>_mean`, else the default,
    /// else the first `_mean` column.
    fn metric(&self, wanted: &str) -> Option<String> {
        for m in [wanted, DEFAULT_METRIC] {
            if self.has(&format!("{m}_mean")) {
                return Some(m.to_string());
            }
        }
        let mut cols: Vec<(&String, &usize)> = self.columns.iter().collect();
        cols.sort_by_key(|(_, i)| **i);
        cols.into_iter()
            .find_map(|(h, _)| h.strip_suffix("_mean").map(str::to_string))
    }

    fn replications_text(&self) -> String {
        let ns: Vec<f64> = self
            .rows
            .iter()
            .map(|r| self.value(r, "replications"))
            .filter(|v| v.is_finite())
            .collect();
        let lo = ns.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if ns.is_empty() {
            String::new()
        } else if lo == hi {
            format!(
                " · {} replication{} each",
                lo,
                if lo == 1.0 { "" } else { "s" }
            )
        } else {
            format!(" · {lo}–{hi} replications each")
        }
    }
}

/// Short names of parameter paths: the last segment, or as many trailing segments as
/// make the names distinct.
pub fn short_names(paths: &[String]) -> Vec<String> {
    let segs: Vec<Vec<&str>> = paths.iter().map(|p| p.split('.').collect()).collect();
    let max = segs.iter().map(Vec::len).max().unwrap_or(1);
    for k in 1..=max {
        let names: Vec<String> = segs
            .iter()
            .map(|s| s[s.len().saturating_sub(k)..].join("."))
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() == names.len() {
            return names;
        }
    }
    paths.to_vec()
}

// ---------------------------------------------------------------------------------------
// Style (the same as the run figures')

const DOMINATED: RGBColor = RGBColor(0x9A, 0xA0, 0xA6);
const MISSING: RGBColor = RGBColor(0xF1, 0xF3, 0xF4);

/// Light to dark: the heatmap's metric (lower is better: light).
const HEAT: [RGBColor; 4] = [
    RGBColor(0xFF, 0xF4, 0xD6),
    RGBColor(0xF8, 0xC0, 0x6B),
    RGBColor(0xE1, 0x6A, 0x3A),
    RGBColor(0x8E, 0x1F, 0x2F),
];
/// Red (0) through yellow to green (1): SLO attainment.
const ATTAIN: [RGBColor; 3] = [RED, YELLOW, GREEN];

fn anchored(style: TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

fn ramp(stops: &[RGBColor], t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (stops.len() - 1) as f64;
    let i = (x.floor() as usize).min(stops.len() - 2);
    let f = x - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Text colour readable on `c`.
fn ink_on(c: RGBColor) -> RGBColor {
    let l = 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
    if l < 150.0 { WHITE } else { INK }
}

fn text_w<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &str, style: &TextStyle) -> i32 {
    area.estimate_text_size(s, style)
        .map(|(w, _)| w as i32)
        .unwrap_or(8 * s.chars().count() as i32)
}

/// Legend keys of the header row.
enum Swatch {
    Dot(RGBColor),
    Line(RGBColor),
    Interval(RGBColor),
    Ramp(&'static [RGBColor]),
}

/// Clears the canvas, draws title, subtitle and the legend row; returns the plot area.
fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    keys: &[(String, Swatch)],
) -> Result<DrawingArea<DB, Shift>, DrawError> {
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    root.draw(&Text::new(title.to_string(), (24, 16), bold(24.0)))?;
    root.draw(&Text::new(subtitle.to_string(), (24, 50), muted(15.0)))?;
    let (x0, mut x, mut y) = (24, 24, 80);
    let style = font(15.0);
    for (label, swatch) in keys {
        let sw = if matches!(swatch, Swatch::Ramp(_)) {
            64
        } else {
            28
        };
        let item = sw + 8 + text_w(root, label, &style);
        if x > x0 && x + item > w as i32 - 24 {
            x = x0;
            y += 26;
        }
        let cy = y + 8;
        match swatch {
            Swatch::Dot(c) => {
                root.draw(&Circle::new((x + 14, cy), 6, c.filled()))?;
            }
            Swatch::Line(c) => {
                root.draw(&PathElement::new(
                    vec![(x, cy), (x + 28, cy)],
                    c.stroke_width(3),
                ))?;
            }
            Swatch::Interval(c) => {
                for seg in [
                    vec![(x + 14, cy - 8), (x + 14, cy + 8)],
                    vec![(x + 9, cy - 8), (x + 19, cy - 8)],
                    vec![(x + 9, cy + 8), (x + 19, cy + 8)],
                ] {
                    root.draw(&PathElement::new(seg, c.stroke_width(2)))?;
                }
            }
            Swatch::Ramp(stops) => {
                for i in 0..sw {
                    let c = ramp(stops, i as f64 / (sw - 1) as f64);
                    root.draw(&Rectangle::new(
                        [(x + i, cy - 7), (x + i + 1, cy + 7)],
                        c.filled(),
                    ))?;
                }
            }
        }
        root.draw(&Text::new(label.clone(), (x + sw + 8, y), style.clone()))?;
        x += item + 26;
    }
    let (_, body) = root.split_vertically(y + 32);
    Ok(body)
}

fn note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str) -> Result<(), DrawError> {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        text.to_string(),
        (w as i32 / 2, h as i32 / 2),
        anchored(muted(20.0), HPos::Center, VPos::Center),
    ))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Metric naming

struct Metric {
    /// Column stem: `<name>_mean`, `_lo`, `_hi`.
    name: String,
    label: String,
    unit: &'static str,
}

impl Metric {
    fn new(name: &str) -> Metric {
        let (label, unit) = match name.strip_prefix("http_req_duration.") {
            Some(stat) => (stat.to_string(), "ms"),
            None if name.starts_with("cost.") => (name.to_string(), "USD"),
            None => (name.to_string(), ""),
        };
        Metric {
            name: name.to_string(),
            label,
            unit,
        }
    }

    fn fmt(&self, v: f64) -> String {
        if !v.is_finite() {
            return "–".into();
        }
        match self.unit {
            "ms" => format!("{} ms", fmt_num(v)),
            "USD" => format!("${}", fmt_money(v)),
            _ if self.name.ends_with(".rate") && v <= 1.0 && self.name.contains("failed") => {
                fmt_pct(v)
            }
            _ => fmt_num(v),
        }
    }

    fn axis(&self) -> String {
        if self.unit.is_empty() {
            self.label.clone()
        } else {
            format!("{} ({})", self.label, self.unit)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Heatmap figure

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
        x_name: names[0].clone(),
        y_name: names[1].clone(),
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
                            (FONT, big, FontStyle::Bold).into_font().color(&ink),
                            HPos::Center,
                            VPos::Center,
                        ),
                    ))?;
                    if !one_line {
                        area.draw(&Text::new(
                            t.sub,
                            (cx, cy + big as i32 / 2 + 3),
                            anchored(
                                (FONT, big * 0.8).into_font().color(&ink),
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

fn extent(vals: impl IntoIterator<Item = f64>) -> (f64, f64) {
    vals.into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        })
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

fn draw_heatmap<DB: DrawingBackend>(
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

/// One parameter: the metric's mean with its 95% CI (left axis) and SLO attainment with
/// its Wilson interval (right axis) against the parameter value.
fn line_chart<DB: DrawingBackend>(
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

// ---------------------------------------------------------------------------------------
// Pareto figure

/// Most points numbered on the chart and listed in its table (the Pareto points first).
const MAX_LISTED: usize = 40;

fn draw_pareto<DB: DrawingBackend>(
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
    let hstyle = (FONT, 13.0, FontStyle::Bold).into_font().color(&INK);
    let mut heads: Vec<String> = vec!["#".into()];
    heads.extend(names.iter().cloned());
    heads.extend(["cost".to_string(), "SLO".to_string()]);
    let lines: Vec<Vec<String>> = listed
        .iter()
        .map(|p| {
            let mut l = vec![p.row.point.to_string()];
            l.extend(p.row.params.iter().cloned());
            l.push(format!("${}", fmt_num(p.cost)));
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
        .x_desc("Cost per run (USD, mean)")
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
    let lstyle: TextStyle = (FONT, 14.0, FontStyle::Bold).into_font().into();
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

// ---------------------------------------------------------------------------------------
// Rendering

/// PNG and SVG of the heatmap figure (a line chart for one parameter).
pub fn heatmap_figure(
    table: &SweepTable,
    opts: &SweepFigureOptions,
) -> Result<(Vec<u8>, String), DrawError> {
    let size = heatmap_size(table, opts);
    Ok((
        png_of(size, |r| draw_heatmap(table, opts, r))?,
        svg_of(size, |r| draw_heatmap(table, opts, r))?,
    ))
}

/// PNG and SVG of the cost-versus-attainment figure.
pub fn pareto_figure(
    table: &SweepTable,
    opts: &SweepFigureOptions,
) -> Result<(Vec<u8>, String), DrawError> {
    let size = (opts.width, opts.height);
    Ok((
        png_of(size, |r| draw_pareto(table, r))?,
        svg_of(size, |r| draw_pareto(table, r))?,
    ))
}

/// [`render_sweep_with`] with the default options.
pub fn render_sweep(dir: &Path) -> Result<Vec<PathBuf>, RenderError> {
    render_sweep_with(dir, &SweepFigureOptions::default())
}

/// Draws one sweep figure: its PNG bytes and SVG text.
type FigureFn = fn(&SweepTable, &SweepFigureOptions) -> Result<(Vec<u8>, String), DrawError>;

/// Reads `dir/sweep.csv` and writes `sweep_heatmap` and `sweep_pareto` as PNG and SVG into
/// `dir`, each file whole or not at all; returns the paths written.
pub fn render_sweep_with(
    dir: &Path,
    opts: &SweepFigureOptions,
) -> Result<Vec<PathBuf>, RenderError> {
    let table = SweepTable::load(dir)?;
    let mut written = Vec::new();
    let figures: [(&str, FigureFn); 2] =
        [(HEATMAP_STEM, heatmap_figure), (PARETO_STEM, pareto_figure)];
    for (stem, make) in figures {
        let (png, svg) = make(&table, opts).map_err(|source| RenderError::Draw {
            figure: stem.to_string(),
            source,
        })?;
        for (path, bytes) in [
            (dir.join(format!("{stem}.png")), png.as_slice()),
            (dir.join(format!("{stem}.svg")), svg.as_bytes()),
        ] {
            write_atomic(&path, bytes).map_err(|source| RenderError::Io {
                path: path.clone(),
                source,
            })?;
            written.push(path);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_disambiguate() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            short_names(&p(&["a.b.workers", "c.d.replicas"])),
            p(&["workers", "replicas"])
        );
        assert_eq!(
            short_names(&p(&["services.web.workers", "services.api.workers"])),
            p(&["web.workers", "api.workers"])
        );
    }

    #[test]
    fn parse_finds_parameters_and_tolerates_extra_columns() {
        let t = SweepTable::parse(
            "point,x,y,replications,extra,m_mean,slo_attainment,pareto\n0,1,a,4,zz,2.5,1,true\n1,2,a,4,zz,,0.5,false\n",
        )
        .unwrap();
        assert_eq!(t.params, vec!["x", "y"]);
        assert_eq!(t.value(&t.rows[0], "m_mean"), 2.5);
        assert!(t.value(&t.rows[1], "m_mean").is_nan());
        assert_eq!(t.pareto(), vec![true, false]);
        assert_eq!(t.levels(0), vec!["1", "2"]);
    }
}
