//! Renders every figure and both reports from small real runs (summary.json and
//! timeseries.csv written by the library, as `capsim run --out` does) and checks the
//! files: PNGs decode at the planned size and are not blank, SVGs are SVG, report.md links
//! every figure, report.html is self-contained (figures inlined, no network references).
//!
//! No system fonts are needed: plotters draws with the embedded DejaVu font (ab_glyph).

use capsim::aggregate::{series_columns, summarize, time_series};
use capsim::engine::Budget;
use capsim::model::load::load_experiment;
use capsim::replicate::{RunPlan, run_replications};
use capsim::report::data::LATENCY_FILE;
use capsim::report::figures::{FIGURE_STEMS, FigureOptions, plan};
use capsim::report::files;
use capsim::report::render::{REPORT_HTML, REPORT_MD};
use capsim::run_folder::load_run;
use capsim::run_folder::{render_all, render_all_with};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Runs `experiment` with `replications` and writes summary.json and timeseries.csv into a
/// fresh folder named `name`.
fn run_into(experiment: &str, replications: u32, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("figures-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(experiment);
    let mut exp = load_experiment(&path).unwrap_or_else(|e| panic!("{experiment}: {e}"));
    exp.replications = replications;
    let plan = RunPlan {
        indices: 0..replications,
        threads: Some(2),
        budget: Budget::default(),
    };
    let results = run_replications(&exp, &plan, &|_| {}).unwrap();
    let summary = summarize(&exp, &results);
    capsim::run_folder::write_atomic(&dir.join("summary.json"), &files::summary_json(&summary))
        .unwrap();
    let csv = files::timeseries_csv(&series_columns(&exp), &time_series(&exp, &results));
    capsim::run_folder::write_atomic(&dir.join("timeseries.csv"), &csv).unwrap();
    dir
}

/// A stand-in for the engine's latency.csv (see `capsim::report::data`): log-normal
/// percentiles 0..100 in steps of 0.5 for all requests (`*`) and each endpoint.
fn write_latency_csv(dir: &Path, endpoints: &[&str]) {
    let mut out = String::from("endpoint,percentile,value_ms\n");
    for (k, ep) in endpoints.iter().enumerate() {
        let (mu, sigma) = (3.0 + 0.4 * k as f64, 0.5 + 0.1 * k as f64);
        for i in 0..=200 {
            let p = i as f64 / 2.0;
            let q = (p / 100.0).clamp(1e-4, 1.0 - 1e-4);
            let v = (mu + sigma * normal_quantile(q)).exp();
            out.push_str(&format!("{ep},{p},{v:.4}\n"));
        }
    }
    std::fs::write(dir.join(LATENCY_FILE), out).unwrap();
}

/// Standard normal quantile by bisection on erf-free logistic-corrected CDF (accurate
/// enough for test data).
fn normal_quantile(p: f64) -> f64 {
    let cdf = |x: f64| 0.5 * (1.0 + (x * 0.7978845608 * (1.0 + 0.044715 * x * x)).tanh());
    let (mut lo, mut hi) = (-8.0, 8.0);
    for _ in 0..80 {
        let mid = (lo + hi) / 2.0;
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// Width, height and the share of non-white pixels of a PNG.
fn decode_png(path: &Path) -> (u32, u32, f64) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let pixels = bytes.len() / channels;
    let inked = bytes
        .chunks(channels)
        .filter(|px| px.iter().take(3).any(|&c| c < 240))
        .count();
    (info.width, info.height, inked as f64 / pixels as f64)
}

/// Checks every file of a rendered run folder; returns the figure stems rendered.
fn check_folder(dir: &Path, written: &[PathBuf]) -> BTreeSet<String> {
    let data = load_run(dir).unwrap();
    let specs = plan(&data, &FigureOptions::default());
    assert!(!specs.is_empty());
    let html = std::fs::read_to_string(dir.join(REPORT_HTML)).unwrap();
    let md = std::fs::read_to_string(dir.join(REPORT_MD)).unwrap();
    for spec in &specs {
        let png = dir.join(format!("{}.png", spec.stem));
        let svg = dir.join(format!("{}.svg", spec.stem));
        assert!(
            written.contains(&png) && written.contains(&svg),
            "{}",
            spec.stem
        );
        let (w, h, inked) = decode_png(&png);
        assert_eq!((w, h), (spec.width, spec.height), "{}", png.display());
        assert!(
            inked > 0.01 && inked < 0.6,
            "{}: {:.1}% of pixels drawn",
            png.display(),
            inked * 100.0
        );
        let svg_text = std::fs::read_to_string(&svg).unwrap();
        assert!(
            svg_text.contains("<svg") && svg_text.contains("<text"),
            "{}",
            svg.display()
        );
        assert!(
            svg_text.contains(&spec.title),
            "{}: title missing",
            svg.display()
        );
        assert!(
            md.contains(&format!("]({}.png)", spec.stem)),
            "report.md does not link {}",
            spec.stem
        );
        assert!(
            html.contains(&format!("id=\"fig-{}\"", spec.stem)),
            "report.html lacks {}",
            spec.stem
        );
    }
    // Self-contained: every figure inlined, nothing fetched from anywhere.
    assert_eq!(
        html.matches("src=\"data:image/png;base64,").count(),
        specs.len()
    );
    for needle in ["http://", "https://", "<script", "<link", "@import", "url("] {
        assert!(!html.contains(needle), "report.html contains {needle}");
    }
    assert_eq!(html.matches("src=\"").count(), specs.len());
    assert!(html.contains("<h2>Summary</h2>") && md.contains("## Summary"));
    assert!(written.contains(&dir.join(REPORT_HTML)) && written.contains(&dir.join(REPORT_MD)));
    // Written whole: no temporary files left behind.
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp-"), "left behind: {name}");
    }
    specs.iter().map(|s| s.stem.clone()).collect()
}

#[test]
fn every_figure_and_report_renders() {
    // features: errors, a database, checks, tagged thresholds; plus a latency.csv.
    let features = run_into("experiments/features.yaml", 3, "features");
    write_latency_csv(&features, &["*", "GET /products", "POST /orders"]);
    let written = render_all(&features).unwrap();
    let mut stems = check_folder(&features, &written);
    // autoscaling-demo: replicas that change, and cost; with a target request rate.
    let demo = run_into("experiments/autoscaling-demo.yaml", 2, "demo");
    let opts = FigureOptions {
        target_rps: Some(2090.0),
        ..Default::default()
    };
    let written = render_all_with(&demo, &opts).unwrap();
    stems.extend(check_folder(&demo, &written));
    let html = std::fs::read_to_string(demo.join(REPORT_HTML)).unwrap();
    assert!(html.contains("2,090 req/s"), "target rate not reported");
    let all: BTreeSet<String> = FIGURE_STEMS.iter().map(|s| s.to_string()).collect();
    assert_eq!(stems, all, "not every figure was rendered");
}

#[test]
fn rendering_is_deterministic() {
    let dir = run_into("experiments/features.yaml", 2, "determinism");
    render_all(&dir).unwrap();
    let first: Vec<Vec<u8>> = ["latency.png", "latency.svg", REPORT_HTML, REPORT_MD]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    render_all(&dir).unwrap();
    for (f, bytes) in ["latency.png", "latency.svg", REPORT_HTML, REPORT_MD]
        .iter()
        .zip(first)
    {
        assert_eq!(std::fs::read(dir.join(f)).unwrap(), bytes, "{f} changed");
    }
}

#[test]
fn a_folder_without_results_is_a_clear_error() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("figures-empty");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let err = render_all(&dir).unwrap_err().to_string();
    assert!(err.contains("summary.json"), "{err}");
}

/// Fonts come from the binary: the `ttf` feature (font-kit, fontconfig, system fonts)
/// must never be enabled, or figures would fail on a machine without fonts.
#[test]
fn no_system_font_dependencies() {
    let lock = include_str!("../Cargo.lock");
    for name in [
        "font-kit",
        "yeslogic-fontconfig-sys",
        "freetype-sys",
        "servo-fontconfig",
    ] {
        assert!(
            !lock.contains(&format!("name = \"{name}\"")),
            "Cargo.lock depends on {name}: plotters' `ttf` feature is on"
        );
    }
}
