//! Live items by name, so that finding one by name does not walk the whole
//! vault. Names are kept only as 64-bit hashes: the index holds no copy of
//! any name, and a hash that collides only adds a candidate that the caller
//! compares by name.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::ids::ItemId;

/// The hash a name is indexed under.
pub(crate) fn key(name: &str) -> u64 {
    let mut h = DefaultHasher::new();
    name.hash(&mut h);
    h.finish()
}

#[derive(Debug, Default)]
pub(crate) struct NameIndex(HashMap<u64, Vec<ItemId>>);

impl NameIndex {
    /// Moves `id` from the name hashed `old` to the one hashed `new`
    /// (`None`: no live item).
    pub fn update(&mut self, id: ItemId, old: Option<u64>, new: Option<u64>) {
        if old == new {
            return;
        }
        if let Some(k) = old
            && let Some(ids) = self.0.get_mut(&k)
        {
            ids.retain(|i| *i != id);
            if ids.is_empty() {
                self.0.remove(&k);
            }
        }
        if let Some(k) = new {
            self.0.entry(k).or_default().push(id);
        }
    }

    /// Ids whose name may be `name`.
    pub fn candidates(&self, name: &str) -> &[ItemId] {
        self.0.get(&key(name)).map_or(&[], Vec::as_slice)
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ItemId {
        ItemId::from_bytes([n; 16])
    }

    #[test]
    fn renames_and_removals_move_ids() {
        let mut ix = NameIndex::default();
        ix.update(id(1), None, Some(key("mail")));
        ix.update(id(2), None, Some(key("mail")));
        assert_eq!(ix.candidates("mail"), &[id(1), id(2)]);
        ix.update(id(1), Some(key("mail")), Some(key("bank")));
        assert_eq!(ix.candidates("mail"), &[id(2)]);
        assert_eq!(ix.candidates("bank"), &[id(1)]);
        ix.update(id(2), Some(key("mail")), None);
        assert!(ix.candidates("mail").is_empty());
        assert!(!ix.0.contains_key(&key("mail")), "empty lists are removed");
        ix.update(id(1), Some(key("bank")), Some(key("bank")));
        assert_eq!(ix.candidates("bank"), &[id(1)]);
    }
}
