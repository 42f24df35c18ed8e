//! Figures of a run, drawn with plotters to PNG and SVG from the saved results
//! ([`crate::report::data::RunData`]), never from engine types.
//!
//! Text uses the DejaVu Sans font embedded in the binary (the `dejavu` crate) through
//! plotters' `ab_glyph` feature: no system fonts, fontconfig or pkg-config are needed.
//!
//! Every figure has the same layout: a bold title and a grey subtitle at the top left,
//! then a legend row (so a legend never hides data), then the plot. Shaded areas are the
//! 5-95% range across replications; lines are means across replications.

use crate::report::data::{RunData, SeriesColumn, Threshold};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::sync::Once;

/// A drawing failure (plotters' errors carry the backend's error type; this keeps the text).
#[derive(Debug, Clone, thiserror::Error)]
#[error("drawing failed: {0}")]
pub struct DrawError(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawError(e.to_string())
    }
}

/// Registers the embedded DejaVu Sans as "sans-serif" (regular and bold), once per process.
pub fn ensure_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded fonts are valid TrueType files: registration cannot fail.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Choices that are not in the run folder.
#[derive(Debug, Clone)]
pub struct FigureOptions {
    /// Target request rate drawn on the request-rate figure (the plan's 2,090 req/s).
    pub target_rps: Option<f64>,
    /// Size of a single-panel figure in pixels; multi-panel figures grow in height.
    pub width: u32,
    pub height: u32,
}

impl Default for FigureOptions {
    fn default() -> Self {
        FigureOptions {
            target_rps: None,
            width: 1200,
            height: 600,
        }
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Latency,
    RequestRate,
    ErrorRate,
    ErrorsByCause,
    Replicas(Vec<String>),
    DbConnections(Vec<String>),
    InFlight(Vec<String>),
    Utilization(Vec<String>),
    Cost,
    Thresholds,
    LatencyDistribution(Vec<String>),
}

/// File stems of every figure [`plan`] can produce, in report order.
pub const FIGURE_STEMS: &[&str] = &[
    "latency",
    "request_rate",
    "error_rate",
    "errors_by_cause",
    "replicas",
    "db_connections",
    "in_flight",
    "utilization",
    "cost",
    "thresholds",
    "latency_distribution",
];

/// One figure to draw: file stem (`latency` -> latency.png, latency.svg), title,
/// a one-sentence caption for reports, and its size in pixels.
#[derive(Debug, Clone)]
pub struct FigureSpec {
    pub stem: String,
    pub title: String,
    pub caption: String,
    pub width: u32,
    pub height: u32,
    kind: Kind,
}

// ---------------------------------------------------------------------------------------
// Style

pub(crate) const BLUE: RGBColor = RGBColor(0x4E, 0x79, 0xA7);
pub(crate) const ORANGE: RGBColor = RGBColor(0xF2, 0x8E, 0x2B);
pub(crate) const RED: RGBColor = RGBColor(0xE1, 0x57, 0x59);
const TEAL: RGBColor = RGBColor(0x76, 0xB7, 0xB2);
pub(crate) const GREEN: RGBColor = RGBColor(0x59, 0xA1, 0x4F);
pub(crate) const YELLOW: RGBColor = RGBColor(0xED, 0xC9, 0x48);
const PURPLE: RGBColor = RGBColor(0xB0, 0x7A, 0xA1);
const PINK: RGBColor = RGBColor(0xFF, 0x9D, 0xA7);
const BROWN: RGBColor = RGBColor(0x9C, 0x75, 0x5F);
const GREY: RGBColor = RGBColor(0x79, 0x70, 0x6E);
/// Series colours in order (Tableau 10).
const PALETTE: [RGBColor; 10] = [
    BLUE, ORANGE, TEAL, PURPLE, GREEN, RED, YELLOW, PINK, BROWN, GREY,
];
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x5F, 0x63, 0x68);
pub(crate) const GRID: RGBColor = RGBColor(0xE3, 0xE5, 0xE8);
pub(crate) const AXIS: RGBColor = RGBColor(0x9A, 0xA0, 0xA6);
/// Threshold and limit lines.
const LIMIT: RGBColor = RGBColor(0xC4, 0x1E, 0x3A);
const PASS: RGBColor = GREEN;
const FAIL: RGBColor = RED;
const UNSURE: RGBColor = RGBColor(0xE8, 0xA2, 0x02);

const BAND_ALPHA: f64 = 0.22;
const LINE_W: u32 = 2;
pub(crate) const FONT: &str = "sans-serif";

pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&INK)
}

pub(crate) fn muted(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&MUTED)
}

pub(crate) fn bold(size: f64) -> TextStyle<'static> {
    // (family, size, style): FontDesc::style() would keep the regular glyphs.
    (FONT, size, FontStyle::Bold).into_font().color(&INK)
}

/// Numbers for axes and labels: no trailing zeros, thousands separated by commas.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a >= 1000.0 {
        let r = v.round() as i64;
        let digits = r.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if r < 0 { format!("-{out}") } else { out }
    } else {
        let decimals = if a >= 100.0 {
            1
        } else if a >= 1.0 {
            2
        } else {
            4
        };
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if s == "-0" { "0".into() } else { s }
    }
}

/// Milliseconds to three significant digits at most: 8.54, 33.1, 412.
pub fn fmt_ms(v: f64) -> String {
    if !v.is_finite() {
        "–".into()
    } else if v.abs() >= 100.0 {
        fmt_num(v.round())
    } else if v.abs() >= 10.0 {
        fmt_num((v * 10.0).round() / 10.0)
    } else {
        fmt_num((v * 100.0).round() / 100.0)
    }
}

