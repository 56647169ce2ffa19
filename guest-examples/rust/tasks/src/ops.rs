//! The actions and the polling trigger, with their typed inputs.
//!
//! The inputs mirror the hand-written schemas in [`crate::manifest`]: every
//! struct denies unknown fields, and the bounds the schemas state (`id` at
//! least 1, a non-empty `title`, `page_size` 1-100) are checked here too, so
//! that a connector called without the host's schema check still answers
//! `invalid-input` `bad-input` rather than sending the API a bad request.

use connector_sdk::prelude::*;

use crate::api::Api;

/// A task's status, as the API spells it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    Done,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Done => "done",
        }
    }
}

fn bad_input(message: &str) -> Error {
    Error::invalid_input(
        "bad-input",
        format!("the input does not fit the schema: {message}"),
    )
}

fn check_id(id: u64) -> Result<u64> {
    if id == 0 {
        return Err(bad_input("id must be a positive integer"));
    }
    Ok(id)
}

fn check_title(title: Option<&str>) -> Result<()> {
    if title.is_some_and(str::is_empty) {
        return Err(bad_input("title must not be empty"));
    }
    Ok(())
}

/// Input of `list-tasks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListInput {
    #[serde(default)]
    status: Option<Status>,
}

/// Output of `list-tasks`.
#[derive(Debug, Serialize)]
pub struct TaskList {
    tasks: Value,
}

pub fn list_tasks(ctx: &Context, input: ListInput) -> Result<TaskList> {
    let path = match input.status {
        Some(status) => format!("/tasks?status={}", status.as_str()),
        None => "/tasks".to_string(),
    };
    let tasks = Api::from_connection(ctx.connection())?.get(&path)?;
    Ok(TaskList { tasks })
}

/// The dynamic values of a task `id` (`get-task`, `update-task`): the tasks
/// the API lists, titled `#id title`. For `update-task` the list depends on
/// the `status` chosen so far: only the tasks that the update would change
/// (those in the other status) are offered.
pub fn task_choices(ctx: &Context, input: &Value) -> Result<Vec<Choice>> {
    let path = match input.get("status").and_then(Value::as_str) {
        Some("open") => "/tasks?status=done",
        Some("done") => "/tasks?status=open",
        _ => "/tasks",
    };
    let tasks = Api::from_connection(ctx.connection())?.get(path)?;
    let Value::Array(tasks) = tasks else {
        return Err(Error::internal(
            "bad-response",
            "the API answered something other than a list of tasks",
        ));
    };
    Ok(tasks
        .iter()
        .filter_map(|task| {
            let id = task.get("id")?.as_u64()?;
            let title = task.get("title").and_then(Value::as_str).unwrap_or("");
            Some(Choice::new(id, format!("#{id} {title}")))
        })
        .collect())
}

/// Input of `get-task`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetInput {
    id: u64,
}

pub fn get_task(ctx: &Context, input: GetInput) -> Result<Value> {
    let id = check_id(input.id)?;
    Api::from_connection(ctx.connection())?.get(&format!("/tasks/{id}"))
}

/// Input of `create-task`: also the body posted to the API.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInput {
    title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

pub fn create_task(ctx: &Context, input: CreateInput) -> Result<Reply<Value>> {
    check_title(Some(&input.title))?;
    // The step's idempotency key travels as `Idempotency-Key`: the step
    // retried after a lost answer gets the task made the first time.
    let task = Api::from_connection(ctx.connection())?.post_once(
        "/tasks",
        &input,
        ctx.idempotency_key(),
    )?;
    Ok(Reply::created(task))
}

/// The changes of `update-task`: the body patched to the API.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
}

/// Input of `update-task`: the task's id and its changes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    id: u64,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: Option<Status>,
}

pub fn update_task(ctx: &Context, input: UpdateInput) -> Result<Value> {
    let id = check_id(input.id)?;
    check_title(input.title.as_deref())?;
    let changes = Changes {
        title: input.title,
        description: input.description,
        status: input.status,
    };
    Api::from_connection(ctx.connection())?.patch(&format!("/tasks/{id}"), &changes)
}

/// Bounds and default of `page_size`, as in the input schema.
pub const PAGE_SIZE_DEFAULT: u64 = 20;
pub const PAGE_SIZE_MAX: u64 = 100;

/// Input of `task-created`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollInput {
    #[serde(default = "default_page_size")]
    page_size: u64,
}

fn default_page_size() -> u64 {
    PAGE_SIZE_DEFAULT
}

/// The state of `task-created`: the highest task id delivered.
#[derive(Debug, Serialize, Deserialize)]
pub struct State {
    after_id: u64,
}

/// Polls `task-created`: the tasks created after the state's id, oldest
/// first, a page at a time. A full page asks to be polled again at once.
pub fn task_created(
    ctx: &Context,
    input: PollInput,
    state: Option<State>,
) -> Result<Poll<Value, State>> {
    let page = input.page_size;
    if !(1..=PAGE_SIZE_MAX).contains(&page) {
        return Err(bad_input("page_size must be between 1 and 100"));
    }
    let after = state.map_or(0, |s| s.after_id);
    let api = Api::from_connection(ctx.connection())?;
    let tasks = api.get(&format!("/tasks?created_after={after}&limit={page}"))?;
    let Value::Array(tasks) = tasks else {
        return Err(Error::internal(
            "bad-response",
            "the API answered something other than a list of tasks",
        ));
    };
    let last = tasks
        .iter()
        .filter_map(|t| t.get("id")?.as_u64())
        .max()
        .unwrap_or(after);
    let full = tasks.len() as u64 >= page;
    let items = tasks
        .into_iter()
        .map(|task| Item::new(format!("task-{}", task["id"]), task))
        .collect();
    let poll = Poll::new(items).state(State { after_id: last });
    Ok(if full { poll.poll_again_now() } else { poll })
}
