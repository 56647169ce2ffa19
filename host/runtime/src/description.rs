//! What a connector says about itself, in host types, and the rules it must
//! follow.
//!
//! The guest's `describe-service` and `list-operations` results are converted
//! into a [`Description`] once per load. [`Description::from_guest`] never
//! fails: everything wrong is collected as a [`Problem`] (with where it is
//! and what is wrong) so that `validate` can list every problem at once.

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::bindings::{ContractVersion, types as wit};

// The rules of the `x-dynamic-values` keyword (0.2.0).
pub(crate) mod dynamic;
pub use dynamic::dynamic_values_properties;
// Keywords no JSON Schema defines (typos, mostly): warnings.
mod keywords;

/// A connector's description: its service and its operations.
#[derive(Debug, Clone, Serialize)]
pub struct Description {
    /// The contract version the component targets (e.g. `0.2.0`).
    pub contract: ContractVersion,
    pub service: Service,
    pub operations: Vec<Operation>,
}

/// The service a connector wraps.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub version: String,
    pub brand_color: String,
    pub icon_uri: String,
    pub connection_parameters: Vec<ConnectionParameter>,
    pub capabilities: Capabilities,
}

/// How a connection parameter is entered and treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParameterKind {
    Text,
    Secret,
    Integer,
    Boolean,
}

/// One value a connection supplies.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionParameter {
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub kind: ParameterKind,
    pub required: bool,
    pub default_value: Option<String>,
}

/// A directory the connector needs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryNeed {
    pub guest_path: String,
    pub description: String,
    pub writable: bool,
}

/// What the connector needs the operator to grant.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub outbound_hosts: Vec<String>,
    pub directories: Vec<DirectoryNeed>,
}

/// How prominently a designer shows an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Visibility {
    Important,
    Advanced,
    Internal,
}

/// Action, polling trigger or push trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperationKind {
    Action,
    PollingTrigger,
    PushTrigger,
}

impl OperationKind {
    /// The kind with its article, for messages: "an action", "a polling trigger".
    pub fn with_article(self) -> &'static str {
        match self {
            OperationKind::Action => "an action",
            OperationKind::PollingTrigger => "a polling trigger",
            OperationKind::PushTrigger => "a push trigger",
        }
    }
}

impl fmt::Display for OperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OperationKind::Action => "action",
            OperationKind::PollingTrigger => "polling trigger",
            OperationKind::PushTrigger => "push trigger",
        })
    }
}

/// Whether a poll's items are delivered together or one event each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemMode {
    Single,
    Split,
}

/// Settings of a trigger.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerSettings {
    pub default_recurrence_seconds: u32,
    pub item_mode: ItemMode,
    /// A push trigger whose source the host must subscribe to (0.2.0;
    /// always false for a 0.1.0 component).
    pub needs_subscription: bool,
}

/// One operation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub id: String,
    pub summary: String,
    pub description: String,
    pub visibility: Visibility,
    pub kind: OperationKind,
    /// The input schema; `null` if the guest gave text that is not JSON.
    pub input_schema: Value,
    /// The output schema; `null` if the guest gave text that is not JSON.
    pub output_schema: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerSettings>,
}

/// One broken rule in a description, or in a component's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where: e.g. `service.version` or `operations[read-file].input-schema`.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    pub fn new(at: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            at: at.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl Description {
    /// Converts the guest's answers and checks them against the contract's rules.
    /// `contract` is the version the component targets: some rules depend
    /// on it (`x-dynamic-values` needs 0.2.0).
    pub fn from_guest(
        service: wit::ServiceDescription,
        operations: Vec<wit::Operation>,
        contract: ContractVersion,
    ) -> (Self, Vec<Problem>) {
        let mut problems = Vec::new();
        let service = convert_service(service);
        check_service(&service, &mut problems);
        let operations: Vec<Operation> = operations
            .into_iter()
            .enumerate()
            .map(|(index, op)| convert_operation(index, op, &mut problems))
            .collect();
        check_operations(&operations, &mut problems);
        for op in &operations {
            dynamic::check(op, contract, &mut problems);
        }
        (
            Self {
                contract,
                service,
                operations,
            },
            problems,
        )
    }

    /// The operation with this id.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }

    /// What is probably wrong but breaks no rule: keywords in the schemas
    /// that JSON Schema does not define (`"tpye"`), which check nothing.
    pub fn warnings(&self) -> Vec<Problem> {
        let mut warnings = Vec::new();
        for op in &self.operations {
            let label = format!("operations[{}]", op.id);
            keywords::unknown_keywords(
                &op.input_schema,
                &format!("{label}.input-schema"),
                &mut warnings,
            );
            keywords::unknown_keywords(
                &op.output_schema,
                &format!("{label}.output-schema"),
                &mut warnings,
            );
        }
        warnings
    }

    /// The parameter with this name.
    pub fn parameter(&self, name: &str) -> Option<&ConnectionParameter> {
        self.service
            .connection_parameters
            .iter()
            .find(|p| p.name == name)
    }
}