/// Percent with up to one decimal: 0.0123 -> "1.2%".
pub fn fmt_pct(p: f64) -> String {
    if !p.is_finite() {
        return "–".into();
    }
    let v = p * 100.0;
    // Three significant digits below 10%, so that small rates and their intervals differ.
    let s = if v == 0.0 || v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else if v.abs() >= 0.1 {
        format!("{v:.3}")
    } else {
        format!("{v:.4}")
    };
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `x` (1 for x <= 0).
fn nice_ceil(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || x.is_infinite() {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * p >= x * (1.0 - 1e-12) {
            return m * p;
        }
    }
    10.0 * p
}

fn finite_max<'a>(it: impl IntoIterator<Item = &'a f64>) -> f64 {
    it.into_iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max)
}

/// Upper end of a value axis: a little headroom above `max`, rounded to a nice number.
fn upper(max: f64) -> f64 {
    nice_ceil(max * 1.08)
}

// ---------------------------------------------------------------------------------------
// Time axis

#[derive(Clone, Copy)]
struct TimeAxis {
    /// Seconds per axis unit.
    unit_s: f64,
    label: &'static str,
    end: f64,
}

impl TimeAxis {
    fn new(end_s: f64) -> Self {
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

    fn of(&self, t_s: f64) -> f64 {
        t_s / self.unit_s
    }
}

// ---------------------------------------------------------------------------------------
// Header and legend

#[derive(Clone, Copy, PartialEq)]
enum Swatch {
    Line,
    Dashed,

    Bar,
    /// A line over its band.
    LineBand,
    /// An interval with end caps.
    Interval,
}

struct Key {
    label: String,
    color: RGBColor,
    swatch: Swatch,
}

fn key(label: impl Into<String>, color: RGBColor, swatch: Swatch) -> Key {
    Key {
        label: label.into(),
        color,
        swatch,
    }
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: i32,
    y: i32,
    k: &Key,
) -> Result<(), DrawError> {
    let c = k.color;
    match k.swatch {
        Swatch::Line => {
            area.draw(&PathElement::new(
                vec![(x, y), (x + 28, y)],
                c.stroke_width(3),
            ))?;
        }
        Swatch::Dashed => {
            for i in 0..3 {
                let x0 = x + i * 11;
                area.draw(&PathElement::new(
                    vec![(x0, y), (x0 + 6, y)],
                    c.stroke_width(3),
                ))?;
            }
        }
        Swatch::Bar => {
            area.draw(&Rectangle::new(
                [(x + 4, y - 7), (x + 24, y + 7)],
                c.filled(),
            ))?;
        }
        Swatch::LineBand => {
            area.draw(&Rectangle::new(
                [(x, y - 7), (x + 28, y + 7)],
                c.mix(BAND_ALPHA).filled(),
            ))?;
            area.draw(&PathElement::new(
                vec![(x, y), (x + 28, y)],
                c.stroke_width(3),
            ))?;
        }
        Swatch::Interval => {
            area.draw(&PathElement::new(
                vec![(x + 2, y), (x + 26, y)],
                c.stroke_width(2),
            ))?;
            area.draw(&PathElement::new(
                vec![(x + 2, y - 6), (x + 2, y + 6)],
                c.stroke_width(2),
            ))?;
            area.draw(&PathElement::new(
                vec![(x + 26, y - 6), (x + 26, y + 6)],
                c.stroke_width(2),
            ))?;
        }
    }
    Ok(())
}

/// Draws `keys` in rows from (x, y) within `width`; returns the y below the last row.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[Key],
    x0: i32,
    y0: i32,
    width: i32,
) -> Result<i32, DrawError> {
    if keys.is_empty() {
        return Ok(y0);
    }
    let style = font(15.0);
    let row_h = 26;
    let (mut x, mut y) = (x0, y0);
    for k in keys {
        let (tw, _) = area
            .estimate_text_size(&k.label, &style)
            .map_err(DrawError::from)?;
        let w = 36 + tw as i32;
        if x > x0 && x + w > x0 + width {
            x = x0;
            y += row_h;
        }
        draw_swatch(area, x, y + 6, k)?;
        area.draw(&Text::new(k.label.clone(), (x + 36, y), style.clone()))?;
        x += w + 26;
    }
    Ok(y + row_h)
}

/// Clears the canvas, draws the title, subtitle and legend; returns the area for the plot.
fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    keys: &[Key],
) -> Result<DrawingArea<DB, Shift>, DrawError> {
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    root.draw(&Text::new(title.to_string(), (24, 16), bold(24.0)))?;
    root.draw(&Text::new(subtitle.to_string(), (24, 50), muted(15.0)))?;
    let y = draw_legend(root, keys, 24, 80, w as i32 - 48)?;
    let (_, body) = root.split_vertically(y + 6);
    Ok(body)
}

/// A centred note in an empty plot area.
fn note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str) -> Result<(), DrawError> {
    let (w, h) = area.dim_in_pixel();
    let style = muted(20.0).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Center,
        plotters::style::text_anchor::VPos::Center,
    ));
    area.draw(&Text::new(
        text.to_string(),
        (w as i32 / 2, h as i32 / 2),
        style,
    ))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Series helpers

type XY = Cartesian2d<RangedCoordf64, RangedCoordf64>;

