//! Bad input never panics: every malformed model, experiment or command line is refused with
//! exit code 2 and a message that names the file, the place (line:column or field path) and
//! the fix. These tests run the built binary on files written to a scratch directory.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A scratch directory removed on drop; the binary runs inside it so messages name files
/// by their short relative names.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("capsim-bad-input-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs capsim in `dir`; kills it after a generous guard so that a hang fails the test
/// instead of blocking the suite. Returns (exit code, stdout, stderr).
fn capsim(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start capsim");
    let (code, out, err, _) =
        common::wait_bounded(child, Duration::from_secs(60), &format!("capsim {args:?}"));
    (code, out, err)
}

/// Runs capsim and checks it refused the input properly; returns stderr.
fn refused(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = capsim(dir, args);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "capsim {args:?} panicked:\n{stderr}"
    );
    assert_eq!(
        code,
        Some(2),
        "capsim {args:?}: want exit code 2\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(!stderr.trim().is_empty(), "capsim {args:?}: no message");
    stderr
}

#[track_caller]
fn has(stderr: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(stderr.contains(w), "missing {w:?} in:\n{stderr}");
    }
}

/// A valid model with one service, one endpoint, a database, a cache, a provider and a queue,
/// so that single replacements produce each kind of mistake.
const MODEL: &str = r#"name: shop
endpoints:
  "GET /": {service: web, operation: index}
services:
  web:
    replicas: 2
    workers: 4
    operations:
      index:
        - work: {exponential: {mean: 10ms}}
        - cache: {cache: redis}
        - query: {database: main, kind: read, time: {constant: 2ms}}
        - external: {provider: rpc}
        - enqueue: {queue: jobs}
databases:
  main: {cores: 2, pool_size: 10, pool_timeout: 1s}
caches:
  redis: {latency: {constant: 1ms}, hit_ratio: 0.8}
providers:
  rpc: {latency: {constant: 20ms}}
job_queues:
  jobs: {workers: 1, concurrency: 2, attempts: 1, steps: [{work: {constant: 5ms}}]}
"#;

/// A valid experiment on `model.yaml`.
const EXPERIMENT: &str = r#"model: model.yaml
replications: 2
flow:
  - request: {endpoint: "GET /"}
  - sleep: {constant: 1s}
scenarios:
  load:
    executor: constant-vus
    vus: 10
    duration: 1m
"#;

fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "{from:?} is not in the base file");
    base.replacen(from, to, 1)
}

/// `capsim validate model.yaml` on the given model text.
fn model_error(tag: &str, model: &str) -> String {
    let dir = Scratch::new(tag);
    dir.write("model.yaml", model);
    refused(dir.path(), &["validate", "model.yaml"])
}

/// `capsim validate exp.yaml` with the given experiment text and the valid model.
fn experiment_error(tag: &str, experiment: &str) -> String {
    let dir = Scratch::new(tag);
    dir.write("model.yaml", MODEL);
    dir.write("exp.yaml", experiment);
    refused(dir.path(), &["validate", "exp.yaml"])
}

#[test]
fn the_base_files_are_valid() {
    let dir = Scratch::new("valid");
    dir.write("model.yaml", MODEL);
    dir.write("exp.yaml", EXPERIMENT);
    for file in ["model.yaml", "exp.yaml"] {
        let (code, out, err) = capsim(dir.path(), &["validate", file]);
        assert_eq!(code, Some(0), "{file}: {out}{err}");
    }
}

// ---------------------------------------------------------------- files and YAML syntax

#[test]
fn empty_file() {
    let texts = ["", "  \n\n", "# nothing\n  # at all\n", "---\n"];
    for (i, text) in texts.iter().enumerate() {
        let e = model_error(&format!("empty{i}"), text);
        has(
            &e,
            &[
                "model.yaml:1:1:",
                "the file is empty",
                "examples under models/",
            ],
        );
    }
}

#[test]
fn invalid_yaml_syntax() {
    let e = model_error("syntax", "name: m\nservices: [a, b\nendpoints: {\n");
    has(
        &e,
        &[
            "model.yaml:3:",
            "not valid YAML",
            "indentation, brackets and quotes",
        ],
    );
}

#[test]
fn tabs_for_indentation() {
    let e = model_error("tabs", &MODEL.replace("  \"GET /\"", "\t\"GET /\""));
    has(&e, &["model.yaml:3:", "tab", "indent with spaces"]);
}

