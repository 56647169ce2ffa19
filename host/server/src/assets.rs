//! The page and its assets, compiled into the binary: plain JavaScript
//! modules and CSS, no build step, nothing fetched from elsewhere, so the
//! page works offline. No asset holds data; the page asks the API for it.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Every asset: name under `/assets/`, content type, bytes.
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.js", JS, include_bytes!("../assets/app.js")),
    ("api.js", JS, include_bytes!("../assets/api.js")),
    ("catalog.js", JS, include_bytes!("../assets/catalog.js")),
    ("operation.js", JS, include_bytes!("../assets/operation.js")),
    ("form.js", JS, include_bytes!("../assets/form.js")),
    (
        "connections.js",
        JS,
        include_bytes!("../assets/connections.js"),
    ),
    ("dom.js", JS, include_bytes!("../assets/dom.js")),
    ("designer.js", JS, include_bytes!("../assets/designer.js")),
    ("steps.js", JS, include_bytes!("../assets/steps.js")),
    ("monitor.js", JS, include_bytes!("../assets/monitor.js")),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/style.css"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../assets/icon.svg"),
    ),
];

const JS: &str = "text/javascript; charset=utf-8";

/// The page itself (no inline script: the CSP forbids it).
pub const INDEX: &str = include_str!("../assets/index.html");

/// Routes of the page and its assets (no token needed: they hold no data).
pub fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/assets/{file}", get(asset))
}

async fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INDEX,
    )
        .into_response()
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, bytes)) => (
            [
                (header::CONTENT_TYPE, *kind),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
