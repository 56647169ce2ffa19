//! Integration tests of connector-workflows: one binary, one module per topic.

mod actions;
mod cancel;
mod definition;
mod engine;
mod expr_functions;
mod expr_language;
mod parallel;
mod resume;
mod retries;
mod secure;
mod support;
mod timeouts;
mod trigger;
