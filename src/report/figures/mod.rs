//! Figures of a run, drawn with plotters to PNG and SVG from the saved results
//! ([`crate::report::data::RunData`]), never from engine types: one file per figure family,
//! all drawn in the look of `style.rs`.
//!
//! Shaded areas are the 5-95% range across replications; lines are means across
//! replications.

mod bars;
mod cost;
mod db_connections;
mod errors;
mod latency;
mod latency_distribution;
pub(crate) mod numbers;
mod plan;
mod replicas;
mod request_rate;
mod series;
mod services;
pub(crate) mod style;
mod thresholds;

pub use errors::cause_label;
pub use numbers::{fmt_money, fmt_ms, fmt_num, fmt_pct};
pub use plan::{FIGURE_STEMS, FigureOptions, FigureSpec, plan};
pub use style::{DrawError, ensure_fonts};

use crate::report::data::RunData;
use crate::report::figures::plan::Kind;
use crate::report::figures::series::TimeAxis;
use crate::report::figures::style::{png_of, svg_of};
use plotters::coord::Shift;
use plotters::prelude::*;

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

fn draw<DB: DrawingBackend>(
    spec: &FigureSpec,
    data: &RunData,
    opts: &FigureOptions,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    let t = TimeAxis::new(data.series.end_s());
    match &spec.kind {
        Kind::Latency => latency::latency(spec, data, t, root),
        Kind::RequestRate => request_rate::request_rate(spec, data, opts, t, root),
        Kind::ErrorRate => errors::error_rate(spec, data, t, root),
        Kind::ErrorsByCause => errors::errors_by_cause(spec, data, root),
        Kind::Replicas(svcs) => replicas::replicas(spec, data, t, svcs, root),
        Kind::DbConnections(dbs) => db_connections::db_connections(spec, data, t, dbs, root),
        Kind::InFlight(svcs) => {
            services::per_service(spec, data, t, svcs, "in_flight_", false, root)
        }
        Kind::Utilization(svcs) => {
            services::per_service(spec, data, t, svcs, "utilization_", true, root)
        }
        Kind::Cost => cost::cost(spec, data, t, root),
        Kind::Thresholds => thresholds::thresholds(spec, data, root),
        Kind::LatencyDistribution(eps) => {
            latency_distribution::latency_distribution(spec, data, eps, root)
        }
    }
}
