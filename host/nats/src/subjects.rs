//! Whether one NATS subject pattern covers another (`events.>` covers `events.a.b` and
//! `events.*.x`), to tell at start whether an existing stream holds the sink's subjects.

/// Whether every subject that `inner` matches is matched by `outer`. Both are dot-separated
/// tokens where `*` matches one token and a final `>` one or more.
pub(crate) fn covers(outer: &str, inner: &str) -> bool {
    let outer: Vec<&str> = outer.split('.').collect();
    let inner: Vec<&str> = inner.split('.').collect();
    for (i, o) in outer.iter().enumerate() {
        match (*o, inner.get(i)) {
            (">", Some(_)) => return true,
            (_, None) => return false,
            // `>` in inner matches more than any one token of outer can.
            (_, Some(&">")) => return false,
            ("*", Some(_)) => {}
            (o, Some(&t)) if o == t => {}
            _ => return false,
        }
    }
    outer.len() == inner.len()
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn wildcards_cover_what_they_match() {
        assert!(covers("events.>", "events.>"));
        assert!(covers("events.>", "events.a.b"));
        assert!(covers(">", "events.>"));
        assert!(covers("events.*", "events.a"));
        assert!(covers("events.*", "events.*"));
        assert!(covers("a.b", "a.b"));
        assert!(!covers("events.*", "events.>"));
        assert!(!covers("events.*", "events.a.b"));
        assert!(!covers("events.a", "events.*"));
        assert!(!covers("other.>", "events.>"));
        assert!(!covers("events.>", "events"));
        assert!(!covers("a.b", "a.b.c"));
    }
}
