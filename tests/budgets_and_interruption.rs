//! Budgets and interruption: `--max-wall-time` and `--max-events` stop a runaway experiment
//! with exit 2 and a message, on run, check and sweep; SIGINT and SIGTERM stop a run
//! promptly with exit 130/143, say how many replications finished, and leave no output
//! file (finished or temporary) behind.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("capsim-budget-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("model.yaml"), MODEL).unwrap();
        std::fs::write(dir.join("runaway.yaml"), RUNAWAY).unwrap();
        Scratch(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Every file under the scratch folder's `out/`, hidden ones included.
    fn outputs(&self) -> Vec<String> {
        match std::fs::read_dir(self.0.join("out")) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const MODEL: &str = r#"name: tiny
endpoints:
  "GET /": {service: web, operation: index}
services:
  web:
    replicas: 4
    workers: 64
    operations:
      index:
        - work: {exponential: {mean: 1ms}}
"#;

/// Hours of simulated time with thousands of VUs that barely sleep: days of CPU time.
const RUNAWAY: &str = r#"model: model.yaml
replications: 64
flow:
  - request: {endpoint: "GET /"}
  - sleep: {constant: 1ms}
scenarios:
  flood: {executor: constant-vus, vus: 5000, duration: 10h}
thresholds:
  http_req_duration: ['p(95)<500']
sweep:
  services.web.workers: [32, 64]
"#;

fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start capsim")
}

use common::wait_bounded as finish;

fn capsim(dir: &Path, args: &[&str]) -> (Option<i32>, String, String, Duration) {
    finish(
        spawn(dir, args),
        Duration::from_secs(60),
        &format!("{args:?}"),
    )
}

#[track_caller]
fn budget_stops(args: &[&str], wanted: &[&str]) {
    let dir = Scratch::new(&args[0..2].join("-").replace(['.', '/'], "_"));
    let (code, out, err, took) = capsim(dir.path(), args);
    assert_eq!(
        code,
        Some(2),
        "{args:?}: want exit 2\nstdout:\n{out}\nstderr:\n{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    for w in wanted {
        assert!(err.contains(w), "{args:?}: missing {w:?} in:\n{err}");
    }
    assert!(took < Duration::from_secs(30), "{args:?} took {took:?}");
    assert!(
        dir.outputs().is_empty(),
        "{args:?} wrote {:?}",
        dir.outputs()
    );
}

#[test]
fn max_wall_time_stops_a_runaway_run() {
    budget_stops(
        &["run", "runaway.yaml", "--max-wall-time", "1s", "-o", "out"],
        &["--max-wall-time budget is spent", "simulated time"],
    );
}

#[test]
fn max_wall_time_stops_a_runaway_check() {
    budget_stops(
        &[
            "check",
            "runaway.yaml",
            "--max-wall-time",
            "1s",
            "--junit",
            "out/junit.xml",
        ],
        &["--max-wall-time budget is spent"],
    );
}

#[test]
fn max_wall_time_stops_a_runaway_sweep() {
    budget_stops(
        &[
            "sweep",
            "runaway.yaml",
            "--max-wall-time",
            "1500ms",
            "-o",
            "out",
        ],
        &["--max-wall-time budget is spent"],
    );
}

#[test]
fn max_events_stops_check_and_sweep() {
    budget_stops(
        &["check", "runaway.yaml", "--max-events", "100000"],
        &["--max-events budget is spent", "after 100000 events"],
    );
    budget_stops(
        &[
            "sweep",
            "runaway.yaml",
            "--max-events",
            "100000",
            "-o",
            "out",
        ],
        &["--max-events budget is spent"],
    );
}

#[test]
fn a_malformed_wall_time_is_refused() {
    let dir = Scratch::new("malformed");
    for bad in ["10x", "-1s", "soon", ""] {
        let arg = format!("--max-wall-time={bad}");
        let (code, _, err, _) = capsim(dir.path(), &["run", "runaway.yaml", &arg]);
        assert_eq!(code, Some(2), "{bad:?}: {err}");
        assert!(err.contains("--max-wall-time"), "{bad:?}: {err}");
    }
}

#[test]
fn wall_time_none_means_no_limit() {
    let dir = Scratch::new("none");
    std::fs::write(
        dir.path().join("short.yaml"),
        RUNAWAY
            .replace("vus: 5000, duration: 10h", "vus: 5, duration: 2s")
            .replace("replications: 64", "replications: 2"),
    )
    .unwrap();
    let (code, out, err, _) = capsim(
        dir.path(),
        &["run", "short.yaml", "--max-wall-time", "none", "-q"],
    );
    assert!(matches!(code, Some(0 | 1)), "{out}{err}");
}

/// Sends `signal` (by name, via kill(1)) to `child` once it has run for `after`.
fn signal_after(child: &Child, signal: &str, after: Duration) {
    std::thread::sleep(after);
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill(1)");
    assert!(status.success());
}

#[track_caller]
fn interrupted(signal: &str, code: i32, args: &[&str]) {
    let dir = Scratch::new(&format!("{signal}-{}", args[0]));
    let child = spawn(dir.path(), args);
    signal_after(&child, signal, Duration::from_millis(1000));
    let sent = Instant::now();
    let (got, out, err, _) = finish(child, Duration::from_secs(30), signal);
    let took = sent.elapsed();
    assert_eq!(
        got,
        Some(code),
        "{signal}: want exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    );
    assert!(
        err.contains(&format!("interrupted by SIG{signal}")),
        "{err}"
    );
    assert!(
        err.contains("replications had finished") || err.contains("replication had finished"),
        "{err}"
    );
    assert!(err.contains("without writing any output file"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        took < Duration::from_secs(5),
        "{signal}: took {took:?} to stop"
    );
    assert!(
        dir.outputs().is_empty(),
        "{signal}: left {:?}",
        dir.outputs()
    );
}

#[test]
fn sigint_stops_a_run_without_output() {
    interrupted("INT", 130, &["run", "runaway.yaml", "-o", "out"]);
}

#[test]
fn sigterm_stops_a_check_without_output() {
    interrupted(
        "TERM",
        143,
        &[
            "check",
            "runaway.yaml",
            "--junit",
            "out/junit.xml",
            "--markdown",
            "out/summary.md",
        ],
    );
}

#[test]
fn sigint_stops_a_sweep_without_output() {
    interrupted("INT", 130, &["sweep", "runaway.yaml", "-o", "out"]);
}

#[test]
fn finished_replications_are_counted() {
    // Short replications: several finish before the signal, and the message counts them.
    let dir = Scratch::new("count");
    std::fs::write(
        dir.path().join("many.yaml"),
        RUNAWAY
            .replace("vus: 5000, duration: 10h", "vus: 5, duration: 10s")
            .replace("replications: 64", "replications: 100000"),
    )
    .unwrap();
    let child = spawn(dir.path(), &["run", "many.yaml", "-t", "1", "-o", "out"]);
    signal_after(&child, "INT", Duration::from_millis(1500));
    let (code, out, err, _) = finish(child, Duration::from_secs(30), "count");
    assert_eq!(code, Some(130), "{out}{err}");
    let n: u64 = err
        .split("interrupted by SIGINT (Ctrl-C): ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {err}"));
    assert!((1..100_000).contains(&n), "{n} in {err}");
    assert!(dir.outputs().is_empty(), "left {:?}", dir.outputs());
}

#[test]
fn engine_budget_checks_the_stop_flag_and_the_deadline() {
    use capsim::engine::{Budget, RunError, run_replication};
    use std::sync::atomic::AtomicBool;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exp = capsim::model::load::load_experiment(&root.join("experiments/mm1.yaml")).unwrap();
    static STOP: AtomicBool = AtomicBool::new(true);
    let stopped = Budget {
        stop: Some(&STOP),
        ..Budget::default()
    };
    assert_eq!(
        run_replication(&exp, 0, stopped).unwrap_err(),
        RunError::Interrupted { replication: 0 }
    );
    let late = Budget {
        deadline: Some(Instant::now()),
        ..Budget::default()
    };
    assert!(matches!(
        run_replication(&exp, 3, late),
        Err(RunError::WallTime { replication: 3, .. })
    ));
    // A deadline far away changes nothing: the same result as no budget at all.
    let far = Budget {
        deadline: Some(Instant::now() + Duration::from_secs(3600)),
        ..Budget::default()
    };
    let a = run_replication(&exp, 1, far).unwrap();
    let b = run_replication(&exp, 1, Budget::default()).unwrap();
    assert_eq!(format!("{:?}", a.accounting), format!("{:?}", b.accounting));
}
