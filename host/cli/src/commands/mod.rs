//! The `connector-host` command line: one file per subcommand, each a
//! `XCommand { .. }` with an `execute` that returns an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use connector_runtime::capabilities::{DirGrant, GrantTemplate, Grants, TcpGrant};
use connector_runtime::connection::Connection;
use connector_runtime::description::{Description, ParameterKind};
use connector_runtime::error::{CallError, LoadError};
use connector_runtime::limits::{self, Limits};
use connector_runtime::runtime::{ConnectorOptions, Runtime, RuntimeOptions};

pub mod backends;
mod check;
mod describe;
mod import;
mod invoke;
mod new;
mod pipe;
mod poll;
mod progress;
mod run;
// Workflow projects (connector-flows): `run <project dir>`, `runs`, `check-workflow`.
mod check_workflow;
mod run_project;
mod runs;
mod runs_show;
mod serve;
mod serve_project;
mod signals;
mod status;
mod test;
mod validate;
// Signed packages, the OCI registry, trust (connector-registry).
mod certify;
mod key;
mod pull;
mod push;
mod sign;
pub mod signing;
mod verify;

/// Exit codes, so that scripts can tell failures apart.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// The component could not be loaded, or it does not fit the contract.
    pub const LOAD: u8 = 1;
    /// Bad arguments, or input or a connection the host refused before calling.
    pub const USAGE: u8 = 2;
    /// The connector returned an error through the contract.
    pub const CONNECTOR: u8 = 3;
    /// The guest trapped or hit a limit.
    pub const TRAP: u8 = 4;
    /// The guest's output breaks the contract (not JSON, not valid against its schema).
    pub const BAD_OUTPUT: u8 = 5;
}

/// Runs workflow connectors as sandboxed WebAssembly components.
#[derive(Parser, Debug)]
#[command(name = "connector-host", version, about, long_about = None)]
pub struct Cli {
    /// More output on stderr: -v for host events, -vv for debug detail.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Directory of the compiled-component cache
    /// [default: $CONNECTOR_HOST_CACHE_DIR, else ~/.cache/connector-host].
    #[arg(long, global = true, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile every time; read and write no cache.
    #[arg(long, global = true)]
    no_cache: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Validate(validate::ValidateCommand),
    Describe(describe::DescribeCommand),
    Check(check::CheckCommand),
    Import(import::ImportCommand),
    Invoke(invoke::InvokeCommand),
    Poll(poll::PollCommand),
    Run(run::RunCommand),
    Runs(runs::RunsCommand),
    CheckWorkflow(check_workflow::CheckWorkflowCommand),
    Serve(serve::ServeCommand),
    Status(status::StatusCommand),
    Test(test::TestCommand),
    New(new::NewCommand),
    Key(key::KeyCommand),
    Sign(sign::SignCommand),
    Verify(verify::VerifyCommand),
    Certify(certify::CertifyCommand),
    Push(push::PushCommand),
    Pull(pull::PullCommand),
}

