//! Serde mirrors of the files users write: models, experiments, k6 scenarios and options.
pub mod distribution;
pub mod experiment;
pub mod k6_options;
pub mod model;
pub mod scenario;
