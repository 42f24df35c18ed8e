//! Loads model, experiment and k6-options files into validated types: reads them through
//! [`crate::spec`], applies `--set` overrides, and builds the [`crate::model`] types, turning
//! every parse or validation failure into a [`LoadError`] that names the file and the place.

use crate::error::{FieldError, LoadError};
use crate::model::Model;
use crate::model::build::{build_model, build_model_with};
use crate::model::experiment::SampledScript;
use crate::model::experiment::{Experiment, add_k6_thresholds, build_experiment};
use crate::model::sampled::build_sampled_script;
use crate::spec::confine::Files;
use crate::spec::experiment::ExperimentSpec;
use crate::spec::k6_script::ScriptFiles;
use crate::spec::model::ModelSpec;
use crate::spec::overrides::{Override, Overrides, Target, patch_document, patch_manifests};
use crate::spec::read::read_text;
use crate::spec::yaml::{is_experiment, parse_yaml};
use crate::workload::validate::parse_k6_options;

use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unnamed".into())
}

/// Loads a model file; the files it names must lie in its work tree (or folder).
pub fn load_model(path: &Path) -> Result<Model, LoadError> {
    load_model_with(path, &Overrides::default())
}

/// Parses a document after applying `sets` to it (`--set`); an error the overrides caused
/// names the override and, when it added a key the document did not have, the nearest one.
fn parse_overridden<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    sets: &[&Override],
) -> Result<T, LoadError> {
    if sets.is_empty() {
        return parse_yaml(path, text);
    }
    // The file as written must be valid first, so that its errors keep their positions.
    parse_yaml::<T>(path, text)?;
    let blame = |o: &Override, message: String| {
        LoadError::invalid(path, FieldError::new(format!("--set {}", o.raw), message))
    };
    let (patched, _) =
        patch_document(text, sets).map_err(|e| LoadError::invalid(path, FieldError::new("", e)))?;
    match parse_yaml::<T>(path, &patched) {
        Ok(spec) => Ok(spec),
        Err(whole) => {
            for o in sets {
                let (one, added) = patch_document(text, &[o]).map_err(|e| blame(o, e))?;
                if let Err(e) = parse_yaml::<T>(path, &one) {
                    let why = match e {
                        LoadError::Syntax { message, .. } => message,
                        other => other.to_string(),
                    };
                    let message = match added.first() {
                        Some(a) => format!("unknown path: {}; {why}", a.hint()),
                        None => why,
                    };
                    return Err(blame(o, message));
                }
            }
            Err(whole)
        }
    }
}

/// Loads a model with overrides of its fields and of its HPA manifests; the files it names
/// must lie in its work tree (or folder) or under one of `overrides.allow`.
pub fn load_model_with(path: &Path, overrides: &Overrides) -> Result<Model, LoadError> {
    load_model_in(path, &Files::for_file(path, &overrides.allow), overrides)
}

fn load_model_in(path: &Path, files: &Files, overrides: &Overrides) -> Result<Model, LoadError> {
    let text = read_text(path)?;
    let sets = overrides.for_target(|t| *t == Target::Model);
    let spec: ModelSpec = parse_overridden(path, &text, &sets)?;
    let hpa_sets = overrides.for_target(|t| matches!(t, Target::Hpa(_)));
    let matched = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let reader = |file: &Path| -> Result<String, String> {
        let text = read_text(file).map_err(|e| e.to_string())?;
        let (text, names) =
            patch_manifests(&text, &hpa_sets).map_err(|e| format!("{}: {e}", file.display()))?;
        matched.borrow_mut().extend(names);
        Ok(text)
    };
    let model = build_model_with(&spec, files, &stem(path), &reader)
        .map_err(|e| LoadError::invalid(path, e))?;
    for o in &hpa_sets {
        if let Target::Hpa(name) = &o.target
            && !matched.borrow().contains(name)
        {
            let known: Vec<String> = model
                .kubernetes
                .iter()
                .flat_map(|k| k.hpas.iter().map(|b| b.hpa.name.clone()))
                .collect();
            return Err(LoadError::invalid(
                path,
                FieldError::new(
                    format!("--set {}", o.raw),
                    crate::suggest::unknown_name("HPA", name, known.iter().map(String::as_str)),
                ),
            ));
        }
    }
    Ok(model)
}