/// Runs of consecutive points where both coordinates are finite.
fn runs(xs: &[f64], ys: &[f64]) -> Vec<Vec<(f64, f64)>> {
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

fn line<DB: DrawingBackend>(
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

fn dashed<DB: DrawingBackend>(
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
fn band<DB: DrawingBackend>(
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
fn banded<DB: DrawingBackend>(
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
fn hline<DB: DrawingBackend>(
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

macro_rules! mesh {
    ($chart:expr, $xdesc:expr, $ydesc:expr, $yfmt:expr) => {
        $chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID.stroke_width(1))
            .axis_style(AXIS.stroke_width(1))
            .label_style(font(15.0))
            .axis_desc_style(font(17.0))
            .x_labels(12)
            .y_labels(8)
            .x_desc($xdesc)
            .y_desc($ydesc)
            .x_label_formatter(&|v: &f64| fmt_num(*v))
            .y_label_formatter($yfmt)
            .draw()?;
    };
}

/// A time chart on `area` with y in `0..y_max`.
fn time_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    t: TimeAxis,
    y_max: f64,
    right_axis: bool,
) -> Result<ChartContext<'a, DB, XY>, DrawError> {
    time_chart_x(area, t, y_max, right_axis, true)
}

/// [`time_chart`], with room for the x-axis description only when `x_desc` (small
/// multiples name the time axis on the bottom row only).
fn time_chart_x<'a, DB: DrawingBackend>(
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

// ---------------------------------------------------------------------------------------
// Planning

fn changes(col: Option<&SeriesColumn>) -> bool {
    col.is_some_and(|c| {
        let vals = c
            .mean
            .iter()
            .chain(&c.p5)
            .chain(&c.p95)
            .filter(|v| v.is_finite());
        let (lo, hi) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
        hi - lo > 1e-9
    })
}

fn nonzero(col: Option<&SeriesColumn>) -> bool {
    col.is_some_and(|c| {
        c.mean
            .iter()
            .chain(&c.p95)
            .any(|v| v.is_finite() && *v > 0.0)
    })
}

/// The figures that this run's data supports, in report order.
pub fn plan(data: &RunData, opts: &FigureOptions) -> Vec<FigureSpec> {
    let (w, h) = (opts.width, opts.height);
    let ts = &data.series;
    let s = &data.summary;
    let mut out = Vec::new();
    let mut add = |stem: &str, title: &str, caption: String, height: u32, kind: Kind| {
        out.push(FigureSpec {
            stem: stem.into(),
            title: title.into(),
            caption,
            width: w,
            height,
            kind,
        })
    };
    if ts.get("p95_ms").is_some() {
        add(
            "latency",
            "Response time over time",
            "Percentiles of http_req_duration per time bucket (mean across replications, shaded 5-95% range), with the latency thresholds.".into(),
            h,
            Kind::Latency,
        );
    }
    if ts.get("request_rate").is_some() {
        add(
            "request_rate",
            "Request rate and virtual users",
            match opts.target_rps {
                Some(t) => format!(
                    "Requests per second against the target of {} req/s, and the active VUs (right axis).",
                    fmt_num(t)
                ),
                None => "Requests per second and the active VUs (right axis).".into(),
            },
            h,
            Kind::RequestRate,
        );
    }
    if ts.get("error_rate").is_some() {
        add(
            "error_rate",
            "Error rate over time",
            "Share of requests that failed per time bucket, with the http_req_failed threshold."
                .into(),
            h,
            Kind::ErrorRate,
        );
    }
    if !s.errors.is_empty() {
        let n = s.errors.len() as u32;
        add(
            "errors_by_cause",
            "Failed requests by cause",
            "Failed requests per test run by cause (mean across replications, 95% interval)."
                .into(),
            (200 + 56 * n).max(360),
            Kind::ErrorsByCause,
        );
    }
    let services = ts.suffixes("ready_replicas_");
    if !services.is_empty() {
        let changing: Vec<String> = services
            .iter()
            .filter(|svc| {
                changes(ts.get(&format!("ready_replicas_{svc}")))
                    || changes(ts.get(&format!("desired_replicas_{svc}")))
            })
            .cloned()
            .collect();
        let shown = if changing.is_empty() || services.len() <= 3 {
            services.iter().take(8).cloned().collect()
        } else {
            changing
        };
        let rows = grid(shown.len()).0;
        add(
            "replicas",
            "Replicas per service",
            "Ready replicas (solid) and the replicas the autoscaler asked for (dashed), mean and 5-95% range across replications.".into(),
            panel_height(rows),
            Kind::Replicas(shown),
        );
    }
    let dbs = ts.suffixes("db_connections_");
    if !dbs.is_empty() {
        let rows = grid(dbs.len()).0;
        add(
            "db_connections",
            "Database connections in use",
            "Connections in use per database against the pool size.".into(),
            panel_height(rows),
            Kind::DbConnections(dbs),
        );
    }
    let in_flight: Vec<String> = ts
        .suffixes("in_flight_")
        .into_iter()
        .filter(|svc| nonzero(ts.get(&format!("in_flight_{svc}"))))
        .collect();
    if !in_flight.is_empty() {
        add(
            "in_flight",
            "Requests in flight per service",
            "Requests in service or waiting in the queue, per service (all replicas together)."
                .into(),
            h,
            Kind::InFlight(in_flight),
        );
    }
    let util: Vec<String> = ts
        .suffixes("utilization_")
        .into_iter()
        .filter(|svc| nonzero(ts.get(&format!("utilization_{svc}"))))
        .collect();
    if !util.is_empty() {
        add(
            "utilization",
            "Utilization per service",
            "Share of worker slots busy per service.".into(),
            h,
            Kind::Utilization(util),
        );
    }
    if nonzero(ts.get("cost_usd")) {
        add(
            "cost",
            "Cumulative cost",
            "Cumulative infrastructure cost of the test (left axis) and the hourly spend rate (right axis).".into(),
            h,
            Kind::Cost,
        );
    }
    if !s.thresholds.is_empty() {
        let n = s.thresholds.len() as u32;
        add(
            "thresholds",
            "Threshold pass probability",
            "Probability that each threshold passes in a test run, with its 95% Wilson interval and the required level.".into(),
            (220 + 60 * n).max(360),
            Kind::Thresholds,
        );
    }
    if let Some(lat) = &data.latency {
        let eps: Vec<String> = lat.endpoints.iter().map(|(e, _)| e.clone()).collect();
        if !eps.is_empty() {
            add(
                "latency_distribution",
                "Response time distribution per endpoint",
                "Histogram and cumulative distribution of http_req_duration per endpoint (percentiles averaged across replications).".into(),
                150 + 320 * eps.len() as u32,
                Kind::LatencyDistribution(eps),
            );
        }
    }
    out
}

/// Height of a figure with `rows` rows of time panels: one row is a normal figure.
fn panel_height(rows: usize) -> u32 {
    if rows <= 1 {
        520
    } else {
        180 + 250 * rows as u32
    }
}

/// Rows and columns of a small-multiples grid of `n` panels.
fn grid(n: usize) -> (usize, usize) {
    if n <= 3 {
        (n.max(1), 1)
    } else {
        (n.div_ceil(2), 2)
    }
}

// ---------------------------------------------------------------------------------------
// Rendering

/// PNG bytes of a figure.
pub fn render_png(
    spec: &FigureSpec,
    data: &RunData,
    opts: &FigureOptions,
) -> Result<Vec<u8>, DrawError> {
    png_of((spec.width, spec.height), |root| {
        draw(spec, data, opts, root)
    })
}

pub fn render_svg(
    spec: &FigureSpec,
    data: &RunData,
    opts: &FigureOptions,
) -> Result<String, DrawError> {
    svg_of((spec.width, spec.height), |root| {
        draw(spec, data, opts, root)
    })
}

/// Draws onto a white RGB bitmap of `(w, h)` and encodes it as PNG.
pub(crate) fn png_of(
    (w, h): (u32, u32),
    draw: impl Fn(&DrawingArea<BitMapBackend, Shift>) -> Result<(), DrawError>,
) -> Result<Vec<u8>, DrawError> {
    ensure_fonts();
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Best);
        let mut writer = enc
            .write_header()
            .map_err(|e| DrawError(format!("PNG: {e}")))?;
        writer
            .write_image_data(&rgb)
            .map_err(|e| DrawError(format!("PNG: {e}")))?;
    }
    Ok(out)
}

/// Draws onto an SVG document of `(w, h)`.
pub(crate) fn svg_of(
    (w, h): (u32, u32),
    draw: impl Fn(&DrawingArea<SVGBackend, Shift>) -> Result<(), DrawError>,
) -> Result<String, DrawError> {
    ensure_fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    Ok(svg)
}

fn subtitle(data: &RunData, extra: &str) -> String {
    let s = &data.summary;
    let mut out = format!(
        "{} · model {} · {} replication{}",
        s.experiment,
        s.model,
        s.replications,
        if s.replications == 1 { "" } else { "s" }
    );
    if !extra.is_empty() {
        out.push_str(" · ");
        out.push_str(extra);
    }
    out
}

const BAND_NOTE: &str = "lines: mean, shaded: 5–95% across replications";

fn draw<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    opts: &FigureOptions,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let t = TimeAxis::new(data.series.end_s());
    match &spec.kind {
        Kind::Latency => latency(spec, data, t, root),
        Kind::RequestRate => request_rate(spec, data, opts, t, root),
        Kind::ErrorRate => error_rate(spec, data, t, root),
        Kind::ErrorsByCause => errors_by_cause(spec, data, root),
        Kind::Replicas(svcs) => replicas(spec, data, t, svcs, root),
        Kind::DbConnections(dbs) => db_connections(spec, data, t, dbs, root),
        Kind::InFlight(svcs) => per_service(spec, data, t, svcs, "in_flight_", false, root),
        Kind::Utilization(svcs) => per_service(spec, data, t, svcs, "utilization_", true, root),
        Kind::Cost => cost(spec, data, t, root),
        Kind::Thresholds => thresholds(spec, data, root),
        Kind::LatencyDistribution(eps) => latency_distribution(spec, data, eps, root),
    }
}

