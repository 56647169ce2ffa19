//! Power Platform connector folders: `apiDefinition.swagger.json` (a
//! Swagger 2.0 document, read by [`crate::openapi`]) with
//! `apiProperties.json`: connection parameters, the brand colour, and the
//! policy templates `dynamichosturl` (the base URL from the connection),
//! `setheader` and `setqueryparameter` (added to every request). Other
//! policies, `oauthSetting` parameters and `script.csx` are reported as
//! not mapped; the operations are imported all the same.

use std::path::Path;

use serde_json::Value;

use crate::model::{Auth, Definition, ParameterInfo};
use crate::openapi;
use crate::problem::{Problem, Severity, escape};
use crate::source::Source;

/// `@connectionParameters('name')` as `{name}`; `None` for other
/// expressions.
fn template(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('@') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let inner = after.strip_prefix("@connectionParameters('")?;
        let end = inner.find("')")?;
        out.push('{');
        out.push_str(&inner[..end]);
        out.push('}');
        rest = &inner[end + 2..];
    }
    out.push_str(rest);
    Some(out)
}

/// Reads a connector folder.
pub fn read(dir: &Path, problems: &mut Vec<Problem>) -> Option<Definition> {
    let api = dir.join("apiDefinition.swagger.json");
    if !api.is_file() {
        problems.push(Problem {
            severity: Severity::Error,
            file: dir.to_path_buf(),
            pointer: String::new(),
            position: None,
            message: "is a folder without apiDefinition.swagger.json (a Power Platform connector folder has one)".into(),
        });
        return None;
    }
    let src = match Source::read(&api) {
        Ok(src) => src,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    let mut def = openapi::read(&src, problems)?;
    let script = dir.join("script.csx");
    if script.is_file() {
        problems.push(Problem {
            severity: Severity::Warning,
            file: script,
            pointer: String::new(),
            position: None,
            message: "not mapped: custom code (script.csx) is not run; every operation is imported and calls the API without it".into(),
        });
    }
    let props_path = dir.join("apiProperties.json");
    if props_path.is_file() {
        match Source::read(&props_path) {
            Ok(props) => apply_properties(&props, &mut def, problems),
            Err(p) => problems.push(p),
        }
    }
    Some(def)
}

fn apply_properties(props: &Source, def: &mut Definition, problems: &mut Vec<Problem>) {
    let p = props.value.get("properties").unwrap_or(&Value::Null);
    if let Some(color) = p.get("iconBrandColor").and_then(Value::as_str) {
        def.service.brand_color = color.to_string();
    }
    for (name, param) in p
        .get("connectionParameters")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let at = format!("/properties/connectionParameters/{}", escape(name));
        let kind = match param
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("string")
        {
            "securestring" => "secret",
            "int" => "integer",
            "bool" => "boolean",
            "string" => "text",
            other => {
                problems.push(props.problem(
                    Severity::Warning,
                    &at,
                    format!("not mapped: a connection parameter of type {other:?} (identity providers are not supported)"),
                ));
                continue;
            }
        };
        let ui = param.get("uiDefinition");
        let text = |k: &str| {
            ui.and_then(|u| u.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let required = ui
            .and_then(|u| u.pointer("/constraints/required"))
            .is_some_and(|r| r == "true" || r == true);
        let info = ParameterInfo {
            name: name.clone(),
            display_name: if text("displayName").is_empty() {
                name.clone()
            } else {
                text("displayName")
            },
            description: text("description"),
            kind: kind.into(),
            required,
            default: None,
        };
        // The definition's own key parameter becomes this secret.
        if kind == "secret"
            && let Auth::ApiKey { param, .. } = &mut def.auth
            && param == "api_key"
            && name != "api_key"
        {
            def.parameters.retain(|p| p.name != "api_key");
            *param = name.clone();
        }
        def.parameters.retain(|p| p.name != *name);
        def.parameters.push(info);
    }
    if p.get("connectionParameterSets").is_some() {
        problems.push(props.problem(
            Severity::Warning,
            "/properties/connectionParameterSets",
            "not mapped: only one way to connect is imported (the parameters above); the sets' alternatives are not",
        ));
    }
    for (i, policy) in p
        .get("policyTemplateInstances")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("/properties/policyTemplateInstances/{i}");
        let id = policy
            .get("templateId")
            .and_then(Value::as_str)
            .unwrap_or("");
        let param = |k: &str| {
            policy
                .pointer(&format!("/parameters/x-ms-apimTemplateParameter.{k}"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let Some(mapped) = apply_policy(id, &param, def) else {
            problems.push(props.problem(
                Severity::Warning,
                &at,
                format!("not mapped: the policy {id:?} (or an expression in it other than @connectionParameters('...'))"),
            ));
            continue;
        };
        if let Err(message) = mapped {
            problems.push(props.problem(Severity::Error, &at, message));
        }
    }
}

/// Applies one policy; `None` when it is not one this importer maps.
fn apply_policy(
    id: &str,
    param: &dyn Fn(&str) -> String,
    def: &mut Definition,
) -> Option<Result<(), String>> {
    match id {
        "dynamichosturl" => {
            let url = template(&param("urlTemplate"))?;
            let Some((scheme, rest)) = url.split_once("://") else {
                return Some(Err(format!("the urlTemplate {url:?} has no scheme")));
            };
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            for name in host
                .split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}'))
                .map(|(n, _)| n)
            {
                if !def.parameters.iter().any(|p| p.name == name) {
                    return Some(Err(format!(
                        "the urlTemplate names {name:?}, which is not a connection parameter"
                    )));
                }
            }
            if !host.contains("{host}") {
                def.parameters.retain(|p| p.name != "host");
            }
            if let Some(tls) = def.parameters.iter_mut().find(|p| p.name == "use_tls") {
                tls.default = Some((!scheme.eq_ignore_ascii_case("http")).to_string());
            }
            def.base.host = host.to_string();
            def.base.path = path.to_string();
            def.outbound_hosts.retain(|h| !h.ends_with("://{host}"));
            def.outbound_hosts.push(format!("https://{host}"));
            def.outbound_hosts.push(format!("http://{host}"));
            Some(Ok(()))
        }
        "setheader" => {
            if param("existsAction") == "skip" || param("policySection") == "Response" {
                return None;
            }
            def.headers
                .push((param("name"), template(&param("value"))?));
            Some(Ok(()))
        }
        "setqueryparameter" => {
            def.query.push((param("name"), template(&param("value"))?));
            Some(Ok(()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::template;

    #[test]
    fn templates() {
        assert_eq!(
            template("https://@connectionParameters('site')/api").as_deref(),
            Some("https://{site}/api")
        );
        assert_eq!(template("plain").as_deref(), Some("plain"));
        assert_eq!(template("@headers('x')"), None);
    }
}
