//! This device's own log: the one file in the folder this device writes.
//!
//! At unlock, after every log was read, the own log is adopted:
//!
//! - read whole and authenticated, in the vault's log format: appended to
//!   as it is (a torn tail, a crash mid-append, is first copied into
//!   quarantine, then cut off);
//! - read whole and authenticated in an older format: rewritten in the
//!   current one (temp file, fsync, rename, folder fsync);
//! - damaged, but with records that authenticate as this device's (a
//!   flipped byte in its file header, a damaged record): rebuilt from every
//!   record that authenticates, swapped in atomically, the original moved
//!   into quarantine;
//! - anything else at its name (a link, a FIFO, a folder, another vault's
//!   log, bytes that are no log): moved into quarantine unread and
//!   unfollowed, and a fresh log started.
//!
//! Nothing is truncated, rewritten or deleted unless it was parsed whole
//! and authenticated as this device's log of this vault; everything else
//! is moved, never destroyed. Sequence numbers never go back: a fresh or
//! rebuilt log continues from the highest this device has used or saved,
//! so other devices do not mistake it for a rollback. Before each write the
//! agent checks that the name still holds the file it has open (a sync
//! tool may rename a log away); if not, it adopts what is there now.
//!
//! A folder that cannot be written (a read-only mount, no permission)
//! leaves the vault open for reading: every write then fails with
//! [`VaultError::ReadOnly`].

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rustix::io::Errno;

use super::reading::OwnReading;
use super::{UnlockedVault, Warning};
use crate::error::{Result, VaultError};
use crate::fsx::{Dir, FileId, Kind};
use crate::ids::DeviceId;
use crate::item::codec;
use crate::log::{self, Op, RawRecord};
use crate::vault::{now_ms, root_dir};

/// Where things that stood in the way are kept: `quarantine/<device-id>/`
/// in the vault folder (this device's folder in it, so that no two devices
/// write one place, and a sync tool carries nothing new).
pub(crate) const QUARANTINE: &str = "quarantine";

/// This device's log, open for appending.
#[derive(Debug)]
pub(crate) struct OwnLog {
    file: File,
    name: String,
    path: PathBuf,
    len: u64,
    id: FileId,
}

impl OwnLog {
    /// Wraps `file`, open for appending at `len`, as the log at `name`.
    pub(super) fn adopt_file(file: File, name: &str, logs: &Dir, len: u64) -> Result<OwnLog> {
        Self::new(file, name, logs, len)
    }

    fn new(file: File, name: &str, logs: &Dir, len: u64) -> Result<OwnLog> {
        let path = logs.join(name);
        let id = FileId::of(&file).map_err(|e| VaultError::io(&path, e))?;
        Ok(OwnLog {
            file,
            name: name.to_string(),
            path,
            len,
            id,
        })
    }

    /// Appends one frame and returns once it is on disk. On failure (a full
    /// disk) the file is cut back to where it was (its own last write, which
    /// no one else has seen), so nothing half-written stays behind.
    pub(crate) fn append(&mut self, frame: &[u8]) -> Result<()> {
        let res = self
            .file
            .write_all(frame)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = res {
            let _ = self.file.set_len(self.len);
            let _ = self.file.sync_data();
            return Err(VaultError::io(&self.path, e));
        }
        self.len += frame.len() as u64;
        Ok(())
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether its name in `logs` still holds this file.
    pub(crate) fn still_at(&self, logs: &Dir) -> Result<bool> {
        Ok(logs.id_of(&self.name)? == Some(self.id))
    }
}

/// Whether an error means the folder cannot be written.
fn read_only(e: &VaultError) -> bool {
    let VaultError::Io { source, .. } = e else {
        return false;
    };
    matches!(
        source.raw_os_error().map(Errno::from_raw_os_error),
        Some(Errno::ROFS | Errno::ACCESS | Errno::PERM)
    )
}

impl UnlockedVault {
    /// Makes this device's log ready for appends (see the module docs), after
    /// [`Self::read_logs`] read it. Returns what it did that is worth telling.
    pub(super) fn adopt_own_log(&mut self) -> Result<Vec<Warning>> {
        let mut warnings = Vec::new();
        let root = root_dir(&self.locked.dir)?;
        let logs = match root.sub_or_create(log::LOGS) {
            Ok(d) => d,
            Err(e) if read_only(&e) => {
                self.own = None;
                warnings.push(Warning::ReadOnly {
                    path: self.locked.dir.clone(),
                });
                return Ok(warnings);
            }
            Err(e) => return Err(e),
        };
        let r = self.own_reading.clone();
        let head = self.heads.get(&self.device.id()).copied().unwrap_or(0);
        self.own_seq = self.own_seq.max(r.last_seq).max(head);
        match self.adopt(&root, &logs, &r, &mut warnings) {
            Ok(()) => {}
            Err(e) if read_only(&e) => {
                tracing::warn!(error = %e, "the vault folder is read-only; the vault is open for reading");
                self.own = None;
                warnings.push(Warning::ReadOnly {
                    path: self.locked.dir.clone(),
                });
            }
            Err(e) => return Err(e),
        }
        Ok(warnings)
    }

