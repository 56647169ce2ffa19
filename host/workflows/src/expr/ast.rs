//! The parsed form of an expression: a tree whose nodes keep the byte offset they came from.

use serde_json::Value;

use super::functions::Builtin;

/// A parsed expression (the part after `@`, or inside `@{ }`).
///
/// Parse once with [`Template::parse`](super::Template::parse) or [`Expr::parse`], evaluate
/// many times with [`Expr::eval`]: evaluation does not look at the text again.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub(crate) kind: Kind,
    /// Byte offset of the node in the string value.
    pub(crate) offset: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// `'text'`, `12`, `1.5`, `true`, `false`, `null`: kept as a value, so evaluating it borrows.
    Literal(Value),
    /// `[a, b]`, an array written in the expression.
    Array(Vec<Expr>),
    /// `name(args...)`.
    Call { func: Func, args: Vec<Expr> },
    /// `target['x']`, `target.x`, `target[0]`, and their `?` forms.
    Access {
        target: Box<Expr>,
        key: Key,
        null_safe: bool,
    },
}

/// What an access selects.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Key {
    /// A property named by `.x` or by a literal `['x']`.
    Name(String),
    /// An element named by a literal `[0]`.
    Index(i64),
    /// `[expr]`: a property if it evaluates to a string, an element if to an integer.
    Dynamic(Box<Expr>),
}

/// A function a call resolves to, found once at parse time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Func {
    /// A function that reads the run: evaluated against the [`Scope`](super::Scope).
    Ref(RefFn),
    /// A pure function of its arguments (and of the clock).
    Builtin(&'static Builtin),
}

/// The reference functions, which resolve through the [`Scope`](super::Scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefFn {
    Trigger,
    TriggerBody,
    TriggerOutputs,
    Actions,
    Body,
    Outputs,
    Variables,
    Parameters,
    Item,
    Items,
    IterationIndexes,
    Result,
    Workflow,
    AppSetting,
}

impl RefFn {
    /// (canonical name, min args, max args) of every reference function.
    pub(crate) const ALL: &'static [(RefFn, &'static str, usize, usize)] = &[
        (RefFn::Trigger, "trigger", 0, 0),
        (RefFn::TriggerBody, "triggerBody", 0, 0),
        (RefFn::TriggerOutputs, "triggerOutputs", 0, 0),
        (RefFn::Actions, "actions", 1, 1),
        (RefFn::Body, "body", 1, 1),
        (RefFn::Body, "actionBody", 1, 1),
        (RefFn::Outputs, "outputs", 1, 1),
        (RefFn::Outputs, "actionOutputs", 1, 1),
        (RefFn::Variables, "variables", 1, 1),
        (RefFn::Parameters, "parameters", 1, 1),
        (RefFn::Item, "item", 0, 0),
        (RefFn::Items, "items", 1, 1),
        (RefFn::IterationIndexes, "iterationIndexes", 1, 1),
        (RefFn::Result, "result", 1, 1),
        (RefFn::Workflow, "workflow", 0, 0),
        (RefFn::AppSetting, "appsetting", 1, 1),
    ];

    /// Whether the function's argument names an action (or scope, or loop).
    fn names_action(self) -> bool {
        matches!(
            self,
            RefFn::Actions
                | RefFn::Body
                | RefFn::Outputs
                | RefFn::Result
                | RefFn::Items
                | RefFn::IterationIndexes
        )
    }
}

impl Expr {
    /// The byte offset of this expression in its string value.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The actions this expression names with a literal argument (`body('A')`, `outputs('A')`,
    /// `actions('A')`, `result('A')`, `items('A')`, `iterationIndexes('A')`), with the offset of
    /// each call, so that validation can check they exist.
    pub fn referenced_actions(&self) -> Vec<(&str, usize)> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Kind::Call {
                func: Func::Ref(f),
                args,
            } = &e.kind
                && let (
                    true,
                    Some(Expr {
                        kind: Kind::Literal(Value::String(name)),
                        ..
                    }),
                ) = (f.names_action(), args.first())
            {
                out.push((name.as_str(), e.offset));
            }
        });
        out
    }

    /// The loops this expression reads through `items('L')` or `iterationIndexes('L')`:
    /// (function name, loop name, offset).
    pub fn loop_references(&self) -> Vec<(&'static str, &str, usize)> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Kind::Call {
                func: Func::Ref(f @ (RefFn::Items | RefFn::IterationIndexes)),
                args,
            } = &e.kind
                && let Some(Expr {
                    kind: Kind::Literal(Value::String(name)),
                    ..
                }) = args.first()
            {
                let function = if *f == RefFn::Items {
                    "items"
                } else {
                    "iterationIndexes"
                };
                out.push((function, name.as_str(), e.offset));
            }
        });
        out
    }

    /// The variables this expression reads with a literal name (`variables('v')`).
    pub fn referenced_variables(&self) -> Vec<(&str, usize)> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Kind::Call {
                func: Func::Ref(RefFn::Variables),
                args,
            } = &e.kind
                && let Some(Expr {
                    kind: Kind::Literal(Value::String(name)),
                    ..
                }) = args.first()
            {
                out.push((name.as_str(), e.offset));
            }
        });
        out
    }

    fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            Kind::Literal(_) => {}
            Kind::Array(items) => items.iter().for_each(|e| e.walk(f)),
            Kind::Call { args, .. } => args.iter().for_each(|e| e.walk(f)),
            Kind::Access { target, key, .. } => {
                target.walk(f);
                if let Key::Dynamic(k) = key {
                    k.walk(f);
                }
            }
        }
    }
}
