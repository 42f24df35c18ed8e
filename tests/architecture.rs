//! The shape of the crate holds: data flows one way through the layers of
//! `docs/architecture.md` (file -> spec -> model -> engine -> aggregate -> report ->
//! commands), no source file imports another in a circle, no file outgrows 600 lines
//! without saying why, and only the layers whose job it is touch the file system.
//!
//! The import graph is read from the `crate::` paths in each file, the way
//! `shared/tools/rust_imports.py` reads it (unit-test modules at the end of a file do
//! not count; doc comments do, since a doc link is a dependency a reader follows).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A file may import from its own layer or a lower one.
/// Each entry is a path prefix under `src/` (a folder ends in `/`).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation",
        &["time.rs", "error.rs", "suggest.rs", "interrupt.rs"],
    ),
    ("statistics", &["stats/", "theory.rs", "theory/"]),
    ("input", &["spec/"]),
    (
        "controllers and workload",
        &["autoscale/", "workload/", "script/"],
    ),
    ("model", &["model/"]),
    ("engine", &["engine/"]),
    ("replications", &["replicate.rs", "aggregate/"]),
    ("analysis", &["gate/", "planning/"]),
    ("report", &["report/"]),
    (
        "commands",
        &[
            "commands/",
            "app.rs",
            "cli.rs",
            "main.rs",
            "lib.rs",
            "progress.rs",
            "fuzzing.rs",
            "run_folder.rs",
        ],
    ),
];

/// Layers that may open files: `spec/` reads the user's files, the command layer reads
/// saved run folders and writes outputs. Everything else receives data.
const MAY_TOUCH_FILES: &[&str] = &["input", "commands"];

const MAX_LINES: usize = 600;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `engine/sim/mod.rs` -> ["engine", "sim"]; `lib.rs` -> [].
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

fn layer_of(rel: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, prefixes)| {
        prefixes.iter().any(|p| {
            if p.ends_with('/') {
                rel.starts_with(p)
            } else {
                rel == *p
            }
        })
    })
}

