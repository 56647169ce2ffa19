//! The parsed workflow: triggers, actions (nested ones inside their parents), runAfter and
//! conditions, with every string already compiled to a [`Template`].

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::expr::{CompiledValue, Template};

/// An action's (or a run's) final status, as `runAfter` names it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum RunStatus {
    /// The action ran and succeeded.
    Succeeded,
    /// The action ran and failed (after its retries).
    Failed,
    /// The action did not run because its runAfter was not satisfied.
    Skipped,
    /// The action ran past its `timeout` (or its `Until` past `limit.timeout`).
    TimedOut,
    /// A run's status only (as Logic Apps reports a run stopped by `runs cancel`, or by a
    /// `Terminate` asking for `Cancelled`): runAfter cannot name it, so it is not in [`Self::ALL`].
    Cancelled,
}

impl RunStatus {
    /// Every status runAfter can name, for parsing and messages.
    pub const ALL: [RunStatus; 4] = [
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::Skipped,
        RunStatus::TimedOut,
    ];

    /// Reads a status name, ignoring case (Logic Apps writes `Succeeded` and `SUCCEEDED` alike).
    pub fn parse(s: &str) -> Option<RunStatus> {
        RunStatus::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
    }

    /// Reads any status name, `Cancelled` (a run's status) included, ignoring case.
    pub fn parse_run_status(s: &str) -> Option<RunStatus> {
        RunStatus::parse(s).or_else(|| {
            "Cancelled"
                .eq_ignore_ascii_case(s)
                .then_some(RunStatus::Cancelled)
        })
    }

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "Succeeded",
            RunStatus::Failed => "Failed",
            RunStatus::Skipped => "Skipped",
            RunStatus::TimedOut => "TimedOut",
            RunStatus::Cancelled => "Cancelled",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `workflow.json`: the definition and the workflow's kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    /// `Stateful` or `Stateless` (`None` when the file is the bare definition).
    pub kind: Option<String>,
    /// The definition.
    pub definition: Definition,
}

/// A WDL definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// Declared parameters by name.
    pub parameters: BTreeMap<String, Parameter>,
    /// The triggers (a runnable workflow has exactly one).
    pub triggers: Vec<Trigger>,
    /// The top-level actions.
    pub actions: Vec<Action>,
    /// The `outputs` section, as written.
    pub outputs: Value,
}

/// A declared parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Its declared type (`String`, `Int`, `Object`, ...), as written.
    pub type_name: String,
    /// `defaultValue`, if any.
    pub default_value: Option<Value>,
}

/// The trigger types this host runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerType {
    /// An HTTP request starts a run; a `Response` action answers it.
    Request,
    /// A schedule.
    Recurrence,
    /// A connector's polling or push trigger.
    ServiceProvider,
}

/// A trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// Its name (the key in `triggers`).
    pub name: String,
    /// JSON pointer of the trigger in its file.
    pub pointer: String,
    /// Its type.
    pub trigger_type: TriggerType,
    /// `inputs`, compiled.
    pub inputs: CompiledValue,
    /// For `ServiceProvider` triggers: which connection and operation.
    pub service_provider: Option<ServiceProviderCall>,
    /// `recurrence` as written (`{"frequency": "Minute", "interval": 1}`).
    pub recurrence: Option<Value>,
    /// `splitOn`: an expression giving the array whose items each start a run.
    pub split_on: Option<Template>,
    /// `conditions[].expression`: every one must be true for the event to start a run.
    pub conditions: Vec<Template>,
}

/// The connector operation a `ServiceProvider` trigger or action calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProviderCall {
    /// `inputs.serviceProviderConfiguration.connectionName`: a key of `connections.json`.
    pub connection_name: String,
    /// `...operationId`.
    pub operation_id: String,
    /// `...serviceProviderId`, which the host maps to a component.
    pub service_provider_id: String,
}

