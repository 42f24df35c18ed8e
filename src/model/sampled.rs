//! Flows sampled from a k6 script: each recorded iteration becomes a trace (a run of
//! [`FlowStep`]s) that the engine replays whole, its requests mapped to the model's
//! endpoints and its checks to capsim's checks where their meaning is visible.

use crate::error::FieldError;
use crate::model::Model;
use crate::model::custom_metrics::CustomKind;
use crate::model::experiment::{
    AddValue, Check, CheckCondition, CustomMetric, Flow, FlowStep, MetricAdd, SampledScript,
};
use crate::model::threshold_filter::SIMULATED_STATUSES;
use crate::script::{AddSymbol, CheckMeaning, Recording, RequestSite, TraceStep};
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

/// The host of a URL as k6's per-host limit sees it (`host:port`; "" without a scheme):
/// `https://api.x.io:8443/a` -> `api.x.io:8443`.
pub fn url_host(url: &str) -> &str {
    let Some(i) = url.find("://") else {
        return "";
    };
    let rest = &url[i + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..end];
    // No user info: `user:pw@host` -> `host`.
    host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host)
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
    let (custom_metrics, adds, add_conditions) = custom_metrics(rec);
    let predicted: Vec<String> = custom_metrics
        .iter()
        .filter(|m| m.not_predicted.is_none())
        .map(|m| format!("{} `{}`", m.kind.name(), m.name))
        .collect();
    if !predicted.is_empty() {
        notes.push(format!(
            "custom metrics predicted from what their add() calls receive: {}",
            predicted.join(", ")
        ));
    }
    for m in &custom_metrics {
        if let Some(why) = &m.not_predicted {
            notes.push(format!(
                "custom {} `{}` is not predicted: {why}",
                m.kind.name(),
                m.name
            ));
        }
    }
    for c in &rec.checks {
        if let CheckMeaning::NotPredicted(why) = &c.meaning {
            notes.push(format!(
                "check `{}` ({}) is not predicted: {why}; capsim predicts checks on \
                 `r.status` (passes on success), `r.timings.duration < X` and both together",
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
                CheckMeaning::StatusOkAndBelow(limit) => CheckCondition::StatusOkAndBelow(limit),
                CheckMeaning::NotPredicted(_) => continue,
            };
            checks.push(Check {
                name: c.name.clone(),
                condition,
            });
        }
        blocks.push((first, checks.len() as u32 - first));
    }
    let mut metric_adds: Vec<MetricAdd> = Vec::new();
    let mut add_lists: BTreeMap<Vec<(u32, u32)>, (u32, u32)> = BTreeMap::new();
    let mut flows = Vec::new();
    for f in &rec.flows {
        let mut steps = Vec::new();
        let mut batch_hosts = Vec::new();
        let mut traces = Vec::with_capacity(f.traces.len());
        let mut requests = 0usize;
        for t in &f.traces {
            let start = steps.len() as u32;
            let attached = attach_adds(t, &adds);
            for (pos, s) in t.iter().enumerate() {
                steps.push(match *s {
                    TraceStep::Request { site, checks } => {
                        requests += 1;
                        let (first_check, n_checks) = blocks[checks as usize];
                        let list = attached.get(&(pos as u32)).cloned().unwrap_or_default();
                        let (first_add, n_adds) = if list.is_empty() {
                            (0, 0)
                        } else {
                            *add_lists.entry(list).or_insert_with_key(|list| {
                                let first = metric_adds.len() as u32;
                                metric_adds.extend(list.iter().filter_map(|&(a, group)| {
                                    adds[a as usize].map(|m| MetricAdd { group, ..m })
                                }));
                                (first, metric_adds.len() as u32 - first)
                            })
                        };
                        FlowStep::Request {
                            endpoint: endpoints[site as usize] as usize,
                            first_check,
                            n_checks,
                            first_add,
                            n_adds,
                        }
                    }
                    TraceStep::Sleep(nanos) => FlowStep::Pause { nanos },
                    TraceStep::GroupEnter(group) => FlowStep::GroupEnter { group },
                    TraceStep::GroupExit(group) => FlowStep::GroupExit { group },
                    TraceStep::Add { .. } => continue,
                    TraceStep::Batch { n } => {
                        // Its requests follow it (the shim records them so).
                        let n = t[pos + 1..]
                            .iter()
                            .take(n as usize)
                            .take_while(|s| matches!(s, TraceStep::Request { .. }))
                            .count() as u32;
                        let first_host = batch_hosts.len() as u32;
                        batch_hosts.extend(batch_host_numbers(rec, &t[pos + 1..], n));
                        FlowStep::Batch {
                            n,
                            limit: rec.batch,
                            per_host: rec.batch_per_host,
                            first_host,
                        }
                    }
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
            batch_hosts,
        });
    }
    Ok(SampledScript {
        options: rec.options.clone(),
        flows,
        checks: std::mem::take(checks),
        custom_metrics,
        metric_adds,
        add_conditions,
        notes,
        groups: rec.groups.clone(),
    })
}

/// The script's custom metrics (predicted unless a shim or a check says otherwise), each
/// recorded add() as the engine computes it (`None`: its metric is not predicted), and the
/// check conditions those adds read.
fn custom_metrics(
    rec: &Recording,
) -> (
    Vec<CustomMetric>,
    Vec<Option<MetricAdd>>,
    Vec<CheckCondition>,
) {
    let mut metrics: Vec<CustomMetric> = rec
        .metrics
        .iter()
        .map(|(name, kind)| CustomMetric {
            name: name.clone(),
            kind: CustomKind::parse(kind).unwrap_or(CustomKind::Gauge),
            not_predicted: rec.metrics_not_predicted.get(name).cloned(),
            thresholds_not_evaluated: Vec::new(),
        })
        .collect();
    let mut conditions: Vec<CheckCondition> = Vec::new();
    let mut values = Vec::with_capacity(rec.adds.len());
    for add in &rec.adds {
        let Some(i) = metrics.iter().position(|m| m.name == add.metric) else {
            values.push(None);
            continue;
        };
        let value = match &add.value {
            AddSymbol::Duration => Some(AddValue::Duration),
            AddSymbol::Constant(c) => Some(AddValue::Constant(*c)),
            AddSymbol::Status(statuses) => {
                let mask = SIMULATED_STATUSES
                    .iter()
                    .enumerate()
                    .filter(|(_, (s, _))| statuses.contains(s))
                    .fold(0u8, |m, (b, _)| m | 1 << b);
                Some(AddValue::Status { mask })
            }
            AddSymbol::Checks { names, negate } => {
                let first = conditions.len() as u32;
                let mut why = None;
                for n in names {
                    match rec.checks.iter().find(|c| c.name == *n).map(|c| &c.meaning) {
                        Some(CheckMeaning::StatusOk) => conditions.push(CheckCondition::StatusOk),
                        Some(CheckMeaning::DurationBelow(l)) => {
                            conditions.push(CheckCondition::DurationBelow(*l))
                        }
                        Some(CheckMeaning::StatusOkAndBelow(l)) => {
                            conditions.push(CheckCondition::StatusOkAndBelow(*l))
                        }
                        Some(CheckMeaning::NotPredicted(w)) => {
                            why = Some(format!(
                                "it adds the result of check `{n}`, which is not predicted ({w})"
                            ))
                        }
                        None => {
                            why = Some(format!(
                                "it adds the result of check `{n}`, which was never recorded"
                            ))
                        }
                    }
                }
                match why {
                    Some(w) => {
                        conditions.truncate(first as usize);
                        if metrics[i].not_predicted.is_none() {
                            metrics[i].not_predicted = Some(w);
                        }
                        None
                    }
                    None => Some(AddValue::AllPass {
                        first,
                        n: conditions.len() as u32 - first,
                        negate: *negate,
                    }),
                }
            }
        };
        values.push(value.map(|value| MetricAdd {
            metric: i as u32,
            value,
            group: 0,
        }));
    }
    for m in &mut metrics {
        if m.kind == CustomKind::Gauge && m.not_predicted.is_none() {
            m.not_predicted = Some("capsim does not predict gauges".into());
        }
    }
    // A metric that is not predicted adds nothing.
    for v in &mut values {
        if v.is_some_and(|a| metrics[a.metric as usize].not_predicted.is_some()) {
            *v = None;
        }
    }
    (metrics, values, conditions)
}

/// The adds of one trace by the request (position in the trace) whose answer makes them:
/// an add that reads a response goes with that request; a constant goes with the request
/// before it (else the one after it), so it counts when that request is answered. Each add
/// comes with the group it was called in (k6's `group` tag of its sample), which may not
/// be its request's.
fn attach_adds(trace: &[TraceStep], adds: &[Option<MetricAdd>]) -> BTreeMap<u32, Vec<(u32, u32)>> {
    let mut out: BTreeMap<u32, Vec<(u32, u32)>> = BTreeMap::new();
    let mut pending: Vec<(u32, u32)> = Vec::new();
    let mut last: Option<u32> = None;
    // The groups entered and not yet left; the innermost is the current one (else root, 0).
    let mut groups: Vec<u32> = Vec::new();
    for (pos, s) in trace.iter().enumerate() {
        match *s {
            TraceStep::Request { .. } => {
                last = Some(pos as u32);
                if !pending.is_empty() {
                    out.entry(pos as u32).or_default().append(&mut pending);
                }
            }
            TraceStep::Add { add, request } => {
                if adds.get(add as usize).is_none_or(|a| a.is_none()) {
                    continue;
                }
                let add = (add, groups.last().copied().unwrap_or(0));
                match request.or(last) {
                    Some(r) => out.entry(r).or_default().push(add),
                    None => pending.push(add),
                }
            }
            TraceStep::GroupEnter(g) => groups.push(g),
            TraceStep::GroupExit(_) => {
                groups.pop();
            }
            TraceStep::Sleep(_) | TraceStep::Batch { .. } => {}
        }
    }
    out
}

/// The hosts of a batch's `n` requests (the steps after it), numbered in order of first
/// appearance within the batch.
fn batch_host_numbers(rec: &Recording, after: &[TraceStep], n: u32) -> Vec<u32> {
    let mut seen: Vec<&str> = Vec::new();
    after
        .iter()
        .filter_map(|s| match *s {
            TraceStep::Request { site, .. } => Some(url_host(&rec.requests[site as usize].url)),
            _ => None,
        })
        .take(n as usize)
        .map(|h| match seen.iter().position(|x| *x == h) {
            Some(i) => i as u32,
            None => {
                seen.push(h);
                seen.len() as u32 - 1
            }
        })
        .collect()
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
        assert_eq!(url_host("https://api.x.io:8443/a?b"), "api.x.io:8443");
        assert_eq!(url_host("http://u:p@h.io"), "h.io");
        assert_eq!(url_host("/relative"), "");
    }
}
