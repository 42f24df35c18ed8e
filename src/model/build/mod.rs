//! Builds a validated [`Model`] from a [`ModelSpec`]: the entry point, the order of the
//! checks, and the number checks the parts share. The parts: [`services`] (stations,
//! endpoints, entry balancer), [`data_tier`] (databases and caches), [`providers`],
//! [`autoscaling`] (AWS, health checks, replica resources), [`kubernetes`]
//! (manifests: Deployments and HPAs bound to services), [`operations`]
//! (steps compiled to the program) and [`cycles`] (call cycles found before running).

mod autoscaling;
mod cycles;
mod data_tier;
mod k8s_metrics;
mod kubernetes;
mod operations;
mod providers;
mod services;

use crate::error::FieldError;
use crate::model::distribution::{self as dist, Distribution};
use crate::model::{DistId, Model, Program};
use crate::spec::confine::Files;
use crate::spec::distribution::DistributionSpec;
use crate::spec::model::ModelSpec;
use std::path::Path;

/// Default waiting room per replica when a service does not say (Tomcat's acceptCount is 100,
/// a Node.js server has no bound; 1000 keeps memory bounded while rarely refusing).
pub const DEFAULT_QUEUE_CAPACITY: u32 = 1000;
/// Sizes beyond these are refused: they are typos, and they would exhaust memory.
pub const MAX_REPLICAS: u32 = 10_000;
pub const MAX_WORKERS: u32 = 1_000_000;
const PROBABILITY_SLACK: f64 = 1e-6;

struct Builder<'a> {
    spec: &'a ModelSpec,
    files: &'a Files,
    distributions: Vec<Distribution>,
    program: Program,
}

/// Validates `spec` (whose named files `files` resolves) into a [`Model`].
pub fn build_model(
    spec: &ModelSpec,
    files: &Files,
    fallback_name: &str,
) -> Result<Model, FieldError> {
    build_model_with(spec, files, fallback_name, &|path| {
        crate::spec::read::read_text(path).map_err(|e| e.to_string())
    })
}

/// Reads an HPA manifest file's text (and may change it: `--set hpa.NAME...` overrides).
pub type ManifestReader<'a> = &'a dyn Fn(&Path) -> Result<String, String>;

/// [`build_model`] with the HPA manifests read through `manifests`.
pub fn build_model_with(
    spec: &ModelSpec,
    files: &Files,
    fallback_name: &str,
    manifests: ManifestReader<'_>,
) -> Result<Model, FieldError> {
    let mut b = Builder {
        spec,
        files,
        distributions: Vec::new(),
        program: Program::default(),
    };
    for name in spec.job_queues.keys() {
        if spec.services.contains_key(name) {
            return Err(FieldError::new(
                format!("job_queues.{name}"),
                format!("`{name}` is both a service and a job queue; give them different names"),
            ));
        }
    }
    if spec.services.is_empty() {
        return Err(FieldError::new(
            "services",
            "a model needs at least one service",
        ));
    }
    if spec.endpoints.is_empty() {
        return Err(FieldError::new(
            "endpoints",
            "a model needs at least one endpoint, e.g. `\"GET /\": {service: web, operation: index}`",
        ));
    }

    let databases = b.databases()?;
    let caches = b.caches()?;
    let providers = b.providers()?;
    cycles::check_call_cycles(spec)?;

    let mut stations = b.stations()?;
    b.compile_stations(&mut stations)?;
    let endpoints = services::endpoints(spec)?;
    let balancer = b.balancer()?;

    let mut notes = Vec::new();
    let kubernetes = match &spec.kubernetes {
        Some(k) => Some(kubernetes::kubernetes(
            k,
            &mut stations,
            &providers,
            files,
            manifests,
            &mut notes,
        )?),
        None => None,
    };

    let aws = match &spec.aws {
        Some(a) => Some(autoscaling::aws(a, spec, &stations, files, &mut notes)?),
        None => None,
    };

    Ok(Model {
        kubernetes,
        aws,
        name: spec
            .name
            .clone()
            .unwrap_or_else(|| fallback_name.to_string()),
        stations,
        databases,
        caches,
        providers,
        endpoints,
        balancer,
        distributions: b.distributions,
        program: b.program,
        notes,
    })
}

impl Builder<'_> {
    fn distribution(&mut self, spec: &DistributionSpec, path: &str) -> Result<DistId, FieldError> {
        let d = dist::build(spec, self.files).map_err(|e| e.within(path))?;
        self.distributions.push(d);
        Ok(self.distributions.len() - 1)
    }
}

/// A price in USD: finite and not negative; absent means free.
fn price(value: Option<f64>, path: &str) -> Result<f64, FieldError> {
    match value {
        Some(v) => {
            check_range(path, v, 0.0, 1e9)?;
            Ok(v)
        }
        None => Ok(0.0),
    }
}

fn check_range(path: &str, value: f64, min: f64, max: f64) -> Result<(), FieldError> {
    if !value.is_finite() || value < min || value > max {
        return Err(FieldError::new(
            path,
            format!("{value} is out of range; allowed: {min} to {max}"),
        ));
    }
    Ok(())
}

fn check_probability(path: &str, value: f64) -> Result<(), FieldError> {
    if !value.is_finite() || !(0.0..=1.0).contains(&value) {
        return Err(FieldError::new(
            path,
            format!("{value} is not a probability; write a number from 0 to 1 (0.85 for 85%)"),
        ));
    }
    Ok(())
}