/// The experiment file's spec with `--set` overrides applied (for the `sweep:` and
/// `alerts:` blocks, which the gate reads itself).
pub fn load_experiment_spec_with(
    path: &Path,
    overrides: &Overrides,
) -> Result<ExperimentSpec, LoadError> {
    let text = read_text(path)?;
    let sets = overrides.for_target(|t| *t == Target::Experiment);
    parse_overridden(path, &text, &sets)
}

/// Loads an experiment and the model (and k6 options file) it names. Every file it names
/// must lie in the experiment's work tree (or folder): see [`crate::spec::confine`].
pub fn load_experiment(path: &Path) -> Result<Experiment, LoadError> {
    load_experiment_with(path, &Overrides::default())
}

/// [`load_experiment`] with `--set` overrides of the experiment, its model and its HPAs.
pub fn load_experiment_with(path: &Path, overrides: &Overrides) -> Result<Experiment, LoadError> {
    if path.extension().is_some_and(|e| e == "js") {
        return load_bare_script(path, overrides);
    }
    let text = read_text(path)?;
    if !is_experiment(path, &text)? {
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "model",
                "missing: this looks like a model file; an experiment names its model \
                 (`model: ../models/mm1.yaml`), as in experiments/mm1.yaml",
            ),
        ));
    }
    let sets = overrides.for_target(|t| *t == Target::Experiment);
    let spec: ExperimentSpec = parse_overridden(path, &text, &sets)?;
    let files = Files::for_file(path, &overrides.allow);
    let model_path = files
        .resolve(&spec.model)
        .map_err(|e| LoadError::invalid(path, FieldError::new("model", e)))?;
    if !model_path.is_file() {
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "model",
                format!(
                    "no model file at {} (paths are relative to the experiment file)",
                    model_path.display()
                ),
            ),
        ));
    }
    let model = load_model_in(&model_path, &files.beside(&model_path), overrides)?;
    let script = match &spec.k6_script {
        Some(file) => {
            if spec.k6_options.is_some() {
                return Err(LoadError::invalid(
                    path,
                    FieldError::new(
                        "k6_options",
                        "the options come from `k6_script`; remove `k6_options`",
                    ),
                ));
            }
            let script_path = files
                .resolve(file)
                .map_err(|e| LoadError::invalid(path, FieldError::new("k6_script", e)))?;
            let sampled_script = record_script(&script_path, &spec, &files, overrides)
                .and_then(|r| sampled(&r, &spec, &model, path))?;
            Some((sampled_script, script_path))
        }
        None => {
            if overrides.script.any() {
                return Err(LoadError::invalid(
                    path,
                    FieldError::new(
                        "",
                        "k6 run's flags (--vus, --duration, --iterations, --stage, --rps, --batch, \
                         --batch-per-host, -e, --samples, --ignore-unsupported) apply to a k6 script; this experiment \
                         has no `k6_script` (use --set scenarios.NAME.vus=N instead)",
                    ),
                ));
            }
            None
        }
    };
    let k6 = match &spec.k6_options {
        Some(file) => {
            let k6_path = files
                .resolve(file)
                .map_err(|e| LoadError::invalid(path, FieldError::new("k6_options", e)))?;
            if !k6_path.is_file() {
                return Err(LoadError::invalid(
                    path,
                    FieldError::new(
                        "k6_options",
                        format!(
                            "no file at {} (write the output of `k6 inspect script.js` there; \
                             the path is relative to the experiment file)",
                            k6_path.display()
                        ),
                    ),
                ));
            }
            let json = read_text(&k6_path)?;
            let options = parse_k6_options(&json).map_err(|e| LoadError::invalid(&k6_path, e))?;
            Some((options, k6_path))
        }
        None => None,
    };
    let mut exp = build_experiment(
        &spec,
        model,
        k6.as_ref().map(|(o, _)| o),
        script.as_ref().map(|(s, _)| s),
        &files,
        &stem(path),
    )
    .map_err(|e| LoadError::invalid(path, e))?;
    if let Some((s, script_path)) = &script {
        add_k6_thresholds(&mut exp, &spec, &s.options)
            .map_err(|e| LoadError::invalid(script_path, e))?;
        crate::model::group_plans::add_to(&mut exp);
    } else if let Some((options, k6_path)) = &k6 {
        add_k6_thresholds(&mut exp, &spec, options).map_err(|e| LoadError::invalid(k6_path, e))?;
    }
    Ok(exp)
}