#[test]
fn top_level_list_instead_of_mapping() {
    let e = model_error("toplist", "- a\n- b\n");
    has(&e, &["model.yaml:1:1:", "mapping", "models/mm1.yaml"]);
}

#[test]
fn duplicate_key() {
    let e = model_error("dupkey", &format!("{MODEL}name: again\n"));
    has(
        &e,
        &["model.yaml:23:1:", "`name` appears twice", "keep one"],
    );
}

#[test]
fn missing_file() {
    let dir = Scratch::new("missing");
    let e = refused(dir.path(), &["validate", "nope.yaml"]);
    has(&e, &["nope.yaml", "No such file", "check the path"]);
    // The cause is printed once, not repeated by the error chain.
    assert_eq!(e.matches("No such file").count(), 1, "{e}");
}

#[test]
fn directory_passed_as_file() {
    let dir = Scratch::new("dir");
    std::fs::create_dir(dir.path().join("models")).unwrap();
    let e = refused(dir.path(), &["validate", "models"]);
    has(
        &e,
        &["models:", "directory, not a file", "name a YAML file"],
    );
    let e = refused(dir.path(), &["run", "models"]);
    has(&e, &["models:", "directory, not a file"]);
}

#[test]
fn file_over_4_mib() {
    let dir = Scratch::new("big");
    let mut text = String::from(MODEL);
    while text.len() <= 4 * 1024 * 1024 {
        text.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    dir.write("model.yaml", &text);
    let e = refused(dir.path(), &["validate", "model.yaml"]);
    has(
        &e,
        &[
            "model.yaml: the file is",
            "at most 4194304 bytes",
            "right file",
        ],
    );
}

#[test]
fn not_utf8() {
    let e = {
        let dir = Scratch::new("utf8");
        dir.write("model.yaml", b"name: caf\xe9\n");
        refused(dir.path(), &["validate", "model.yaml"])
    };
    has(&e, &["model.yaml:1:10:", "not UTF-8", "save it as UTF-8"]);
}

/// "Billion laughs": nine levels of nine aliases, 9^9 values once expanded. The parser's
/// budget must refuse it before it is expanded; the run guard in [`capsim`] catches a hang.
fn alias_bomb(indent: &str) -> String {
    let mut s = format!(
        "{indent}a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    );
    for i in 1..9 {
        let p = format!("*a{}", i - 1);
        let row = [p.as_str(); 9].join(",");
        s.push_str(&format!("{indent}a{i}: &a{i} [{row}]\n"));
    }
    s
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let dir = Scratch::new("bomb");
    dir.write("model.yaml", MODEL);
    // At the top of a document: caught before capsim knows what kind of file it is.
    dir.write("bomb.yaml", alias_bomb(""));
    // Inside the one field that accepts anything (a scenario's `options`), where the typed
    // parse has to walk it.
    let exp = format!("{EXPERIMENT}    options:\n{}", alias_bomb("      "));
    dir.write("exp.yaml", exp);
    for args in [
        &["validate", "bomb.yaml"][..],
        &["validate", "exp.yaml"],
        &["run", "-q", "exp.yaml"],
    ] {
        let start = Instant::now();
        let e = refused(dir.path(), args);
        let file = args.last().unwrap();
        has(
            &e,
            &[
                &format!("{file}:"),
                "too large once its aliases are expanded",
                "&anchor",
            ],
        );
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{args:?} took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn deep_nesting() {
    let deep = format!("name: {}{}\n", "[".repeat(300), "]".repeat(300));
    let e = model_error("deep", &deep);
    has(&e, &["model.yaml:1:"]);
}

// ---------------------------------------------------------------- types and fields

#[test]
fn string_for_workers() {
    let e = model_error("workers-str", &edit(MODEL, "workers: 4", "workers: many"));
    has(
        &e,
        &[
            "model.yaml:7:14:",
            "expected a whole number >= 0",
            "found `many`",
        ],
    );
}

#[test]
fn negative_and_fractional_and_huge_workers() {
    let e = model_error("workers-neg", &edit(MODEL, "workers: 4", "workers: -3"));
    has(&e, &["model.yaml:7:14:", "whole number >= 0", "found `-3`"]);
    let e = model_error("workers-frac", &edit(MODEL, "workers: 4", "workers: 1.5"));
    has(&e, &["model.yaml:7:14:", "found `1.5`"]);
    let e = model_error(
        "workers-huge",
        &edit(MODEL, "workers: 4", "workers: 99999999999"),
    );
    has(&e, &["model.yaml:7:14:", "no larger than 4294967295"]);
    let e = model_error("workers-null", &edit(MODEL, "workers: 4", "workers:"));
    has(&e, &["model.yaml:7:", "found no value"]);
}

#[test]
fn missing_field() {
    let e = model_error("missing-field", &edit(MODEL, "    workers: 4\n", ""));
    has(
        &e,
        &["model.yaml:", "missing field `workers`", "add `workers:`"],
    );
}

#[test]
fn unknown_field_suggests_the_near_miss() {
    let e = model_error("worker", &edit(MODEL, "workers: 4", "worker: 4"));
    has(
        &e,
        &[
            "model.yaml:7:5:",
            "unknown field `worker`",
            "(did you mean `workers`?)",
            "allowed: replicas, workers",
        ],
    );
    let e = experiment_error("flwo", &edit(EXPERIMENT, "flow:", "flwo:"));
    has(
        &e,
        &[
            "exp.yaml:3:1:",
            "unknown field `flwo`",
            "did you mean `flow`?",
        ],
    );
    let e = experiment_error("vu", &edit(EXPERIMENT, "vus: 10", "vu: 10"));
    has(
        &e,
        &["exp.yaml:9:5:", "unknown field `vu`", "did you mean `vus`?"],
    );
    // The last name of the allowed list (no trailing snippet may spoil the match).
    let branch = edit(
        MODEL,
        "        - enqueue: {queue: jobs}\n",
        "        - enqueue: {queue: jobs}\n        - branch: [{probability: 1, stpes: []}]\n",
    );
    let e = model_error("stpes", &branch);
    has(
        &e,
        &[
            "model.yaml:15:",
            "unknown field `stpes`",
            "did you mean `steps`?",
        ],
    );
}

#[test]
fn unknown_field_far_from_any_gets_the_list() {
    let e = model_error(
        "zzz",
        &edit(MODEL, "workers: 4", "workers: 4\n    zzzzzz: 1"),
    );
    has(
        &e,
        &[
            "model.yaml:8:5:",
            "unknown field `zzzzzz`",
            "allowed: replicas, workers",
        ],
    );
    assert!(!e.contains("did you mean"), "{e}");
}

#[test]
fn unknown_step_and_distribution_kinds() {
    let e = model_error("wrok", &edit(MODEL, "- work:", "- wrok:"));
    has(
        &e,
        &[
            "model.yaml:10:",
            "unknown kind `wrok`",
            "did you mean `work`?",
            "use one of work, call",
        ],
    );
    let e = model_error("exponentail", &edit(MODEL, "exponential", "exponentail"));
    has(&e, &["model.yaml:10:", "did you mean `exponential`?"]);
    let e = model_error(
        "twodist",
        &edit(
            MODEL,
            "{exponential: {mean: 10ms}}",
            "{constant: 1ms, exponential: {mean: 1ms}}",
        ),
    );
    has(&e, &["model.yaml:10:", "exactly one key"]);
}

#[test]
fn unknown_executor() {
    let e = experiment_error(
        "exec-near",
        &edit(EXPERIMENT, "constant-vus", "constant-vu"),
    );
    has(
        &e,
        &[
            "exp.yaml",
            "scenarios.load.executor",
            "unknown executor \"constant-vu\"",
            "did you mean \"constant-vus\"?",
        ],
    );
    let e = experiment_error("exec-far", &edit(EXPERIMENT, "constant-vus", "foo-bar"));
    has(
        &e,
        &[
            "exp.yaml",
            "scenarios.load.executor",
            "use one of shared-iterations",
        ],
    );
}

// ---------------------------------------------------------------- numbers and durations

#[test]
fn zero_workers() {
    let e = model_error("workers0", &edit(MODEL, "workers: 4", "workers: 0"));
    has(
        &e,
        &["model.yaml: services.web.workers: 0 is out of range; allowed: 1 to"],
    );
}

#[test]
fn negative_arrival_rate() {
    let exp = edit(
        EXPERIMENT,
        "    executor: constant-vus\n    vus: 10\n",
        "    executor: constant-arrival-rate\n    rate: -5\n    preAllocatedVUs: 10\n",
    );
    let e = experiment_error("rate-neg", &exp);
    has(
        &e,
        &[
            "exp.yaml: scenarios.load.rate:",
            "whole number > 0",
            "got -5",
        ],
    );
}

#[test]
fn negative_sleep() {
    let e = experiment_error(
        "sleep-neg",
        &edit(EXPERIMENT, "{constant: 1s}", "{constant: \"-1s\"}"),
    );
    has(
        &e,
        &[
            "exp.yaml:5:23:",
            "negative duration \"-1s\"",
            "such as \"500ms\"",
        ],
    );
}

#[test]
fn duration_without_unit() {
    let e = model_error("nounit", &edit(MODEL, "mean: 10ms", "mean: 10"));
    has(
        &e,
        &[
            "model.yaml:10:",
            "a bare number (10) has no unit",
            "\"10ms\"",
        ],
    );
}

#[test]
fn nan_and_infinity() {
    let e = model_error(
        "nan-shape",
        &edit(
            MODEL,
            "{exponential: {mean: 10ms}}",
            "{gamma: {shape: .nan, mean: 10ms}}",
        ),
    );
    has(
        &e,
        &[
            "model.yaml: services.web.operations.index[0].work.gamma.shape:",
            "NaN",
            "finite number greater than 0",
        ],
    );
    let poisson = edit(
        EXPERIMENT,
        "    executor: constant-vus\n    vus: 10\n",
        "    executor: poisson-arrival-rate\n    rate: .nan\n    preAllocatedVUs: 10\n",
    );
    let e = experiment_error("nan-rate", &poisson);
    has(&e, &["exp.yaml: scenarios.load.rate:", "got NaN"]);
    let e = experiment_error("inf-rate", &poisson.replace(".nan", ".inf"));
    has(&e, &["exp.yaml", "scenarios.load.rate"]);
    let e = model_error("nan-hit", &edit(MODEL, "hit_ratio: 0.8", "hit_ratio: .nan"));
    has(
        &e,
        &["model.yaml: caches.redis.hit_ratio: NaN is not a probability"],
    );
}

#[test]
fn zero_durations() {
    let e = model_error(
        "timeout0",
        &edit(MODEL, "workers: 4", "workers: 4\n    timeout: 0s"),
    );
    has(
        &e,
        &[
            "model.yaml: services.web.timeout:",
            "above zero",
            "leave it out",
        ],
    );
    let e = model_error("mean0", &edit(MODEL, "mean: 10ms", "mean: 0s"));
    has(
        &e,
        &[
            "services.web.operations.index[0].work.exponential.mean",
            "greater than 0",
        ],
    );
    let e = experiment_error("dur0", &edit(EXPERIMENT, "duration: 1m", "duration: 0s"));
    has(&e, &["exp.yaml: scenarios.load.duration:", "at least 1s"]);
    let e = experiment_error("ct0", &format!("{EXPERIMENT}client_timeout: 0s\n"));
    has(&e, &["exp.yaml: client_timeout:", "above zero"]);
}

#[test]
fn uniform_min_above_max() {
    let e = model_error(
        "uniform",
        &edit(
            MODEL,
            "{exponential: {mean: 10ms}}",
            "{uniform: {min: 5s, max: 1s}}",
        ),
    );
    has(
        &e,
        &[
            "model.yaml: services.web.operations.index[0].work.uniform.max:",
            "max (1s) must be greater than min (5s)",
            "{constant: 5s}",
        ],
    );
}

#[test]
fn preallocated_vus_above_max_vus() {
    let exp = edit(
        EXPERIMENT,
        "    executor: constant-vus\n    vus: 10\n",
        "    executor: constant-arrival-rate\n    rate: 5\n    preAllocatedVUs: 100\n    maxVUs: 20\n",
    );
    let e = experiment_error("maxvus", &exp);
    has(
        &e,
        &[
            "exp.yaml: scenarios.load.maxVUs:",
            "maxVUs (20) can't be less than preAllocatedVUs (100)",
            "set maxVUs >= 100",
        ],
    );
}

#[test]
fn probabilities_out_of_range() {
    let e = model_error("hit15", &edit(MODEL, "hit_ratio: 0.8", "hit_ratio: 1.5"));
    has(
        &e,
        &[
            "model.yaml: caches.redis.hit_ratio: 1.5 is not a probability",
            "from 0 to 1",
        ],
    );
    let e = model_error(
        "hit15-step",
        &edit(MODEL, "{cache: redis}", "{cache: redis, hit_ratio: 1.5}"),
    );
    has(
        &e,
        &["model.yaml: services.web.operations.index[1].cache.hit_ratio: 1.5 is not a probability"],
    );
    let e = model_error(
        "failprob",
        &edit(
            MODEL,
            "{latency: {constant: 20ms}}",
            "{latency: {constant: 20ms}, failure_probability: -0.1}",
        ),
    );
    has(
        &e,
        &["model.yaml: providers.rpc.failure_probability: -0.1 is not a probability"],
    );
}

#[test]
fn branch_probabilities_must_sum_to_one() {
    let branch = edit(
        MODEL,
        "        - enqueue: {queue: jobs}\n",
        "        - enqueue: {queue: jobs}\n        - branch:\n            - {probability: 0.5, steps: [{work: {constant: 1ms}}]}\n            - {probability: 0.3}\n",
    );
    let e = model_error("branch-sum", &branch);
    has(
        &e,
        &[
            "model.yaml: services.web.operations.index[5].branch:",
            "sum to 0.8",
            "must sum to 1",
            "empty `steps`",
        ],
    );
    let e = model_error(
        "branch-arm",
        &branch.replace("probability: 0.3", "probability: 1.2"),
    );
    has(
        &e,
        &["services.web.operations.index[5].branch[1].probability: 1.2 is not a probability"],
    );
}

#[test]
fn malformed_stage_durations() {
    for (bad, unit) in [("10 minutes", "\" minutes\""), ("5x", "\"x\"")] {
        let exp = edit(
            EXPERIMENT,
            "    executor: constant-vus\n    vus: 10\n    duration: 1m\n",
            &format!(
                "    executor: ramping-vus\n    stages:\n      - {{duration: 1m, target: 10}}\n      - {{duration: {bad}, target: 0}}\n"
            ),
        );
        let e = experiment_error("stage", &exp);
        has(
            &e,
            &[
                "exp.yaml:11:20:",
                &format!("unknown unit {unit} in duration \"{bad}\""),
                "units: ns, us, ms, s, m, h",
            ],
        );
    }
}

#[test]
fn absurd_sizes_are_refused() {
    let e = experiment_error(
        "vus-billion",
        &edit(EXPERIMENT, "vus: 10", "vus: 1000000000"),
    );
    has(
        &e,
        &[
            "exp.yaml: scenarios.load.vus:",
            "more than capsim simulates",
            "the most is",
        ],
    );
    let e = experiment_error(
        "reps-billion",
        &edit(EXPERIMENT, "replications: 2", "replications: 1000000000"),
    );
    has(
        &e,
        &["exp.yaml: replications: 1000000000 replications; allowed: 1 to"],
    );
    let e = experiment_error(
        "reps0",
        &edit(EXPERIMENT, "replications: 2", "replications: 0"),
    );
    has(
        &e,
        &["exp.yaml: replications: 0 replications; allowed: 1 to"],
    );
    let e = experiment_error("bucket-1ms", &format!("{EXPERIMENT}bucket: 1ms\n"));
    has(&e, &["exp.yaml: bucket:", "at least 100ms"]);
    let e = experiment_error(
        "long-test",
        &edit(EXPERIMENT, "duration: 1m", "duration: 100000h"),
    );
    has(&e, &["exp.yaml: bucket:", "use a wider bucket"]);
    let e = model_error(
        "replicas",
        &edit(MODEL, "replicas: 2", "replicas: 4000000000"),
    );
    has(
        &e,
        &["model.yaml: services.web.replicas: 4000000000 is out of range"],
    );
    let e = model_error(
        "bigdur",
        &edit(MODEL, "mean: 10ms", "mean: 99999999999999h"),
    );
    has(&e, &["model.yaml:10:", "too long"]);
}

// ---------------------------------------------------------------- references

#[test]
fn references_to_missing_names_suggest_the_near_miss() {
    let cases = [
        (
            "{service: web, operation: index}",
            "{service: wbe, operation: index}",
            "endpoints.GET /.service: unknown service `wbe`; did you mean `web`?",
        ),
        (
            "{service: web, operation: index}",
            "{service: web, operation: indx}",
            "endpoints.GET /.operation: unknown operation of service `web` `indx`; did you mean `index`?",
        ),
        (
            "{database: main,",
            "{database: mian,",
            "services.web.operations.index[2].query.database: unknown database `mian`; did you mean `main`?",
        ),
        (
            "{provider: rpc}",
            "{provider: rcp}",
            "services.web.operations.index[3].external.provider: unknown provider `rcp`; did you mean `rpc`?",
        ),
        (
            "{queue: jobs}",
            "{queue: job}",
            "services.web.operations.index[4].enqueue.queue: unknown job queue `job`; did you mean `jobs`?",
        ),
        (
            "{cache: redis}",
            "{cache: redsi}",
            "services.web.operations.index[1].cache.cache: unknown cache `redsi`; did you mean `redis`?",
        ),
    ];
    for (i, (from, to, want)) in cases.iter().enumerate() {
        let e = model_error(&format!("ref{i}"), &edit(MODEL, from, to));
        has(&e, &["model.yaml: ", want, "(known: "]);
    }
    let e = model_error(
        "call-missing",
        &edit(
            MODEL,
            "- enqueue: {queue: jobs}",
            "- call: {service: jobs, operation: job}",
        ),
    );
    has(
        &e,
        &[
            "services.web.operations.index[4].call.service",
            "`jobs` is a job queue; use `enqueue: {queue: jobs}`",
        ],
    );
    let e = model_error(
        "failover",
        &edit(
            MODEL,
            "{latency: {constant: 20ms}}",
            "{latency: {constant: 20ms}, failover: rcp}",
        ),
    );
    has(&e, &["providers.rpc.failover: unknown provider `rcp`"]);
    let e = model_error(
        "failover-self",
        &edit(
            MODEL,
            "{latency: {constant: 20ms}}",
            "{latency: {constant: 20ms}, failover: rpc}",
        ),
    );
    has(
        &e,
        &["providers.rpc.failover: a provider cannot fail over to itself"],
    );
}

#[test]
fn experiment_references() {
    let e = experiment_error("endpoint", &edit(EXPERIMENT, "\"GET /\"", "\"GET /x\""));
    has(
        &e,
        &["exp.yaml: flow[0].request.endpoint: unknown endpoint `GET /x`; did you mean `GET /`?"],
    );
    let e = experiment_error("exec-flow", &format!("{EXPERIMENT}    exec: defualt\n"));
    has(
        &e,
        &["exp.yaml: scenarios.load.exec: unknown flow `defualt`; did you mean `default`?"],
    );
    let e = experiment_error("model-file", &edit(EXPERIMENT, "model.yaml", "modle.yaml"));
    has(
        &e,
        &[
            "exp.yaml: model: no model file at modle.yaml",
            "relative to the experiment file",
        ],
    );
    let e = experiment_error(
        "k6-file",
        &format!("{EXPERIMENT}k6_options: inspect.json\n"),
    );
    has(
        &e,
        &[
            "exp.yaml: k6_options: no file at inspect.json",
            "k6 inspect",
        ],
    );
}

#[test]
fn errors_in_the_named_model_name_the_model_file() {
    let dir = Scratch::new("model-of-exp");
    dir.write("model.yaml", edit(MODEL, "workers: 4", "worker: 4"));
    dir.write("exp.yaml", EXPERIMENT);
    let e = refused(dir.path(), &["run", "-q", "exp.yaml"]);
    has(&e, &["model.yaml:7:5:", "did you mean `workers`?"]);
}

#[test]
fn bad_k6_options_file_is_named() {
    let dir = Scratch::new("k6");
    dir.write("model.yaml", MODEL);
    dir.write("inspect.json", "{not json");
    let exp = edit(
        EXPERIMENT,
        "scenarios:\n  load:\n    executor: constant-vus\n    vus: 10\n    duration: 1m\n",
        "k6_options: inspect.json\n",
    );
    dir.write("exp.yaml", exp);
    let e = refused(dir.path(), &["validate", "exp.yaml"]);
    has(
        &e,
        &[
            "inspect.json: not valid JSON",
            "line 1 column 2",
            "k6 inspect script.js",
        ],
    );
    dir.write(
        "inspect.json",
        r#"{"scenarios": {"a": {"executor": "constant-vus", "vus": -1, "duration": "1s"}}}"#,
    );
    let e = refused(dir.path(), &["validate", "exp.yaml"]);
    has(&e, &["inspect.json: scenarios.a.vus: -1 is negative"]);
}

#[test]
fn call_cycle_shows_the_cycle() {
    let model = r#"endpoints:
  "GET /": {service: a, operation: x}
services:
  a:
    replicas: 1
    workers: 1
    operations:
      x: [{call: {service: b, operation: y}}]
  b:
    replicas: 1
    workers: 1
    operations:
      y: [{work: {constant: 1ms}}, {call: {service: a, operation: x}}]
"#;
    let e = model_error("cycle", model);
    has(
        &e,
        &[
            "model.yaml: services.a.operations.x: call cycle a.x -> b.y -> a.x",
            "Break the cycle",
        ],
    );
    let queue = edit(
        MODEL,
        "steps: [{work: {constant: 5ms}}]",
        "steps: [{enqueue: {queue: jobs}}]",
    );
    let e = model_error("queue-cycle", &queue);
    has(
        &e,
        &["model.yaml: job_queues.jobs.steps: call cycle jobs -> jobs"],
    );
}

// ---------------------------------------------------------------- thresholds and reachability

#[test]
fn thresholds_that_do_not_parse() {
    let cases = [
        ("p(95)<<500", "`<500` is not a number"),
        ("p(95)", "has no operator"),
        ("p(101)<5", "percentile 101 is outside 0 to 100"),
        ("avg<abc", "`abc` is not a number"),
        ("p95<500", "did you mean `p(95)`?"),
        ("foo<1", "unknown aggregation `foo`; allowed: avg"),
        ("avg<NaN", "must be a finite number"),
        ("avg<1e999", "must be a finite number"),
        (
            "rate<0.1",
            "http_req_duration allows avg, min, med, max, p(N)",
        ),
        ("", "has no operator"),
    ];
    for (i, (expr, wanted)) in cases.iter().enumerate() {
        let exp = format!("{EXPERIMENT}thresholds:\n  http_req_duration: ['{expr}']\n");
        let e = experiment_error(&format!("thr{i}"), &exp);
        has(&e, &["exp.yaml: thresholds.http_req_duration[0]:", wanted]);
    }
    let bad_keys = [
        (
            "'http_req_duration{endpoint:GET /nope}'",
            "unknown endpoint `GET /nope`; did you mean `GET /`?",
        ),
        ("http_req_duratoin", "did you mean `http_req_duration`?"),
        (
            "'http_req_duration{endpoint:GET /'",
            "has an unmatched curly brace",
        ),
    ];
    for (i, (key, wanted)) in bad_keys.iter().enumerate() {
        let exp = format!("{EXPERIMENT}thresholds:\n  {key}: ['p(95)<1']\n");
        let e = experiment_error(&format!("thrkey{i}"), &exp);
        has(&e, &["exp.yaml: thresholds.", wanted]);
    }
}

/// An endpoint no flow requests is a warning, not an error: a model is often shared by
/// experiments that load parts of it. `validate` names it; the run goes ahead.
#[test]
fn unreachable_endpoints_are_a_warning() {
    let dir = Scratch::new("unreachable");
    dir.write(
        "model.yaml",
        edit(
            MODEL,
            "endpoints:\n",
            "endpoints:\n  \"GET /unused\": {service: web, operation: index}\n",
        ),
    );
    dir.write(
        "exp.yaml",
        format!(
            "{}flows:\n  spare:\n    - request: {{endpoint: \"GET /\"}}\n",
            EXPERIMENT
        ),
    );
    let (code, out, err) = capsim(dir.path(), &["validate", "exp.yaml"]);
    assert_eq!(code, Some(0), "{out}{err}");
    has(
        &err,
        &[
            "exp.yaml: warning: endpoint `GET /unused` of model `shop` is requested by no flow that runs",
            "exp.yaml: warning: flow `spare` is not executed by any scenario",
        ],
    );
    // Without them, no warning.
    dir.write("model.yaml", MODEL);
    dir.write("exp.yaml", EXPERIMENT);
    let (code, _, err) = capsim(dir.path(), &["validate", "exp.yaml"]);
    assert_eq!(code, Some(0));
    assert!(!err.contains("warning"), "{err}");
}

/// Device files and pipes have no length to check and may never end: refused, not read.
#[cfg(unix)]
#[test]
fn device_files_are_refused() {
    let dir = Scratch::new("devices");
    let e = refused(dir.path(), &["validate", "/dev/zero"]);
    has(&e, &["/dev/zero", "not a regular file"]);
    dir.write(
        "exp.yaml",
        edit(EXPERIMENT, "model: model.yaml", "model: /dev/zero"),
    );
    let e = refused(dir.path(), &["validate", "exp.yaml"]);
    has(&e, &["/dev/zero"]);
    dir.write(
        "model.yaml",
        edit(
            MODEL,
            "- work: {exponential: {mean: 10ms}}",
            "- work: {empirical: {file: /dev/zero}}",
        ),
    );
    // Outside the project: refused by confinement (tests/security.rs); allowed, the
    // reader still refuses a device.
    let e = refused(dir.path(), &["validate", "model.yaml"]);
    has(&e, &["/dev/zero", "absolute path outside the project"]);
    let e = refused(
        dir.path(),
        &["validate", "--allow-path", "/dev", "model.yaml"],
    );
    has(
        &e,
        &["cannot read sample file /dev/zero (not a regular file)"],
    );
}

// ---------------------------------------------------------------- command line

#[test]
fn run_with_a_bad_flag() {
    let dir = Scratch::new("flag");
    dir.write("model.yaml", MODEL);
    dir.write("exp.yaml", EXPERIMENT);
    let e = refused(dir.path(), &["run", "--bogus", "exp.yaml"]);
    has(&e, &["unexpected argument '--bogus'", "Usage: capsim run"]);
    let e = refused(dir.path(), &["run"]);
    has(&e, &["<EXPERIMENT>"]);
    let e = refused(dir.path(), &["run", "-n", "many", "exp.yaml"]);
    has(&e, &["invalid value 'many'"]);
    let e = refused(dir.path(), &["run", "-n", "0", "exp.yaml"]);
    has(&e, &["--replications 0: allowed 1 to"]);
    let e = refused(dir.path(), &["frobnicate"]);
    has(&e, &["unrecognized subcommand 'frobnicate'"]);
}

#[test]
fn run_given_a_model_file() {
    let dir = Scratch::new("run-model");
    dir.write("model.yaml", MODEL);
    let e = refused(dir.path(), &["run", "model.yaml"]);
    has(
        &e,
        &[
            "model.yaml: model: missing: this looks like a model file",
            "experiments/mm1.yaml",
        ],
    );
}

// ---------------------------------------------------------------- library level

#[test]
fn unknown_field_suggestion_comes_from_serde_saphyr_errors() {
    use capsim::error::LoadError;
    use capsim::spec::experiment::ExperimentSpec;
    use capsim::spec::model::ModelSpec;
    let path = Path::new("m.yaml");
    let e = capsim::spec::yaml::parse_yaml::<ModelSpec>(
        path,
        &edit(MODEL, "replicas: 2", "replica: 2"),
    )
    .unwrap_err();
    match &e {
        LoadError::Syntax {
            line,
            column,
            message,
            ..
        } => {
            assert_eq!((*line, *column), (6, 5), "{e}");
            assert!(message.contains("(did you mean `replicas`?)"), "{message}");
            // No parser snippet or doubled location inside the message.
            assert!(
                !message.contains('\n') && !message.contains("line 6"),
                "{message}"
            );
        }
        other => panic!("want a syntax error, got {other}"),
    }
    let e = capsim::spec::yaml::parse_yaml::<ExperimentSpec>(
        path,
        &edit(EXPERIMENT, "replications:", "replicatons:"),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("did you mean `replications`?"),
        "{e}"
    );
}

#[test]
fn nearest_name_handles_swaps_and_case() {
    use capsim::suggest::nearest;
    assert_eq!(nearest("rcp", ["rpc", "db"]), Some("rpc"));
    assert_eq!(nearest("Workers", ["replicas", "workers"]), Some("workers"));
    assert_eq!(nearest("x", ["replicas", "workers"]), None);
    assert_eq!(nearest("zzzzzz", ["replicas", "workers"]), None);
}
