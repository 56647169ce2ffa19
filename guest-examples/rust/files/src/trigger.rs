//! The polling trigger `file-added-or-changed`.
//!
//! The host keeps the trigger's state between polls and commits a new state
//! only once every item of a poll has been delivered. The state therefore
//! records what has been *delivered*: a fingerprint (modification time and
//! size) per file. Each poll lists the regular files directly inside the
//! folder (not its subfolders), yields those whose fingerprint is new or
//! different, oldest first, and returns the state updated with exactly the
//! files it yielded. Files left over because of `max_items` keep their old
//! fingerprint, so the next poll (asked for at once) yields them.
//!
//! State: `{"files": {"<path>": "<mtime_nanos>:<size>"}}`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use connector_sdk::{Context, Item, Poll, Result, log};

use crate::error::{invalid_input, io_error};
use crate::ops::{require_directory, skip_non_utf8_name};
use crate::paths::{RelPath, Root, modified_nanos, unix_seconds};

/// Bounds and default of `max_items`, as in the input schema.
pub const MAX_ITEMS_DEFAULT: u32 = 100;
pub const MAX_ITEMS_LIMIT: u32 = 1000;

/// Input of `file-added-or-changed`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PollInput {
    #[serde(default = "default_folder")]
    path: String,
    #[serde(default = "default_max_items")]
    max_items: u32,
}

fn default_folder() -> String {
    ".".into()
}

fn default_max_items() -> u32 {
    MAX_ITEMS_DEFAULT
}

/// What identifies one version of a file: its modification time in
/// nanoseconds and its size. Written as `<mtime_nanos>:<size>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fingerprint {
    pub modified_nanos: i128,
    pub size: u64,
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.modified_nanos, self.size)
    }
}

impl FromStr for Fingerprint {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let (nanos, size) = text.split_once(':').ok_or(())?;
        Ok(Fingerprint {
            modified_nanos: nanos.parse().map_err(|_| ())?,
            size: size.parse().map_err(|_| ())?,
        })
    }
}

/// The trigger's state: the fingerprint of every file delivered so far.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub files: BTreeMap<String, String>,
}

impl State {
    /// Checks a state the host kept (the helper crate has parsed its shape).
    /// A fingerprint that is not `mtime_nanos:size` is an `invalid-input`
    /// `bad-state` error, as the contract asks, so that the operator can
    /// reset it.
    pub fn checked(self) -> Result<Self> {
        if let Some((path, value)) = self
            .files
            .iter()
            .find(|(_, value)| value.parse::<Fingerprint>().is_err())
        {
            return Err(invalid_input(
                "bad-state",
                format!(
                    "the trigger state is not {{\"files\": {{path: \"mtime_nanos:size\"}}}}: \
                     the fingerprint of `{path}` is `{value}`"
                ),
            ));
        }
        Ok(self)
    }
}

/// A regular file found by a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub path: String,
    pub fingerprint: Fingerprint,
}

/// Whether a yielded file is new or a new version of a delivered one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Changed,
}

/// The body of one item, as in the output schema.
#[derive(Debug, Serialize)]
pub(crate) struct ItemBody {
    path: String,
    size: u64,
    modified: i64,
    change: Change,
}

/// What one poll decides, before anything is serialized.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    /// The files to yield, oldest first.
    pub items: Vec<(Seen, Change)>,
    /// The state to commit once the items are delivered.
    pub state: State,
    /// Whether changed files were left for the next poll.
    pub more: bool,
}

/// Decides what a poll yields: the pure heart of the trigger.
///
/// Files whose fingerprint differs from the state's are yielded in order of
/// (modification time, path), at most `max_items`. The new state drops the
/// files that are gone and records the yielded ones; the others keep their
/// old fingerprint so that they are yielded next time.
pub fn plan(old: &State, listing: Vec<Seen>, max_items: usize) -> Plan {
    let present: BTreeSet<&str> = listing.iter().map(|seen| seen.path.as_str()).collect();
    let mut state = State {
        files: old
            .files
            .iter()
            .filter(|(path, _)| present.contains(path.as_str()))
            .map(|(path, value)| (path.clone(), value.clone()))
            .collect(),
    };
    let mut changes: Vec<(Seen, Change)> = listing
        .into_iter()
        .filter_map(|seen| match old.files.get(&seen.path) {
            None => Some((seen, Change::Added)),
            Some(known) if *known != seen.fingerprint.to_string() => Some((seen, Change::Changed)),
            Some(_) => None,
        })
        .collect();
    changes.sort_by(|(a, _), (b, _)| {
        (a.fingerprint.modified_nanos, &a.path).cmp(&(b.fingerprint.modified_nanos, &b.path))
    });
    let more = changes.len() > max_items;
    changes.truncate(max_items);
    for (seen, _) in &changes {
        state
            .files
            .insert(seen.path.clone(), seen.fingerprint.to_string());
    }
    Plan {
        items: changes,
        state,
        more,
    }
}

