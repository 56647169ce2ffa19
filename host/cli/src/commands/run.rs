//! `connector-host run`: the long-running trigger host.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::signals::Signals;
use super::{CommandResult, Failure, exit, make_runtime};
use connector_runtime::runtime::Runtime;
use connector_triggers::clock::human_duration;
use connector_triggers::config::{Config, ConfigError};
use connector_triggers::host::{HostError, Prepared, RunOptions};
use connector_triggers::poller::PollReport;

/// The exit code of `run --once` when a trigger's poll or delivery failed.
pub const ONCE_FAILED: u8 = exit::CONNECTOR;

/// Run the triggers of a configuration: poll, deliver events, serve webhooks.
///
/// Stops on SIGINT or SIGTERM: no new polls start, polls in progress may
/// finish for [host] shutdown_grace, and committed state stays consistent.
#[derive(Args, Debug)]
pub struct RunCommand {
    /// The runtime configuration (TOML; see the README).
    #[arg(value_name = "CONFIG")]
    config: PathBuf,
    /// Poll every polling trigger once, deliver what it found, commit, and
    /// exit (exit code 3 if any failed). Push triggers are not served.
    #[arg(long)]
    once: bool,
}

impl RunCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("connector-host")
            .build()
            .map_err(|e| Failure {
                code: exit::LOAD,
                message: format!("cannot start the async runtime: {e}"),
            })?;
        // Listen for signals before anything else (loading connectors can
        // take a while), so that an early SIGTERM is a clean stop rather
        // than the default instant death.
        let signals = {
            let _runtime = tokio.enter();
            Signals::new().map_err(|e| Failure {
                code: exit::LOAD,
                message: format!("cannot listen for signals: {e}"),
            })?
        };
        let mut config = Config::load(&self.config).map_err(config_failure)?;
        let runtime = make_runtime(runtime)?;
        // [trust] and oci:// components: checked and pulled before anything
        // is loaded, so nothing of a refused component runs.
        for line in super::signing::admit_config(&mut config, &runtime)? {
            eprintln!("connector-host: {line}");
        }
        let prepared = Prepared::prepare(&config, &runtime).map_err(host_failure)?;
        for line in prepared.summary() {
            eprintln!("connector-host: {line}");
        }
        let grace = config.host.shutdown_grace;
        let result = tokio.block_on(self.run(prepared, signals, grace));
        // An abandoned poll may still be inside a wasm call on a blocking
        // thread (its own deadline ends it); do not wait for it.
        tokio.shutdown_timeout(Duration::from_millis(500));
        result
    }

    async fn run(
        &self,
        prepared: Prepared,
        mut signals: Signals,
        grace: Duration,
    ) -> CommandResult {
        let mut running = prepared
            .start(RunOptions {
                once: self.once,
                ..RunOptions::default()
            })
            .await
            .map_err(host_failure)?;
        if running.recovered() > 0 {
            eprintln!(
                "connector-host: the sink already held {} event(s) that the last run delivered \
                 but had not recorded (it stopped in between); recorded them, not delivering again",
                running.recovered()
            );
        }
        if let Some(addr) = running.webhook_addr() {
            eprintln!("connector-host: webhook listening on http://{addr}");
        }
        if self.once {
            let reports = tokio::select! {
                reports = running.once_reports() => Some(reports),
                signal = signals.next() => {
                    eprintln!("connector-host: {signal}: stopping");
                    None
                }
            };
            let Some(reports) = reports else {
                running.shutdown().await;
                return Ok(ONCE_FAILED);
            };
            running.shutdown().await;
            let mut code = exit::OK;
            for (trigger, report) in reports {
                match report {
                    Ok(PollReport::Done { delivered, .. }) => eprintln!(
                        "connector-host: {trigger}: delivered {} event(s) with {} item(s); {} already delivered",
                        delivered.events, delivered.items, delivered.duplicates
                    ),
                    Ok(PollReport::Failed { error, .. }) => {
                        eprintln!("connector-host: {trigger}: failed, state kept: {error}");
                        code = ONCE_FAILED;
                    }
                    Err(e) => {
                        eprintln!("connector-host: {trigger}: the poll task died: {e}");
                        code = ONCE_FAILED;
                    }
                }
            }
            return Ok(code);
        }
        eprintln!("connector-host: running; stop with Ctrl-C or SIGTERM");
        let signal = tokio::select! {
            signal = signals.next() => signal,
            (task, why) = running.task_died() => {
                eprintln!("connector-host: the task of {task} stopped ({why}); stopping the host");
                let report = running.shutdown().await;
                if !report.abandoned.is_empty() {
                    eprintln!(
                        "connector-host: abandoned without committing: {}",
                        report.abandoned.join(", ")
                    );
                }
                return Err(Failure {
                    code: exit::LOAD,
                    message: format!("{task} stopped unexpectedly: {why}"),
                });
            }
        };
        eprintln!(
            "connector-host: {signal}: stopping; polls in progress may finish within {}",
            human_duration(grace)
        );
        let report = running.shutdown().await;
        if report.abandoned.is_empty() {
            eprintln!("connector-host: stopped");
        } else {
            eprintln!(
                "connector-host: stopped; abandoned without committing: {}",
                report.abandoned.join(", ")
            );
        }
        Ok(exit::OK)
    }
}

/// A configuration that cannot be used is a usage error.
pub fn config_failure(e: ConfigError) -> Failure {
    Failure {
        code: exit::USAGE,
        message: e.to_string(),
    }
}

fn host_failure(e: HostError) -> Failure {
    let code = match &e {
        HostError::Config(_) => exit::USAGE,
        _ => exit::LOAD,
    };
    Failure {
        code,
        message: e.to_string(),
    }
}
