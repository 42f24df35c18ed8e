//! Parses YAML documents into the spec types with tight budgets, and turns parser errors
//! into messages that say what is wrong and how to fix it.

use crate::error::LoadError;
use crate::spec::read::MAX_FILE_BYTES;
use crate::suggest::nearest;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Limits on what one YAML document may expand to, aliases included. The largest real
/// model is a few thousand values; these stop an alias bomb ("billion laughs") within
/// milliseconds while leaving ample room.
pub const MAX_YAML_NODES: usize = 50_000;
pub const MAX_YAML_EVENTS: usize = 200_000;
pub const MAX_YAML_ALIASES: usize = 1_000;
pub const MAX_YAML_DEPTH: usize = 64;

/// The parser options used for every capsim file: strict, with tight budgets.
pub fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = MAX_YAML_NODES;
    budget.max_events = MAX_YAML_EVENTS;
    budget.max_aliases = MAX_YAML_ALIASES;
    budget.max_anchors = MAX_YAML_ALIASES;
    budget.max_depth = MAX_YAML_DEPTH;
    budget.max_documents = 1;
    budget.max_recorded_anchor_events = MAX_YAML_EVENTS;
    budget.max_recorded_anchor_bytes = MAX_FILE_BYTES as usize;
    budget.max_total_scalar_bytes = 4 * MAX_FILE_BYTES as usize;
    serde_saphyr::options! {
        budget: Some(budget),
    }
}

/// Parses YAML into `T`; errors carry the line and column, and unknown fields get the
/// nearest valid name.
pub fn parse_yaml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, LoadError> {
    parse_with(path, text, yaml_options())
}

fn parse_with<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    options: serde_saphyr::Options,
) -> Result<T, LoadError> {
    if is_blank(text) {
        return Err(LoadError::Syntax {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
            message: "the file is empty (nothing but blank lines and comments); \
                      see the examples under models/ and experiments/"
                .into(),
        });
    }
    serde_saphyr::from_str_with_options::<T>(text, options).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((0, 0));
        LoadError::Syntax {
            file: path.to_path_buf(),
            line,
            column,
            message: explain(&e, text),
        }
    })
}

/// No content: blank lines, comments and document markers only.
fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
    })
}

/// Whether the document is an experiment (it has a `model:` key) rather than a model.
/// A document that cannot be read as YAML at all (bad syntax, an alias bomb) is an error
/// here, so that the user sees the real problem rather than one about the wrong kind of file;
/// everything else (a NaN, a wrong type) is left for the typed parse to report with its path.
pub fn is_experiment(path: &Path, text: &str) -> Result<bool, LoadError> {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(default)]
        model: Option<serde::de::IgnoredAny>,
    }
    let mut options = yaml_options();
    options.non_finite_float_policy = serde_saphyr::options::NonFiniteFloatPolicy::PassThrough;
    Ok(parse_with::<Probe>(path, text, options)?.model.is_some())
}

/// The error the message is about, without snippet and alias wrappers.
fn innermost(mut e: &serde_saphyr::Error) -> &serde_saphyr::Error {
    loop {
        match e {
            serde_saphyr::Error::WithSnippet { error, .. }
            | serde_saphyr::Error::AliasError { error, .. } => e = error,
            _ => return e,
        }
    }
}

/// The plain value written at 1-based `line`:`column`, for messages ("found `many`").
fn token_at(text: &str, line: usize, column: usize) -> Option<String> {
    let l = text.lines().nth(line.checked_sub(1)?)?;
    let rest: String = l.chars().skip(column.checked_sub(1)?).collect();
    let token = rest
        .split(['#', ',', '}', ']'])
        .next()?
        .trim()
        .trim_matches(['"', '\'']);
    (!token.is_empty() && token.len() <= 40).then(|| token.to_string())
}

