//! Postman collections (format v2.0 and v2.1, told apart by `info.schema`)
//! to a [`Definition`]: one operation per request, folders walked for
//! their requests (a request's folder path goes into its description; the
//! contract has no tags), `auth` inherited collection -> folder -> request
//! ([`crate::postman_auth`]), collection `variable`s as connection
//! parameters whose defaults are the variables' values, and the base URL
//! from the first request ([`crate::postman_request`] maps each request).
//! Scripts, and whatever else has no meaning outside Postman, are reported
//! with the item they are in.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::{Auth, Base, Definition, Kind, ParameterInfo, ServiceInfo};
use crate::openapi::{identifier, semver};
use crate::postman_auth;
use crate::postman_request::{self, Url};
use crate::problem::{Problem, Severity};
use crate::source::Source;

/// The collection format versions read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `.../collection/v2.0.0/collection.json`.
    V2_0,
    /// `.../collection/v2.1.0/collection.json`.
    V2_1,
}

/// What `info.schema` says, when the document is a Postman collection:
/// `Some(Ok(version))`, or `Some(Err(schema))` for a format not read.
pub fn detect(value: &Value) -> Option<Result<Version, String>> {
    let schema = value.pointer("/info/schema")?.as_str()?;
    if !schema.contains("getpostman.com") && !schema.contains("postman.com") {
        return None;
    }
    Some(if schema.contains("/collection/v2.1") {
        Ok(Version::V2_1)
    } else if schema.contains("/collection/v2.0") {
        Ok(Version::V2_0)
    } else {
        Err(schema.to_string())
    })
}

/// The state of one collection's import, shared by its requests.
pub struct Ctx<'a> {
    /// The file.
    pub src: &'a Source,
    /// The collection's variables: name -> value.
    pub vars: BTreeMap<String, String>,
    /// Variables the collection marks `secret`.
    pub secret_vars: Vec<String>,
    /// The connection parameters made so far, by name.
    pub params: BTreeMap<String, ParameterInfo>,
    /// Every problem.
    pub problems: &'a mut Vec<Problem>,
}

/// Whether a name looks like it holds a credential: such a variable is a
/// secret parameter (masked, never a default), whatever it is used for.
fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "apikey",
        "api_key",
        "api-key",
        "credential",
    ]
    .iter()
    .any(|w| n.contains(w))
}

impl Ctx<'_> {
    /// Adds a problem at `at`.
    pub fn report(&mut self, severity: Severity, at: &str, message: impl Into<String>) {
        let p = self.src.problem(severity, at, message);
        self.problems.push(p);
    }

    /// The connection parameter for the variable `var`, made on first use:
    /// text with the variable's value as its default, or a secret (with no
    /// default) when `secret` or the variable looks like a credential.
    pub fn var_param(&mut self, var: &str, secret: bool, at: &str) -> String {
        let mut name = identifier(var);
        if name == "host" || name == "use_tls" {
            name = format!("var-{name}");
        }
        let secret = secret || secret_name(var) || self.secret_vars.iter().any(|v| v == var);
        let value = self.vars.get(var).cloned();
        if var.starts_with('$') {
            self.report(
                Severity::Warning,
                at,
                format!("not mapped: the dynamic variable {{{{{var}}}}} is not generated; it is the connection parameter `{name}`"),
            );
        } else if value.is_none() && !self.params.contains_key(&name) {
            self.report(
                Severity::Warning,
                at,
                format!("the variable {{{{{var}}}}} is not defined in the collection (an environment variable?): it is the required connection parameter `{name}`"),
            );
        }
        let carried = value.as_deref().filter(|v| !v.is_empty());
        let entry = self
            .params
            .entry(name.clone())
            .or_insert_with(|| ParameterInfo {
                name: name.clone(),
                display_name: var.to_string(),
                description: format!("The collection variable {{{{{var}}}}}."),
                kind: "text".into(),
                required: carried.is_none(),
                default: carried.map(str::to_string),
            });
        if secret && entry.kind != "secret" {
            entry.kind = "secret".into();
            entry.required = true;
            if entry.default.take().is_some() {
                self.report(
                    Severity::Warning,
                    at,
                    format!("the value of the variable {{{{{var}}}}} is not carried over: it is the secret connection parameter `{name}`, which each connection gives"),
                );
            }
        }
        name
    }

    /// A text with `{{variable}}`s as a template of `{parameter}`s.
    pub fn template(&mut self, text: &str, secret: bool, at: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start..].find("}}") else {
                break;
            };
            out.push_str(&rest[..start]);
            let var = rest[start + 2..start + len].trim().to_string();
            let param = self.var_param(&var, secret, at);
            out.push_str(&format!("{{{param}}}"));
            rest = &rest[start + len + 2..];
        }
        out.push_str(rest);
        out
    }

    /// `text` with the variables that have values replaced by them; the
    /// names of those that have none.
    pub fn substitute(&self, text: &str) -> (String, Vec<String>) {
        let mut out = String::new();
        let mut missing = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start..].find("}}") else {
                break;
            };
            out.push_str(&rest[..start]);
            let var = rest[start + 2..start + len].trim();
            match self.vars.get(var) {
                Some(v) => out.push_str(v),
                None => {
                    missing.push(var.to_string());
                    out.push_str(&rest[start..start + len + 2]);
                }
            }
            rest = &rest[start + len + 2..];
        }
        out.push_str(rest);
        (out, missing)
    }
}

