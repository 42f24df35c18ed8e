//! The load knob `scenarios.NAME.scale=F`: one factor on a scenario's whole load profile,
//! applied to the experiment document like any `--set`, so a sweep or a search can vary
//! "the load" as one number. VU executors get their VUs scaled (`vus`, `startVUs`, every
//! stage `target`), arrival-rate executors their rates (`rate`, `startRate`, every stage
//! `target`) and their VU pool with them (`preAllocatedVUs`, `maxVUs`), so the client keeps
//! the headroom the file gave it. Counts are rounded to whole numbers (a count that was
//! positive stays at least 1); `poisson-arrival-rate` keeps a fractional rate.

use crate::suggest::nearest;
use serde_json::Value;

/// The last key of the knob's path.
pub const SCALE_KEY: &str = "scale";

/// Largest factor accepted (a typo like `scale=1000` should not build a million VUs).
pub const MAX_SCALE: f64 = 1000.0;

fn scaled_count(v: &Value, factor: f64) -> Option<Value> {
    let x = v.as_f64()?;
    if x < 0.0 {
        return None;
    }
    let y = (x * factor).round();
    let y = if x > 0.0 { y.max(1.0) } else { 0.0 };
    Some(Value::from(y as u64))
}

/// Multiplies the load fields of one scenario (a mapping of k6 fields) by `factor`.
pub fn scale_scenario(scenario: &mut Value, factor: f64) -> Result<(), String> {
    if !(factor.is_finite() && factor > 0.0 && factor <= MAX_SCALE) {
        return Err(format!(
            "`scale` is a factor on the scenario's load: a number above 0 and at most {MAX_SCALE}, e.g. 0.5 or 1.5"
        ));
    }
    let Value::Object(map) = scenario else {
        return Err("the scenario is not a mapping; `scale` needs its fields".into());
    };
    let executor = map
        .get("executor")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let arrival = executor.ends_with("arrival-rate");
    let mut counts: Vec<&str> = vec!["vus", "startVUs", "startRate", "preAllocatedVUs", "maxVUs"];
    if !arrival {
        counts.retain(|k| !matches!(*k, "startRate" | "preAllocatedVUs" | "maxVUs"));
    }
    let mut changed = false;
    for key in counts {
        if let Some(v) = map.get_mut(key) {
            *v = scaled_count(v, factor)
                .ok_or_else(|| format!("`{key}` is not a count, so `scale` cannot multiply it"))?;
            changed = true;
        }
    }
    if let Some(v) = map.get_mut("rate") {
        let x = v
            .as_f64()
            .ok_or("`rate` is not a number, so `scale` cannot multiply it")?;
        *v = if executor == "poisson-arrival-rate" {
            Value::from(x * factor)
        } else {
            scaled_count(v, factor).ok_or("`rate` is negative")?
        };
        changed = true;
    }
    if let Some(Value::Array(stages)) = map.get_mut("stages") {
        for (i, stage) in stages.iter_mut().enumerate() {
            if let Some(t) = stage.get_mut("target") {
                *t = scaled_count(t, factor).ok_or_else(|| {
                    format!("`stages[{i}].target` is not a count, so `scale` cannot multiply it")
                })?;
                changed = true;
            }
        }
    }
    if !changed {
        return Err(format!(
            "the scenario (executor `{executor}`) has no VUs, rate or stage targets to scale"
        ));
    }
    Ok(())
}

/// Applies `scenarios.NAME.scale=VALUE` to the experiment document `doc`.
pub fn apply_scale(doc: &mut Value, name: &str, value: &Value) -> Result<(), String> {
    let factor = value
        .as_f64()
        .ok_or("`scenarios.NAME.scale` takes a number (a factor on the scenario's load)")?;
    let Some(Value::Object(scenarios)) = doc.get_mut("scenarios") else {
        return Err("the experiment file declares no `scenarios` to scale (a k6 options file's scenarios are scaled in that file)".into());
    };
    let names: Vec<String> = scenarios.keys().cloned().collect();
    let Some(scenario) = scenarios.get_mut(name) else {
        let hint = match nearest(name, names.iter().map(String::as_str)) {
            Some(n) => format!(" (did you mean `{n}`?)"),
            None => format!(" (it has: {})", names.join(", ")),
        };
        return Err(format!("`scenarios` has no scenario `{name}`{hint}"));
    };
    scale_scenario(scenario, factor).map_err(|e| format!("scenarios.{name}.scale: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scales_every_stage_and_the_pool() {
        let mut s = json!({"executor": "ramping-vus", "startVUs": 0,
            "stages": [{"duration": "1m", "target": 100}, {"duration": "2m", "target": 300}]});
        scale_scenario(&mut s, 1.5).unwrap();
        assert_eq!(s["stages"][0]["target"], json!(150));
        assert_eq!(s["stages"][1]["target"], json!(450));
        assert_eq!(s["startVUs"], json!(0));
        let mut a = json!({"executor": "ramping-arrival-rate", "startRate": 10,
            "preAllocatedVUs": 20, "maxVUs": 101, "stages": [{"duration": "1m", "target": 3}]});
        scale_scenario(&mut a, 0.5).unwrap();
        assert_eq!(a["startRate"], json!(5));
        assert_eq!(a["preAllocatedVUs"], json!(10));
        assert_eq!(a["maxVUs"], json!(51));
        assert_eq!(a["stages"][0]["target"], json!(2));
        // A positive count never rounds to 0; a Poisson rate stays fractional.
        let mut c = json!({"executor": "constant-vus", "vus": 1, "duration": "1m"});
        scale_scenario(&mut c, 0.1).unwrap();
        assert_eq!(c["vus"], json!(1));
        let mut p = json!({"executor": "poisson-arrival-rate", "rate": 3});
        scale_scenario(&mut p, 0.5).unwrap();
        assert_eq!(p["rate"], json!(1.5));
    }

    #[test]
    fn bad_factors_and_scenarios_are_refused() {
        let mut c = json!({"executor": "constant-vus", "vus": 10});
        for f in [0.0, -1.0, f64::NAN, 1e6] {
            assert!(scale_scenario(&mut c, f).is_err(), "{f}");
        }
        let mut none = json!({"executor": "externally-controlled"});
        assert!(scale_scenario(&mut none, 2.0).is_err());
        assert!(scale_scenario(&mut json!(3), 2.0).is_err());
    }
}
