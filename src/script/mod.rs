//! k6 scripts (`.js`) evaluated in an embedded QuickJS (rquickjs): the script's `options`
//! read as k6 reads them, and each scenario function run many times in recording shims of
//! k6's modules with a seeded `Math.random`, so the simulation can replay the sampled
//! request sequences and think times. No JavaScript runs inside the event loop: the
//! engine draws one recorded trace per iteration. `runtime.rs`: the JS runtime, loader and
//! budgets; `options.rs`: options and `k6 run` flags; `shims.js`: the k6 modules;
//! `trace.rs`: one recorded iteration read from the shims.
//! What is and is not predicted: docs/k6-scripts.md.

mod metrics;
mod options;
mod runtime;
mod trace;

use crate::error::{FieldError, LoadError};
use crate::spec::k6_options::K6Options;
use crate::spec::k6_script::{ScriptFiles, ScriptFlags};
use crate::time::Nanos;
use rquickjs::{CatchResultExt, Context, Function, Module, Object, Runtime, Value};
use runtime::{Budget, ScriptLoader, ScriptResolver, Shared, script_error};
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;

pub use metrics::{AddSymbol, RecordedAdd};
pub use options::apply_flags;

/// Iterations recorded per scenario function unless the flag or experiment says otherwise.
pub const DEFAULT_SAMPLES: u32 = 2000;
pub const MAX_SAMPLES: u32 = 100_000;
/// Budget of one call (an iteration, `setup()`, the module's top level), in QuickJS
/// interrupt checks (each about 10,000 steps): ~50 million steps.
const CALL_BUDGET: u64 = 5_000;
const MEMORY_LIMIT: usize = 256 * 1024 * 1024;
/// The recording's own seed: traces are sampled once per load, the same every time;
/// replications differ in which traces they draw.
const RECORDING_SEED: u64 = 0x6b36_5eed;

/// One request as a script made it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestSite {
    pub method: String,
    pub url: String,
    /// The `name` tag (or `http.url`'s template).
    pub name: Option<String>,
    /// Where the script made it (`file:line:column`).
    pub at: String,
}

