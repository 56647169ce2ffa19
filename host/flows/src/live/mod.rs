//! The running project as the server changes it: its workflows (each with its trigger, its
//! enabled flag and its trigger's status), a workflow saved (checked, written atomically and
//! loaded, so that it runs without a restart), enabled, disabled or started by hand.
//!
//! The executor, the `Request` listener and the trigger threads all read the workflows from
//! here, so a saved workflow takes effect at once: new runs use it, its trigger thread is
//! restarted with it. A run in progress keeps the definition it started with.

pub mod check;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use serde_json::{Value, json};

use connector_workflows::definition::{Connections, WorkflowFile};

pub use check::ProblemView;

use crate::executor::Executor;
use crate::invoker::ConnectorInvoker;
use crate::store::{RunFilter, RunRow, RunStore, StoreError};
use crate::triggers::status::{StatusCell, TriggerInfo, TriggerPhase};
use crate::triggers::{Built, Stopper, build_one};

/// Why a change of the project was refused.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No workflow of that name.
    #[error("there is no workflow `{0}`")]
    NotFound(String),
    /// A workflow name that cannot be a folder name.
    #[error("`{0}` cannot be a workflow name: use 1 to 80 letters, digits, `-` or `_`")]
    BadName(String),
    /// The workflow has problems; nothing was written.
    #[error("the workflow has {} problem(s)", .0.len())]
    Invalid(Vec<ProblemView>),
    /// The request does not fit the workflow's state (a disabled workflow started).
    #[error("{0}")]
    Conflict(String),
    /// The workflow file could not be written or read.
    #[error("{0}")]
    Io(String),
    /// The run store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One workflow as the API lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowSummary {
    /// Its name (its folder).
    pub name: String,
    /// Its trigger's name.
    pub trigger: String,
    /// `polling`, `schedule` or `request`.
    pub trigger_kind: &'static str,
    /// Whether its trigger starts runs.
    pub enabled: bool,
    /// Its newest run.
    pub last_run: Option<RunRow>,
}

/// One trigger as the API lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerView {
    /// The workflow.
    pub workflow: String,
    /// The trigger's name.
    pub trigger: String,
    /// `polling`, `schedule` or `request`.
    pub kind: &'static str,
    /// What it has been doing.
    #[serde(flatten)]
    pub info: TriggerInfo,
    /// The connector's committed state (polling triggers), redacted.
    pub committed_state: Option<Value>,
    /// When a schedule next fires (ms since the epoch).
    pub next_due: Option<i64>,
}

/// A connection of `connections.json`, as the designer offers it (no values).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    /// Its name (what actions put in `connectionName`).
    pub name: String,
    /// Its `displayName`.
    pub display_name: Option<String>,
    /// `serviceProvider.id`.
    pub service_provider_id: String,
    /// The `[[connector]]` serving it (its name in the catalog).
    pub connector: Option<String>,
}

struct Entry {
    workflow: Arc<WorkflowFile>,
    built: Built,
    enabled: bool,
    status: Arc<StatusCell>,
    stopper: Option<Arc<Stopper>>,
}

/// The project's workflows, live.
pub struct Live {
    dir: PathBuf,
    store: Arc<RunStore>,
    executor: Arc<Executor>,
    invoker: Arc<ConnectorInvoker>,
    connections: Option<Connections>,
    providers: BTreeMap<String, String>,
    entries: RwLock<BTreeMap<String, Entry>>,
    listening: AtomicBool,
    /// One save at a time: check, write and load are one step.
    saving: Mutex<()>,
}

