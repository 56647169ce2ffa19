//! Cutting every blocking `wasi:io` wait at the call's deadline.
//!
//! Epoch interruption stops a guest only while it runs wasm; a guest blocked
//! inside a host call is not running wasm. Clock subscriptions are cut in
//! [`deadline`](crate::deadline), but a guest can also wait on a socket that
//! never answers (`--allow-tcp`), an HTTP request body it never finishes, a
//! response body a server stalls on: every such wait goes through one of the
//! blocking functions of `wasi:io/poll` (`poll`, `pollable.block`) or
//! `wasi:io/streams` (`blocking-read`, `blocking-write-and-flush`, ...).
//! They are replaced here by the same functions run under a timeout that
//! ends at the deadline. A wait still pending then ends the call with
//! [`HostLimit`] of kind `time`, which the trap classifier reports as the
//! time limit: the guest's store is dropped, and with it every socket,
//! request and body it held.
//!
//! The waits run on a tokio runtime of this crate's own, not on the
//! caller's: a caller that shuts its runtime down (`run` on SIGTERM) while
//! a guest waits in a host call would otherwise make the guest's timers
//! panic ("a Tokio context was found, but it is being shutdown").

use std::sync::OnceLock;
use std::time::Instant;

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::WasiView;
use wasmtime_wasi::p2::bindings::io::poll::{Host as Poll, HostPollable};
use wasmtime_wasi::p2::bindings::io::streams::{
    Host as Streams, HostInputStream, HostOutputStream, StreamError,
};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, DynPollable, StreamResult};
use wasmtime_wasi::runtime::in_tokio;

use crate::limits::{HostLimit, LimitKind};
use crate::state::HostState;

/// The `wasi:io` interfaces whose blocking functions are replaced. wasmtime
/// matches any 0.2.x import to the newest 0.2 version it links.
const POLL: &str = "wasi:io/poll@0.2.12";
const STREAMS: &str = "wasi:io/streams@0.2.12";

/// Runs `wait` until it finishes or the deadline passes; past it, the call
/// ends as the time limit.
fn until_deadline<T>(
    deadline: Instant,
    what: &str,
    wait: impl Future<Output = T>,
) -> wasmtime::Result<T> {
    let at = tokio::time::Instant::from_std(deadline);
    let bounded = async move { tokio::time::timeout_at(at, wait).await };
    let result = match wait_runtime() {
        Some(runtime) => runtime.block_on(bounded),
        None => in_tokio(bounded),
    };
    result.map_err(|_| {
        wasmtime::Error::new(HostLimit {
            kind: LimitKind::Time,
            detail: format!("was still waiting in {what} at its deadline"),
        })
    })
}

/// The runtime guest waits are driven on: one worker for the timers and
/// sockets it owns, and the waiting thread itself for the wait. `None` if
/// the system refused to make one; then the ambient runtime serves.
fn wait_runtime() -> Option<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("connector-waits")
                .enable_all()
                .build()
                .map_err(|e| tracing::warn!("cannot start the runtime for guest waits: {e}"))
                .ok()
        })
        .as_ref()
}

/// A stream operation's result as the guest sees it: a stream error becomes
/// the WIT `stream-error` (or a trap, if it is one).
fn lower<T>(
    store: &mut StoreContextMut<'_, HostState>,
    result: StreamResult<T>,
) -> wasmtime::Result<(Result<T, StreamError>,)> {
    match result {
        Ok(v) => Ok((Ok(v),)),
        Err(e) => Ok((Err(Streams::convert_stream_error(
            store.data_mut().ctx().table,
            e,
        )?),)),
    }
}

/// Replaces the blocking functions of `wasi:io/poll` and `wasi:io/streams`
/// with deadline-bounded ones. Call after the WASI interfaces are linked.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut poll = linker.instance(POLL)?;
    poll.func_wrap(
        "poll",
        |mut store: StoreContextMut<'_, HostState>,
         (list,): (Vec<Resource<DynPollable>>,)|
         -> wasmtime::Result<(Vec<u32>,)> {
            let deadline = store.data().deadline;
            let table = store.data_mut().ctx().table;
            let ready = until_deadline(deadline, "poll", Poll::poll(table, list))??;
            Ok((ready,))
        },
    )?;
    poll.func_wrap(
        "[method]pollable.block",
        |mut store: StoreContextMut<'_, HostState>,
         (pollable,): (Resource<DynPollable>,)|
         -> wasmtime::Result<()> {
            let deadline = store.data().deadline;
            let table = store.data_mut().ctx().table;
            until_deadline(
                deadline,
                "pollable.block",
                HostPollable::block(table, pollable),
            )?
        },
    )?;
    let mut streams = linker.instance(STREAMS)?;
    // Each blocking stream method, its wait cut at the call's deadline.
    macro_rules! bounded {
        ($name:literal, $method:path, ($($arg:ident: $ty:ty),*)) => {
            streams.func_wrap(
                concat!("[method]", $name),
                |mut store: StoreContextMut<'_, HostState>, ($($arg,)*): ($($ty,)*)| {
                    let deadline = store.data().deadline;
                    let table = store.data_mut().ctx().table;
                    let r = until_deadline(deadline, $name, $method(table, $($arg),*))?;
                    lower(&mut store, r)
                },
            )?;
        };
    }
    bounded!(
        "input-stream.blocking-read",
        HostInputStream::blocking_read,
        (stream: Resource<DynInputStream>, len: u64)
    );
    bounded!(
        "input-stream.blocking-skip",
        HostInputStream::blocking_skip,
        (stream: Resource<DynInputStream>, len: u64)
    );
    bounded!(
        "output-stream.blocking-write-and-flush",
        HostOutputStream::blocking_write_and_flush,
        (stream: Resource<DynOutputStream>, bytes: Vec<u8>)
    );
    bounded!(
        "output-stream.blocking-write-zeroes-and-flush",
        HostOutputStream::blocking_write_zeroes_and_flush,
        (stream: Resource<DynOutputStream>, len: u64)
    );
    bounded!(
        "output-stream.blocking-flush",
        HostOutputStream::blocking_flush,
        (stream: Resource<DynOutputStream>)
    );
    bounded!(
        "output-stream.blocking-splice",
        HostOutputStream::blocking_splice,
        (dest: Resource<DynOutputStream>, src: Resource<DynInputStream>, len: u64)
    );
    linker.allow_shadowing(false);
    Ok(())
}
