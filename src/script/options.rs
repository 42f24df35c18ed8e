//! A script's `export const options` as k6 reads it: numbers as milliseconds where k6 takes
//! a duration, `k6 run`'s flags over the script's options (a flag that sets `duration`,
//! `iterations` or `stages` clears all of those and `scenarios` from the script, as k6's
//! `Options.Apply` does, reference 4.2), and one note for the fields that change no
//! prediction.

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