    fn adopt(
        &mut self,
        root: &Dir,
        logs: &Dir,
        r: &OwnReading,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        let name = log::log_name(&self.device.id());
        let version = self.log_version();
        match r.kind {
            None => return self.start_fresh(logs, &name, false),
            Some(Kind::File) if r.unreadable.is_none() => {}
            Some(kind) => {
                let why = r
                    .unreadable
                    .clone()
                    .unwrap_or_else(|| format!("it is {}", kind.describe()));
                self.quarantine(root, logs, &name, &why, warnings)?;
                return self.start_fresh(logs, &name, false);
            }
        }
        if r.whole && r.version == version {
            let Some(mut file) = logs.open_append(&name)? else {
                return self.start_fresh(logs, &name, false);
            };
            let path = logs.join(&name);
            if r.id != Some(FileId::of(&file).map_err(|e| VaultError::io(&path, e))?) {
                return Err(VaultError::corrupt(
                    &path,
                    "it was replaced while being opened (a sync in progress?); try again",
                ));
            }
            if r.torn {
                self.keep_torn_tail(root, &mut file, r, &logs.join(&name), warnings)?;
            }
            self.own = Some(OwnLog::new(file, &name, logs, r.valid_len as u64)?);
            self.own_prev = r.last_seq;
            return Ok(());
        }
        if r.authentic > 0 {
            return self.rebuild(root, logs, &name, r, warnings);
        }
        let bytes = logs
            .read(&name, log::MAX_LOG_FILE)?
            .map(|c| c.bytes)
            .unwrap_or_default();
        let replace = self.reconstructible(&bytes);
        if !replace {
            let why = if r.other_vault {
                "it is another vault's log (left over from a reset, or copied in)".to_string()
            } else {
                "no record in it authenticates as this device's".to_string()
            };
            self.quarantine(root, logs, &name, &why, warnings)?;
        }
        self.start_fresh(logs, &name, replace)
    }

    /// The log format this vault writes: that of its header.
    /// One record of this device's log, sealed under the current key in the
    /// current format: the frame as it goes on disk. `None` is a tombstone.
    pub(super) fn seal(
        &self,
        device: &DeviceId,
        seq: u64,
        prev: u64,
        clock: u64,
        id: crate::ItemId,
        item: Option<&crate::Item>,
    ) -> Result<Vec<u8>> {
        let (op, plain) = match item {
            Some(i) => (Op::Upsert, codec::encode(i)),
            None => (Op::Tombstone, zeroize::Zeroizing::new(Vec::new())),
        };
        let rec = RawRecord::seal(
            self.keys.current_cipher(),
            self.log_version(),
            self.keys.epoch(),
            &self.locked.header.vault_id,
            device,
            seq,
            prev,
            clock,
            id,
            op,
            &plain,
        )?;
        Ok(rec.frame())
    }

    fn log_version(&self) -> u8 {
        if self.locked.header.version >= 2 {
            log::VERSION
        } else {
            1
        }
    }

