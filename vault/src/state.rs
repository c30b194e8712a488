//! An unlocked vault: the deterministic merge of every device's log.
//!
//! Each item's state is the record with the highest `(clock, device id)`
//! among all logs, so every device that has read the same logs holds the
//! same items whatever order it read them in. Writes go to this device's
//! log only, with a Lamport clock one above the highest seen.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::client_key::ClientKey;
use crate::crypto::Cipher;
use crate::device::Device;
use crate::error::{Result, VaultError};
use crate::ids::{DeviceId, ItemId};
use crate::item::{Item, Needle, codec};
use crate::kdf::KdfParams;
use crate::log::{self, Op, OwnLog, RawRecord};
use crate::names::{self, NameIndex};
use crate::secret::{Key32, SecretString};
use crate::vault::{LockedVault, VaultInfo, now_ms, read_header};

#[path = "folder.rs"]
mod folder;
#[path = "maintenance.rs"]
mod maintenance;
#[path = "merge.rs"]
mod merge;
#[path = "reading.rs"]
mod reading;
pub use folder::{DeviceLog, FolderReport};
pub use maintenance::{CompactReport, VerifyReport};
use merge::Entry;
use reading::Cursor;
pub(crate) use reading::classify;

/// Something worth telling the person that did not stop the vault opening.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A device's log has fewer records than this device saw before: it was
    /// replaced by an older copy (a backup restore, or a sync tool's fault).
    Rollback {
        device: DeviceId,
        seen: u64,
        found: u64,
    },
    /// Another device's log ends in a partly written record (a sync in
    /// progress, or a crash there); the whole records before it were read.
    TornTail { path: PathBuf },
    /// A file in `logs/` that is not a device log; it was not read.
    IgnoredFile { path: PathBuf },
    /// A sync tool's conflicted copy of a device log; it was read and merged
    /// (nothing in it is lost) and may be deleted once every device has
    /// synced.
    ConflictCopy { path: PathBuf },
    /// Another device made a new client key: this device's key no longer
    /// opens the vault after it is locked; the new emergency kit is needed.
    KeyRotatedElsewhere,
    /// Another device changed the password: the next unlock needs the new one.
    PasswordChangedElsewhere,
    /// A log that names another vault id: left over from before a reset
    /// (written by a device that had not seen the reset yet). It was not
    /// read; nothing in it can be opened any more.
    OldVaultLog { path: PathBuf },
}

/// A vault open with both secrets. Dropping it (or [`UnlockedVault::lock`])
/// wipes every key and secret it holds.
#[derive(Debug)]
pub struct UnlockedVault {
    locked: LockedVault,
    device: Device,
    vault_key: Key32,
    cipher: Cipher,
    client_key: ClientKey,
    entries: BTreeMap<ItemId, Entry>,
    /// Live items by name; changed only through [`Self::merge`].
    by_name: NameIndex,
    /// By log file path.
    cursors: HashMap<PathBuf, Cursor>,
    heads: BTreeMap<DeviceId, u64>,
    /// `heads` as last saved in the device's state folder.
    saved_heads: BTreeMap<DeviceId, u64>,
    own: OwnLog,
    own_seq: u64,
    clock: u64,
    warnings: Vec<Warning>,
}

impl UnlockedVault {
    pub(crate) fn open(
        locked: LockedVault,
        vault_key: Key32,
        client_key: ClientKey,
        device: Device,
    ) -> Result<UnlockedVault> {
        let own = OwnLog::open_locked(&locked.dir, &device.id())?;
        let cipher = Cipher::new(&vault_key);
        let heads = device.load_heads(&locked.header.vault_id);
        let mut v = UnlockedVault {
            locked,
            device,
            vault_key,
            cipher,
            client_key,
            entries: BTreeMap::new(),
            by_name: NameIndex::default(),
            cursors: HashMap::new(),
            saved_heads: heads.clone(),
            heads,
            own,
            own_seq: 0,
            clock: 0,
            warnings: Vec::new(),
        };
        v.warnings = v.read_logs()?;
        let own_id = v.device.id();
        let own_path = v.own.path().to_path_buf();
        let own_cursor = v.cursors.get(&own_path).copied();
        let valid = own_cursor.map_or(0, |c| c.offset);
        v.own.prepare(&v.locked.header.vault_id, &own_id, valid)?;
        // The own log's torn tail was repaired, not merely skipped.
        v.warnings
            .retain(|w| !matches!(w, Warning::TornTail { path } | Warning::OldVaultLog { path } if *path == own_path));
        v.own_seq = own_cursor.map_or(0, |c| c.last_seq);
        if own_cursor.is_none_or(|c| c.offset < log::FILE_HEADER_LEN) {
            let header = log::file_header(&v.locked.header.vault_id, &own_id);
            v.cursors
                .insert(own_path, Cursor::at(&header, header.len(), 0));
        }
        Ok(v)
    }

