//! Reads model, experiment and k6-options files from disk into validated types, turning
//! every parse or validation failure into a [`LoadError`] that names the file and the place.

use crate::error::{FieldError, LoadError};
use crate::gate::overrides::{Override, Overrides, Target, patch_document, patch_manifests};
use crate::model::Model;
use crate::model::build::{build_model, build_model_with, nearest};
use crate::model::experiment::{Experiment, build_experiment};
use crate::spec::experiment::ExperimentSpec;
use crate::spec::k6_options::parse_k6_options;
use crate::spec::model::ModelSpec;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Files larger than this are refused before parsing: no real model or experiment is near it.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Limits on what one YAML document may expand to, aliases included. The largest real
/// model is a few thousand values; these stop an alias bomb ("billion laughs") within
/// milliseconds while leaving ample room.
pub const MAX_YAML_NODES: usize = 50_000;
pub const MAX_YAML_EVENTS: usize = 200_000;
pub const MAX_YAML_ALIASES: usize = 1_000;
pub const MAX_YAML_DEPTH: usize = 64;

/// Reads a whole file, refusing directories, huge files and text that is not UTF-8.
pub fn read_text(path: &Path) -> Result<String, LoadError> {
    let io = |error| LoadError::Io {
        file: path.to_path_buf(),
        error,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "",
                "this is a directory, not a file; name a YAML file such as models/mm1.yaml",
            ),
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "",
                format!(
                    "the file is {} bytes; capsim reads files of at most {MAX_FILE_BYTES} bytes (4 MiB). \
                     Is this the right file? Put sample data in a CSV file read by `empirical`",
                    meta.len()
                ),
            ),
        ));
    }
    if !meta.is_file() {
        // /dev/zero, /dev/stdin, a FIFO: no length to check, and reading may never end.
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "",
                "this is not a regular file (a device, socket or pipe); name a file such as models/mm1.yaml",
            ),
        ));
    }
    // Read at most one byte past the limit: the file may have grown since the check.
    let mut bytes = Vec::new();
    {
        use std::io::Read;
        std::fs::File::open(path)
            .map_err(io)?
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "",
                format!("the file grew past {MAX_FILE_BYTES} bytes (4 MiB) while being read"),
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..at]);
        let line = text.matches('\n').count() + 1;
        let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        LoadError::Syntax {
            file: path.to_path_buf(),
            line,
            column,
            message: "the file is not UTF-8 text; save it as UTF-8".into(),
        }
    })
}

