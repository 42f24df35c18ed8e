//! A script's `export const options` as k6 reads it: numbers as milliseconds where k6 takes
//! a duration, `k6 run`'s flags over the script's options (a flag that sets `duration`,
//! `iterations` or `stages` clears all of those and `scenarios` from the script, as k6's
//! `Options.Apply` does, reference 4.2), and one note for the fields that change no
//! prediction.

use crate::error::FieldError;
use crate::spec::k6_script::ScriptFlags;
use serde_json::{Map, Value};

/// Option keys capsim reads (the rest are accepted and listed in one note).
const READ: &[&str] = &[
    "scenarios",
    "vus",
    "duration",
    "iterations",
    "stages",
    "rps",
    "thresholds",
    "summaryTrendStats",
    "batch",
    "batchPerHost",
];

/// Duration fields of a scenario (and the top level) that k6 also takes as milliseconds.
const DURATIONS: &[&str] = &[
    "duration",
    "startTime",
    "gracefulStop",
    "maxDuration",
    "gracefulRampDown",
    "timeUnit",
];

/// k6 reads a bare number where it expects a duration as milliseconds.
fn ms_to_text(v: &mut Value) {
    if let Some(n) = v.as_f64()
        && n >= 0.0
    {
        *v = Value::String(format!("{n}ms"));
    }
}

fn normalize_durations(obj: &mut Map<String, Value>) {
    for key in DURATIONS {
        if let Some(v) = obj.get_mut(*key) {
            ms_to_text(v);
        }
    }
    if let Some(Value::Array(stages)) = obj.get_mut("stages") {
        for s in stages {
            if let Some(d) = s.as_object_mut().and_then(|s| s.get_mut("duration")) {
                ms_to_text(d);
            }
        }
    }
}

/// k6's defaults for `batch` and `batchPerHost`.
pub const DEFAULT_BATCH: u32 = 20;
pub const DEFAULT_BATCH_PER_HOST: u32 = 6;

/// `batch` (at most this many of one `http.batch()`'s requests in flight, at least 1) and
/// `batchPerHost` (at most this many to one host; 0: no limit, as in k6), defaults 20 and 6.
pub fn batch_limits(options: &Value) -> Result<(u32, u32), FieldError> {
    let read = |key: &str, default: u32, min: u64| -> Result<u32, FieldError> {
        match options.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_u64()
                .filter(|n| *n >= min)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    FieldError::new(
                        key,
                        format!(
                            "{v} is not a number of requests; write a whole number from {min}                              (k6's default is {default}){}",
                            if min == 0 { ", 0 for no limit" } else { "" }
                        ),
                    )
                }),
        }
    };
    Ok((
        read("batch", DEFAULT_BATCH, 1)?,
        read("batchPerHost", DEFAULT_BATCH_PER_HOST, 0)?,
    ))
}

/// The options after `flags`, ready for the `k6 inspect` parser, and the note on the keys
/// capsim accepts without using.
pub fn apply_flags(options: Value, flags: &ScriptFlags) -> (Value, Option<String>) {
    let mut root = match options {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let ignored: Vec<String> = root
        .iter()
        .filter(|(k, v)| !READ.contains(&k.as_str()) && !v.is_null())
        .map(|(k, _)| format!("`{k}`"))
        .collect();
    normalize_durations(&mut root);
    if let Some(Value::Object(scenarios)) = root.get_mut("scenarios") {
        for s in scenarios.values_mut() {
            if let Some(s) = s.as_object_mut() {
                normalize_durations(s);
                // k6 accepts per-scenario options capsim does not simulate.
                s.remove("env");
                s.remove("tags");
            }
        }
    }
    if flags.duration.is_some() || flags.iterations.is_some() || !flags.stages.is_empty() {
        for k in ["duration", "iterations", "stages", "scenarios"] {
            root.remove(k);
        }
    }
    if let Some(v) = flags.vus {
        root.insert("vus".into(), v.into());
    }
    if let Some(d) = &flags.duration {
        root.insert("duration".into(), d.clone().into());
    }
    if let Some(i) = flags.iterations {
        root.insert("iterations".into(), i.into());
    }
    if !flags.stages.is_empty() {
        let stages: Vec<Value> = flags
            .stages
            .iter()
            .map(|s| {
                serde_json::json!({
                    "duration": s.duration.map(|d| format!("{}ns", d.0)),
                    "target": s.target,
                })
            })
            .collect();
        root.insert("stages".into(), Value::Array(stages));
    }
    if let Some(r) = flags.rps {
        root.insert("rps".into(), r.into());
    }
    // k6: --batch and --batch-per-host over the script's options (validated with them).
    if let Some(b) = flags.batch {
        root.insert("batch".into(), b.into());
    }
    if let Some(b) = flags.batch_per_host {
        root.insert("batchPerHost".into(), b.into());
    }
    let note = (!ignored.is_empty()).then(|| {
        format!(
            "options {} accepted: they change no prediction",
            ignored.join(", ")
        )
    });
    (Value::Object(root), note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn batch_limits_default_to_k6s_and_refuse_nonsense() {
        assert_eq!(batch_limits(&json!({})).unwrap(), (20, 6));
        assert_eq!(
            batch_limits(&json!({"batch": 3, "batchPerHost": 0})).unwrap(),
            (3, 0)
        );
        let e = batch_limits(&json!({"batch": 0})).unwrap_err().to_string();
        assert!(e.contains("batch") && e.contains("from 1"), "{e}");
        assert!(batch_limits(&json!({"batchPerHost": -1})).is_err());
        assert!(batch_limits(&json!({"batch": 2.5})).is_err());
    }

    #[test]
    fn cli_flags_clear_the_scripts_execution_options() {
        let script = json!({"scenarios": {"a": {"executor": "constant-vus", "vus": 2,
            "duration": 30000}}, "vus": 3, "setupTimeout": "10s"});
        let (v, note) = apply_flags(script.clone(), &ScriptFlags::default());
        assert_eq!(v["scenarios"]["a"]["duration"], "30000ms");
        assert!(note.unwrap().contains("`setupTimeout`"));
        let flags = ScriptFlags {
            vus: Some(500),
            duration: Some("10m".into()),
            rps: Some(400.0),
            ..ScriptFlags::default()
        };
        let (v, _) = apply_flags(script, &flags);
        assert!(v.get("scenarios").is_none());
        assert_eq!(v["vus"], 500);
        assert_eq!(v["duration"], "10m");
        assert_eq!(v["rps"], 400.0);
        // --vus alone keeps the script's scenarios (k6: vus is not an execution option).
        let (v, _) = apply_flags(
            json!({"scenarios": {"a": {}}}),
            &ScriptFlags {
                vus: Some(5),
                ..ScriptFlags::default()
            },
        );
        assert!(v.get("scenarios").is_some());
    }
}
