//! The `db_connections` figure: connections in use per database, one panel each, against
//! the pool size.

use crate::report::data::RunData;
use crate::report::figures::numbers::{finite_max, fmt_num, upper};
use crate::report::figures::plan::FigureSpec;
use crate::report::figures::plan::{BAND_NOTE, subtitle};
use crate::report::figures::series::{
    TimeAxis, banded, empty_col, hline, midpoints, panel_title, panels, time_chart_x,
};
use crate::report::figures::style::{DrawError, LIMIT, Swatch, TEAL, header, key, mesh};
use plotters::coord::Shift;
use plotters::prelude::*;

pub(super) fn db_connections<DB: DrawingBackend>(
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
