//! `capsim hpa`: the HPA dry run, one reconcile of the Kubernetes controller on a snapshot
//! file, printed as text or JSON.

use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn hpa(snapshot: &Path, allow: &[PathBuf], json: bool) -> Result<ExitCode> {
    let report = crate::model::load::hpa_dry_run_with(snapshot, allow)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(ExitCode::SUCCESS)
}
