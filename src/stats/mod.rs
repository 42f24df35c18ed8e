//! Statistics: latency histograms, time-weighted gauges, confidence intervals across replications.
//!
//! A leaf module: nothing here knows about the engine. [`latency`] holds streaming
//! latency histograms (HDR), [`gauge`] time-weighted and online moments, and
//! [`interval`] the statistics across replications (Student-t intervals, k6
//! quantiles, Wilson intervals, paired differences).

pub mod gauge;
pub mod interval;
pub mod latency;

pub use gauge::{TimeWeighted, Welford};
pub use interval::{
    Band, Estimate, band, estimate, paired_difference, quantile, relative_half_width, t_half_width,
    wilson_interval,
};
pub use latency::{BucketLatency, LatencyHistogram, TrendStats};
