//! A fixed order for a run's records, so that a run gives the same record whatever order its
//! parallel branches and iterations ended in, and a resumed run the same as an uninterrupted
//! one: by place (loop iterations in index order), inner actions before their container,
//! siblings in the order a sequential run would end them (runAfter order).

use std::collections::HashMap;

use super::record::ActionRecord;
use crate::definition::Action;

/// Each action's rank in a post-order walk of the definition (children first, siblings in
/// runAfter order).
pub(crate) fn ranks(group: &[Action]) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    walk(group, &mut out);
    out
}

fn walk(group: &[Action], out: &mut HashMap<String, u64>) {
    let mut placed: Vec<&str> = Vec::new();
    let mut pending: Vec<&Action> = group.iter().collect();
    while !pending.is_empty() {
        let i = pending
            .iter()
            .position(|a| {
                a.run_after
                    .iter()
                    .all(|ra| placed.contains(&ra.action.as_str()))
            })
            // A cycle (only in an unvalidated definition): place the rest as written.
            .unwrap_or(0);
        let a = pending.remove(i);
        for c in a.children() {
            walk(c, out);
        }
        let n = out.len() as u64;
        out.insert(a.name.clone(), n);
        placed.push(&a.name);
    }
}

/// The sort key of a record: per enclosing loop (rank, iteration), then (rank, MAX), so that a
/// container's own record sorts after the records of its iterations.
pub(crate) fn key(ranks: &HashMap<String, u64>, r: &ActionRecord) -> Vec<u64> {
    let rank = |name: &str| ranks.get(name).copied().unwrap_or(u64::MAX - 1);
    let mut k = Vec::with_capacity(2 * r.path.len() + 2);
    for p in &r.path {
        let (name, index) = p
            .strip_suffix(']')
            .and_then(|p| p.rsplit_once('['))
            .and_then(|(n, i)| i.parse::<u64>().ok().map(|i| (n, i)))
            .unwrap_or((p.as_str(), 0));
        k.push(rank(name));
        k.push(index);
    }
    k.push(rank(&r.name));
    k.push(u64::MAX);
    k
}
