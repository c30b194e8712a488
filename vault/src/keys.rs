//! The vault keys an unlocked vault holds: one per key epoch. Records are
//! sealed under the newest; older ones open what was written before a
//! password change or key rotation.

use std::collections::BTreeMap;

use crate::crypto::Cipher;
use crate::error::{Result, VaultError};
use crate::header::Header;
use crate::secret::Key32;

/// Every epoch's key and cipher, newest current. Wiped on drop.
#[derive(Debug)]
pub(crate) struct VaultKeys {
    current: u32,
    keys: BTreeMap<u32, (Key32, Cipher)>,
}

impl VaultKeys {
    /// The keys of `header`, whose current key (`current`) was just
    /// unwrapped (which authenticated the header).
    pub(crate) fn open(header: &Header, current: Key32) -> Result<VaultKeys> {
        let old = header
            .open_old_keys(&current)
            .map_err(|_| VaultError::corrupt("vault.idp", "an earlier vault key does not open"))?;
        let mut keys = BTreeMap::new();
        for (epoch, key) in old {
            let cipher = Cipher::new(&key);
            keys.insert(epoch, (key, cipher));
        }
        let cipher = Cipher::new(&current);
        keys.insert(header.epoch, (current, cipher));
        Ok(VaultKeys {
            current: header.epoch,
            keys,
        })
    }

    pub(crate) fn epoch(&self) -> u32 {
        self.current
    }

    pub(crate) fn cipher(&self, epoch: u32) -> Option<&Cipher> {
        self.keys.get(&epoch).map(|(_, c)| c)
    }

    pub(crate) fn current_cipher(&self) -> &Cipher {
        // `open` always inserts the current epoch.
        &self.keys[&self.current].1
    }

    pub(crate) fn current_key(&self) -> &Key32 {
        &self.keys[&self.current].0
    }

    /// Every epoch's key, for the next header to carry.
    pub(crate) fn all(&self) -> Vec<(u32, &Key32)> {
        self.keys.iter().map(|(e, (k, _))| (*e, k)).collect()
    }
}