/// What a check means for the prediction.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckMeaning {
    /// Passes on a success, fails on an error (`r.status === 200`, `r.status < 400`).
    StatusOk,
    /// `r.timings.duration < X` (`<=` adds a nanosecond).
    DurationBelow(Nanos),
    /// Both in one function: `r.status === 200 && r.timings.duration < X`.
    StatusOkAndBelow(Nanos),
    /// Not predicted, with the reason.
    NotPredicted(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCheck {
    pub name: String,
    pub meaning: CheckMeaning,
    pub at: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TraceStep {
    /// A request (index into [`Recording::requests`]) and its checks
    /// (`Recording::check_lists[checks]`).
    Request {
        site: u32,
        checks: u32,
    },
    Sleep(Nanos),
    /// A custom metric's add() ([`Recording::adds`]), and the position in the trace of the
    /// request whose response it reads, if any.
    Add {
        add: u32,
        request: Option<u32>,
    },
    /// `http.batch()`: the next `n` steps are its requests, sent in parallel.
    Batch {
        n: u32,
    },
    /// A `group()` call begins or ends: the group's index in [`Recording::groups`].
    GroupEnter(u32),
    GroupExit(u32),
}

/// The sampled iterations of one scenario function.
#[derive(Debug, Clone, PartialEq)]
pub struct SampledFlow {
    /// The exported function (`default`, or a scenario's `exec`).
    pub exec: String,
    pub traces: Vec<Vec<TraceStep>>,
}

/// Everything capsim takes from a script.
#[derive(Debug, Clone)]
pub struct Recording {
    pub options: K6Options,
    pub flows: Vec<SampledFlow>,
    pub requests: Vec<RequestSite>,
    pub checks: Vec<RecordedCheck>,
    /// Distinct lists of checks attached to one request (indices into `checks`).
    pub check_lists: Vec<Vec<u32>>,
    /// Custom metrics the script declares: (name, kind).
    pub metrics: Vec<(String, String)>,
    /// The custom metrics capsim cannot predict, with the reason (and the line).
    pub metrics_not_predicted: BTreeMap<String, String>,
    /// Distinct add() calls of custom metrics, as [`TraceStep::Add`] names them.
    pub adds: Vec<RecordedAdd>,
    /// Warnings and "not predicted" notes, each once.
    pub notes: Vec<String>,
    /// k6's `batch` and `batchPerHost` options (0: no per-host limit).
    pub batch: u32,
    pub batch_per_host: u32,
    /// The group paths the iterations entered (`::login`, `::a::b`), the root group `""`
    /// first, then in the order first entered.
    pub groups: Vec<String>,
}

#[derive(Deserialize)]
struct JsCheck {
    kind: String,
    #[serde(default)]
    why: String,
    #[serde(default)]
    ms: f64,
    #[serde(default)]
    inclusive: bool,
    #[serde(default)]
    at: String,
}

#[derive(Deserialize)]
struct JsMetric {
    name: String,
    kind: String,
}

/// splitmix64: the per-iteration seeds of the script's `Math.random`.
fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn js_err(path: &Path, message: impl Into<String>) -> LoadError {
    LoadError::invalid(path, FieldError::new("", message))
}

/// Evaluates the script at `entry` (its imports and `open()`s confined by `files`), reads
/// its options under `flags`, and records `samples` iterations of each scenario function.
/// `env` is `__ENV` (the experiment's, then `-e`); `check_scenarios` is k6's validation.
pub fn record(
    entry: &Path,
    files: &ScriptFiles,
    flags: &ScriptFlags,
    env: &BTreeMap<String, String>,
    samples: u32,
    parse_options: impl FnOnce(&str) -> Result<K6Options, FieldError>,
) -> Result<Recording, LoadError> {
    let source = files.read(entry).map_err(|e| js_err(entry, e))?;
    let name = runtime::lexical(entry).to_string_lossy().into_owned();
    let shared = Rc::new(RefCell::new(Shared::default()));
    shared
        .borrow_mut()
        .sources
        .insert(name.clone(), source.clone());
    shared
        .borrow_mut()
        .paths
        .insert(name.clone(), entry.to_path_buf());
    let rt = Runtime::new().map_err(|e| js_err(entry, format!("cannot start QuickJS: {e}")))?;
    rt.set_memory_limit(MEMORY_LIMIT);
    rt.set_max_stack_size(1024 * 1024);
    rt.set_loader(
        ScriptResolver {
            files: files.clone(),
            shared: shared.clone(),
            ignore_unsupported: flags.ignore_unsupported,
        },
        ScriptLoader {
            files: files.clone(),
            shared: shared.clone(),
        },
    );
    let budget = Budget::default();
    rt.set_interrupt_handler(Some(budget.handler()));
    let ctx =
        Context::full(&rt).map_err(|e| js_err(entry, format!("cannot start QuickJS: {e}")))?;
    ctx.with(|ctx| -> Result<Recording, LoadError> {
        let fail = |what: &str, text: String| -> LoadError {
            if let Some(r) = shared.borrow_mut().refusal.take() {
                return r;
            }
            script_error(&text, entry, what)
        };
        budget.reset(CALL_BUDGET);
        ctx.eval::<(), _>(runtime::SHIMS)
            .catch(&ctx)
            .map_err(|e| js_err(entry, format!("capsim's shims failed: {e}")))?;
        let globals = ctx.globals();
        let set_globals = || -> rquickjs::Result<()> {
            let env_obj = Object::new(ctx.clone())?;
            for (k, v) in env {
                env_obj.set(k.as_str(), v.as_str())?;
            }
            globals.set("__ENV", env_obj)?;
            globals.set("__VU", 0)?;
            globals.set("__ITER", 0)?;
            let console = Object::new(ctx.clone())?;
            for f in ["log", "info", "warn", "error", "debug"] {
                console.set(f, Function::new(ctx.clone(), || {})?)?;
            }
            globals.set("console", console)?;
            let open_files = files.clone();
            let open_shared = shared.clone();
            let open_entry = entry.to_path_buf();
            globals.set(
                "open",
                Function::new(
                    ctx.clone(),
                    move |path: String| -> rquickjs::Result<String> {
                        let read = open_files
                            .resolve(&open_entry, &path)
                            .and_then(|p| open_files.read(&p));
                        read.map_err(|why| {
                            let mut s = open_shared.borrow_mut();
                            if s.refusal.is_none() {
                                s.refusal = Some(js_err(
                                    &open_entry,
                                    format!("open(`{path}`): {why}"),
                                ));
                            }
                            rquickjs::Error::new_loading_message(path.as_str(), "refused")
                        })
                    },
                )?,
            )?;
            Ok(())
        };
        set_globals().map_err(|e| js_err(entry, format!("cannot set up the globals: {e}")))?;

        // The init context: the module's top level.
        budget.reset(CALL_BUDGET);
        let module = Module::declare(ctx.clone(), name.as_str(), source.as_str())
            .catch(&ctx)
            .map_err(|e| fail("", e.to_string()))?;
        let (module, promise) = module
            .eval()
            .catch(&ctx)
            .map_err(|e| fail("", e.to_string()))?;
        promise
            .finish::<()>()
            .catch(&ctx)
            .map_err(|e| fail("", e.to_string()))?;
        if budget.tripped.get() {
            return Err(js_err(
                entry,
                "the script's top level did not finish within its budget (~50 million steps)",
            ));
        }
        metrics::hand_sources(&ctx, &shared.borrow().sources)
            .map_err(|e| js_err(entry, format!("cannot hand the sources to the shims: {e}")))?;
        let ns = module
            .namespace()
            .map_err(|e| js_err(entry, format!("cannot read the script's exports: {e}")))?;

        // Options as k6 reads them, with the command line over them.
        let options_value: Value = ns.get("options").unwrap_or(Value::new_undefined(ctx.clone()));
        let options_json = if options_value.is_undefined() || options_value.is_null() {
            serde_json::Value::Object(Default::default())
        } else {
            let text = ctx
                .json_stringify(options_value)
                .ok()
                .flatten()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_else(|| "{}".into());
            serde_json::from_str(&text).map_err(|e| {
                js_err(entry, format!("`options` is not plain data ({e}); write it as an object literal"))
            })?
        };
        let (options_json, note) = apply_flags(options_json, flags);
        let (batch, batch_per_host) = options::batch_limits(&options_json)
            .map_err(|e| LoadError::invalid(entry, e.within("options")))?;
        let mut notes: Vec<String> = note.into_iter().collect();
        let options = parse_options(&options_json.to_string())
            .map_err(|e| LoadError::invalid(entry, e.within("options")))?;

        // setup() runs once; its result is every iteration's argument.
        let call_error = |what: &str, e: String| -> LoadError {
            if budget.tripped.get() {
                let (_, at) = runtime::locate(&e);
                let place = at
                    .map(|(f, l, c)| format!(" (stopped near {f}:{l}:{c})"))
                    .unwrap_or_default();
                return js_err(
                    entry,
                    format!(
                        "`{what}` did not return within its budget of ~50 million steps while \
                         recording{place}: an iteration that never ends cannot be sampled; \
                         give its loop an end"
                    ),
                );
            }
            fail(&format!("`{what}` threw while recording: "), e)
        };
        let recorder: Object = globals
            .get("__capsim")
            .map_err(|e| js_err(entry, format!("capsim's shims are missing: {e}")))?;
        let data: Value = match ns.get::<_, Function>("setup") {
            Ok(setup) => {
                budget.reset(CALL_BUDGET);
                let v: Value = setup
                    .call(())
                    .catch(&ctx)
                    .map_err(|e| call_error("setup", e.to_string()))?;
                notes.push(
                    "setup() ran once while recording; its requests are not part of the prediction"
                        .into(),
                );
                v
            }
            Err(_) => Value::new_undefined(ctx.clone()),
        };
        if ns.get::<_, Function>("teardown").is_ok() {
            notes.push("teardown() is not run: its requests are not part of the prediction".into());
        }
        if ns.get::<_, Function>("handleSummary").is_ok() {
            notes.push("handleSummary() is not run: capsim writes its own summary".into());
        }

        let mut execs: Vec<String> = options
            .scenarios
            .values()
            .map(|s| s.exec.clone().unwrap_or_else(|| "default".into()))
            .collect();
        execs.sort();
        execs.dedup();
        let mut requests: BTreeMap<RequestSite, u32> = BTreeMap::new();
        let mut check_lists: BTreeMap<Vec<String>, u32> = BTreeMap::new();
        let mut flows = Vec::new();
        let mut seed = RECORDING_SEED;
        let mut failed_iterations = 0u64;
        let mut adds = metrics::Interner::default();
        let keys = trace::StepKeys::new(&ctx)
            .map_err(|e| js_err(entry, format!("cannot read the trace: {e}")))?;
        let mut groups: Vec<String> = vec![String::new()];
        let mut group_index: BTreeMap<String, u32> = BTreeMap::from([(String::new(), 0)]);
        for exec in &execs {
            let f: Function = ns.get(exec.as_str()).map_err(|_| {
                let exported: Vec<String> = ns
                    .keys::<String>()
                    .filter_map(|k| k.ok())
                    .filter(|k| ns.get::<_, Function>(k.as_str()).is_ok())
                    .collect();
                LoadError::invalid(
                    entry,
                    FieldError::new(
                        "options.scenarios",
                        format!(
                            "a scenario runs `{exec}`, which the script does not export as a \
                             function; exported functions: {}",
                            if exported.is_empty() { "none".into() } else { exported.join(", ") }
                        ),
                    ),
                )
            })?;
            let mut traces = Vec::with_capacity(samples as usize);
            for i in 0..samples {
                let s: Vec<u32> = (0..2)
                    .flat_map(|_| {
                        let x = splitmix(&mut seed);
                        [(x >> 32) as u32, x as u32]
                    })
                    .collect();
                let setup = || -> rquickjs::Result<()> {
                    recorder.set("seed", s.clone())?;
                    recorder.set("trace", rquickjs::Array::new(ctx.clone())?)?;
                    globals.set("__VU", 1)?;
                    globals.set("__ITER", i)?;
                    Ok(())
                };
                setup().map_err(|e| js_err(entry, format!("cannot set up an iteration: {e}")))?;
                budget.reset(CALL_BUDGET);
                if let Err(e) = f.call::<_, Value>((data.clone(),)).catch(&ctx) {
                    let text = e.to_string();
                    if budget.tripped.get() || shared.borrow().refusal.is_some() {
                        return Err(call_error(exec, text));
                    }
                    if text.contains("fail(): ") {
                        failed_iterations += 1;
                    } else {
                        return Err(call_error(exec, text));
                    }
                }
                let trace_value: Value = recorder
                    .get("trace")
                    .map_err(|e| js_err(entry, format!("cannot read the trace: {e}")))?;
                let steps = trace::read(&trace_value, &keys)
                    .map_err(|e| js_err(entry, format!("cannot read the trace: {e}")))?;
                let mut trace = Vec::with_capacity(steps.len());
                // Where each JS trace entry landed in `trace` (requests only).
                let mut position: Vec<Option<u32>> = Vec::with_capacity(steps.len());
                for st in steps {
                    if st.k == "ge" || st.k == "gx" {
                        let next = groups.len() as u32;
                        let g = *group_index.entry(st.g.clone()).or_insert(next);
                        if g == next {
                            groups.push(st.g);
                        }
                        position.push(None);
                        trace.push(if st.k == "ge" {
                            TraceStep::GroupEnter(g)
                        } else {
                            TraceStep::GroupExit(g)
                        });
                        continue;
                    }
                    if st.k == "a" {
                        let request = st
                            .r
                            .and_then(|r| usize::try_from(r).ok())
                            .and_then(|r| position.get(r).copied().flatten());
                        let add = adds.intern(metrics::symbol(
                            st.mn, &st.t, st.v, st.neg, st.cn, &st.sv,
                        ));
                        position.push(None);
                        trace.push(TraceStep::Add { add, request });
                        continue;
                    }
                    if st.k == "b" {
                        position.push(None);
                        trace.push(TraceStep::Batch { n: st.bn });
                        continue;
                    }
                    position.push((st.k == "r").then_some(trace.len() as u32));
                    if st.k == "r" {
                        let site = RequestSite {
                            method: st.m,
                            url: st.u,
                            name: st.n,
                            at: st.at,
                        };
                        let next = requests.len() as u32;
                        let site = *requests.entry(site).or_insert(next);
                        let next = check_lists.len() as u32;
                        let checks = *check_lists.entry(st.c).or_insert(next);
                        trace.push(TraceStep::Request { site, checks });
                    } else if st.s.is_finite() && st.s > 0.0 {
                        trace.push(TraceStep::Sleep((st.s * 1e9).round() as Nanos));
                    }
                }
                traces.push(trace);
            }
            flows.push(SampledFlow {
                exec: exec.clone(),
                traces,
            });
        }
        if failed_iterations > 0 {
            notes.push(format!(
                "{failed_iterations} recorded iterations ended in fail(); each is replayed up to its fail()"
            ));
        }

        let read_json = |expr: &str| -> String {
            ctx.eval::<Option<String>, _>(expr)
                .ok()
                .flatten()
                .unwrap_or_else(|| "null".into())
        };
        let js_checks: Vec<(String, JsCheck)> =
            serde_json::from_str(&read_json("JSON.stringify([...__capsim.checks])"))
                .unwrap_or_default();
        let warnings: Vec<String> =
            serde_json::from_str(&read_json("JSON.stringify(__capsim.warnings)"))
                .unwrap_or_default();
        let js_metrics: Vec<JsMetric> =
            serde_json::from_str(&read_json("JSON.stringify(__capsim.metrics)"))
                .unwrap_or_default();
        let metrics_not_predicted: BTreeMap<String, String> =
            serde_json::from_str(&read_json("JSON.stringify(Object.fromEntries(__capsim.metricWhy))"))
                .unwrap_or_default();

        let mut checks = Vec::new();
        let mut check_index = BTreeMap::new();
        for (name, c) in js_checks {
            let meaning = match c.kind.as_str() {
                "status_ok" => CheckMeaning::StatusOk,
                "duration_below" | "status_ok_duration_below" => {
                    let ns = (c.ms * 1e6).round() as Nanos + u64::from(c.inclusive);
                    if c.kind == "duration_below" {
                        CheckMeaning::DurationBelow(ns)
                    } else {
                        CheckMeaning::StatusOkAndBelow(ns)
                    }
                }
                "none" => CheckMeaning::NotPredicted("it does not read the response".into()),
                _ => CheckMeaning::NotPredicted(c.why),
            };
            check_index.insert(name.clone(), checks.len() as u32);
            checks.push(RecordedCheck {
                name,
                meaning,
                at: c.at,
            });
        }
        let mut lists = vec![Vec::new(); check_lists.len()];
        for (names, i) in check_lists {
            lists[i as usize] = names
                .iter()
                .filter_map(|n| check_index.get(n).copied())
                .collect();
        }
        let mut request_list = vec![None; requests.len()];
        for (site, i) in requests {
            request_list[i as usize] = Some(site);
        }
        let mut metrics: Vec<(String, String)> = Vec::new();
        for m in js_metrics {
            if !metrics.iter().any(|(n, _)| *n == m.name) {
                metrics.push((m.name, m.kind));
            }
        }
        notes.extend(warnings);
        notes.extend(shared.borrow().notes.iter().cloned());
        Ok(Recording {
            options,
            flows,
            requests: request_list.into_iter().flatten().collect(),
            checks,
            check_lists: lists,
            metrics,
            metrics_not_predicted,
            adds: adds.into_list(),
            notes,
            batch,
            batch_per_host,
            groups,
        })
    })
}
