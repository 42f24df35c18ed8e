//! Seeded fuzzing in the normal test suite: mutations of valid models, experiments,
//! thresholds, durations and k6 options JSON go through the same entry points as the
//! cargo-fuzz targets (capsim::fuzzing, fuzz/), with a fixed seed and a bounded number of
//! cases, so CI repeats exactly the same inputs. A panic is a failure; the offending input
//! is printed (add it to tests/fuzz_regressions.rs once fixed).
//!
//! Longer campaigns: `CAPSIM_FUZZ_CASES=200000 CAPSIM_FUZZ_SEED=7 cargo test --test
//! fuzz_properties -- --nocapture` (cases per target; the seed picks other inputs).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// splitmix64: small, seedable, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn cases(default: usize) -> usize {
    std::env::var("CAPSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    std::env::var("CAPSIM_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_260_401)
}

/// Values that break parsers and arithmetic.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "-0",
    "1",
    "0.5",
    "1e308",
    "-1e308",
    "1e-320",
    ".nan",
    ".inf",
    "-.inf",
    "NaN",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "1000000000",
    "0x10",
    "1_000",
    "",
    "~",
    "null",
    "true",
    "[]",
    "{}",
    "\"\"",
    "'1'",
    "1.",
    ".5",
    "1e",
    "99999999999999999999999",
];

const DURATIONS: &[&str] = &[
    "0",
    "0s",
    "1ns",
    "1ms",
    "1s",
    "1m",
    "1h",
    "1.5h",
    "2h45m",
    "-1s",
    "1x",
    "s",
    "1",
    "1e400s",
    "99999999999h",
    "1..5s",
    "1µs",
    "1us",
    "0.0000001ns",
    "300000000h",
    "1h1h1h",
    "1s-1s",
    "+5s",
    " 5s ",
    "5 s",
    "5S",
    "∞s",
    "0.5ns",
    "1000000000000000000ns",
];

const TOKENS: &[&str] = &[
    ":",
    "-",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "!!binary ",
    "? ",
    "|",
    ">",
    "#",
    "\"",
    "'",
    "\t",
    "\n",
    "  ",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "\u{0}",
    "\u{feff}",
    "<<: *a\n",
    "é",
    "\\",
    "@",
    "`",
];

/// Applies 1 to 4 random mutations to `text`.
fn mutate(rng: &mut Rng, text: &str, keys: &[String]) -> String {
    let mut s = text.to_string();
    for _ in 0..1 + rng.below(4) {
        s = mutate_once(rng, &s, keys);
    }
    s
}