/// Sample files (`empirical`) are larger than models but still bounded.
pub const MAX_SAMPLE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a sample CSV file: a regular file of at most [`MAX_SAMPLE_BYTES`]. The error is
/// the reason alone, for the caller's message.
pub fn read_sample_file(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_SAMPLE_BYTES {
        return Err(format!(
            "{} bytes; sample files may have at most {MAX_SAMPLE_BYTES} bytes (64 MiB)",
            meta.len()
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SAMPLE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SAMPLE_BYTES {
        return Err(format!("more than {MAX_SAMPLE_BYTES} bytes (64 MiB)"));
    }
    Ok(bytes)
}

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
        E::ExpectedMappingEndAfterEnumVariantValue { .. } => {
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

/// Parses a document after applying `sets` to it (`--set`); an error the overrides caused
/// names the override and, when it added a key the document did not have, the nearest one.
fn parse_overridden<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    sets: &[&Override],
) -> Result<T, LoadError> {
    if sets.is_empty() {
        return parse_yaml(path, text);
    }
    // The file as written must be valid first, so that its errors keep their positions.
    parse_yaml::<T>(path, text)?;
    let blame = |o: &Override, message: String| {
        LoadError::invalid(path, FieldError::new(format!("--set {}", o.raw), message))
    };
    let (patched, _) =
        patch_document(text, sets).map_err(|e| LoadError::invalid(path, FieldError::new("", e)))?;
    match parse_yaml::<T>(path, &patched) {
        Ok(spec) => Ok(spec),
        Err(whole) => {
            for o in sets {
                let (one, added) = patch_document(text, &[o]).map_err(|e| blame(o, e))?;
                if let Err(e) = parse_yaml::<T>(path, &one) {
                    let why = match e {
                        LoadError::Syntax { message, .. } => message,
                        other => other.to_string(),
                    };
                    let message = match added.first() {
                        Some(a) => format!("unknown path: {}; {why}", a.hint()),
                        None => why,
                    };
                    return Err(blame(o, message));
                }
            }
            Err(whole)
        }
    }
}

/// Loads a model with overrides of its fields and of its HPA manifests.
pub fn load_model_with(path: &Path, overrides: &Overrides) -> Result<Model, LoadError> {
    let text = read_text(path)?;
    let sets = overrides.for_target(|t| *t == Target::Model);
    let spec: ModelSpec = parse_overridden(path, &text, &sets)?;
    let hpa_sets = overrides.for_target(|t| matches!(t, Target::Hpa(_)));
    let matched = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let reader = |file: &Path| -> Result<String, String> {
        let text = read_text(file).map_err(|e| e.to_string())?;
        let (text, names) =
            patch_manifests(&text, &hpa_sets).map_err(|e| format!("{}: {e}", file.display()))?;
        matched.borrow_mut().extend(names);
        Ok(text)
    };
    let model = build_model_with(&spec, &dir_of(path), &stem(path), &reader)
        .map_err(|e| LoadError::invalid(path, e))?;
    for o in &hpa_sets {
        if let Target::Hpa(name) = &o.target
            && !matched.borrow().contains(name)
        {
            let known: Vec<String> = model
                .kubernetes
                .iter()
                .flat_map(|k| k.hpas.iter().map(|b| b.hpa.name.clone()))
                .collect();
            return Err(LoadError::invalid(
                path,
                FieldError::new(
                    format!("--set {}", o.raw),
                    crate::model::build::unknown_name(
                        "HPA",
                        name,
                        known.iter().map(String::as_str),
                    ),
                ),
            ));
        }
    }
    Ok(model)
}

/// The experiment file's spec with `--set` overrides applied (for the `sweep:` and
/// `alerts:` blocks, which the gate reads itself).
pub fn load_experiment_spec_with(
    path: &Path,
    overrides: &Overrides,
) -> Result<ExperimentSpec, LoadError> {
    let text = read_text(path)?;
    let sets = overrides.for_target(|t| *t == Target::Experiment);
    parse_overridden(path, &text, &sets)
}

/// Loads an experiment and the model (and k6 options file) it names.
pub fn load_experiment(path: &Path) -> Result<Experiment, LoadError> {
    load_experiment_with(path, &Overrides::default())
}

/// [`load_experiment`] with `--set` overrides of the experiment, its model and its HPAs.
pub fn load_experiment_with(path: &Path, overrides: &Overrides) -> Result<Experiment, LoadError> {
    let text = read_text(path)?;
    if !is_experiment(path, &text)? {
        return Err(LoadError::invalid(
            path,
            FieldError::new(
                "model",
                "missing: this looks like a model file; an experiment names its model \
                 (`model: ../models/mm1.yaml`), as in experiments/mm1.yaml",
            ),
        ));
    }
    let sets = overrides.for_target(|t| *t == Target::Experiment);
    let spec: ExperimentSpec = parse_overridden(path, &text, &sets)?;
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
    let model = load_model_with(&model_path, overrides)?;
    let k6 = match &spec.k6_options {
        Some(file) => {
            let k6_path = base.join(file);
            if !k6_path.is_file() {
                return Err(LoadError::invalid(
                    path,
                    FieldError::new(
                        "k6_options",
                        format!(
                            "no file at {} (write the output of `k6 inspect script.js` there; \
                             the path is relative to the experiment file)",
                            k6_path.display()
                        ),
                    ),
                ));
            }
            let json = read_text(&k6_path)?;
            Some(parse_k6_options(&json).map_err(|e| LoadError::invalid(&k6_path, e))?)
        }
        None => None,
    };
    build_experiment(&spec, model, k6.as_ref(), &base, &stem(path))
        .map_err(|e| LoadError::invalid(path, e))
}

/// Things in a valid experiment that are probably mistakes but do not stop it running:
/// endpoints of the model that no flow requests (a model is often shared by experiments
/// that exercise parts of it, so this is a warning, not an error) and flows that no scenario
/// executes. `capsim validate` prints them.
pub fn experiment_warnings(exp: &Experiment) -> Vec<String> {
    use crate::model::experiment::FlowStep;
    let mut warnings = Vec::new();
    let executed: Vec<bool> = (0..exp.flows.len())
        .map(|f| exp.scenarios.iter().any(|s| s.flow == f))
        .collect();
    for (f, flow) in exp.flows.iter().enumerate() {
        if !executed[f] {
            warnings.push(format!(
                "flow `{}` is not executed by any scenario (set a scenario's `exec: {}` or remove the flow)",
                flow.name, flow.name
            ));
        }
    }
    let mut requested = vec![false; exp.model.endpoints.len()];
    for (flow, _) in exp.flows.iter().zip(&executed).filter(|(_, e)| **e) {
        for step in &flow.steps {
            if let FlowStep::Request { endpoint, .. } = step
                && let Some(r) = requested.get_mut(*endpoint)
            {
                *r = true;
            }
        }
    }
    let unused: Vec<&str> = exp
        .model
        .endpoints
        .iter()
        .zip(&requested)
        .filter(|(_, r)| !**r)
        .map(|(e, _)| e.name.as_str())
        .collect();
    if !unused.is_empty() {
        let list = unused
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        warnings.push(format!(
            "endpoint{} {list} of model `{}` {} requested by no flow that runs, so {} no load \
             (add a `request: {{endpoint: ...}}` step, or ignore this if the model is shared)",
            if unused.len() == 1 { "" } else { "s" },
            exp.model.name,
            if unused.len() == 1 { "is" } else { "are" },
            if unused.len() == 1 {
                "it gets"
            } else {
                "they get"
            },
        ));
    }
    warnings
}

/// Loads and builds a model from text, as [`load_model`] does from a file, with `path`
/// naming it in messages and `base_dir` resolving the files it names (HPA manifests, CSV
/// samples). For fuzzing and tests.
pub fn model_from_str(text: &str, path: &Path, base_dir: &Path) -> Result<Model, LoadError> {
    let spec: ModelSpec = parse_yaml(path, text)?;
    build_model(&spec, base_dir, &stem(path)).map_err(|e| LoadError::invalid(path, e))
}

/// Parses and builds an experiment from text against an already built `model` (and k6
/// options JSON text, when the experiment names a file), as [`load_experiment`] does from
/// files. For fuzzing and tests.
pub fn experiment_from_str(
    text: &str,
    path: &Path,
    model: Model,
    k6_json: Option<&str>,
) -> Result<Experiment, LoadError> {
    if !is_experiment(path, text)? {
        return Err(LoadError::invalid(
            path,
            FieldError::new("model", "missing: this looks like a model file"),
        ));
    }
    let spec: ExperimentSpec = parse_yaml(path, text)?;
    let k6 = match (&spec.k6_options, k6_json) {
        (Some(_), Some(json)) => {
            Some(parse_k6_options(json).map_err(|e| LoadError::invalid(path, e))?)
        }
        _ => None,
    };
    build_experiment(&spec, model, k6.as_ref(), &dir_of(path), &stem(path))
        .map_err(|e| LoadError::invalid(path, e))
}
