//! Integration tests of connector-workflows: one binary, one module per topic.

mod definition;
mod engine;
mod expr_functions;
mod expr_language;
