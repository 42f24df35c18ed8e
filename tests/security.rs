//! Untrusted configs (issue 11): a pull request controls every config file and capsim runs
//! in the CI job. These tests run the built binary on files in a scratch folder (no `.git`
//! above it, so the scratch folder is the root) and check that paths are confined, messages
//! never echo files outside the root, a zero-time loop stops with exit 2 under a hard memory
//! limit, `--threads` is capped, a memory budget refuses or stops what cannot fit, every
//! long command can be stopped, output folders are replaced whole, intervals stay in their
//! quantity's domain, and output I/O failures have their own exit code (3).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("capsim-security-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("proj")).unwrap();
        Scratch(dir)
    }

    /// Writes `name` under the project folder (`proj/`), the root of these tests.
    fn write(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join("proj").join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn outside(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn proj(&self) -> PathBuf {
        self.0.join("proj")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs capsim in `dir` under a hard address-space limit of 2 GiB (a regression cannot take
/// the machine down) and a 60 s guard; returns (exit code, stdout, stderr).
fn capsim(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> (Option<i32>, String, String) {
    finish(spawn(dir, args, envs), args)
}

fn spawn(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> std::process::Child {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={}", 2u64 << 30))
        .arg(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().expect("start capsim under prlimit")
}

fn finish(child: std::process::Child, args: &[&str]) -> (Option<i32>, String, String) {
    let (code, out, err, _) =
        common::wait_bounded(child, Duration::from_secs(60), &format!("capsim {args:?}"));
    (code, out, err)
}

#[track_caller]
fn refused(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = capsim(dir, args, &[]);
    assert_eq!(code, Some(2), "capsim {args:?}: want 2\n{out}\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[track_caller]
fn has(text: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(text.contains(w), "missing {w:?} in:\n{text}");
    }
}

const MODEL: &str = r#"name: shop
endpoints:
  "GET /": {service: web, operation: index}
services:
  web:
    replicas: 1
    workers: 4
    operations:
      index:
        - work: {exponential: {mean: 10ms}}
"#;

const EXPERIMENT: &str = r#"model: model.yaml
replications: 2
flow:
  - request: {endpoint: "GET /"}
  - sleep: {constant: 1s}
scenarios:
  load:
    executor: constant-vus
    vus: 2
    duration: 5s
"#;

const THRESHOLD: &str = "thresholds:\n  http_req_duration: [\"p(95)<500\"]\n";

fn with_samples(file: &str, column: &str) -> String {
    MODEL.replace(
        "{exponential: {mean: 10ms}}",
        &format!("{{empirical: {{file: {file}, column: {column}}}}}"),
    )
}

// ---------------------------------------------------------------- 1. confinement

/// Case 1: `empirical: {file: /proc/self/environ, column: nosuch}` printed the CI runner's
/// environment ("its columns are: ..."). Now the absolute path is refused, naming the rule
/// and the way to widen it, and no byte of the file reaches the message.
#[test]
fn environment_is_not_printed_through_a_sample_file() {
    let s = Scratch::new("environ");
    s.write("model.yaml", with_samples("/proc/self/environ", "nosuch"));
    let (code, out, err) = capsim(
        &s.proj(),
        &["validate", "model.yaml"],
        &[("CAPSIM_TEST_SECRET", "hunter2-token")],
    );
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(
        !err.contains("hunter2") && !out.contains("hunter2"),
        "{err}"
    );
    has(
        &err,
        &["absolute path outside the project", "--allow-path", "file"],
    );
}

#[test]
fn dotdot_and_symlink_escapes_are_refused() {
    let s = Scratch::new("escape");
    s.outside("secret.csv", "password_hunter2\n1\n");
    s.write("model.yaml", with_samples("../secret.csv", "nosuch"));
    let e = refused(&s.proj(), &["validate", "model.yaml"]);
    has(&e, &["`..` path that leaves the project", "--allow-path"]);
    assert!(!e.contains("password_hunter2"), "{e}");

    std::os::unix::fs::symlink(s.0.join("secret.csv"), s.proj().join("link.csv")).unwrap();
    s.write("model.yaml", with_samples("link.csv", "nosuch"));
    let e = refused(&s.proj(), &["validate", "model.yaml"]);
    has(&e, &["symlink leads out of the project"]);
    assert!(!e.contains("password_hunter2"), "{e}");

    // Widened explicitly, the file is read and the column hint names its columns.
    let outer = s.0.display().to_string();
    let e = refused(
        &s.proj(),
        &["validate", "--allow-path", &outer, "model.yaml"],
    );
    has(&e, &["no column \"nosuch\"", "password_hunter2"]);
}

#[test]
fn experiment_paths_are_confined() {
    let s = Scratch::new("experiment");
    s.outside("model.yaml", MODEL);
    s.write("model.yaml", MODEL);
    let outside_model = s.0.join("model.yaml").display().to_string();
    s.write(
        "exp.yaml",
        EXPERIMENT.replace("model: model.yaml", &format!("model: {outside_model}")),
    );
    let e = refused(&s.proj(), &["validate", "exp.yaml"]);
    has(&e, &["model", "absolute path outside the project"]);
    s.write(
        "exp.yaml",
        EXPERIMENT.replace("model: model.yaml", "model: ../model.yaml"),
    );
    let e = refused(&s.proj(), &["run", "exp.yaml"]);
    has(&e, &["`..` path that leaves the project"]);
    s.write(
        "exp.yaml",
        format!("{EXPERIMENT}k6_options: /etc/hostname\n"),
    );
    let e = refused(&s.proj(), &["check", "exp.yaml"]);
    has(&e, &["k6_options", "absolute path outside the project"]);
    // Inside the root, absolute paths are fine.
    let inside = s.proj().join("model.yaml").display().to_string();
    s.write(
        "exp.yaml",
        EXPERIMENT.replace("model: model.yaml", &format!("model: {inside}")),
    );
    let (code, out, err) = capsim(&s.proj(), &["validate", "exp.yaml"], &[]);
    assert_eq!(code, Some(0), "{out}\n{err}");
}

#[test]
fn autoscaler_files_are_confined() {
    let s = Scratch::new("autoscalers");
    let k8s = format!("{MODEL}kubernetes:\n  hpa_manifests: [/etc/passwd]\n");
    s.write("model.yaml", k8s);
    let e = refused(&s.proj(), &["validate", "model.yaml"]);
    has(
        &e,
        &["hpa_manifests[0]", "absolute path outside the project"],
    );
    assert!(!e.contains("root:"), "{e}");
    s.write(
        "snap.yaml",
        "hpa_file: ../../../../../../../etc/passwd\ncurrent_replicas: 1\n",
    );
    let e = refused(&s.proj(), &["hpa", "snap.yaml"]);
    assert!(!e.contains("root:"), "{e}");
}

/// The column hint of a file inside the root is bounded: at most 10 names of 40 characters,
/// control characters removed.
#[test]
fn column_hint_is_bounded_and_sanitised() {
    let s = Scratch::new("columns");
    let long = "x".repeat(100);
    let mut header: Vec<String> = (0..50).map(|i| format!("c{i}")).collect();
    header[0] = format!("{long}\u{1b}[31m");
    s.write("samples.csv", format!("{}\n", header.join(",")));
    s.write("model.yaml", with_samples("samples.csv", "nosuch"));
    let e = refused(&s.proj(), &["validate", "model.yaml"]);
    has(&e, &["its columns are:", "and 40 more"]);
    assert!(!e.contains(&long), "{e}");
    assert!(!e.contains('\u{1b}'), "{e}");
    assert!(!e.contains("c10"), "{e}");
}

// ---------------------------------------------------------------- 2. progress guard

/// Case 2: a flow with no think time against responses refused at once (`queue_capacity:
/// 0` on a busy service, an empty operation) looped at t = 0 and grew memory until the
/// process aborted. Under a 2 GiB address-space limit it must now stop with exit 2 and
/// name the cause.
#[test]
fn zero_time_livelock_stops_with_exit_2() {
    let s = Scratch::new("livelock");
    s.write(
        "model.yaml",
        MODEL
            .replace("workers: 4", "workers: 1\n    queue_capacity: 0")
            .replace("- work: {exponential: {mean: 10ms}}", "[]")
            .replace("index:\n        []", "index: []"),
    );
    s.write(
        "exp.yaml",
        EXPERIMENT
            .replace("  - sleep: {constant: 1s}\n", "")
            .replace("vus: 2", "vus: 50"),
    );
    let (code, out, err) = capsim(&s.proj(), &["run", "-q", "-n", "1", "exp.yaml"], &[]);
    assert_eq!(code, Some(2), "{out}\n{err}");
    has(&err, &["made no progress", "sleep", "queue_capacity"]);
}

/// A legitimate burst at one instant (many VUs starting at t = 0) is not mistaken for a loop.
#[test]
fn a_burst_at_one_instant_passes() {
    let s = Scratch::new("burst");
    s.write("model.yaml", MODEL.replace("workers: 4", "workers: 1000"));
    s.write(
        "exp.yaml",
        EXPERIMENT
            .replace("vus: 2", "vus: 100000")
            .replace("duration: 5s", "duration: 1s"),
    );
    let (code, out, err) = capsim(&s.proj(), &["run", "-q", "-n", "1", "exp.yaml"], &[]);
    assert_eq!(code, Some(0), "{out}\n{err}");
}

// ---------------------------------------------------------------- 6. --threads

/// Case 6: `--threads 100000` spent minutes spawning threads; now it is capped with a note.
#[test]
fn huge_thread_counts_are_capped() {
    let s = Scratch::new("threads");
    s.write("model.yaml", MODEL);
    s.write("exp.yaml", EXPERIMENT);
    let start = Instant::now();
    let (code, out, err) = capsim(
        &s.proj(),
        &["run", "-q", "-n", "2", "--threads", "100000", "exp.yaml"],
        &[],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    has(&err, &["note: --threads 100000"]);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

// ---------------------------------------------------------------- 3. memory budget

/// Case 3: values the validator accepts took 3-5 GB (1e7 VUs; 100k one-second buckets kept
/// for 150 replications). They are now refused before running, with the estimate and what
/// to change, by the gate's default budget (2 GiB) and run's (4 GiB). `run` folds each
/// replication's buckets as it finishes (`tests/memory_flat.rs`), so its estimate counts
/// the bounded running bands instead of 150 whole results; `check` and `diff` compact each
/// result as it finishes and keep no bands (alert rules aside, which read the buckets).
#[test]
fn an_experiment_that_cannot_fit_is_refused_before_running() {
    let s = Scratch::new("estimate");
    s.write("model.yaml", MODEL);
    s.write(
        "exp.yaml",
        format!(
            "{}{THRESHOLD}",
            EXPERIMENT.replace("vus: 2", "vus: 10000000")
        ),
    );
    let e = refused(&s.proj(), &["check", "-q", "exp.yaml"]);
    has(
        &e,
        &[
            "needs about",
            "10000000 VUs",
            "--max-memory 2.0 GiB",
            "fewer VUs",
        ],
    );
    s.write(
        "exp.yaml",
        format!(
            "{}{THRESHOLD}",
            EXPERIMENT
                .replace("duration: 5s", "duration: 27h")
                .replace("replications: 2", "replications: 150\nbucket: 1s")
        ),
    );
    // `check` without alert rules keeps compact results (2.6 KiB each), so what remains is
    // two running replications of 97230 buckets each: refused under 100 MiB.
    let e = refused(
        &s.proj(),
        &["check", "-q", "--max-memory", "100MiB", "exp.yaml"],
    );
    has(
        &e,
        &[
            "97230 time buckets",
            "per kept result x 150",
            "--max-memory 100.0 MiB",
            "coarser `bucket`",
        ],
    );
    assert!(!e.contains("running bands"), "{e}");
    let e = refused(
        &s.proj(),
        &["run", "-q", "--max-memory", "200MiB", "exp.yaml"],
    );
    has(
        &e,
        &[
            "97230 time buckets",
            "per kept result x 150 and",
            "of running bands",
        ],
    );
    // Lifted, the estimate no longer refuses it (a smaller run of the same shape passes).
    s.write(
        "exp.yaml",
        EXPERIMENT.replace("replications: 2", "replications: 2\nbucket: 1s"),
    );
    let (code, out, err) = capsim(
        &s.proj(),
        &["run", "-q", "--max-memory", "none", "exp.yaml"],
        &[],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    let e = refused(&s.proj(), &["run", "--max-memory", "lots", "exp.yaml"]);
    has(&e, &["--max-memory", "512MiB"]);
}

/// Work that piles up (a job queue fed 20,000 jobs/s and serving one per 10 s) grows the
/// state without bound; under a budget the replication stops with exit 2 and names the
/// counters, long before the 2 GiB hard limit.
#[test]
fn state_that_outgrows_its_share_stops_the_replication() {
    let s = Scratch::new("pileup");
    s.write(
        "model.yaml",
        MODEL.replace(
            "        - work: {exponential: {mean: 10ms}}\n",
            "        - work: {constant: 1ms}\n        - enqueue: {queue: jobs}\njob_queues:\n  jobs: {workers: 1, concurrency: 1, attempts: 1, steps: [{work: {constant: 10s}}]}\n",
        )
        .replace("workers: 4", "workers: 1000"),
    );
    s.write(
        "exp.yaml",
        "model: model.yaml\nreplications: 1\nflow:\n  - request: {endpoint: \"GET /\"}\nscenarios:\n  flood: {executor: constant-arrival-rate, rate: 20000, timeUnit: 1s, duration: 60s, preAllocatedVUs: 100, maxVUs: 1000}\n",
    );
    let e = refused(
        &s.proj(),
        &["run", "-q", "-t", "1", "--max-memory", "100MiB", "exp.yaml"],
    );
    has(
        &e,
        &[
            "replication 0 stopped",
            "requests and jobs",
            "over its share",
            "capacity",
        ],
    );
}

// ---------------------------------------------------------------- 4. report, calibrate

const PLAN: &str = "name: p\nexperiments:\n  exp: {}\n";

/// Hours of simulated time at thousands of busy VUs: minutes of CPU.
fn runaway(s: &Scratch) {
    s.write("model.yaml", MODEL.replace("workers: 4", "workers: 64"));
    s.write(
        "exp.yaml",
        EXPERIMENT
            .replace(
                "  - sleep: {constant: 1s}\n",
                "  - sleep: {constant: 1ms}\n",
            )
            .replace("vus: 2", "vus: 5000")
            .replace("duration: 5s", "duration: 10h")
            .replace("replications: 2", "replications: 64"),
    );
    s.write("plan.yaml", PLAN);
}

/// Case 4: `report` and `calibrate` refused `--max-wall-time`; they now accept it and stop
/// with exit 2 and no output.
#[test]
fn report_and_calibrate_take_a_wall_time_budget() {
    let s = Scratch::new("wall");
    runaway(&s);
    let e = refused(
        &s.proj(),
        &["report", ".", "-q", "--max-wall-time", "1s", "--out", "out"],
    );
    has(&e, &["--max-wall-time budget is spent"]);
    assert!(!s.proj().join("out").exists());
    let e = refused(
        &s.proj(),
        &[
            "calibrate",
            "exp.yaml",
            "-q",
            "--param",
            "services.web.workers=32..64",
            "--target",
            "http_req_duration.avg=5",
            "--max-wall-time",
            "1s",
            "--out",
            "fit.txt",
        ],
    );
    has(&e, &["--max-wall-time budget is spent"]);
    assert!(!s.proj().join("fit.txt").exists());
}

fn interrupt(s: &Scratch, signal: &str, args: &[&str]) -> (Option<i32>, String) {
    let child = spawn(&s.proj(), args, &[]);
    std::thread::sleep(Duration::from_millis(1500));
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let (code, out, err) = finish(child, args);
    (code, format!("{out}\n{err}"))
}

/// Case 4: `capsim report` ran on after SIGINT and SIGTERM and wrote its outputs; report
/// and calibrate now stop with 130/143 and write nothing.
#[test]
fn report_and_calibrate_stop_on_a_signal() {
    let s = Scratch::new("signals");
    runaway(&s);
    let (code, text) = interrupt(&s, "INT", &["report", ".", "-q", "--out", "out"]);
    assert_eq!(code, Some(130), "{text}");
    has(&text, &["without writing any output file"]);
    assert!(!s.proj().join("out").exists());
    let (code, text) = interrupt(
        &s,
        "TERM",
        &[
            "calibrate",
            "exp.yaml",
            "-q",
            "--param",
            "services.web.workers=32..64",
            "--target",
            "http_req_duration.avg=5",
            "--out",
            "fit.txt",
        ],
    );
    assert_eq!(code, Some(143), "{text}");
    assert!(!s.proj().join("fit.txt").exists());
}

// ---------------------------------------------------------------- 5. whole outputs

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Case 5: a run left its folder mixed (new summary.json beside the previous run's figures,
/// a stale `.latency.png.tmp-NNNN`). Now the folder is replaced whole, the leftovers of a
/// killed run are cleaned up, and a folder capsim did not write is refused.
#[test]
fn output_folders_are_replaced_whole() {
    let s = Scratch::new("whole");
    s.write("model.yaml", MODEL);
    s.write("exp.yaml", EXPERIMENT);
    let (code, out, err) = capsim(&s.proj(), &["run", "-q", "exp.yaml", "-o", "out"], &[]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(s.proj().join("out/latency.png").exists());
    // What a run killed mid-write left: a temporary file inside, a staging folder and a
    // set-aside folder beside (pid 4999999 is above the kernel's pid_max, so not running).
    s.write("out/.latency.png.tmp-4999999", "partial");
    std::fs::create_dir(s.proj().join(".out.capsim-tmp-4999999")).unwrap();
    s.write(".out.capsim-tmp-4999999/summary.json", "partial");
    std::fs::create_dir(s.proj().join(".out.capsim-old-4999999")).unwrap();
    let (code, out, err) = capsim(
        &s.proj(),
        &["run", "-q", "--no-plots", "exp.yaml", "-o", "out"],
        &[],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    // Only this run's files: no figure of the previous run, no temporary.
    assert_eq!(
        listing(&s.proj().join("out")),
        [
            ".capsim",
            "decisions.csv",
            "k6-summary.json",
            "latency.csv",
            "replications.csv",
            "summary.json",
            "timeseries.csv"
        ]
    );
    assert_eq!(
        listing(&s.proj()),
        ["exp.yaml", "model.yaml", "out"],
        "leftovers beside the folder"
    );
    // A folder of the user's own files is never replaced.
    let e = refused(&s.proj(), &["run", "-q", "exp.yaml", "-o", "."]);
    has(&e, &["files capsim did not write", "new or empty folder"]);
    assert_eq!(listing(&s.proj()), ["exp.yaml", "model.yaml", "out"]);
}

// ---------------------------------------------------------------- 7. interval domains

fn lower_bounds(v: &serde_json::Value, path: &str, out: &mut Vec<(String, f64)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if k == "ci95" {
                    if let Some(lo) = x.get(0).and_then(|l| l.as_f64()) {
                        out.push((path.to_string(), lo));
                    }
                } else {
                    lower_bounds(x, &format!("{path}.{k}"), out);
                }
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                lower_bounds(x, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Case 7: with 2 replications the t interval's half-width (12.7 standard errors) took
/// counts, rates, `min` and p(95) below 0. Every quantity in summary.json is a count, a
/// rate, a time, a proportion or a cost, so no lower bound may be negative.
#[test]
fn intervals_stay_in_their_domain() {
    let s = Scratch::new("domains");
    s.write("model.yaml", MODEL);
    s.write("exp.yaml", EXPERIMENT.replace("vus: 2", "vus: 20"));
    let (code, out, err) = capsim(
        &s.proj(),
        &["run", "-q", "--no-plots", "exp.yaml", "-o", "out"],
        &[],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.proj().join("out/summary.json")).unwrap()).unwrap();
    let mut bounds = Vec::new();
    lower_bounds(&json, "", &mut bounds);
    assert!(bounds.len() > 20, "{bounds:?}");
    let negative: Vec<_> = bounds.iter().filter(|(_, lo)| *lo < 0.0).collect();
    assert!(negative.is_empty(), "{negative:?}");
}

// ---------------------------------------------------------------- 8. I/O exit code

/// Case 8: an output that cannot be written exited 2, the code of bad input; it is now 3.
#[test]
fn output_failures_exit_3() {
    let s = Scratch::new("io");
    s.write("model.yaml", MODEL);
    s.write("exp.yaml", format!("{EXPERIMENT}{THRESHOLD}"));
    s.write("file", "a file where a folder is wanted");
    for args in [
        &["run", "-q", "exp.yaml", "-o", "file/out"][..],
        &["check", "-q", "exp.yaml", "--junit", "file/junit.xml"][..],
        &["run", "-q", "exp.yaml", "-o", "/proc/capsim-out"][..],
    ] {
        let (code, out, err) = capsim(&s.proj(), args, &[]);
        assert_eq!(code, Some(3), "{args:?}\n{out}\n{err}");
        has(&err, &["cannot write output"]);
    }
    // Bad input is still 2.
    refused(&s.proj(), &["run", "-q", "nosuch.yaml", "-o", "out"]);
}

// ---------------------------------------------------------------- 1. bounded messages

/// Case 1 (messages): the parse errors of k6 options and ASG documents reprinted the
/// offending value whole; now at most 40 characters of it, control characters removed.
#[test]
fn parse_errors_echo_a_bounded_excerpt() {
    let s = Scratch::new("echo");
    s.write("model.yaml", MODEL);
    let long = format!("{}\u{1b}[2J", "A".repeat(500));
    s.write(
        "k6.json",
        serde_json::json!({"vus": long, "duration": "5s"}).to_string(),
    );
    s.write(
        "exp.yaml",
        "model: model.yaml\nk6_options: k6.json\nflow:\n  - request: {endpoint: \"GET /\"}\n",
    );
    let e = refused(&s.proj(), &["validate", "exp.yaml"]);
    has(&e, &["vus", &"A".repeat(40)]);
    assert!(!e.contains(&"A".repeat(41)), "{e}");
    assert!(!e.contains('\u{1b}'), "{e}");
}

/// `capsim merge` reloads the experiment its shards name: that path is confined too.
#[test]
fn merge_confines_the_shards_experiment() {
    let s = Scratch::new("merge");
    s.write("model.yaml", MODEL);
    s.write("exp.yaml", EXPERIMENT);
    let (code, out, err) = capsim(
        &s.proj(),
        &["run", "-q", "exp.yaml", "--shard", "1/1", "-o", "part"],
        &[],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    let partial = s.proj().join("part/partial.yaml");
    let text = std::fs::read_to_string(&partial).unwrap();
    assert!(text.contains("experiment: exp.yaml"), "{text}");
    std::fs::write(
        &partial,
        text.replace("experiment: exp.yaml", "experiment: /etc/passwd"),
    )
    .unwrap();
    let e = refused(&s.proj(), &["merge", "part", "-o", "merged"]);
    has(&e, &["absolute path outside the project", "--allow-path"]);
    assert!(!e.contains("root:"), "{e}");
}