/// Longest description, summary or display name kept from a guest.
pub const MAX_DESCRIPTION_TEXT: usize = 16 << 10;

/// Text a guest wrote for people to read, made safe to print: cut to
/// [`MAX_DESCRIPTION_TEXT`], control characters (but line breaks) escaped.
fn printable(text: String) -> String {
    let cut = crate::state::truncate(&text, MAX_DESCRIPTION_TEXT);
    crate::text::escape_controls_keep_lines(cut).into_owned()
}

fn convert_service(s: wit::ServiceDescription) -> Service {
    Service {
        id: s.id,
        display_name: printable(s.display_name),
        description: printable(s.description),
        version: s.version,
        brand_color: s.brand_color,
        icon_uri: s.icon_uri,
        connection_parameters: s
            .connection_parameters
            .into_iter()
            .map(|p| ConnectionParameter {
                name: p.name,
                display_name: printable(p.display_name),
                description: printable(p.description),
                kind: match p.kind {
                    wit::ParameterKind::Text => ParameterKind::Text,
                    wit::ParameterKind::Secret => ParameterKind::Secret,
                    wit::ParameterKind::Integer => ParameterKind::Integer,
                    wit::ParameterKind::Boolean => ParameterKind::Boolean,
                },
                required: p.required,
                default_value: p.default_value,
            })
            .collect(),
        capabilities: Capabilities {
            outbound_hosts: s.capabilities.outbound_hosts,
            directories: s
                .capabilities
                .directories
                .into_iter()
                .map(|d| DirectoryNeed {
                    guest_path: d.guest_path,
                    description: d.description,
                    writable: d.writable,
                })
                .collect(),
        },
    }
}

fn convert_operation(index: usize, op: wit::Operation, problems: &mut Vec<Problem>) -> Operation {
    let label = if op.id.is_empty() {
        format!("operations[#{index}]")
    } else {
        format!("operations[{}]", op.id)
    };
    let input_schema = parse_schema(&label, "input-schema", &op.input_schema, problems);
    let output_schema = parse_schema(&label, "output-schema", &op.output_schema, problems);
    Operation {
        id: op.id,
        summary: printable(op.summary),
        description: printable(op.description),
        visibility: match op.visibility {
            wit::Visibility::Important => Visibility::Important,
            wit::Visibility::Advanced => Visibility::Advanced,
            wit::Visibility::Internal => Visibility::Internal,
        },
        kind: match op.kind {
            wit::OperationKind::Action => OperationKind::Action,
            wit::OperationKind::PollingTrigger => OperationKind::PollingTrigger,
            wit::OperationKind::PushTrigger => OperationKind::PushTrigger,
        },
        input_schema,
        output_schema,
        trigger: op.trigger.map(|t| TriggerSettings {
            default_recurrence_seconds: t.default_recurrence_seconds,
            item_mode: match t.item_mode {
                wit::ItemMode::Single => ItemMode::Single,
                wit::ItemMode::Split => ItemMode::Split,
            },
            needs_subscription: t.needs_subscription,
        }),
    }
}

