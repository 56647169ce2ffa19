//! Structured logging to the host: a message and `(name, value)` fields.
//!
//! The host adds the connector's name and the operation, and may truncate
//! long messages and drop records past a rate, so logging is cheap to leave in.

use crate::bindings::connector::provider::log::{self as wit, Level};

fn write(level: Level, message: &str, fields: &[(&str, &str)]) {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    wit::log(level, message, &fields);
}

/// Very detailed tracing.
pub fn trace(message: &str, fields: &[(&str, &str)]) {
    write(Level::Trace, message, fields);
}

/// Details for a connector author.
pub fn debug(message: &str, fields: &[(&str, &str)]) {
    write(Level::Debug, message, fields);
}

/// Normal progress.
pub fn info(message: &str, fields: &[(&str, &str)]) {
    write(Level::Info, message, fields);
}

/// Something unexpected that the connector handled.
pub fn warn(message: &str, fields: &[(&str, &str)]) {
    write(Level::Warn, message, fields);
}

/// Something failed.
pub fn error(message: &str, fields: &[(&str, &str)]) {
    write(Level::Error, message, fields);
}
