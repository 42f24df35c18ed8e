//! Statistics: latency histograms, time-weighted gauges, confidence intervals across replications.