    /// Whether `bytes` hold nothing a fresh log would not (nothing, or the
    /// start of this device's log header): replacing them loses nothing.
    fn reconstructible(&self, bytes: &[u8]) -> bool {
        let (vault, device) = (self.locked.header.vault_id, self.device.id());
        bytes.len() <= log::FILE_HEADER_LEN
            && (1..=log::VERSION).any(|v| log::file_header(v, &vault, &device).starts_with(bytes))
    }

    /// Starts this device's log afresh. `replace`: what stands at `name`
    /// holds nothing a fresh log does not; otherwise nothing may stand there.
    fn start_fresh(&mut self, logs: &Dir, name: &str, replace: bool) -> Result<()> {
        let header = log::file_header(
            self.log_version(),
            &self.locked.header.vault_id,
            &self.device.id(),
        );
        let tmp = crate::fsx::temp_name(name)?;
        let mut file = logs.create_new(&tmp)?;
        let written = file.write_all(&header).and_then(|()| file.sync_all());
        if let Err(e) = written {
            let _ = logs.unlink(&tmp);
            return Err(VaultError::io(logs.join(&tmp), e));
        }
        let renamed = if replace {
            logs.rename_over(&tmp, name)
        } else {
            logs.rename_new(&tmp, name)
        };
        if let Err(e) = renamed {
            let _ = logs.unlink(&tmp);
            return Err(e);
        }
        self.own = Some(OwnLog::new(file, name, logs, header.len() as u64)?);
        self.own_prev = 0;
        tracing::info!(path = %logs.join(name).display(), next = self.own_seq + 1, "started this device's log");
        Ok(())
    }

    /// Moves what stands at `name` into quarantine.
    fn quarantine(
        &self,
        root: &Dir,
        logs: &Dir,
        name: &str,
        why: &str,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        let (dir, to) = self.quarantine_place(root, name)?;
        logs.move_to(name, &dir, &to)?;
        let to = dir.join(&to);
        tracing::warn!(from = %logs.join(name).display(), to = %to.display(), why, "moved into quarantine");
        warnings.push(Warning::Quarantined {
            from: logs.join(name),
            to,
            why: why.to_string(),
        });
        Ok(())
    }

    /// This device's quarantine folder, and a new name in it for `name`.
    pub(super) fn quarantine_place(&self, root: &Dir, name: &str) -> Result<(Dir, String)> {
        let dir = root
            .sub_or_create(QUARANTINE)?
            .sub_or_create(&self.device.id().to_hex())?;
        let stamp = now_ms();
        for n in 0u32.. {
            let to = if n == 0 {
                format!("{stamp}-{name}")
            } else {
                format!("{stamp}-{n}-{name}")
            };
            if dir.kind(&to)?.is_none() {
                return Ok((dir, to));
            }
        }
        Err(VaultError::corrupt(
            dir.path(),
            "no free name in quarantine",
        ))
    }

    /// Copies a torn tail of the own log into quarantine, then cuts it off.
    fn keep_torn_tail(
        &self,
        root: &Dir,
        file: &mut File,
        r: &OwnReading,
        path: &Path,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        let io = |e| VaultError::io(path, e);
        let mut tail = Vec::with_capacity(r.len - r.valid_len);
        file.seek(SeekFrom::Start(r.valid_len as u64)).map_err(io)?;
        Read::by_ref(file)
            .take((r.len - r.valid_len) as u64)
            .read_to_end(&mut tail)
            .map_err(io)?;
        let name = format!(
            "{}.torn-at-{}",
            log::log_name(&self.device.id()),
            r.valid_len
        );
        let (dir, to) = self.quarantine_place(root, &name)?;
        dir.write_atomic(&to, &tail)?;
        file.set_len(r.valid_len as u64).map_err(io)?;
        file.sync_all().map_err(io)?;
        tracing::warn!(path = %path.display(), kept = r.valid_len, "cut a torn record off the end of this device's log");
        warnings.push(Warning::Quarantined {
            from: path.to_path_buf(),
            to: dir.join(&to),
            why: format!(
                "a partly written record after byte {} (a crash mid-write)",
                r.valid_len
            ),
        });
        Ok(())
    }

