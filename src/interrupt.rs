//! Ctrl-C (SIGINT) and SIGTERM: the first signal sets a stop flag that every running
//! replication looks at (with the wall-time deadline, every `engine::Budget::CHECK_EVERY` events),
//! so the command stops within milliseconds and writes no output; a second signal exits at
//! once. The binary installs the handler; the library only reads the flag.
//!
//! Exit codes: 130 after SIGINT and 143 after SIGTERM (128 + the signal, as a shell reports
//! a process killed by it), so that CI tells an interruption from a failed SLO (1) or bad
//! input (2).

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

/// Set by the first SIGINT or SIGTERM.
pub static STOP: AtomicBool = AtomicBool::new(false);
/// The signal that set [`STOP`] (0: none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// Replications that ran to their end in this process (for the interruption message).
static FINISHED: AtomicU64 = AtomicU64::new(0);

pub const SIGINT: i32 = 2;
pub const SIGTERM: i32 = 15;

/// The stop flag, for the engine's `Budget::stop`.
pub fn flag() -> Option<&'static AtomicBool> {
    Some(&STOP)
}

/// Installs the SIGINT and SIGTERM handlers. Call once, from `main`.
pub fn install() {
    #[cfg(unix)]
    for sig in [SIGINT, SIGTERM] {
        // SAFETY: the handler only touches atomics and calls `_exit`, both async-signal-safe.
        let _ = unsafe { signal_hook::low_level::register(sig, move || on_signal(sig)) };
    }
}

#[cfg(unix)]
fn on_signal(sig: i32) {
    if STOP.swap(true, Ordering::SeqCst) {
        // A second signal: the user insists; leave now. Outputs are written into a staging
        // folder that is swapped in whole, so the output folder is the previous run's or
        // this one's, never a mix; the next run removes the staging folder.
        say(b"capsim: second signal: stopped at once; the output folder is left as it was\n");
        signal_hook::low_level::exit(128 + sig);
    }
    SIGNAL.store(sig, Ordering::SeqCst);
}

/// Writes `msg` to stderr with one write(2): no lock, no allocation (async-signal-safe).
#[cfg(unix)]
fn say(msg: &[u8]) {
    use std::io::Write;
    use std::os::fd::FromRawFd;
    // SAFETY: fd 2 is open for the life of the process; ManuallyDrop never closes it. A
    // PipeWriter is a bare descriptor whose `write` is one write(2), whatever fd 2 is.
    let mut stderr = std::mem::ManuallyDrop::new(unsafe { std::io::PipeWriter::from_raw_fd(2) });
    let _ = stderr.write(msg);
}

/// The signal received, if any.
pub fn received() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 if STOP.load(Ordering::SeqCst) => Some(SIGINT),
        0 => None,
        s => Some(s),
    }
}

/// Counts a replication that ran to its end.
pub fn note_finished() {
    FINISHED.fetch_add(1, Ordering::Relaxed);
}

/// Replications that ran to their end so far.
pub fn finished() -> u64 {
    FINISHED.load(Ordering::Relaxed)
}

/// The exit code after `signal`: 128 + the signal number.
pub fn exit_code(signal: i32) -> u8 {
    (128 + signal).clamp(0, 255) as u8
}

/// The signal's name for messages.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT (Ctrl-C)",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}
