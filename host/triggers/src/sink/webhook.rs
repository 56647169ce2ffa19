//! The `webhook` sink: POSTs each event as JSON to a URL with reqwest (one
//! client per sink, so connections are kept alive and reused), over TLS
//! (rustls with the Mozilla roots of `webpki-roots`) for `https://`, plain
//! for `http://` to a loopback address. It retries with backoff until the
//! receiver answers 2xx or `retry_for` has passed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{EventSink, SinkError};
use crate::backoff::{Backoff, BackoffPolicy, seed_for};
use crate::clock::BoxFuture;
use crate::event::Event;
use crate::http::HttpUrl;

/// Settings of the webhook sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSinkSettings {
    /// Where events are posted.
    pub url: HttpUrl,
    /// Time for one attempt (connect, send, answer).
    pub request_timeout: Duration,
    /// How long one event is retried before `deliver` gives up.
    pub retry_for: Duration,
    /// Delays between attempts.
    pub backoff: BackoffPolicy,
}

/// POSTs each event as JSON to a URL, retrying (with backoff) until the
/// receiver answers 2xx or `retry_for` has passed. The event id is sent as
/// `Idempotency-Key`, so that a receiver can drop redeliveries. Redirects
/// are not followed (a 3xx is a failed attempt) and no proxy is used.
pub struct WebhookSink {
    settings: WebhookSinkSettings,
    /// The client, or why it could not be built (said at each delivery).
    client: Result<reqwest::Client, String>,
}

