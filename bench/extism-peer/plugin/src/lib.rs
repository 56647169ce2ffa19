//! The Extism plugin of figure 7 of `BENCHMARKS.md`: `echo` returns its
//! input, as the bench connector's `echo` does (`tests/guests/bench`).
//! Built for `wasm32-unknown-unknown` by `make bench-peer`.

use extism_pdk::{FnResult, plugin_fn};

/// Returns the input bytes unchanged.
#[plugin_fn]
pub fn echo(input: Vec<u8>) -> FnResult<Vec<u8>> {
    Ok(input)
}