/// The recording against the model (its requests mapped to endpoints); errors name `file`.
fn sampled(
    rec: &crate::script::Recording,
    spec: &ExperimentSpec,
    model: &Model,
    file: &Path,
) -> Result<SampledScript, LoadError> {
    build_sampled_script(rec, model, &spec.k6_endpoints).map_err(|e| LoadError::invalid(file, e))
}

/// Records the k6 script at `script_path` under the experiment's `env`/`samples` and the
/// command line's flags (which win).
fn record_script(
    script_path: &Path,
    spec: &ExperimentSpec,
    files: &Files,
    overrides: &Overrides,
) -> Result<crate::script::Recording, LoadError> {
    let flags = &overrides.script;
    let mut env = spec.env.clone();
    env.extend(flags.env.iter().cloned());
    let samples = flags
        .samples
        .or(spec.samples)
        .unwrap_or(crate::script::DEFAULT_SAMPLES);
    if samples == 0 || samples > crate::script::MAX_SAMPLES {
        return Err(LoadError::invalid(
            script_path,
            FieldError::new(
                "samples",
                format!(
                    "{samples} recorded iterations; allowed: 1 to {}",
                    crate::script::MAX_SAMPLES
                ),
            ),
        ));
    }
    let mut flags = flags.clone();
    flags.ignore_unsupported |= spec.ignore_unsupported.unwrap_or(false);
    crate::script::record(
        script_path,
        &ScriptFiles::new(files.beside(script_path)),
        &flags,
        &env,
        samples,
        parse_k6_options,
    )
}

/// `capsim run load.js --model m.yaml`: the script is the experiment, on the model given.
fn load_bare_script(path: &Path, overrides: &Overrides) -> Result<Experiment, LoadError> {
    let Some(model_path) = overrides.script.model.clone() else {
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "",
                "a k6 script runs on a model: add --model models/NAME.yaml (or write an \
                 experiment with `k6_script:` and `model:`)",
            ),
        ));
    };
    let files = Files::for_file(path, &overrides.allow);
    let model = load_model_in(
        &model_path,
        &Files::for_file(&model_path, &overrides.allow),
        overrides,
    )?;
    let spec = ExperimentSpec {
        model: model_path.to_string_lossy().into_owned(),
        ..ExperimentSpec::default()
    };
    let script = sampled(
        &record_script(path, &spec, &files, overrides)?,
        &spec,
        &model,
        path,
    )?;
    let mut exp = build_experiment(&spec, model, None, Some(&script), &files, &stem(path))
        .map_err(|e| LoadError::invalid(path, e))?;
    add_k6_thresholds(&mut exp, &spec, &script.options).map_err(|e| LoadError::invalid(path, e))?;
    crate::model::group_plans::add_to(&mut exp);
    Ok(exp)
}

/// Things in a valid experiment that are probably mistakes but do not stop it running:
/// endpoints of the model that no flow requests (a model is often shared by experiments
/// that exercise parts of it, so this is a warning, not an error) and flows that no scenario
/// executes. `capsim validate` prints them.
pub fn experiment_warnings(exp: &Experiment) -> Vec<String> {
    use crate::model::experiment::FlowStep;
    let mut warnings = exp.notes.clone();
    let executed: Vec<bool> = (0..exp.flows.len())
        .map(|f| exp.scenarios.iter().any(|s| s.flow == f))
        .collect();
    for (f, flow) in exp.flows.iter().enumerate() {
        if !executed[f] {
            warnings.push(format!(
                "flow `{}` is not executed by any scenario (set a scenario's `exec: {}` or remove the flow)",
                flow.name, flow.name
            ));
        }
    }
    let mut requested = vec![false; exp.model.endpoints.len()];
    for (flow, _) in exp.flows.iter().zip(&executed).filter(|(_, e)| **e) {
        for step in &flow.steps {
            if let FlowStep::Request { endpoint, .. } = step
                && let Some(r) = requested.get_mut(*endpoint)
            {
                *r = true;
            }
        }
    }
    let unused: Vec<&str> = exp
        .model
        .endpoints
        .iter()
        .zip(&requested)
        .filter(|(_, r)| !**r)
        .map(|(e, _)| e.name.as_str())
        .collect();
    if !unused.is_empty() {
        let list = unused
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        warnings.push(format!(
            "endpoint{} {list} of model `{}` {} requested by no flow that runs, so {} no load \
             (add a `request: {{endpoint: ...}}` step, or ignore this if the model is shared)",
            if unused.len() == 1 { "" } else { "s" },
            exp.model.name,
            if unused.len() == 1 { "is" } else { "are" },
            if unused.len() == 1 {
                "it gets"
            } else {
                "they get"
            },
        ));
    }
    warnings
}

