//! `connector-host check`: test a connection's values, like a "test connection" button.

use clap::Args;

use super::{CommandResult, ComponentArgs, ConnectionArgs, Failure, exit, make_runtime};
use connector_runtime::runtime::Runtime;

/// Test a connection's values against the connector.
#[derive(Args, Debug)]
pub struct CheckCommand {
    #[command(flatten)]
    component: ComponentArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
}

impl CheckCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let options = self.component.options().map_err(Failure::usage)?;
        let connection = self.connection.connection().map_err(Failure::usage)?;
        let runtime = make_runtime(runtime)?;
        let connector = runtime.load(&self.component.component, options)?;
        self.connection
            .warn_secrets_on_command_line(connector.description());
        connector.check_connection(&connection)?;
        println!("connection ok: {}", connector.name());
        Ok(exit::OK)
    }
}
