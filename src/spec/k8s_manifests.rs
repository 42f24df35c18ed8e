//! Kubernetes manifest files as `kubectl apply -f` takes them: multi-document YAML with
//! HorizontalPodAutoscalers, Deployments and StatefulSets (the serde mirror of the fields
//! capsim reads: `spec.replicas`, the containers' `resources`), and any other kind, which
//! is listed and skipped. Each document keeps the line it starts on, for messages.

use crate::error::FieldError;
use crate::spec::k8s::{HorizontalPodAutoscaler, ManifestError, ObjectMeta, Quantity};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;

/// The HPA API versions read; v1 and v2beta2 are converted as the API server converts them.
pub const HPA_VERSIONS: &[&str] = &["autoscaling/v2", "autoscaling/v2beta2", "autoscaling/v1"];

/// A Deployment or StatefulSet (`apps/v1`): what capsim reads of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    pub spec: Option<WorkloadSpec>,
    #[serde(default)]
    pub status: Option<IgnoredAny>,
}

/// `DeploymentSpec` / `StatefulSetSpec`: every documented field accepted, a typo refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkloadSpec {
    pub replicas: Option<i64>,
    pub template: Option<PodTemplate>,
    pub selector: Option<IgnoredAny>,
    pub strategy: Option<IgnoredAny>,
    pub min_ready_seconds: Option<IgnoredAny>,
    pub revision_history_limit: Option<IgnoredAny>,
    pub paused: Option<IgnoredAny>,
    pub progress_deadline_seconds: Option<IgnoredAny>,
    // StatefulSet only.
    pub service_name: Option<IgnoredAny>,
    pub pod_management_policy: Option<IgnoredAny>,
    pub update_strategy: Option<IgnoredAny>,
    pub volume_claim_templates: Option<IgnoredAny>,
    pub persistent_volume_claim_retention_policy: Option<IgnoredAny>,
    pub ordinals: Option<IgnoredAny>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodTemplate {
    pub metadata: Option<IgnoredAny>,
    pub spec: PodSpec,
}

/// `PodSpec`: the containers are read; the many other fields are accepted as they are.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default)]
    pub containers: Vec<Container>,
}

/// A container: its name and resources (the other fields are accepted as they are).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub name: Option<String>,
    #[serde(default)]
    pub resources: ContainerResources,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerResources {
    #[serde(default)]
    pub requests: BTreeMap<String, Quantity>,
    #[serde(default)]
    pub limits: BTreeMap<String, Quantity>,
    pub claims: Option<IgnoredAny>,
}

impl ContainerResources {
    /// The request of `resource`, defaulted from the limit as the API server does when a
    /// container gives a limit and no request.
    pub fn request(&self, resource: &str) -> Option<Quantity> {
        self.requests
            .get(resource)
            .or_else(|| self.limits.get(resource))
            .copied()
    }
}

/// One document of a manifest file.
#[derive(Debug, Clone)]
pub enum Manifest {
    Hpa(Box<HorizontalPodAutoscaler>),
    Workload(Box<Workload>),
    /// A kind capsim does not simulate (Service, ConfigMap, Ingress, ...): listed and skipped.
    Other {
        kind: String,
        api_version: String,
        name: Option<String>,
    },
}

/// A document with its index among the file's documents and the line it starts on.
#[derive(Debug, Clone)]
pub struct Located {
    pub index: usize,
    pub line: usize,
    pub manifest: Manifest,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    api_version: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    metadata: Option<ProbeMeta>,
}

#[derive(Debug, Deserialize)]
struct ProbeMeta {
    name: Option<String>,
}

/// One document's text: the line its text starts on (for parser positions) and the line
/// of its first content (for messages), both 1-based.
struct Doc {
    text_line: usize,
    line: usize,
    text: String,
}

/// Splits a multi-document text at `---` lines. Documents holding only comments and blank
/// lines are dropped, as kubectl drops them.
fn split_documents(text: &str) -> Vec<Doc> {
    let mut out = Vec::new();
    let mut cur = Doc {
        text_line: 1,
        line: 0,
        text: String::new(),
    };
    let content = |l: &str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && t != "..."
    };
    for (i, line) in text.lines().enumerate() {
        if line == "---" || line.starts_with("--- ") || line.starts_with("---\t") {
            let next = Doc {
                text_line: i + 2,
                line: 0,
                text: String::new(),
            };
            let done = std::mem::replace(&mut cur, next);
            if done.line > 0 {
                out.push(done);
            }
            continue;
        }
        if cur.line == 0 && content(line) {
            cur.line = i + 1;
        }
        cur.text.push_str(line);
        cur.text.push('\n');
    }
    if cur.line > 0 {
        out.push(cur);
    }
    out
}

