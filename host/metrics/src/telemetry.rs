//! Logging and traces. [`init_subscriber`] installs the process's one
//! `tracing` subscriber: the log lines on stderr, and an OpenTelemetry
//! layer that stays off (one atomic load per span) until [`start_otlp`]
//! is given an endpoint, which it may be after the configuration is read.
//! Spans then go to an OTLP/HTTP collector (protobuf, `POST
//! <endpoint>/v1/traces`) in batches, from a thread of their own.
//!
//! Exported: the spans of connector calls (`connector.call`, with attempt,
//! fuel, memory, outcome), polls (`trigger.poll`), deliveries
//! (`trigger.deliver`), workflow runs and actions, and guest `log` records
//! as events of their call's span. Nothing else of the host is exported.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use opentelemetry::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HttpClient, HttpError};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchSpanProcessor, SdkTracerProvider, Span, SpanData, SpanProcessor,
};
use tracing::Metadata;
use tracing_subscriber::filter::{EnvFilter, FilterFn};
use tracing_subscriber::prelude::*;

/// The environment variable that configures the endpoint when the
/// configuration does not (the OpenTelemetry standard one).
pub const ENDPOINT_ENV: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

static ENABLED: AtomicBool = AtomicBool::new(false);
static EXPORT: OnceLock<Export> = OnceLock::new();
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

struct Export {
    processor: BatchSpanProcessor,
    endpoint: String,
}

/// Installs the subscriber: log lines filtered by `filter` on stderr, and
/// the (off) OpenTelemetry layer. A second call does nothing.
pub fn init_subscriber(filter: EnvFilter) {
    let provider = PROVIDER.get_or_init(|| {
        SdkTracerProvider::builder()
            .with_span_processor(LateProcessor)
            .with_resource(resource())
            .build()
    });
    // No source locations, thread names or busy/idle times on each span:
    // they cost a few microseconds a call (figure 11) and say nothing the
    // span's name and attributes do not.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("connector-host"))
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_filter(FilterFn::new(exported));
    // Colours only on a terminal: a log file or a pipe gets plain text.
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(true)
        .without_time()
        .with_filter(filter);
    let _ = tracing_subscriber::registry()
        .with(otel)
        .with(fmt)
        .try_init();
}

fn resource() -> Resource {
    Resource::builder()
        .with_service_name("connector-host")
        .build()
}

/// What goes to the collector: the host's own spans and guest records.
fn exported(meta: &Metadata<'_>) -> bool {
    if !ENABLED.load(Ordering::Relaxed) {
        return false;
    }
    let target = meta.target();
    target == "guest"
        || (meta.level() <= &tracing::Level::INFO
            && (target.starts_with("connector_runtime::observe")
                || target.starts_with("connector_triggers")
                || target.starts_with("connector_metrics")))
}

/// The endpoint from the configuration's `[telemetry] otlp_endpoint`, or
/// else from `OTEL_EXPORTER_OTLP_ENDPOINT`; `None`: no traces.
pub fn endpoint(configured: Option<&str>) -> Option<String> {
    configured
        .map(str::to_string)
        .or_else(|| std::env::var(ENDPOINT_ENV).ok())
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
}

/// `http://host:4318` or `.../v1/traces` -> the traces URL.
fn traces_url(endpoint: &str) -> String {
    let base = endpoint.trim_end_matches('/');
    if base.ends_with("/v1/traces") {
        base.to_string()
    } else {
        format!("{base}/v1/traces")
    }
}

/// Starts exporting spans to the OTLP/HTTP collector at `endpoint`
/// (`http://127.0.0.1:4318`; `/v1/traces` is added). Needs
/// [`init_subscriber`] first. Returns the URL spans are sent to. A second
/// call keeps the first endpoint.
pub fn start_otlp(endpoint: &str) -> anyhow::Result<String> {
    let url = traces_url(endpoint);
    let parsed: http::Uri = url
        .parse()
        .with_context(|| format!("[telemetry] otlp_endpoint {endpoint:?} is not a URL"))?;
    anyhow::ensure!(
        matches!(parsed.scheme_str(), Some("http")) && parsed.host().is_some(),
        "[telemetry] otlp_endpoint {endpoint:?}: only http://host:port is supported (OTLP/HTTP, protobuf)"
    );
    if let Some(e) = EXPORT.get() {
        return Ok(e.endpoint.clone());
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(TokioClient::new()?)
        .with_endpoint(url.clone())
        .with_timeout(Duration::from_secs(10))
        .build()
        .context("building the OTLP exporter")?;
    let mut processor = BatchSpanProcessor::builder(exporter).build();
    processor.set_resource(&resource());
    let _ = EXPORT.set(Export {
        processor,
        endpoint: url.clone(),
    });
    ENABLED.store(true, Ordering::Relaxed);
    // Callsites met before were told "never" by the layer's filter; ask again.
    tracing::callsite::rebuild_interest_cache();
    Ok(url)
}

/// Turns the export of spans off and on again after [`start_otlp`] (the
/// benchmark compares the two); before it, `on` does nothing.
pub fn set_exporting(on: bool) {
    if EXPORT.get().is_some() && ENABLED.swap(on, Ordering::Relaxed) != on {
        tracing::callsite::rebuild_interest_cache();
    }
}

/// Sends the spans not yet sent, waiting for the collector's answer (at
/// the end of a command, so that a short `run --once` loses none).
pub fn flush() {
    if let Some(e) = EXPORT.get() {
        let _ = e.processor.force_flush();
    }
}

/// Forwards to the batch processor once there is one; drops spans before.
#[derive(Debug)]
struct LateProcessor;

impl SpanProcessor for LateProcessor {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        if let Some(e) = EXPORT.get() {
            e.processor.on_start(span, cx);
        }
    }

    fn on_end(&self, span: SpanData) {
        if let Some(e) = EXPORT.get() {
            e.processor.on_end(span);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        EXPORT.get().map_or(Ok(()), |e| e.processor.force_flush())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        EXPORT
            .get()
            .map_or(Ok(()), |e| e.processor.shutdown_with_timeout(timeout))
    }
}

/// hyper's client on a small tokio runtime of its own: the batch
/// processor exports from a plain thread, where hyper would find no
/// reactor.
#[derive(Debug, Clone)]
struct TokioClient {
    runtime: Arc<tokio::runtime::Runtime>,
    inner: opentelemetry_http::hyper::HyperClient,
}

impl TokioClient {
    fn new() -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otlp-export")
            .enable_all()
            .build()
            .context("starting the OTLP exporter's thread")?;
        let inner = {
            let _in = runtime.enter();
            opentelemetry_http::hyper::HyperClient::with_default_connector(
                Duration::from_secs(10),
                None,
            )
        };
        Ok(Self {
            runtime: Arc::new(runtime),
            inner,
        })
    }
}

impl HttpClient for TokioClient {
    fn send_bytes<'a, 'b>(
        &'a self,
        request: http::Request<bytes::Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<http::Response<bytes::Bytes>, HttpError>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        let inner = self.inner.clone();
        let task = self
            .runtime
            .spawn(async move { inner.send_bytes(request).await });
        Box::pin(async move {
            match task.await {
                Ok(result) => result,
                Err(e) => Err(Box::new(e) as HttpError),
            }
        })
    }
}