/// Loads and builds a model from text, as [`load_model`] does from a file, with `path`
/// naming it in messages and `base_dir` resolving the files it names (HPA manifests, CSV
/// samples). For fuzzing and tests.
pub fn model_from_str(text: &str, path: &Path, base_dir: &Path) -> Result<Model, LoadError> {
    let spec: ModelSpec = parse_yaml(path, text)?;
    build_model(&spec, &Files::for_dir(base_dir), &stem(path))
        .map_err(|e| LoadError::invalid(path, e))
}

/// Parses and builds an experiment from text against an already built `model` (and k6
/// options JSON text, when the experiment names a file), as [`load_experiment`] does from
/// files. For fuzzing and tests.
pub fn experiment_from_str(
    text: &str,
    path: &Path,
    model: Model,
    k6_json: Option<&str>,
) -> Result<Experiment, LoadError> {
    if !is_experiment(path, text)? {
        return Err(LoadError::invalid(
            path,
            FieldError::new("model", "missing: this looks like a model file"),
        ));
    }
    let spec: ExperimentSpec = parse_yaml(path, text)?;
    let k6 = match (&spec.k6_options, k6_json) {
        (Some(file), Some(json)) => {
            Some(parse_k6_options(json).map_err(|e| LoadError::invalid(file, e))?)
        }
        _ => None,
    };
    let mut exp = build_experiment(
        &spec,
        model,
        k6.as_ref(),
        None,
        &Files::for_file(path, &[]),
        &stem(path),
    )
    .map_err(|e| LoadError::invalid(path, e))?;
    if let (Some(options), Some(file)) = (&k6, &spec.k6_options) {
        add_k6_thresholds(&mut exp, &spec, options).map_err(|e| LoadError::invalid(file, e))?;
    }
    Ok(exp)
}

/// Reads and parses an HPA manifest file into validated HPAs.
pub fn load_hpas(path: &Path) -> Result<Vec<crate::autoscale::hpa::Hpa>, LoadError> {
    let text = read_text(path)?;
    let documents =
        crate::spec::k8s_manifests::parse_hpa_documents(&text).map_err(|e| e.in_file(path))?;
    Ok(crate::autoscale::k8s::hpas_with_targets(&documents)
        .map_err(|e| e.in_file(path))?
        .into_iter()
        .map(|(_, h)| h)
        .collect())
}

/// `capsim hpa`: reads a snapshot file (and the manifest file it names) and runs one
/// reconcile of the HPA controller on it. The manifest must lie in the snapshot's work tree
/// (or folder).
pub fn hpa_dry_run(path: &Path) -> Result<crate::autoscale::hpa_dry_run::DryRunReport, LoadError> {
    hpa_dry_run_with(path, &[])
}

/// [`hpa_dry_run`] with folders besides the work tree the snapshot may name (`--allow-path`).
pub fn hpa_dry_run_with(
    path: &Path,
    allow: &[PathBuf],
) -> Result<crate::autoscale::hpa_dry_run::DryRunReport, LoadError> {
    let files = Files::for_file(path, allow);
    crate::autoscale::hpa_dry_run::dry_run(&crate::spec::hpa_snapshot::read_snapshot(path, &files)?)
}
