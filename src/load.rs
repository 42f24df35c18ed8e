//! Reads model, experiment and k6-options files from disk into validated types, turning
//! every parse or validation failure into a [`LoadError`] that names the file and the place.

use crate::error::{FieldError, LoadError};
use crate::model::Model;
use crate::model::build::{build_model, nearest};
use crate::model::experiment::{Experiment, build_experiment};
use crate::spec::experiment::ExperimentSpec;
use crate::spec::k6_options::parse_k6_options;
use crate::spec::model::ModelSpec;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Files larger than this are refused before parsing: no real model or experiment is near it.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads a whole file, refusing huge ones.
pub fn read_text(path: &Path) -> Result<String, LoadError> {
    let io = |source| LoadError::Io {
        file: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "",
                format!(
                    "the file is {} bytes; the most capsim reads is {MAX_FILE_BYTES}",
                    meta.len()
                ),
            ),
        ));
    }
    std::fs::read_to_string(path).map_err(io)
}

/// Parses YAML into `T`; errors carry the line and column, and unknown fields get the
/// nearest valid name.
pub fn parse_yaml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, LoadError> {
    if text.trim().is_empty() {
        return Err(LoadError::Syntax {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
            message: "the file is empty; see the examples under models/ and experiments/".into(),
        });
    }
    serde_saphyr::from_str::<T>(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((0, 0));
        LoadError::Syntax {
            file: path.to_path_buf(),
            line,
            column,
            message: explain(&e),
        }
    })
}

/// The parser's message without its source snippet, with a "did you mean" for unknown fields.
fn explain(e: &serde_saphyr::Error) -> String {
    let full = e.to_string();
    let mut message = full.lines().next().unwrap_or("").trim().to_string();
    // Strip a leading "line N column M:" style prefix if the parser adds one.
    if let Some(rest) = message.strip_prefix("error: ") {
        message = rest.to_string();
    }
    if let Some(unknown) = between(&full, "unknown field `", "`")
        && let Some(expected) = full
            .split("expected one of ")
            .nth(1)
            .or_else(|| full.split("expected ").nth(1))
    {
        let names: Vec<&str> = expected
            .split(',')
            .map(|s| s.trim().trim_matches(|c| c == '`' || c == '.' || c == ' '))
            .filter(|s| !s.is_empty())
            .collect();
        if let Some(n) = nearest(unknown, names.iter().copied()) {
            message.push_str(&format!(" (did you mean `{n}`?)"));
        }
    }
    if let Some(variant) = between(&full, "unknown variant `", "`")
        && let Some(expected) = full.split("expected one of ").nth(1)
    {
        let names: Vec<&str> = expected
            .split(',')
            .map(|s| s.trim().trim_matches(|c| c == '`' || c == '.' || c == ' '))
            .collect();
        if let Some(n) = nearest(variant, names.iter().copied()) {
            message.push_str(&format!(" (did you mean `{n}`?)"));
        }
    }
    message
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unnamed".into())
}

fn dir_of(path: &Path) -> PathBuf {
    path.parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn load_model(path: &Path) -> Result<Model, LoadError> {
    let text = read_text(path)?;
    let spec: ModelSpec = parse_yaml(path, &text)?;
    build_model(&spec, &dir_of(path), &stem(path)).map_err(|e| LoadError::invalid(path, e))
}

/// Loads an experiment and the model (and k6 options file) it names.
pub fn load_experiment(path: &Path) -> Result<Experiment, LoadError> {
    let text = read_text(path)?;
    let spec: ExperimentSpec = parse_yaml(path, &text)?;
    let base = dir_of(path);
    let model_path = base.join(&spec.model);
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
    let model = load_model(&model_path)?;
    let k6 = match &spec.k6_options {
        Some(file) => {
            let k6_path = base.join(file);
            let json = read_text(&k6_path)?;
            Some(parse_k6_options(&json).map_err(|e| LoadError::invalid(&k6_path, e))?)
        }
        None => None,
    };
    build_experiment(&spec, model, k6.as_ref(), &base, &stem(path))
        .map_err(|e| LoadError::invalid(path, e))
}
