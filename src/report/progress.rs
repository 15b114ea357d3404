//! The progress bar on stderr: only on a terminal, and only once a run has lasted long enough to
//! be worth watching, so quick runs and piped output stay free of it.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a run goes before the bar appears: a run that ends sooner never flashes one.
const DELAY: Duration = Duration::from_millis(300);
/// How often the bar redraws while no case finishes (say, a case waiting on a time-out).
const TICK: Duration = Duration::from_millis(200);

/// A progress counter of cases, drawn on stderr after [`DELAY`].
pub(crate) struct Progress {
    bar: ProgressBar,
    /// Set when the run ends; the delayed start checks it under the same lock so the bar is never
    /// shown after it was cleared.
    done: Arc<Mutex<bool>>,
}

impl Progress {
    /// A counter of finished cases when stderr is a terminal, none otherwise. Cases are planned
    /// while the run goes, so the total is not known ahead: it shows the count and the pace.
    pub(crate) fn on_stderr() -> Option<Self> {
        std::io::stderr().is_terminal().then(Self::start)
    }

    fn start() -> Self {
        let bar =
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()).with_style(style());
        let done = Arc::new(Mutex::new(false));
        let (delayed, finished) = (bar.clone(), Arc::clone(&done));
        std::thread::spawn(move || {
            std::thread::sleep(DELAY);
            let finished = finished.lock().unwrap_or_else(PoisonError::into_inner);
            if !*finished {
                delayed.set_draw_target(ProgressDrawTarget::stderr());
                delayed.enable_steady_tick(TICK);
            }
        });
        Progress { bar, done }
    }

    /// One more case done.
    pub(crate) fn inc(&self) {
        self.bar.inc(1);
    }

    /// Removes the bar before the summary is printed.
    pub(crate) fn finish(&self) {
        let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        *done = true;
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    /// A run that stops on an error must not leave a bar behind its message.
    fn drop(&mut self) {
        self.finish();
    }
}

fn style() -> ProgressStyle {
    // No colours in the template: the bar must look the same with NO_COLOR.
    ProgressStyle::with_template("{spinner} {pos} cases · {per_sec} · {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}