/// A text field that may be a string or `{ "content": ... }` (Postman's
/// description), or a version object `{major, minor, patch}`.
pub fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) if o.contains_key("content") => text_of(o.get("content")),
        Some(Value::Object(o)) if o.contains_key("major") => format!(
            "{}.{}.{}",
            o.get("major").and_then(Value::as_u64).unwrap_or(0),
            o.get("minor").and_then(Value::as_u64).unwrap_or(0),
            o.get("patch").and_then(Value::as_u64).unwrap_or(0)
        ),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// One request found by the walk: its item, where it is, its folders and
/// the pointer of the `auth` it inherits or has.
struct Found<'v> {
    item: &'v Value,
    at: String,
    folders: Vec<String>,
    auth_at: Option<String>,
}

/// Reports the scripts (`event`) of an item, folder or the collection.
fn scripts(ctx: &mut Ctx, node: &Value, at: &str) {
    for (i, event) in node
        .get("event")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let listen = event.get("listen").and_then(Value::as_str).unwrap_or("?");
        let exec = event.pointer("/script/exec");
        let empty = match exec {
            Some(Value::Array(lines)) => lines
                .iter()
                .all(|l| l.as_str().is_none_or(|s| s.trim().is_empty())),
            Some(Value::String(s)) => s.trim().is_empty(),
            _ => true,
        };
        if !empty && !event.get("disabled").is_some_and(|d| d == true) {
            ctx.report(
                Severity::Warning,
                &format!("{at}/event/{i}"),
                format!("not mapped: a {listen} script is not run (the request is sent as it is written)"),
            );
        }
    }
}

/// How deep folders may nest.
const MAX_FOLDER_DEPTH: usize = 32;

fn walk<'v>(
    ctx: &mut Ctx,
    node: &'v Value,
    at: &str,
    folders: &[String],
    auth_at: Option<String>,
    out: &mut Vec<Found<'v>>,
    depth: usize,
) {
    // 32 levels of folders are far more than any collection has, and well inside
    // the JSON reader's own nesting limit (128: each folder is an object and an array).
    if depth > MAX_FOLDER_DEPTH {
        ctx.report(
            Severity::Error,
            at,
            format!("folders nested more than {MAX_FOLDER_DEPTH} deep"),
        );
        return;
    }
    for (i, item) in node
        .get("item")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let item_at = format!("{at}/item/{i}");
        scripts(ctx, item, &item_at);
        let own_auth = item
            .get("auth")
            .filter(|a| !a.is_null())
            .map(|_| format!("{item_at}/auth"));
        if item.get("item").is_some() {
            let mut path = folders.to_vec();
            path.push(text_of(item.get("name")));
            walk(
                ctx,
                item,
                &item_at,
                &path,
                own_auth.or(auth_at.clone()),
                out,
                depth + 1,
            );
        } else if item.get("request").is_some() {
            let request_auth = item
                .pointer("/request/auth")
                .filter(|a| !a.is_null())
                .map(|_| format!("{item_at}/request/auth"));
            out.push(Found {
                item,
                at: item_at,
                folders: folders.to_vec(),
                auth_at: request_auth.or(auth_at.clone()),
            });
        } else {
            ctx.report(
                Severity::Warning,
                &item_at,
                "an item with neither a request nor items; skipped",
            );
        }
    }
}