/// A user-facing message for a parse error: what is wrong and how to fix it, without the
/// parser's source snippet (the location is printed separately).
fn explain(e: &serde_saphyr::Error, text: &str) -> String {
    use serde_saphyr::{Error as E, MessageFormatter};
    let inner = innermost(e);
    let found = || {
        e.location()
            .and_then(|l| token_at(text, l.line() as usize, l.column() as usize))
            .map(|t| {
                if t == ":" {
                    ", found no value".to_string()
                } else {
                    format!(", found `{t}`")
                }
            })
            .unwrap_or_default()
    };
    match inner {
        E::SerdeUnknownField {
            field, expected, ..
        } => {
            let hint = match nearest(field, expected.iter().copied()) {
                Some(n) => format!(" (did you mean `{n}`?)"),
                None => String::new(),
            };
            if expected.is_empty() {
                format!("unknown field `{field}`; nothing is allowed here")
            } else {
                format!(
                    "unknown field `{field}`{hint}; allowed: {}",
                    expected.join(", ")
                )
            }
        }
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            let hint = match nearest(variant, expected.iter().copied()) {
                Some(n) => format!(" (did you mean `{n}`?)"),
                None => String::new(),
            };
            format!(
                "unknown kind `{variant}`{hint}; use one of {}",
                expected.join(", ")
            )
        }
        E::SerdeMissingField { field, .. } => {
            format!("missing field `{field}`; add `{field}:` to this mapping")
        }
        E::InvalidScalar { ty, .. } => {
            let want = match *ty {
                "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => {
                    "a whole number >= 0 (such as 4)"
                }
                "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number (such as 4)",
                "f32" | "f64" => "a number (such as 0.5)",
                "bool" => "true or false",
                "char" => "a single character",
                _ => "a value of another type",
            };
            let token = e
                .location()
                .and_then(|l| token_at(text, l.line() as usize, l.column() as usize));
            let too_big = token
                .as_deref()
                .is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()));
            let range = match *ty {
                "u32" if too_big => " no larger than 4294967295",
                "u64" if too_big => " no larger than 18446744073709551615",
                _ => "",
            };
            format!("expected {want}{range}{}", found())
        }
        E::DuplicateMappingKey { key, .. } => match key {
            Some(k) => format!("`{k}` appears twice in the same mapping; keep one"),
            None => "a key appears twice in the same mapping; keep one".into(),
        },
        // The second form: a one-key mapping (a distribution) read through `deserialize_any`
        // whose visitor stops after its key, with another key left over.
        E::ExpectedMappingEndAfterEnumVariantValue { .. }
        | E::Unexpected {
            expected: "mapping end",
            ..
        } => {
            "this mapping must have exactly one key (such as `{constant: 5ms}` or `- work: ...`); \
             put each further entry in its own list item"
                .into()
        }
        E::Budget { breach, .. } => {
            use serde_saphyr::budget::BudgetBreach as B;
            let what = match breach {
                B::Nodes { .. } => format!("more than {MAX_YAML_NODES} values"),
                B::Events { .. } | B::RecordedAnchorEvents { .. } => {
                    format!("more than {MAX_YAML_EVENTS} parser events")
                }
                B::Aliases { .. } => format!("more than {MAX_YAML_ALIASES} aliases (`*name`)"),
                B::Anchors { .. } => format!("more than {MAX_YAML_ALIASES} anchors (`&name`)"),
                B::Depth { .. } => format!("nesting deeper than {MAX_YAML_DEPTH} levels"),
                B::Documents { .. } => "more than one YAML document (`---`)".into(),
                B::AliasAnchorRatio { .. } => {
                    "far more aliases than anchors, the shape of an alias bomb".into()
                }
                B::RecordedAnchorBytes { .. } => {
                    format!("more than {MAX_FILE_BYTES} bytes of text behind anchors")
                }
                other => format!("{other:?}"),
            };
            format!(
                "the document is too large once its aliases are expanded ({what}); capsim refuses it. \
                 Write the values out instead of repeating large blocks through `&anchor`/`*alias`"
            )
        }
        other => {
            let base = serde_saphyr::UserMessageFormatter
                .format_message(other)
                .into_owned();
            let syntax = [
                "illegal",
                "while parsing",
                "while scanning",
                "did not find expected",
                "not allowed",
                "unexpected end",
                "cannot start",
                "invalid indentation",
            ];
            let hint = if base.contains("expected mapping start")
                || base.contains("expected a mapping")
            {
                "; a mapping (`key: value` lines, or `{key: value}`) is needed here, as in models/mm1.yaml"
            } else if base.contains("tab") {
                "; indent with spaces, not tabs"
            } else if base.contains("expected sequence start") {
                "; a list (`- item` lines, or `[a, b]`) is needed here"
            } else if base.contains("recursion limit") {
                "; the document nests too deeply"
            } else if base.contains("not a finite number") {
                "; write a finite number"
            } else if syntax.iter().any(|s| base.contains(s)) {
                "; this is not valid YAML: check the indentation, brackets and quotes here"
            } else {
                ""
            };
            format!("{base}{hint}")
        }
    }
}
