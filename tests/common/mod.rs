//! Helpers shared by the integration tests that run the capsim binary: waiting for a child
//! with a deadline (so a hang fails one test instead of blocking the suite) and joining a
//! finished command's output; `k6_project`: a k6 script test's folder, load and plan.
#![allow(dead_code)] // each test binary uses its own subset

pub mod k6_project;

use std::process::{Child, Output};
use std::time::{Duration, Instant};

/// Waits for `child` at most `limit`; kills it and fails the test naming `what` when it is
/// still running. Returns (exit code, stdout, stderr, time taken).
pub fn wait_bounded(
    mut child: Child,
    limit: Duration,
    what: &str,
) -> (Option<i32>, String, String, Duration) {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = start.elapsed();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
    )
}

/// A finished command's stdout followed by its stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