/// Reads a collection.
pub fn read(src: &Source, problems: &mut Vec<Problem>) -> Option<Definition> {
    let root = &src.value;
    if let Some(Err(schema)) = detect(root) {
        problems.push(src.problem(
            Severity::Error,
            "/info/schema",
            format!("the Postman collection format {schema:?} is not supported (v2.0.0 and v2.1.0 are; export the collection as v2.1)"),
        ));
        return None;
    }
    let mut vars = BTreeMap::new();
    let mut secret_vars = Vec::new();
    for v in root
        .get("variable")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(key) = v.get("key").or_else(|| v.get("id")).and_then(Value::as_str) else {
            continue;
        };
        if v.get("disabled") == Some(&Value::Bool(true)) {
            continue;
        }
        let value = match v.get("value") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        if v.get("type").and_then(Value::as_str) == Some("secret") {
            secret_vars.push(key.to_string());
        }
        vars.insert(key.to_string(), value);
    }
    let mut ctx = Ctx {
        src,
        vars,
        secret_vars,
        params: BTreeMap::new(),
        problems,
    };
    scripts(&mut ctx, root, "");
    for key in ["protocolProfileBehavior", "proxy", "certificate"] {
        if root.get(key).is_some() {
            ctx.report(
                Severity::Warning,
                &format!("/{key}"),
                format!("not mapped: {key} (Postman's own client settings)"),
            );
        }
    }
    let name = text_of(root.pointer("/info/name"));
    if name.trim().is_empty() {
        ctx.report(Severity::Error, "/info/name", "the collection has no name");
    }
    let collection_auth = root
        .get("auth")
        .filter(|a| !a.is_null())
        .map(|_| "/auth".to_string());
    let mut found = Vec::new();
    walk(
        &mut ctx,
        root,
        "",
        &[],
        collection_auth.clone(),
        &mut found,
        0,
    );
    if found.is_empty() {
        ctx.report(
            Severity::Warning,
            "/item",
            "the collection has no requests, so no operations",
        );
    }

    // The base: where the first request goes.
    let first_url = found.first().map(|f| postman_request::url_of(f.item));
    let (base_key, host_default, base_path, tls) = match &first_url {
        Some(url) => base_of(&mut ctx, url, &found[0].at),
        None => (String::new(), None, String::new(), true),
    };
    let mut parameters = vec![
        ParameterInfo {
            name: "host".into(),
            display_name: "API host".into(),
            description: "The API's host and optional port.".into(),
            kind: "text".into(),
            required: host_default.is_none(),
            default: host_default,
        },
        ParameterInfo {
            name: "use_tls".into(),
            display_name: "Use HTTPS".into(),
            description: "false to call the API over plain HTTP.".into(),
            kind: "boolean".into(),
            required: false,
            default: Some(tls.to_string()),
        },
    ];

    let mut auths: BTreeMap<String, Auth> = BTreeMap::new();
    let mut auth_of = |ctx: &mut Ctx, at: &Option<String>| -> Auth {
        let Some(at) = at else { return Auth::None };
        if let Some(a) = auths.get(at) {
            return a.clone();
        }
        let value = ctx.src.value.pointer(at).cloned().unwrap_or(Value::Null);
        let auth = postman_auth::map(ctx, &value, at);
        auths.insert(at.clone(), auth.clone());
        auth
    };
    let def_auth = auth_of(&mut ctx, &collection_auth);
    let def_auth_json = serde_json::to_string(&def_auth).unwrap_or_default();
    let mut operations: Vec<crate::model::Operation> = Vec::new();
    let mut not_imported = 0;
    for f in &found {
        let url = postman_request::url_of(f.item);
        let key = origin_key(&url);
        if key != base_key {
            ctx.report(
                Severity::Warning,
                &f.at,
                format!("not imported: the request goes to {key}, not to {base_key} like the first request (a connector has one base URL)"),
            );
            not_imported += 1;
            continue;
        }
        let auth = auth_of(&mut ctx, &f.auth_at);
        let mut op = postman_request::map(&mut ctx, f.item, &url, &f.at, &f.folders);
        if serde_json::to_string(&auth).unwrap_or_default() != def_auth_json {
            op.auth = Some(auth);
        }
        let base = op.id.clone();
        let mut n = 2;
        while operations.iter().any(|o| o.id == op.id) {
            op.id = format!("{}-{n}", &base[..base.len().min(60)]);
            n += 1;
        }
        if op.id != base {
            ctx.report(
                Severity::Warning,
                &f.at,
                format!(
                    "imported as {:?}: {base:?} is taken by another request",
                    op.id
                ),
            );
        }
        operations.push(op);
    }
    parameters.extend(std::mem::take(&mut ctx.params).into_values());
    let check_operation = operations
        .iter()
        .find(|o| {
            o.kind == Kind::Action
                && o.method == "GET"
                && o.input_schema
                    .get("required")
                    .and_then(Value::as_array)
                    .is_none_or(|r| r.is_empty())
        })
        .map(|o| o.id.clone());
    let version = text_of(root.pointer("/info/version"));
    Some(Definition {
        service: ServiceInfo {
            id: identifier(&name),
            display_name: if name.trim().is_empty() {
                "API".into()
            } else {
                name.clone()
            },
            description: text_of(root.pointer("/info/description"))
                .chars()
                .take(1000)
                .collect(),
            version: if version.is_empty() {
                "1.0.0".into()
            } else {
                semver(&version)
            },
            brand_color: "#ff6c37".into(),
            icon_uri: String::new(),
        },
        parameters,
        outbound_hosts: vec!["https://{host}".into(), "http://{host}".into()],
        base: Base {
            host: "{host}".into(),
            path: base_path,
            tls_parameter: Some("use_tls".into()),
        },
        auth: def_auth,
        headers: Vec::new(),
        query: Vec::new(),
        operations,
        check_operation,
        not_imported,
    })
}

