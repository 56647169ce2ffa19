//! Keeping host calls inside a call's deadline.
//!
//! Epoch interruption stops a guest only while it runs wasm code; a guest
//! blocked in a host call (a sleep, a wait on a pollable) is not running
//! wasm. The only way a WASI 0.2 guest can wait on time is a monotonic-clock
//! pollable, so both ways of making one are cut to the call's deadline here:
//! the guest wakes when its time is up, returns to wasm, and the epoch check
//! stops it there as `time limit`. Outbound HTTP waits are cut to the same
//! deadline in [`capabilities::http`](crate::capabilities::http); sockets
//! are never granted; stdin is empty.

use std::time::{Duration, Instant};

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::clocks::WasiClocksView;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock::Host as MonotonicClock;

use crate::state::HostState;

/// The monotonic clock interface whose functions are replaced. wasmtime
/// matches any 0.2.x import to the newest 0.2 version it links.
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// How long past the deadline a cut wait may end, so the epoch check (not a
/// race with it) is what stops the guest.
const SLACK: Duration = Duration::from_millis(20);

/// Replaces `subscribe-duration` and `subscribe-instant` with versions cut
/// to the call's deadline. Call after the WASI interfaces are linked.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap(
        "subscribe-duration",
        |mut store: StoreContextMut<'_, HostState>, (nanos,): (u64,)| {
            let nanos = nanos.min(remaining_nanos(store.data().deadline));
            let pollable =
                MonotonicClock::subscribe_duration(&mut store.data_mut().clocks(), nanos)?;
            Ok((pollable,))
        },
    )?;
    clock.func_wrap(
        "subscribe-instant",
        |mut store: StoreContextMut<'_, HostState>,
         (when,): (u64,)|
         -> wasmtime::Result<(Resource<DynPollable>,)> {
            let now = MonotonicClock::now(&mut store.data_mut().clocks())?;
            let latest = now.saturating_add(remaining_nanos(store.data().deadline));
            let pollable = MonotonicClock::subscribe_instant(
                &mut store.data_mut().clocks(),
                when.min(latest),
            )?;
            Ok((pollable,))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

fn remaining_nanos(deadline: Instant) -> u64 {
    let left = deadline.saturating_duration_since(Instant::now()) + SLACK;
    u64::try_from(left.as_nanos()).unwrap_or(u64::MAX)
}
