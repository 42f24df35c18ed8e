//! `--set path=value` overrides: parsed once, routed to the experiment, its model or one of
//! the model's HPA manifests, and applied to the YAML documents before the typed parse, so
//! that the usual validation (unknown fields with the nearest name, ranges) applies to them.
//!
//! Paths are dotted (`scenarios.load.vus`), with keys holding dots or spaces quoted
//! (`endpoints."GET /".service`) and list items as `[i]` or `.i` (`flow[0].request.endpoint`).
//! Routing: `model.REST` and any first key that only a model has (`services`, `endpoints`,
//! ...) go to the model; `hpa.NAME.REST` to the HPA manifest document named NAME; the rest
//! to the experiment.

pub use crate::spec::override_path::{Seg, parse_path, show_path};
use crate::suggest::nearest;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Which document an override changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Experiment,
    Model,
    /// The HPA manifest document whose `metadata.name` is this.
    Hpa(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// As written on the command line (`scenarios.load.vus=800`).
    pub raw: String,
    pub target: Target,
    pub path: Vec<Seg>,
    pub value: Value,
}

/// All overrides of one invocation, in command-line order (a later one wins), and the
/// folders `--allow-path` adds to the roots the config's files must stay inside
/// ([`crate::spec::confine`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub list: Vec<Override>,
    pub allow: Vec<std::path::PathBuf>,
    /// `k6 run`'s flags and the recording settings, for an experiment on a k6 script.
    pub script: crate::spec::k6_script::ScriptFlags,
}

impl Overrides {
    /// Parses `path=value` arguments.
    pub fn parse(args: &[String]) -> Result<Overrides, String> {
        let list = args
            .iter()
            .map(|a| parse_override(a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Overrides {
            list,
            ..Overrides::default()
        })
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// These overrides followed by `more` (which win on the same path).
    pub fn chain(&self, more: &Overrides) -> Overrides {
        let mut list = self.list.clone();
        list.extend(more.list.iter().cloned());
        let mut allow = self.allow.clone();
        allow.extend(more.allow.iter().cloned());
        Overrides {
            list,
            allow,
            script: self.script.clone(),
        }
    }

    /// These overrides with `allow` added to the confinement roots (`--allow-path`).
    pub fn allowing(mut self, allow: &[std::path::PathBuf]) -> Overrides {
        self.allow.extend(allow.iter().cloned());
        self
    }

    pub fn for_target(&self, pred: impl Fn(&Target) -> bool) -> Vec<&Override> {
        self.list.iter().filter(|o| pred(&o.target)).collect()
    }

    /// The raw `path=value` strings, for records (partial results) and reports.
    pub fn raw(&self) -> Vec<String> {
        self.list.iter().map(|o| o.raw.clone()).collect()
    }
}

/// The top-level field names a spec type accepts, read from serde's own unknown-field error.
pub fn fields_of<T: DeserializeOwned>() -> Vec<&'static str> {
    match serde_saphyr::from_str::<T>("__capsim_probe__: 0\n") {
        Err(e) => unknown_field_expected(&e).unwrap_or_default(),
        Ok(_) => Vec::new(),
    }
}

fn unknown_field_expected(e: &serde_saphyr::Error) -> Option<Vec<&'static str>> {
    use serde_saphyr::Error as E;
    let mut e = e;
    loop {
        match e {
            E::WithSnippet { error, .. } | E::AliasError { error, .. } => e = error,
            E::SerdeUnknownField { expected, .. } => return Some(expected.to_vec()),
            _ => return None,
        }
    }
}

/// Splits at the first `=` outside quotes.
fn split_assignment(arg: &str) -> Option<(&str, &str)> {
    let mut quote: Option<char> = None;
    for (i, c) in arg.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '=') => return Some((&arg[..i], &arg[i + 1..])),
            _ => {}
        }
    }
    None
}

/// A YAML scalar or flow value (`800`, `10s`, `true`, `[1, 2]`, `{a: 1}`); blank is "".
pub fn parse_value(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::String(String::new()));
    }
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        format!(
            "`{text}` is not a YAML value ({}); quote strings that hold `:` or `#`",
            first_line(&e.to_string())
        )
    })
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

