//! Integration tests of the importer: real definitions read, composed with
//! the generic connector built by `make guests`, loaded by the real host
//! runtime, and every operation invoked against an API served on
//! 127.0.0.1 that checks each request. One test binary, one module per topic.

mod api;
mod support;

mod malformed;
mod openapi;
mod postman;
mod power;
mod webhook;
