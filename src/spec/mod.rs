//! The files as users write them: reading them from disk ([`read`]), parsing YAML
//! ([`yaml`]), `--set` overrides of a document ([`overrides`]), `k6 inspect` JSON
//! ([`k6_options`]), k6's result files for `compare` ([`k6_result`], [`k6_samples`], [`k6_observed`]), the files of a k6 script and `k6 run`'s flags ([`k6_script`]), and the serde mirrors of models, experiments, k6 scenarios, Kubernetes
//! HPA manifests ([`k8s`]), the `capsim hpa` snapshot ([`hpa_snapshot`]) and the AWS Auto
//! Scaling files ([`aws`]).
//! This is the only layer that opens a file; everything above receives parsed documents.
pub mod aws;
pub mod aws_cli;
pub mod confine;
pub mod distribution;
pub mod experiment;
pub mod hpa_snapshot;
pub mod k6_observed;
pub mod k6_options;
pub mod k6_result;
pub mod k6_samples;
pub mod k6_script;
pub mod k8s;
pub mod k8s_manifests;
pub mod model;
pub mod override_path;
pub mod overrides;
pub mod read;
pub mod scale;
pub mod scenario;
pub mod yaml;