/// The action types this host knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionType {
    /// Calls a connector operation.
    ServiceProvider,
    /// Evaluates its inputs.
    Compose,
    /// Declares variables.
    InitializeVariable,
    /// Sets a variable.
    SetVariable,
    /// Adds to an integer or float variable.
    IncrementVariable,
    /// Subtracts from an integer or float variable.
    DecrementVariable,
    /// Appends to an array variable.
    AppendToArrayVariable,
    /// Appends to a string variable.
    AppendToStringVariable,
    /// Runs `actions` or `else.actions`.
    If,
    /// Runs the matching case.
    Switch,
    /// Runs its actions per item.
    Foreach,
    /// Runs its actions until a condition holds.
    Until,
    /// Groups actions.
    Scope,
    /// Ends the run with a status.
    Terminate,
    /// Filters an array.
    Query,
    /// Maps an array.
    Select,
    /// Parses JSON content against a schema.
    ParseJson,
    /// Waits for an interval or until a time.
    Wait,
    /// Answers the `Request` trigger.
    Response,
    /// An HTTP call, run as the bundled HTTP connector.
    Http,
}

impl ActionType {
    /// Every type, with its name in WDL.
    pub const ALL: &'static [(ActionType, &'static str)] = &[
        (ActionType::ServiceProvider, "ServiceProvider"),
        (ActionType::Compose, "Compose"),
        (ActionType::InitializeVariable, "InitializeVariable"),
        (ActionType::SetVariable, "SetVariable"),
        (ActionType::IncrementVariable, "IncrementVariable"),
        (ActionType::DecrementVariable, "DecrementVariable"),
        (ActionType::AppendToArrayVariable, "AppendToArrayVariable"),
        (ActionType::AppendToStringVariable, "AppendToStringVariable"),
        (ActionType::If, "If"),
        (ActionType::Switch, "Switch"),
        (ActionType::Foreach, "Foreach"),
        (ActionType::Until, "Until"),
        (ActionType::Scope, "Scope"),
        (ActionType::Terminate, "Terminate"),
        (ActionType::Query, "Query"),
        (ActionType::Select, "Select"),
        (ActionType::ParseJson, "ParseJson"),
        (ActionType::Wait, "Wait"),
        (ActionType::Response, "Response"),
        (ActionType::Http, "Http"),
    ];

    /// Reads a type name, ignoring case (`compose` appears in Microsoft's own examples).
    pub fn parse(s: &str) -> Option<ActionType> {
        ActionType::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
            .map(|(t, _)| *t)
    }

    /// The WDL name.
    pub fn as_str(self) -> &'static str {
        ActionType::ALL
            .iter()
            .find(|(t, _)| *t == self)
            .map(|(_, n)| *n)
            .unwrap_or("?")
    }

    /// Whether actions of this type hold other actions (and so have a `result()`).
    pub fn is_container(self) -> bool {
        matches!(
            self,
            ActionType::If
                | ActionType::Switch
                | ActionType::Foreach
                | ActionType::Until
                | ActionType::Scope
        )
    }
}

/// One `runAfter` entry: run after `action` ends with one of `statuses`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAfter {
    /// A sibling action's name.
    pub action: String,
    /// The statuses that let this action run (an empty list in the file means `Succeeded`).
    pub statuses: Vec<RunStatus>,
}

/// An action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Its name (unique in the workflow).
    pub name: String,
    /// JSON pointer of the action in its file.
    pub pointer: String,
    /// Its type.
    pub action_type: ActionType,
    /// Its runAfter entries; none means it starts with its scope.
    pub run_after: Vec<RunAfter>,
    /// `inputs`, compiled (`Constant(null)` when absent).
    pub inputs: CompiledValue,
    /// `timeout`, parsed.
    pub timeout: Option<Duration>,
    /// `retryPolicy` as written (interpreted by the engine).
    pub retry_policy: Option<Value>,
    /// `runtimeConfiguration` as written (`concurrency`, `secureData`, ...).
    pub runtime_configuration: Option<Value>,
    /// `operationOptions` (e.g. `Sequential`).
    pub operation_options: Option<String>,
    /// What the type adds: nested actions, conditions, the called operation.
    pub body: ActionBody,
}

