//! `capsim bench`: requests and events per second of the engine on one core (and events
//! per request, since tools count events differently), scaling of replications across
//! cores, and peak memory. Wall-clock numbers live here and nowhere else.

use crate::cli::{BenchArgs, MemoryLimit};
use crate::engine::memory::DEFAULT_MAX_MEMORY;
use crate::engine::{Budget, run_replication};
use crate::model::load::load_experiment_with;
use crate::replicate::{RunPlan, run_replications};
use crate::spec::overrides::Overrides;
use anyhow::Result;
use serde::Serialize;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Serialize)]
struct BenchReport {
    experiment: String,
    /// Loading the experiment: reading, building and, for a k6 script, evaluating it and
    /// recording its sampled iterations.
    load_s: f64,
    /// The same in CPU seconds of the loading thread (Linux): it holds up on a machine busy
    /// with other work, where `load_s` does not.
    load_cpu_s: Option<f64>,
    /// Iterations recorded from a k6 script, all scenario functions together (0 for a
    /// YAML experiment).
    recorded_iterations: usize,
    simulated_s: f64,
    single: SingleRun,
    parallel: ParallelRun,
    peak_rss_mib: Option<f64>,
}

#[derive(Debug, Serialize)]
struct SingleRun {
    events: u64,
    /// Requests sent by the VUs (k6's `http_reqs`).
    requests: u64,
    /// k6 iterations completed (customers, in the shared tandem benchmark).
    iterations: u64,
    wall_s: f64,
    requests_per_s: f64,
    iterations_per_s: f64,
    events_per_s: f64,
    events_per_request: f64,
    simulated_s_per_wall_s: f64,
}

#[derive(Debug, Serialize)]
struct ParallelRun {
    threads: usize,
    replications: u32,
    wall_s: f64,
    requests_per_s: f64,
    events_per_s: f64,
    speedup_vs_one_core: f64,
}

/// CPU seconds this thread has run (Linux: /proc/thread-self/schedstat).
fn thread_cpu_s() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Peak resident memory of this process (Linux: VmHWM in /proc/self/status).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub fn bench(args: &BenchArgs) -> Result<ExitCode> {
    let mut overrides = Overrides::default().allowing(&args.allow_path);
    overrides.script = crate::commands::common::script_flags(&args.k6)?;
    let (cpu, start) = (thread_cpu_s(), Instant::now());
    let exp = load_experiment_with(&args.experiment, &overrides)?;
    let load_s = start.elapsed().as_secs_f64();
    let load_cpu_s = cpu.zip(thread_cpu_s()).map(|(a, b)| b - a);
    let recorded_iterations = exp.flows.iter().map(|f| f.traces.len()).sum();
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let budget = Budget {
        stop: crate::interrupt::flag(),
        max_memory: MemoryLimit::or_default(args.max_memory, DEFAULT_MAX_MEMORY),
        ..Budget::default()
    };
    // Warm-up, then one replication on one core.
    let one_budget = budget.for_run(&exp, 1, 1)?;
    let _ = run_replication(&exp, 0, one_budget)?;
    let start = Instant::now();
    let one = run_replication(&exp, 1, one_budget)?;
    let wall = start.elapsed().as_secs_f64();
    let requests = one.accounting.sent;
    let single = SingleRun {
        events: one.events,
        requests,
        iterations: one.iterations,
        wall_s: wall,
        requests_per_s: requests as f64 / wall,
        iterations_per_s: one.iterations as f64 / wall,
        events_per_s: one.events as f64 / wall,
        events_per_request: one.events as f64 / requests.max(1) as f64,
        simulated_s_per_wall_s: (one.duration as f64 / 1e9) / wall,
    };
    let replications = args.replications.unwrap_or(threads as u32 * 2);
    let plan = RunPlan {
        indices: 0..replications,
        threads: Some(threads),
        budget,
    };
    let start = Instant::now();
    let results = run_replications(&exp, &plan, &|_| {})?;
    let wall_par = start.elapsed().as_secs_f64();
    let events: u64 = results.iter().map(|r| r.events).sum();
    let eps = events as f64 / wall_par;
    let requests_par: u64 = results.iter().map(|r| r.accounting.sent).sum();
    let report = BenchReport {
        experiment: exp.name.clone(),
        load_s,
        load_cpu_s,
        recorded_iterations,
        simulated_s: exp.end_time() as f64 / 1e9,
        parallel: ParallelRun {
            threads,
            replications,
            wall_s: wall_par,
            requests_per_s: requests_par as f64 / wall_par,
            events_per_s: eps,
            speedup_vs_one_core: eps / single.events_per_s,
        },
        single,
        peak_rss_mib: peak_rss_mib(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "capsim bench · {} · {:.0}s simulated per replication",
            report.experiment, report.simulated_s
        );
        let cpu = report
            .load_cpu_s
            .map(|c| format!(", {c:.3}s CPU"))
            .unwrap_or_default();
        let what = if report.recorded_iterations > 0 {
            format!(
                "reading, building, recording {} iterations of the k6 script",
                report.recorded_iterations
            )
        } else {
            "reading, building".to_string()
        };
        println!("  load     : {:.3}s{cpu} ({what})", report.load_s);
        println!(
            "  one core : {:>12.0} requests/s, {:>12.0} events/s, {:.2} events/request \
             ({} requests, {} events in {:.3}s, {:.0}x real time)",
            report.single.requests_per_s,
            report.single.events_per_s,
            report.single.events_per_request,
            report.single.requests,
            report.single.events,
            report.single.wall_s,
            report.single.simulated_s_per_wall_s
        );
        println!(
            "  {} threads: {:>12.0} requests/s, {:>12.0} events/s  \
             ({} replications in {:.3}s, {:.2}x one core)",
            report.parallel.threads,
            report.parallel.requests_per_s,
            report.parallel.events_per_s,
            report.parallel.replications,
            report.parallel.wall_s,
            report.parallel.speedup_vs_one_core
        );
        if let Some(m) = report.peak_rss_mib {
            println!("  peak memory: {m:.1} MiB");
        }
    }
    Ok(ExitCode::SUCCESS)
}
