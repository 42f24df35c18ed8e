//! Dispatches a parsed command line to its subcommand in [`crate::commands`].

use crate::cli::{Cli, Command};
use crate::commands;
use anyhow::Result;
use std::process::ExitCode;

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(args) => commands::run::run(&args),
        Command::Validate { file, allow_path } => commands::validate::validate(&file, &allow_path),
        Command::Bench(args) => commands::bench::bench(&args),
        Command::Plot { dir, target_rps } => commands::plot::plot(&dir, target_rps),
        Command::Check(args) => commands::check::check(&args),
        Command::Diff(args) => commands::diff::diff(&args),
        Command::Sweep(args) => commands::sweep::sweep(&args),
        Command::Merge(args) => commands::merge::merge(&args),
        Command::Capacity(args) => commands::capacity::capacity(&args),
        Command::Size(args) => commands::size::size(&args),
        Command::Report(args) => commands::report::report(&args),
        Command::Calibrate(args) => commands::calibrate::calibrate(&args),
        Command::Compare(args) => commands::compare::compare(&args),
        Command::Hpa {
            snapshot,
            allow_path,
            json,
        } => commands::hpa::hpa(&snapshot, &allow_path, json),
    }
}
