//! Actions: their type, runAfter, inputs, and what each type adds (nested actions,
//! conditions in both WDL forms, loops, the called operation).

use std::time::Duration;

use serde_json::Value;

use super::duration::parse_duration;
use super::model::*;
use super::parse::{Ctx, kind, service_provider};
use crate::expr::{CompiledValue, Expr, Template, pointer_token};

/// Logic Apps action types this host recognizes but does not run, so the message can say so
/// instead of calling them unknown.
const NOT_RUN_HERE: &[&str] = &[
    "ApiConnection",
    "ApiConnectionWebhook",
    "HttpWebhook",
    "Function",
    "Workflow",
    "Join",
    "Table",
    "Expression",
    "JavaScriptCode",
    "InvokeFunction",
    "XmlValidation",
    "Xslt",
    "FlatFileDecoding",
    "FlatFileEncoding",
    "Liquid",
];

pub(crate) fn parse_actions(
    value: Option<&Value>,
    pointer: &str,
    ctx: &mut Ctx<'_>,
) -> Vec<Action> {
    let mut out = Vec::new();
    for (name, a) in ctx
        .object(value, pointer, "`actions`")
        .into_iter()
        .flatten()
    {
        if let Some(a) = parse_action(name, a, &format!("{pointer}/{}", pointer_token(name)), ctx) {
            out.push(a);
        }
    }
    out
}

fn parse_action(name: &str, a: &Value, pointer: &str, ctx: &mut Ctx<'_>) -> Option<Action> {
    ctx.object(Some(a), pointer, "an action")?;
    let type_name = match a.get("type") {
        Some(Value::String(s)) => s.as_str(),
        _ => {
            ctx.problem(pointer, format!("the action `{name}` has no `type`"));
            return None;
        }
    };
    let Some(action_type) = ActionType::parse(type_name) else {
        let message = if NOT_RUN_HERE
            .iter()
            .any(|n| n.eq_ignore_ascii_case(type_name))
        {
            format!("the action type `{type_name}` is a Logic Apps type this host does not run")
        } else {
            let known: Vec<&str> = ActionType::ALL.iter().map(|(_, n)| *n).collect();
            format!(
                "unknown action type `{type_name}` (known: {})",
                known.join(", ")
            )
        };
        ctx.problem(&format!("{pointer}/type"), message);
        return None;
    };
    let run_after = parse_run_after(a.get("runAfter"), &format!("{pointer}/runAfter"), ctx);
    let inputs_v = a.get("inputs");
    let ip = format!("{pointer}/inputs");
    let inputs = ctx.compile(inputs_v, &ip);
    let timeout = match a.get("timeout") {
        None => None,
        Some(Value::String(s)) => match parse_duration(s) {
            Ok(d) => Some(d),
            Err(e) => {
                ctx.problem(&format!("{pointer}/timeout"), e);
                None
            }
        },
        Some(other) => {
            ctx.problem(
                &format!("{pointer}/timeout"),
                format!(
                    "`timeout` must be an ISO 8601 duration string, not {}",
                    kind(other)
                ),
            );
            None
        }
    };
    let operation_options = a
        .get("operationOptions")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let body = parse_body(
        action_type,
        a,
        inputs_v,
        pointer,
        operation_options.as_deref(),
        ctx,
    );
    Some(Action {
        name: name.to_owned(),
        pointer: pointer.to_owned(),
        action_type,
        run_after,
        inputs,
        timeout,
        retry_policy: a.get("retryPolicy").cloned(),
        runtime_configuration: a.get("runtimeConfiguration").cloned(),
        operation_options,
        body,
    })
}

