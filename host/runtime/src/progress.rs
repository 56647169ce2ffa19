//! Word of a slow load. Compiling a component to native code takes well under
//! a second for a Rust connector but 10-30 s for a Python or JavaScript one
//! (their interpreters are compiled too), and a host that says nothing for
//! half a minute looks hung. A load that is still going after
//! [`SLOW_LOAD_NOTICE`] is reported to the [`LoadProgress`] the runtime was
//! given, once a second, until it ends.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long a load may take before it is reported.
pub const SLOW_LOAD_NOTICE: Duration = Duration::from_secs(1);

/// What a slow load is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadStage {
    /// Still compiling, for `elapsed` so far.
    Compiling {
        /// Since the load started.
        elapsed: Duration,
    },
    /// Done (successfully or not), after `elapsed`.
    Finished {
        /// Since the load started.
        elapsed: Duration,
    },
}

/// Told about loads that take long; the CLI draws a line on a terminal, or
/// logs one.
pub trait LoadProgress: Send + Sync {
    /// A slow load of `component` (`bytes` long) is at `stage`. Called from
    /// a thread of its own, first after [`SLOW_LOAD_NOTICE`], then about
    /// once a second, and once with [`LoadStage::Finished`].
    fn report(&self, component: &Path, bytes: usize, stage: LoadStage);

    /// How long a load may take before it is reported.
    fn notice_after(&self) -> Duration {
        SLOW_LOAD_NOTICE
    }
}

/// Watches one load; dropping it ends the watch.
pub(crate) struct Watch {
    done: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watch {
    /// Starts watching the load of `component` (a thread that sleeps until
    /// the notice time, so a fast load costs one thread start).
    pub(crate) fn start(progress: Arc<dyn LoadProgress>, component: &Path, bytes: usize) -> Self {
        let (done, wait) = mpsc::channel::<()>();
        let component: PathBuf = component.to_path_buf();
        let started = Instant::now();
        let first = progress.notice_after();
        let thread = std::thread::Builder::new()
            .name("load-progress".into())
            .spawn(move || {
                let mut next = first;
                let mut reported = false;
                loop {
                    let wait_for = next.saturating_sub(started.elapsed());
                    match wait.recv_timeout(wait_for) {
                        Err(RecvTimeoutError::Timeout) => {
                            let elapsed = started.elapsed();
                            progress.report(&component, bytes, LoadStage::Compiling { elapsed });
                            reported = true;
                            next = elapsed + Duration::from_secs(1);
                        }
                        // Done, or the watch was dropped.
                        _ => break,
                    }
                }
                if reported {
                    let elapsed = started.elapsed();
                    progress.report(&component, bytes, LoadStage::Finished { elapsed });
                }
            })
            .ok();
        Watch {
            done: Some(done),
            thread,
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Seen(Mutex<Vec<LoadStage>>);

    impl LoadProgress for Seen {
        fn report(&self, _: &Path, bytes: usize, stage: LoadStage) {
            assert_eq!(bytes, 42);
            self.0.lock().unwrap().push(stage);
        }
    }

    #[test]
    fn a_fast_load_says_nothing() {
        let seen = Arc::new(Seen::default());
        drop(Watch::start(seen.clone(), Path::new("x.wasm"), 42));
        assert!(seen.0.lock().unwrap().is_empty());
    }

    #[test]
    fn a_slow_load_is_reported_while_it_lasts_and_when_it_ends() {
        let seen = Arc::new(Seen::default());
        let watch = Watch::start(seen.clone(), Path::new("x.wasm"), 42);
        std::thread::sleep(SLOW_LOAD_NOTICE + Duration::from_millis(1300));
        drop(watch);
        let stages = seen.0.lock().unwrap().clone();
        assert!(stages.len() >= 2, "{stages:?}");
        assert!(
            matches!(stages[0], LoadStage::Compiling { elapsed } if elapsed >= SLOW_LOAD_NOTICE)
        );
        assert!(
            matches!(stages.last(), Some(LoadStage::Finished { .. })),
            "{stages:?}"
        );
    }
}
