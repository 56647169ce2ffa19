//! `connector-host run <project dir>`: runs a workflow project: its triggers start runs, a
//! bounded pool of workers runs them durably, unfinished runs are resumed at start.

use std::path::Path;
use std::time::Duration;

use super::signals::Signals;
use super::{CommandResult, Failure, exit, make_runtime};
use connector_flows::host::{HostError, Prepared};
use connector_runtime::runtime::Runtime;

/// The exit code of `run --once` when a trigger's poll failed or runs did not end in time.
pub const ONCE_FAILED: u8 = exit::CONNECTOR;
/// How long `run --once` lets its runs take.
const ONCE_LIMIT: Duration = Duration::from_secs(3600);
/// How long runs in progress may finish at shutdown before the host stops anyway (they are
/// resumed at the next start).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A host that could not start, as the command's failure (its exit code says why).
pub(super) fn host_failure(e: HostError) -> Failure {
    let code = match &e {
        HostError::Problems(_) => exit::USAGE,
        _ => exit::LOAD,
    };
    Failure {
        code,
        message: e.to_string(),
    }
}

/// Runs the project in `dir`; with `once`, polls each polling trigger once, runs every run
/// to its end and exits.
pub fn execute(
    dir: &Path,
    once: bool,
    runtime: impl FnOnce() -> anyhow::Result<Runtime>,
) -> CommandResult {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("connector-host")
        .build()
        .map_err(|e| Failure {
            code: exit::LOAD,
            message: format!("cannot start the async runtime: {e}"),
        })?;
    let mut signals = {
        let _runtime = tokio.enter();
        Signals::new().map_err(|e| Failure {
            code: exit::LOAD,
            message: format!("cannot listen for signals: {e}"),
        })?
    };
    let runtime = make_runtime(runtime)?;
    let lookup = |name: &str| std::env::var(name).ok();
    let prepared = Prepared::prepare(dir, &runtime, &lookup).map_err(host_failure)?;
    let metrics = super::run::observe(prepared.config())?;
    for line in prepared.summary() {
        eprintln!("connector-host: {line}");
    }
    if once {
        let report = prepared.run_once(ONCE_LIMIT);
        let mut code = exit::OK;
        for (workflow, outcome) in &report.polls {
            match outcome {
                Ok(n) => eprintln!("connector-host: {workflow}: started {n} run(s)"),
                Err(e) => {
                    eprintln!("connector-host: {workflow}: the poll failed, state kept: {e}");
                    code = ONCE_FAILED;
                }
            }
        }
        if !report.all_finished {
            eprintln!("connector-host: runs did not all end within {ONCE_LIMIT:?}");
            code = ONCE_FAILED;
        }
        return Ok(code);
    }
    let result = tokio.block_on(async {
        super::run::serve_metrics(&metrics).await?;
        let running = prepared.start().await.map_err(host_failure)?;
        if let Some(addr) = running.request_addr() {
            eprintln!("connector-host: Request triggers listening on http://{addr}");
        }
        eprintln!("connector-host: running; stop with Ctrl-C or SIGTERM");
        let signal = signals.next().await;
        eprintln!("connector-host: {signal}: stopping; runs in progress may finish within 10s");
        let left = running.shutdown(SHUTDOWN_GRACE).await;
        if left > 0 {
            eprintln!("connector-host: stopped; {left} run(s) left to resume at the next start");
        } else {
            eprintln!("connector-host: stopped");
        }
        Ok(exit::OK)
    });
    connector_metrics::telemetry::flush();
    tokio.shutdown_timeout(Duration::from_millis(500));
    result
}
