//! Flows sampled from a k6 script: each recorded iteration becomes a trace (a run of
//! [`FlowStep`]s) that the engine replays whole, its requests mapped to the model's
//! endpoints and its checks to capsim's checks where their meaning is visible.

use crate::error::FieldError;
use crate::model::Model;
use crate::model::experiment::{Check, CheckCondition, Flow, FlowStep, SampledScript};
use crate::script::{CheckMeaning, Recording, RequestSite, TraceStep};
use std::collections::BTreeMap;

/// The path of a URL: no scheme, host, query or fragment (`https://h/a/b?x=1` -> `/a/b`).
pub fn url_path(url: &str) -> &str {
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None => url,
    };
    let rest = match rest.find('/') {
        Some(i) => &rest[i..],
        None => "/",
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    &rest[..end]
}

/// Whether a path matches an endpoint's path, whose `{id}`, `:id` or `${}` segments match
/// any one segment.
fn path_matches(pattern: &str, path: &str) -> bool {
    let a: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let b: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    a.len() == b.len()
        && a.iter().zip(&b).all(|(p, s)| {
            p == s || p.starts_with('{') && p.ends_with('}') || p.starts_with(':') || *p == "${}"
        })
}

/// The endpoint a request goes to: an explicit mapping (by `name` tag, `METHOD /path` or
/// `/path`), else a `name` tag that is an endpoint's name, else the method and URL path
/// against the endpoints' `METHOD /path` names (templated segments match any segment).
pub fn map_request(
    site: &RequestSite,
    model: &Model,
    explicit: &BTreeMap<String, String>,
) -> Result<usize, String> {
    let path = url_path(&site.url);
    let method_path = format!("{} {path}", site.method);
    let keys = [
        site.name.clone(),
        Some(method_path.clone()),
        Some(path.to_string()),
    ];
    for key in keys.iter().flatten() {
        if let Some(target) = explicit.get(key) {
            return model.endpoint_index(target).ok_or_else(|| {
                format!(
                    "`k6_endpoints: {key}: {target}` names no endpoint of model `{}`; its \
                     endpoints: {}",
                    model.name,
                    list(model)
                )
            });
        }
    }
    if let Some(i) = site.name.as_deref().and_then(|n| model.endpoint_index(n)) {
        return Ok(i);
    }
    if let Some(i) = model.endpoint_index(&method_path) {
        return Ok(i);
    }
    let named_path = site.name.as_deref().map(url_path);
    for (i, e) in model.endpoints.iter().enumerate() {
        let Some((method, pattern)) = e.name.split_once(' ') else {
            continue;
        };
        if method.eq_ignore_ascii_case(&site.method)
            && (path_matches(pattern, path) || named_path.is_some_and(|n| path_matches(pattern, n)))
        {
            return Ok(i);
        }
    }
    Err(format!(
        "the script's request `{} {}` ({}) matches no endpoint of model `{}`; its endpoints: \
         {}. Name an endpoint in the request's tags (`{{tags: {{name: \"{}\"}}}}`), or map it \
         in the experiment: `k6_endpoints: {{\"{method_path}\": \"ENDPOINT\"}}`",
        site.method,
        crate::spec::confine::sanitize(&site.url, 120),
        site.at,
        model.name,
        list(model),
        model
            .endpoints
            .first()
            .map(|e| e.name.as_str())
            .unwrap_or("GET /"),
    ))
}

fn list(model: &Model) -> String {
    model
        .endpoints
        .iter()
        .map(|e| format!("`{}`", e.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The recording as an experiment's part: flows with traces, their checks, and the notes
/// on what is not predicted.
pub fn build_sampled_script(
    rec: &Recording,
    model: &Model,
    explicit: &BTreeMap<String, String>,
) -> Result<SampledScript, FieldError> {
    let mut checks = Vec::new();
    let checks = &mut checks;
    let endpoints = rec
        .requests
        .iter()
        .map(|site| map_request(site, model, explicit).map(|e| e as u32))
        .collect::<Result<Vec<u32>, String>>()
        .map_err(|m| FieldError::new("k6_script", m))?;
    let mut notes = rec.notes.clone();
    for (name, kind) in &rec.metrics {
        notes.push(format!(
            "custom {kind} `{name}` is not predicted: capsim predicts k6's built-in HTTP \
             metrics and checks (docs/k6-scripts.md)"
        ));
    }
    for c in &rec.checks {
        if let CheckMeaning::NotPredicted(why) = &c.meaning {
            notes.push(format!(
                "check `{}` ({}) is not predicted: {why}; capsim predicts checks on \
                 `r.status` (passes on success) and `r.timings.duration < X`",
                c.name, c.at
            ));
        }
    }
    // Each distinct list of checks is one block of `checks`, so a step names a range.
    let mut blocks = Vec::with_capacity(rec.check_lists.len());
    for list in &rec.check_lists {
        let first = checks.len() as u32;
        for &i in list {
            let c = &rec.checks[i as usize];
            let condition = match c.meaning {
                CheckMeaning::StatusOk => CheckCondition::StatusOk,
                CheckMeaning::DurationBelow(limit) => CheckCondition::DurationBelow(limit),
                CheckMeaning::NotPredicted(_) => continue,
            };
            checks.push(Check {
                name: c.name.clone(),
                condition,
            });
        }
        blocks.push((first, checks.len() as u32 - first));
    }
    let mut flows = Vec::new();
    for f in &rec.flows {
        let mut steps = Vec::new();
        let mut traces = Vec::with_capacity(f.traces.len());
        let mut requests = 0usize;
        for t in &f.traces {
            let start = steps.len() as u32;
            for s in t {
                steps.push(match *s {
                    TraceStep::Request { site, checks } => {
                        requests += 1;
                        let (first_check, n_checks) = blocks[checks as usize];
                        FlowStep::Request {
                            endpoint: endpoints[site as usize] as usize,
                            first_check,
                            n_checks,
                        }
                    }
                    TraceStep::Sleep(nanos) => FlowStep::Pause { nanos },
                });
            }
            traces.push((start, steps.len() as u32));
        }
        if requests == 0 {
            return Err(FieldError::new(
                "k6_script",
                format!(
                    "`{}` made no HTTP request in {} recorded iterations; capsim predicts the \
                     load of k6/http requests (docs/k6-scripts.md)",
                    f.exec,
                    f.traces.len()
                ),
            ));
        }
        flows.push(Flow {
            name: f.exec.clone(),
            steps,
            traces,
        });
    }
    Ok(SampledScript {
        options: rec.options.clone(),
        flows,
        checks: std::mem::take(checks),
        custom_metrics: rec.metrics.clone(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths_and_templates() {
        assert_eq!(url_path("https://api.x.io/api/a?b=1#c"), "/api/a");
        assert_eq!(url_path("http://h:8080"), "/");
        assert_eq!(url_path("undefined/api/a"), "/api/a");
        assert_eq!(url_path("/x/y"), "/x/y");
        assert!(path_matches("/api/users/{id}", "/api/users/42"));
        assert!(path_matches("/api/users/:id/", "/api/users/42"));
        assert!(!path_matches("/api/users/{id}", "/api/users/42/posts"));
        assert!(!path_matches("/api/a", "/api/b"));
    }
}
