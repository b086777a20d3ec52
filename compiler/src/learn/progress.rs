//! The progress bar of `--learn` (indicatif, on stderr): steps done, epoch, running loss and
//! accuracy. Hidden with `--quiet` and when stderr is not a terminal (logs, CI, pipes).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar of `steps` training steps, when `show` and stderr is a terminal.
    pub fn new(show: bool, steps: u64) -> Progress {
        if !show || !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "learning {bar:30} {pos}/{len} steps  {msg}  [{elapsed_precise}, eta {eta}]",
        ) {
            bar.set_style(style);
        }
        Progress { bar: Some(bar) }
    }

    /// One step done; the running loss and accuracy of the epoch so far.
    pub fn step(&self, epoch: usize, epochs: usize, loss: f64, accuracy: f64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "epoch {epoch}/{epochs}  loss {loss:.4}  acc {:.1}%",
                accuracy * 100.0
            ));
            bar.inc(1);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