fn syntax_at(e: serde_saphyr::Error, offset: usize) -> ManifestError {
    let (line, column) = e
        .location()
        .map(|l| (l.line() as usize, l.column() as usize))
        .unwrap_or((1, 0));
    let full = e.to_string();
    ManifestError::Syntax {
        line: line + offset,
        column,
        message: crate::spec::confine::bound_message(full.lines().next().unwrap_or("").trim()),
    }
}

fn invalid(path: String, message: String) -> ManifestError {
    ManifestError::Invalid(FieldError::new(path, message))
}

/// Parses every document of a manifest file. A document without `kind` or `apiVersion`, an
/// HPA of an API version capsim does not read, or a Deployment/StatefulSet that is not
/// `apps/v1` is refused with its kind, line and what capsim reads instead.
pub fn parse_manifests(text: &str) -> Result<Vec<Located>, ManifestError> {
    let docs = split_documents(text);
    if docs.is_empty() {
        return Err(invalid(
            String::new(),
            "no YAML documents; expected Kubernetes manifests (HorizontalPodAutoscaler, Deployment, ...)".into(),
        ));
    }
    let mut out = Vec::with_capacity(docs.len());
    for (index, d) in docs.iter().enumerate() {
        let (line, doc) = (&d.line, &d.text);
        let offset = d.text_line - 1;
        let probe: Probe = serde_saphyr::from_str(doc).map_err(|e| syntax_at(e, offset))?;
        let at = |f: &str| format!("[{index}].{f}");
        let Some(kind) = probe.kind else {
            return Err(invalid(
                at("kind"),
                format!(
                    "line {line}: the document has no `kind`; every Kubernetes manifest names one (HorizontalPodAutoscaler, Deployment, ...)"
                ),
            ));
        };
        let Some(api_version) = probe.api_version else {
            return Err(invalid(
                at("apiVersion"),
                format!(
                    "line {line}: {kind} has no `apiVersion` (autoscaling/v2 for an HPA, apps/v1 for a Deployment)"
                ),
            ));
        };
        let manifest = match kind.as_str() {
            "HorizontalPodAutoscaler" => {
                if !HPA_VERSIONS.contains(&api_version.as_str()) {
                    return Err(invalid(
                        at("apiVersion"),
                        format!(
                            "line {line}: HorizontalPodAutoscaler {api_version} is not read; capsim reads {} (v1 and v2beta2 converted as the API server does); write the HPA as autoscaling/v2",
                            HPA_VERSIONS.join(", ")
                        ),
                    ));
                }
                Manifest::Hpa(Box::new(
                    serde_saphyr::from_str(doc).map_err(|e| syntax_at(e, offset))?,
                ))
            }
            "Deployment" | "StatefulSet" => {
                if api_version != "apps/v1" {
                    return Err(invalid(
                        at("apiVersion"),
                        format!(
                            "line {line}: {kind} {api_version} is not read; capsim reads {kind} apps/v1 (the only version Kubernetes still serves)"
                        ),
                    ));
                }
                Manifest::Workload(Box::new(
                    serde_saphyr::from_str(doc).map_err(|e| syntax_at(e, offset))?,
                ))
            }
            _ => Manifest::Other {
                kind,
                api_version,
                name: probe.metadata.and_then(|m| m.name),
            },
        };
        out.push(Located {
            index,
            line: *line,
            manifest,
        });
    }
    Ok(out)
}

/// Parses the `HorizontalPodAutoscaler` documents of a multi-document YAML text (separated
/// by `---`); Deployments are checked and other kinds skipped
/// ([`parse_manifests`]). Field paths in errors start with
/// `[i]`, the document's index.
pub fn parse_hpa_documents(text: &str) -> Result<Vec<HorizontalPodAutoscaler>, ManifestError> {
    let docs = parse_manifests(text)?;
    Ok(docs
        .into_iter()
        .filter_map(|d| match d.manifest {
            Manifest::Hpa(h) => Some(*h),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_first_line() {
        let t = "# c\na: 1\n---\n# only a comment\n---\nb: 2\nc: 3\n--- \nd: 4\n";
        let d = split_documents(t);
        let lines: Vec<(usize, usize)> = d.iter().map(|x| (x.text_line, x.line)).collect();
        assert_eq!(lines, [(1, 2), (6, 6), (9, 9)]);
        assert!(d[1].text.starts_with("b: 2"));
    }
}