fn parse_run_after(value: Option<&Value>, pointer: &str, ctx: &mut Ctx<'_>) -> Vec<RunAfter> {
    let mut out = Vec::new();
    for (name, statuses) in ctx
        .object(value, pointer, "`runAfter`")
        .into_iter()
        .flatten()
    {
        let sp = format!("{pointer}/{}", pointer_token(name));
        let Some(list) = statuses.as_array() else {
            ctx.problem(
                &sp,
                format!("the statuses after `{name}` must be an array such as [\"Succeeded\"]"),
            );
            continue;
        };
        let mut parsed = Vec::new();
        for (i, s) in list.iter().enumerate() {
            match s.as_str().and_then(RunStatus::parse) {
                Some(st) => parsed.push(st),
                None => ctx.problem(
                    &format!("{sp}/{i}"),
                    format!("{s} is not a status runAfter can name (Succeeded, Failed, Skipped, TimedOut)"),
                ),
            }
        }
        if parsed.is_empty() && list.is_empty() {
            parsed.push(RunStatus::Succeeded);
        }
        out.push(RunAfter {
            action: name.clone(),
            statuses: parsed,
        });
    }
    out
}

fn parse_condition(value: Option<&Value>, pointer: &str, ctx: &mut Ctx<'_>) -> Condition {
    let fallback =
        || Condition::Expression(Template::Expression(Expr::parse("false").expect("literal")));
    let Some(value) = value else {
        ctx.problem(
            pointer.rsplit_once('/').map_or(pointer, |(p, _)| p),
            "`expression` (the condition) is missing",
        );
        return fallback();
    };
    match value {
        Value::String(_) => ctx
            .template(value, pointer)
            .map(Condition::Expression)
            .unwrap_or_else(fallback),
        Value::Bool(b) => Condition::Expression(Template::Expression(
            Expr::parse(if *b { "true" } else { "false" }).expect("literal"),
        )),
        Value::Object(m) if m.len() == 1 => {
            let (op, arg) = m.iter().next().expect("one entry");
            let ap = format!("{pointer}/{}", pointer_token(op));
            match op.to_ascii_lowercase().as_str() {
                "and" | "or" => {
                    let Some(list) = arg.as_array() else {
                        ctx.problem(&ap, format!("`{op}` takes an array of conditions"));
                        return fallback();
                    };
                    let parts = list
                        .iter()
                        .enumerate()
                        .map(|(i, c)| parse_condition(Some(c), &format!("{ap}/{i}"), ctx))
                        .collect();
                    if op.eq_ignore_ascii_case("and") {
                        Condition::And(parts)
                    } else {
                        Condition::Or(parts)
                    }
                }
                "not" => Condition::Not(Box::new(parse_condition(Some(arg), &ap, ctx))),
                _ => match CONDITION_FUNCTIONS
                    .iter()
                    .find(|f| f.eq_ignore_ascii_case(op))
                {
                    Some(function) => match arg.as_array().map(Vec::as_slice) {
                        Some([l, r]) => Condition::Compare {
                            function,
                            left: ctx.compile(Some(l), &format!("{ap}/0")),
                            right: ctx.compile(Some(r), &format!("{ap}/1")),
                        },
                        _ => {
                            ctx.problem(&ap, format!("`{op}` takes an array of two operands"));
                            fallback()
                        }
                    },
                    None => {
                        ctx.problem(
                            &ap,
                            format!(
                                "`{op}` is not a condition (and, or, not, {})",
                                CONDITION_FUNCTIONS.join(", ")
                            ),
                        );
                        fallback()
                    }
                },
            }
        }
        other => {
            ctx.problem(
                pointer,
                format!(
                    "a condition is an expression string or an object with one key, not {}",
                    kind(other)
                ),
            );
            fallback()
        }
    }
}

const VARIABLE_TYPES: &[&str] = &["String", "Integer", "Float", "Boolean", "Array", "Object"];

