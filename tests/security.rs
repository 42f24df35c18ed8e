//! Untrusted configs (issue 11): a pull request controls every config file and capsim runs
//! in the CI job. These tests run the built binary on files in a scratch folder (no `.git`
//! above it, so the scratch folder is the root) and check that paths are confined, messages
//! never echo files outside the root, a zero-time loop stops with exit 2 under a hard memory
//! limit, `--threads` is capped, and output I/O failures have their own exit code (74).

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
    let mut child = cmd.spawn().expect("start capsim under prlimit");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("capsim {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
