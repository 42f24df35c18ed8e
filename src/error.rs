//! Typed errors of the library: where in which file something is wrong, and how to fix it.

use std::path::PathBuf;

/// A problem at a field path inside a document (`services.api.workers`), with the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
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
    #[error("{}: cannot read file: {source}", file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", file.display())]
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