/// The component and what the operator grants and allows it.
#[derive(Args, Debug)]
pub struct ComponentArgs {
    /// The connector component (.wasm).
    #[arg(value_name = "COMPONENT")]
    pub component: PathBuf,
    /// Grant a directory: HOST_PATH[::GUEST_PATH][:ro]. Repeatable.
    #[arg(long = "dir", value_name = "GRANT")]
    pub dirs: Vec<DirGrant>,
    /// Grant outbound HTTP to an origin: scheme://host[:port], `*.` for
    /// subdomains, `{param}` for a connection value; add ` private` to let a
    /// host name resolve to private addresses. Repeatable.
    #[arg(long = "allow-http", value_name = "ORIGIN")]
    pub http: Vec<GrantTemplate>,
    /// Grant raw TCP connections to an exact IP:PORT. Repeatable.
    #[arg(long = "allow-tcp", value_name = "IP:PORT")]
    pub tcp: Vec<TcpGrant>,
    /// Let the guest resolve host names itself.
    #[arg(long = "allow-dns")]
    pub dns: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Limits of each call; the defaults are safe for untrusted connectors.
#[derive(Args, Debug)]
pub struct LimitArgs {
    /// Fuel per call (about one unit per wasm instruction), or `unlimited`.
    #[arg(long, value_name = "N", default_value = "10000000000")]
    pub fuel: String,
    /// Wall-clock time per call, e.g. 500ms, 10s, 2m.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub timeout: String,
    /// Memory an instance may grow to, e.g. 64MiB.
    #[arg(long, value_name = "SIZE", default_value = "256MiB")]
    pub max_memory: String,
    /// Output a call may return, e.g. 16MiB.
    #[arg(long, value_name = "SIZE", default_value = "16MiB")]
    pub max_output: String,
    /// Elements a table may grow to.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_table_elements)]
    pub max_table_elements: usize,
    /// Core instances, memories and tables one instantiation may create.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_instances)]
    pub max_instances: usize,
    /// Body size of one outbound HTTP response, e.g. 16MiB.
    #[arg(long, value_name = "SIZE", default_value = "16MiB")]
    pub max_http_response: String,
    /// Calls into the connector that may run at once.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_concurrency)]
    pub max_concurrency: usize,
}

impl LimitArgs {
    /// The limits these flags ask for.
    pub fn to_limits(&self) -> Result<Limits> {
        let fuel = match self.fuel.as_str() {
            "unlimited" | "none" => None,
            n => Some(
                n.replace('_', "")
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .with_context(|| {
                        format!("--fuel {n:?} is not a positive whole number or `unlimited`")
                    })?,
            ),
        };
        Ok(Limits {
            fuel,
            timeout: limits::parse_duration(&self.timeout).context("--timeout")?,
            max_memory_bytes: limits::parse_size(&self.max_memory).context("--max-memory")?,
            max_output_bytes: limits::parse_size(&self.max_output).context("--max-output")?,
            max_table_elements: self.max_table_elements,
            max_instances: self.max_instances,
            max_http_response_bytes: limits::parse_size(&self.max_http_response)
                .context("--max-http-response")?,
            max_concurrency: self.max_concurrency,
        })
    }
}

impl ComponentArgs {
    /// The connector options these flags ask for.
    pub fn options(&self) -> Result<ConnectorOptions> {
        Ok(ConnectorOptions {
            limits: self.limits.to_limits()?,
            grants: Grants {
                dirs: self.dirs.clone(),
                http: self.http.clone(),
                tcp: self.tcp.clone(),
                dns: self.dns,
            },
            // One command, one call: nothing to reuse.
            reuse: None,
        })
    }
}

/// A connection's values from the command line.
#[derive(Args, Debug)]
pub struct ConnectionArgs {
    /// A connection value: name=value. Repeatable.
    #[arg(short = 'c', long = "connection", value_name = "NAME=VALUE")]
    pub values: Vec<String>,
    /// A connection value from an environment variable: name=VAR (keeps
    /// secrets out of the command line). Repeatable.
    #[arg(long = "connection-env", value_name = "NAME=VAR")]
    pub env: Vec<String>,
    /// A JSON file of connection values: {"name": "value", ...}.
    /// Values given with --connection or --connection-env override it.
    #[arg(long, value_name = "FILE")]
    pub connection_file: Option<PathBuf>,
}

impl ConnectionArgs {
    /// The connection these flags give.
    pub fn connection(&self) -> Result<Connection> {
        let mut connection = Connection::new();
        if let Some(file) = &self.connection_file {
            connection.read_file(file)?;
        }
        for pair in &self.env {
            let Some((name, var)) = pair.split_once('=') else {
                anyhow::bail!("--connection-env {pair:?} is not of the form name=VARIABLE");
            };
            let value = std::env::var(var).with_context(|| {
                format!("--connection-env {name}={var}: the environment variable {var} is not set")
            })?;
            connection.set(name, value);
        }
        for pair in &self.values {
            connection.set_pair(pair)?;
        }
        Ok(connection)
    }

