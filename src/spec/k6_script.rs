//! A k6 script's files as read from disk: the entry script, the modules it imports and the
//! files it `open()`s, each confined to the script's project ([`Files`]) and bounded in
//! size; and `k6 run`'s option flags (`--vus`, `--duration`, `-e`, ...) as given.
//! Evaluating the script is the `script` module's job; this only reads.

use crate::spec::confine::Files;
use crate::spec::read::read_text;
use crate::spec::scenario::StageSpec;
use std::path::{Path, PathBuf};

/// The options of `k6 run` that change a prediction, and capsim's recording settings, as
/// given on the command line (or an experiment). Unset fields leave the script's own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScriptFlags {
    /// The model a bare script runs on (`capsim run load.js --model m.yaml`).
    pub model: Option<PathBuf>,
    /// `-e KEY=VALUE`: `__ENV` entries, over the experiment's `env:`.
    pub env: Vec<(String, String)>,
    pub vus: Option<u64>,
    /// `--duration` as written (`10m`).
    pub duration: Option<String>,
    pub iterations: Option<u64>,
    /// `--stage 30s:100` (repeatable), as `{duration, target}`.
    pub stages: Vec<StageSpec>,
    pub rps: Option<f64>,
    /// `--batch` and `--batch-per-host`: over the script's `batch` and `batchPerHost`.
    pub batch: Option<u32>,
    pub batch_per_host: Option<u32>,
    /// Iterations recorded per scenario function (default a few thousand).
    pub samples: Option<u32>,
    /// Calls into modules capsim does not simulate become no-ops with a warning.
    pub ignore_unsupported: bool,
}

impl ScriptFlags {
    /// Whether any flag is set (so a YAML experiment without `k6_script` can refuse them).
    pub fn any(&self) -> bool {
        *self != ScriptFlags::default()
    }
}

/// Parses `--stage 30s:100` into a stage.
pub fn parse_stage(text: &str) -> Result<StageSpec, String> {
    let (d, t) = text
        .split_once(':')
        .ok_or_else(|| format!("--stage `{text}`: write DURATION:TARGET, such as 30s:100"))?;
    let duration = crate::time::parse_duration(d).map_err(|e| format!("--stage `{text}`: {e}"))?;
    let target = t
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("--stage `{text}`: the target must be a whole number of VUs"))?;
    Ok(StageSpec {
        duration: Some(crate::time::Duration(duration)),
        target: Some(target),
    })
}

/// Parses `-e KEY=VALUE`.
pub fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("-e `{text}`: write KEY=VALUE")),
    }
}

/// Reads the files of one script: every path is confined to the roots of `files`.
#[derive(Debug, Clone)]
pub struct ScriptFiles {
    files: Files,
}

impl ScriptFiles {
    pub fn new(files: Files) -> Self {
        ScriptFiles { files }
    }

    /// The path an import (`./lib.js`) or `open('data.json')` of `from` names, confined.
    pub fn resolve(&self, from: &Path, name: &str) -> Result<PathBuf, String> {
        self.files.beside(from).resolve(name)
    }

    /// Reads a confined file as text (at most 4 MiB).
    pub fn read(&self, path: &Path) -> Result<String, String> {
        if !self.files.contains(path) {
            return Err(format!(
                "`{}` lies outside the project; move it inside or use --allow-path",
                path.display()
            ));
        }
        read_text(path).map_err(|e| e.to_string())
    }
}
