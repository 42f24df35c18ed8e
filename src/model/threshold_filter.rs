//! The `{tag:value}` filters of k6 sub-metric thresholds: k6's reading of a metric key
//! (`ParseMetricName` and `AddSubmetric` in k6's `metrics/metric.go`), the tags capsim's
//! simulated samples carry, and the resolution of each value against what the experiment
//! can produce (endpoints, scenarios, checks, status codes). Which tags each metric carries
//! is the caller's table (`threshold.rs`); adding a tag is one [`Tag`] variant, one row of
//! [`TAGS`], one arm of [`resolve`] and one field of [`Filter`].

use crate::suggest::unknown_name;

/// The status codes a simulated response can have, and what gives each.
pub const SIMULATED_STATUSES: [(u16, &str); 7] = [
    (200, "success"),
    (0, "k6's request timeout (`client_timeout`)"),
    (429, "a provider's rate limit"),
    (500, "no database connection within `pool_timeout`"),
    (502, "a provider error, or a replica that died"),
    (
        503,
        "a full queue, no ready replica, or a database failing over",
    ),
    (504, "a server-side or provider timeout"),
];

/// A tag capsim's samples can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Name,
    /// capsim's own name for `name`.
    Endpoint,
    Method,
    Url,
    Status,
    ExpectedResponse,
    Scenario,
    Group,
    Check,
}

/// The tags by the name written in a key.
pub const TAGS: [(&str, Tag); 9] = [
    ("name", Tag::Name),
    ("endpoint", Tag::Endpoint),
    ("method", Tag::Method),
    ("url", Tag::Url),
    ("status", Tag::Status),
    ("expected_response", Tag::ExpectedResponse),
    ("scenario", Tag::Scenario),
    ("group", Tag::Group),
    ("check", Tag::Check),
];

/// k6 system tags that a simulation has no value for, and why.
const NOT_SIMULATED: [(&str, &str); 11] = [
    ("proto", "capsim does not model HTTP protocol versions"),
    ("subproto", "capsim does not model WebSocket subprotocols"),
    ("tls_version", "capsim does not model TLS"),
    ("ocsp_status", "capsim does not model TLS"),
    (
        "error",
        "capsim's errors have causes, not Go error strings; filter by `status`",
    ),
    (
        "error_code",
        "capsim's errors have causes, not k6 error codes; filter by `status`",
    ),
    ("ip", "the simulated system has no addresses"),
    (
        "vu",
        "k6 does not tag metrics with `vu` unless asked; capsim does not",
    ),
    (
        "iter",
        "k6 does not tag metrics with `iter` unless asked; capsim does not",
    ),
    ("service", "capsim does not model gRPC"),
    ("rpc_type", "capsim does not model gRPC"),
];

/// `(tag, value)` pairs of a key, as written (trimmed), in order.
pub type TagPairs = Vec<(String, String)>;

/// The names a threshold key can be resolved against.
#[derive(Debug, Clone, Copy)]
pub struct ThresholdContext<'a> {
    /// The model's endpoint names (`GET /x`).
    pub endpoints: &'a [String],
    /// The experiment's scenario names.
    pub scenarios: &'a [String],
    /// The experiment's check names, by check index.
    pub checks: &'a [String],
    /// The k6 group paths of the flows, by group id (the root `""` first); empty or the
    /// root alone for flows without groups.
    pub groups: &'a [String],
}

impl<'a> ThresholdContext<'a> {
    /// A context with endpoints only (no scenario or check names).
    pub fn endpoints(endpoints: &'a [String]) -> Self {
        ThresholdContext {
            endpoints,
            scenarios: &[],
            checks: &[],
            groups: &[],
        }
    }
}

/// A resolved sub-metric filter; a `None` field does not filter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// Endpoints that `name`, `method` and `url` allow together (sorted).
    pub endpoints: Option<Vec<usize>>,
    pub scenario: Option<usize>,
    pub status: Option<u16>,
    pub expected_response: Option<bool>,
    /// Check indices of the `check` tag (every check of that name, sorted).
    pub checks: Option<Vec<usize>>,
    /// The `group` tag: a group id of the experiment (`Experiment::groups`; 0 is the root
    /// group). `None` for `{group:''}` where the flows have no groups (all is root).
    pub group: Option<u32>,
}