/// TLS for `https://`: rustls with the ring provider (the host's one) and
/// the Mozilla roots; HTTP/1.1 only, as the rest of the host.
fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn client(settings: &WebhookSinkSettings) -> Result<reqwest::Client, String> {
    let tls = tls_config().map_err(|e| format!("cannot set up TLS: {e}"))?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .http1_only()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("connector-host/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(settings.request_timeout)
        .timeout(settings.request_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {}", chain(&e)))
}

/// An error and its causes, without the URL (the sink names it already).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

impl WebhookSink {
    /// A sink posting to `settings.url`.
    pub fn new(settings: WebhookSinkSettings) -> Self {
        let client = client(&settings);
        Self { settings, client }
    }

    /// One attempt: `Ok(status)` when the receiver answered.
    async fn post(
        &self,
        client: &reqwest::Client,
        event: &Event,
        body: &[u8],
    ) -> Result<u16, String> {
        // Event ids come from connectors; never let one end the header.
        let key: String = event.id.chars().filter(|c| !c.is_control()).collect();
        let sent = client
            .post(self.settings.url.to_string())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(body.to_vec())
            .send()
            .await;
        match sent {
            Ok(response) => Ok(response.status().as_u16()),
            Err(e) if e.is_timeout() => Err(format!(
                "no answer within {:?}",
                self.settings.request_timeout
            )),
            Err(e) => Err(chain(&e.without_url())),
        }
    }
}

impl EventSink for WebhookSink {
    fn describe(&self) -> String {
        format!("webhook {}", self.settings.url)
    }

    fn deliver<'a>(&'a self, event: &'a Event) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let s = &self.settings;
            let error = |message: String| SinkError {
                sink: self.describe(),
                message,
            };
            let client = self.client.as_ref().map_err(|e| error(e.clone()))?;
            let body = serde_json::to_vec(event).map_err(|e| error(e.to_string()))?;
            let deadline = Instant::now() + s.retry_for;
            let mut backoff = Backoff::new(s.backoff, seed_for(&event.id));
            let mut attempts = 0u32;
            loop {
                attempts += 1;
                let problem = match self.post(client, event, &body).await {
                    Ok(status) if (200..300).contains(&status) => return Ok(()),
                    Ok(status) => format!("answered {status}"),
                    Err(e) => format!("cannot post: {e}"),
                };
                let wait = backoff.next_delay(None);
                if Instant::now() + wait >= deadline {
                    return Err(error(format!(
                        "event {} not accepted after {attempts} attempts over {:?}; last: {problem}",
                        event.id, s.retry_for
                    )));
                }
                tracing::debug!(event = %event.id, attempts, "webhook sink {problem}; retrying in {wait:?}");
                tokio::time::sleep(wait).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventSource;
    use serde_json::json;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn event(id: &str) -> Event {
        Event {
            id: format!("t/{id}"),
            trigger: "t".into(),
            connector: "c".into(),
            operation: "op".into(),
            source: EventSource::Poll,
            item_id: Some(id.into()),
            item_ids: Vec::new(),
            body: json!({"id": id}).into(),
            polled_at: None,
            received_at: None,
        }
    }

    fn sink(url: &str, retry_for: Duration) -> WebhookSink {
        WebhookSink::new(WebhookSinkSettings {
            url: url.parse().unwrap(),
            request_timeout: Duration::from_millis(500),
            retry_for,
            backoff: BackoffPolicy {
                initial: Duration::from_millis(20),
                max: Duration::from_millis(50),
            },
        })
    }

    /// What a receiver saw: connections accepted, `Idempotency-Key`s.
    #[derive(Default)]
    struct Seen {
        connections: AtomicUsize,
        keys: Mutex<Vec<String>>,
    }

    /// A hyper receiver on 127.0.0.1 that answers 503 to the first `refuse`
    /// requests and 200 to the rest.
    async fn receiver(refuse: usize) -> (u16, Arc<Seen>) {
        use hyper::service::service_fn;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Seen::default());
        let requests = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                s.connections.fetch_add(1, Ordering::SeqCst);
                let (s, requests) = (s.clone(), requests.clone());
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let key = request
                        .headers()
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    s.keys.lock().unwrap().push(key);
                    let n = requests.fetch_add(1, Ordering::SeqCst);
                    let status = if n < refuse { 503 } else { 200 };
                    async move {
                        hyper::Response::builder()
                            .status(status)
                            .body(String::new())
                    }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service),
                );
            }
        });
        (port, seen)
    }

    #[tokio::test]
    async fn events_reuse_one_connection_and_carry_their_id() {
        let (port, seen) = receiver(0).await;
        let sink = sink(
            &format!("http://127.0.0.1:{port}/events"),
            Duration::from_secs(5),
        );
        for id in ["a", "b", "c"] {
            sink.deliver(&event(id)).await.unwrap();
        }
        assert_eq!(*seen.keys.lock().unwrap(), ["t/a", "t/b", "t/c"]);
        assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn refusals_are_retried_until_accepted() {
        let (port, seen) = receiver(2).await;
        let sink = sink(
            &format!("http://127.0.0.1:{port}/events"),
            Duration::from_secs(5),
        );
        sink.deliver(&event("a")).await.unwrap();
        assert_eq!(*seen.keys.lock().unwrap(), ["t/a", "t/a", "t/a"]);
    }

    #[tokio::test]
    async fn webhook_sink_gives_up_at_its_deadline() {
        // A port nothing listens on: bind, note the port, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let sink = sink(
            &format!("http://127.0.0.1:{port}/events"),
            Duration::from_millis(300),
        );
        let started = Instant::now();
        let err = sink.deliver(&event("a")).await.unwrap_err();
        assert!(err.message.contains("not accepted after"), "{err}");
        assert!(err.message.contains("cannot post"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn https_speaks_tls() {
        // A plain-HTTP receiver would answer 200 to a plain request; over
        // https:// the sink starts a TLS handshake, which it cannot finish.
        let (port, seen) = receiver(0).await;
        let sink = sink(
            &format!("https://127.0.0.1:{port}/events"),
            Duration::from_millis(200),
        );
        let err = sink.deliver(&event("a")).await.unwrap_err();
        assert!(err.message.contains("cannot post"), "{err}");
        assert!(seen.keys.lock().unwrap().is_empty(), "{err}");
        assert!(err.sink.starts_with("webhook https://"), "{err}");
    }
}
