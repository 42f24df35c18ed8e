//! The `capsim` binary: parse the command line, run, map the outcome to an exit code
//! (0 pass, 1 a predicted SLO fails, 2 bad input or usage).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match capsim::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match capsim::app::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