fn valid_name(name: &str) -> bool {
    (1..=80).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Live {
    /// The workflows of a checked project (their triggers not started yet).
    pub(crate) fn new(
        dir: &Path,
        store: Arc<RunStore>,
        executor: Arc<Executor>,
        invoker: Arc<ConnectorInvoker>,
        workflows: &[WorkflowFile],
        connections: Option<Connections>,
        providers: BTreeMap<String, String>,
    ) -> Result<Arc<Live>, StoreError> {
        let disabled = store.disabled_workflows()?;
        let mut entries = BTreeMap::new();
        for w in workflows {
            let w = Arc::new(w.clone());
            // The project was checked as a whole before: every trigger builds.
            let Ok(built) = build_one(&w, &invoker) else {
                continue;
            };
            entries.insert(
                w.name.clone(),
                Entry {
                    enabled: !disabled.contains(&w.name),
                    workflow: w,
                    built,
                    status: Arc::new(StatusCell::default()),
                    stopper: None,
                },
            );
        }
        Ok(Arc::new(Live {
            dir: dir.to_path_buf(),
            store,
            executor,
            invoker,
            connections,
            providers,
            entries: RwLock::new(entries),
            listening: AtomicBool::new(false),
            saving: Mutex::new(()),
        }))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Entry>> {
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Entry>> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The run store.
    pub fn store(&self) -> &Arc<RunStore> {
        &self.store
    }

    /// Tells the executor that runs were queued (after a resubmit).
    pub fn wake(&self) {
        self.executor.wake();
    }

    /// The connections of `connections.json` with the connector that serves each.
    pub fn connections(&self) -> Vec<ConnectionView> {
        let Some(c) = &self.connections else {
            return Vec::new();
        };
        c.service_providers
            .values()
            .map(|s| ConnectionView {
                name: s.name.clone(),
                display_name: s.display_name.clone(),
                service_provider_id: s.service_provider_id.clone(),
                connector: self.providers.get(&s.service_provider_id).cloned(),
            })
            .collect()
    }

    /// Whether any workflow has a `Request` trigger.
    pub fn has_request_triggers(&self) -> bool {
        self.read()
            .values()
            .any(|e| matches!(e.built, Built::Request))
    }

    /// The enabled workflow `name` if its trigger is a `Request`: what the listener serves.
    pub fn request_workflow(&self, name: &str) -> Option<Arc<WorkflowFile>> {
        self.read()
            .get(name)
            .filter(|e| e.enabled && matches!(e.built, Built::Request))
            .map(|e| e.workflow.clone())
    }

    /// Starts every enabled workflow's trigger; `listening` says whether the `Request`
    /// listener runs.
    pub(crate) fn start_all(&self, listening: bool) {
        self.listening.store(listening, Ordering::SeqCst);
        let mut entries = self.write();
        for e in entries.values_mut() {
            self.start_trigger(e);
        }
    }

    /// Stops every trigger thread (they end at their next wake-up).
    pub(crate) fn stop_all(&self) {
        for e in self.write().values_mut() {
            if let Some(s) = e.stopper.take() {
                s.stop();
            }
            e.status.set_state(TriggerPhase::Stopped);
        }
    }

    fn start_trigger(&self, e: &mut Entry) {
        if let Some(s) = e.stopper.take() {
            s.stop();
        }
        if !e.enabled {
            e.status.set_state(TriggerPhase::Disabled);
            return;
        }
        let stop = Arc::new(Stopper::default());
        let (store, ex, st, status) = (
            self.store.clone(),
            self.executor.clone(),
            stop.clone(),
            e.status.clone(),
        );
        let spawned = match &e.built {
            Built::Request => {
                let listening = self.listening.load(Ordering::SeqCst);
                e.status.set_state(if listening {
                    TriggerPhase::Listening
                } else {
                    TriggerPhase::NoListener
                });
                return;
            }
            Built::Polling(p) => {
                let p = p.clone();
                std::thread::Builder::new()
                    .name("flows-poll".into())
                    .spawn(move || p.run(&store, &ex, &st, &status))
            }
            Built::Schedule(s) => {
                let s = s.clone();
                std::thread::Builder::new()
                    .name("flows-schedule".into())
                    .spawn(move || s.run(&store, &ex, &st, &status))
            }
        };
        match spawned {
            Ok(_) => {
                e.status.set_state(TriggerPhase::Running);
                e.stopper = Some(stop);
            }
            Err(err) => e
                .status
                .failed(format!("cannot start the trigger's thread: {err}")),
        }
    }

    /// Every workflow, by name, with its newest run.
    pub fn workflows(&self) -> Result<Vec<WorkflowSummary>, LiveError> {
        let list: Vec<(String, String, &'static str, bool)> = self
            .read()
            .values()
            .map(|e| {
                let t = e.workflow.workflow.definition.triggers[0].name.clone();
                (e.workflow.name.clone(), t, e.built.kind(), e.enabled)
            })
            .collect();
        let mut out = Vec::new();
        for (name, trigger, trigger_kind, enabled) in list {
            let filter = RunFilter {
                workflow: Some(name.clone()),
                status: None,
                limit: 1,
            };
            let last_run = self.store.list(&filter)?.into_iter().next();
            out.push(WorkflowSummary {
                name,
                trigger,
                trigger_kind,
                enabled,
                last_run,
            });
        }
        Ok(out)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name).join("workflow.json")
    }

    /// The `workflow.json` of `name`, as on disk.
    pub fn definition(&self, name: &str) -> Result<Value, LiveError> {
        if !valid_name(name) || !self.read().contains_key(name) {
            return Err(LiveError::NotFound(name.to_owned()));
        }
        let path = self.file(name);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| LiveError::Io(format!("cannot read {}: {e}", path.display())))?;
        serde_json::from_str(&text)
            .map_err(|e| LiveError::Io(format!("{} is not JSON: {e}", path.display())))
    }

    /// Checks `workflow` (a `workflow.json` document) as the workflow `name`; when it has no
    /// problem, writes it atomically and loads it: its trigger restarts with it and new runs
    /// use it. Returns whether the workflow is new.
    pub fn save(&self, name: &str, workflow: &Value) -> Result<bool, LiveError> {
        if !valid_name(name) {
            return Err(LiveError::BadName(name.to_owned()));
        }
        let _one = self.saving.lock().unwrap_or_else(|p| p.into_inner());
        // Checked as the text that is written, so that the lines of problems are its lines.
        let text = serde_json::to_string_pretty(workflow)
            .map_err(|e| LiveError::Io(format!("cannot write the workflow as JSON: {e}")))?;
        let checked = check::check(name, &text, self.connections.as_ref(), &self.invoker)
            .map_err(LiveError::Invalid)?;
        let w = Arc::new(checked);
        let built = build_one(&w, &self.invoker).map_err(|(pointer, message)| {
            LiveError::Invalid(vec![w.problem(&pointer, message).into()])
        })?;
        write_atomically(&self.file(name), text.as_bytes())?;
        self.executor.set_workflow(w.clone());
        let mut entries = self.write();
        let created = !entries.contains_key(name);
        let (enabled, status) = match entries.get_mut(name) {
            Some(old) => {
                if let Some(s) = old.stopper.take() {
                    s.stop();
                }
                (old.enabled, old.status.clone())
            }
            None => (true, Arc::new(StatusCell::default())),
        };
        let mut entry = Entry {
            workflow: w,
            built,
            enabled,
            status,
            stopper: None,
        };
        self.start_trigger(&mut entry);
        entries.insert(name.to_owned(), entry);
        Ok(created)
    }

    /// Enables or disables `name`: its trigger starts or stops (a disabled `Request` trigger
    /// answers 404); the flag is kept in the run store.
    pub fn set_enabled(&self, name: &str, enabled: bool) -> Result<(), LiveError> {
        let mut entries = self.write();
        let e = entries
            .get_mut(name)
            .ok_or_else(|| LiveError::NotFound(name.to_owned()))?;
        self.store.set_enabled(name, enabled)?;
        if e.enabled != enabled || (enabled && e.stopper.is_none()) {
            e.enabled = enabled;
            self.start_trigger(e);
        }
        Ok(())
    }

    /// Starts a run of `name` by hand, with `body` as the trigger's body (what the designer's
    /// Start does). Returns the run's id.
    pub fn run_now(&self, name: &str, body: Value) -> Result<String, LiveError> {
        let (workflow, trigger) = {
            let entries = self.read();
            let e = entries
                .get(name)
                .ok_or_else(|| LiveError::NotFound(name.to_owned()))?;
            if !e.enabled {
                return Err(LiveError::Conflict(format!(
                    "the workflow `{name}` is disabled; enable it to start it"
                )));
            }
            let t = e.workflow.workflow.definition.triggers[0].name.clone();
            (e.workflow.name.clone(), t)
        };
        let outputs = json!({"headers": {}, "body": body});
        let id = self.store.create_run(&workflow, &trigger, &outputs)?;
        self.executor.wake();
        Ok(id)
    }

    /// Every workflow's trigger and its status.
    pub fn triggers(&self) -> Result<Vec<TriggerView>, LiveError> {
        let list: Vec<(String, String, &'static str, TriggerInfo)> = self
            .read()
            .values()
            .map(|e| {
                let t = e.workflow.workflow.definition.triggers[0].name.clone();
                (e.workflow.name.clone(), t, e.built.kind(), e.status.get())
            })
            .collect();
        let mut out = Vec::new();
        for (workflow, trigger, kind, info) in list {
            let committed = self.store.trigger_state(&workflow, &trigger)?;
            out.push(TriggerView {
                workflow,
                trigger,
                kind,
                info,
                committed_state: committed.state,
                next_due: committed.next_due,
            });
        }
        Ok(out)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder, synced, then
/// renamed over it: a crash leaves the old file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), LiveError> {
    use std::io::Write;
    let io = |what: &str, e: std::io::Error| LiveError::Io(format!("cannot {what}: {e}"));
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io(&format!("create {}", dir.display()), e))?;
    let tmp = dir.join(".workflow.json.saving");
    let mut f =
        std::fs::File::create(&tmp).map_err(|e| io(&format!("create {}", tmp.display()), e))?;
    f.write_all(bytes)
        .and_then(|()| f.write_all(b"\n"))
        .and_then(|()| f.sync_all())
        .map_err(|e| io(&format!("write {}", tmp.display()), e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(&format!("replace {}", path.display()), e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
