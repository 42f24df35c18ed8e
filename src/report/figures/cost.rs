//! The `cost` figure: cumulative infrastructure cost and the hourly spend rate.

use crate::report::data::RunData;
use crate::report::figures::numbers::{finite_max, fmt_money, upper};
use crate::report::figures::plan::FigureSpec;
use crate::report::figures::plan::subtitle;
use crate::report::figures::series::{
    TimeAxis, band, empty_col, line, midpoints, runs, time_chart,
};
use crate::report::figures::style::{
    AXIS, BAND_ALPHA, DrawError, GREEN, GREY, LINE_W, Swatch, font, header, key, mesh,
};
use plotters::coord::Shift;
use plotters::prelude::*;

pub(super) fn cost<DB: DrawingBackend>(
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
