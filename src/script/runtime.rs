//! The QuickJS runtime a k6 script is evaluated in: capsim's shims of k6's modules, the
//! ES-module resolver and loader (relative imports confined to the project, refusal of the
//! modules capsim does not simulate), `open()`, `__ENV`, and the step budget that stops a
//! script that never returns. Errors come back as file:line:column.

use crate::error::{FieldError, LoadError};
use crate::spec::k6_script::ScriptFiles;
use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::Declared;
use rquickjs::{Ctx, Error, Module};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

/// The recording shims (`globalThis.__capsim`), evaluated before the script.
pub const SHIMS: &str = include_str!("shims.js");

/// Modules capsim simulates, as `import` names them, and their shim sources.
fn builtin(name: &str) -> Option<&'static str> {
    Some(match name {
        "k6" => {
            "const R = globalThis.__capsim;\n\
             export const sleep = R.sleep, check = R.check, group = R.group, fail = R.fail;\n\
             export function randomSeed() {}\n\
             export default { sleep, check, group, fail, randomSeed };\n"
        }
        "k6/http" => {
            "const R = globalThis.__capsim;\n\
             export function get(u, p) { return R.request('GET', u, p); }\n\
             export function head(u, p) { return R.request('HEAD', u, p); }\n\
             export function post(u, b, p) { return R.request('POST', u, p); }\n\
             export function put(u, b, p) { return R.request('PUT', u, p); }\n\
             export function patch(u, b, p) { return R.request('PATCH', u, p); }\n\
             export function del(u, b, p) { return R.request('DELETE', u, p); }\n\
             export function options(u, b, p) { return R.request('OPTIONS', u, p); }\n\
             export function request(m, u, b, p) { return R.request(m, u, p); }\n\
             export const batch = R.batch, url = R.url;\n\
             export function expectedStatuses() { return {}; }\n\
             export function setResponseCallback() {}\n\
             export default { get, head, post, put, patch, del, options, request, batch, url,\n\
               expectedStatuses, setResponseCallback };\n"
        }
        "k6/metrics" => {
            "const R = globalThis.__capsim;\n\
             export const Trend = R.Trend, Rate = R.Rate, Counter = R.Counter, Gauge = R.Gauge;\n\
             export default { Trend, Rate, Counter, Gauge };\n"
        }
        "k6/data" => {
            "export class SharedArray { constructor(name, f) { return f(); } }\n\
             export default { SharedArray };\n"
        }
        "k6/execution" => {
            "export const vu = { get idInTest() { return globalThis.__VU; },\n\
               get iterationInScenario() { return globalThis.__ITER; },\n\
               get iterationInInstance() { return globalThis.__ITER; } };\n\
             export const scenario = { get iterationInTest() { return globalThis.__ITER; } };\n\
             export default { vu, scenario };\n"
        }
        _ => return None,
    })
}

/// Whether `name` names a module capsim does not simulate (rather than a file).
fn unsupported(name: &str) -> bool {
    name.starts_with("k6/") || name.starts_with("http://") || name.starts_with("https://")
}

/// What to do about one refused module.
fn refusal_hint(name: &str) -> &'static str {
    if name.starts_with("http://") || name.starts_with("https://") {
        "capsim loads no remote code; copy the module into the project and import it by a \
         relative path, or"
    } else if name == "k6/ws" || name.starts_with("k6/experimental") {
        "WebSocket and experimental modules make no HTTP load on the model's endpoints; \
         remove it, or"
    } else if name == "k6/browser" {
        "browser tests are not simulated; keep them in a separate script, or"
    } else if name == "k6/net/grpc" {
        "gRPC calls are not simulated; model them as endpoints and call them with k6/http, or"
    } else {
        "capsim simulates k6, k6/http, k6/metrics, k6/data and k6/execution; remove it, or"
    }
}

/// State the resolver, the loader and `open()` share with the recorder.
#[derive(Default)]
pub struct Shared {
    /// Module name -> its source, for locating imports in messages.
    pub sources: BTreeMap<String, String>,
    /// Module name -> the file it was read from.
    pub paths: BTreeMap<String, PathBuf>,
    /// Named imports of each no-op module.
    pub noop_names: BTreeMap<String, Vec<String>>,
    /// The first refusal (an unsupported module, a file outside the project): the error.
    pub refusal: Option<LoadError>,
    /// Warnings for modules turned into no-ops.
    pub notes: Vec<String>,
}

