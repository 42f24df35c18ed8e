//! The `capsim` binary: parse the command line, run, map the outcome to an exit code
//! (0 pass, 1 a predicted SLO fails, 2 bad input, usage or a spent budget, 3 an output
//! could not be written, 130/143 after SIGINT/SIGTERM: see [`capsim::interrupt`]).

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
    capsim::interrupt::install();
    match capsim::app::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            if let Some(signal) = capsim::interrupt::received() {
                let n = capsim::interrupt::finished();
                eprintln!(
                    "capsim: interrupted by {}: {n} replication{} had finished; stopped without writing any output file",
                    capsim::interrupt::name(signal),
                    if n == 1 { "" } else { "s" }
                );
                return ExitCode::from(capsim::interrupt::exit_code(signal));
            }
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// 3 when an output could not be written (disk full, an unwritable or vanished folder),
/// else 2 (bad input, usage, a spent budget).
fn exit_code(e: &anyhow::Error) -> u8 {
    use capsim::report::render::RenderError;
    let output = e.chain().any(|c| {
        c.is::<capsim::commands::out_dir::OutputError>()
            || matches!(
                c.downcast_ref::<RenderError>(),
                Some(RenderError::Io { .. })
            )
    });
    if output { 3 } else { 2 }
}
