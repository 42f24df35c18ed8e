//! A progress bar on stderr for runs that take more than a second: replications done,
//! simulated time, ETA. Only on a terminal, never in CI or with `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// `total` replications, each simulating `simulated` nanoseconds.
    pub fn new(total: u64, simulated: crate::time::Nanos, quiet: bool) -> Self {
        let show = !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = show.then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
            let style = ProgressStyle::with_template(&format!(
                "  {{spinner}} replications {{pos}}/{{len}} [{{bar:30}}] {} simulated each, {{elapsed}} elapsed, ETA {{eta}}",
                crate::time::format_duration(simulated)
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            // Quick runs stay silent: the bar appears once a run has taken a second.
            let delayed = bar.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(1));
                if !delayed.is_finished() {
                    delayed.set_draw_target(ProgressDrawTarget::stderr());
                    delayed.enable_steady_tick(Duration::from_millis(200));
                }
            });
            bar
        });
        Progress { bar }
    }

    /// Called from any worker thread when a replication ends.
    pub fn replication_done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
