//! The look every figure shares, run and sweep figures alike: palette, fonts and text
//! styles, the title block, the run figures' legend row, axis styling (`mesh!`), a centred
//! note, and drawing onto PNG bytes or SVG text.
//!
//! Text uses the DejaVu Sans font embedded in the binary (the `dejavu` crate) through
//! plotters' `ab_glyph` feature: no system fonts, fontconfig or pkg-config are needed.
//!
//! Every run figure has the same layout: a bold title and a grey subtitle at the top left,
//! then a legend row (so a legend never hides data), then the plot.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};
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

// ---------------------------------------------------------------------------------------
// Palette and text

pub(crate) const BLUE: RGBColor = RGBColor(0x4E, 0x79, 0xA7);
pub(crate) const ORANGE: RGBColor = RGBColor(0xF2, 0x8E, 0x2B);
pub(crate) const RED: RGBColor = RGBColor(0xE1, 0x57, 0x59);
pub(crate) const TEAL: RGBColor = RGBColor(0x76, 0xB7, 0xB2);
pub(crate) const GREEN: RGBColor = RGBColor(0x59, 0xA1, 0x4F);
pub(crate) const YELLOW: RGBColor = RGBColor(0xED, 0xC9, 0x48);
pub(crate) const PURPLE: RGBColor = RGBColor(0xB0, 0x7A, 0xA1);
pub(crate) const PINK: RGBColor = RGBColor(0xFF, 0x9D, 0xA7);
pub(crate) const BROWN: RGBColor = RGBColor(0x9C, 0x75, 0x5F);
pub(crate) const GREY: RGBColor = RGBColor(0x79, 0x70, 0x6E);
/// Series colours in order (Tableau 10).
pub(crate) const PALETTE: [RGBColor; 10] = [
    BLUE, ORANGE, TEAL, PURPLE, GREEN, RED, YELLOW, PINK, BROWN, GREY,
];
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x5F, 0x63, 0x68);
pub(crate) const GRID: RGBColor = RGBColor(0xE3, 0xE5, 0xE8);
pub(crate) const AXIS: RGBColor = RGBColor(0x9A, 0xA0, 0xA6);
/// Threshold and limit lines.
pub(crate) const LIMIT: RGBColor = RGBColor(0xC4, 0x1E, 0x3A);
pub(crate) const PASS: RGBColor = GREEN;
pub(crate) const FAIL: RGBColor = RED;
pub(crate) const UNSURE: RGBColor = RGBColor(0xE8, 0xA2, 0x02);
/// Dominated points of the sweep's Pareto figure.
pub(crate) const DOMINATED: RGBColor = RGBColor(0x9A, 0xA0, 0xA6);
/// A heatmap cell without data.
pub(crate) const MISSING: RGBColor = RGBColor(0xF1, 0xF3, 0xF4);
/// Light to dark: a heatmap's metric (lower is better: light).
pub(crate) const HEAT: [RGBColor; 4] = [
    RGBColor(0xFF, 0xF4, 0xD6),
    RGBColor(0xF8, 0xC0, 0x6B),
    RGBColor(0xE1, 0x6A, 0x3A),
    RGBColor(0x8E, 0x1F, 0x2F),
];
/// Red (0) through yellow to green (1): SLO attainment.
pub(crate) const ATTAIN: [RGBColor; 3] = [RED, YELLOW, GREEN];

/// Opacity of a 5-95% band; width of a mean line.
pub(crate) const BAND_ALPHA: f64 = 0.22;
pub(crate) const LINE_W: u32 = 2;
pub(crate) const FONT: &str = "sans-serif";

/// A text size in pixels that the PNG renderer places on one baseline: the nearest even
/// whole number (ties up). plotters' `ab_glyph` backend puts each glyph's top at
/// `(size / 2 + top) as i32`, truncating toward zero, so with an odd or fractional size a
/// glyph whose top is below the middle (`.`, `,`, `·`) lands one or two pixels higher than
/// the digits beside it: "392·1 ms" for "392.1 ms". With an even size the sum is whole and
/// every glyph sits on the baseline. SVG text is unaffected but gets the same size.
pub(crate) fn text_px(size: f64) -> f64 {
    ((size / 2.0).round() * 2.0).max(2.0)
}

pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (FONT, text_px(size)).into_font().color(&INK)
}

pub(crate) fn muted(size: f64) -> TextStyle<'static> {
    (FONT, text_px(size)).into_font().color(&MUTED)
}

pub(crate) fn bold(size: f64) -> TextStyle<'static> {
    // (family, size, style): FontDesc::style() would keep the regular glyphs.
    (FONT, text_px(size), FontStyle::Bold)
        .into_font()
        .color(&INK)
}

