//! An unlocked vault: the deterministic merge of every device's log.
//!
//! Each item's state is the record with the highest `(clock, device id)`
//! among all logs, so every device that has read the same logs holds the
//! same items whatever order it read them in. Writes go to this device's
//! log only, with a Lamport clock one above the highest seen.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::client_key::ClientKey;
use crate::device::Device;
use crate::error::{Result, VaultError};
use crate::ids::{DeviceId, ItemId};
use crate::item::{Item, Needle};
use crate::kdf::KdfParams;
use crate::keys::VaultKeys;
use crate::log;
use crate::names::{self, NameIndex};
use crate::secret::{Key32, SecretString};
use crate::vault::{LockedVault, VaultInfo, now_ms};

#[path = "folder.rs"]
mod folder;
#[path = "header_sync.rs"]
mod header_sync;
#[path = "maintenance.rs"]
mod maintenance;
#[path = "merge.rs"]
mod merge;
#[path = "own.rs"]
mod own;
#[path = "reading.rs"]
mod reading;
pub use folder::{DeviceLog, FolderReport};
pub use maintenance::{CompactReport, VerifyReport};
use merge::Entry;
use own::OwnLog;
pub(crate) use own::QUARANTINE;
pub(crate) use reading::classify;
use reading::{Cursor, OwnReading};

/// Something worth telling the person that did not stop the vault opening.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A device's log holds fewer authenticated records than this device
    /// saw before, or is gone: it was replaced by an older copy, cut,
    /// deleted or renamed (a backup restore, a sync fault, or tampering).
    /// `now` says what stands there now.
    Rollback {
        device: DeviceId,
        seen: u64,
        found: u64,
        now: String,
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
    /// Another device made a new client key (and so a new vault key): this
    /// device no longer writes, and needs the new kit to unlock again.
    KeyRotatedElsewhere,
    /// Another device changed the password (and so the vault key): this
    /// device no longer writes, and the next unlock needs the new password.
    PasswordChangedElsewhere,
    /// A log that names another vault id and holds nothing that opens under
    /// this one: left over from before a reset, or copied in. Not read.
    OldVaultLog { path: PathBuf },
    /// A file that was not read: a link, a FIFO, a folder, too large, or an
    /// error reading it.
    Unreadable { path: PathBuf, reason: String },
    /// A log with damage: the records that authenticate (`read` of them)
    /// were read; `detail` names the first damaged place.
    Damaged {
        path: PathBuf,
        detail: String,
        read: usize,
    },
    /// Another device's log has a damaged file header, but its records
    /// authenticate and were read; that device repairs it when it next opens.
    LogHeaderDamaged { path: PathBuf },
    /// A log holds records sealed under a newer vault key than this device
    /// holds (a password change or key rotation whose header has not
    /// arrived yet); they are read after the next unlock.
    NewerKey { path: PathBuf },
    /// Something that stood in the way was moved, never deleted.
    Quarantined {
        from: PathBuf,
        to: PathBuf,
        why: String,
    },
    /// This device's log was rebuilt from its `kept` authenticated records.
    Repaired { path: PathBuf, kept: usize },
    /// The vault folder cannot be written: the vault is open for reading.
    ReadOnly { path: PathBuf },
    /// `vault.idp` changed since this device last authenticated it; the
    /// next unlock verifies it (with the password), until then this
    /// device's verified copy decides.
    HeaderUnverified { path: PathBuf },
    /// `vault.idp` is an older header than this device has authenticated
    /// (from before a password change or key rotation): not used.
    HeaderRolledBack {
        path: PathBuf,
        found: u32,
        seen: u32,
    },
    /// `vault.idp` differs from the header of the same key epoch this device
    /// authenticated (altered or damaged): not used.
    HeaderAltered { path: PathBuf },
    /// `vault.idp` cannot be read or parsed: this device's verified copy is
    /// used.
    HeaderDamaged { path: PathBuf, detail: String },
    /// `vault.idp` was put back from this device's verified copy; what stood
    /// there is in quarantine (`moved`), if anything did.
    HeaderRestored {
        path: PathBuf,
        moved: Option<PathBuf>,
    },
}

