//! Events: what the host delivers to a sink. A poll (or a pushed event)
//! yields items; the trigger's item mode turns them into events, one per
//! item (`split`) or one for all of them (`single`).

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::clock::rfc3339;
use connector_runtime::connector::Item;
use connector_runtime::description::ItemMode;
use connector_runtime::json::Json;

/// How an event came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventSource {
    /// A polling trigger's poll.
    Poll,
    /// A push trigger's event source (a webhook request).
    Push,
}

/// One event, as a sink receives it (serialized as one JSON object).
///
/// `id` is stable: the same item found again gives the same id, so a
/// consumer that keeps ids sees every event once even when the host
/// delivers it again after a crash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `<trigger>/<item id>` (split), or `<trigger>/batch-<hash of the item ids>` (single).
    pub id: String,
    /// The trigger's name in the configuration.
    pub trigger: String,
    /// The connector's name in the configuration.
    pub connector: String,
    /// The trigger operation's id.
    pub operation: String,
    /// Whether a poll or a pushed event produced it.
    pub source: EventSource,
    /// The item's id (split mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// The items' ids, in order (single mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_ids: Vec<String>,
    /// The item's body (split), or `{"items": [{"id", "body"}, ...]}` (single),
    /// as the connector wrote it.
    pub body: Json,
    /// When the poll that found it started (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polled_at: Option<String>,
    /// When the pushed event was received (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<String>,
}

impl Event {
    /// How many items the event carries.
    pub fn item_count(&self) -> usize {
        if self.item_id.is_some() {
            1
        } else {
            self.item_ids.len()
        }
    }
}

/// Where a batch of items came from.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    pub trigger: &'a str,
    pub connector: &'a str,
    pub operation: &'a str,
    pub source: EventSource,
    /// When the poll started or the pushed event arrived.
    pub at: SystemTime,
}

/// Turns the items of one poll (or one pushed event) into events.
/// An empty batch gives no events in either mode.
pub fn events_from_items(origin: &Origin<'_>, mode: ItemMode, items: Vec<Item>) -> Vec<Event> {
    if items.is_empty() {
        return Vec::new();
    }
    let at = rfc3339(origin.at);
    let (polled_at, received_at) = match origin.source {
        EventSource::Poll => (Some(at), None),
        EventSource::Push => (None, Some(at)),
    };
    let event = |id: String, item_id, item_ids, body| Event {
        id,
        trigger: origin.trigger.to_string(),
        connector: origin.connector.to_string(),
        operation: origin.operation.to_string(),
        source: origin.source,
        item_id,
        item_ids,
        body,
        polled_at: polled_at.clone(),
        received_at: received_at.clone(),
    };
    match mode {
        ItemMode::Split => items
            .into_iter()
            .map(|item| {
                event(
                    format!("{}/{}", origin.trigger, item.id),
                    Some(item.id),
                    Vec::new(),
                    item.body,
                )
            })
            .collect(),
        ItemMode::Single => {
            let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
            #[derive(Serialize)]
            struct Batch<'a> {
                items: &'a [Item],
            }
            // Items serialise as `{"id", "body"}`, the bodies written as they are.
            let body = Json::serialize(&Batch { items: &items })
                .expect("ids are strings and bodies are JSON: a batch always serialises");
            vec![event(
                format!("{}/batch-{}", origin.trigger, batch_hash(&ids)),
                None,
                ids,
                body,
            )]
        }
    }
}

/// A short, stable name for a list of item ids: the same batch found again
/// has the same event id.
fn batch_hash(ids: &[String]) -> String {
    let mut hasher = Sha256::new();
    for id in ids {
        // Length-prefixed, so that ["a", "bc"] and ["ab", "c"] differ.
        hasher.update((id.len() as u64).to_be_bytes());
        hasher.update(id.as_bytes());
    }
    hex::encode(&hasher.finalize()[..12])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn items(ids: &[&str]) -> Vec<Item> {
        ids.iter()
            .map(|id| Item {
                id: id.to_string(),
                body: Json::from_value(&json!({ "id": id })),
            })
            .collect()
    }

    fn origin(source: EventSource) -> Origin<'static> {
        Origin {
            trigger: "t",
            connector: "c",
            operation: "op",
            source,
            at: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn split_gives_one_event_per_item() {
        let events = events_from_items(
            &origin(EventSource::Poll),
            ItemMode::Split,
            items(&["a", "b"]),
        );
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].id, "t/a");
        assert_eq!(events[1].item_id.as_deref(), Some("b"));
        assert_eq!(events[1].body, json!({"id": "b"}));
        assert_eq!(
            events[0].polled_at.as_deref(),
            Some("1970-01-01T00:00:00.000Z")
        );
        assert_eq!(events[0].item_count(), 1);
    }

    #[test]
    fn single_gives_one_event_with_a_stable_id() {
        let a = events_from_items(
            &origin(EventSource::Push),
            ItemMode::Single,
            items(&["a", "bc"]),
        );
        let again = events_from_items(
            &origin(EventSource::Push),
            ItemMode::Single,
            items(&["a", "bc"]),
        );
        let other = events_from_items(
            &origin(EventSource::Push),
            ItemMode::Single,
            items(&["ab", "c"]),
        );
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].id, again[0].id);
        assert_ne!(a[0].id, other[0].id);
        assert!(a[0].id.starts_with("t/batch-"));
        assert_eq!(a[0].item_ids, ["a", "bc"]);
        assert_eq!(a[0].item_count(), 2);
        assert_eq!(a[0].body.to_value().unwrap()["items"][1]["id"], "bc");
        assert!(a[0].received_at.is_some() && a[0].polled_at.is_none());
    }

    #[test]
    fn no_items_no_events() {
        for mode in [ItemMode::Split, ItemMode::Single] {
            assert!(events_from_items(&origin(EventSource::Poll), mode, Vec::new()).is_empty());
        }
    }

    #[test]
    fn events_round_trip_through_json() {
        let events = events_from_items(&origin(EventSource::Poll), ItemMode::Split, items(&["x"]));
        let line = serde_json::to_string(&events[0]).unwrap();
        let back: Event = serde_json::from_str(&line).unwrap();
        assert_eq!(back, events[0]);
    }
}