/// Bucket midpoints in axis units: each value is an average over its bucket.
fn midpoints(data: &RunData, t: TimeAxis) -> Vec<f64> {
    let half = data.series.bucket_s() / 2.0;
    data.series.time_s.iter().map(|&s| t.of(s + half)).collect()
}

fn empty_col() -> SeriesColumn {
    SeriesColumn::default()
}

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

fn latency<DB: DrawingBackend>(
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

fn request_rate<DB: DrawingBackend>(
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

fn error_rate<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    t: TimeAxis,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let col = data
        .series
        .get("error_rate")
        .cloned()
        .unwrap_or_else(empty_col);
    let limits: Vec<f64> = data
        .summary
        .thresholds
        .iter()
        .filter(|th| th.metric == "http_req_failed")
        .filter_map(|th| th.limit())
        .filter(|(s, _)| s == "rate")
        .map(|(_, v)| v)
        .collect();
    let mut keys = vec![key("failed requests", RED, Swatch::LineBand)];
    if !limits.is_empty() {
        keys.push(key("threshold", LIMIT, Swatch::Dashed));
    }
    let overall = data.summary.metrics.http_req_failed.rate.mean;
    let extra = format!("overall {} failed · {BAND_NOTE}", fmt_pct(overall));
    let body = header(root, &spec.title, &subtitle(data, &extra), &keys)?;
    let top = finite_max(col.mean.iter().chain(&col.p95));
    let top = limits.iter().copied().fold(top, f64::max);
    // Percent axis; at least 0-1% so that a clean run does not magnify noise.
    let y_max = upper((top * 100.0).max(0.9));
    let mut chart = time_chart(&body, t, y_max, false)?;
    mesh!(chart, t.label, "Failed requests (%)", &|v: &f64| fmt_num(
        *v
    ));
    let xs = midpoints(data, t);
    banded(&mut chart, &xs, &col, 100.0, RED)?;
    for v in limits {
        hline(
            &mut chart,
            t.end,
            v * 100.0,
            LIMIT,
            &format!("rate < {}", fmt_pct(v)),
            false,
        )?;
    }
    Ok(())
}

/// Human names of error causes (summary.json keys).
pub fn cause_label(cause: &str) -> String {
    match cause {
        "timeout" => "timeout".into(),
        "queue_full" => "queue full (503)".into(),
        "pool_timeout" | "pool_exhausted" => "DB pool exhausted".into(),
        other => other.replace('_', " "),
    }
}

/// Horizontal bars with error bars on categories `labels` (top to bottom). `root` is the
/// whole canvas (category labels are placed in its pixel coordinates), `area` the plot's.
#[allow(clippy::too_many_arguments)]
fn hbars<DB: DrawingBackend>(
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

fn errors_by_cause<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let mut causes: Vec<(&String, &crate::report::data::Est)> =
        data.summary.errors.iter().collect();
    causes.sort_by(|a, b| b.1.mean.total_cmp(&a.1.mean));
    let sent = data.summary.accounting.sent.mean;
    let keys = vec![
        key("mean per test run", RED, Swatch::Bar),
        key("95% interval", INK, Swatch::Interval),
    ];
    let extra = format!("{} requests sent per run", fmt_num(sent));
    let body = header(root, &spec.title, &subtitle(data, &extra), &keys)?;
    if causes.is_empty() {
        return note(&body, "No failed requests in any replication");
    }
    let labels: Vec<String> = causes.iter().map(|(c, _)| cause_label(c)).collect();
    let values: Vec<f64> = causes.iter().map(|(_, e)| e.mean).collect();
    let intervals: Vec<Option<[f64; 2]>> = causes.iter().map(|(_, e)| e.ci95).collect();
    let top = finite_max(
        values
            .iter()
            .chain(intervals.iter().flatten().map(|i| &i[1])),
    );
    // Room on the right for the value labels.
    let x_max = upper(top.max(1.0) * 1.25);
    let colors = vec![RED; causes.len()];
    let text = |i: usize| {
        let share = if sent > 0.0 {
            values[i] / sent
        } else {
            f64::NAN
        };
        format!("{} ({} of requests)", fmt_num(values[i]), fmt_pct(share))
    };
    hbars(
        root,
        &body,
        &labels,
        &values,
        &intervals,
        &colors,
        x_max,
        "Failed requests per test run",
        &|v: &f64| fmt_num(*v),
        &text,
        None,
    )
}

/// Splits `body` into a grid of panels, one per name, each titled.
/// The panels with, for each, whether it is on the bottom row of its column.
fn panels<DB: DrawingBackend>(
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

fn panel_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, DrawError> {
    area.draw(&Text::new(title.to_string(), (24, 6), bold(17.0)))?;
    Ok(area.split_vertically(30).1)
}

fn replicas<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    t: TimeAxis,
    svcs: &[String],
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let ts = &data.series;
    let has_bounds = svcs.iter().any(|s| {
        data.summary
            .services
            .get(s)
            .is_some_and(|x| x.replicas.min_replicas.is_some() || x.replicas.max_replicas.is_some())
    });
    let mut keys = vec![
        key("ready", BLUE, Swatch::LineBand),
        key("desired", ORANGE, Swatch::Dashed),
    ];
    if has_bounds {
        keys.push(key("autoscaler min / max", GREY, Swatch::Dashed));
    }
    let body = header(root, &spec.title, &subtitle(data, BAND_NOTE), &keys)?;
    let xs = midpoints(data, t);
    for ((area, bottom), svc) in panels(&body, svcs.len()).iter().zip(svcs) {
        let ready = ts
            .get(&format!("ready_replicas_{svc}"))
            .cloned()
            .unwrap_or_else(empty_col);
        let desired = ts
            .get(&format!("desired_replicas_{svc}"))
            .cloned()
            .unwrap_or_else(empty_col);
        let r = data.summary.services.get(svc).map(|s| &s.replicas);
        let bounds = r.map_or((None, None), |r| (r.min_replicas, r.max_replicas));
        let top = finite_max(
            ready
                .p95
                .iter()
                .chain(&desired.p95)
                .chain(&ready.mean)
                .chain(&desired.mean),
        );
        let top = bounds.1.map_or(top, |m| top.max(m));
        let y_max = (top.max(1.0) * 1.15).ceil().max(top + 1.0);
        let mut title = svc.clone();
        if let Some(r) = r
            && r.scale_ups.mean.is_finite()
        {
            title.push_str(&format!(
                "   ·   {} scale-up{}, {} scale-down{} per run",
                fmt_num(r.scale_ups.mean),
                if r.scale_ups.mean == 1.0 { "" } else { "s" },
                fmt_num(r.scale_downs.mean),
                if r.scale_downs.mean == 1.0 { "" } else { "s" },
            ));
        }
        let inner = panel_title(area, &title)?;
        let mut chart = time_chart_x(&inner, t, y_max, false, *bottom)?;
        let int_fmt = |v: &f64| {
            if (v - v.round()).abs() < 1e-9 {
                fmt_num(*v)
            } else {
                String::new()
            }
        };
        mesh!(
            chart,
            if *bottom { t.label } else { "" },
            "Replicas",
            &int_fmt
        );
        band(&mut chart, &xs, &desired.p5, &desired.p95, ORANGE, 0.12)?;
        band(&mut chart, &xs, &ready.p5, &ready.p95, BLUE, BAND_ALPHA)?;
        line(&mut chart, &xs, &ready.mean, BLUE, LINE_W + 1)?;
        dashed(&mut chart, &xs, &desired.mean, ORANGE, LINE_W)?;
        if let Some(lo) = bounds.0 {
            hline(
                &mut chart,
                t.end,
                lo,
                GREY,
                &format!("min {}", fmt_num(lo)),
                true,
            )?;
        }
        if let Some(hi) = bounds.1 {
            hline(
                &mut chart,
                t.end,
                hi,
                GREY,
                &format!("max {}", fmt_num(hi)),
                true,
            )?;
        }
    }
    Ok(())
}

fn db_connections<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    t: TimeAxis,
    dbs: &[String],
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let ts = &data.series;
    let keys = vec![
        key("connections in use", TEAL, Swatch::LineBand),
        key("pool size", LIMIT, Swatch::Dashed),
    ];
    let body = header(root, &spec.title, &subtitle(data, BAND_NOTE), &keys)?;
    let xs = midpoints(data, t);
    for ((area, bottom), db) in panels(&body, dbs.len()).iter().zip(dbs) {
        let col = ts
            .get(&format!("db_connections_{db}"))
            .cloned()
            .unwrap_or_else(empty_col);
        let info = data.summary.databases.get(db);
        let (pool, pool_label) = match info {
            Some(d) if d.read_replicas > 0 => match d.total_pool() {
                Some(total) => (
                    Some(total as f64),
                    format!(
                        "pool size {} (primary {} + {} read replica{})",
                        fmt_num(total as f64),
                        d.pool_size,
                        d.read_replicas,
                        if d.read_replicas == 1 { "" } else { "s" }
                    ),
                ),
                None => (
                    Some(d.pool_size as f64),
                    format!("primary pool size {}", d.pool_size),
                ),
            },
            Some(d) => (
                Some(d.pool_size as f64),
                format!("pool size {}", d.pool_size),
            ),
            None => (None, String::new()),
        };
        let top = finite_max(col.mean.iter().chain(&col.p95));
        let top = pool.map_or(top, |p| top.max(p));
        let y_max = upper(top.max(1.0));
        let mut title = db.clone();
        if let Some(d) = info {
            title.push_str(&format!(
                "   ·   mean wait for a connection {} ms, {} pool timeouts per run",
                fmt_num(d.pool_wait_ms.mean),
                fmt_num(d.pool_timeouts.mean)
            ));
        }
        let inner = panel_title(area, &title)?;
        let mut chart = time_chart_x(&inner, t, y_max, false, *bottom)?;
        mesh!(
            chart,
            if *bottom { t.label } else { "" },
            "Connections",
            &|v: &f64| fmt_num(*v)
        );
        banded(&mut chart, &xs, &col, 1.0, TEAL)?;
        if let Some(p) = pool {
            hline(&mut chart, t.end, p, LIMIT, &pool_label, false)?;
        }
    }
    Ok(())
}

