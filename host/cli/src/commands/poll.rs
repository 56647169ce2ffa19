//! `connector-host poll`: poll a trigger once and print the items and the new state.

use clap::Args;

use super::{
    CommandResult, ComponentArgs, ConnectionArgs, Failure, exit, make_runtime, print_json,
    read_json_arg,
};
use connector_runtime::runtime::Runtime;

/// Poll a trigger once, as the host's poller would, and print what it found.
#[derive(Args, Debug)]
pub struct PollCommand {
    #[command(flatten)]
    component: ComponentArgs,
    /// The trigger's operation id (see `describe`).
    trigger: String,
    /// The trigger's input: JSON, @FILE, or -.
    #[arg(short, long, value_name = "JSON", default_value = "{}")]
    input: String,
    /// The state a previous poll returned: JSON, @FILE, or -. Omit for a first poll.
    #[arg(long, value_name = "JSON")]
    state: Option<String>,
    #[command(flatten)]
    connection: ConnectionArgs,
}

impl PollCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let options = self.component.options().map_err(Failure::usage)?;
        let input = read_json_arg("--input", &self.input).map_err(Failure::usage)?;
        let state = self
            .state
            .as_deref()
            .map(|s| read_json_arg("--state", s))
            .transpose()
            .map_err(Failure::usage)?;
        let connection = self.connection.connection().map_err(Failure::usage)?;
        let runtime = make_runtime(runtime)?;
        let connector = runtime.load(&self.component.component, options)?;
        self.connection
            .warn_secrets_on_command_line(connector.description());
        let outcome = connector.poll(&self.trigger, &connection, &input, state.as_ref())?;
        print_json(&outcome);
        Ok(exit::OK)
    }
}
