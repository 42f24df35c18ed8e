//! The sweep figures (sweep_heatmap, sweep_pareto) from small sweep.csv fixtures written
//! by the library's own writer ([`capsim::gate::sweep::csv`]) in the column layout of
//! `capsim sweep`: PNGs decode at the expected size and are not blank, SVGs are SVG, for
//! grids of one, two and three parameters.

use capsim::gate::sweep::{Row, csv, parse_axis, points};
use capsim::report::sweep_figures::{HEATMAP_STEM, PARETO_STEM, SweepFigureOptions, heatmap_size};
use capsim::run_folder::render_sweep;
use std::path::{Path, PathBuf};

/// The metric columns after the parameters, as `metric_header` lays them out.
fn header() -> Vec<String> {
    let mut h = vec!["replications".to_string()];
    for m in [
        "http_req_duration.avg",
        "http_req_duration.p(95)",
        "http_req_duration.p(99)",
        "http_req_failed.rate",
        "cost.total_usd",
        "replicas_avg.web",
    ] {
        for s in ["mean", "lo", "hi"] {
            h.push(format!("{m}_{s}"));
        }
    }
    h.push("P(http_req_duration: p(95)<300)".into());
    h.push("P(http_req_failed: rate<0.01)".into());
    h.extend(["slo_attainment", "slo_attainment_lo", "slo_attainment_hi"].map(String::from));
    h
}

/// Writes sweep.csv for the grid `axes` into a fresh folder `name`; latency falls and cost
/// rises with the point index, one point has an empty (NaN) p(95).
fn fixture(name: &str, axes: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sweep-figures-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let axes: Vec<_> = axes.iter().map(|a| parse_axis(a).unwrap()).collect();
    let pts = points(&axes).unwrap();
    let n = pts.len();
    let rows: Vec<Row> = pts
        .iter()
        .map(|p| {
            let i = p.index as f64;
            let p95 = 600.0 - 400.0 * i / n as f64;
            let cost = 1.0 + 0.25 * i + 0.1 * (i * 1.7).sin();
            let ok = ((i + 1.0) / n as f64 * 8.0).round().min(8.0);
            let att = ok / 8.0;
            let mut cells = vec!["8".to_string()];
            for (m, w) in [
                (p95 * 0.5, 10.0),
                (p95, 25.0),
                (p95 * 1.6, 40.0),
                (0.002, 0.001),
                (cost, 0.05),
                (2.0 + i, 0.3),
            ] {
                cells.extend([m, m - w, m + w].map(|v| v.to_string()));
            }
            if p.index == 1 {
                for c in &mut cells[4..7] {
                    c.clear();
                }
            }
            cells.push(att.to_string());
            cells.push("1".to_string());
            cells.extend([
                att.to_string(),
                (att * 0.7).to_string(),
                (att + (1.0 - att) * 0.6).to_string(),
            ]);
            Row {
                index: p.index,
                cells,
                cost,
                attainment: att,
            }
        })
        .collect();
    std::fs::write(dir.join("sweep.csv"), csv(&axes, &header(), &pts, &rows)).unwrap();
    dir
}

/// Width, height and the share of non-white pixels of a PNG.
fn decode_png(path: &Path) -> (u32, u32, f64) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let inked = bytes
        .chunks(channels)
        .filter(|px| px.iter().take(3).any(|&c| c < 240))
        .count();
    (
        info.width,
        info.height,
        inked as f64 / (bytes.len() / channels) as f64,
    )
}

/// Renders the folder and checks both figures; returns the heatmap's size.
fn render_and_check(dir: &Path) -> (u32, u32) {
    let written = render_sweep(dir).unwrap();
    assert_eq!(written.len(), 4, "{written:?}");
    for stem in [HEATMAP_STEM, PARETO_STEM] {
        let png = dir.join(format!("{stem}.png"));
        let svg = dir.join(format!("{stem}.svg"));
        assert!(written.contains(&png) && written.contains(&svg));
        let (w, h, inked) = decode_png(&png);
        assert_eq!(w, 1200, "{stem}");
        if stem == PARETO_STEM {
            assert_eq!(h, 600);
        }
        assert!(inked > 0.03, "{stem}: only {inked} of the pixels inked");
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
    }
    let table = capsim::run_folder::load_sweep(dir).unwrap();
    let expected = heatmap_size(&table, &SweepFigureOptions::default());
    let (w, h, _) = decode_png(&dir.join(format!("{HEATMAP_STEM}.png")));
    assert_eq!((w, h), expected);
    (w, h)
}

#[test]
fn two_parameter_sweep_draws_heatmap_and_pareto() {
    let dir = fixture(
        "two",
        &[
            "hpa.web-hpa.spec.behavior.scaleDown.stabilizationWindowSeconds=60,300,600",
            "hpa.web-hpa.spec.metrics[0].resource.target.averageUtilization=50,60,70",
        ],
    );
    let table = capsim::run_folder::load_sweep(&dir).unwrap();
    assert_eq!(table.params.len(), 2);
    assert_eq!(table.rows.len(), 9);
    assert_eq!(render_and_check(&dir), (1200, 600));
    let svg = std::fs::read_to_string(dir.join(format!("{HEATMAP_STEM}.svg"))).unwrap();
    assert!(
        svg.contains("averageUtilization"),
        "axis named by its short name"
    );
    assert!(svg.contains("SLO attainment"));
    let svg = std::fs::read_to_string(dir.join(format!("{PARETO_STEM}.svg"))).unwrap();
    assert!(svg.contains("Pareto"));
}

#[test]
fn one_parameter_sweep_draws_a_line_chart() {
    let dir = fixture("one", &["services.web.workers=2,4,8,16"]);
    assert_eq!(render_and_check(&dir), (1200, 600));
    let svg = std::fs::read_to_string(dir.join(format!("{HEATMAP_STEM}.svg"))).unwrap();
    assert!(svg.contains("by workers"));
}

#[test]
fn three_parameter_sweep_draws_panels() {
    let dir = fixture(
        "three",
        &[
            "services.web.workers=2,4",
            "services.web.replicas=1,2,3",
            "services.db.pool=10,20",
        ],
    );
    assert_eq!(render_and_check(&dir), (1200, 600));
    let svg = std::fs::read_to_string(dir.join(format!("{HEATMAP_STEM}.svg"))).unwrap();
    assert!(svg.contains("pool = 10") && svg.contains("pool = 20"));
    // Four parameters: the fourth is fixed at its first value, and the subtitle says so.
    let dir = fixture(
        "four",
        &[
            "services.web.x=1,2",
            "services.web.y=1,2",
            "services.web.z=1,2,3,4",
            "services.web.w=5,6",
        ],
    );
    assert_eq!(render_and_check(&dir), (1200, 800));
    let svg = std::fs::read_to_string(dir.join(format!("{HEATMAP_STEM}.svg"))).unwrap();
    assert!(svg.contains("fixed at first value: w=5"));
}

#[test]
fn reader_tolerates_extra_columns_and_reports_bad_files() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep-figures-extra");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("sweep.csv"),
        "point,k,replications,note,http_req_duration.p(95)_mean,cost.total_usd_mean,slo_attainment,future_column,pareto\n\
         0,1,4,x,300,2,0.5,?,true\n1,2,4,y,200,3,1,?,true\n",
    )
    .unwrap();
    assert_eq!(render_sweep(&dir).unwrap().len(), 4);
    std::fs::write(dir.join("sweep.csv"), "nonsense\n").unwrap();
    assert!(render_sweep(&dir).is_err());
    let empty = dir.join("none");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(render_sweep(&empty).is_err());
}
