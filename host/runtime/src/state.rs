//! The per-call store data: WASI context, limits, and the guest's log.
//!
//! A fresh [`HostState`] (and so a fresh store) is made for every call, so
//! nothing one call leaves behind is seen by the next, unless the connector
//! opted into live instances ([`crate::connector::Reuse`]): then the store
//! is kept and [`HostState::rearm`] resets what belongs to one call.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::{self, Level};
use crate::capabilities::Redactor;
use crate::capabilities::http::{Denial, OutboundHooks, OutboundPolicy};
use crate::limits::Limiter;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Longest log message kept from a guest; the rest is cut off.
pub const MAX_LOG_MESSAGE: usize = 4096;
/// Most fields kept on one guest log record.
pub const MAX_LOG_FIELDS: usize = 32;
/// Longest field value kept; field names are cut to 128 bytes.
pub const MAX_LOG_FIELD_VALUE: usize = 1024;
/// Most bytes (message and fields, after escaping) kept of one record.
pub const MAX_LOG_RECORD_BYTES: usize = 8 << 10;
/// Most bytes of log records one call may write; later records are counted
/// and dropped, as past [`MAX_LOG_RECORDS`].
pub const MAX_LOG_BYTES: usize = 1 << 20;
/// Most log records one call may write; later ones are counted and dropped.
pub const MAX_LOG_RECORDS: usize = 1000;
/// Bytes of the guest's stdout and stderr kept (for panic messages).
pub const MAX_CAPTURED_OUTPUT: usize = 64 << 10;
/// Most entries (streams, pollables, requests, header fields, sockets) the
/// guest may hold in the host's resource table at once.
pub const MAX_HOST_RESOURCES: usize = 1000;
/// Most bytes one `wasi:http` fields resource (a set of headers) may hold,
/// in its in-memory form; with [`MAX_HOST_RESOURCES`] it bounds the memory
/// a guest can make the host hold in headers (64 MiB).
pub const MAX_HTTP_FIELDS_BYTES: usize = 64 << 10;

/// One log record from a guest, after truncation and redaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub level: Level,
    pub message: String,
    pub fields: Vec<(String, String)>,
}

/// Receives the log records of a guest. The CLI prints them; tests collect them.
pub trait LogSink: Send + Sync {
    /// Called once per kept record, with the connector's name and the operation.
    fn record(&self, connector: &str, operation: &str, record: &LogRecord);
}

/// The default sink: `tracing` events with target `guest`.
#[derive(Debug, Default)]
pub struct TracingSink;

impl LogSink for TracingSink {
    fn record(&self, connector: &str, operation: &str, r: &LogRecord) {
        let fields = r
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect::<Vec<_>>()
            .join(" ");
        macro_rules! emit {
            ($lvl:ident) => {
                tracing::$lvl!(target: "guest", connector, operation, fields = %fields, "{}", r.message)
            };
        }
        match r.level {
            Level::Trace => emit!(trace),
            Level::Debug => emit!(debug),
            Level::Info => emit!(info),
            Level::Warn => emit!(warn),
            Level::Error => emit!(error),
        }
    }
}

/// The data of one call's store.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    http: WasiHttpCtx,
    http_hooks: OutboundHooks,
    /// Enforces memory and table limits, and remembers what it refused.
    pub limiter: Limiter,
    /// When the call must be over; host calls that wait are cut to it.
    pub(crate) deadline: Instant,
    pub(crate) outbound: Arc<OutboundPolicy>,
    pub(crate) connector: Arc<str>,
    pub(crate) operation: String,
    pub(crate) redactor: Arc<Redactor>,
    pub(crate) log_sink: Arc<dyn LogSink>,
    /// Records written, kept or not.
    pub(crate) log_count: usize,
    /// Bytes of records kept so far.
    log_bytes: usize,
    /// Records dropped past the count or the bytes.
    log_dropped: usize,
    pub(crate) stderr: MemoryOutputPipe,
    pub(crate) stdout: MemoryOutputPipe,
    /// Where this call's output starts in the pipes (non-zero in a live
    /// instance, whose pipes hold earlier calls' output too).
    stdout_mark: usize,
    stderr_mark: usize,
}

/// What belongs to one call in a live instance's store.
pub(crate) struct Rearm<'a> {
    pub limiter: Limiter,
    pub deadline: Instant,
    pub outbound: Arc<OutboundPolicy>,
    pub operation: &'a str,
    /// Shared with the store when it is the same as the last call's (the
    /// usual case: one instance serves one connection), else copied.
    pub redactor: &'a Redactor,
}

/// What a call's store is made from.
pub(crate) struct CallSetup {
    pub wasi: WasiCtx,
    pub limiter: Limiter,
    pub deadline: Instant,
    pub outbound: Arc<OutboundPolicy>,
    pub connector: Arc<str>,
    pub operation: String,
    pub redactor: Arc<Redactor>,
    pub log_sink: Arc<dyn LogSink>,
    pub stdout: MemoryOutputPipe,
    pub stderr: MemoryOutputPipe,
}

