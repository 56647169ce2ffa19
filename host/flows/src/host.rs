//! The workflow host: a project loaded and checked, its run store opened (and its lock
//! taken), then the executor, the triggers and the `Request` listener started.
//!
//! [`Prepared::prepare`] does everything that can fail for a reason the operator must fix,
//! before anything runs. [`Prepared::run_once`] polls each polling trigger once (until it has
//! nothing more), runs every queued and unfinished run to its end, and returns;
//! [`Prepared::start`] runs until [`Running::shutdown`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use connector_runtime::runtime::Runtime;
use connector_triggers::store::StateLock;

use crate::executor::Executor;
use crate::live::Live;
use crate::project::{self, LoadedProject, ProjectProblems};
use crate::store::{RunStore, StoreError, now_millis};
use crate::triggers::{Stopper, Triggers, request};

/// How often finished runs past the retention are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(86_400);
/// The most polls of one trigger in `--once` while it says more items wait.
const ONCE_MAX_POLLS: usize = 1_000;

/// Why the host could not start.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The project has problems (every one listed).
    #[error(transparent)]
    Problems(#[from] ProjectProblems),
    /// The run store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another host holds the state file.
    #[error("{0}")]
    Locked(String),
    /// The `Request` listener could not listen.
    #[error("cannot listen for Request triggers on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Everything checked and opened; nothing running yet.
pub struct Prepared {
    dir: PathBuf,
    loaded: LoadedProject,
    store: Arc<RunStore>,
    triggers: Triggers,
    _lock: StateLock,
}

/// What `run --once` did.
#[derive(Debug, Default)]
pub struct OnceReport {
    /// Per polling trigger: its workflow and the runs it started, or why its poll failed.
    pub polls: Vec<(String, Result<usize, String>)>,
    /// Whether every run ended (false when the time limit passed first).
    pub all_finished: bool,
}

impl Prepared {
    /// Loads and checks the project in `dir` (application settings through `lookup`), takes
    /// the state file's lock and opens the run store, and deletes runs past the retention.
    pub fn prepare(
        dir: &Path,
        runtime: &Runtime,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Prepared, HostError> {
        let loaded = project::load(dir, runtime, lookup)?;
        let triggers = Triggers::build(&loaded).map_err(ProjectProblems)?;
        let state = &loaded.config.base.host.state;
        let lock = StateLock::acquire(state).map_err(|e| HostError::Locked(e.to_string()))?;
        let store = Arc::new(RunStore::open(state, loaded.redactor.clone())?);
        let pruned = store.prune(retention_cutoff(&loaded))?;
        if pruned > 0 {
            tracing::info!("deleted {pruned} finished run(s) past the retention");
        }
        Ok(Prepared {
            dir: dir.to_path_buf(),
            loaded,
            store,
            triggers,
            _lock: lock,
        })
    }

    /// The host part of the project's configuration (`[host]`, connectors, `[metrics]`, ...).
    pub fn config(&self) -> &connector_triggers::config::Config {
        &self.loaded.config.base
    }

    /// The run store.
    pub fn store(&self) -> Arc<RunStore> {
        self.store.clone()
    }

    /// One line per workflow: its trigger and what serves it.
    pub fn summary(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for p in &self.triggers.polling {
            lines.push(format!("workflow {}: polling trigger", p.workflow()));
        }
        for s in &self.triggers.schedules {
            lines.push(format!("workflow {}: schedule", s.workflow()));
        }
        for w in &self.triggers.requests {
            lines.push(format!("workflow {}: Request trigger", w.name));
        }
        lines.push(format!(
            "run store {}, {} worker(s)",
            self.store.path().display(),
            self.loaded.config.workflows.workers
        ));
        lines
    }

    fn executor(&self) -> Arc<Executor> {
        Executor::new(
            self.store.clone(),
            &self.loaded.project.workflows,
            self.loaded.invoker.clone(),
            self.loaded.config.workflows.workers,
        )
    }

    /// Polls each polling trigger once (again while it says more items wait), then runs
    /// every queued or unfinished run to its end, for at most `limit`. Schedules and
    /// `Request` triggers are not started.
    pub fn run_once(self, limit: Duration) -> OnceReport {
        let mut report = OnceReport::default();
        for p in &self.triggers.polling {
            let mut started = 0;
            let mut outcome = Ok(());
            for _ in 0..ONCE_MAX_POLLS {
                match p.poll_once(&self.store) {
                    Ok(s) => {
                        started += s.runs.len();
                        if !s.more {
                            break;
                        }
                    }
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                }
            }
            report
                .polls
                .push((p.workflow().to_owned(), outcome.map(|()| started)));
        }
        let executor = self.executor();
        let dispatcher = executor.start();
        report.all_finished = executor.wait_idle(limit);
        executor.stop(Duration::from_secs(1));
        let _ = dispatcher.join();
        report
    }

    /// Starts the executor (which resumes every unfinished run), the triggers of the
    /// enabled workflows and, when a workflow has a `Request` trigger, the listener. Call
    /// inside a tokio runtime.
    pub async fn start(self) -> Result<Running, HostError> {
        let executor = self.executor();
        let live = Live::new(
            &self.dir,
            self.store.clone(),
            executor.clone(),
            self.loaded.invoker.clone(),
            &self.loaded.project.workflows,
            self.loaded.project.connections.clone(),
            self.loaded.providers.clone(),
        )?;
        let stop = Arc::new(Stopper::default());
        let mut threads = vec![executor.start()];
        let mut listener = None;
        if live.has_request_triggers() {
            let w = &self.loaded.config.workflows;
            let lookup = {
                let live = live.clone();
                Arc::new(move |name: &str| live.request_workflow(name)) as request::Lookup
            };
            let router = request::router(
                self.store.clone(),
                executor.clone(),
                lookup,
                w.max_body,
                w.request_timeout,
            );
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let (addr, task) = request::serve(w.listen, router, async {
                let _ = rx.await;
            })
            .await
            .map_err(|source| HostError::Listen {
                addr: w.listen,
                source,
            })?;
            listener = Some((addr, task, tx));
        }
        live.start_all(listener.is_some());
        {
            let (store, stop) = (self.store.clone(), stop.clone());
            let retention = self.loaded.config.run_retention;
            threads.push(spawn("flows-retention", move || {
                while stop.sleep(PRUNE_EVERY) {
                    let cutoff = now_millis() - retention.as_millis() as i64;
                    if let Err(e) = store.prune(cutoff) {
                        tracing::warn!("cannot delete old runs: {e}");
                    }
                }
            }));
        }
        Ok(Running {
            _prepared: self,
            executor,
            live,
            stop,
            threads,
            listener,
        })
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .expect("spawn a host thread")
}

fn retention_cutoff(p: &LoadedProject) -> i64 {
    now_millis().saturating_sub(p.config.run_retention.as_millis().min(i64::MAX as u128) as i64)
}

/// A running host.
pub struct Running {
    _prepared: Prepared,
    executor: Arc<Executor>,
    live: Arc<Live>,
    stop: Arc<Stopper>,
    threads: Vec<JoinHandle<()>>,
    listener: Option<(
        SocketAddr,
        tokio::task::JoinHandle<()>,
        tokio::sync::oneshot::Sender<()>,
    )>,
}

impl Running {
    /// Where the `Request` triggers listen, if any workflow has one.
    pub fn request_addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().map(|l| l.0)
    }

    /// The workflows as the server changes them.
    pub fn live(&self) -> Arc<Live> {
        self.live.clone()
    }

    /// Stops the triggers and the listener, and waits up to `grace` for runs in progress
    /// (the rest are resumed at the next start). Returns how many were left running.
    pub async fn shutdown(self, grace: Duration) -> usize {
        self.stop.stop();
        self.live.stop_all();
        if let Some((_, task, tx)) = self.listener {
            let _ = tx.send(());
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
        let executor = self.executor.clone();
        let left = tokio::task::spawn_blocking(move || executor.stop(grace))
            .await
            .unwrap_or(0);
        for t in self.threads {
            // Poll threads may be inside a connector call; its own deadline ends it.
            if t.is_finished() {
                let _ = t.join();
            }
        }
        left
    }
}