impl Filter {
    /// No tag filters: the whole metric.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// Whether a request to `endpoint` from `scenario` passes the request tags.
    pub fn request_matches(&self, endpoint: usize, scenario: usize) -> bool {
        self.endpoints
            .as_ref()
            .is_none_or(|e| e.binary_search(&endpoint).is_ok())
            && self.scenario.is_none_or(|s| s == scenario)
    }

    /// Whether a response with `status` passes the `status` and `expected_response` tags
    /// (k6's expected statuses are 200 to 399).
    pub fn status_matches(&self, status: u16) -> bool {
        self.status.is_none_or(|s| s == status)
            && self
                .expected_response
                .is_none_or(|e| e == (200..400).contains(&status))
    }

    /// Whether a sample made in `group` passes the `group` tag.
    #[inline]
    pub fn group_matches(&self, group: u32) -> bool {
        self.group.is_none_or(|g| g == group)
    }

    /// Whether check `check` run by `scenario` passes the `check` and `scenario` tags.
    pub fn check_matches(&self, check: usize, scenario: usize) -> bool {
        self.checks
            .as_ref()
            .is_none_or(|c| c.binary_search(&check).is_ok())
            && self.scenario.is_none_or(|s| s == scenario)
    }
}

/// Splits `name{tag:value,...}` into the metric name and its `(tag, value)` pairs with
/// k6's rules: the closing brace is the last character; pairs are split at `,` and each at
/// its first `:` (so a URL value keeps its colons); a pair needs a non-empty value; keys
/// and values are trimmed of spaces and then of `"` and `'` (so `{group:''}` is the root
/// group); a key given twice keeps its last value.
pub fn parse_key(key: &str) -> Result<(&str, TagPairs), String> {
    let key = key.trim();
    let example = "e.g. `http_req_duration{name:GET /,status:200}`";
    let (open, close) = (key.find('{'), key.rfind('}'));
    let (open, close) = match (open, close) {
        (None, None) => return Ok((key, Vec::new())),
        (Some(o), Some(c)) if c > o && c == key.len() - 1 => (o, c),
        (Some(_), None) | (None, Some(_)) => {
            return Err(format!(
                "`{key}` has an unmatched curly brace; a sub-metric filter is `{{tag:value}}`, {example}"
            ));
        }
        _ => {
            return Err(format!(
                "`{key}`: a sub-metric filter ends the key with `}}`, {example}"
            ));
        }
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for raw in key[open + 1..close].split(',') {
        let Some((t, v)) = raw.split_once(':').filter(|(_, v)| !v.is_empty()) else {
            return Err(format!(
                "`{key}`: the tag expression `{}` is malformed; write `tag:value`, {example}",
                raw.trim()
            ));
        };
        let clean = |s: &str| s.trim().trim_matches(['"', '\'']).to_string();
        let (t, v) = (clean(t), clean(v));
        match pairs.iter_mut().find(|(k, _)| *k == t) {
            Some(p) => p.1 = v,
            None => pairs.push((t, v)),
        }
    }
    Ok((key[..open].trim(), pairs))
}

/// The method and path of an endpoint named `METHOD /path` (`None` for other names).
fn method_and_path(name: &str) -> Option<(&str, &str)> {
    let (m, p) = name.split_once(' ')?;
    let m_ok = !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase());
    (m_ok && p.starts_with('/')).then_some((m, p.trim()))
}

/// The path (with its query) of a URL, or the value itself when it is a path already.
fn url_path(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    }
}

