//! Distribution specs and models: YAML forms, validation errors, and sampling checked
//! against theory with tolerances derived from standard errors.
//!
//! Statistical tolerances: every sampled check uses a fixed seed (so it is reproducible)
//! and allows 5 standard errors. For a mean the standard error is s/√n with s the sample
//! standard deviation; for a quantile it is the binomial standard error √(p(1−p)/n) of the
//! fraction of draws at or below the theoretical quantile. A correct implementation misses
//! a 5-SE band with probability below 1e-6 per check, and a wrong one (a mean off by 1 %,
//! a quantile off by 1 point) misses it with certainty at n = 200 000.

use capsim::error::FieldError;
use capsim::model::distribution::{Distribution, Z95, build};
use capsim::spec::distribution::{DistributionSpec, TimeUnit};
use capsim::time::Duration;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

/// Counts allocations made by the current thread, so that `sampling_does_not_allocate`
/// is not disturbed by tests running on other threads.
struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const N: usize = 200_000;
const SE: f64 = 5.0;

fn fixtures() -> capsim::spec::confine::Files {
    capsim::spec::confine::Files::for_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
    )
}

fn parse(yaml: &str) -> DistributionSpec {
    serde_saphyr::from_str::<DistributionSpec>(yaml)
        .unwrap_or_else(|e| panic!("{yaml:?} should parse: {e}"))
}

fn parse_err(yaml: &str) -> String {
    match serde_saphyr::from_str::<DistributionSpec>(yaml) {
        Ok(spec) => panic!("{yaml:?} should not parse, got {spec:?}"),
        Err(e) => e.to_string(),
    }
}

fn dist(yaml: &str) -> Distribution {
    build(&parse(yaml), &fixtures()).unwrap_or_else(|e| panic!("{yaml:?} should build: {e}"))
}

fn build_err(yaml: &str) -> FieldError {
    match build(&parse(yaml), &fixtures()) {
        Ok(d) => panic!("{yaml:?} should be rejected, got {}", d.describe()),
        Err(e) => e,
    }
}

fn draws(d: &Distribution, seed: u64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..N).map(|_| d.sample_secs(&mut rng)).collect()
}

fn mean_and_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// The sample mean is within 5 standard errors of `expected`, and `mean_secs` equals
/// `expected` (to 1e-9 relative).
fn assert_mean(d: &Distribution, expected: f64, seed: u64) {
    let rel = (d.mean_secs() - expected).abs() / expected;
    assert!(
        rel < 1e-9,
        "{}: mean_secs {} != {expected}",
        d.describe(),
        d.mean_secs()
    );
    let xs = draws(d, seed);
    assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0));
    let (mean, sd) = mean_and_sd(&xs);
    let tol = SE * sd / (N as f64).sqrt();
    assert!(
        (mean - expected).abs() <= tol,
        "{}: sample mean {mean} vs {expected}, tolerance {tol} (5 SE)",
        d.describe()
    );
}

/// The fraction of draws <= `q` is within 5 binomial standard errors of `p`.
fn assert_quantile(xs: &[f64], p: f64, q: f64, what: &str) {
    let n = xs.len() as f64;
    let frac = xs.iter().filter(|x| **x <= q).count() as f64 / n;
    let tol = SE * (p * (1.0 - p) / n).sqrt();
    assert!(
        (frac - p).abs() <= tol,
        "{what}: fraction below {q} is {frac}, expected {p} ± {tol} (5 binomial SE)"
    );
}

// ---------------------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------------------