/// A vault open with both secrets. Dropping it (or [`UnlockedVault::lock`])
/// wipes every key and secret it holds.
#[derive(Debug)]
pub struct UnlockedVault {
    locked: LockedVault,
    device: Device,
    keys: VaultKeys,
    client_key: ClientKey,
    entries: BTreeMap<ItemId, Entry>,
    /// Live items by name; changed only through [`Self::merge`].
    by_name: NameIndex,
    /// By log file path.
    cursors: HashMap<PathBuf, Cursor>,
    heads: BTreeMap<DeviceId, u64>,
    /// `heads` as last saved in the device's state folder.
    saved_heads: BTreeMap<DeviceId, u64>,
    /// Held while open: one writer per device and vault.
    _writer: std::fs::File,
    /// This device's log; `None` when the folder is read-only.
    own: Option<OwnLog>,
    /// What the last read found of the own log.
    own_reading: OwnReading,
    /// The highest sequence number this device has used.
    own_seq: u64,
    /// The last sequence number in the own log file as it is now.
    own_prev: u64,
    /// A newer header, authenticated by this vault's key, arrived: writes
    /// stop, and locking hands it on for the next unlock.
    key_changed: bool,
    newer_header: Option<crate::header::Header>,
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
        let writer = device.lock_writer(&locked.header.vault_id)?;
        let keys = VaultKeys::open(&locked.header, vault_key)?;
        let heads = device.load_heads(&locked.header.vault_id);
        let mut warnings = locked.findings.clone();
        let mut v = UnlockedVault {
            locked,
            device,
            keys,
            client_key,
            entries: BTreeMap::new(),
            by_name: NameIndex::default(),
            cursors: HashMap::new(),
            saved_heads: heads.clone(),
            heads,
            _writer: writer,
            own: None,
            own_reading: OwnReading::default(),
            own_seq: 0,
            own_prev: 0,
            key_changed: false,
            newer_header: None,
            clock: 0,
            warnings: Vec::new(),
        };
        warnings.extend(v.read_logs()?);
        let own_path = v
            .locked
            .dir
            .join(log::LOGS)
            .join(log::log_name(&v.device.id()));
        let adopted = v.adopt_own_log()?;
        // The own log's trouble was dealt with (or is reported by adoption).
        warnings.retain(|w| {
            !matches!(w,
                Warning::TornTail { path } | Warning::OldVaultLog { path }
                | Warning::Damaged { path, .. } | Warning::LogHeaderDamaged { path }
                | Warning::Unreadable { path, .. }
                if *path == own_path && v.own.is_some())
        });
        warnings.extend(adopted);
        warnings.extend(v.restore_header()?);
        v.warnings = warnings;
        Ok(v)
    }

    /// Seals records for `changes`, appends them in one durable write, then
    /// applies them. Either all are on disk when it returns, or none.
    fn write(&mut self, changes: Vec<(ItemId, Option<Item>)>) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let device = self.device.id();
        self.ready_own()?;
        let vault_id = self.locked.header.vault_id;
        let mut frames = Vec::new();
        let (mut seq, mut prev, mut clock) = (self.own_seq, self.own_prev, self.clock);
        for (id, item) in &changes {
            frames.extend_from_slice(&self.seal(
                &device,
                seq + 1,
                prev,
                clock + 1,
                *id,
                item.as_ref(),
            )?);
            seq += 1;
            prev = seq;
            clock += 1;
        }
        let own = self.own.as_mut().ok_or_else(|| VaultError::ReadOnly {
            path: self.locked.dir.clone(),
        })?;
        own.append(&frames)?;
        let own_path = own.path().to_path_buf();
        let first_clock = self.clock + 1;
        self.own_seq = seq;
        self.own_prev = seq;
        self.heads.insert(device, seq);
        match self.device.save_heads(&vault_id, &self.heads, false) {
            Ok(()) => self.saved_heads = self.heads.clone(),
            Err(e) => tracing::warn!(error = %e, "could not save the sequence numbers seen"),
        }
        if let Some(c) = self.cursors.get_mut(&own_path) {
            c.offset += frames.len();
            c.len += frames.len();
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

    /// Re-reads the header and every log, merging what other devices
    /// wrote. A header is adopted only once authenticated (see
    /// [`Self::check_header`]).
    pub fn refresh(&mut self) -> Result<Vec<Warning>> {
        let mut warnings = self.check_header()?;
        warnings.extend(self.read_logs()?);
        if self.own.is_none() && self.own_reading.kind.is_some() {
            warnings.push(Warning::ReadOnly {
                path: self.locked.dir.clone(),
            });
        }
        Ok(warnings)
    }

    /// Whether a newer, authenticated header arrived (another device changed
    /// the password or rotated the key): this vault then writes nothing and
    /// should be locked and unlocked again.
    pub fn key_changed(&self) -> bool {
        self.key_changed
    }

    /// Whether the vault is open for reading only (its folder is read-only).
    pub fn read_only(&self) -> bool {
        self.own.is_none()
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

    /// The vault's key epoch (1 for a new vault, one more at each password
    /// change or key rotation).
    pub fn key_epoch(&self) -> u32 {
        self.keys.epoch()
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
        let key = self.locked.unwrap_vault_key(password, &self.client_key)?;
        if key.bytes() != self.keys.current_key().bytes() {
            return Err(VaultError::WrongPassword);
        }
        Ok(())
    }

    /// Replaces the password (and optionally the KDF cost), and with it the
    /// vault key for everything written from now on. The current password
    /// is checked first.
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
        self.rekey(new, &key, params)
    }

    /// Makes a new client key, and a new vault key for everything written
    /// from now on; the old client key (and every kit of it) stops opening
    /// the vault and is recognised as stale. Returns the new key.
    pub fn rotate_key(&mut self, password: &SecretString) -> Result<ClientKey> {
        self.verify_password(password)?;
        let key = ClientKey::generate()?;
        let params = self.locked.header.kdf;
        self.rekey(password, &key, params)?;
        self.client_key = key.clone();
        Ok(key)
    }

    /// Writes the next epoch's header and moves to its key; a version 1
    /// log of this device is then rewritten in the current format.
    fn rekey(&mut self, password: &SecretString, key: &ClientKey, params: KdfParams) -> Result<()> {
        if self.key_changed {
            return Err(VaultError::KeyChanged);
        }
        if self.own.is_none() {
            return Err(VaultError::ReadOnly {
                path: self.locked.dir.clone(),
            });
        }
        let old_version = self.locked.header.version;
        let new_key = self
            .locked
            .rekey(&self.keys, password, key, params, &self.device)?;
        self.keys = VaultKeys::open(&self.locked.header, new_key)?;
        tracing::info!(
            epoch = self.keys.epoch(),
            "the vault has a new key for what is written next"
        );
        if old_version != self.locked.header.version {
            if let Some(own) = self.own.take() {
                self.cursors.remove(own.path());
            }
            let mut found = self.read_logs()?;
            found.extend(self.adopt_own_log()?);
            self.warnings.extend(found);
        }
        Ok(())
    }

    /// Wipes every secret and returns the vault locked, with the newest
    /// authenticated header for the next unlock.
    pub fn lock(self) -> LockedVault {
        let mut locked = self.locked.clone();
        if let Some(h) = self.newer_header.clone() {
            locked.header = h;
        }
        locked.findings.clear();
        locked
    }
}