pub fn parse_override(arg: &str) -> Result<Override, String> {
    let (path_text, value_text) = split_assignment(arg).ok_or_else(|| {
        format!("--set `{arg}`: write `path=value`, e.g. `--set scenarios.load.vus=800`")
    })?;
    let path = parse_path(path_text.trim()).map_err(|e| format!("--set {e}"))?;
    let value = parse_value(value_text).map_err(|e| format!("--set `{arg}`: {e}"))?;
    let first = match &path[0] {
        Seg::Key(k) => k.clone(),
        Seg::Index(_) => {
            return Err(format!(
                "--set `{arg}`: a path starts with a field name, not a list index"
            ));
        }
    };
    let exp_fields = fields_of::<crate::spec::experiment::ExperimentSpec>();
    let model_fields = fields_of::<crate::spec::model::ModelSpec>();
    let (target, path) = if first == "hpa" {
        match (path.get(1), path.len()) {
            (Some(Seg::Key(name)), n) if n >= 3 => (Target::Hpa(name.clone()), path[2..].to_vec()),
            _ => {
                return Err(format!(
                    "--set `{arg}`: HPA overrides are written `hpa.NAME.FIELD...=value`, \
                     e.g. `hpa.web-hpa.spec.maxReplicas=20`"
                ));
            }
        }
    } else if first == "model" && path.len() > 1 {
        (Target::Model, path[1..].to_vec())
    } else if exp_fields.contains(&first.as_str()) {
        (Target::Experiment, path)
    } else if model_fields.contains(&first.as_str()) {
        (Target::Model, path)
    } else {
        let all: Vec<&str> = exp_fields
            .iter()
            .chain(model_fields.iter())
            .copied()
            .chain(["hpa"])
            .collect();
        let hint = match nearest(&first, all.iter().copied()) {
            Some(n) => format!(" (did you mean `{n}`?)"),
            None => String::new(),
        };
        return Err(format!(
            "--set `{arg}`: unknown path `{first}`{hint}; a path starts with an experiment field \
             ({}), a model field ({}, or `model.` before any), or `hpa.NAME.`",
            exp_fields.join(", "),
            model_fields.join(", ")
        ));
    };
    Ok(Override {
        raw: arg.to_string(),
        target,
        path,
        value,
    })
}

/// A key the override added where the document had none: the likely cause when the
/// patched document is then refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Added {
    /// Path of the mapping that got the key (empty: the top level).
    pub parent: String,
    pub key: String,
    /// Keys that mapping already had.
    pub siblings: Vec<String>,
}

impl Added {
    pub fn hint(&self) -> String {
        let within = if self.parent.is_empty() {
            "the top level".to_string()
        } else {
            format!("`{}`", self.parent)
        };
        let near = match nearest(&self.key, self.siblings.iter().map(String::as_str)) {
            Some(n) => format!(" (nearest: `{n}`)"),
            None if self.siblings.is_empty() => String::new(),
            None => format!(" (it has: {})", self.siblings.join(", ")),
        };
        format!("{within} has no key `{}`{near}", self.key)
    }
}

/// The maps of named things in each document (`scenarios.NAME`, `services.NAME`, ...), as
/// path patterns (`*` matches any key) with the noun for one entry. An override may change
/// an entry or set a whole one, but not create one by setting one of its fields: that is
/// almost always a typo in the name, and the half-made entry would fail with a confusing
/// message about a field it lacks.
const NAMED_ENTRIES: &[(&str, &[&str], &str)] = &[
    ("experiment", &["scenarios"], "scenario"),
    ("experiment", &["flows"], "flow"),
    ("model", &["services"], "service"),
    ("model", &["endpoints"], "endpoint"),
    ("model", &["databases"], "database"),
    ("model", &["caches"], "cache"),
    ("model", &["providers"], "provider"),
    ("model", &["job_queues"], "job queue"),
    ("model", &["services", "*", "operations"], "operation"),
];

/// The noun for an entry of the named map at `parent`, if `parent` is one.
fn named_entry(target: &Target, parent: &[Seg]) -> Option<&'static str> {
    let document = match target {
        Target::Experiment => "experiment",
        Target::Model => "model",
        Target::Hpa(_) => return None,
    };
    NAMED_ENTRIES.iter().find_map(|(doc, pattern, noun)| {
        let matches = *doc == document
            && pattern.len() == parent.len()
            && pattern
                .iter()
                .zip(parent)
                .all(|(p, s)| matches!(s, Seg::Key(k) if *p == "*" || k == p));
        matches.then_some(*noun)
    })
}