fn parse_body(
    t: ActionType,
    a: &Value,
    inputs: Option<&Value>,
    pointer: &str,
    options: Option<&str>,
    ctx: &mut Ctx<'_>,
) -> ActionBody {
    let ip = format!("{pointer}/inputs");
    let require = |ctx: &mut Ctx<'_>, keys: &[&str]| {
        for k in keys {
            if inputs.and_then(|i| i.get(k)).is_none() {
                ctx.problem(
                    &ip,
                    format!("`inputs.{k}` is missing (a {} action needs it)", t.as_str()),
                );
            }
        }
    };
    let nested =
        |ctx: &mut Ctx<'_>, key: &str| parse_actions(a.get(key), &format!("{pointer}/{key}"), ctx);
    match t {
        ActionType::ServiceProvider => {
            ActionBody::ServiceProvider(service_provider(inputs, pointer, ctx))
        }
        ActionType::InitializeVariable => {
            let mut decls = Vec::new();
            match inputs
                .and_then(|i| i.get("variables"))
                .and_then(Value::as_array)
            {
                None => ctx.problem(
                    &ip,
                    "`inputs.variables` must be an array of {name, type, value}",
                ),
                Some(list) => {
                    for (i, v) in list.iter().enumerate() {
                        let vp = format!("{ip}/variables/{i}");
                        let name = ctx.string(Some(v), "name", &vp);
                        let type_name = ctx.string(Some(v), "type", &vp);
                        let canonical = VARIABLE_TYPES
                            .iter()
                            .find(|n| n.eq_ignore_ascii_case(&type_name));
                        if canonical.is_none() && !type_name.is_empty() {
                            ctx.problem(
                                &format!("{vp}/type"),
                                format!(
                                    "`{type_name}` is not a variable type ({})",
                                    VARIABLE_TYPES.join(", ")
                                ),
                            );
                        }
                        let value = ctx.compile(v.get("value"), &format!("{vp}/value"));
                        decls.push(VariableDecl {
                            name,
                            type_name: canonical.map_or(type_name, |c| (*c).to_owned()),
                            value,
                        });
                    }
                }
            }
            ActionBody::InitializeVariable(decls)
        }
        ActionType::SetVariable
        | ActionType::IncrementVariable
        | ActionType::DecrementVariable
        | ActionType::AppendToArrayVariable
        | ActionType::AppendToStringVariable => {
            if matches!(
                t,
                ActionType::SetVariable
                    | ActionType::AppendToArrayVariable
                    | ActionType::AppendToStringVariable
            ) {
                require(ctx, &["value"]);
            }
            ActionBody::Variable(ctx.string(inputs, "name", &ip))
        }
        ActionType::If => ActionBody::If {
            condition: parse_condition(a.get("expression"), &format!("{pointer}/expression"), ctx),
            actions: nested(ctx, "actions"),
            else_actions: parse_actions(
                a.get("else").and_then(|e| e.get("actions")),
                &format!("{pointer}/else/actions"),
                ctx,
            ),
        },
        ActionType::Switch => {
            let on = match a.get("expression") {
                Some(e) => ctx.compile(Some(e), &format!("{pointer}/expression")),
                None => {
                    ctx.problem(pointer, "a Switch needs `expression`");
                    CompiledValue::Constant(Value::Null)
                }
            };
            let mut cases = Vec::new();
            let cp = format!("{pointer}/cases");
            for (name, c) in ctx
                .object(a.get("cases"), &cp, "`cases`")
                .into_iter()
                .flatten()
            {
                let p = format!("{cp}/{}", pointer_token(name));
                let value = match c.get("case") {
                    Some(v @ (Value::String(_) | Value::Number(_))) => v.clone(),
                    Some(other) => {
                        ctx.problem(
                            &format!("{p}/case"),
                            format!(
                                "a case value must be a string or a number, not {}",
                                kind(other)
                            ),
                        );
                        Value::Null
                    }
                    None => {
                        ctx.problem(&p, "the case has no `case` value");
                        Value::Null
                    }
                };
                if cases
                    .iter()
                    .any(|c: &SwitchCase| c.value == value && !value.is_null())
                {
                    ctx.problem(
                        &format!("{p}/case"),
                        format!("another case already matches {value}"),
                    );
                }
                let actions = parse_actions(c.get("actions"), &format!("{p}/actions"), ctx);
                cases.push(SwitchCase {
                    name: name.clone(),
                    value,
                    actions,
                });
            }
            let default = parse_actions(
                a.get("default").and_then(|d| d.get("actions")),
                &format!("{pointer}/default/actions"),
                ctx,
            );
            ActionBody::Switch { on, cases, default }
        }
        ActionType::Foreach => {
            let items = match a.get("foreach") {
                Some(v) => ctx.compile(Some(v), &format!("{pointer}/foreach")),
                None => {
                    ctx.problem(
                        pointer,
                        "a Foreach needs `foreach` (the array to loop over)",
                    );
                    CompiledValue::Constant(Value::Array(Vec::new()))
                }
            };
            let reps = a.pointer("/runtimeConfiguration/concurrency/repetitions");
            let mut concurrency = match reps {
                None => None,
                Some(r) => match r.as_u64().filter(|n| (1..=50).contains(n)) {
                    Some(n) => Some(n as u32),
                    None => {
                        ctx.problem(
                            &format!("{pointer}/runtimeConfiguration/concurrency/repetitions"),
                            "`repetitions` must be an integer from 1 to 50",
                        );
                        None
                    }
                },
            };
            if options.is_some_and(|o| {
                o.split(',')
                    .any(|x| x.trim().eq_ignore_ascii_case("Sequential"))
            }) {
                concurrency = Some(1);
            }
            ActionBody::Foreach {
                items,
                actions: nested(ctx, "actions"),
                concurrency,
            }
        }
        ActionType::Until => {
            let lp = format!("{pointer}/limit");
            let count = match a.pointer("/limit/count") {
                None => 60,
                Some(c) => match c.as_u64().filter(|n| (1..=5000).contains(n)) {
                    Some(n) => n,
                    None => {
                        ctx.problem(
                            &format!("{lp}/count"),
                            "`limit.count` must be an integer from 1 to 5000",
                        );
                        60
                    }
                },
            };
            let timeout = match a.pointer("/limit/timeout") {
                None => Duration::from_secs(3600),
                Some(v) => match v.as_str().map(parse_duration) {
                    Some(Ok(d)) => d,
                    Some(Err(e)) => {
                        ctx.problem(&format!("{lp}/timeout"), e);
                        Duration::from_secs(3600)
                    }
                    None => {
                        ctx.problem(
                            &format!("{lp}/timeout"),
                            "`limit.timeout` must be an ISO 8601 duration string",
                        );
                        Duration::from_secs(3600)
                    }
                },
            };
            ActionBody::Until {
                condition: parse_condition(
                    a.get("expression"),
                    &format!("{pointer}/expression"),
                    ctx,
                ),
                count,
                timeout,
                actions: nested(ctx, "actions"),
            }
        }
        ActionType::Scope => ActionBody::Scope {
            actions: nested(ctx, "actions"),
        },
        ActionType::Terminate => {
            require(ctx, &["runStatus"]);
            if let Some(s) = inputs
                .and_then(|i| i.get("runStatus"))
                .and_then(Value::as_str)
                && !["Succeeded", "Failed", "Cancelled"]
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(s))
            {
                ctx.problem(
                    &format!("{ip}/runStatus"),
                    format!(
                        "`{s}` is not a run status Terminate can set (Succeeded, Failed, Cancelled)"
                    ),
                );
            }
            ActionBody::Plain
        }
        ActionType::Query => {
            require(ctx, &["from", "where"]);
            ActionBody::Plain
        }
        ActionType::Select => {
            require(ctx, &["from", "select"]);
            ActionBody::Plain
        }
        ActionType::ParseJson => {
            require(ctx, &["content", "schema"]);
            ActionBody::Plain
        }
        ActionType::Http => {
            require(ctx, &["method", "uri"]);
            ActionBody::Plain
        }
        ActionType::Wait => {
            if inputs
                .and_then(|i| i.get("interval").or_else(|| i.get("until")))
                .is_none()
            {
                ctx.problem(&ip, "a Wait needs `inputs.interval` ({count, unit}) or `inputs.until` ({timestamp})");
            }
            ActionBody::Plain
        }
        ActionType::Compose | ActionType::Response => ActionBody::Plain,
    }
}
