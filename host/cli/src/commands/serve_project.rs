//! `connector-host serve <project dir>`: a workflow project run as `run <project dir>` runs
//! it (executor, triggers, `Request` listener), in the same process as the server, whose API
//! then also has the project's workflows, runs and triggers, and whose page has the designer
//! and the monitor.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::run_project::host_failure;
use super::signals::Signals;
use super::{CommandResult, Failure, exit};
use connector_flows::host::Prepared;
use connector_runtime::runtime::Runtime;
use connector_server::{Catalog, Server, ServerOptions, TriggerStatus};

/// How long runs in progress may finish at shutdown (the rest resume at the next start).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves the project in `dir` until a signal. `options.state_dir` empty: `server-state` in
/// the project.
pub(super) fn execute(
    dir: &Path,
    mut options: ServerOptions,
    runtime: Runtime,
    tokio: &tokio::runtime::Runtime,
    signals: &mut Signals,
    announce: impl Fn(&Server),
) -> CommandResult {
    if options.state_dir.as_os_str().is_empty() {
        options.state_dir = dir.join("server-state");
    }
    let lookup = |name: &str| std::env::var(name).ok();
    let prepared = Prepared::prepare(dir, &runtime, &lookup).map_err(host_failure)?;
    let metrics = super::run::observe(prepared.config())?;
    for line in prepared.summary() {
        eprintln!("connector-host: {line}");
    }
    // The server's catalog holds its own copies of the connectors (loaded again, from the
    // compiled cache, so quickly), for "try it".
    let catalog = Catalog::load(prepared.config(), &runtime);
    let workflows = prepared.summary().len().saturating_sub(1);
    tokio.block_on(async {
        let server = Server::bind(prepared.config(), options)
            .await
            .map_err(|e| Failure {
                code: exit::USAGE,
                message: e.to_string(),
            })?;
        let app = server.app();
        app.expect_flows();
        app.set_catalog(catalog);
        super::run::serve_metrics(&metrics).await?;
        let running = prepared.start().await.map_err(host_failure)?;
        if let Some(addr) = running.request_addr() {
            eprintln!("connector-host: Request triggers listening on http://{addr}");
        }
        app.set_flows(running.live());
        app.set_triggers(TriggerStatus::Running(workflows));
        // Announced once everything runs: a client that reads the address finds the API
        // with its workflows.
        announce(&server);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.serve(async {
            let _ = stopped.await;
        }));
        let signal = signals.next().await;
        eprintln!("connector-host: {signal}: stopping; runs in progress may finish within 10s");
        let _ = stop.send(());
        let left = running.shutdown(SHUTDOWN_GRACE).await;
        let _ = serving.await;
        if left > 0 {
            eprintln!("connector-host: stopped; {left} run(s) left to resume at the next start");
        } else {
            eprintln!("connector-host: stopped");
        }
        Ok(exit::OK)
    })
}

/// Whether `path` names a workflow project (a folder) rather than a `host.toml`.
pub(super) fn is_project(path: &Path) -> bool {
    path.is_dir()
}

/// The empty path that says "the default state folder".
pub(super) fn default_state_dir() -> PathBuf {
    PathBuf::new()
}