/// Sets `path` to `value` in the `target` document `doc`, creating missing mappings on the
/// way (but no entry of a named map: see [`NAMED_ENTRIES`]).
pub fn apply(
    doc: &mut Value,
    target: &Target,
    path: &[Seg],
    value: Value,
) -> Result<Option<Added>, String> {
    if let Some(name) = scale_knob(target, path) {
        return crate::spec::scale::apply_scale(doc, name, &value).map(|()| None);
    }
    let mut node = doc;
    let mut added = None;
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        let here = show_path(&path[..i]);
        if node.is_null() && matches!(seg, Seg::Key(_)) {
            *node = Value::Object(Default::default());
        }
        match seg {
            Seg::Key(k) => {
                let Value::Object(map) = node else {
                    return Err(format!(
                        "`{here}` is {}, not a mapping; it has no field `{k}`",
                        kind(node)
                    ));
                };
                if !map.contains_key(k) {
                    if !last && let Some(noun) = named_entry(target, &path[..i]) {
                        let hint = match nearest(k, map.keys().map(String::as_str)) {
                            Some(n) => format!(" (did you mean `{n}`?)"),
                            None if map.is_empty() => String::new(),
                            None => format!(
                                " (it has: {})",
                                map.keys().cloned().collect::<Vec<_>>().join(", ")
                            ),
                        };
                        return Err(format!(
                            "`{here}` has no {noun} `{k}`{hint}; --set changes what the file \
                             declares: fix the name, or add the {noun} to the file"
                        ));
                    }
                    if added.is_none() {
                        added = Some(Added {
                            parent: here.clone(),
                            key: k.clone(),
                            siblings: map.keys().cloned().collect(),
                        });
                    }
                    map.insert(k.clone(), Value::Null);
                }
                node = map.get_mut(k).expect("inserted above");
            }
            Seg::Index(idx) => {
                let Value::Array(items) = node else {
                    return Err(format!(
                        "`{here}` is {}, not a list; `[{idx}]` does not apply",
                        kind(node)
                    ));
                };
                let len = items.len();
                node = items.get_mut(*idx).ok_or_else(|| {
                    format!("`{here}` has {len} item(s); `[{idx}]` is out of range")
                })?;
            }
        }
        if last {
            *node = value;
            return Ok(added);
        }
    }
    Ok(added)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The scenario a `scenarios.NAME.scale` knob scales ([`crate::spec::scale`]).
fn scale_knob<'p>(target: &Target, path: &'p [Seg]) -> Option<&'p str> {
    match (target, path) {
        (Target::Experiment, [Seg::Key(s), Seg::Key(name), Seg::Key(k)])
            if s == "scenarios" && k == crate::spec::scale::SCALE_KEY =>
        {
            Some(name)
        }
        _ => None,
    }
}

/// Applies overrides to one YAML document; returns the new text and the keys added.
pub fn patch_document(text: &str, sets: &[&Override]) -> Result<(String, Vec<Added>), String> {
    let mut doc: Value =
        serde_saphyr::from_str_with_options(text, crate::spec::yaml::yaml_options())
            .map_err(|e| first_line(&e.to_string()).to_string())?;
    let mut added = Vec::new();
    for o in sets {
        if let Some(a) = apply(&mut doc, &o.target, &o.path, o.value.clone())
            .map_err(|e| format!("--set {}: {e}", o.raw))?
        {
            added.push(a);
        }
    }
    let out = serde_saphyr::to_string(&doc).map_err(|e| e.to_string())?;
    Ok((out, added))
}