impl HostState {
    pub(crate) fn new(setup: CallSetup) -> Self {
        Self {
            wasi: setup.wasi,
            table: bounded_table(),
            http: bounded_http(),
            http_hooks: OutboundHooks::new(setup.outbound.clone()),
            limiter: setup.limiter,
            deadline: setup.deadline,
            outbound: setup.outbound,
            connector: setup.connector,
            operation: setup.operation,
            redactor: setup.redactor,
            log_sink: setup.log_sink,
            log_count: 0,
            log_bytes: 0,
            log_dropped: 0,
            stderr: setup.stderr,
            stdout: setup.stdout,
            stdout_mark: 0,
            stderr_mark: 0,
        }
    }

    /// Readies a live instance's state for its next call.
    pub(crate) fn rearm(&mut self, call: Rearm<'_>) {
        self.http_hooks = OutboundHooks::new(call.outbound.clone());
        self.limiter = call.limiter;
        self.deadline = call.deadline;
        self.outbound = call.outbound;
        // Re-armed in place: no allocation when the operation's name fits
        // and the redactor is the one the store already holds.
        if self.operation != call.operation {
            self.operation.clear();
            self.operation.push_str(call.operation);
        }
        if *self.redactor != *call.redactor {
            self.redactor = Arc::new(call.redactor.clone());
        }
        self.log_count = 0;
        self.log_bytes = 0;
        self.log_dropped = 0;
    }

    /// At the end of a call whose instance may live on: the bytes the
    /// guest has written to stdout and stderr over the store's life, and
    /// from here on the next call's output starts after them. (Each read
    /// of a pipe copies its buffer, so this is done once per call, not in
    /// the check and again in the re-arm.)
    pub(crate) fn mark_captured_output(&mut self) -> usize {
        self.stdout_mark = self.stdout.contents().len();
        self.stderr_mark = self.stderr.contents().len();
        self.stdout_mark + self.stderr_mark
    }

    /// What the guest wrote to stderr during this call, redacted, lossily decoded.
    pub fn stderr_text(&self) -> String {
        let all = self.stderr.contents();
        let call = all.get(self.stderr_mark..).unwrap_or_default();
        self.redactor.redact(&String::from_utf8_lossy(call))
    }

    /// What the guest wrote to stdout during this call, redacted, lossily decoded.
    pub fn stdout_text(&self) -> String {
        let all = self.stdout.contents();
        let call = all.get(self.stdout_mark..).unwrap_or_default();
        self.redactor.redact(&String::from_utf8_lossy(call))
    }

    /// Log records dropped past [`MAX_LOG_RECORDS`] or [`MAX_LOG_BYTES`].
    pub fn dropped_log_records(&self) -> usize {
        self.log_dropped
    }

    /// Outbound requests refused during the call.
    pub fn outbound_denials(&self) -> Vec<Denial> {
        self.outbound.denials()
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.http_hooks,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl bindings::connector::provider::log::Host for HostState {
    fn log(&mut self, level: Level, message: String, fields: Vec<(String, String)>) {
        self.record_log(level, message, fields);
    }
}

impl HostState {
    /// Keeps one guest log record (truncated, redacted, counted), whatever
    /// contract version's `log` import it came through.
    pub(crate) fn record_log(
        &mut self,
        level: Level,
        message: String,
        fields: Vec<(String, String)>,
    ) {
        self.log_count += 1;
        if self.log_count > MAX_LOG_RECORDS || self.log_bytes >= MAX_LOG_BYTES {
            self.log_dropped += 1;
            return;
        }
        // Redact the whole text before cutting it, so a cut cannot leave
        // a prefix of a secret that no longer matches; escape control
        // characters so a guest's text cannot start a line that looks like
        // the host's own or move a terminal's cursor.
        let clean = |text: &str, max: usize| {
            let redacted = self.redactor.redact(text);
            let escaped = crate::text::escape_controls(&redacted);
            truncate(&escaped, max).to_string()
        };
        let message = clean(&message, MAX_LOG_MESSAGE);
        let mut size = message.len();
        let mut kept = Vec::new();
        for (k, v) in fields.iter().take(MAX_LOG_FIELDS) {
            let field = (clean(k, 128), clean(v, MAX_LOG_FIELD_VALUE));
            size += field.0.len() + field.1.len();
            if size > MAX_LOG_RECORD_BYTES {
                break;
            }
            kept.push(field);
        }
        self.log_bytes += size.min(MAX_LOG_RECORD_BYTES);
        let record = LogRecord {
            level,
            message,
            fields: kept,
        };
        self.log_sink
            .record(&self.connector, &self.operation, &record);
    }
}

/// A resource table that holds at most [`MAX_HOST_RESOURCES`] entries.
fn bounded_table() -> ResourceTable {
    let mut table = ResourceTable::new();
    table.set_max_capacity(MAX_HOST_RESOURCES);
    table
}

/// A `wasi:http` context whose header sets hold at most [`MAX_HTTP_FIELDS_BYTES`].
fn bounded_http() -> WasiHttpCtx {
    let mut http = WasiHttpCtx::new();
    http.set_field_size_limit(MAX_HTTP_FIELDS_BYTES);
    http
}

impl bindings::connector::provider::types::Host for HostState {}

/// The longest prefix of `text` of at most `max` bytes that ends on a char boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
