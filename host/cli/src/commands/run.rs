//! `connector-host run`: the long-running trigger host.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::signals::Signals;
use super::{CommandResult, Failure, exit, make_runtime};
use connector_metrics::config::MetricsConfig;
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
    /// The runtime configuration (TOML; see the README), or a workflow project folder.
    #[arg(value_name = "CONFIG|PROJECT")]
    config: PathBuf,
    /// Poll every polling trigger once, deliver what it found, commit, and
    /// exit (exit code 3 if any failed). Push triggers are not served.
    #[arg(long)]
    once: bool,
    /// Start even though the state database is blank while the sink already holds events
    /// (the state was lost): every trigger starts from nothing, and events the sink holds
    /// may be delivered again.
    #[arg(long)]
    reset_state: bool,
}

impl RunCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        // A folder is a workflow project (connections.json, workflow folders, host.toml).
        if self.config.is_dir() {
            return super::run_project::execute(&self.config, self.once, runtime);
        }
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
        let metrics = observe(&config)?;
        let runtime = make_runtime(runtime)?;
        // [trust] and oci:// components: checked and pulled before anything
        // is loaded, so nothing of a refused component runs.
        for line in super::signing::admit_config(&mut config, &runtime)? {
            eprintln!("connector-host: {line}");
        }
        let backends = super::backends::backends(&config).map_err(|e| Failure {
            code: exit::LOAD,
            message: format!("{e:#}"),
        })?;
        let prepared =
            Prepared::prepare_with(&config, &runtime, &backends).map_err(host_failure)?;
        for line in prepared.summary() {
            eprintln!("connector-host: {line}");
        }
        let grace = config.host.shutdown_grace;
        let result = tokio.block_on(async {
            serve_metrics(&metrics).await?;
            self.run(prepared, signals, grace).await
        });
        connector_metrics::telemetry::flush();
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
                reset_state: self.reset_state,
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

/// Turns on what `[metrics]` and `[telemetry]` ask for: every connector
/// call is counted, and traced to the OTLP collector when one is
/// configured (there or by `OTEL_EXPORTER_OTLP_ENDPOINT`). Returns `[metrics]`.
pub fn observe(config: &Config) -> Result<MetricsConfig, Failure> {
    let usage = |message: String| Failure {
        code: exit::USAGE,
        message: format!("{}: {message}", config.file.display()),
    };
    let metrics = connector_metrics::config::metrics(config.metrics.as_ref()).map_err(usage)?;
    let telemetry =
        connector_metrics::config::telemetry(config.telemetry.as_ref()).map_err(usage)?;
    connector_metrics::calls::install();
    if let Some(endpoint) =
        connector_metrics::telemetry::endpoint(telemetry.otlp_endpoint.as_deref())
    {
        let url = connector_metrics::telemetry::start_otlp(&endpoint)
            .map_err(|e| usage(format!("{e:#}")))?;
        eprintln!("connector-host: sending traces to {url}");
    }
    Ok(metrics)
}

/// Serves `/metrics` on `[metrics] listen`, if given (on the tokio runtime).
pub async fn serve_metrics(metrics: &MetricsConfig) -> Result<(), Failure> {
    if let Some(addr) = metrics.listen {
        let bound = connector_metrics::exposition::serve(addr)
            .await
            .map_err(|e| Failure {
                code: exit::LOAD,
                message: format!("{e:#}"),
            })?;
        eprintln!("connector-host: metrics on http://{bound}/metrics");
    }
    Ok(())
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