/// Applies `hpa.NAME...` overrides to a multi-document manifest file; returns the new text
/// and the HPA names it matched.
pub fn patch_manifests(text: &str, sets: &[&Override]) -> Result<(String, Vec<String>), String> {
    if sets.is_empty() {
        return Ok((text.to_string(), Vec::new()));
    }
    let mut docs: Vec<Value> =
        serde_saphyr::from_multiple(text).map_err(|e| first_line(&e.to_string()).to_string())?;
    let mut matched = Vec::new();
    for doc in docs.iter_mut() {
        let name = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_string);
        // A manifest file may hold a Deployment and a Service of the HPA's name too.
        if doc.pointer("/kind").and_then(Value::as_str) != Some("HorizontalPodAutoscaler") {
            continue;
        }
        for o in sets {
            if let Target::Hpa(n) = &o.target
                && Some(n) == name.as_ref()
            {
                apply(doc, &o.target, &o.path, o.value.clone())
                    .map_err(|e| format!("--set {}: {e}", o.raw))?;
                matched.push(n.clone());
            }
        }
    }
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&serde_saphyr::to_string(d).map_err(|e| e.to_string())?);
    }
    Ok((out, matched))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("endpoints.\"GET /\".service").unwrap(),
            vec![
                Seg::Key("endpoints".into()),
                Seg::Key("GET /".into()),
                Seg::Key("service".into())
            ]
        );
        assert_eq!(
            parse_path("flow[0].request").unwrap(),
            vec![
                Seg::Key("flow".into()),
                Seg::Index(0),
                Seg::Key("request".into())
            ]
        );
        assert!(parse_path("a..b").is_err());
        assert!(parse_path("a.").is_err());
    }

    #[test]
    fn routing() {
        let o = parse_override("services.api.workers=16").unwrap();
        assert_eq!(o.target, Target::Model);
        assert_eq!(o.value, serde_json::json!(16));
        let o = parse_override("model.services.api.replicas=4").unwrap();
        assert_eq!(o.target, Target::Model);
        let o = parse_override("scenarios.load.vus=800").unwrap();
        assert_eq!(o.target, Target::Experiment);
        let o = parse_override("hpa.web-hpa.spec.maxReplicas=20").unwrap();
        assert_eq!(o.target, Target::Hpa("web-hpa".into()));
        let e = parse_override("scenarioz.x=1").unwrap_err();
        assert!(e.contains("did you mean `scenarios`"), "{e}");
        let o = parse_override("model=../models/x.yaml").unwrap();
        assert_eq!(o.target, Target::Experiment);
    }

    #[test]
    fn apply_creates_and_reports() {
        let mut v = serde_json::json!({"services": {"api": {"workers": 4}}});
        let p = parse_path("services.api.workers").unwrap();
        let model = Target::Model;
        assert_eq!(
            apply(&mut v, &model, &p, serde_json::json!(8)).unwrap(),
            None
        );
        assert_eq!(v["services"]["api"]["workers"], 8);
        let p = parse_path("services.api.resources.cpu").unwrap();
        let a = apply(&mut v, &model, &p, serde_json::json!("500m"))
            .unwrap()
            .unwrap();
        assert!(a.hint().contains("no key `resources`"), "{}", a.hint());
        assert_eq!(v["services"]["api"]["resources"]["cpu"], "500m");
    }

    #[test]
    fn a_typo_in_a_name_is_not_a_new_entry() {
        let mut v = serde_json::json!({"services": {"api": {"workers": 4}}});
        let p = parse_path("services.apii.workers").unwrap();
        let e = apply(&mut v, &Target::Model, &p, serde_json::json!(8)).unwrap_err();
        assert!(
            e.contains("`services` has no service `apii` (did you mean `api`?)"),
            "{e}"
        );
        let mut x = serde_json::json!({"scenarios": {"ramp": {"executor": "constant-vus"}}});
        let p = parse_path("scenarios.rampp.vus").unwrap();
        let e = apply(&mut x, &Target::Experiment, &p, serde_json::json!(5)).unwrap_err();
        assert!(
            e.contains("no scenario `rampp` (did you mean `ramp`?)"),
            "{e}"
        );
        // A whole new entry is fine, and so is a new operation's name in an existing service.
        let p = parse_path("scenarios.extra").unwrap();
        let whole = serde_json::json!({"executor": "constant-vus", "vus": 1, "duration": "1m"});
        assert!(apply(&mut x, &Target::Experiment, &p, whole).is_ok());
        let p = parse_path("services.api.operations.get.x").unwrap();
        let e = apply(&mut v, &Target::Model, &p, serde_json::json!(1)).unwrap_err();
        assert!(e.contains("has no operation `get`"), "{e}");
    }
}
