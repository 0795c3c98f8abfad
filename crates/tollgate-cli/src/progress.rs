//! A spinner on stderr for long scans. The engine reports no progress of
//! its own, so this shows that work is going on and for how long. It is
//! drawn only when the caller allows it (text output, stderr a terminal)
//! and only once the work has taken longer than [`DELAY`]: short scans and
//! CI logs never see it. It writes to the process's stderr from its own
//! thread, so nothing may hold the stderr lock while it runs.

use std::sync::mpsc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a scan runs before the spinner appears.
pub(crate) const DELAY: Duration = Duration::from_secs(2);

/// Runs `work` on this thread; when `enabled` and it takes longer than
/// [`DELAY`], a spinner with `message` and the elapsed time is drawn on
/// stderr until it ends, then cleared.
pub(crate) fn with_spinner<T>(enabled: bool, message: &str, work: impl FnOnce() -> T) -> T {
    if !enabled {
        return work();
    }
    let (done, finished) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            if finished.recv_timeout(DELAY) != Err(mpsc::RecvTimeoutError::Timeout) {
                return;
            }
            // Counts from the start of the work, not from when it appears.
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_elapsed(DELAY);
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
                bar.set_style(style);
            }
            bar.set_message(message.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            // Wakes on the result or when the sender is dropped (a panic in `work`).
            let _ = finished.recv();
            bar.finish_and_clear();
        });
        let result = work();
        // The spinner thread may already have returned; then nobody listens.
        let _ = done.send(());
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_work_result_with_and_without_spinner() {
        assert_eq!(with_spinner(false, "x", || 7), 7);
        assert_eq!(with_spinner(true, "x", || 8), 8);
    }
}
