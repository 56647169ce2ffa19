//! connector-server: the HTTP API and the page of `connector-host serve`.
//!
//! One process loads the connectors of a `host.toml`, and serves, on
//! `127.0.0.1:7071` by default:
//!
//! - the **API** under `/api/` (JSON; described at `/api/openapi.json`):
//!   the catalog of connectors and their operations with schemas,
//!   connections (secret values write-only), "try it" (invoke an action,
//!   poll a trigger once, dynamic values, check-connection), health and
//!   readiness; and, when it serves a workflow project ([`workflows`],
//!   [`runs`]), its workflows (list, get, put checked and loaded at once,
//!   enable, disable, run now), their runs (filtered pages, one run with
//!   every action, resubmit, cancel) and their triggers' status;
//! - the **page** at `/`, its assets compiled in ([`assets`]): the catalog,
//!   a form per operation generated from its input schema, connections,
//!   the workflow designer and the run monitor.
//!
//! Security ([`guard`]): a token created at first start in the state
//! directory ([`token`]) on every API call; the `Host` header checked
//! against the server's own names (DNS rebinding) and the `Origin` of
//! every state-changing request (CSRF); a Content-Security-Policy with no
//! inline script; loopback unless the operator asks otherwise, with TLS
//! ([`listen`]). Everything a connector returns passes a redactor holding
//! the connection's secrets ([`tryit`]).
//!
//! ```no_run
//! # async fn f(config: connector_triggers::config::Config) -> anyhow::Result<()> {
//! use connector_server::{Server, ServerOptions};
//! let server = Server::bind(&config, ServerOptions::loopback(".state".into())).await?;
//! println!("open {}", server.url_with_token());
//! server.serve(std::future::pending()).await;
//! # Ok(())
//! # }
//! ```
//!
//! Dependencies: this crate -> {`connector-flows` (the workflow project),
//! `connector-triggers` (the configuration), `connector-runtime`}.

pub mod api;
pub mod app;
pub mod assets;
pub mod catalog;
pub mod connections;
pub mod error;
pub mod files;
pub mod guard;
pub mod listen;
pub mod openapi;
pub mod runs;
pub mod token;
pub mod tryit;
pub mod workflows;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use connector_triggers::config::Config;

pub use app::{App, TriggerStatus};
pub use catalog::Catalog;
pub use listen::{DEFAULT_LISTEN, ListenError, ListenOptions};

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub listen: ListenOptions,
    /// Host names to answer to besides the loopback ones (`name[:port]`).
    pub allow_hosts: Vec<String>,
    /// Where the token and stored connections live.
    pub state_dir: PathBuf,
}

impl ServerOptions {
    /// Loopback on the default port.
    pub fn loopback(state_dir: PathBuf) -> Self {
        Self {
            listen: ListenOptions {
                addr: DEFAULT_LISTEN.parse().expect("a valid address"),
                public: false,
                tls: None,
            },
            allow_hosts: Vec::new(),
            state_dir,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Listen(#[from] ListenError),
    /// The state directory, token or stored connections cannot be used.
    #[error("{0:#}")]
    State(anyhow::Error),
}

/// A bound server, not serving yet.
pub struct Server {
    app: Arc<App>,
    guard: Arc<guard::Guard>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    addr: SocketAddr,
    token: token::LoadedToken,
}

impl Server {
    /// Checks the listening policy, opens the state (token, connections)
    /// and binds. The catalog is empty until [`App::set_catalog`].
    pub async fn bind(config: &Config, options: ServerOptions) -> Result<Self, ServerError> {
        listen::check_policy(&options.listen)?;
        let tls = match &options.listen.tls {
            Some((cert, key)) => Some(listen::tls_acceptor(cert, key)?),
            None => None,
        };
        let token = token::Token::load_or_create(&options.state_dir).map_err(ServerError::State)?;
        let connections =
            connections::Connections::open(&options.state_dir, config.connections.clone())
                .map_err(ServerError::State)?;
        let triggers = if config.triggers.is_empty() {
            TriggerStatus::None
        } else {
            TriggerStatus::Starting
        };
        let listener = listen::bind(options.listen.addr).await?;
        let addr = listener.local_addr().map_err(|source| ListenError::Bind {
            addr: options.listen.addr,
            source,
        })?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let guard = Arc::new(guard::Guard::new(
            token.token.clone(),
            scheme,
            addr.port(),
            &options.allow_hosts,
        ));
        Ok(Self {
            app: Arc::new(App::new(connections, triggers)),
            guard,
            listener,
            tls,
            addr,
            token,
        })
    }

    /// The shared state (to set the catalog and the triggers' status).
    pub fn app(&self) -> Arc<App> {
        self.app.clone()
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's address with the token in the fragment, to open once.
    pub fn url_with_token(&self) -> String {
        format!("{}/#token={}", self.base_url(), self.token.token.reveal())
    }

    /// The page's address.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let host = if self.addr.ip().is_unspecified() || self.addr.ip().is_loopback() {
            format!("127.0.0.1:{}", self.addr.port())
        } else {
            self.addr.to_string()
        };
        format!("{scheme}://{host}")
    }

    /// Whether this start created the token (so it was never printed).
    pub fn token_created(&self) -> bool {
        self.token.created
    }

    /// The token's file.
    pub fn token_path(&self) -> &std::path::Path {
        &self.token.path
    }

    /// The host names served.
    pub fn hosts(&self) -> &[String] {
        self.guard.hosts()
    }

    /// Serves until `stop` resolves.
    pub async fn serve(self, stop: impl std::future::Future<Output = ()>) {
        let router = api::router(self.app.clone(), self.guard.clone());
        listen::serve(self.listener, self.tls, router, stop).await;
    }
}
