//! The merge rule: for each item, the record with the greatest
//! `(clock, device id)` wins. Values of every other version of the item
//! (its secret fields and their history) are folded into the winner's
//! history, so a concurrent edit that lost is never lost: it shows up as a
//! previous value on every device.
//!
//! The result is a pure function of the set of records: whatever order the
//! logs are read in, each device shows the same winner with the same
//! history. History entries that stand for the same value are kept once,
//! with the earliest time, and the history is ordered by
//! `(time, field, value)`.

use std::collections::BTreeMap;

use crate::ids::{DeviceId, ItemId};
use crate::item::{HistoryEntry, Item, SecretField};

#[derive(Debug)]
pub(crate) struct Entry {
    pub clock: u64,
    pub device: DeviceId,
    /// `None` for a removed item (tombstone).
    pub item: Option<Item>,
    /// Values of losing versions while a tombstone wins, kept in case a
    /// version written concurrently with the removal wins later.
    buried: Vec<HistoryEntry>,
}

fn field_rank(f: SecretField) -> usize {
    SecretField::ALL
        .iter()
        .position(|&g| g == f)
        .unwrap_or(usize::MAX)
}

/// Adds `value` to `list` unless it is there; equal values keep the
/// earliest time.
fn keep(list: &mut Vec<HistoryEntry>, field: SecretField, value: &crate::SecretString, t: i64) {
    match list
        .iter_mut()
        .find(|h| h.field == field && h.value == *value)
    {
        Some(h) => h.replaced_ms = h.replaced_ms.min(t),
        None => list.push(HistoryEntry {
            field,
            value: value.clone(),
            replaced_ms: t,
        }),
    }
}

/// Every value a version holds: its current secrets and its history.
fn bury(list: &mut Vec<HistoryEntry>, item: &Item) {
    for field in SecretField::ALL {
        if let Some(v) = item.secret(field).filter(|v| !v.is_empty()) {
            keep(list, field, v, item.modified_ms);
        }
    }
    for h in &item.history {
        keep(list, h.field, &h.value, h.replaced_ms);
    }
}

/// Folds `values` into the winner's history, leaving out its current values.
fn absorb(winner: &mut Item, values: Vec<HistoryEntry>) {
    if values.is_empty() {
        return;
    }
    for h in values {
        if winner.secret(h.field) != Some(&h.value) {
            keep(&mut winner.history, h.field, &h.value, h.replaced_ms);
        }
    }
    winner.history.sort_by(|a, b| {
        (a.replaced_ms, field_rank(a.field))
            .cmp(&(b.replaced_ms, field_rank(b.field)))
            .then_with(|| a.value.expose().cmp(b.value.expose()))
    });
}

/// Applies one record to the merged state.
pub(crate) fn merge(
    entries: &mut BTreeMap<ItemId, Entry>,
    device: DeviceId,
    clock: u64,
    id: ItemId,
    item: Option<Item>,
) {
    let Some(e) = entries.get_mut(&id) else {
        entries.insert(
            id,
            Entry {
                clock,
                device,
                item,
                buried: Vec::new(),
            },
        );
        return;
    };
    let loser = if (clock, device) > (e.clock, e.device) {
        e.clock = clock;
        e.device = device;
        std::mem::replace(&mut e.item, item)
    } else {
        item
    };
    if let Some(l) = &loser {
        bury(&mut e.buried, l);
    }
    if let Some(w) = &mut e.item {
        absorb(w, std::mem::take(&mut e.buried));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::ItemKind;

    fn version(id: ItemId, pw: &str, t: i64, history: &[(&str, i64)]) -> Item {
        let mut i = Item::with_id(id, ItemKind::Login, "x");
        i.password = Some(pw.into());
        i.modified_ms = t;
        i.history = history
            .iter()
            .map(|(v, t)| HistoryEntry {
                field: SecretField::Password,
                value: (*v).into(),
                replaced_ms: *t,
            })
            .collect();
        i
    }

    fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let first = rest.remove(i);
            for mut p in permutations(&rest) {
                p.insert(0, first.clone());
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn every_order_gives_the_same_winner_and_history() {
        let id = ItemId::from_bytes([9; 16]);
        let (a, b) = (DeviceId::from_bytes([1; 16]), DeviceId::from_bytes([2; 16]));
        // a: p0 -> p1 -> p2; b, concurrently from p0: q1; then a removes it
        // concurrently with b's edit q2, which wins.
        let records = vec![
            (a, 1, Some(version(id, "p0", 10, &[]))),
            (a, 2, Some(version(id, "p1", 20, &[("p0", 20)]))),
            (a, 3, Some(version(id, "p2", 30, &[("p0", 20), ("p1", 30)]))),
            (b, 2, Some(version(id, "q1", 25, &[("p0", 25)]))),
            (a, 4, None),
            (b, 5, Some(version(id, "q2", 50, &[("p0", 25), ("q1", 50)]))),
        ];
        let mut views = Vec::new();
        for order in permutations(&records) {
            let mut entries = BTreeMap::new();
            for (dev, clock, item) in order {
                merge(&mut entries, dev, clock, id, item);
            }
            let w = entries[&id].item.clone().expect("q2 wins over the removal");
            let hist: Vec<(String, i64)> = w
                .history
                .iter()
                .map(|h| (h.value.expose().to_string(), h.replaced_ms))
                .collect();
            views.push((w.password.expect("pw").expose().to_string(), hist));
        }
        assert_eq!(views.len(), 720);
        assert!(
            views.iter().all(|v| *v == views[0]),
            "order changed the result"
        );
        let (pw, hist) = &views[0];
        assert_eq!(pw, "q2");
        let values: Vec<&str> = hist.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(
            values,
            ["p0", "p1", "q1", "p2"],
            "no edit is lost, ordered by time"
        );
    }

    #[test]
    fn a_removal_that_wins_removes() {
        let id = ItemId::from_bytes([3; 16]);
        let a = DeviceId::from_bytes([1; 16]);
        let mut entries = BTreeMap::new();
        merge(&mut entries, a, 1, id, Some(version(id, "p", 1, &[])));
        merge(&mut entries, a, 2, id, None);
        assert!(entries[&id].item.is_none());
    }
}
