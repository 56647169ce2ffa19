//! Where events go: a JSON Lines file (the embedded default), standard
//! output, or an HTTP webhook.
//!
//! A sink *accepts* an event when [`EventSink::deliver`] returns `Ok`; from
//! then on the event must survive a crash of the host. The host records the
//! event as delivered only after that, and commits a trigger's state only
//! after every event of its poll was accepted.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::clock::BoxFuture;
use super::event::Event;

mod webhook;

pub use webhook::{WebhookSink, WebhookSinkSettings};

/// A sink refused or failed to take an event.
#[derive(Debug, thiserror::Error)]
#[error("{sink}: {message}")]
pub struct SinkError {
    /// Which sink, e.g. `JSON Lines file events.jsonl`.
    pub sink: String,
    /// What went wrong.
    pub message: String,
}

/// A sink took only the first `accepted` events of a batch.
#[derive(Debug)]
pub struct PartlyDelivered {
    /// How many of the batch's first events the sink has durably.
    pub accepted: usize,
    /// Why it did not take the next one.
    pub error: SinkError,
}

/// An event that a sink holds, found when it was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldEvent {
    pub trigger: String,
    pub event_id: String,
    pub items: u64,
}

/// Where events are delivered.
pub trait EventSink: Send + Sync + 'static {
    /// The sink, for people: `JSON Lines file events.jsonl`.
    fn describe(&self) -> String;

    /// Delivers one event; `Ok` means the sink has it durably.
    fn deliver<'a>(&'a self, event: &'a Event) -> BoxFuture<'a, Result<(), SinkError>>;

    /// Delivers `events` in order; `Ok` means the sink has all of them
    /// durably. A sink that can make a batch durable at once (one `fsync`)
    /// does so; the default delivers one event after another and stops at
    /// the first failure.
    fn deliver_all<'a>(
        &'a self,
        events: &'a [&'a Event],
    ) -> BoxFuture<'a, Result<(), PartlyDelivered>> {
        Box::pin(async move {
            for (accepted, event) in events.iter().enumerate() {
                self.deliver(event)
                    .await
                    .map_err(|error| PartlyDelivered { accepted, error })?;
            }
            Ok(())
        })
    }

    /// Events the sink already holds that the host may not have recorded as
    /// delivered (the host may have crashed between the two). The host
    /// records them at start, so that it does not deliver them again.
    /// Sinks that cannot tell return nothing.
    fn recently_held(&self) -> Result<Vec<HeldEvent>, SinkError> {
        Ok(Vec::new())
    }

    /// The remainder of an interrupted write that opening the sink cut off.
    fn torn_line(&self) -> Option<TornLine> {
        None
    }

    /// Whether the sink is known to hold events already (a JSON Lines file
    /// that is not empty). Sinks that cannot tell say no.
    fn holds_events(&self) -> Result<bool, SinkError> {
        Ok(false)
    }
}

/// How much of the end of a JSON Lines file is read at start for events
/// the host may not have recorded. In-flight events are at most one per
/// trigger plus the pushed ones, so the tail is plenty; an event further
/// back is at worst delivered a second time.
const RECOVERY_TAIL_BYTES: u64 = 4 << 20;

/// Appends each event as one line of JSON to a file, flushed and fsynced
/// before `deliver` returns.
///
/// Concurrent deliveries share `fsync`s: each appends its lines, then waits
/// for a sync that covers them; the one sync in progress at a time covers
/// everything appended before it started, so a thousand triggers need far
/// fewer syncs than events.
pub struct JsonLinesSink {
    path: PathBuf,
    /// The remainder of an interrupted write cut off at open, if any.
    torn: Option<TornLine>,
    shared: Arc<JsonLinesFile>,
}

/// The last line of a JSON Lines file that a crash interrupted, cut off at
/// open so that the next event starts on a line of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornLine {
    /// How many bytes were cut.
    pub bytes: u64,
    /// The event's id, when the fragment is long enough to hold it.
    pub event_id: Option<String>,
}

