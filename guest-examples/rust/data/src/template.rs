//! A minimal text template language: `{{name}}` and `{{a.b}}` placeholders.
//!
//! A placeholder names a value by a dotted path through objects (and, with
//! a number, through arrays: `{{items.0}}`); spaces inside the braces are
//! ignored. Strings are inserted as they are, numbers and booleans as JSON
//! writes them, `null` as nothing, and objects and arrays as compact JSON.
//! There is no escaping, no logic and no HTML quoting: the templates are for
//! messages and file names, not for web pages.

use serde_json::{Map, Value};

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `{{` at this byte offset has no `}}` after it.
    Unclosed { offset: usize },
    /// The placeholder at this byte offset names nothing (`{{}}`, `{{a..b}}`).
    BadPlaceholder { offset: usize, text: String },
    /// In strict mode, the values have nothing at this path.
    Missing { name: String },
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Unclosed { offset } => {
                write!(f, "`{{{{` at offset {offset} is not closed by `}}}}`")
            }
            TemplateError::BadPlaceholder { offset, text } => write!(
                f,
                "the placeholder `{{{{{text}}}}}` at offset {offset} is not a name or a \
                 dotted path such as `a.b`"
            ),
            TemplateError::Missing { name } => {
                write!(f, "no value for the placeholder `{{{{{name}}}}}`")
            }
        }
    }
}

/// Renders `template` with `values`. In strict mode a placeholder without a
/// value is an error; otherwise it renders as nothing.
pub fn render(
    template: &str,
    values: &Map<String, Value>,
    strict: bool,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let offset = template.len() - rest.len() + open;
        out.push_str(&rest[..open]);
        let after_open = &rest[open + 2..];
        let close = after_open
            .find("}}")
            .ok_or(TemplateError::Unclosed { offset })?;
        let name = after_open[..close].trim();
        let path: Vec<&str> = name.split('.').collect();
        if path.iter().any(|part| part.is_empty()) {
            return Err(TemplateError::BadPlaceholder {
                offset,
                text: after_open[..close].to_string(),
            });
        }
        match lookup(values, &path) {
            Some(value) => insert(&mut out, value),
            None if strict => {
                return Err(TemplateError::Missing {
                    name: name.to_string(),
                });
            }
            None => {}
        }
        rest = &after_open[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Follows a dotted path through objects and arrays.
fn lookup<'a>(values: &'a Map<String, Value>, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut value = values.get(*first)?;
    for part in rest {
        value = match value {
            Value::Object(object) => object.get(*part)?,
            Value::Array(array) => array.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

fn insert(out: &mut String, value: &Value) {
    match value {
        Value::Null => {}
        Value::String(text) => out.push_str(text),
        // Numbers, booleans, objects and arrays: as compact JSON.
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn fills_placeholders() {
        let v = values(json!({
            "name": "Ada", "n": 3, "ok": true, "none": null,
            "user": {"email": "ada@example.com"}, "items": ["x", "y"]
        }));
        let text = render(
            "Hi {{name}} <{{ user.email }}>: {{n}} {{ok}} [{{none}}] {{items.1}} {{items}}",
            &v,
            true,
        )
        .unwrap();
        assert_eq!(text, r#"Hi Ada <ada@example.com>: 3 true [] y ["x","y"]"#);
        assert_eq!(
            render("no placeholders", &v, true).unwrap(),
            "no placeholders"
        );
        assert_eq!(render("{single} }}", &v, true).unwrap(), "{single} }}");
    }

    #[test]
    fn missing_values_depend_on_strictness() {
        let v = values(json!({"a": {}}));
        assert_eq!(
            render("x{{a.b}}y", &v, true),
            Err(TemplateError::Missing { name: "a.b".into() })
        );
        assert_eq!(render("x{{a.b}}y", &v, false).unwrap(), "xy");
    }

    #[test]
    fn refuses_broken_placeholders() {
        let v = Map::new();
        assert_eq!(
            render("ab{{name", &v, false),
            Err(TemplateError::Unclosed { offset: 2 })
        );
        assert!(matches!(
            render("{{ }}", &v, false),
            Err(TemplateError::BadPlaceholder { .. })
        ));
        assert!(matches!(
            render("{{a..b}}", &v, false),
            Err(TemplateError::BadPlaceholder { .. })
        ));
    }
}