    /// Seals records for `changes`, appends them in one durable write, then
    /// applies them. Either all are on disk when it returns, or none.
    fn write(&mut self, changes: Vec<(ItemId, Option<Item>)>) -> Result<()> {
        let device = self.device.id();
        let vault_id = self.locked.header.vault_id;
        let mut frames = Vec::new();
        let (mut seq, mut clock) = (self.own_seq, self.clock);
        for (id, item) in &changes {
            let (op, plain) = match item {
                Some(i) => (Op::Upsert, codec::encode(i)),
                None => (Op::Tombstone, zeroize::Zeroizing::new(Vec::new())),
            };
            let rec = RawRecord::seal(
                &self.cipher,
                &vault_id,
                &device,
                seq + 1,
                seq,
                clock + 1,
                *id,
                op,
                &plain,
            )?;
            frames.extend_from_slice(&rec.frame());
            seq += 1;
            clock += 1;
        }
        if frames.is_empty() {
            return Ok(());
        }
        self.own.append(&frames)?;
        let first_clock = self.clock + 1;
        self.own_seq = seq;
        self.heads.insert(device, seq);
        if let Some(c) = self.cursors.get_mut(self.own.path()) {
            c.offset += frames.len();
            c.last_seq = seq;
            c.tail.copy_from_slice(&frames[frames.len() - 16..]);
        }
        for (n, (id, item)) in changes.into_iter().enumerate() {
            self.clock = self.clock.max(first_clock + n as u64);
            self.merge(device, first_clock + n as u64, id, item);
        }
        Ok(())
    }

    /// Merges one record into the items, keeping the name index right.
    pub(crate) fn merge(&mut self, device: DeviceId, clock: u64, id: ItemId, item: Option<Item>) {
        let old = self.get(&id).map(|i| names::key(&i.name));
        merge::merge(&mut self.entries, device, clock, id, item);
        let new = self.get(&id).map(|i| names::key(&i.name));
        self.by_name.update(id, old, new);
    }