/// What tells two requests' origins apart: a `{{variable}}` host by its
/// name, a literal one by scheme, host and port.
fn origin_key(url: &Url) -> String {
    match url.host_var() {
        Some(var) => format!("{{{{{var}}}}}"),
        None => format!(
            "{}://{}{}",
            url.scheme.as_deref().unwrap_or("https"),
            url.host,
            url.port
                .as_deref()
                .map(|p| format!(":{p}"))
                .unwrap_or_default()
        ),
    }
}

/// The base of the first request: its origin key, the host's default (and
/// port), the base path and whether https is the default.
fn base_of(ctx: &mut Ctx, url: &Url, at: &str) -> (String, Option<String>, String, bool) {
    let key = origin_key(url);
    let Some(var) = url.host_var() else {
        let (host, missing) = ctx.substitute(&url.host);
        let port = url
            .port
            .as_deref()
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        let tls = !url
            .scheme
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("http"));
        if !missing.is_empty() {
            ctx.report(Severity::Warning, at, format!("the host {:?} names variables without a value ({}); every connection must give the host", url.host, missing.join(", ")));
            return (key, None, String::new(), tls);
        }
        return (key, Some(format!("{host}{port}")), String::new(), tls);
    };
    let value = ctx.vars.get(&var).cloned().unwrap_or_default();
    if value.is_empty() || value.contains("{{") {
        ctx.report(
            Severity::Warning,
            at,
            format!("the base URL variable {{{{{var}}}}} has no value in the collection: every connection must give the host"),
        );
        return (key, None, String::new(), true);
    }
    let (tls, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (!scheme.eq_ignore_ascii_case("http"), rest),
        None => (true, value.as_str()),
    };
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    (
        key,
        Some(host.to_string()),
        path.trim_end_matches('/').to_string(),
        tls,
    )
}