fn per_service<DB: DrawingBackend>(
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

fn cost<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    t: TimeAxis,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let col = data
        .series
        .get("cost_usd")
        .cloned()
        .unwrap_or_else(empty_col);
    let bucket_h = data.series.bucket_s() / 3600.0;
    let cum = |v: &[f64]| {
        let mut acc = 0.0;
        let mut out = vec![0.0];
        for x in v {
            if x.is_finite() {
                acc += x;
            }
            out.push(acc);
        }
        out
    };
    let (mean, lo, hi) = (cum(&col.mean), cum(&col.p5), cum(&col.p95));
    let mut xs = vec![0.0];
    xs.extend(
        data.series
            .time_s
            .iter()
            .map(|s| t.of(s + data.series.bucket_s())),
    );
    let total = &data.summary.cost.total_usd;
    let keys = vec![
        key("cumulative cost", GREEN, Swatch::LineBand),
        key("spend rate (right axis)", GREY, Swatch::Line),
    ];
    let extra = match total.ci95 {
        Some([a, b]) => format!(
            "total ${} (95% CI ${} to ${}) · shaded: bucket 5–95% ranges summed",
            fmt_money(total.mean),
            fmt_money(a),
            fmt_money(b)
        ),
        None => format!("total ${}", fmt_money(total.mean)),
    };
    let body = header(root, &spec.title, &subtitle(data, &extra), &keys)?;
    let y_max = upper(finite_max(mean.iter().chain(&hi)).max(1e-6));
    let rate: Vec<f64> = col.mean.iter().map(|c| c / bucket_h).collect();
    let r_max = upper(finite_max(&rate).max(1e-6));
    let mut chart = time_chart(&body, t, y_max, true)?.set_secondary_coord(0.0..t.end, 0.0..r_max);
    let (dl, dr) = (money_decimals(y_max), money_decimals(r_max));
    mesh!(chart, t.label, "Cumulative cost (USD)", &|v: &f64| format!(
        "${v:.dl$}"
    ));
    chart
        .configure_secondary_axes()
        .axis_style(AXIS.stroke_width(1))
        .label_style(font(15.0))
        .axis_desc_style(font(17.0))
        .y_labels(8)
        .y_desc("Spend rate (USD per hour)")
        .y_label_formatter(&|v: &f64| format!("${v:.dr$}"))
        .draw()?;
    let mids = midpoints(data, t);
    for run in runs(&mids, &rate) {
        chart.draw_secondary_series(LineSeries::new(run, GREY.stroke_width(2)))?;
    }
    band(&mut chart, &xs, &lo, &hi, GREEN, BAND_ALPHA)?;
    line(&mut chart, &xs, &mean, GREEN, LINE_W + 1)?;
    Ok(())
}

