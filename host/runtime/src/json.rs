//! JSON bodies kept as the text they arrived as.
//!
//! The contract moves JSON as text: inputs go to a connector as a string and
//! bodies come back as one. The host checks that a body is JSON and that it
//! fits the operation's output schema, but it does not need a
//! [`serde_json::Value`] tree to hand the body on: a sink writes the text, a
//! CLI prints it, the next workflow step parses it if it wants to. Building
//! and dropping a `Value` for 1 MB of records costs about 6 ms here, forty
//! times the component call itself (`BENCHMARKS.md`, figure 2), so bodies
//! are [`Json`]: checked text, parsed only on request.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

mod syntax;
pub use syntax::{MAX_DEPTH, SyntaxError};

/// A JSON document held as its (checked) text.
///
/// Made from text with [`Json::from_text`], which checks in one pass that
/// the text is what `serde_json` would parse into a [`Value`] (syntax,
/// paired surrogates, numbers that fit an `f64`, at most [`MAX_DEPTH`]
/// levels), or from a [`Value`]. Serialising it writes the text as it is,
/// so embedding a body in an event copies bytes instead of walking a tree.
/// Two `Json`s are equal when they hold equal values, whatever their
/// spacing; a `Json` also compares with a `Value`.
#[derive(Clone)]
pub struct Json(String);

impl Json {
    /// Checks that `text` is one JSON value (surrounding whitespace allowed)
    /// and keeps it as it is.
    pub fn from_text(text: impl Into<String>) -> Result<Self, SyntaxError> {
        // Kept as the `String` it came as: boxing it as a `str` would
        // reallocate (copy) text whose capacity exceeds its length.
        let text = text.into();
        syntax::check(&text)?;
        Ok(Json(text))
    }

    /// `value` as compact JSON text.
    pub fn from_value(value: &Value) -> Self {
        Json(
            serde_json::to_string(value)
                .expect("a serde_json::Value always serialises: its keys are strings"),
        )
    }

    /// Serialises `value` (a struct that contains other `Json`s, say)
    /// into a `Json`.
    pub fn serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_string(value).map(Json)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text as the `String` the generated bindings take, so that it
    /// goes to a connector without a copy.
    pub(crate) fn as_string(&self) -> &String {
        &self.0
    }

    /// The length of the text in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty (never: the smallest JSON is one byte).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses the text into a [`Value`].
    ///
    /// The text was checked to be what `serde_json` parses when the `Json`
    /// was made, so this fails only if memory runs out; it returns a
    /// `Result` rather than promise that.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// The text, without copying it.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<&Value> for Json {
    fn from(value: &Value) -> Self {
        Json::from_value(value)
    }
}

impl From<Value> for Json {
    fn from(value: Value) -> Self {
        Json::from_value(&value)
    }
}

impl std::str::FromStr for Json {
    type Err = SyntaxError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Json::from_text(text)
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Json({})", self.as_str())
    }
}

impl PartialEq for Json {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
            || matches!((self.to_value(), other.to_value()), (Ok(a), Ok(b)) if a == b)
    }
}

impl PartialEq<Value> for Json {
    fn eq(&self, other: &Value) -> bool {
        self.to_value().is_ok_and(|v| v == *other)
    }
}

impl PartialEq<Json> for Value {
    fn eq(&self, other: &Json) -> bool {
        other == self
    }
}

impl Serialize for Json {
    /// Embeds the text as it is. `serde_json`'s raw values are the way to
    /// do that; making one checks the syntax again (about 0.8 ms a MB), a
    /// cost paid when a body is embedded (an event to a sink), not on the
    /// call path.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text: Box<str> = raw.into();
        // A raw value is only checked for syntax: check the rest too.
        Json::from_text(text.into_string()).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn text_is_checked_kept_and_written_as_it_is() {
        let body = Json::from_text(" {\"b\": [1, 2],\n \"a\": null} ").unwrap();
        // Kept as it came, spacing and all.
        assert_eq!(body.as_str(), " {\"b\": [1, 2],\n \"a\": null} ");
        assert_eq!(body, json!({"a": null, "b": [1, 2]}));
        let wrapped = serde_json::to_string(&json!({"x": 1})).unwrap();
        assert_eq!(wrapped, r#"{"x":1}"#);
        #[derive(Serialize)]
        struct Event<'a> {
            body: &'a Json,
        }
        assert_eq!(
            serde_json::to_string(&Event { body: &body }).unwrap(),
            "{\"body\":{\"b\": [1, 2],\n \"a\": null}}"
        );
        let back: Json = serde_json::from_str(r#"{"k": [true]}"#).unwrap();
        assert_eq!(back.as_str(), r#"{"k": [true]}"#);
    }

    #[test]
    fn bad_text_is_refused_with_the_place() {
        for bad in ["", "{", "{} {}", "[1,]", "nul", "\"\u{1}\""] {
            assert!(Json::from_text(bad).is_err(), "{bad:?} was accepted");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(
            Json::from_text(deep).is_err(),
            "nesting past 127 was accepted"
        );
        let err = Json::from_text("{\"a\": tru}").unwrap_err();
        assert_eq!((err.line, err.column), (1, 10));
        let err = serde_json::from_str::<Json>("[1e400]").unwrap_err();
        assert!(err.to_string().contains("number out of range"), "{err}");
    }

    #[test]
    fn equality_is_by_value() {
        let a = Json::from_text(r#"{"a":1,"b":2}"#).unwrap();
        let b = Json::from_text(r#"{ "b": 2, "a": 1 }"#).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, Json::from_value(&json!({"a": 1})));
        assert_eq!(Json::from_value(&json!([1, "x"])).as_str(), r#"[1,"x"]"#);
        assert_eq!(a.clone().into_string(), r#"{"a":1,"b":2}"#);
    }
}
