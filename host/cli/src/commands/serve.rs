//! `connector-host serve`: the server (API and page) over the connectors of
//! a configuration, and its triggers, in one process; a project folder is
//! served by [`super::serve_project`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::run::config_failure;
use super::signals::Signals;
use super::{CommandResult, Failure, exit, make_runtime};
use connector_runtime::runtime::Runtime;
use connector_server::listen::ListenOptions;
use connector_server::{Catalog, Server, ServerOptions, TriggerStatus};
use connector_triggers::config::Config;
use connector_triggers::host::{Prepared, RunOptions};

/// Serve the API and the page over the connectors of a configuration, and
/// run its triggers; or serve a workflow project (a folder), running it as
/// `run <project dir>` does, with its workflows, runs and triggers in the
/// API and the designer and monitor on the page.
///
/// Listens on 127.0.0.1:7071 by default. Every API call needs the token
/// that the first start creates in the state directory and prints as an
/// address to open. Stops on SIGINT or SIGTERM.
#[derive(Args, Debug)]
pub struct ServeCommand {
    /// The runtime configuration (TOML, as for `run`; see the README), or a
    /// workflow project folder.
    #[arg(value_name = "CONFIG|PROJECT")]
    config: PathBuf,
    /// Address to listen on. Anything but loopback needs --public and TLS.
    #[arg(long, value_name = "ADDR", default_value = connector_server::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Allow listening on a non-loopback address (with --tls-cert and --tls-key).
    #[arg(long)]
    public: bool,
    /// TLS certificate chain (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Another host name to answer to (name or name:port; the Host header is
    /// checked against the loopback names otherwise). Repeatable.
    #[arg(long = "allow-host", value_name = "NAME")]
    allow_hosts: Vec<String>,
    /// Where the token and the server's connections are kept
    /// [default: server-state beside the configuration, or in the project].
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Print the address with the token even if it was printed before.
    #[arg(long)]
    print_url: bool,
}

impl ServeCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("connector-server")
            .build()
            .map_err(|e| load_failure(format!("cannot start the async runtime: {e}")))?;
        let mut signals = {
            let _runtime = tokio.enter();
            Signals::new().map_err(|e| load_failure(format!("cannot listen for signals: {e}")))?
        };
        if super::serve_project::is_project(&self.config) {
            let runtime = make_runtime(runtime)?;
            let options = ServerOptions {
                listen: ListenOptions {
                    addr: self.listen,
                    public: self.public,
                    tls: self.tls_cert.clone().zip(self.tls_key.clone()),
                },
                allow_hosts: self.allow_hosts.clone(),
                state_dir: self
                    .state_dir
                    .clone()
                    .unwrap_or_else(super::serve_project::default_state_dir),
            };
            let result = super::serve_project::execute(
                &self.config,
                options,
                runtime,
                &tokio,
                &mut signals,
                |server| {
                    self.announce(server);
                    eprintln!("connector-host: metrics on {}/metrics", server.base_url());
                },
            );
            connector_metrics::telemetry::flush();
            tokio.shutdown_timeout(Duration::from_millis(500));
            return result;
        }
        let config = Config::load(&self.config).map_err(config_failure)?;
        let metrics = super::run::observe(&config)?;
        let runtime = make_runtime(runtime)?;
        let state_dir = self.state_dir.clone().unwrap_or_else(|| {
            config
                .file
                .parent()
                .map_or_else(|| PathBuf::from("server-state"), |d| d.join("server-state"))
        });
        let options = ServerOptions {
            listen: ListenOptions {
                addr: self.listen,
                public: self.public,
                tls: self.tls_cert.clone().zip(self.tls_key.clone()),
            },
            allow_hosts: self.allow_hosts.clone(),
            state_dir,
        };
        let result = tokio.block_on(async {
            let server = Server::bind(&config, options).await.map_err(|e| Failure {
                code: exit::USAGE,
                message: e.to_string(),
            })?;
            self.announce(&server);
            eprintln!("connector-host: metrics on {}/metrics", server.base_url());
            super::run::serve_metrics(&metrics).await?;
            run(server, config, runtime, &mut signals).await
        });
        connector_metrics::telemetry::flush();
        // A try-it call may still be inside a wasm call on a blocking
        // thread (its own deadline ends it); do not wait for it.
        tokio.shutdown_timeout(Duration::from_millis(500));
        result
    }

    fn announce(&self, server: &Server) {
        eprintln!("connector-host: serving on {}", server.base_url());
        if server.token_created() || self.print_url {
            // Printed once: the address holds the token (in the fragment,
            // which browsers never send on).
            eprintln!("connector-host: open {}", server.url_with_token());
        } else {
            eprintln!(
                "connector-host: the API token is in {} (open {}/#token=<token>, or start with --print-url)",
                server.token_path().display(),
                server.base_url()
            );
        }
    }
}

/// Serves while the connectors load and the triggers start, until a signal.
async fn run(
    server: Server,
    config: Config,
    runtime: Runtime,
    signals: &mut Signals,
) -> CommandResult {
    let app = server.app();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(async {
        let _ = stopped.await;
    }));
    let triggers = config.triggers.len();
    let loader = {
        let app = app.clone();
        tokio::task::spawn_blocking(move || {
            app.set_catalog(Catalog::load(&config, &runtime));
            // The trigger host loads the connectors again (from the cache,
            // so quickly): it owns its own copies.
            (triggers > 0).then(|| Prepared::prepare(&config, &runtime))
        })
    };
    let prepared = tokio::select! {
        r = loader => r,
        signal = signals.next() => {
            eprintln!("connector-host: {signal}: stopping");
            let _ = stop.send(());
            let _ = serving.await;
            return Ok(exit::OK);
        }
    };
    let mut running = None;
    match prepared {
        Ok(None) => eprintln!("connector-host: connectors loaded; no triggers configured"),
        Ok(Some(Ok(prepared))) => {
            for line in prepared.summary() {
                eprintln!("connector-host: {line}");
            }
            match prepared.start(RunOptions::default()).await {
                Ok(r) => {
                    app.set_triggers(TriggerStatus::Running(triggers));
                    running = Some(r);
                }
                Err(e) => {
                    eprintln!("connector-host: the triggers could not start: {e}");
                    app.set_triggers(TriggerStatus::Failed(e.to_string()));
                }
            }
        }
        Ok(Some(Err(e))) => {
            eprintln!("connector-host: the triggers could not start: {e}");
            app.set_triggers(TriggerStatus::Failed(e.to_string()));
        }
        Err(e) => {
            app.set_triggers(TriggerStatus::Failed(format!("loading failed: {e}")));
        }
    }
    let mut died = None;
    let signal = match running.as_mut() {
        None => signals.next().await,
        Some(r) => tokio::select! {
            s = signals.next() => s,
            (task, why) = r.task_died() => {
                died = Some(format!("{task} stopped unexpectedly: {why}"));
                "a trigger task died"
            }
        },
    };
    eprintln!("connector-host: {signal}: stopping");
    let _ = stop.send(());
    if let Some(r) = running {
        let report = r.shutdown().await;
        if !report.abandoned.is_empty() {
            eprintln!(
                "connector-host: abandoned without committing: {}",
                report.abandoned.join(", ")
            );
        }
    }
    let _ = serving.await;
    eprintln!("connector-host: stopped");
    match died {
        Some(message) => Err(Failure {
            code: exit::LOAD,
            message,
        }),
        None => Ok(exit::OK),
    }
}

fn load_failure(message: String) -> Failure {
    Failure {
        code: exit::LOAD,
        message,
    }
}