/// Decimals of a dollar axis that ends at `max`, the same for every tick.
fn money_decimals(max: f64) -> usize {
    if max >= 100.0 {
        0
    } else if max >= 0.1 {
        2
    } else if max >= 0.001 {
        4
    } else {
        6
    }
}

/// Dollars with cents below $100, whole dollars above.
pub fn fmt_money(v: f64) -> String {
    if !v.is_finite() {
        "–".into()
    } else if v.abs() >= 100.0 {
        fmt_num(v.round())
    } else if v.abs() >= 0.1 || v == 0.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

fn verdict_color(th: &Threshold) -> RGBColor {
    match th.verdict.as_str() {
        "pass" => PASS,
        "fail" => FAIL,
        _ => UNSURE,
    }
}

fn thresholds<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let ths = &data.summary.thresholds;
    let keys = vec![
        key("pass", PASS, Swatch::Bar),
        key("inconclusive", UNSURE, Swatch::Bar),
        key("fail", FAIL, Swatch::Bar),
        key("95% Wilson interval", INK, Swatch::Interval),
        key(
            format!(
                "required level ({})",
                fmt_pct(ths.first().map_or(0.9, |t| t.required))
            ),
            LIMIT,
            Swatch::Dashed,
        ),
    ];
    let body = header(
        root,
        &spec.title,
        &subtitle(
            data,
            "verdict: pass when the interval lies above the required level",
        ),
        &keys,
    )?;
    let labels: Vec<String> = ths.iter().map(|t| t.label()).collect();
    let values: Vec<f64> = ths.iter().map(|t| t.probability()).collect();
    let intervals: Vec<Option<[f64; 2]>> = ths.iter().map(|t| t.interval()).collect();
    let colors: Vec<RGBColor> = ths.iter().map(verdict_color).collect();
    let required = ths.first().map_or(0.9, |t| t.required);
    let text = |i: usize| {
        let t = &ths[i];
        format!(
            "{} ({}/{})",
            fmt_pct(t.probability()),
            t.passes,
            t.replications
        )
    };
    // Leave room right of 100% for the value labels.
    hbars(
        root,
        &body,
        &labels,
        &values,
        &intervals,
        &colors,
        1.22,
        "Probability that the threshold passes in a test run",
        &|v: &f64| {
            if *v <= 1.0 + 1e-9 {
                format!("{}%", (v * 100.0).round())
            } else {
                String::new()
            }
        },
        &text,
        Some(required),
    )
}