    /// Live items, in id order.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.entries.values().filter_map(|e| e.item.as_ref())
    }

    pub fn len(&self) -> usize {
        self.items().count()
    }

    pub fn is_empty(&self) -> bool {
        self.items().next().is_none()
    }

    pub fn get(&self, id: &ItemId) -> Option<&Item> {
        self.entries.get(id).and_then(|e| e.item.as_ref())
    }

    /// Items whose name is exactly `name` (names need not be unique).
    pub fn find_by_name(&self, name: &str) -> Vec<&Item> {
        let mut found: Vec<&Item> = self
            .by_name
            .candidates(name)
            .iter()
            .filter_map(|id| self.get(id))
            .filter(|i| i.name == name)
            .collect();
        found.sort_by_key(|i| i.id);
        found
    }

    /// Items whose name, username, URL or tag contains `query`, ignoring case.
    pub fn search(&self, query: &str) -> Vec<&Item> {
        let needle = Needle::new(query);
        self.items().filter(|i| i.matches_needle(&needle)).collect()
    }

    /// Adds `item` (its times are set here) and returns once it is durable.
    pub fn add(&mut self, mut item: Item) -> Result<ItemId> {
        if item.id == ItemId::from_bytes([0; 16]) || self.entries.contains_key(&item.id) {
            item.id = ItemId::random()?;
        }
        let now = now_ms();
        item.created_ms = now;
        item.modified_ms = now;
        let id = item.id;
        self.write(vec![(id, Some(item))])?;
        Ok(id)
    }

    /// Adds many items in one durable write (an import): all or none.
    pub fn add_batch(&mut self, items: Vec<Item>) -> Result<Vec<ItemId>> {
        let now = now_ms();
        let mut changes = Vec::with_capacity(items.len());
        let mut taken = std::collections::HashSet::with_capacity(items.len());
        for mut item in items {
            while item.id == ItemId::from_bytes([0; 16])
                || self.entries.contains_key(&item.id)
                || taken.contains(&item.id)
            {
                item.id = ItemId::random()?;
            }
            taken.insert(item.id);
            item.created_ms = now;
            item.modified_ms = now;
            changes.push((item.id, Some(item)));
        }
        let ids = changes.iter().map(|(id, _)| *id).collect();
        self.write(changes)?;
        Ok(ids)
    }

    /// Changes an item through `f`; replaced secret values go to its history.
    /// Durable when it returns.
    pub fn edit(&mut self, id: &ItemId, f: impl FnOnce(&mut Item)) -> Result<()> {
        let old = self.get(id).ok_or(VaultError::ItemNotFound)?;
        let mut new = old.clone();
        f(&mut new);
        new.id = *id;
        new.created_ms = old.created_ms;
        new.modified_ms = now_ms().max(old.modified_ms);
        new.record_history(old, new.modified_ms);
        self.write(vec![(*id, Some(new))])
    }

    /// Removes an item (a tombstone other devices will see). Durable when it
    /// returns.
    pub fn remove(&mut self, id: &ItemId) -> Result<()> {
        if self.get(id).is_none() {
            return Err(VaultError::ItemNotFound);
        }
        self.write(vec![(*id, None)])
    }

    /// Re-reads the header and every log, merging what other devices wrote.
    pub fn refresh(&mut self) -> Result<Vec<Warning>> {
        let header = read_header(&self.locked.dir)?;
        if header.vault_id != self.locked.header.vault_id {
            return Err(VaultError::VaultReplaced {
                expected: self.locked.header.vault_id.to_hex(),
                found: header.vault_id.to_hex(),
            });
        }
        let mut warnings = Vec::new();
        let current = self.client_key.fingerprint(&header.vault_id);
        if header.key_fp != current && self.locked.header.key_fp == current {
            warnings.push(Warning::KeyRotatedElsewhere);
        } else if header.salt != self.locked.header.salt {
            warnings.push(Warning::PasswordChangedElsewhere);
        }
        self.locked.header = header;
        warnings.extend(self.read_logs()?);
        Ok(warnings)
    }

    /// Forgets what was read and reads the header and every log again from
    /// the start, as unlocking does (without the key derivation).
    pub fn reload(&mut self) -> Result<Vec<Warning>> {
        self.entries.clear();
        self.by_name.clear();
        self.cursors.clear();
        self.refresh()
    }

    /// Warnings found while unlocking.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    pub fn client_key(&self) -> &ClientKey {
        &self.client_key
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn info(&self) -> VaultInfo {
        self.locked.info()
    }

    /// The highest sequence number seen per device log.
    pub fn heads(&self) -> &BTreeMap<DeviceId, u64> {
        &self.heads
    }

    /// Whether `key` is this vault's current key, an older one, or another
    /// vault's, without the password.
    pub fn check_key(&self, key: &ClientKey) -> crate::KeyMatch {
        self.locked.check_key(key)
    }

    /// Checks `password` against the vault (a full key derivation).
    pub fn verify_password(&self, password: &SecretString) -> Result<()> {
        self.locked
            .unwrap_vault_key(password, &self.client_key)
            .map(drop)
    }

    /// Replaces the password (and optionally the KDF cost). The current
    /// password is checked first.
    pub fn change_password(
        &mut self,
        current: &SecretString,
        new: &SecretString,
        params: Option<KdfParams>,
    ) -> Result<()> {
        self.verify_password(current)?;
        let params = params.unwrap_or(self.locked.header.kdf);
        params.check()?;
        let key = self.client_key.clone();
        self.locked.rewrap(&self.vault_key, new, &key, params)
    }

    /// Makes a new client key; the old one (and every kit of it) stops
    /// opening the vault and is recognised as stale. Returns the new key.
    pub fn rotate_key(&mut self, password: &SecretString) -> Result<ClientKey> {
        self.verify_password(password)?;
        let key = ClientKey::generate()?;
        let params = self.locked.header.kdf;
        self.locked
            .rewrap(&self.vault_key, password, &key, params)?;
        self.client_key = key.clone();
        Ok(key)
    }

    /// Wipes every secret and returns the vault locked.
    pub fn lock(self) -> LockedVault {
        self.locked.clone()
    }
}
