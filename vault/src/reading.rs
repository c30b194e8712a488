//! Reading the logs of a vault folder into the merged state.
//!
//! Besides each device's log, a file-sync tool may leave conflicted copies
//! of a log (Syncthing's `<log>.sync-conflict-…`, Dropbox's and Nextcloud's
//! `<log> (… conflicted copy …)`). A conflicted copy is read and merged like
//! any log (the merge is idempotent, so records it shares with the log count
//! once) and reported; temporary files of sync tools are left alone.

use std::fs;
use std::path::{Path, PathBuf};

use super::{UnlockedVault, Warning};
use crate::error::{Result, VaultError};
use crate::ids::DeviceId;
use crate::item::{Item, codec};
use crate::log::{self, Op, RawRecord};

/// A log file in `logs/`: a device's own log, or a sync tool's copy of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct LogFile {
    pub device: DeviceId,
    pub path: PathBuf,
    pub conflict_copy: bool,
}

/// What a file name in `logs/` is: `Some((device, conflicted copy?))` for a
/// log, `None` for anything else.
pub(crate) fn classify(name: &str) -> Option<(DeviceId, bool)> {
    let (hex, rest) = (name.get(..32)?, name.get(32..)?);
    let device = hex.parse().ok()?;
    if rest == ".log" {
        return Some((device, false));
    }
    let lower = rest.to_ascii_lowercase();
    (lower.ends_with(".log") && lower.contains("conflict")).then_some((device, true))
}

/// Where reading a log stopped, so a refresh reads only what is new. The
/// last 16 bytes before `offset` (the last record's tag) tell whether the
/// file still starts with what was read: a log replaced by a compacted or
/// older copy is read again from the start.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cursor {
    pub offset: usize,
    pub last_seq: u64,
    pub tail: [u8; 16],
}

impl Cursor {
    pub(super) fn at(bytes: &[u8], offset: usize, last_seq: u64) -> Cursor {
        let mut tail = [0u8; 16];
        if offset >= 16 && offset <= bytes.len() {
            tail.copy_from_slice(&bytes[offset - 16..offset]);
        }
        Cursor {
            offset,
            last_seq,
            tail,
        }
    }

    fn continues(&self, bytes: &[u8]) -> bool {
        self.offset >= 16
            && bytes.len() >= self.offset
            && bytes[self.offset - 16..self.offset] == self.tail
    }

    /// Whether the file at `path`, of length `len`, is exactly what was read.
    fn unchanged(&self, path: &Path, len: usize) -> bool {
        use std::os::unix::fs::FileExt;
        if len != self.offset || self.offset < 16 {
            return false;
        }
        let mut tail = [0u8; 16];
        fs::File::open(path)
            .and_then(|f| f.read_exact_at(&mut tail, (self.offset - 16) as u64))
            .is_ok_and(|()| tail == self.tail)
    }
}