/// Parses a schema and checks it against the JSON Schema meta-schema.
fn parse_schema(label: &str, field: &str, text: &str, problems: &mut Vec<Problem>) -> Value {
    let at = format!("{label}.{field}");
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(Problem::new(at, format!("is not JSON: {e}")));
            return Value::Null;
        }
    };
    if !(value.is_object() || value.is_boolean()) {
        problems.push(Problem::new(
            at,
            "is not a JSON Schema (a schema is an object or a boolean)",
        ));
        return value;
    }
    if let Err(e) = crate::schema_budget::check(&value) {
        problems.push(Problem::new(at, e));
        // Not compiled, now or later: compiling it would not end.
        return Value::Null;
    }
    if let Err(e) = jsonschema::meta::validate(&value) {
        let pointer = e.instance_path().to_string();
        problems.push(Problem::new(
            at,
            match bad_type(&value, &pointer) {
                Some(message) => format!(
                    "is not a valid JSON Schema: {message} (at {})",
                    pointer_or_root(&pointer)
                ),
                None => format!(
                    "is not a valid JSON Schema: {e} (at {})",
                    pointer_or_root(&pointer)
                ),
            },
        ));
    } else if let Err(e) = jsonschema::validator_for(&value) {
        problems.push(Problem::new(at, format!("cannot be used: {e}")));
    }
    value
}

/// The types a schema's `type` may name.
const SCHEMA_TYPES: &[&str] = &[
    "array", "boolean", "integer", "null", "number", "object", "string",
];

/// For a meta-schema error at a `type` keyword, a message that says which
/// value is wrong and which are allowed (the meta-schema's own message is
/// about its `anyOf`).
fn bad_type(schema: &Value, pointer: &str) -> Option<String> {
    let at_type = pointer.strip_suffix("/type").is_some()
        || pointer
            .rsplit_once("/type/")
            .is_some_and(|(_, i)| i.parse::<usize>().is_ok());
    if !at_type {
        return None;
    }
    let value = schema.pointer(pointer)?;
    let names: Vec<&Value> = match value {
        Value::Array(list) => list.iter().collect(),
        other => vec![other],
    };
    let wrong = names
        .iter()
        .find(|n| !n.as_str().is_some_and(|s| SCHEMA_TYPES.contains(&s)))?;
    Some(format!(
        "`type` is {wrong}, which is not a JSON Schema type: use one of {}",
        SCHEMA_TYPES.join(", ")
    ))
}

/// `/` for the document root, otherwise the pointer itself.
pub fn pointer_or_root(pointer: &str) -> String {
    if pointer.is_empty() {
        "/".to_string()
    } else {
        pointer.to_string()
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.'
        })
        && s.as_bytes()[0].is_ascii_alphanumeric()
}

fn is_semver(s: &str) -> bool {
    let core = s.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
}

fn is_hex_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_service(s: &Service, problems: &mut Vec<Problem>) {
    if !is_identifier(&s.id) {
        problems.push(Problem::new(
            "service.id",
            format!("{:?} is not an identifier (1-64 of a-z, 0-9, '-', '_', '.', starting with a letter or digit)", s.id),
        ));
    }
    if s.display_name.trim().is_empty() {
        problems.push(Problem::new("service.display-name", "is empty"));
    }
    if !is_semver(&s.version) {
        problems.push(Problem::new(
            "service.version",
            format!(
                "{:?} is not a semantic version (MAJOR.MINOR.PATCH)",
                s.version
            ),
        ));
    }
    if !is_hex_color(&s.brand_color) {
        problems.push(Problem::new(
            "service.brand-color",
            format!("{:?} is not a colour of the form #rrggbb", s.brand_color),
        ));
    }
    if !s.icon_uri.is_empty() && !has_uri_scheme(&s.icon_uri) {
        problems.push(Problem::new(
            "service.icon-uri",
            "is not a URI (expected a scheme such as data: or https:)",
        ));
    }
    let mut names = HashSet::new();
    for (i, p) in s.connection_parameters.iter().enumerate() {
        let at = format!(
            "service.connection-parameters[{}]",
            if p.name.is_empty() {
                format!("#{i}")
            } else {
                p.name.clone()
            }
        );
        if !is_identifier(&p.name) {
            problems.push(Problem::new(
                &at,
                format!("name {:?} is not an identifier", p.name),
            ));
        } else if !names.insert(p.name.as_str()) {
            problems.push(Problem::new(&at, "is declared more than once"));
        }
        if let Some(default) = &p.default_value {
            match p.kind {
                ParameterKind::Secret => problems.push(Problem::new(
                    &at,
                    "is a secret with a default value (a secret in a connector's code is no secret)",
                )),
                ParameterKind::Integer if default.parse::<i64>().is_err() => problems.push(Problem::new(
                    &at,
                    format!("default {default:?} is not an integer"),
                )),
                ParameterKind::Boolean if default != "true" && default != "false" => problems.push(
                    Problem::new(&at, format!("default {default:?} is not true or false")),
                ),
                _ => {}
            }
        }
    }
    for (i, pattern) in s.capabilities.outbound_hosts.iter().enumerate() {
        let at = format!("service.capabilities.outbound-hosts[{i}]");
        if let Err(message) = check_host_pattern(pattern, &names) {
            problems.push(Problem::new(at, message));
        }
    }
    let mut paths = HashSet::new();
    for (i, d) in s.capabilities.directories.iter().enumerate() {
        let at = format!("service.capabilities.directories[{i}]");
        if !d.guest_path.starts_with('/') {
            problems.push(Problem::new(
                &at,
                format!("guest path {:?} is not absolute", d.guest_path),
            ));
        } else if !paths.insert(d.guest_path.as_str()) {
            problems.push(Problem::new(
                &at,
                format!("guest path {:?} is listed twice", d.guest_path),
            ));
        }
    }
}