pub type SharedRef = Rc<RefCell<Shared>>;

/// `a/./b/../c` -> `a/c`, textually (module names are display paths).
pub fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The 1-based line in `source` where `name` is imported (or 0).
fn import_line(source: &str, name: &str) -> (usize, usize) {
    for quote in ['\'', '"', '`'] {
        let needle = format!("{quote}{name}{quote}");
        if let Some(at) = source.find(&needle) {
            let line = source[..at].matches('\n').count() + 1;
            let col = at - source[..at].rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
            return (line, col);
        }
    }
    (0, 0)
}

/// The names `import { a, b as c } from 'name'` takes from `name` in `source`.
fn imported_names(source: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for quote in ['\'', '"'] {
        let needle = format!("{quote}{name}{quote}");
        let mut from = 0;
        while let Some(i) = source[from..].find(&needle) {
            let at = from + i;
            from = at + needle.len();
            let Some(start) = source[..at].rfind("import") else {
                continue;
            };
            let clause = &source[start..at];
            if let (Some(a), Some(b)) = (clause.find('{'), clause.find('}')) {
                for item in clause[a + 1..b].split(',') {
                    let first = item.split_whitespace().next().unwrap_or("");
                    if !first.is_empty()
                        && first != "default"
                        && first
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
                    {
                        out.push(first.to_string());
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

pub struct ScriptResolver {
    pub files: ScriptFiles,
    pub shared: SharedRef,
    pub ignore_unsupported: bool,
}

impl Resolver for ScriptResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        if builtin(name).is_some() {
            return Ok(format!("capsim:{name}"));
        }
        let mut shared = self.shared.borrow_mut();
        let base_source = shared.sources.get(base).cloned().unwrap_or_default();
        let base_path = shared
            .paths
            .get(base)
            .cloned()
            .unwrap_or_else(|| PathBuf::from(base));
        let (line, column) = import_line(&base_source, name);
        let refuse = |shared: &mut Shared, message: String| {
            if shared.refusal.is_none() {
                shared.refusal = Some(LoadError::Syntax {
                    file: base_path.clone(),
                    line,
                    column,
                    message,
                });
            }
            Error::new_resolving_message(base, name, "refused")
        };
        if unsupported(name) {
            if self.ignore_unsupported {
                let names = imported_names(&base_source, name);
                shared
                    .noop_names
                    .entry(name.to_string())
                    .or_default()
                    .extend(names);
                shared.notes.push(format!(
                    "{}:{line}: `{name}` is not simulated; its calls are no-ops \
                     (--ignore-unsupported) and make no load in the prediction",
                    base_path.display()
                ));
                return Ok(format!("capsim-noop:{name}"));
            }
            let msg = format!(
                "imports `{name}`, which capsim does not simulate; {} run with \
                 --ignore-unsupported (or `ignore_unsupported: true` in the experiment) to \
                 make its calls no-ops, if they carry no load you want predicted",
                refusal_hint(name)
            );
            return Err(refuse(&mut shared, msg));
        }
        if !(name.starts_with("./") || name.starts_with("../") || name.starts_with('/')) {
            let msg = format!(
                "imports `{name}`: capsim resolves k6's modules (k6, k6/http, k6/metrics, \
                 k6/data, k6/execution) and files by a relative path (`./lib.js`); write \
                 `./{name}` for a file beside the script"
            );
            return Err(refuse(&mut shared, msg));
        }
        match self.files.resolve(&base_path, name) {
            Ok(path) => {
                let path = lexical(&path);
                let key = path.to_string_lossy().into_owned();
                shared.paths.insert(key.clone(), path);
                Ok(key)
            }
            Err(why) => {
                let msg = format!("imports `{name}`: {why}");
                Err(refuse(&mut shared, msg))
            }
        }
    }
}

pub struct ScriptLoader {
    pub files: ScriptFiles,
    pub shared: SharedRef,
}

impl Loader for ScriptLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        if let Some(b) = name.strip_prefix("capsim:").and_then(builtin) {
            return Module::declare(ctx.clone(), name, b);
        }
        if let Some(m) = name.strip_prefix("capsim-noop:") {
            let names = self
                .shared
                .borrow()
                .noop_names
                .get(m)
                .cloned()
                .unwrap_or_default();
            let mut src = format!(
                "const n = globalThis.__capsim.noop({});\nexport default n;\n",
                serde_json::to_string(m).unwrap_or_default()
            );
            for n in names {
                src.push_str(&format!("export const {n} = n;\n"));
            }
            return Module::declare(ctx.clone(), name, src);
        }
        let path = PathBuf::from(name);
        match self.files.read(&path) {
            Ok(text) => {
                self.shared
                    .borrow_mut()
                    .sources
                    .insert(name.to_string(), text.clone());
                Module::declare(ctx.clone(), name, text)
            }
            Err(why) => {
                let mut shared = self.shared.borrow_mut();
                if shared.refusal.is_none() {
                    shared.refusal = Some(LoadError::invalid(&path, FieldError::new("", why)));
                }
                Err(Error::new_loading_message(name, "refused"))
            }
        }
    }
}

/// The step budget: QuickJS asks the handler every ~10,000 steps; a call that exceeds
/// `limit` asks is interrupted. Counting asks (not time) keeps it deterministic.
#[derive(Clone, Default)]
pub struct Budget {
    pub asks: Rc<Cell<u64>>,
    pub limit: Rc<Cell<u64>>,
    pub tripped: Rc<Cell<bool>>,
}

impl Budget {
    pub fn reset(&self, limit: u64) {
        self.asks.set(0);
        self.limit.set(limit);
        self.tripped.set(false);
    }

    pub fn handler(&self) -> Box<dyn FnMut() -> bool> {
        let b = self.clone();
        Box::new(move || {
            let n = b.asks.get() + 1;
            b.asks.set(n);
            if n > b.limit.get() {
                b.tripped.set(true);
                true
            } else {
                false
            }
        })
    }
}

/// A JavaScript error as (message, file, line, column), from its text
/// (`Error: msg\n    at f (file.js:3:5)`): the first frame outside capsim's shims.
pub fn locate(text: &str) -> (String, Option<(String, usize, usize)>) {
    let mut lines = text.lines();
    let message = lines.next().unwrap_or("").trim().to_string();
    for l in lines {
        let l = l.trim().trim_start_matches("at ");
        let inner = match (l.rfind('('), l.ends_with(')')) {
            (Some(i), true) => &l[i + 1..l.len() - 1],
            _ => l,
        };
        let mut parts = inner.rsplitn(3, ':');
        let (Some(c), Some(ln), Some(f)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if f.starts_with("capsim") || f == "eval_script" {
            continue;
        }
        if let (Ok(ln), Ok(c)) = (ln.parse(), c.parse()) {
            return (message, Some((f.to_string(), ln, c)));
        }
    }
    (message, None)
}

/// A script error as a [`LoadError`] at its file:line:column (else at `fallback`).
pub fn script_error(text: &str, fallback: &Path, what: &str) -> LoadError {
    let (message, at) = locate(text);
    let message = crate::spec::confine::sanitize(&message, 300);
    match at {
        Some((file, line, column)) => LoadError::Syntax {
            file: PathBuf::from(file),
            line,
            column,
            message: format!("{what}{message}"),
        },
        None => LoadError::invalid(fallback, FieldError::new("", format!("{what}{message}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_the_first_frame_outside_the_shims() {
        let (m, at) =
            locate("Error: boom\n    at f (capsim-shims.js:3:5)\n    at g (lib/x.js:12:7)\n");
        assert_eq!(m, "Error: boom");
        assert_eq!(at, Some(("lib/x.js".into(), 12, 7)));
        let (_, at) = locate("SyntaxError: unexpected token\n    at a.js:2:9\n");
        assert_eq!(at, Some(("a.js".into(), 2, 9)));
    }

    #[test]
    fn finds_imported_names_and_lines() {
        let src = "import http from 'k6/http';\nimport { connect, send as s } from 'k6/ws';\n";
        assert_eq!(imported_names(src, "k6/ws"), vec!["connect", "send"]);
        assert_eq!(import_line(src, "k6/ws"), (2, 36));
    }
}