/// The id at the start of a serialized event (`{"id":"..."`), if whole.
fn id_of_fragment(fragment: &[u8]) -> Option<String> {
    let rest = fragment.strip_prefix(br#"{"id":""#)?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    (rest[end] == b'"')
        .then(|| String::from_utf8(rest[..end].to_vec()).ok())
        .flatten()
}

struct JsonLinesFile {
    /// The file and where its end is: appends are serialized.
    append: Mutex<Appender>,
    /// A second handle for `fsync`, and how far the file is known durable.
    sync: Mutex<(File, u64)>,
}

struct Appender {
    file: File,
    end: u64,
}

impl JsonLinesFile {
    /// Appends `lines` (whole lines) and returns once they are durable.
    fn append_durably(&self, lines: &[u8]) -> std::io::Result<()> {
        let end = {
            let mut a = self.append.lock().unwrap_or_else(|p| p.into_inner());
            let before = a.end;
            if let Err(e) = a.file.write_all(lines) {
                // Take back a partial line (a full disk), so that the
                // next event does not continue it.
                let _ = a.file.set_len(before);
                return Err(e);
            }
            a.end = before + lines.len() as u64;
            a.end
        };
        let mut sync = self.sync.lock().unwrap_or_else(|p| p.into_inner());
        if sync.1 >= end {
            // A sync that started after our append finished covered it.
            return Ok(());
        }
        // Everything appended so far, ours included, is covered by this sync.
        let upto = self.append.lock().unwrap_or_else(|p| p.into_inner()).end;
        sync.0.sync_data()?;
        sync.1 = upto;
        Ok(())
    }
}

impl JsonLinesSink {
    /// Opens (creating it and its folder if needed) the file at `path` for
    /// appending. A last line without its newline is the remainder of a
    /// write that a crash interrupted: it is cut off, so that the next event
    /// starts on a line of its own, and [`EventSink::torn_line`] says what
    /// was cut (the host tells whether it is delivered again).
    pub fn open(path: &Path) -> Result<Self, SinkError> {
        let error = |message: String| SinkError {
            sink: format!("JSON Lines file {}", path.display()),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::create_private_dir(dir)
                .map_err(|e| error(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut file = crate::files::private_options()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| error(format!("cannot open: {e}")))?;
        let torn = cut_partial_line(&mut file).map_err(|e| error(format!("cannot repair: {e}")))?;
        // What is in the file now is what the host may trust on restart:
        // make it durable before the host records any of it as delivered.
        file.sync_all()
            .map_err(|e| error(format!("cannot sync: {e}")))?;
        let end = file
            .metadata()
            .map_err(|e| error(format!("cannot read its length: {e}")))?
            .len();
        let sync = file
            .try_clone()
            .map_err(|e| error(format!("cannot open a second handle: {e}")))?;
        Ok(Self {
            path: path.to_path_buf(),
            torn,
            shared: Arc::new(JsonLinesFile {
                append: Mutex::new(Appender { file, end }),
                sync: Mutex::new((sync, end)),
            }),
        })
    }
}

/// Truncates `file` after its last newline; says what it cut.
fn cut_partial_line(file: &mut File) -> std::io::Result<Option<TornLine>> {
    let keep = last_line_end(file)?;
    let len = file.metadata()?.len();
    if keep == len {
        return Ok(None);
    }
    // The id comes first in a serialized event; 4 KiB holds any id.
    let mut head = vec![0u8; (len - keep).min(4096) as usize];
    file.seek(SeekFrom::Start(keep))?;
    file.read_exact(&mut head)?;
    file.set_len(keep)?;
    Ok(Some(TornLine {
        bytes: len - keep,
        event_id: id_of_fragment(&head),
    }))
}

/// Where the file's last whole line ends (0 when it has no newline).
fn last_line_end(file: &mut File) -> std::io::Result<u64> {
    let len = file.metadata()?.len();
    let mut end = len;
    let mut buf = vec![0u8; 64 << 10];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    // No newline at all: the whole file is one interrupted write.
    Ok(0)
}

impl EventSink for JsonLinesSink {
    fn describe(&self) -> String {
        format!("JSON Lines file {}", self.path.display())
    }

    fn deliver<'a>(&'a self, event: &'a Event) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            self.deliver_all(std::slice::from_ref(&event))
                .await
                .map_err(|e| e.error)
        })
    }

    fn deliver_all<'a>(
        &'a self,
        events: &'a [&'a Event],
    ) -> BoxFuture<'a, Result<(), PartlyDelivered>> {
        Box::pin(async move {
            let error = |message: String| PartlyDelivered {
                accepted: 0,
                error: SinkError {
                    sink: self.describe(),
                    message,
                },
            };
            let mut lines = Vec::with_capacity(events.len() * 256);
            for event in events {
                serde_json::to_writer(&mut lines, event)
                    .map_err(|e| error(format!("cannot serialize event {}: {e}", event.id)))?;
                lines.push(b'\n');
            }
            let shared = self.shared.clone();
            tokio::task::spawn_blocking(move || shared.append_durably(&lines))
                .await
                .map_err(|e| error(format!("the writer failed: {e}")))?
                .map_err(|e| {
                    let ids = match events {
                        [one] => format!("event {}", one.id),
                        [first, ..] => format!("{} events from {}", events.len(), first.id),
                        [] => "nothing".to_string(),
                    };
                    error(format!("cannot append {ids}: {e}"))
                })
        })
    }

    fn torn_line(&self) -> Option<TornLine> {
        self.torn.clone()
    }

    fn holds_events(&self) -> Result<bool, SinkError> {
        let append = self.shared.append.lock().unwrap_or_else(|p| p.into_inner());
        Ok(append.end > 0)
    }

    fn recently_held(&self) -> Result<Vec<HeldEvent>, SinkError> {
        let error = |message: String| SinkError {
            sink: self.describe(),
            message,
        };
        let mut append = self.shared.append.lock().unwrap_or_else(|p| p.into_inner());
        let file = &mut append.file;
        let len = file.metadata().map_err(|e| error(e.to_string()))?.len();
        let start = len.saturating_sub(RECOVERY_TAIL_BYTES);
        let mut tail = Vec::with_capacity((len - start) as usize);
        file.seek(SeekFrom::Start(start))
            .and_then(|_| file.read_to_end(&mut tail))
            .map_err(|e| error(format!("cannot read: {e}")))?;
        let mut lines = tail.split(|&b| b == b'\n');
        if start > 0 {
            // The first line is probably cut by the window.
            lines.next();
        }
        Ok(lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| serde_json::from_slice::<Event>(l).ok())
            .map(|e| HeldEvent {
                items: e.item_count() as u64,
                trigger: e.trigger,
                event_id: e.id,
            })
            .collect())
    }
}