impl UnlockedVault {
    /// The logs in `logs/`, sorted, and warnings for anything else there.
    pub(super) fn list_logs(&self) -> Result<(Vec<LogFile>, Vec<Warning>)> {
        let dir = log::logs_dir(&self.locked.dir);
        let mut warnings = Vec::new();
        let listing = match fs::read_dir(&dir) {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), warnings));
            }
            Err(e) => return Err(VaultError::io(&dir, e)),
        };
        let mut logs = Vec::new();
        for entry in listing {
            let entry = entry.map_err(|e| VaultError::io(&dir, e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue; // temporary files, ours and sync tools'
            }
            match classify(&name) {
                Some((device, conflict_copy)) => {
                    if conflict_copy {
                        warnings.push(Warning::ConflictCopy { path: entry.path() });
                    }
                    logs.push(LogFile {
                        device,
                        path: entry.path(),
                        conflict_copy,
                    });
                }
                None => warnings.push(Warning::IgnoredFile { path: entry.path() }),
            }
        }
        logs.sort();
        Ok((logs, warnings))
    }

    /// Reads every log from its cursor on and merges what is new.
    pub(super) fn read_logs(&mut self) -> Result<Vec<Warning>> {
        let (logs, mut warnings) = self.list_logs()?;
        for file in logs {
            self.read_log(file, &mut warnings)?;
        }
        if self.heads != self.saved_heads {
            let vault_id = self.locked.header.vault_id;
            match self.device.save_heads(&vault_id, &self.heads) {
                Ok(()) => self.saved_heads = self.heads.clone(),
                Err(e) => tracing::warn!(error = %e, "could not save the sequence numbers seen"),
            }
        }
        Ok(warnings)
    }

    fn read_log(&mut self, file: LogFile, warnings: &mut Vec<Warning>) -> Result<()> {
        let LogFile {
            device,
            path,
            conflict_copy,
        } = file;
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => m,
            Ok(_) => {
                warnings.push(Warning::IgnoredFile { path });
                return Ok(());
            }
            Err(e) => return Err(VaultError::io(&path, e)),
        };
        let prev = self.cursors.get(&path).copied();
        if prev.is_some_and(|c| c.unchanged(&path, meta.len() as usize)) {
            return Ok(());
        }
        let bytes = fs::read(&path).map_err(|e| VaultError::io(&path, e))?;
        let vault_id = self.locked.header.vault_id;
        if crate::reset::log_vault_id(&bytes).is_some_and(|id| id != vault_id) {
            warnings.push(Warning::OldVaultLog { path });
            return Ok(());
        }
        let parsed = log::parse(&bytes, &path, &vault_id, &device)?;
        let skip_until = prev.filter(|c| c.continues(&bytes)).map_or(0, |c| c.offset);
        let fresh: Vec<&RawRecord> = parsed
            .records
            .iter()
            .filter(|r| r.offset >= skip_until)
            .collect();
        for (rec, item) in fresh.iter().zip(self.open_records(&device, &fresh, &path)?) {
            self.clock = self.clock.max(rec.clock);
            self.merge(device, rec.clock, rec.item, item);
        }
        if parsed.torn {
            warnings.push(Warning::TornTail { path: path.clone() });
        }
        let found = parsed.records.last().map_or(0, |r| r.seq);
        if !conflict_copy {
            let seen = self.heads.get(&device).copied().unwrap_or(0);
            if found < seen {
                tracing::warn!(%device, seen, found, "a device log went backwards (rollback)");
                warnings.push(Warning::Rollback {
                    device,
                    seen,
                    found,
                });
            } else {
                self.heads.insert(device, found);
            }
        }
        let cursor = Cursor::at(&bytes, parsed.valid_len, found);
        self.cursors.insert(path, cursor);
        Ok(())
    }

    /// Opens records in order, spread over the machine's cores when there
    /// are many (a first unlock of a large vault).
    fn open_records(
        &self,
        device: &DeviceId,
        records: &[&RawRecord],
        path: &Path,
    ) -> Result<Vec<Option<Item>>> {
        const PER_THREAD: usize = 2048;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if threads < 2 || records.len() < 2 * PER_THREAD {
            return records
                .iter()
                .map(|r| self.open_record(device, r, path))
                .collect();
        }
        let chunk = records.len().div_ceil(threads);
        let parts: Vec<Result<Vec<Option<Item>>>> = std::thread::scope(|s| {
            let handles: Vec<_> = records
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|r| self.open_record(device, r, path))
                            .collect::<Result<Vec<_>>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(VaultError::corrupt(path, "a worker reading records failed"))
                    })
                })
                .collect()
        });
        let mut out = Vec::with_capacity(records.len());
        for part in parts {
            out.extend(part?);
        }
        Ok(out)
    }

    pub(super) fn open_record(
        &self,
        device: &DeviceId,
        rec: &RawRecord,
        path: &Path,
    ) -> Result<Option<Item>> {
        let aad = rec.aad(&self.locked.header.vault_id, device);
        let plain = self.cipher.open(&rec.nonce, &aad, &rec.sealed).map_err(|_| {
            tracing::warn!(path = %path.display(), offset = rec.offset, seq = rec.seq, "record failed authentication");
            VaultError::corrupt(
                path,
                format!("record {} at byte {} failed authentication", rec.seq, rec.offset),
            )
        })?;
        match rec.op {
            Op::Tombstone => Ok(None),
            Op::Upsert => codec::decode(rec.item, &plain).map(Some).map_err(|what| {
                VaultError::corrupt(
                    path,
                    format!("record {} at byte {}: {what}", rec.seq, rec.offset),
                )
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn sync_tool_file_names() {
        let hex = "0123456789abcdef0123456789abcdef";
        assert_eq!(classify(&format!("{hex}.log")).map(|c| c.1), Some(false));
        for copy in [
            format!("{hex}.sync-conflict-20260101-120000-ABCDEFG.log"),
            format!("{hex} (Ann's conflicted copy 2026-01-01).log"),
            format!("{hex} (conflicted copy 2026-01-01 120000).log"),
        ] {
            assert_eq!(classify(&copy).map(|c| c.1), Some(true), "{copy}");
        }
        for other in [
            format!("~syncthing~{hex}.log.tmp"),
            format!("{hex}.log.part"),
            "notes.txt".to_string(),
            format!("{}.log", &hex[..31]),
            "é".repeat(20),
        ] {
            assert_eq!(classify(&other), None, "{other}");
        }
    }
}