/// The colour at `t` (0 to 1, clamped) along the evenly spaced `stops`.
pub(crate) fn ramp(stops: &[RGBColor], t: f64) -> RGBColor {
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
pub(crate) fn ink_on(c: RGBColor) -> RGBColor {
    let l = 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
    if l < 150.0 { WHITE } else { INK }
}

/// `style` anchored at `(h, v)` of its position.
pub(crate) fn anchored(style: TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

/// Width of `s` in pixels; 8 px a character when the font cannot tell.
pub(crate) fn text_w<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
) -> i32 {
    area.estimate_text_size(s, style)
        .map(|(w, _)| w as i32)
        .unwrap_or(8 * s.chars().count() as i32)
}

// ---------------------------------------------------------------------------------------
// Title, legend and note

/// Clears the canvas and draws the bold title and the grey subtitle at the top left.
pub(crate) fn title_block<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<(), DrawError> {
    root.fill(&WHITE)?;
    root.draw(&Text::new(title.to_string(), (24, 16), bold(24.0)))?;
    root.draw(&Text::new(subtitle.to_string(), (24, 50), muted(15.0)))?;
    Ok(())
}

/// How a legend key of a run figure shows its series.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Swatch {
    Line,
    Dashed,

    Bar,
    /// A line over its band.
    LineBand,
    /// An interval with end caps.
    Interval,
}

/// One legend key: a swatch and its label.
pub(crate) struct Key {
    label: String,
    color: RGBColor,
    swatch: Swatch,
}

pub(crate) fn key(label: impl Into<String>, color: RGBColor, swatch: Swatch) -> Key {
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
pub(crate) fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    keys: &[Key],
) -> Result<DrawingArea<DB, Shift>, DrawError> {
    title_block(root, title, subtitle)?;
    let (w, _) = root.dim_in_pixel();
    let y = draw_legend(root, keys, 24, 80, w as i32 - 48)?;
    let (_, body) = root.split_vertically(y + 6);
    Ok(body)
}

/// A centred note in an empty plot area.
pub(crate) fn note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
) -> Result<(), DrawError> {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        text.to_string(),
        (w as i32 / 2, h as i32 / 2),
        anchored(muted(20.0), HPos::Center, VPos::Center),
    ))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Axes

/// Styles and draws the axes and grid of a time chart: `mesh!(chart, x_desc, y_desc,
/// y_label_formatter)`, x values labelled by `fmt_num`; a chart with fewer ticks names
/// its x and y label counts after the formatter (the default is 12 and 8).
macro_rules! mesh {
    ($chart:expr, $xdesc:expr, $ydesc:expr, $yfmt:expr) => {
        $crate::report::figures::style::mesh!($chart, $xdesc, $ydesc, $yfmt, 12, 8)
    };
    ($chart:expr, $xdesc:expr, $ydesc:expr, $yfmt:expr, $xlabels:expr, $ylabels:expr) => {
        $chart
            .configure_mesh()
            .light_line_style(::plotters::style::TRANSPARENT)
            .bold_line_style($crate::report::figures::style::GRID.stroke_width(1))
            .axis_style($crate::report::figures::style::AXIS.stroke_width(1))
            .label_style($crate::report::figures::style::font(15.0))
            .axis_desc_style($crate::report::figures::style::font(17.0))
            .x_labels($xlabels)
            .y_labels($ylabels)
            .x_desc($xdesc)
            .y_desc($ydesc)
            .x_label_formatter(&|v: &f64| $crate::report::figures::numbers::fmt_num(*v))
            .y_label_formatter($yfmt)
            .draw()?;
    };
}
pub(crate) use mesh;

// ---------------------------------------------------------------------------------------
// PNG and SVG

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Lowest inked row of each glyph of `text` drawn at `size` (left to right, by column
    /// runs of ink), read from the raw RGB buffer of the PNG renderer.
    fn glyph_bottoms(text: &str, size: f64) -> Vec<usize> {
        ensure_fonts();
        let (w, h) = (160usize, 40usize);
        let mut rgb = vec![255u8; w * h * 3];
        {
            let root =
                BitMapBackend::with_buffer(&mut rgb, (w as u32, h as u32)).into_drawing_area();
            root.draw(&Text::new(text, (4, 4), font(size))).unwrap();
            root.present().unwrap();
        }
        let inked = |x: usize, y: usize| rgb[(y * w + x) * 3] < 128;
        let mut bottoms = Vec::new();
        let mut run: Option<usize> = None;
        for x in 0..w {
            let bottom = (0..h).rev().find(|&y| inked(x, y));
            match (bottom, run) {
                (Some(b), Some(r)) => run = Some(r.max(b)),
                (Some(b), None) => run = Some(b),
                (None, Some(r)) => {
                    bottoms.push(r);
                    run = None;
                }
                (None, None) => {}
            }
        }
        bottoms
    }

    #[test]
    fn text_sizes_are_even_pixels() {
        assert_eq!(text_px(13.0), 14.0);
        assert_eq!(text_px(15.0), 16.0);
        assert_eq!(text_px(14.0), 14.0);
        assert_eq!(text_px(13.6), 14.0);
        assert_eq!(text_px(0.5), 2.0);
    }

    /// "392.1": the decimal point sits on the digits' baseline, not raised to a middle dot,
    /// at every size the figures use.
    #[test]
    fn decimal_points_sit_on_the_baseline() {
        for size in [13.0, 14.0, 15.0, 16.0, 17.0, 20.0] {
            let bottoms = glyph_bottoms("1.1", size);
            assert_eq!(bottoms.len(), 3, "size {size}: {bottoms:?}");
            assert_eq!(
                bottoms[0], bottoms[1],
                "size {size}: the point is raised: {bottoms:?}"
            );
        }
    }
}
