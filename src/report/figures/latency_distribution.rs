//! The `latency_distribution` figure: histogram and cumulative distribution of the
//! response time per endpoint, from latency.csv's percentiles.

use crate::report::data::RunData;
use crate::report::figures::numbers::{finite_max, fmt_ms, fmt_num, nice_ceil, upper};
use crate::report::figures::plan::FigureSpec;
use crate::report::figures::plan::subtitle;
use crate::report::figures::series::panel_title;
use crate::report::figures::style::{
    BLUE, DrawError, LIMIT, LINE_W, PURPLE, Swatch, font, header, key, mesh,
};
use plotters::coord::Shift;
use plotters::prelude::*;

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

pub(super) fn latency_distribution<DB: DrawingBackend>(
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
        mesh!(
            hist,
            "Response time (ms)",
            "Share of requests (%)",
            &|v: &f64| fmt_num(*v),
            7,
            6
        );
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
        mesh!(
            cdf,
            "Response time (ms)",
            "Requests at or below (%)",
            &|v: &f64| fmt_num(*v),
            7,
            6
        );
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
    fn quantile_and_cdf_are_inverse() {
        let q = vec![(0.0, 10.0), (50.0, 20.0), (100.0, 40.0)];
        assert_eq!(quantile(&q, 50.0), 20.0);
        assert_eq!(quantile(&q, 75.0), 30.0);
        assert!((cdf_at(&q, 30.0) - 0.75).abs() < 1e-12);
        assert_eq!(cdf_at(&q, 5.0), 0.0);
        assert_eq!(cdf_at(&q, 50.0), 1.0);
    }
}