#[test]
fn yaml_parses_every_form() {
    let ms = |x: u64| Duration(x * 1_000_000);
    assert_eq!(parse("constant: 5ms"), DistributionSpec::Constant(ms(5)));
    assert_eq!(parse("{constant: 5ms}"), DistributionSpec::Constant(ms(5)));
    match parse("exponential: {mean: 20ms}") {
        DistributionSpec::Exponential(e) => assert_eq!(e.mean, ms(20)),
        other => panic!("{other:?}"),
    }
    match parse("{uniform: {min: 1s, max: 4s}}") {
        DistributionSpec::Uniform(u) => assert_eq!((u.min, u.max), (ms(1000), ms(4000))),
        other => panic!("{other:?}"),
    }
    match parse("{normal: {mean: 50ms, stddev: 10ms, min: 0s, max: 200ms}}") {
        DistributionSpec::Normal(n) => {
            assert_eq!((n.mean, n.stddev), (ms(50), ms(10)));
            assert_eq!((n.min, n.max), (Some(ms(0)), Some(ms(200))));
        }
        other => panic!("{other:?}"),
    }
    match parse("{normal: {mean: 50ms, stddev: 10ms}}") {
        DistributionSpec::Normal(n) => assert_eq!((n.min, n.max), (None, None)),
        other => panic!("{other:?}"),
    }
    match parse("{lognormal: {median: 100ms, p95: 250ms}}") {
        DistributionSpec::Lognormal(l) => {
            assert_eq!(
                (l.median, l.p95, l.mean, l.sigma),
                (Some(ms(100)), Some(ms(250)), None, None)
            )
        }
        other => panic!("{other:?}"),
    }
    match parse("{lognormal: {mean: 120ms, p95: 300ms}}") {
        DistributionSpec::Lognormal(l) => {
            assert_eq!((l.mean, l.p95), (Some(ms(120)), Some(ms(300))))
        }
        other => panic!("{other:?}"),
    }
    match parse("{lognormal: {median: 100ms, sigma: 0.5}}") {
        DistributionSpec::Lognormal(l) => {
            assert_eq!((l.median, l.sigma), (Some(ms(100)), Some(0.5)))
        }
        other => panic!("{other:?}"),
    }
    match parse("{gamma: {mean: 15ms, shape: 2.0}}") {
        DistributionSpec::Gamma(g) => {
            assert_eq!((g.mean, g.shape, g.scale), (Some(ms(15)), 2.0, None))
        }
        other => panic!("{other:?}"),
    }
    match parse("{gamma: {shape: 3, scale: 5ms}}") {
        DistributionSpec::Gamma(g) => assert_eq!((g.shape, g.scale), (3.0, Some(ms(5)))),
        other => panic!("{other:?}"),
    }
    match parse("{empirical: {file: samples.csv, column: latency_ms, unit: us}}") {
        DistributionSpec::Empirical(e) => {
            assert_eq!(e.file, "samples.csv");
            assert_eq!(e.column.as_deref(), Some("latency_ms"));
            assert_eq!(e.unit, TimeUnit::Us);
        }
        other => panic!("{other:?}"),
    }
    match parse("{empirical: {file: samples.csv}}") {
        DistributionSpec::Empirical(e) => {
            assert_eq!(e.column, None);
            assert_eq!(e.unit, TimeUnit::Ms);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn yaml_unknown_field_names_it_and_the_allowed_ones() {
    let msg = parse_err("exponential: {mean: 20ms, meen: 3ms}");
    assert!(msg.contains("meen"), "{msg}");
    assert!(msg.contains("mean"), "{msg}");
    let msg = parse_err("lognormal: {median: 100ms, p99: 250ms}");
    assert!(msg.contains("p99") && msg.contains("p95"), "{msg}");
    let msg = parse_err("weibull: {shape: 2}");
    assert!(
        msg.contains("weibull") && msg.contains("lognormal"),
        "{msg}"
    );
    let msg = parse_err("empirical: {file: a.csv, unit: min}");
    assert!(msg.contains("min") && msg.contains("ms"), "{msg}");
}

#[test]
fn yaml_negative_or_unitless_durations_are_rejected() {
    let msg = parse_err("exponential: {mean: -5ms}");
    assert!(msg.contains("negative"), "{msg}");
    let msg = parse_err("exponential: {mean: 20}");
    assert!(msg.contains("unit"), "{msg}");
}

// ---------------------------------------------------------------------------------------
// Means of every family
// ---------------------------------------------------------------------------------------

#[test]
fn constant_is_deterministic() {
    let d = dist("constant: 5ms");
    assert!(d.is_deterministic());
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    for _ in 0..100 {
        assert_eq!(d.sample_nanos(&mut rng), 5_000_000);
    }
    assert_eq!(d.mean_secs(), 0.005);
    assert_eq!(d.variance_secs2(), 0.0);
    assert!(!dist("exponential: {mean: 5ms}").is_deterministic());
}

#[test]
fn exponential_mean() {
    let d = dist("exponential: {mean: 20ms}");
    assert_mean(&d, 0.020, 11);
    assert!((d.variance_secs2() - 0.0004).abs() < 1e-15);
}

#[test]
fn uniform_mean_and_bounds() {
    let d = dist("uniform: {min: 1s, max: 4s}");
    assert_mean(&d, 2.5, 12);
    let xs = draws(&d, 13);
    assert!(xs.iter().all(|x| (1.0..=4.0).contains(x)));
    assert_quantile(&xs, 0.25, 1.75, "uniform p25");
}

#[test]
fn gamma_mean_both_forms() {
    let d = dist("gamma: {mean: 15ms, shape: 2.0}");
    assert_mean(&d, 0.015, 14);
    let d = dist("gamma: {shape: 0.5, scale: 10ms}");
    assert_mean(&d, 0.005, 15);
    assert!((d.variance_secs2() - 0.5 * 0.01 * 0.01).abs() < 1e-15);
}

#[test]
fn lognormal_median_p95_reproduces_median_and_p95() {
    let d = dist("lognormal: {median: 100ms, p95: 250ms}");
    let sigma = (2.5f64).ln() / Z95;
    assert_mean(&d, 0.1 * (0.5 * sigma * sigma).exp(), 16);
    let xs = draws(&d, 17);
    assert_quantile(&xs, 0.5, 0.100, "lognormal median");
    assert_quantile(&xs, 0.95, 0.250, "lognormal p95");
    assert_eq!(d.describe(), "lognormal(median 100ms, p95 250ms)");
}

#[test]
fn lognormal_median_sigma_reproduces_median() {
    let d = dist("lognormal: {median: 100ms, sigma: 0.5}");
    assert_mean(&d, 0.1 * (0.125f64).exp(), 18);
    let xs = draws(&d, 19);
    assert_quantile(&xs, 0.5, 0.100, "lognormal median");
    // p95 = median * e^(z95 * sigma)
    assert_quantile(&xs, 0.95, 0.1 * (Z95 * 0.5).exp(), "lognormal p95");
}

#[test]
fn lognormal_mean_p95_reproduces_mean_and_p95() {
    let d = dist("lognormal: {mean: 120ms, p95: 300ms}");
    assert_mean(&d, 0.120, 20);
    let xs = draws(&d, 21);
    assert_quantile(&xs, 0.95, 0.300, "lognormal p95");
    let Distribution::LogNormal(l) = &d else {
        panic!("{d:?}")
    };
    // The smaller of the two roots: sigma below z95.
    assert!(l.sigma() < Z95, "sigma {}", l.sigma());
    assert!((l.p95_secs() - 0.3).abs() < 1e-12);
}

#[test]
fn lognormal_mean_p95_below_mean_takes_the_heavy_root() {
    // p95 < mean: only sigma = z95 + sqrt(z95^2 - 2 ln(p95/mean)) > 2 z95 exists.
    let d = dist("lognormal: {mean: 120ms, p95: 100ms}");
    let Distribution::LogNormal(l) = &d else {
        panic!("{d:?}")
    };
    assert!(l.sigma() > 2.0 * Z95, "sigma {}", l.sigma());
    assert!((d.mean_secs() - 0.12).abs() < 1e-12);
    assert!((l.p95_secs() - 0.1).abs() < 1e-12);
    // Too heavy-tailed for a sample-mean check; the p95 is checked empirically.
    assert_quantile(&draws(&d, 22), 0.95, 0.100, "heavy lognormal p95");
}

#[test]
fn lognormal_mean_p95_impossible_ratio_is_explained() {
    // p95/mean = 4 > e^(z95^2/2) = 3.8687
    let e = build_err("lognormal: {mean: 100ms, p95: 400ms}");
    assert_eq!(e.path, "lognormal.p95");
    assert!(e.message.contains("3.868"), "{e}");
    assert!(e.message.contains("no lognormal"), "{e}");
    // Just below the limit works.
    let d = dist("lognormal: {mean: 100ms, p95: 386ms}");
    assert_mean(&d, 0.1, 23);
}

#[test]
fn truncated_normal_within_bounds_and_analytic_mean() {
    // (spec, mean, stddev, min, max, seed)
    for (yaml, mu, sd, min, max, seed) in [
        (
            "normal: {mean: 50ms, stddev: 10ms, min: 0s, max: 200ms}",
            0.05,
            0.01,
            0.0,
            0.2,
            24,
        ),
        (
            "normal: {mean: 50ms, stddev: 30ms, min: 40ms, max: 60ms}",
            0.05,
            0.03,
            0.04,
            0.06,
            25,
        ),
        (
            "normal: {mean: 10ms, stddev: 20ms}",
            0.01,
            0.02,
            0.0,
            f64::INFINITY,
            26,
        ),
        // Upper tail, 3 standard deviations above the mean (sampled in the mirrored frame).
        (
            "normal: {mean: 10ms, stddev: 10ms, min: 40ms}",
            0.01,
            0.01,
            0.04,
            f64::INFINITY,
            27,
        ),
        (
            "normal: {mean: 10ms, stddev: 10ms, min: 40ms, max: 45ms}",
            0.01,
            0.01,
            0.04,
            0.045,
            28,
        ),
    ] {
        let d = dist(yaml);
        let xs = draws(&d, seed);
        assert!(
            xs.iter().all(|x| *x >= min && *x <= max),
            "{yaml}: a draw left [{min}, {max}]"
        );
        let expected = numeric_truncated_normal_mean(mu, sd, min, max);
        assert!(
            (d.mean_secs() - expected).abs() < 1e-9 * expected,
            "{yaml}: mean_secs {} vs numeric {expected}",
            d.mean_secs()
        );
        assert_mean(&d, expected, seed + 100);
    }
}

/// Mean of Normal(mu, sd) truncated to [min, max] by Simpson integration of x·φ,
/// independent of the closed form used by the library.
fn numeric_truncated_normal_mean(mu: f64, sd: f64, min: f64, max: f64) -> f64 {
    let hi = if max.is_finite() { max } else { mu + 40.0 * sd };
    let steps = 200_000;
    let h = (hi - min) / steps as f64;
    let pdf = |x: f64| (-0.5 * ((x - mu) / sd).powi(2)).exp();
    let (mut m0, mut m1) = (0.0, 0.0);
    for i in 0..=steps {
        let x = min + i as f64 * h;
        let w = if i == 0 || i == steps {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        m0 += w * pdf(x);
        m1 += w * x * pdf(x);
    }
    m1 / m0
}

#[test]
fn truncated_normal_far_tail_never_hangs() {
    // About 7 standard deviations out: mass ~1e-12, the smallest accepted.
    let d = dist("normal: {mean: 10ms, stddev: 1ms, min: 16.9ms, max: 1s}");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(29);
    for _ in 0..10_000 {
        let x = d.sample_secs(&mut rng);
        assert!((0.0169..=1.0).contains(&x), "{x}");
    }
    assert!(d.mean_secs() > 0.0169 && d.mean_secs() < 0.0172);
    let e = build_err("normal: {mean: 10ms, stddev: 1ms, min: 20ms}");
    assert_eq!(e.path, "normal");
    assert!(e.message.contains("widen stddev"), "{e}");
}

#[test]
fn empirical_reproduces_file_quantiles_and_mean() {
    let d = dist("empirical: {file: samples.csv, column: latency_ms}");
    // Read the file independently and compute numpy-style linear quantiles.
    let text = std::fs::read_to_string(fixtures().dir().join("samples.csv")).unwrap();
    let mut file: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<f64>().unwrap() / 1000.0)
        .collect();
    file.sort_by(f64::total_cmp);
    assert_eq!(file.len(), 200);
    let quantile = |p: f64| {
        let t = p * (file.len() - 1) as f64;
        let i = t.floor() as usize;
        let j = (i + 1).min(file.len() - 1);
        file[i] + (t - i as f64) * (file[j] - file[i])
    };
    let xs = draws(&d, 30);
    assert!(xs.iter().all(|x| *x >= file[0] && *x <= file[199]));
    for p in [0.05, 0.25, 0.5, 0.9, 0.99] {
        assert_quantile(&xs, p, quantile(p), &format!("empirical p{p}"));
    }
    // Mean of the piecewise-linear CDF: the average of the segment midpoints.
    let expected = file.windows(2).map(|w| 0.5 * (w[0] + w[1])).sum::<f64>() / 199.0;
    assert_mean(&d, expected, 31);
    assert!(
        d.describe()
            .starts_with("empirical(samples.csv, 200 samples")
    );
}

#[test]
fn empirical_first_column_and_units() {
    // First column is request_id = 1..=200, in seconds: uniform-like on [1 s, 200 s].
    let d = dist("empirical: {file: samples.csv, unit: s}");
    assert!((d.mean_secs() - 100.5).abs() < 1e-9, "{}", d.mean_secs());
    let d = dist("empirical: {file: samples.csv, unit: us}");
    assert!((d.mean_secs() - 100.5e-6).abs() < 1e-15);
    let one = build(&parse("empirical: {file: header_only.csv}"), &fixtures());
    assert!(one.is_err());
}

#[test]
fn sample_nanos_rounds() {
    let d = dist("uniform: {min: 1ns, max: 3ns}");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(32);
    let mut seen = [false; 4];
    for _ in 0..1000 {
        let ns = d.sample_nanos(&mut rng);
        assert!((1..=3).contains(&ns), "{ns}");
        seen[ns as usize] = true;
    }
    assert!(seen[1] && seen[2] && seen[3]);
}

// ---------------------------------------------------------------------------------------
// scaled, describe
// ---------------------------------------------------------------------------------------

#[test]
fn scaled_multiplies_every_time() {
    for yaml in [
        "constant: 5ms",
        "exponential: {mean: 20ms}",
        "uniform: {min: 1s, max: 4s}",
        "normal: {mean: 50ms, stddev: 30ms, min: 40ms, max: 60ms}",
        "lognormal: {median: 100ms, p95: 250ms}",
        "gamma: {mean: 15ms, shape: 2.0}",
        "empirical: {file: samples.csv, column: latency_ms}",
    ] {
        let d = dist(yaml);
        let s = d.scaled(2.5);
        let rel = (s.mean_secs() / d.mean_secs() - 2.5).abs();
        assert!(
            rel < 1e-9,
            "{yaml}: scaled mean {} vs {}",
            s.mean_secs(),
            d.mean_secs()
        );
        let rel = (s.variance_secs2() / d.variance_secs2().max(1e-300) - 6.25).abs();
        assert!(d.is_deterministic() || rel < 1e-9, "{yaml}: variance");
        // Draw by draw, the same stream gives 2.5 times the value.
        let mut a = Xoshiro256PlusPlus::seed_from_u64(33);
        let mut b = Xoshiro256PlusPlus::seed_from_u64(33);
        for _ in 0..100 {
            let (x, y) = (d.sample_secs(&mut a), s.sample_secs(&mut b));
            assert!(
                (y - 2.5 * x).abs() <= 1e-9 * y.max(1e-12),
                "{yaml}: {x} {y}"
            );
        }
        assert!(d.scaled(0.0).is_deterministic());
        assert_eq!(d.scaled(0.0).mean_secs(), 0.0);
    }
    assert_eq!(
        dist("lognormal: {median: 100ms, p95: 250ms}")
            .scaled(2.0)
            .describe(),
        "lognormal(median 200ms, p95 500ms)"
    );
}

#[test]
fn describe_is_short_and_readable() {
    assert_eq!(dist("constant: 5ms").describe(), "constant(5ms)");
    assert_eq!(
        dist("exponential: {mean: 20ms}").describe(),
        "exponential(mean 20ms)"
    );
    assert_eq!(
        dist("uniform: {min: 1s, max: 4s}").describe(),
        "uniform(1s to 4s)"
    );
    assert_eq!(
        dist("normal: {mean: 50ms, stddev: 10ms, max: 200ms}").describe(),
        "normal(mean 50ms, stddev 10ms, min 0s, max 200ms)"
    );
    assert_eq!(
        dist("lognormal: {mean: 120ms, p95: 300ms}").describe(),
        "lognormal(mean 120ms, p95 300ms)"
    );
    assert_eq!(
        dist("lognormal: {median: 100ms, sigma: 0.5}").describe(),
        "lognormal(median 100ms, sigma 0.5)"
    );
    assert_eq!(
        dist("gamma: {shape: 2, scale: 7.5ms}").describe(),
        "gamma(shape 2, mean 15ms)"
    );
}

// ---------------------------------------------------------------------------------------
// Validation errors
// ---------------------------------------------------------------------------------------

#[test]
fn p95_not_above_median_is_rejected() {
    for yaml in [
        "lognormal: {median: 100ms, p95: 100ms}",
        "lognormal: {median: 100ms, p95: 90ms}",
    ] {
        let e = build_err(yaml);
        assert_eq!(e.path, "lognormal.p95", "{e}");
        assert!(e.message.contains("must exceed the median"), "{e}");
    }
}

#[test]
fn lognormal_needs_exactly_one_form() {
    for yaml in [
        "lognormal: {median: 100ms, mean: 120ms}",
        "lognormal: {median: 100ms, p95: 250ms, sigma: 0.5}",
        "lognormal: {p95: 250ms}",
        "lognormal: {}",
    ] {
        let e = build_err(yaml);
        assert_eq!(e.path, "lognormal", "{yaml}: {e}");
        assert!(
            e.message
                .contains("{median, p95}, {mean, p95} or {median, sigma}"),
            "{e}"
        );
    }
}

#[test]
fn zero_negative_and_nan_parameters_are_rejected() {
    for (yaml, path) in [
        ("exponential: {mean: 0s}", "exponential.mean"),
        ("uniform: {min: 2s, max: 2s}", "uniform.max"),
        ("uniform: {min: 3s, max: 2s}", "uniform.max"),
        ("normal: {mean: 50ms, stddev: 0s}", "normal.stddev"),
        (
            "normal: {mean: 50ms, stddev: 5ms, min: 60ms, max: 60ms}",
            "normal.max",
        ),
        ("lognormal: {median: 0s, p95: 10ms}", "lognormal.median"),
        ("lognormal: {median: 10ms, sigma: -0.5}", "lognormal.sigma"),
        ("lognormal: {median: 10ms, sigma: .nan}", "lognormal.sigma"),
        ("lognormal: {mean: 0s, p95: 10ms}", "lognormal.mean"),
        ("gamma: {mean: 15ms, shape: 0}", "gamma.shape"),
        ("gamma: {mean: 15ms, shape: -2}", "gamma.shape"),
        ("gamma: {mean: 15ms, shape: .nan}", "gamma.shape"),
        ("gamma: {mean: 0s, shape: 2}", "gamma.mean"),
        ("gamma: {shape: 2}", "gamma"),
        ("gamma: {shape: 2, mean: 1s, scale: 1s}", "gamma"),
    ] {
        let e = build_err(yaml);
        assert_eq!(e.path, path, "{yaml}: {e}");
        assert!(!e.message.is_empty());
    }
}

#[test]
fn empirical_file_errors_name_the_file_and_line() {
    let e = build_err("empirical: {file: missing.csv}");
    assert_eq!(e.path, "empirical.file");
    assert!(e.message.contains("missing.csv"), "{e}");

    let e = build_err("empirical: {file: bad_row.csv}");
    assert_eq!(e.path, "empirical.file");
    assert!(e.message.contains("bad_row.csv line 4"), "{e}");
    assert!(e.message.contains("\"abc\" is not a number"), "{e}");

    let e = build_err("empirical: {file: negative.csv}");
    assert_eq!(e.path, "empirical.file");
    assert!(
        e.message.contains("negative.csv line 3") && e.message.contains("negative"),
        "{e}"
    );

    let e = build_err("empirical: {file: header_only.csv}");
    assert_eq!(e.path, "empirical.file");
    assert!(e.message.contains("no samples"), "{e}");

    let e = build_err("empirical: {file: ragged.csv, column: b}");
    assert_eq!(e.path, "empirical.file");
    assert!(e.message.contains("ragged.csv line 3"), "{e}");

    let e = build_err("empirical: {file: samples.csv, column: latency}");
    assert_eq!(e.path, "empirical.column");
    assert!(e.message.contains("did you mean \"latency_ms\""), "{e}");
}

#[test]
fn errors_nest_under_the_callers_path() {
    let e = build_err("lognormal: {median: 100ms, p95: 50ms}").within("services.api.service_time");
    assert_eq!(e.path, "services.api.service_time.lognormal.p95");
}

#[test]
fn sampling_does_not_allocate() {
    let all: Vec<Distribution> = [
        "constant: 5ms",
        "exponential: {mean: 20ms}",
        "uniform: {min: 1s, max: 4s}",
        "normal: {mean: 10ms, stddev: 10ms, min: 40ms}",
        "lognormal: {median: 100ms, p95: 250ms}",
        "gamma: {shape: 0.5, scale: 10ms}",
        "empirical: {file: samples.csv, column: latency_ms}",
    ]
    .iter()
    .map(|y| dist(y))
    .collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(34);
    let before = ALLOCATIONS.with(Cell::get);
    let mut total = 0u64;
    for d in &all {
        for _ in 0..1000 {
            total = total.wrapping_add(d.sample_nanos(&mut rng));
        }
    }
    let after = ALLOCATIONS.with(Cell::get);
    assert!(total > 0);
    assert_eq!(
        after - before,
        0,
        "sampling allocated {} times",
        after - before
    );
    // The counter works: a Vec allocates.
    let v = std::hint::black_box(vec![1u8; 16]);
    assert_eq!(ALLOCATIONS.with(Cell::get) - after, 1, "{v:?}");
}
