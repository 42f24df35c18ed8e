//! `capsim validate`: checks a model or an experiment file without running it (an
//! experiment has a `model:` key) and prints what it holds, with the experiment's warnings.

use crate::model::load::{experiment_warnings, load_experiment, load_model};
use crate::spec::read::read_text;
use crate::spec::yaml::is_experiment;
use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;

pub fn validate(file: &Path) -> Result<ExitCode> {
    let text = read_text(file)?;
    if is_experiment(file, &text)? {
        let exp = load_experiment(file)?;
        println!(
            "{}: experiment `{}` on model `{}`: {} scenario(s), {} flow(s), {} replications, ends at {}",
            file.display(),
            exp.name,
            exp.model.name,
            exp.scenarios.len(),
            exp.flows.len(),
            exp.replications,
            crate::time::format_duration(exp.end_time())
        );
        for w in experiment_warnings(&exp) {
            eprintln!("{}: warning: {w}", file.display());
        }
    } else {
        let model = load_model(file)?;
        println!(
            "{}: model `{}`: {} station(s), {} endpoint(s), {} database(s), {} provider(s)",
            file.display(),
            model.name,
            model.stations.len(),
            model.endpoints.len(),
            model.databases.len(),
            model.providers.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
