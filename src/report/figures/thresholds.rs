//! The `thresholds` figure: each threshold's pass probability with its Wilson interval
//! against the required level.

use crate::report::data::RunData;
use crate::report::data::Threshold;
use crate::report::figures::bars::hbars;
use crate::report::figures::numbers::fmt_pct;
use crate::report::figures::plan::FigureSpec;
use crate::report::figures::plan::subtitle;
use crate::report::figures::style::{
    DrawError, FAIL, INK, LIMIT, PASS, Swatch, UNSURE, header, key,
};
use plotters::coord::Shift;
use plotters::prelude::*;

fn verdict_color(th: &Threshold) -> RGBColor {
    match th.verdict.as_str() {
        "pass" => PASS,
        "fail" => FAIL,
        _ => UNSURE,
    }
}

pub(super) fn thresholds<DB: DrawingBackend>(
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
