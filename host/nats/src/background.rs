//! A small tokio runtime of the NATS sink's own, on which its client lives.
//!
//! The trigger host opens sinks from blocking code (`Prepared::prepare`), outside any async
//! runtime, while the client's connection must run on a runtime for as long as the sink
//! lives. So the sink brings one worker thread of its own: every call into the client is
//! spawned there and awaited (or waited for) from wherever the host calls, and the
//! connection does not depend on which runtime, if any, the caller runs on.

use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use tokio::runtime::{Builder, Handle, Runtime};

/// The runtime; shut down in the background when dropped, so that dropping it inside an
/// async context (where a plain drop would panic) is fine.
pub(crate) struct Background {
    runtime: Option<Runtime>,
    handle: Handle,
}

impl Background {
    /// One worker thread named `name`.
    pub(crate) fn start(name: &str) -> std::io::Result<Self> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(name)
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(Self {
            runtime: Some(runtime),
            handle,
        })
    }

    /// Runs `future` there and awaits it from any runtime.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, String> {
        self.handle
            .spawn(future)
            .await
            .map_err(|e| format!("the NATS client's task failed: {e}"))
    }

    /// Runs `future` there and waits for it, up to `limit`, from blocking code (or any
    /// thread: it blocks the caller, never a runtime's scheduler of its own).
    pub(crate) fn wait<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
        limit: Duration,
    ) -> Result<T, String> {
        let (send, receive) = mpsc::channel();
        self.handle.spawn(async move {
            let _ = send.send(future.await);
        });
        receive
            .recv_timeout(limit)
            .map_err(|_| format!("no answer within {limit:?}"))
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