/// Polls `file-added-or-changed` once.
pub(crate) fn poll(
    ctx: &Context,
    input: PollInput,
    state: Option<State>,
) -> Result<Poll<ItemBody, State>> {
    let root = &Root::from_connection(ctx.connection());
    if !(1..=MAX_ITEMS_LIMIT).contains(&input.max_items) {
        return Err(invalid_input(
            "bad-input",
            format!("max_items must be between 1 and {MAX_ITEMS_LIMIT}"),
        ));
    }
    let folder = RelPath::parse(&input.path)?;
    let old = state.map(State::checked).transpose()?.unwrap_or_default();
    require_directory(root, &folder)?;

    let listing = list_regular_files(root, &folder)?;
    let seen = listing.len();
    let plan = plan(&old, listing, input.max_items as usize);
    log::debug(
        "polled a folder",
        &[
            ("folder", &folder.to_string()),
            ("files", &seen.to_string()),
            ("yielded", &plan.items.len().to_string()),
            ("more", &plan.more.to_string()),
        ],
    );

    let items = plan
        .items
        .iter()
        .map(|(seen, change)| item(seen, *change))
        .collect();
    let poll = Poll::new(items).state(plan.state);
    // More changed files wait: poll again at once.
    Ok(if plan.more {
        poll.poll_again_now()
    } else {
        poll
    })
}

/// The regular files directly inside `folder`. Subfolders, symbolic links
/// and other special files are not watched.
fn list_regular_files(root: &Root, folder: &RelPath) -> Result<Vec<Seen>> {
    let mut files = Vec::new();
    let entries = fs::read_dir(root.join(folder)).map_err(|e| io_error(e, "list", folder))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(e, "list", folder))?;
        let is_file = entry
            .file_type()
            .map_err(|e| io_error(e, "list", folder))?
            .is_file();
        if !is_file {
            continue;
        }
        let Ok(name) = entry.file_name().into_string() else {
            skip_non_utf8_name(folder);
            continue;
        };
        let path = folder.child(&name);
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            // Deleted between listing and inspecting: it is simply gone.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_error(e, "inspect", &path)),
        };
        files.push(Seen {
            path: path.to_string(),
            fingerprint: Fingerprint {
                modified_nanos: modified_nanos(&meta),
                size: meta.len(),
            },
        });
    }
    Ok(files)
}

/// One trigger item. Its id names the version of the file, so the same
/// version found again (say, after a poll whose state was not committed)
/// has the same id and is delivered once to a consumer that keeps ids.
fn item(seen: &Seen, change: Change) -> Item<ItemBody> {
    let body = ItemBody {
        path: seen.path.clone(),
        size: seen.fingerprint.size,
        modified: unix_seconds(seen.fingerprint.modified_nanos),
        change,
    };
    Item::new(format!("{}@{}", seen.path, seen.fingerprint), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(path: &str, modified_nanos: i128, size: u64) -> Seen {
        Seen {
            path: path.into(),
            fingerprint: Fingerprint {
                modified_nanos,
                size,
            },
        }
    }

    fn state(files: &[(&str, &str)]) -> State {
        State {
            files: files
                .iter()
                .map(|(p, f)| (p.to_string(), f.to_string()))
                .collect(),
        }
    }

    #[test]
    fn fingerprints_round_trip() {
        let fp: Fingerprint = "-5:12".parse().unwrap();
        assert_eq!(fp.modified_nanos, -5);
        assert_eq!(fp.to_string(), "-5:12");
        assert!("12".parse::<Fingerprint>().is_err());
        assert!("a:1".parse::<Fingerprint>().is_err());
    }

    #[test]
    fn first_poll_yields_everything_oldest_first() {
        let plan = plan(
            &State::default(),
            vec![seen("b", 20, 1), seen("a", 20, 2), seen("c", 10, 3)],
            100,
        );
        let order: Vec<_> = plan.items.iter().map(|(s, _)| s.path.as_str()).collect();
        assert_eq!(order, ["c", "a", "b"]);
        assert!(plan.items.iter().all(|(_, c)| *c == Change::Added));
        assert_eq!(
            plan.state,
            state(&[("a", "20:2"), ("b", "20:1"), ("c", "10:3")])
        );
        assert!(!plan.more);
    }

    #[test]
    fn later_polls_yield_changes_and_drop_deleted_files() {
        let old = state(&[("a", "10:1"), ("b", "10:1"), ("gone", "5:5")]);
        let plan = plan(
            &old,
            vec![seen("a", 10, 1), seen("b", 30, 2), seen("new", 20, 1)],
            100,
        );
        let items: Vec<_> = plan
            .items
            .iter()
            .map(|(s, c)| (s.path.as_str(), *c))
            .collect();
        assert_eq!(items, [("new", Change::Added), ("b", Change::Changed)]);
        assert_eq!(
            plan.state,
            state(&[("a", "10:1"), ("b", "30:2"), ("new", "20:1")])
        );
    }

    #[test]
    fn max_items_leaves_the_rest_for_the_next_poll() {
        let listing = vec![seen("a", 1, 1), seen("b", 2, 1), seen("c", 3, 1)];
        let first = plan(&State::default(), listing.clone(), 2);
        assert_eq!(first.items.len(), 2);
        assert!(first.more);
        assert_eq!(first.state, state(&[("a", "1:1"), ("b", "2:1")]));
        let second = plan(&first.state, listing, 2);
        assert_eq!(second.items.len(), 1);
        assert_eq!(second.items[0].0.path, "c");
        assert!(!second.more);
    }

    #[test]
    fn bad_states_are_refused() {
        // Shapes that do not parse are refused by the helper crate; a
        // fingerprint of the wrong form by `checked`.
        for bad in ["[]", "{}", r#"{"files": []}"#] {
            assert!(serde_json::from_str::<State>(bad).is_err(), "{bad}");
        }
        let bad: State = serde_json::from_str(r#"{"files": {"a": "x"}}"#).unwrap();
        assert_eq!(bad.checked().unwrap_err().code, "bad-state");
        let good: State = serde_json::from_str(r#"{"files": {"a": "1:2"}}"#).unwrap();
        assert_eq!(good.checked().unwrap(), state(&[("a", "1:2")]));
    }
}
