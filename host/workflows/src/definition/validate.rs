//! Checks of a parsed workflow as a whole: one trigger, unique action names, runAfter naming
//! siblings without cycles, expressions naming actions, loops and variables that exist.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::model::*;
use super::parse::Ctx;
use crate::expr::{CompiledValue, Template};

/// Runs every check, reporting into `ctx`. `prefix` is the definition's pointer in the file.
pub(crate) fn check(def: &Definition, prefix: &str, ctx: &mut Ctx<'_>) {
    match def.triggers.len() {
        0 => ctx.problem(
            &format!("{prefix}/triggers"),
            "a workflow needs exactly one trigger, and this one has none",
        ),
        1 => {}
        _ => {
            for t in &def.triggers[1..] {
                ctx.problem(
                    &t.pointer,
                    format!(
                        "a workflow has exactly one trigger; `{}` is one too many",
                        t.name
                    ),
                );
            }
        }
    }
    let mut all: HashMap<&str, &Action> = HashMap::new();
    collect(&def.actions, &mut all, ctx);
    check_group(&def.actions, ctx);
    let variables = declared_variables(def, ctx);
    let mut ancestors = Vec::new();
    for a in &def.actions {
        check_references(a, &all, &variables, &mut ancestors, ctx);
    }
    for t in &def.triggers {
        for (p, template) in t.inputs.templates() {
            for (name, offset) in template
                .expressions()
                .iter()
                .flat_map(|e| e.referenced_actions())
            {
                ctx.problem(&format!("{}/inputs{p}", t.pointer), format!("a trigger's inputs cannot use the action `{name}` (at offset {offset}): no action has run yet"));
            }
        }
    }
}

/// Names are unique across the whole workflow (nested scopes included), as Logic Apps requires.
fn collect<'a>(actions: &'a [Action], all: &mut HashMap<&'a str, &'a Action>, ctx: &mut Ctx<'_>) {
    for a in actions {
        if let Some(first) = all.insert(a.name.as_str(), a) {
            let first_line = ctx.lines.line(&first.pointer);
            ctx.problem(&a.pointer, format!("the action name `{}` is already used at line {first_line}; names must be unique in a workflow", a.name));
        }
        for group in a.children() {
            collect(group, all, ctx);
        }
    }
}

/// runAfter may name only actions of the same group, and must not loop.
fn check_group(group: &[Action], ctx: &mut Ctx<'_>) {
    let names: HashSet<&str> = group.iter().map(|a| a.name.as_str()).collect();
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for a in group {
        for ra in &a.run_after {
            let p = format!(
                "{}/runAfter/{}",
                a.pointer,
                crate::expr::pointer_token(&ra.action)
            );
            if ra.action == a.name {
                ctx.problem(&p, format!("`{}` cannot run after itself", a.name));
            } else if !names.contains(ra.action.as_str()) {
                ctx.problem(
                    &p,
                    format!(
                        "runAfter names `{}`, which is not an action in the same scope as `{}`",
                        ra.action, a.name
                    ),
                );
            } else {
                edges
                    .entry(a.name.as_str())
                    .or_default()
                    .push(ra.action.as_str());
            }
        }
    }
    // Depth-first search for a cycle; each cycle is reported once, at its first action.
    let mut state: HashMap<&str, u8> = HashMap::new();
    let mut reported: HashSet<Vec<&str>> = HashSet::new();
    for a in group {
        let mut path = Vec::new();
        find_cycle(
            a.name.as_str(),
            &edges,
            &mut state,
            &mut path,
            &mut |cycle: Vec<&str>| {
                let mut key = cycle.clone();
                key.sort_unstable();
                if reported.insert(key) {
                    let at = group
                        .iter()
                        .find(|x| x.name == cycle[0])
                        .map(|x| x.pointer.clone())
                        .unwrap_or_default();
                    let mut text: Vec<&str> = cycle.clone();
                    text.push(cycle[0]);
                    ctx.problem(
                        &format!("{at}/runAfter"),
                        format!("runAfter forms a cycle: {}", text.join(" -> ")),
                    );
                }
            },
        );
    }
    for a in group {
        for child in a.children() {
            check_group(child, ctx);
        }
    }
}

fn find_cycle<'a>(
    node: &'a str,
    edges: &BTreeMap<&'a str, Vec<&'a str>>,
    state: &mut HashMap<&'a str, u8>,
    path: &mut Vec<&'a str>,
    report: &mut dyn FnMut(Vec<&'a str>),
) {
    match state.get(node) {
        Some(2) => return,
        Some(1) => {
            let start = path.iter().position(|n| *n == node).unwrap_or(0);
            report(path[start..].to_vec());
            return;
        }
        _ => {}
    }
    state.insert(node, 1);
    path.push(node);
    for next in edges.get(node).into_iter().flatten() {
        find_cycle(next, edges, state, path, report);
    }
    path.pop();
    state.insert(node, 2);
}

