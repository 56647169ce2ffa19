//! `connector-host invoke`: run one action and print its body.

use clap::Args;

use super::{
    CommandResult, ComponentArgs, ConnectionArgs, Failure, exit, make_runtime, print_json,
    read_json_arg,
};
use connector_runtime::runtime::Runtime;

/// Run an action: the input is checked against its schema, the body printed as JSON.
#[derive(Args, Debug)]
pub struct InvokeCommand {
    #[command(flatten)]
    component: ComponentArgs,
    /// The operation id (see `describe`).
    operation: String,
    /// The input: JSON, @FILE, or - for standard input.
    #[arg(short, long, value_name = "JSON", default_value = "{}")]
    input: String,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Print {"status": .., "body": ..} instead of the body alone.
    #[arg(long)]
    with_status: bool,
}

impl InvokeCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let options = self.component.options().map_err(Failure::usage)?;
        let input = read_json_arg("--input", &self.input).map_err(Failure::usage)?;
        let connection = self.connection.connection().map_err(Failure::usage)?;
        let runtime = make_runtime(runtime)?;
        let connector = runtime.load(&self.component.component, options)?;
        self.connection
            .warn_secrets_on_command_line(connector.description());
        let response = connector.invoke(&self.operation, &connection, &input)?;
        tracing::info!(
            status = response.status,
            "{} {} done",
            connector.name(),
            self.operation
        );
        if self.with_status {
            print_json(&response);
        } else {
            print_json(&response.body);
        }
        Ok(exit::OK)
    }
}