    /// Rewrites the own log from every record in it that authenticates,
    /// resealed under the current key in the current format, re-chained,
    /// keeping each record's sequence number and clock. A log that was not
    /// read whole is swapped out into quarantine, not overwritten.
    fn rebuild(
        &mut self,
        root: &Dir,
        logs: &Dir,
        name: &str,
        r: &OwnReading,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        let device = self.device.id();
        let path = logs.join(name);
        let Some(contents) = logs.read(name, log::MAX_LOG_FILE)? else {
            return self.start_fresh(logs, name, false);
        };
        let parsed = log::parse(&contents.bytes, &self.locked.header.vault_id, &device);
        let mut kept = Vec::new();
        for rec in &parsed.records {
            if let Ok(item) = self.open_record(&device, rec) {
                kept.push((rec.seq, rec.clock, rec.item, item));
            }
        }
        kept.sort_by_key(|k| k.0);
        kept.dedup_by_key(|k| k.0);
        let (bytes, last) = self.encode_log(&device, kept)?;
        let tmp = crate::fsx::temp_name(name)?;
        let mut file = logs.create_new(&tmp)?;
        if let Err(e) = file.write_all(&bytes).and_then(|()| file.sync_all()) {
            let _ = logs.unlink(&tmp);
            return Err(VaultError::io(logs.join(&tmp), e));
        }
        if r.whole {
            // Read whole and authenticated: only its format changes.
            logs.rename_over(&tmp, name)?;
            tracing::info!(path = %path.display(), "rewrote this device's log in the current format");
        } else {
            logs.exchange(&tmp, name)?;
            let why = "it was damaged; every record that authenticates was kept in a rebuilt log";
            self.quarantine(root, logs, &tmp, why, warnings)?;
            if let Some(Warning::Quarantined { from, .. }) = warnings.last_mut() {
                *from = path.clone();
            }
            warnings.push(Warning::Repaired {
                path: path.clone(),
                kept: r.authentic,
            });
        }
        self.own = Some(OwnLog::new(file, name, logs, bytes.len() as u64)?);
        self.own_prev = last;
        self.cursors.remove(&path);
        Ok(())
    }

    /// A whole log of `records` (seq, clock, item id, item), in the current
    /// format under the current key; returns it and its last sequence number.
    pub(super) fn encode_log(
        &self,
        device: &DeviceId,
        records: Vec<(u64, u64, crate::ItemId, Option<crate::Item>)>,
    ) -> Result<(Vec<u8>, u64)> {
        let vault_id = self.locked.header.vault_id;
        let mut out = log::file_header(self.log_version(), &vault_id, device).to_vec();
        let mut prev = 0u64;
        for (seq, clock, id, item) in records {
            out.extend_from_slice(&self.seal(device, seq, prev, clock, id, item.as_ref())?);
            prev = seq;
        }
        Ok((out, prev))
    }

    /// Before a write: the own log must still be at its name. If a sync
    /// tool renamed it away (its records stay readable as a conflicted
    /// copy), or something else now stands there, adopt what is there.
    pub(super) fn ready_own(&mut self) -> Result<()> {
        if self.key_changed {
            return Err(VaultError::KeyChanged);
        }
        let root = root_dir(&self.locked.dir)?;
        let logs = root.sub(log::LOGS)?;
        let moved = match (&self.own, &logs) {
            (Some(own), Some(logs)) => !own.still_at(logs)?,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if moved {
            tracing::warn!(
                "this device's log was moved or replaced while open; adopting what is there now"
            );
            let path = self.own.as_ref().map(|o| o.path().to_path_buf());
            if let Some(p) = path {
                self.cursors.remove(&p);
            }
            self.own = None;
            let mut found = self.read_logs()?;
            found.extend(self.adopt_own_log()?);
            self.warnings.extend(found);
        }
        match self.own {
            Some(_) => Ok(()),
            None => Err(VaultError::ReadOnly {
                path: self.locked.dir.clone(),
            }),
        }
    }
}
