//! The files as users write them: reading them from disk ([`read`]), parsing YAML
//! ([`yaml`]), `--set` overrides of a document ([`overrides`]), `k6 inspect` JSON
//! ([`k6_options`]), and the serde mirrors of models, experiments and k6 scenarios.
//! This is the only layer that opens a file; everything above receives parsed documents.
pub mod distribution;
pub mod experiment;
pub mod k6_options;
pub mod model;
pub mod overrides;
pub mod read;
pub mod scenario;
pub mod yaml;