/// The type-specific part of an action.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionBody {
    /// Nothing beyond `inputs` (Compose, Terminate, Query, Select, ParseJson, Wait, Response, Http).
    Plain,
    /// A connector call.
    ServiceProvider(ServiceProviderCall),
    /// `InitializeVariable`: the declared variables.
    InitializeVariable(Vec<VariableDecl>),
    /// Set/Increment/Decrement/AppendTo*Variable: the variable it changes (`inputs.name`).
    Variable(String),
    /// `If`.
    If {
        /// `expression`.
        condition: Condition,
        /// `actions`, run when the condition holds.
        actions: Vec<Action>,
        /// `else.actions`.
        else_actions: Vec<Action>,
    },
    /// `Switch`.
    Switch {
        /// `expression`: the value to match.
        on: CompiledValue,
        /// `cases`, by name.
        cases: Vec<SwitchCase>,
        /// `default.actions`.
        default: Vec<Action>,
    },
    /// `Foreach`.
    Foreach {
        /// `foreach`: the array.
        items: CompiledValue,
        /// The loop body.
        actions: Vec<Action>,
        /// `runtimeConfiguration.concurrency.repetitions` (1 when `Sequential`).
        concurrency: Option<u32>,
    },
    /// `Until`.
    Until {
        /// `expression`: stop when true.
        condition: Condition,
        /// `limit.count` (Logic Apps' default is 60).
        count: u64,
        /// `limit.timeout` (default PT1H).
        timeout: Duration,
        /// The loop body.
        actions: Vec<Action>,
    },
    /// `Scope`.
    Scope {
        /// The scope's actions.
        actions: Vec<Action>,
    },
}

impl Action {
    /// Every group of nested actions, each a runAfter scope of its own.
    pub fn children(&self) -> Vec<&[Action]> {
        match &self.body {
            ActionBody::If {
                actions,
                else_actions,
                ..
            } => vec![actions, else_actions],
            ActionBody::Switch { cases, default, .. } => {
                let mut out: Vec<&[Action]> = cases.iter().map(|c| c.actions.as_slice()).collect();
                out.push(default);
                out
            }
            ActionBody::Foreach { actions, .. }
            | ActionBody::Until { actions, .. }
            | ActionBody::Scope { actions } => {
                vec![actions]
            }
            _ => Vec::new(),
        }
    }
}

/// A variable declared by `InitializeVariable`.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableDecl {
    /// Its name.
    pub name: String,
    /// `String`, `Integer`, `Float`, `Boolean`, `Array` or `Object`.
    pub type_name: String,
    /// `value`, compiled.
    pub value: CompiledValue,
}

/// A `Switch` case.
#[derive(Debug, Clone, PartialEq)]
pub struct SwitchCase {
    /// The case's key in `cases`.
    pub name: String,
    /// `case`: the value to match (a literal, per WDL).
    pub value: Value,
    /// Its actions.
    pub actions: Vec<Action>,
}

/// A condition in either WDL form: a string expression, or the object form
/// `{"and": [{"equals": ["@x", 1]}]}` that the designer writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `"@equals(...)"`.
    Expression(Template),
    /// `{"and": [...]}`.
    And(Vec<Condition>),
    /// `{"or": [...]}`.
    Or(Vec<Condition>),
    /// `{"not": {...}}`.
    Not(Box<Condition>),
    /// `{"<function>": [left, right]}`, e.g. `equals`, `greater`, `contains`.
    Compare {
        /// The comparison function's name, as the expression language spells it.
        function: &'static str,
        /// Its first operand.
        left: CompiledValue,
        /// Its second operand.
        right: CompiledValue,
    },
}

/// The comparison functions the object form of a condition may use.
pub const CONDITION_FUNCTIONS: &[&str] = &[
    "equals",
    "greater",
    "greaterOrEquals",
    "less",
    "lessOrEquals",
    "contains",
    "startsWith",
    "endsWith",
];
