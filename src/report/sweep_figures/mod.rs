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
//! - `capacity_curve.png/.svg` (of `capsim capacity`, not of a sweep folder): throughput
//!   and p(95) against the load factor with their bands, the knee and the limit marked.
//!
//! One file per figure (`heatmap.rs`, `line_chart.rs`, `pareto.rs`), drawn in the run
//! figures' look (`report/figures/style.rs`) from the table that `table.rs` reads.

mod capacity;
mod heatmap;
mod legend;
mod line_chart;
mod metric;
mod pareto;
mod table;

pub use capacity::{CAPACITY_SIZE, CAPACITY_STEM, capacity_figure};
pub use heatmap::{SweepFigureOptions, heatmap_size};
pub use table::{DEFAULT_METRIC, SWEEP_CSV, SweepRow, SweepTable, short_names};

use crate::report::figures::style::{DrawError, png_of, svg_of};
use crate::report::render::{RenderError, RenderedFile};

/// Stems of the figures written next to sweep.csv.
pub const HEATMAP_STEM: &str = "sweep_heatmap";
pub const PARETO_STEM: &str = "sweep_pareto";

/// PNG and SVG of the heatmap figure (a line chart for one parameter).
pub fn heatmap_figure(
    table: &SweepTable,
    opts: &SweepFigureOptions,
) -> Result<(Vec<u8>, String), DrawError> {
    let size = heatmap_size(table, opts);
    Ok((
        png_of(size, |r| heatmap::draw_heatmap(table, opts, r))?,
        svg_of(size, |r| heatmap::draw_heatmap(table, opts, r))?,
    ))
}

/// PNG and SVG of the cost-versus-attainment figure.
pub fn pareto_figure(
    table: &SweepTable,
    opts: &SweepFigureOptions,
) -> Result<(Vec<u8>, String), DrawError> {
    let size = (opts.width, opts.height);
    Ok((
        png_of(size, |r| pareto::draw_pareto(table, r))?,
        svg_of(size, |r| pareto::draw_pareto(table, r))?,
    ))
}

/// Draws one sweep figure: its PNG bytes and SVG text.
type FigureFn = fn(&SweepTable, &SweepFigureOptions) -> Result<(Vec<u8>, String), DrawError>;

/// `sweep_heatmap` and `sweep_pareto` as PNG and SVG files, in that order.
pub fn render_sweep(
    table: &SweepTable,
    opts: &SweepFigureOptions,
) -> Result<Vec<RenderedFile>, RenderError> {
    let mut files = Vec::new();
    let figures: [(&str, FigureFn); 2] =
        [(HEATMAP_STEM, heatmap_figure), (PARETO_STEM, pareto_figure)];
    for (stem, make) in figures {
        let (png, svg) = make(table, opts).map_err(|source| RenderError::Draw {
            figure: stem.to_string(),
            source,
        })?;
        files.push(RenderedFile {
            name: format!("{stem}.png"),
            bytes: png,
        });
        files.push(RenderedFile {
            name: format!("{stem}.svg"),
            bytes: svg.into_bytes(),
        });
    }
    Ok(files)
}