/// Variables are declared by top-level `InitializeVariable` actions only (as in Logic Apps).
fn declared_variables(def: &Definition, ctx: &mut Ctx<'_>) -> HashSet<String> {
    let mut names = HashSet::new();
    for a in &def.actions {
        if let ActionBody::InitializeVariable(decls) = &a.body {
            for (i, d) in decls.iter().enumerate() {
                if !d.name.is_empty() && !names.insert(d.name.clone()) {
                    ctx.problem(
                        &format!("{}/inputs/variables/{i}/name", a.pointer),
                        format!("the variable `{}` is initialized twice", d.name),
                    );
                }
            }
        }
    }
    fn nested(actions: &[Action], ctx: &mut Ctx<'_>) {
        for a in actions {
            if a.action_type == ActionType::InitializeVariable {
                ctx.problem(&a.pointer, format!("`{}` initializes variables inside another action; InitializeVariable must be at the top level", a.name));
            }
            a.children().into_iter().for_each(|g| nested(g, ctx));
        }
    }
    for a in &def.actions {
        a.children().into_iter().for_each(|g| nested(g, ctx));
    }
    names
}

fn condition_templates<'a>(c: &'a Condition, pointer: &str, out: &mut Vec<(String, &'a Template)>) {
    match c {
        Condition::Expression(t) => out.push((pointer.to_owned(), t)),
        Condition::And(parts) | Condition::Or(parts) => {
            let op = if matches!(c, Condition::And(_)) {
                "and"
            } else {
                "or"
            };
            for (i, p) in parts.iter().enumerate() {
                condition_templates(p, &format!("{pointer}/{op}/{i}"), out);
            }
        }
        Condition::Not(inner) => condition_templates(inner, &format!("{pointer}/not"), out),
        Condition::Compare {
            function,
            left,
            right,
        } => {
            for (i, side) in [left, right].into_iter().enumerate() {
                compiled_templates(side, &format!("{pointer}/{function}/{i}"), out);
            }
        }
    }
}

fn compiled_templates<'a>(
    v: &'a CompiledValue,
    pointer: &str,
    out: &mut Vec<(String, &'a Template)>,
) {
    out.extend(
        v.templates()
            .into_iter()
            .map(|(p, t)| (format!("{pointer}{p}"), t)),
    );
}

/// Every template an action holds (not those of its nested actions), with its pointer.
pub(crate) fn templates_of(a: &Action) -> Vec<(String, &Template)> {
    let mut out = Vec::new();
    compiled_templates(&a.inputs, &format!("{}/inputs", a.pointer), &mut out);
    match &a.body {
        ActionBody::If { condition, .. } | ActionBody::Until { condition, .. } => {
            condition_templates(condition, &format!("{}/expression", a.pointer), &mut out);
        }
        ActionBody::Switch { on, .. } => {
            compiled_templates(on, &format!("{}/expression", a.pointer), &mut out)
        }
        ActionBody::Foreach { items, .. } => {
            compiled_templates(items, &format!("{}/foreach", a.pointer), &mut out)
        }
        _ => {}
    }
    out
}

fn check_references<'a>(
    a: &'a Action,
    all: &HashMap<&str, &Action>,
    variables: &HashSet<String>,
    ancestors: &mut Vec<&'a Action>,
    ctx: &mut Ctx<'_>,
) {
    if let ActionBody::Variable(name) = &a.body
        && !name.is_empty()
        && !variables.contains(name)
    {
        ctx.problem(
            &format!("{}/inputs/name", a.pointer),
            format!("the variable `{name}` is not initialized by any InitializeVariable action"),
        );
    }
    for (pointer, template) in templates_of(a) {
        for expr in template.expressions() {
            for (name, offset) in expr.referenced_variables() {
                if !variables.contains(name) {
                    ctx.problem(&pointer, format!("variables('{name}') at offset {offset}: the variable is not initialized by any InitializeVariable action"));
                }
            }
            for (name, offset) in expr.referenced_actions() {
                let Some(target) = all.get(name) else {
                    ctx.problem(&pointer, format!("the expression names the action `{name}` (at offset {offset}), which is not in this workflow"));
                    continue;
                };
                if let Some(f) = loop_function(expr, name, offset) {
                    let want = if f == "items" {
                        ActionType::Foreach
                    } else {
                        ActionType::Until
                    };
                    let inside = ancestors.iter().any(|x| x.name == name);
                    if target.action_type != want || !inside {
                        ctx.problem(&pointer, format!("{f}('{name}') at offset {offset} must be used inside the {} `{name}`", want.as_str()));
                    }
                }
            }
        }
    }
    ancestors.push(a);
    for group in a.children() {
        for child in group {
            check_references(child, all, variables, ancestors, ctx);
        }
    }
    ancestors.pop();
}

/// Whether the reference to `name` at `offset` is an `items()` or `iterationIndexes()` call.
fn loop_function(expr: &crate::expr::Expr, name: &str, offset: usize) -> Option<&'static str> {
    expr.loop_references()
        .into_iter()
        .find(|(_, n, o)| *n == name && *o == offset)
        .map(|(f, ..)| f)
}
