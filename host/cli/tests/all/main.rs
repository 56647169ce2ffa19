//! Integration tests of the host against real components: inline WAT for
//! loader edge cases, and guests built from this repository's sources by
//! `make guests` for everything else. One test binary, one module per topic.

mod support;
mod taskapi;

mod cache;
mod capabilities;
mod cli;
mod conformance;
mod containment;
mod containment_run;
mod examples;
mod fuzz;
mod hostile;
mod import;
mod import_postman;
mod import_support;
mod import_webhook;
mod loader;
mod malformed;
mod metrics;
mod metrics_otlp;
mod metrics_prometheus;
mod nats;
mod nats_support;
mod polyglot;
mod postgres;
mod postgres_hosts;
mod postgres_support;
mod registry;
mod registry_support;
mod reuse;
mod secrets;
mod server_api;
mod server_browser;
mod server_designer;
mod server_security;
mod server_support;
mod server_workflows;
mod subscriptions;
mod tasks;
mod triggers;
mod triggers_crash;
mod triggers_state;
mod triggers_support;
mod versions;
mod webhooks_http;
mod workflows;
mod workflows_request;
mod workflows_resume;
mod workflows_support;
