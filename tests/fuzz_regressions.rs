//! Inputs that once hung or crashed a loader, found while fuzzing (cargo-fuzz targets in
//! fuzz/, seeded mutations in tests/fuzz_properties.rs) or reviewing what the fuzz
//! targets can reach. Each must now be refused quickly, without a panic.

use std::path::Path;
use std::time::{Duration, Instant};

#[track_caller]
fn quickly<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{what} took {:?}",
        start.elapsed()
    );
    out
}

/// `/dev/zero` has length 0 in its metadata and never ends: reading it as a model, an
/// experiment or an HPA manifest used to run until memory ran out.
#[cfg(unix)]
#[test]
fn device_files_are_not_read() {
    for dev in ["/dev/zero", "/dev/null", "/dev/urandom"] {
        let e = quickly(dev, || capsim::spec::read::read_text(Path::new(dev))).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{dev}: {e}");
        let e = quickly(dev, || capsim::model::load::load_model(Path::new(dev))).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{dev}: {e}");
    }
}

/// An `empirical` distribution whose sample file is `/dev/zero` used to make the CSV reader
/// read one endless header line.
#[cfg(unix)]
#[test]
fn empirical_samples_from_a_device_are_refused() {
    let model = capsim::fuzzing::FUZZ_MODEL.replace(
        "- work: {constant: 5ms}",
        "- work: {empirical: {file: /dev/zero}}",
    );
    assert_ne!(model, capsim::fuzzing::FUZZ_MODEL);
    let e = quickly("empirical /dev/zero", || {
        capsim::model::load::model_from_str(&model, Path::new("m.yaml"), Path::new("."))
    })
    .unwrap_err();
    // Refused before any read: an absolute path leaves the project (tests/bad_input.rs
    // widens the roots to /dev to check the "not a regular file" refusal as well).
    assert!(
        e.to_string()
            .contains("`/dev/zero` is an absolute path outside the project"),
        "{e}"
    );
}

/// Every input under tests/fixtures/fuzz/TARGET/ (crash and hang inputs kept from fuzzing
/// campaigns) runs through its target without a panic.
#[test]
fn kept_fuzz_inputs_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    type Target = fn(&[u8]);
    let targets: [(&str, Target); 5] = [
        ("model_yaml", capsim::fuzzing::model_yaml),
        ("experiment_yaml", capsim::fuzzing::experiment_yaml),
        ("threshold", capsim::fuzzing::threshold),
        ("duration", capsim::fuzzing::duration),
        ("k6_options", capsim::fuzzing::k6_options),
    ];
    for (name, target) in targets {
        let Ok(entries) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        for entry in entries.flatten() {
            let data = std::fs::read(entry.path()).unwrap();
            quickly(&entry.path().display().to_string(), || target(&data));
        }
    }
}