fn has_uri_scheme(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme.as_bytes()[0].is_ascii_alphabetic()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
        }
        None => false,
    }
}

/// Checks an outbound host pattern such as `https://{host}` or
/// `https://*.example.com:8443`.
fn check_host_pattern(pattern: &str, parameters: &HashSet<&str>) -> Result<(), String> {
    let Some((scheme, rest)) = pattern.split_once("://") else {
        return Err(format!(
            "{pattern:?} has no scheme (expected e.g. https://api.example.com)"
        ));
    };
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "{pattern:?} has scheme {scheme:?}; only http and https are supported"
        ));
    }
    if rest.is_empty() || rest.contains('/') && !rest.ends_with('/') {
        return Err(format!(
            "{pattern:?} must name an origin (scheme, host, optional port), not a path"
        ));
    }
    let mut rest = rest;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            return Err(format!("{pattern:?} has an unclosed '{{'"));
        };
        let name = &rest[start + 1..start + len];
        if !parameters.contains(name) {
            return Err(format!(
                "{pattern:?} names {{{name}}}, which is not a connection parameter"
            ));
        }
        rest = &rest[start + len + 1..];
    }
    Ok(())
}

fn check_operations(operations: &[Operation], problems: &mut Vec<Problem>) {
    let mut ids = HashSet::new();
    for (i, op) in operations.iter().enumerate() {
        let at = if op.id.is_empty() {
            format!("operations[#{i}]")
        } else {
            format!("operations[{}]", op.id)
        };
        if !is_identifier(&op.id) {
            problems.push(Problem::new(
                &at,
                format!("id {:?} is not an identifier", op.id),
            ));
        } else if !ids.insert(op.id.as_str()) {
            problems.push(Problem::new(&at, "id is used by more than one operation"));
        }
        if op.summary.trim().is_empty() {
            problems.push(Problem::new(format!("{at}.summary"), "is empty"));
        }
        match op.input_schema.get("type") {
            Some(kind) if kind != "object" && *kind != serde_json::json!(["object"]) => problems
                .push(Problem::new(
                    format!("{at}.input-schema"),
                    format!("describes {kind}, but inputs are JSON objects (\"type\": \"object\")"),
                )),
            // A schema that does not say `"type": "object"` lets any value
            // through the host's check (a typo such as `"tpye"` does that).
            None if op.input_schema.is_object() => problems.push(Problem::new(
                format!("{at}.input-schema"),
                "does not say \"type\": \"object\", so it admits any JSON value, but inputs \
                 are JSON objects",
            )),
            _ => {}
        }
        match (op.kind, &op.trigger) {
            (OperationKind::Action, Some(_)) => problems.push(Problem::new(
                format!("{at}.trigger"),
                "an action has trigger settings (only triggers have them)",
            )),
            (OperationKind::PollingTrigger | OperationKind::PushTrigger, None) => {
                problems.push(Problem::new(
                    format!("{at}.trigger"),
                    format!("a {} has no trigger settings", op.kind),
                ))
            }
            (OperationKind::PollingTrigger, Some(t)) if t.needs_subscription => {
                problems.push(Problem::new(
                    format!("{at}.trigger.needs-subscription"),
                    "a polling trigger says it needs a subscription (only push triggers are subscribed)",
                ))
            }
            (OperationKind::PollingTrigger, Some(t)) if t.default_recurrence_seconds == 0 => {
                problems.push(Problem::new(
                    format!("{at}.trigger"),
                    "a polling trigger needs a default recurrence above 0 seconds",
                ))
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_colours() {
        assert!(is_semver("1.2.3"));
        assert!(is_semver("0.1.0-beta.1+build5"));
        assert!(!is_semver("1.2"));
        assert!(!is_semver("01.2.3"));
        assert!(!is_semver("not-semver"));
        assert!(is_hex_color("#0a7cff"));
        assert!(!is_hex_color("blue"));
        assert!(!is_hex_color("#12345g"));
    }

    #[test]
    fn host_patterns() {
        let params: HashSet<&str> = ["host"].into_iter().collect();
        assert!(check_host_pattern("https://{host}", &params).is_ok());
        assert!(check_host_pattern("https://*.example.com:8443", &params).is_ok());
        assert!(check_host_pattern("https://{tenant}.example.com", &params).is_err());
        assert!(check_host_pattern("ftp://example.com", &params).is_err());
        assert!(check_host_pattern("example.com", &params).is_err());
        assert!(check_host_pattern("https://example.com/api/v1", &params).is_err());
        assert!(check_host_pattern("https://{host", &params).is_err());
    }

    #[test]
    fn only_push_triggers_say_needs_subscription() {
        let trigger = |kind, needs_subscription| Operation {
            id: "t".into(),
            summary: "T".into(),
            description: String::new(),
            visibility: Visibility::Important,
            kind,
            input_schema: serde_json::json!({"type": "object"}),
            output_schema: serde_json::json!({}),
            trigger: Some(TriggerSettings {
                default_recurrence_seconds: 60,
                item_mode: ItemMode::Split,
                needs_subscription,
            }),
        };
        let problems = |op| {
            let mut found = Vec::new();
            check_operations(&[op], &mut found);
            found
        };
        assert!(problems(trigger(OperationKind::PushTrigger, true)).is_empty());
        assert!(problems(trigger(OperationKind::PollingTrigger, false)).is_empty());
        let found = problems(trigger(OperationKind::PollingTrigger, true));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].at, "operations[t].trigger.needs-subscription");
    }

    #[test]
    fn an_input_schema_must_say_it_takes_an_object() {
        let action = |input_schema: Value| Operation {
            id: "a".into(),
            summary: "A".into(),
            description: String::new(),
            visibility: Visibility::Important,
            kind: OperationKind::Action,
            input_schema,
            output_schema: serde_json::json!({}),
            trigger: None,
        };
        let problems = |schema| {
            let mut found = Vec::new();
            check_operations(&[action(schema)], &mut found);
            found
        };
        assert!(problems(serde_json::json!({"type": "object"})).is_empty());
        for bad in [
            serde_json::json!({"tpye": "object", "properties": {}}),
            serde_json::json!({"type": "array"}),
        ] {
            let found = problems(bad.clone());
            assert_eq!(found.len(), 1, "{bad}: {found:?}");
            assert!(
                found[0].message.contains("inputs are JSON objects"),
                "{found:?}"
            );
        }
    }

    #[test]
    fn a_misspelt_type_names_the_value_and_the_allowed_ones() {
        let mut found = Vec::new();
        let text = r#"{"type": "object", "properties": {"n": {"type": "integr"}}}"#;
        parse_schema("operations[a]", "input-schema", text, &mut found);
        assert_eq!(found.len(), 1, "{found:?}");
        let m = &found[0].message;
        assert!(
            m.contains("\"integr\"") && m.contains("integer, null") && !m.contains("anyOf"),
            "{m}"
        );
        assert!(m.contains("/properties/n/type"), "{m}");
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("read-file"));
        assert!(is_identifier("v2.list"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("-x"));
        assert!(!is_identifier("Read File"));
    }
}
