//! The `replicas` figure: ready and desired replicas per service, one panel each, with
//! the autoscaler bounds.

use crate::report::data::RunData;
use crate::report::figures::numbers::{finite_max, fmt_num};
use crate::report::figures::plan::FigureSpec;
use crate::report::figures::plan::{BAND_NOTE, subtitle};
use crate::report::figures::series::{
    TimeAxis, band, dashed, empty_col, hline, line, midpoints, panel_title, panels, time_chart_x,
};
use crate::report::figures::style::{
    BAND_ALPHA, BLUE, DrawError, GREY, LINE_W, ORANGE, Swatch, header, key, mesh,
};
use plotters::coord::Shift;
use plotters::prelude::*;

pub(super) fn replicas<DB: DrawingBackend>(
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
