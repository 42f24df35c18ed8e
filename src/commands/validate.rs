//! `capsim validate`: checks a model or an experiment file without running it (an
//! experiment has a `model:` key) and prints what it holds and what it bound (autoscalers,
//! health checks, cost), with the experiment's warnings.

use crate::model::load::{experiment_warnings, load_experiment, load_model};
use crate::report::describe;
use crate::spec::read::read_text;
use crate::spec::yaml::is_experiment;
use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;

pub fn validate(file: &Path) -> Result<ExitCode> {
    let text = read_text(file)?;
    if is_experiment(file, &text)? {
        let exp = load_experiment(file)?;
        print!("{}: {}", file.display(), describe::experiment(&exp));
        for w in experiment_warnings(&exp) {
            eprintln!("{}: warning: {w}", file.display());
        }
    } else {
        let model = load_model(file)?;
        print!("{}: {}", file.display(), describe::model(&model));
    }
    Ok(ExitCode::SUCCESS)
}