/// Share of probability mass of the quantile function `q` (percentile, value) in [a, b).
fn cdf_at(q: &[(f64, f64)], x: f64) -> f64 {
    // Percentile at value x, interpolating the quantile function's inverse.
    if q.is_empty() {
        return f64::NAN;
    }
    if x < q[0].1 {
        return 0.0;
    }
    if x >= q[q.len() - 1].1 {
        return q[q.len() - 1].0 / 100.0;
    }
    // Last index with value <= x.
    let i = q.partition_point(|p| p.1 <= x).saturating_sub(1);
    let (p0, v0) = q[i];
    let (p1, v1) = q[(i + 1).min(q.len() - 1)];
    let p = if v1 > v0 {
        p0 + (p1 - p0) * (x - v0) / (v1 - v0)
    } else {
        p1
    };
    p / 100.0
}

/// Value at percentile `p` (0-100) by linear interpolation.
fn quantile(q: &[(f64, f64)], p: f64) -> f64 {
    if q.is_empty() {
        return f64::NAN;
    }
    let i = q.partition_point(|x| x.0 < p);
    if i == 0 {
        return q[0].1;
    }
    if i >= q.len() {
        return q[q.len() - 1].1;
    }
    let (p0, v0) = q[i - 1];
    let (p1, v1) = q[i];
    if p1 > p0 {
        v0 + (v1 - v0) * (p - p0) / (p1 - p0)
    } else {
        v1
    }
}

