//! A slow first load said out loud: on a terminal, one line redrawn each
//! second ("compiling calendar.wasm (38.1 MB) to native code... 7 s"), and
//! otherwise (a log file, a pipe) one line when it starts and one when it
//! ends. Loads from the cache are fast and say nothing.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use connector_runtime::progress::{LoadProgress, LoadStage};

/// Reports slow loads on standard error.
pub struct StderrProgress {
    terminal: bool,
    notice_after: Duration,
}

impl StderrProgress {
    /// Draws on the terminal when standard error is one. A load is reported
    /// once it took a second, or `CONNECTOR_HOST_SLOW_LOAD_MS` milliseconds.
    pub fn new() -> Self {
        let notice_after = std::env::var("CONNECTOR_HOST_SLOW_LOAD_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(
                connector_runtime::progress::SLOW_LOAD_NOTICE,
                Duration::from_millis,
            );
        StderrProgress {
            terminal: std::io::stderr().is_terminal(),
            notice_after,
        }
    }
}

fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1u32 << 20))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

impl LoadProgress for StderrProgress {
    fn notice_after(&self) -> Duration {
        self.notice_after
    }

    fn report(&self, component: &Path, bytes: usize, stage: LoadStage) {
        let name = component.file_name().map_or_else(
            || component.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let what = format!("{name} ({})", size(bytes));
        let mut err = std::io::stderr().lock();
        let _ = match (self.terminal, stage) {
            (true, LoadStage::Compiling { elapsed }) => write!(
                err,
                "\r\x1b[2Kconnector-host: compiling {what} to native code (once; later loads \
                 come from the cache)... {} s",
                elapsed.as_secs()
            ),
            (true, LoadStage::Finished { elapsed }) => writeln!(
                err,
                "\r\x1b[2Kconnector-host: compiled {what} in {}",
                seconds(elapsed)
            ),
            (false, LoadStage::Compiling { elapsed })
                if elapsed < self.notice_after + Duration::from_secs(1) =>
            {
                writeln!(
                    err,
                    "connector-host: compiling {what} to native code (once; later loads come \
                     from the cache; Python and JavaScript components take 10-30 s)"
                )
            }
            (false, LoadStage::Compiling { .. }) => Ok(()),
            (false, LoadStage::Finished { elapsed }) => writeln!(
                err,
                "connector-host: compiled {what} in {}",
                seconds(elapsed)
            ),
        };
        let _ = err.flush();
    }
}
