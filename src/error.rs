//! Typed errors of the library: where in which file something is wrong, and how to fix it.

use std::path::{Path, PathBuf};

/// A problem at a field path inside a document (`services.api.workers`), with the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", at_path(path, message))]
pub struct FieldError {
    /// Dotted field path, with `[i]` for list items, e.g. `scenarios.spike.stages[1].target`.
    pub path: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Prefix the path with a parent field (`stages[1]` inside `scenarios.spike`).
    pub fn within(mut self, parent: &str) -> Self {
        if parent.is_empty() {
            return self;
        }
        self.path = if self.path.is_empty() {
            parent.to_string()
        } else if self.path.starts_with('[') {
            format!("{parent}{}", self.path)
        } else {
            format!("{parent}.{}", self.path)
        };
        self
    }
}

/// `path: message`, or the message alone when it is about the whole document.
fn at_path(path: &str, message: &str) -> String {
    if path.is_empty() {
        message.to_string()
    } else {
        format!("{path}: {message}")
    }
}

/// `file:line:column`, or `file` alone when the parser gave no position.
fn at_position(file: &Path, line: usize, column: usize) -> String {
    if line == 0 {
        file.display().to_string()
    } else {
        format!("{}:{line}:{column}", file.display())
    }
}

/// What to do about an I/O error on an input file.
fn io_hint(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            "; check the path (relative paths start at the current directory)"
        }
        std::io::ErrorKind::PermissionDenied => "; check the file's permissions",
        std::io::ErrorKind::IsADirectory => "; name a YAML file, not a directory",
        _ => "",
    }
}

/// Joins a parent path and a child field name.
pub fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else if child.starts_with('[') {
        format!("{parent}{child}")
    } else {
        format!("{parent}.{child}")
    }
}

/// Everything that can go wrong while reading model, experiment or manifest files.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The cause is part of the message (not a `source()`), so `{:#}` does not repeat it.
    #[error("{}: cannot read file: {error}{}", file.display(), io_hint(error))]
    Io {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {message}", at_position(file, *line, *column))]
    Syntax {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {}", file.display(), error)]
    Invalid { file: PathBuf, error: FieldError },
}

impl LoadError {
    pub fn invalid(file: impl Into<PathBuf>, error: FieldError) -> Self {
        LoadError::Invalid {
            file: file.into(),
            error,
        }
    }
}
