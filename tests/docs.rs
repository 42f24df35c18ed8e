//! The documentation tells the truth about the repository: every relative link in the
//! README and under docs/ points at a file that exists, and every shipped file a doc
//! names (`models/...`, `experiments/...`, `src/...`, a fixture) is there.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn documents() -> Vec<PathBuf> {
    let mut docs = vec![root().join("README.md")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

/// Targets of Markdown links and images: `[text](target)`, without `#anchor`.
fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let Some(end) = rest.find(')') else { break };
        let target = rest[..end].split('#').next().unwrap_or("").trim();
        if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
            out.push(target.to_string());
        }
    }
    out
}

/// Repository paths a doc names in prose, commands or examples (`models/x.yaml`,
/// `../models/k8s/hpa.yaml`, `src/spec/read.rs`): every token with a `/` and a file
/// extension, less placeholders (`DIR/plan.yaml`), patterns (`models/*.yaml`) and outputs
/// of a run (`out/...`).
fn named_paths(text: &str) -> Vec<String> {
    const EXTENSIONS: &[&str] = &[
        "yaml", "yml", "json", "md", "csv", "sh", "rs", "js", "png", "svg", "html",
    ];
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || "/._-*".contains(c);
    let mut out = Vec::new();
    for token in text.split(|c: char| !is_path_char(c)) {
        let token = token.trim_end_matches('.');
        let Some((_, ext)) = token.rsplit_once('.') else {
            continue;
        };
        let placeholder = token
            .split('/')
            .any(|seg| seg.len() > 1 && seg.chars().all(|c| c.is_ascii_uppercase()));
        if token.contains('/')
            && EXTENSIONS.contains(&ext)
            && !token.contains('*')
            && !token.starts_with('/')
            && !token.starts_with("out/")
            && !placeholder
        {
            out.push(token.to_string());
        }
    }
    out
}

/// Where a named path may live: from the repository root (after any leading `../`), from
/// docs/, under src/ (architecture notes name source files by their module path), or in
/// the shared folder beside the repository (`../shared/bench/...`, as CI lays it out).
fn exists(path: &str) -> bool {
    let plain = path.trim_start_matches("./");
    let mut stripped = plain;
    while let Some(rest) = stripped.strip_prefix("../") {
        stripped = rest;
    }
    let beside = plain
        .strip_prefix("../shared/")
        .map(|rest| root().join("..").join("shared").join(rest));
    [
        root().join(stripped),
        root().join("docs").join(plain),
        root().join("src").join(stripped),
    ]
    .into_iter()
    .chain(beside)
    .any(|p| p.exists())
}

#[test]
fn relative_links_resolve() {
    let mut broken = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let dir = doc.parent().unwrap();
        for target in link_targets(&text) {
            if !dir.join(&target).exists() {
                broken.push(format!(
                    "{}: {target}",
                    doc.strip_prefix(root()).unwrap().display()
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to missing files:\n  {}",
        broken.join("\n  ")
    );
}

#[test]
fn named_repository_files_exist() {
    let mut missing = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for path in named_paths(&text) {
            if !exists(&path) {
                missing.push(format!(
                    "{}: {path}",
                    doc.strip_prefix(root()).unwrap().display()
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs name files that do not exist:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn the_checks_can_fail() {
    assert_eq!(
        link_targets("see [a](docs/a.md#x) and ![f](plots/f.png) and [w](https://x.org)"),
        vec!["docs/a.md", "plots/f.png"]
    );
    assert_eq!(
        named_paths(
            "run `capsim run experiments/spike.yaml` on models/*.yaml, DIR/plan.yaml and ../models/k.yaml."
        ),
        vec!["experiments/spike.yaml", "../models/k.yaml"]
    );
    assert!(exists("../models/mm1.yaml") && exists("engine/mod.rs"));
    assert!(!exists("../models/k8s-autoscaling.yaml") && !exists("reference/semantics.md"));
}