fn char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Spans of `s` that look like numbers or durations (digits, dots, then letters).
fn tokens(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

fn mutate_once(rng: &mut Rng, s: &str, keys: &[String]) -> String {
    let lines: Vec<&str> = s.lines().collect();
    match rng.below(12) {
        // A number or duration replaced by a hostile one.
        0..=2 => {
            let spans = tokens(s);
            if spans.is_empty() {
                return s.to_string();
            }
            let (a, b) = *rng.pick(&spans);
            let with = if rng.below(2) == 0 {
                rng.pick(NUMBERS)
            } else {
                rng.pick(DURATIONS)
            };
            format!("{}{}{}", &s[..a], with, &s[b..])
        }
        // A line deleted, duplicated or moved.
        3 if !lines.is_empty() => {
            let mut l = lines.clone();
            let i = rng.below(l.len());
            match rng.below(3) {
                0 => {
                    l.remove(i);
                }
                1 => l.insert(i, lines[i]),
                _ => {
                    let line = l.remove(i);
                    let j = rng.below(l.len() + 1);
                    l.insert(j, line);
                }
            }
            l.join("\n")
        }
        // Indentation changed.
        4 if !lines.is_empty() => {
            let mut l: Vec<String> = lines.iter().map(|x| x.to_string()).collect();
            let i = rng.below(l.len());
            l[i] = if rng.below(2) == 0 {
                format!("  {}", l[i])
            } else {
                l[i].trim_start().to_string()
            };
            l.join("\n")
        }
        // A syntax token inserted.
        5 | 6 => {
            let i = char_boundary(s, rng.below(s.len() + 1));
            format!("{}{}{}", &s[..i], rng.pick(TOKENS), &s[i..])
        }
        // A span deleted.
        7 => {
            let a = char_boundary(s, rng.below(s.len() + 1));
            let b = char_boundary(s, a + rng.below(40));
            format!("{}{}", &s[..a], &s[b..])
        }
        // Truncated.
        8 => s[..char_boundary(s, rng.below(s.len() + 1))].to_string(),
        // A key of the corpus put in place of a word (type confusion, unknown fields).
        9 if !keys.is_empty() => {
            let words: Vec<(usize, usize)> = s
                .match_indices(|c: char| c.is_ascii_alphabetic())
                .map(|(i, _)| i)
                .filter(|&i| i == 0 || !s.as_bytes()[i - 1].is_ascii_alphanumeric())
                .map(|i| {
                    let end = s[i..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                        .map_or(s.len(), |e| i + e);
                    (i, end)
                })
                .collect();
            if words.is_empty() {
                return s.to_string();
            }
            let (a, b) = *rng.pick(&words);
            format!("{}{}{}", &s[..a], rng.pick(keys), &s[b..])
        }
        // A random line of the same text spliced in elsewhere (a block in the wrong place).
        10 if !lines.is_empty() => {
            let mut l = lines.clone();
            let from = *rng.pick(&lines);
            let at = rng.below(l.len() + 1);
            l.insert(at, from);
            l.join("\n")
        }
        // A random byte flipped.
        _ => {
            let mut bytes = s.as_bytes().to_vec();
            if !bytes.is_empty() {
                let i = rng.below(bytes.len());
                bytes[i] = (rng.next() & 0x7f) as u8;
            }
            String::from_utf8(bytes).unwrap_or_else(|_| s.to_string())
        }
    }
}

/// The keys (`word:`) that appear in the seeds, for type-confusion mutations.
fn keys_of(seeds: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = seeds
        .iter()
        .flat_map(|s| s.lines())
        .filter_map(|l| l.trim_start().trim_start_matches("- ").split_once(':'))
        .map(|(k, _)| k.trim().trim_matches(['"', '\'']).to_string())
        .filter(|k| !k.is_empty() && k.len() < 40 && !k.contains(' '))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Runs `target` on `n` mutations of the seeds; panics listing every input that panicked.
fn campaign(name: &str, seeds: &[String], n: usize, target: fn(&[u8])) {
    assert!(!seeds.is_empty());
    let keys = keys_of(seeds);
    let mut rng = Rng(seed() ^ name.bytes().fold(0u64, |h, b| h.rotate_left(5) ^ b as u64));
    let start = Instant::now();
    let mut failures = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    // The seeds themselves first: they must pass untouched.
    let inputs = seeds
        .iter()
        .cloned()
        .chain((0..n).map(|_| {
            let base = rng.pick(seeds).clone();
            mutate(&mut rng, &base, &keys)
        }))
        .collect::<Vec<_>>();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for input in &inputs {
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| target(input.as_bytes())));
        let took = t.elapsed();
        if took > slowest.0 {
            slowest = (took, input.clone());
        }
        if let Err(payload) = outcome {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{message}\n--- input ---\n{input:?}"));
        }
    }
    std::panic::set_hook(previous);
    eprintln!(
        "{name}: {} inputs in {:.2?}; slowest {:.2?}",
        inputs.len(),
        start.elapsed(),
        slowest.0
    );
    assert!(
        slowest.0 < Duration::from_secs(5),
        "{name}: one input took {:.2?}:\n{:?}",
        slowest.0,
        slowest.1
    );
    assert!(
        failures.is_empty(),
        "{name}: {} of {} inputs panicked; the first:\n{}",
        failures.len(),
        inputs.len(),
        failures[0]
    );
}

fn read_dir_yaml(dir: &str) -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[test]
fn model_loader_survives_mutations() {
    let mut seeds = read_dir_yaml("models");
    seeds.push(capsim::fuzzing::FUZZ_MODEL.to_string());
    campaign(
        "model_yaml",
        &seeds,
        cases(1500),
        capsim::fuzzing::model_yaml,
    );
}

/// Valid experiments on capsim::fuzzing::FUZZ_MODEL, one per executor and feature.
const EXPERIMENTS: &[&str] = &[
    r#"model: m.yaml
replications: 1
bucket: 1s
client_timeout: 2s
flow:
  - request: {endpoint: "GET /", checks: {"ok": status_ok, "fast": {duration_below: 50ms}}}
  - sleep: {constant: 100ms}
scenarios:
  load: {executor: constant-vus, vus: 20, duration: 5s}
thresholds:
  http_req_duration: ['p(95)<500', 'avg<200']
  http_req_failed: ['rate<0.05']
  'http_req_duration{endpoint:GET /}': ['p(99)<1000']
"#,
    r#"model: m.yaml
rps: 50
flows:
  browse:
    - request: {endpoint: "GET /"}
    - sleep: {uniform: {min: 10ms, max: 200ms}}
  buy:
    - request: {endpoint: "POST /order"}
    - sleep: {exponential: {mean: 50ms}}
scenarios:
  shoppers:
    executor: ramping-vus
    exec: browse
    startTime: 1s
    startVUs: 1
    stages: [{duration: 2s, target: 10}, {duration: 2s, target: 0}]
    gracefulRampDown: 1s
  buyers:
    executor: constant-arrival-rate
    exec: buy
    rate: 40
    timeUnit: 1s
    duration: 3s
    preAllocatedVUs: 5
    maxVUs: 20
"#,
    r#"model: m.yaml
flow:
  - request: {endpoint: "POST /order"}
scenarios:
  rar:
    executor: ramping-arrival-rate
    startRate: 10
    timeUnit: 1s
    preAllocatedVUs: 2
    maxVUs: 10
    stages: [{duration: 2s, target: 30}, {duration: 1s, target: 0}]
  pervu: {executor: per-vu-iterations, vus: 3, iterations: 4, maxDuration: 5s}
  shared: {executor: shared-iterations, vus: 2, iterations: 10, maxDuration: 5s}
thresholds:
  http_reqs: ['count>1', 'rate>0.1']
  checks: ['rate>0.9']
"#,
    r#"model: m.yaml
k6_options: k6.json
flow:
  - request: {endpoint: "GET /"}
  - sleep: {constant: 1s}
"#,
    r#"model: m.yaml
flow:
  - request: {endpoint: "GET /"}
scenarios:
  poisson: {executor: poisson-arrival-rate, rate: 20, timeUnit: 1s, duration: 3s, preAllocatedVUs: 5, maxVUs: 10}
  more: {executor: constant-vus, vus: 3, duration: 2s, startTime: 1s, gracefulStop: 0s}
"#,
];

#[test]
fn experiment_loader_survives_mutations() {
    let seeds: Vec<String> = EXPERIMENTS.iter().map(|s| s.to_string()).collect();
    campaign(
        "experiment_yaml",
        &seeds,
        cases(600),
        capsim::fuzzing::experiment_yaml,
    );
}

#[test]
fn the_experiment_seeds_are_valid() {
    // Mutating invalid seeds would only test the first error; check they all build.
    let model = capsim::model::load::model_from_str(
        capsim::fuzzing::FUZZ_MODEL,
        std::path::Path::new("m.yaml"),
        std::path::Path::new("."),
    )
    .unwrap();
    for (i, text) in EXPERIMENTS.iter().enumerate() {
        capsim::model::load::experiment_from_str(
            text,
            std::path::Path::new("e.yaml"),
            model.clone(),
            Some(capsim::fuzzing::FUZZ_K6),
        )
        .unwrap_or_else(|e| panic!("seed {i}: {e}"));
    }
}

#[test]
fn threshold_parser_survives_mutations() {
    let seeds: Vec<String> = [
        "http_req_duration\np(95)<500",
        "http_req_duration\navg < 200",
        "http_req_duration{endpoint:GET /}\np(99.9)<=1000",
        "http_req_failed\nrate<0.01",
        "http_reqs\ncount>100",
        "http_reqs\nrate>=10",
        "checks\nrate>0.99",
        "http_req_duration{name:POST /order}\nmed<100",
        "iteration_duration\nmax<5000",
        "http_req_duration\np(0)>0",
        "vus\nvalue<100",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    campaign("threshold", &seeds, cases(5000), capsim::fuzzing::threshold);
}

#[test]
fn duration_parser_survives_mutations() {
    let seeds: Vec<String> = DURATIONS.iter().map(|s| s.to_string()).collect();
    campaign("duration", &seeds, cases(5000), capsim::fuzzing::duration);
}

#[test]
fn k6_options_parser_survives_mutations() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seeds: Vec<String> = ["k6-inspect.json", "k6-inspect-no-ext.json"]
        .iter()
        .map(|f| std::fs::read_to_string(root.join(f)).unwrap())
        .collect();
    seeds.push(capsim::fuzzing::FUZZ_K6.to_string());
    seeds.push(r#"{"vus": 10, "duration": "30s"}"#.to_string());
    seeds.push(
        r#"{"stages": [{"duration": "10s", "target": 5}, {"duration": "1m", "target": 0}]}"#
            .to_string(),
    );
    seeds.push(r#"{"vus": 2, "iterations": 10}"#.to_string());
    campaign(
        "k6_options",
        &seeds,
        cases(2000),
        capsim::fuzzing::k6_options,
    );
}
