//! Views of results: console summary, summary.json, timeseries.csv. Reports never compute.