fn latency_distribution<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    eps: &[String],
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let Some(lat) = &data.latency else {
        return Ok(());
    };
    // Percentile thresholds of the metric each panel shows (all requests, or one endpoint).
    let limits_of = |ep: &str| -> Vec<(String, f64)> {
        let metric = if ep == "*" {
            "http_req_duration".to_string()
        } else {
            format!("http_req_duration{{endpoint:{ep}}}")
        };
        data.summary
            .thresholds
            .iter()
            .filter(|th| th.metric.replace(": ", ":") == metric)
            .filter_map(|th| th.limit())
            .filter(|(stat, _)| stat.starts_with("p(") || stat == "med")
            .collect()
    };
    // A threshold is drawn when it lies within twice the panel's tail (else off scale).
    let tail = |ep: &str| {
        lat.endpoints
            .iter()
            .find(|(e, _)| e == ep)
            .map_or(0.0, |(_, q)| quantile(q, 99.5))
    };
    let any_limits = eps
        .iter()
        .any(|e| limits_of(e).iter().any(|l| l.1 <= 2.0 * tail(e)));
    let mut keys = vec![
        key("share of requests per bin", BLUE, Swatch::Bar),
        key("cumulative share", PURPLE, Swatch::Line),
    ];
    if any_limits {
        keys.push(key("percentile threshold", LIMIT, Swatch::Dashed));
    }
    let body = header(
        root,
        &spec.title,
        &subtitle(data, "x axis ends near the 99.5th percentile"),
        &keys,
    )?;
    let rows = body.split_evenly((eps.len(), 1));
    for (row, ep) in rows.iter().zip(eps) {
        let Some((_, q)) = lat.endpoints.iter().find(|(e, _)| e == ep) else {
            continue;
        };
        let name = if ep == "*" {
            "all requests"
        } else {
            ep.as_str()
        };
        let title = format!(
            "{name}   ·   p50 {} ms, p95 {} ms, p99 {} ms",
            fmt_ms(quantile(q, 50.0)),
            fmt_ms(quantile(q, 95.0)),
            fmt_ms(quantile(q, 99.0))
        );
        let limits = limits_of(ep);
        let inner = panel_title(row, &title)?;
        let (left, right) = inner.split_horizontally(inner.dim_in_pixel().0 / 2);
        let x_hi = quantile(q, 99.5);
        let x_hi = if x_hi > 0.0 { x_hi } else { 1.0 };
        let x_lo = 0.0;
        // Show a threshold that lies a little beyond the tail too.
        let reach = limits
            .iter()
            .map(|l| l.1)
            .filter(|v| *v <= 2.0 * x_hi)
            .fold(x_hi, f64::max);
        let x_max = nice_ceil(reach * 1.02);
        // Histogram: 40 equal bins up to x_hi.
        let bins = 40;
        let w = (x_hi - x_lo) / bins as f64;
        let shares: Vec<(f64, f64, f64)> = (0..bins)
            .map(|b| {
                let a = x_lo + b as f64 * w;
                let c = a + w;
                (a, c, (cdf_at(q, c) - cdf_at(q, a)) * 100.0)
            })
            .collect();
        let h_max = upper(finite_max(shares.iter().map(|s| &s.2)).max(0.1));
        let mut hist = ChartBuilder::on(&left)
            .margin_left(16)
            .margin_right(24)
            .margin_top(8)
            .margin_bottom(12)
            .x_label_area_size(56)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..x_max, 0.0..h_max)?;
        hist.configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID.stroke_width(1))
            .axis_style(AXIS.stroke_width(1))
            .label_style(font(15.0))
            .axis_desc_style(font(17.0))
            .x_labels(7)
            .y_labels(6)
            .x_desc("Response time (ms)")
            .y_desc("Share of requests (%)")
            .x_label_formatter(&|v: &f64| fmt_num(*v))
            .y_label_formatter(&|v: &f64| fmt_num(*v))
            .draw()?;
        hist.draw_series(shares.iter().map(|&(a, c, s)| {
            let mut r = Rectangle::new([(a, 0.0), (c, s)], BLUE.mix(0.85).filled());
            r.set_margin(0, 0, 1, 1);
            r
        }))?;
        let mut cdf = ChartBuilder::on(&right)
            .margin_left(16)
            .margin_right(32)
            .margin_top(8)
            .margin_bottom(12)
            .x_label_area_size(56)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..x_max, 0.0..100.0)?;
        cdf.configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID.stroke_width(1))
            .axis_style(AXIS.stroke_width(1))
            .label_style(font(15.0))
            .axis_desc_style(font(17.0))
            .x_labels(7)
            .y_labels(6)
            .x_desc("Response time (ms)")
            .y_desc("Requests at or below (%)")
            .x_label_formatter(&|v: &f64| fmt_num(*v))
            .y_label_formatter(&|v: &f64| fmt_num(*v))
            .draw()?;
        let pts: Vec<(f64, f64)> = q
            .iter()
            .filter(|(_, v)| *v <= x_max)
            .map(|&(p, v)| (v, p))
            .collect();
        cdf.draw_series(LineSeries::new(pts, PURPLE.stroke_width(LINE_W + 1)))?;
        for (stat, v) in &limits {
            if *v <= x_max {
                cdf.draw_series(DashedLineSeries::new(
                    vec![(*v, 0.0), (*v, 100.0)],
                    10,
                    6,
                    LIMIT.stroke_width(2),
                ))?;
                let style = font(14.0)
                    .color(&LIMIT)
                    .pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Right,
                        plotters::style::text_anchor::VPos::Top,
                    ));
                cdf.draw_series(std::iter::once(
                    EmptyElement::at((*v, 0.0))
                        + Text::new(format!("{stat} < {} ms", fmt_num(*v)), (-6, -24), style),
                ))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(fmt_num(2090.0), "2,090");
        assert_eq!(fmt_num(1234567.4), "1,234,567");
        assert_eq!(fmt_num(12.5), "12.5");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(250.0), "250");
        assert_eq!(fmt_pct(0.0123), "1.23%");
        assert_eq!(fmt_pct(0.00695), "0.695%");
        assert_eq!(fmt_pct(0.893), "89.3%");
        assert_eq!(fmt_pct(0.9), "90%");
        assert_eq!(fmt_pct(0.0005), "0.05%");
        assert_eq!(nice_ceil(830.0), 1000.0);
        assert_eq!(nice_ceil(0.9), 1.0);
        assert_eq!(nice_ceil(2.2), 2.5);
    }

    #[test]
    fn quantile_and_cdf_are_inverse() {
        let q = vec![(0.0, 10.0), (50.0, 20.0), (100.0, 40.0)];
        assert_eq!(quantile(&q, 50.0), 20.0);
        assert_eq!(quantile(&q, 75.0), 30.0);
        assert!((cdf_at(&q, 30.0) - 0.75).abs() < 1e-12);
        assert_eq!(cdf_at(&q, 5.0), 0.0);
        assert_eq!(cdf_at(&q, 50.0), 1.0);
    }
}
