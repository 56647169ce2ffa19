//! A Postman `auth` object to the connector's authentication: `apikey`
//! (header or query), `bearer` and `basic`, each credential a secret
//! connection parameter (a `{{variable}}` credential is the parameter for
//! that variable; a literal one in the collection is not carried over, so
//! a shared collection's credentials do not end up in the component),
//! `noauth` as none. Other kinds are reported, and their requests sent
//! without credentials. Attributes are read in both shapes: v2.1's list of
//! `{key, value}` and v2.0's object.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::{Auth, ParameterInfo};
use crate::postman::Ctx;
use crate::problem::Severity;

/// The attributes of the auth kind `kind`, as text.
fn attrs(auth: &Value, kind: &str) -> BTreeMap<String, String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    match auth.get(kind) {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|a| Some((a.get("key")?.as_str()?.to_string(), text(a.get("value")?))))
            .collect(),
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
        _ => BTreeMap::new(),
    }
}

/// `prefix{{var}}` as `(prefix, var)`.
fn one_var(value: &str) -> Option<(&str, &str)> {
    let inner = value.strip_suffix("}}")?;
    let start = inner.rfind("{{")?;
    let var = inner[start + 2..].trim();
    (!var.is_empty() && !inner[..start].contains("{{")).then(|| (&inner[..start], var))
}

/// The connection parameter holding a credential: the variable's, or
/// `fallback` (a secret without a default) for a literal value.
fn credential(
    ctx: &mut Ctx,
    value: &str,
    fallback: &str,
    secret: bool,
    at: &str,
) -> (String, String) {
    if let Some((prefix, var)) = one_var(value) {
        return (prefix.to_string(), ctx.var_param(var, secret, at));
    }
    if !value.is_empty() && secret {
        ctx.report(
            Severity::Warning,
            at,
            format!("the collection holds a literal credential here; it is not carried over: each connection gives the secret parameter `{fallback}`"),
        );
    }
    let default = (!secret && !value.is_empty()).then(|| value.to_string());
    ctx.params
        .entry(fallback.to_string())
        .or_insert_with(|| ParameterInfo {
            name: fallback.into(),
            display_name: fallback.replace('_', " "),
            description: "A credential of the collection's authentication.".into(),
            kind: if secret { "secret" } else { "text" }.into(),
            required: default.is_none(),
            default,
        });
    (String::new(), fallback.to_string())
}

/// Maps the auth object at `at`.
pub fn map(ctx: &mut Ctx, auth: &Value, at: &str) -> Auth {
    let kind = auth.get("type").and_then(Value::as_str).unwrap_or("");
    let a = attrs(auth, kind);
    let get = |k: &str| a.get(k).cloned().unwrap_or_default();
    match kind {
        "noauth" => Auth::None,
        "apikey" => {
            let location = match get("in").as_str() {
                "query" => "query",
                _ => "header",
            };
            let (name, missing) = ctx.substitute(&get("key"));
            if name.is_empty() || !missing.is_empty() {
                ctx.report(
                    Severity::Warning,
                    at,
                    "not mapped: an apikey without a literal key name; requests are sent without it",
                );
                return Auth::None;
            }
            let (prefix, param) =
                credential(ctx, &get("value"), "api_key", true, &format!("{at}/apikey"));
            Auth::ApiKey {
                location: location.into(),
                name,
                param,
                prefix,
            }
        }
        "bearer" => {
            let (_, param) = credential(ctx, &get("token"), "token", true, &format!("{at}/bearer"));
            Auth::Bearer { param }
        }
        "basic" => {
            let (_, user) = credential(
                ctx,
                &get("username"),
                "username",
                false,
                &format!("{at}/basic"),
            );
            let (_, password) = credential(
                ctx,
                &get("password"),
                "password",
                true,
                &format!("{at}/basic"),
            );
            Auth::Basic { user, password }
        }
        other => {
            ctx.report(
                Severity::Warning,
                at,
                format!("not mapped: the auth type {other:?} (apikey, bearer, basic and noauth are); requests are sent without credentials"),
            );
            Auth::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::one_var;

    #[test]
    fn credential_variables() {
        assert_eq!(one_var("{{token}}"), Some(("", "token")));
        assert_eq!(one_var("Key {{ key }}"), Some(("Key ", "key")));
        assert_eq!(one_var("abc"), None);
        assert_eq!(one_var("{{a}}{{b}}"), None);
    }
}
