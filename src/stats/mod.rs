//! Statistics: latency histograms, time-weighted gauges, confidence intervals across replications.
//!
//! A leaf module: nothing here knows about the engine. [`latency`] holds streaming
//! latency histograms (HDR) and [`fronted`] one recorded through a 16-bit front, [`gauge`] time-weighted and online moments, and
//! [`interval`] the statistics across replications (Student-t intervals, k6
//! quantiles, Wilson intervals, paired differences, domains), and [`predictive`] P(pass)
//! from a metric's values under a normal model, [`mser`] the MSER-5 warm-up rule and
//! [`pooled`] P(pass) of an error-rate threshold from the pooled counts, [`band_fold`] bands
//! across replications built one replication at a time in bounded memory, and [`beta`] the
//! incomplete beta function accurate for the large counts that pooling gives.

pub mod band_fold;
pub mod beta;
pub mod fronted;
pub mod gauge;
pub mod interval;
pub mod latency;
mod latency_front;
pub mod mser;
pub mod pooled;
pub mod predictive;

pub use gauge::{TimeWeighted, Welford};
pub use interval::{
    Band, Domain, Estimate, band, estimate, estimate_in, paired_difference, quantile,
    relative_half_width, t_half_width, wilson_interval,
};
pub use latency::{BucketLatency, LatencyHistogram, TrendStats};