/// Writes each event as one line of JSON to standard output.
#[derive(Debug, Default)]
pub struct StdoutSink;

impl EventSink for StdoutSink {
    fn describe(&self) -> String {
        "standard output".into()
    }

    fn deliver<'a>(&'a self, event: &'a Event) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let error = |message: String| SinkError {
                sink: self.describe(),
                message,
            };
            let mut line = serde_json::to_vec(event).map_err(|e| error(e.to_string()))?;
            line.push(b'\n');
            tokio::task::spawn_blocking(move || {
                let mut out = std::io::stdout().lock();
                out.write_all(&line).and_then(|()| out.flush())
            })
            .await
            .map_err(|e| error(e.to_string()))?
            .map_err(|e| error(format!("cannot write: {e}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventSource;
    use serde_json::json;

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

    fn temp_file(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "connector-host-sink-{label}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("events.jsonl")
    }

    #[tokio::test]
    async fn json_lines_appends_and_reports_what_it_holds() {
        let path = temp_file("append");
        let sink = JsonLinesSink::open(&path).unwrap();
        sink.deliver(&event("a")).await.unwrap();
        sink.deliver(&event("b")).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        let held = JsonLinesSink::open(&path).unwrap().recently_held().unwrap();
        let ids: Vec<&str> = held.iter().map(|h| h.event_id.as_str()).collect();
        assert_eq!(ids, ["t/a", "t/b"]);
        assert_eq!(held[0].trigger, "t");
        assert_eq!(held[0].items, 1);
    }

    #[tokio::test]
    async fn an_interrupted_last_line_is_cut_off() {
        let path = temp_file("partial");
        {
            let sink = JsonLinesSink::open(&path).unwrap();
            sink.deliver(&event("a")).await.unwrap();
        }
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(br#"{"id":"t/b","trig"#).unwrap();
        drop(f);
        let sink = JsonLinesSink::open(&path).unwrap();
        assert_eq!(
            sink.torn_line(),
            Some(TornLine {
                bytes: 17,
                event_id: Some("t/b".into())
            })
        );
        sink.deliver(&event("c")).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let ids: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<Event>(l).unwrap().id)
            .collect();
        assert_eq!(ids, ["t/a", "t/c"]);
    }

    #[tokio::test]
    async fn a_file_that_is_one_partial_line_is_emptied() {
        let path = temp_file("only-partial");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"{\"id\":").unwrap();
        let sink = JsonLinesSink::open(&path).unwrap();
        assert!(sink.recently_held().unwrap().is_empty());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        // Too short to name its event.
        assert_eq!(sink.torn_line().unwrap().event_id, None);
        assert!(!sink.holds_events().unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_batches_are_all_kept_as_whole_lines() {
        let path = temp_file("concurrent");
        let sink = Arc::new(JsonLinesSink::open(&path).unwrap());
        let tasks: Vec<_> = (0..16)
            .map(|task| {
                let sink = sink.clone();
                tokio::spawn(async move {
                    for batch in 0..10 {
                        let events: Vec<Event> = (0..5)
                            .map(|i| event(&format!("{task}-{batch}-{i}")))
                            .collect();
                        let refs: Vec<&Event> = events.iter().collect();
                        sink.deliver_all(&refs).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut ids: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<Event>(l).unwrap().id)
            .collect();
        assert_eq!(ids.len(), 16 * 10 * 5);
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 16 * 10 * 5, "an event was written twice");
        // Within a batch the order is kept, and batches are not interleaved.
        let lines: Vec<&str> = text.lines().collect();
        for chunk in lines.chunks(5) {
            let first = serde_json::from_str::<Event>(chunk[0]).unwrap().id;
            let prefix = first
                .strip_suffix("-0")
                .expect("a batch starts with its event 0");
            for (i, l) in chunk.iter().enumerate() {
                let id = serde_json::from_str::<Event>(l).unwrap().id;
                assert_eq!(id, format!("{prefix}-{i}"));
            }
        }
    }
}
