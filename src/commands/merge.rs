//! `capsim merge`: reads the partial results that `--shard` runs wrote and writes the
//! outputs of one run (or one sweep), byte for byte.

use crate::cli::MergeArgs;
use crate::commands::common::{load, parse_overrides};
use crate::commands::out_dir::OutDir;
use crate::commands::run::{Extras, finish};
use crate::commands::sweep::write_sweep;
use crate::gate::alerts;
use crate::gate::shard::{Kind, PARTIAL_FILE, Partial, check_complete, merge_results, merge_rows};
use crate::gate::sweep::points;
use anyhow::{Context, Result, anyhow};
use std::path::Path;
use std::process::ExitCode;

fn read_partial(path: &Path) -> Result<Partial> {
    let file = if path.is_dir() {
        path.join(PARTIAL_FILE)
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "{}: cannot read the shard's partial results",
            file.display()
        )
    })?;
    Partial::from_yaml(&text)
        .map_err(|e| anyhow!("{}: not a capsim partial result: {e}", file.display()))
}

pub fn merge(args: &MergeArgs) -> Result<ExitCode> {
    let parts = args
        .parts
        .iter()
        .map(|p| read_partial(p))
        .collect::<Result<Vec<_>>>()?;
    check_complete(&parts).map_err(anyhow::Error::msg)?;
    let mut first = parts[0].clone();
    first.results = Vec::new();
    first.rows = Vec::new();
    let overrides = parse_overrides(&first.overrides, &args.allow_path)?;
    // The experiment named in the shards resolves from the current folder, confined to its
    // work tree (and --allow-path) like every path a config names.
    crate::spec::confine::Files::for_file(Path::new("./-"), &args.allow_path)
        .resolve(&first.experiment)
        .map_err(|e| anyhow!("the shards' experiment: {e}"))?;
    let exp_path = Path::new(&first.experiment);
    match first.kind {
        Kind::Run => {
            let exp = load(
                exp_path,
                &overrides,
                Some(first.replications),
                Some(first.seed),
            )?;
            let results = merge_results(parts, exp.replications).map_err(anyhow::Error::msg)?;
            let results = crate::replicate::Folded::of(&exp, results);
            let rules = alerts::load_rules(exp_path, &overrides, &exp)?;
            finish(
                &exp,
                &results,
                &rules,
                Some(&args.out),
                Extras::None,
                args.quiet,
                None,
            )
        }
        Kind::Sweep => {
            let pts = points(&first.grid).map_err(anyhow::Error::msg)?;
            let rows = merge_rows(parts, pts.len()).map_err(anyhow::Error::msg)?;
            let stage = OutDir::begin(&args.out)?;
            write_sweep(
                &stage,
                &first.grid,
                &first.header,
                &pts,
                &rows,
                args.level,
                args.quiet,
            )?;
            stage.commit()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
