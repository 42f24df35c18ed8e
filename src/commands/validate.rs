//! `capsim validate`: checks a model or an experiment file without running it (an
//! experiment has a `model:` key) and prints what it holds and what it bound (autoscalers,
//! health checks, cost), with the experiment's warnings.

use crate::model::load::{experiment_warnings, load_experiment_with, load_model_with};
use crate::report::describe;
use crate::spec::overrides::Overrides;
use crate::spec::read::read_text;
use crate::spec::yaml::is_experiment;
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn validate(file: &Path, allow: &[PathBuf]) -> Result<ExitCode> {
    let overrides = Overrides::default().allowing(allow);
    let text = read_text(file)?;
    if is_experiment(file, &text)? {
        let exp = load_experiment_with(file, &overrides)?;
        print!("{}: {}", file.display(), describe::experiment(&exp));
        for w in experiment_warnings(&exp) {
            eprintln!("{}: warning: {w}", file.display());
        }
        for n in &exp.model.notes {
            eprintln!("{}: note: {n}", file.display());
        }
    } else {
        let model = load_model_with(file, &overrides)?;
        print!("{}: {}", file.display(), describe::model(&model));
        for n in &model.notes {
            eprintln!("{}: note: {n}", file.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