    /// Warns about each secret parameter of `description` whose value was
    /// given with `-c name=value`: the process list and the shell history
    /// show the command line to other users. (`host.toml` warns the same.)
    pub fn warn_secrets_on_command_line(&self, description: &Description) {
        for pair in &self.values {
            let name = pair
                .split_once('=')
                .map_or(pair.as_str(), |(n, _)| n)
                .trim();
            let secret = description
                .service
                .connection_parameters
                .iter()
                .any(|p| p.name == name && p.kind == ParameterKind::Secret);
            if secret {
                eprintln!(
                    "warning: the secret {name:?} was given on the command line (-c), where the \
                     process list and the shell history show it; use --connection-env \
                     {name}=VARIABLE or --connection-file instead"
                );
            }
        }
    }
}

/// Reads a JSON argument: inline JSON, `@file`, or `-` for standard input.
pub fn read_json_arg(flag: &str, text: &str) -> Result<Value> {
    let (source, body) = if let Some(path) = text.strip_prefix('@') {
        let body =
            std::fs::read_to_string(path).with_context(|| format!("{flag}: cannot read {path}"))?;
        (format!("{flag} file {path}"), body)
    } else if text == "-" {
        let mut body = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut body)
            .with_context(|| format!("{flag}: cannot read standard input"))?;
        (format!("{flag} from standard input"), body)
    } else {
        (flag.to_string(), text.to_string())
    };
    serde_json::from_str(&body).with_context(|| format!("{source} is not valid JSON"))
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if !matches!(cli.command, Command::Run(_) | Command::Serve(_)) {
        pipe::end_quietly_on_broken_pipe();
    }
    init_logging(cli.verbose);
    let runtime = || {
        Runtime::new(RuntimeOptions {
            cache_dir: if cli.no_cache {
                None
            } else {
                cli.cache_dir
                    .clone()
                    .or_else(connector_runtime::cache::ComponentCache::default_dir)
            },
            load_progress: Some(std::sync::Arc::new(progress::StderrProgress::new())),
            ..RuntimeOptions::default()
        })
    };
    let result = match &cli.command {
        Command::Validate(c) => c.execute(runtime),
        Command::Describe(c) => c.execute(runtime),
        Command::Check(c) => c.execute(runtime),
        Command::Import(c) => c.execute(runtime),
        Command::Invoke(c) => c.execute(runtime),
        Command::Poll(c) => c.execute(runtime),
        Command::Run(c) => c.execute(runtime),
        Command::Runs(c) => c.execute(runtime),
        Command::CheckWorkflow(c) => c.execute(runtime),
        Command::Serve(c) => c.execute(runtime),
        Command::Status(c) => c.execute(runtime),
        Command::Test(c) => c.execute(runtime),
        Command::New(c) => c.execute(),
        Command::Key(c) => c.execute(),
        Command::Sign(c) => c.execute(runtime),
        Command::Verify(c) => c.execute(runtime),
        Command::Certify(c) => c.execute(runtime),
        Command::Push(c) => c.execute(runtime),
        Command::Pull(c) => c.execute(runtime),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// A failed command: what to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// A usage error (bad flags or input).
    pub fn usage(e: anyhow::Error) -> Self {
        Self {
            code: exit::USAGE,
            message: format!("{e:#}"),
        }
    }
}

impl From<LoadError> for Failure {
    fn from(e: LoadError) -> Self {
        Self {
            code: exit::LOAD,
            message: e.to_string(),
        }
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Self {
        let code = match &e {
            CallError::InvalidInput { .. }
            | CallError::InvalidConnection(_)
            | CallError::UnknownOperation { .. }
            | CallError::Unsupported { .. } => exit::USAGE,
            CallError::Connector { .. } => exit::CONNECTOR,
            CallError::Limit { .. } | CallError::Trap { .. } => exit::TRAP,
            CallError::BadOutput { .. } => exit::BAD_OUTPUT,
            CallError::Host { .. } => exit::LOAD,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

/// The result of a command.
pub type CommandResult = std::result::Result<u8, Failure>;

/// Builds the runtime; a failure here is the host's, reported as a load failure.
pub fn make_runtime(
    runtime: impl FnOnce() -> Result<Runtime>,
) -> std::result::Result<Runtime, Failure> {
    runtime().map_err(|e| Failure {
        code: exit::LOAD,
        message: format!("{e:#}"),
    })
}

/// Prints a JSON value to stdout, pretty.
pub fn print_json(value: &impl serde::Serialize) {
    // Through a `Value`, so that bodies (kept as the connector's text) are
    // indented like the rest.
    match serde_json::to_value(value).and_then(|v| serde_json::to_string_pretty(&v)) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn,guest=info",
        1 => "info,guest=debug",
        _ => "debug,cranelift_codegen=info,wasmtime_cranelift=info",
    };
    let filter =
        EnvFilter::try_from_env("CONNECTOR_HOST_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    // The log lines as before, and the OpenTelemetry layer that `run` and
    // `serve` turn on when an OTLP endpoint is configured.
    connector_metrics::telemetry::init_subscriber(filter);
}
