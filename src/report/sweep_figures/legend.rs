//! The header of the sweep figures: title block, then a legend row whose keys are dots,
//! lines, intervals or colour ramps.

use crate::report::figures::style::{DrawError, font, ramp, text_w, title_block};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Legend keys of the header row.
pub(super) enum Swatch {
    Dot(RGBColor),
    Line(RGBColor),
    Interval(RGBColor),
    Ramp(&'static [RGBColor]),
}

/// Clears the canvas, draws title, subtitle and the legend row; returns the plot area.
pub(super) fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    keys: &[(String, Swatch)],
) -> Result<DrawingArea<DB, Shift>, DrawError> {
    title_block(root, title, subtitle)?;
    let (w, _) = root.dim_in_pixel();
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