/// The text that counts: the file without its trailing `#[cfg(test)] mod tests { ... }`.
fn code_of(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => text,
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every module path named after `crate::`, with `crate::a::{b, c::d}` giving `a::b` and `a::c`.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(is_ident) {
            continue; // `capsim_crate::`, not ours
        }
        let mut path = Vec::new();
        let mut s = rest;
        loop {
            let end = s.find(|c: char| !is_ident(c)).unwrap_or(s.len());
            if end == 0 {
                break;
            }
            path.push(s[..end].to_string());
            s = &s[end..];
            if let Some(next) = s.strip_prefix("::") {
                s = next;
                if let Some(group) = s.strip_prefix('{') {
                    let close = group.find('}').unwrap_or(group.len());
                    for item in group[..close].split(',') {
                        let first = item.trim().split("::").next().unwrap_or("").trim();
                        if !first.is_empty() && first.chars().all(is_ident) {
                            let mut p = path.clone();
                            p.push(first.to_string());
                            out.push(p);
                        }
                    }
                    path.clear();
                    break;
                }
            } else {
                break;
            }
        }
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

struct Crate {
    /// Module path -> file path relative to src/.
    files: BTreeMap<Vec<String>, String>,
    /// File -> files it imports.
    edges: BTreeMap<String, BTreeSet<String>>,
    text: BTreeMap<String, String>,
}

fn read_crate() -> Crate {
    let src = src_dir();
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let mut files = BTreeMap::new();
    let mut text = BTreeMap::new();
    for p in &paths {
        let rel = p
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        files.insert(module_of(&rel), rel.clone());
        text.insert(rel, std::fs::read_to_string(p).expect("source is UTF-8"));
    }
    let mut edges = BTreeMap::new();
    for (module, rel) in &files {
        let mut to = BTreeSet::new();
        for path in crate_paths(code_of(&text[rel])) {
            let target = (1..=path.len()).rev().find_map(|n| files.get(&path[..n]));
            if let Some(t) = target
                && t != rel
                && !module.is_empty()
            {
                to.insert(t.clone());
            }
        }
        edges.insert(rel.clone(), to);
    }
    Crate { files, edges, text }
}

#[test]
fn every_source_file_belongs_to_a_layer() {
    let krate = read_crate();
    let lost: Vec<&String> = krate
        .files
        .values()
        .filter(|rel| layer_of(rel).is_none())
        .collect();
    assert!(
        lost.is_empty(),
        "files in no layer: {lost:?}; put each in a layer of LAYERS here and in docs/architecture.md"
    );
}

#[test]
fn imports_only_go_down_the_layers() {
    let krate = read_crate();
    let mut upward = Vec::new();
    for (from, targets) in &krate.edges {
        let (Some(lf), false) = (layer_of(from), from == "lib.rs") else {
            continue;
        };
        for to in targets {
            if let Some(lt) = layer_of(to)
                && lt > lf
            {
                upward.push(format!(
                    "{from} ({}) imports {to} ({})",
                    LAYERS[lf].0, LAYERS[lt].0
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports from a lower layer to a higher one:\n  {}",
        upward.join("\n  ")
    );
}

#[test]
fn stats_is_a_leaf() {
    let krate = read_crate();
    let mut outside = Vec::new();
    for (from, targets) in &krate.edges {
        if !from.starts_with("stats/") {
            continue;
        }
        for to in targets {
            if !to.starts_with("stats/") && layer_of(to) != Some(0) {
                outside.push(format!("{from} imports {to}"));
            }
        }
    }
    assert!(
        outside.is_empty(),
        "stats/ imports beyond itself: {outside:?}"
    );
}

/// Tarjan's strongly connected components over the file graph.
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.edges[v] {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn no_import_circles() {
    let krate = read_crate();
    let found = circles(&krate.edges);
    assert!(
        found.is_empty(),
        "files that import each other in a circle:\n  {}",
        found
            .iter()
            .map(|c| c.join(", "))
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

#[test]
fn the_circle_finder_finds_circles() {
    let edge = |a: &str, b: &[&str]| (a.to_string(), b.iter().map(|s| s.to_string()).collect());
    let graph: BTreeMap<String, BTreeSet<String>> = [
        edge("a.rs", &["b.rs"]),
        edge("b.rs", &["c.rs"]),
        edge("c.rs", &["a.rs"]),
        edge("d.rs", &["a.rs"]),
    ]
    .into_iter()
    .collect();
    assert_eq!(circles(&graph), vec![vec!["a.rs", "b.rs", "c.rs"]]);
    let paths =
        crate_paths("use crate::engine::{Budget, sim::Simulation};\nx = crate::time::Nanos;");
    assert_eq!(
        paths,
        vec![
            vec!["engine".to_string(), "Budget".into()],
            vec!["engine".to_string(), "sim".into()],
            vec!["time".to_string(), "Nanos".into()],
        ]
    );
}

#[test]
fn files_stay_small_or_say_why() {
    let krate = read_crate();
    let mut long = Vec::new();
    for (rel, text) in &krate.text {
        let lines = text.lines().count();
        let header: String = text
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .collect::<Vec<_>>()
            .join(" ");
        if lines > MAX_LINES && !header.contains("600 lines") {
            long.push(format!("{rel} ({lines} lines)"));
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines without a reason in their //! header: {long:?}"
    );
}

#[test]
fn every_module_says_what_it_owns() {
    let krate = read_crate();
    let silent: Vec<&String> = krate
        .text
        .iter()
        .filter(|(rel, text)| *rel != "main.rs" && !text.starts_with("//!"))
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        silent.is_empty(),
        "files without a `//!` line saying what they own: {silent:?}"
    );
}

#[test]
fn only_the_input_and_command_layers_touch_files() {
    let krate = read_crate();
    let io = [
        "std::fs",
        "fs::read",
        "fs::write",
        "File::open",
        "File::create",
        "OpenOptions",
    ];
    let mut found = Vec::new();
    for (rel, text) in &krate.text {
        let Some(layer) = layer_of(rel) else { continue };
        if MAY_TOUCH_FILES.contains(&LAYERS[layer].0) {
            continue;
        }
        for needle in io {
            if code_of(text)
                .lines()
                .any(|l| !l.trim_start().starts_with("//") && l.contains(needle))
            {
                found.push(format!("{rel} uses {needle}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "file I/O outside spec/ and the command layer: {found:?}"
    );
}
