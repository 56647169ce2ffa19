//! The Prometheus text exposition: `GET /metrics`, as a route for the
//! server's router and as a listener of its own for `run`.

use std::net::SocketAddr;

use anyhow::Context as _;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::global;

/// The content type of the text format (OpenMetrics 1.0.0).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every family, in the OpenMetrics text format.
pub fn render() -> String {
    let mut text = String::new();
    // Writing into a String cannot fail; an encoding error would be a bug
    // of a label type, and an empty answer says so to the scraper.
    if prometheus_client::encoding::text::encode(&mut text, &global().registry).is_err() {
        text.clear();
    }
    text
}

/// The handler of `GET /metrics`.
pub async fn handler() -> Response {
    let text = render();
    if text.is_empty() {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot encode the metrics\n",
        )
            .into_response();
    }
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

/// A router with only `GET /metrics`.
pub fn router() -> Router {
    Router::new().route("/metrics", get(handler))
}

/// A `/metrics` listener of its own on `addr` (for `run`, which has no
/// server): binds now, so a taken port is an error at start, and serves
/// in the background on the current tokio runtime. Returns the bound address.
pub async fn serve(addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("[metrics] listen: cannot listen on {addr}"))?;
    let bound = listener.local_addr().context("[metrics] listen")?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router()).await {
            tracing::error!("the /metrics listener stopped: {e}");
        }
    });
    Ok(bound)
}
