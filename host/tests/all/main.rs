//! Integration tests of the host against real components: inline WAT for
//! loader edge cases, and guests built from this repository's sources by
//! `make guests` for everything else. One test binary, one module per topic.

mod support;
mod taskapi;

mod cache;
mod capabilities;
mod cli;
mod conformance;
mod examples;
mod fuzz;
mod hostile;
mod loader;
mod malformed;
mod polyglot;
mod reuse;
mod secrets;
mod tasks;
mod triggers;
mod triggers_crash;
mod triggers_support;