/// Resolves the tag pairs of a `metric` key into a filter. `carried` lists the tags k6
/// puts on that metric's samples (`carried_text` says them in words).
pub fn resolve(
    metric: &str,
    pairs: &[(String, String)],
    carried: &[Tag],
    carried_text: &str,
    cx: &ThresholdContext,
) -> Result<Filter, String> {
    let mut f = Filter::default();
    let endpoint_list = || {
        cx.endpoints
            .iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let narrow = |f: &mut Filter, tag: &str, value: &str, set: Vec<usize>| {
        if set.is_empty() {
            return Err(format!(
                "no endpoint of the model has {tag} `{value}`; its endpoints: {}",
                endpoint_list()
            ));
        }
        let merged: Vec<usize> = match &f.endpoints {
            None => set,
            Some(prev) => prev.iter().copied().filter(|e| set.contains(e)).collect(),
        };
        if merged.is_empty() {
            return Err(format!(
                "no endpoint matches every request tag of the filter (`{tag}:{value}` leaves none); its endpoints: {}",
                endpoint_list()
            ));
        }
        f.endpoints = Some(merged);
        Ok(())
    };
    for (tag_name, value) in pairs {
        let Some(tag) = TAGS.iter().find(|(n, _)| n == tag_name).map(|(_, t)| *t) else {
            if let Some((_, why)) = NOT_SIMULATED.iter().find(|(n, _)| n == tag_name) {
                return Err(format!(
                    "`{tag_name}` is a k6 tag a simulation has no value for ({why})"
                ));
            }
            return Err(format!(
                "{}; capsim's samples carry the tags {}",
                unknown_name("tag", tag_name, TAGS.iter().map(|(n, _)| *n)),
                TAGS.iter()
                    .map(|(n, _)| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        if !carried.contains(&tag) {
            return Err(format!(
                "k6 does not tag `{metric}` samples with `{tag_name}` (they carry {carried_text}), so that sub-metric would never have a sample"
            ));
        }
        match tag {
            Tag::Name | Tag::Endpoint => {
                let set: Vec<usize> = cx
                    .endpoints
                    .iter()
                    .position(|e| e == value)
                    .into_iter()
                    .collect();
                if set.is_empty() {
                    return Err(format!(
                        "{} (k6's `name` tag is capsim's endpoint name: the request's `name` tag in a script, else its method and path)",
                        unknown_name("endpoint", value, cx.endpoints.iter().map(String::as_str))
                    ));
                }
                narrow(&mut f, tag_name, value, set)?;
            }
            Tag::Method => {
                let set = (0..cx.endpoints.len())
                    .filter(|&i| method_and_path(&cx.endpoints[i]).is_some_and(|(m, _)| m == value))
                    .collect();
                narrow(&mut f, "method", value, set).map_err(|e| {
                    format!("{e} (k6 writes methods in capitals; capsim reads an endpoint's method from its name, `GET /path`)")
                })?;
            }
            Tag::Url => {
                let path = url_path(value);
                let set = (0..cx.endpoints.len())
                    .filter(|&i| method_and_path(&cx.endpoints[i]).is_some_and(|(_, p)| p == path))
                    .collect();
                narrow(&mut f, "url path", path, set).map_err(|e| {
                    format!("{e} (the model has no hosts: capsim matches a `url` by its path against endpoints named `METHOD /path`)")
                })?;
            }
            Tag::Status => {
                let code: u16 = value.parse().map_err(|_| {
                    format!("`status:{value}`: a status is a number, e.g. `status:200`")
                })?;
                if !SIMULATED_STATUSES.iter().any(|(s, _)| *s == code) {
                    return Err(format!(
                        "no simulated response has status {code}; capsim's responses have {}",
                        SIMULATED_STATUSES
                            .iter()
                            .map(|(s, why)| format!("{s} ({why})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                f.status = Some(code);
            }
            Tag::ExpectedResponse => {
                f.expected_response = Some(match value.as_str() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(format!(
                            "`expected_response:{other}`: the value is `true` or `false`"
                        ));
                    }
                });
            }
            Tag::Scenario => {
                let s = cx
                    .scenarios
                    .iter()
                    .position(|s| s == value)
                    .ok_or_else(|| {
                        unknown_name("scenario", value, cx.scenarios.iter().map(String::as_str))
                    })?;
                f.scenario = Some(s);
            }
            Tag::Group => f.group = resolve_group(metric, value, cx)?,
            Tag::Check => {
                let set: Vec<usize> = (0..cx.checks.len())
                    .filter(|&i| cx.checks[i] == *value)
                    .collect();
                if set.is_empty() {
                    return Err(unknown_name(
                        "check",
                        value,
                        cx.checks.iter().map(String::as_str),
                    ));
                }
                f.checks = Some(set);
            }
        }
    }
    Ok(f)
}

/// A `group` tag's value: a group path of the flows (`::login`, `::a::b`), or `''` for
/// the root group (no filter when the flows have no groups: every sample is in it).
fn resolve_group(metric: &str, value: &str, cx: &ThresholdContext) -> Result<Option<u32>, String> {
    let grouped = cx.groups.len() > 1;
    if value.is_empty() {
        return Ok(grouped.then_some(0));
    }
    if !grouped {
        return Err(format!(
            "no sample is in group `{value}`: the flows have no groups (a YAML flow has none; a k6 script has them where it calls `group()`), so every request, check and iteration is in k6's root group (`{{group:''}}`)"
        ));
    }
    // k6 tags iterations with the root group: a group() call ends inside the iteration.
    if metric == "iterations" || metric == "iteration_duration" {
        return Err(format!(
            "k6 tags `{metric}` samples with the root group only (`{{group:''}}`): an iteration is never inside a group() call; filter `http_req_duration`, `checks` or `group_duration` by `{value}`"
        ));
    }
    if let Some(g) = cx.groups.iter().position(|p| p == value) {
        return Ok(Some(g as u32));
    }
    let rooted = format!("::{}", value.trim_start_matches(':'));
    if cx.groups.contains(&rooted) {
        return Err(format!(
            "no sample is in group `{value}`: k6's group tag is the group's path from the root, `{rooted}` (write `{{group:{rooted}}}`)"
        ));
    }
    Err(format!(
        "{}; a group's path is `::name`, nested `::outer::inner`, as k6 writes it",
        unknown_name("group", value, cx.groups[1..].iter().map(String::as_str))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(key: &str) -> Vec<(String, String)> {
        parse_key(key).unwrap().1
    }

    #[test]
    fn keys_follow_k6_parsing() {
        assert_eq!(parse_key("http_reqs").unwrap(), ("http_reqs", vec![]));
        let (name, p) = parse_key("http_req_duration{ name : 'GET /a' , status:\"200\"}").unwrap();
        assert_eq!(name, "http_req_duration");
        assert_eq!(
            p,
            vec![
                ("name".into(), "GET /a".into()),
                ("status".into(), "200".into())
            ]
        );
        // A URL keeps its colons; the last of a repeated key wins; '' is the empty value.
        assert_eq!(
            pairs("m{url:https://x.test/a?b=1}")[0].1,
            "https://x.test/a?b=1"
        );
        assert_eq!(
            pairs("m{status:200,status:503}"),
            vec![("status".into(), "503".into())]
        );
        assert_eq!(pairs("m{group:''}")[0].1, "");
        for bad in [
            "m{a:1", "m}a:1{", "m{a:1}x", "m{a}", "m{a:}", "m{a:1,}", "ma:1}",
        ] {
            assert!(parse_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn url_paths_and_methods_come_from_endpoint_names() {
        assert_eq!(url_path("https://api.test/claims/1?x=2"), "/claims/1?x=2");
        assert_eq!(url_path("http://api.test"), "/");
        assert_eq!(url_path("/a"), "/a");
        assert_eq!(method_and_path("POST /claims"), Some(("POST", "/claims")));
        assert_eq!(method_and_path("claim"), None);
        assert_eq!(method_and_path("get /x"), None);
    }

    #[test]
    fn status_and_expected_response_match_as_k6_does() {
        let f = Filter {
            expected_response: Some(true),
            ..Filter::default()
        };
        assert!(f.status_matches(200) && !f.status_matches(503) && !f.status_matches(0));
        let f = Filter {
            status: Some(503),
            expected_response: Some(false),
            ..Filter::default()
        };
        assert!(f.status_matches(503) && !f.status_matches(504));
    }
}
