//! Reading the logs of a vault folder into the merged state.
//!
//! Every file is input from outside: it is opened without following links,
//! read with a cap, and only records that authenticate under this vault's
//! keys (whose associated data binds the vault, the device named by the
//! file name, the place in the log and the item) are merged. What cannot be
//! read is reported with the file and the byte offset and never stops the
//! rest from being read; nothing here changes a file.
//!
//! Besides each device's log, a file-sync tool may leave conflicted copies
//! of a log (Syncthing's `<log>.sync-conflict-…`, Dropbox's and Nextcloud's
//! `<log> (… conflicted copy …)`). A conflicted copy is read and merged like
//! any log (the merge is idempotent, so records it shares with the log count
//! once) and reported; temporary files of sync tools are left alone.

use std::collections::BTreeSet;
use std::path::Path;

use super::{UnlockedVault, Warning};
use crate::error::{Result, VaultError};
use crate::fsx::{Dir, FileId, Kind};
use crate::ids::DeviceId;
use crate::item::{Item, codec};
use crate::log::{self, Op, RawRecord};

/// A log file in `logs/`: a device's own log, or a sync tool's copy of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct LogFile {
    pub device: DeviceId,
    pub name: String,
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
/// older copy is read again from the start. What was found wrong with the
/// file is kept with it and reported again while the file is unchanged.
#[derive(Debug, Clone)]
pub(super) struct Cursor {
    pub id: Option<FileId>,
    pub len: usize,
    pub offset: usize,
    pub last_seq: u64,
    pub tail: [u8; 16],
    pub warnings: Vec<Warning>,
}

impl Cursor {
    pub(super) fn at(bytes: &[u8], offset: usize, last_seq: u64) -> Cursor {
        let mut tail = [0u8; 16];
        if offset >= 16 && offset <= bytes.len() {
            tail.copy_from_slice(&bytes[offset - 16..offset]);
        }
        Cursor {
            id: None,
            len: bytes.len(),
            offset,
            last_seq,
            tail,
            warnings: Vec::new(),
        }
    }

    fn continues(&self, bytes: &[u8]) -> bool {
        self.offset >= 16
            && bytes.len() >= self.offset
            && bytes[self.offset - 16..self.offset] == self.tail
    }
}

/// The `logs/` folder, the logs in it, and warnings for anything else there.
pub(super) type Listing = (Dir, Vec<LogFile>, Vec<Warning>);

/// What reading this device's own log found, for [`UnlockedVault::adopt_own_log`].
#[derive(Debug, Clone, Default)]
pub(super) struct OwnReading {
    /// What stands at the own log's name (`None`: nothing).
    pub kind: Option<Kind>,
    /// Why it could not be read, when it could not.
    pub unreadable: Option<String>,
    /// Its format version and length, and the end of its last whole frame.
    pub version: u8,
    pub len: usize,
    pub valid_len: usize,
    /// Every record in it authenticated, in one unbroken chain, under a
    /// whole and correct file header: it is this device's log, read whole
    /// (but for a torn tail).
    pub whole: bool,
    /// It ends in a partly written frame.
    pub torn: bool,
    /// Records that authenticated, and the last one's sequence number.
    pub authentic: usize,
    pub last_seq: u64,
    /// Its header names another vault and nothing in it authenticates.
    pub other_vault: bool,
    pub id: Option<FileId>,
}

/// How one log read: what is merged, where reading stopped and what was wrong.
struct Outcome {
    authentic: Vec<usize>,
    last_seq: u64,
    end: usize,
    warnings: Vec<Warning>,
    whole: bool,
    other_vault: bool,
}

impl UnlockedVault {
    /// The logs in `logs/`, sorted, and warnings for anything else there.
    /// `Ok(None)` when there is no `logs/` folder yet.
    pub(super) fn list_logs(&self) -> Result<Option<Listing>> {
        let root = crate::vault::root_dir(&self.locked.dir)?;
        let Some(dir) = root.sub(log::LOGS)? else {
            return Ok(None);
        };
        let mut warnings = Vec::new();
        let mut logs = Vec::new();
        for (name, kind) in dir.entries()? {
            if name.starts_with('.') {
                continue; // temporary files, ours and sync tools'
            }
            match classify(&name) {
                Some((device, conflict_copy)) => {
                    if conflict_copy {
                        warnings.push(Warning::ConflictCopy {
                            path: dir.join(&name),
                        });
                    }
                    logs.push(LogFile {
                        device,
                        name,
                        conflict_copy,
                    });
                }
                None if kind == Kind::File => warnings.push(Warning::IgnoredFile {
                    path: dir.join(&name),
                }),
                None => warnings.push(Warning::Unreadable {
                    path: dir.join(&name),
                    reason: format!("it is {}, not a device log", kind.describe()),
                }),
            }
        }
        logs.sort();
        Ok(Some((dir, logs, warnings)))
    }

    /// Reads every log from its cursor on and merges what is new. A log
    /// this device has seen records of that is now missing, shorter,
    /// unreadable or another vault's is reported as rolled back.
    pub(super) fn read_logs(&mut self) -> Result<Vec<Warning>> {
        let own = self.device.id();
        self.own_reading = OwnReading::default();
        let Some((dir, logs, mut warnings)) = self.list_logs()? else {
            let mut warnings = Vec::new();
            self.report_missing(&BTreeSet::new(), &mut warnings);
            return Ok(warnings);
        };
        let mut present = BTreeSet::new();
        for file in logs {
            let is_own = file.device == own && !file.conflict_copy;
            if let Some(found) = self.read_log(&dir, &file, &mut warnings, is_own)
                && !file.conflict_copy
            {
                present.insert(file.device);
                self.check_head(file.device, found, &dir.join(&file.name), &mut warnings);
            }
        }
        self.report_missing(&present, &mut warnings);
        if self.heads != self.saved_heads {
            let vault_id = self.locked.header.vault_id;
            match self.device.save_heads(&vault_id, &self.heads, true) {
                Ok(()) => self.saved_heads = self.heads.clone(),
                Err(e) => tracing::warn!(error = %e, "could not save the sequence numbers seen"),
            }
        }
        Ok(warnings)
    }

    /// Advances the head of `device` to `found`, or reports a rollback.
    fn check_head(&mut self, device: DeviceId, found: u64, path: &Path, out: &mut Vec<Warning>) {
        let seen = self.heads.get(&device).copied().unwrap_or(0);
        if found < seen {
            tracing::warn!(%device, seen, found, "a device log went backwards (rollback)");
            out.push(Warning::Rollback {
                device,
                seen,
                found,
                now: if found == 0 {
                    format!("{} holds no record that authenticates", path.display())
                } else {
                    format!("{} ends at record {found}", path.display())
                },
            });
        } else {
            self.heads.insert(device, found);
        }
    }

    /// Reports every device whose log was seen with records and is gone.
    fn report_missing(&self, present: &BTreeSet<DeviceId>, out: &mut Vec<Warning>) {
        for (&device, &seen) in &self.heads {
            if seen > 0 && !present.contains(&device) {
                tracing::warn!(%device, seen, "a device log is gone (rollback)");
                out.push(Warning::Rollback {
                    device,
                    seen,
                    found: 0,
                    now: format!("logs/{} is missing", log::log_name(&device)),
                });
            }
        }
    }

    /// Reads one log; returns the last authenticated sequence number in it,
    /// or `None` when it could not be read at all.
    fn read_log(
        &mut self,
        dir: &Dir,
        file: &LogFile,
        warnings: &mut Vec<Warning>,
        is_own: bool,
    ) -> Option<u64> {
        let path = dir.join(&file.name);
        let contents = match dir.read(&file.name, log::MAX_LOG_FILE) {
            Ok(Some(c)) => c,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "a log could not be read");
                if is_own {
                    self.own_reading.kind = dir.kind(&file.name).ok().flatten();
                    self.own_reading.unreadable = Some(e.to_string());
                }
                warnings.push(Warning::Unreadable {
                    path,
                    reason: e.to_string(),
                });
                return None;
            }
        };
        let bytes = contents.bytes;
        let prev = self.cursors.get(&path).cloned();
        if let Some(c) = &prev
            && c.id == Some(contents.id)
            && c.len == bytes.len()
            && c.continues(&bytes)
        {
            warnings.extend(c.warnings.iter().cloned());
            return Some(c.last_seq);
        }
        let parsed = log::parse(&bytes, &self.locked.header.vault_id, &file.device);
        let skip_until = prev
            .as_ref()
            .filter(|c| c.id == Some(contents.id) && c.continues(&bytes))
            .map_or(0, |c| c.offset);
        let outcome = self.authenticate(file, &path, &parsed, &bytes, prev.as_ref(), skip_until);
        // What was wrong before the part read now still stands.
        let mut standing: Vec<Warning> = prev
            .filter(|_| skip_until > 0)
            .map(|c| c.warnings)
            .unwrap_or_default()
            .into_iter()
            .filter(|w| !matches!(w, Warning::TornTail { .. } | Warning::NewerKey { .. }))
            .collect();
        standing.extend(outcome.warnings);
        if parsed.torn {
            standing.push(Warning::TornTail { path: path.clone() });
        }
        if is_own {
            self.own_reading = OwnReading {
                kind: Some(Kind::File),
                unreadable: None,
                version: parsed.version,
                len: bytes.len(),
                valid_len: parsed.valid_len,
                whole: outcome.whole && parsed.header_ok,
                torn: parsed.torn,
                authentic: outcome.authentic.len(),
                last_seq: outcome.last_seq,
                other_vault: outcome.other_vault,
                id: Some(contents.id),
            };
        }
        warnings.extend(standing.iter().cloned());
        let mut cursor = Cursor::at(&bytes, outcome.end, outcome.last_seq);
        cursor.id = Some(contents.id);
        cursor.warnings = standing;
        self.cursors.insert(path, cursor);
        Some(outcome.last_seq)
    }

    /// Authenticates the records of a parsed log from `skip_until` on and
    /// merges those that open.
    fn authenticate(
        &mut self,
        file: &LogFile,
        path: &Path,
        parsed: &log::ParsedLog,
        bytes: &[u8],
        prev: Option<&Cursor>,
        skip_until: usize,
    ) -> Outcome {
        let device = file.device;
        let fresh: Vec<&RawRecord> = parsed
            .records
            .iter()
            .filter(|r| r.offset >= skip_until)
            .collect();
        let opened = self.open_records(&device, &fresh);
        let mut out = Outcome {
            authentic: Vec::new(),
            last_seq: if skip_until > 0 {
                prev.map_or(0, |c| c.last_seq)
            } else {
                0
            },
            end: skip_until.max(log::FILE_HEADER_LEN.min(bytes.len())),
            warnings: Vec::new(),
            whole: parsed.damage.is_none(),
            other_vault: false,
        };
        let mut failed: Option<(usize, u64)> = None;
        let mut gap: Option<usize> = None;
        // Records under a newer key wait for the next unlock, but only at
        // the end of a log: epochs never go back within one, so a "newer"
        // record followed by one that opens is damage.
        let pending_from = opened
            .iter()
            .rposition(|o| !matches!(o, Opened::Newer))
            .map_or(0, |i| i + 1);
        let newer = pending_from < fresh.len();
        for (n, (rec, result)) in fresh.iter().zip(opened).enumerate().take(pending_from) {
            match result {
                Opened::Failed | Opened::Newer => {
                    failed.get_or_insert((rec.offset, rec.seq));
                    out.whole = false;
                }
                Opened::Ok(item) => {
                    if rec.prev != out.last_seq || rec.seq <= out.last_seq {
                        gap.get_or_insert(rec.offset);
                        out.whole = false;
                    }
                    out.last_seq = out.last_seq.max(rec.seq);
                    out.authentic.push(n);
                    self.clock = self.clock.max(rec.clock);
                    self.merge(device, rec.clock, rec.item, item.map(|i| *i));
                }
            }
            out.end = rec.offset + log::frame_len(rec);
        }
        let nothing_opens = out.authentic.is_empty() && skip_until == 0;
        if nothing_opens
            && log::file_vault_id(bytes).is_some_and(|id| id != self.locked.header.vault_id)
        {
            out.other_vault = true;
            out.whole = false;
            out.warnings.push(Warning::OldVaultLog {
                path: path.to_path_buf(),
            });
            return out;
        }
        if newer {
            out.whole = false;
            out.warnings.push(Warning::NewerKey {
                path: path.to_path_buf(),
            });
        }
        let detail = match (parsed.damage, failed, gap) {
            (_, Some((offset, seq)), _) => Some((
                offset,
                format!("record {seq} at byte {offset} failed authentication"),
            )),
            (Some((offset, what)), None, _) => Some((offset, format!("{what} at byte {offset}"))),
            (None, None, Some(offset)) => Some((
                offset,
                format!("a record is missing before byte {offset} (the sequence is broken)"),
            )),
            (None, None, None) => None,
        };
        if let Some((offset, detail)) = detail {
            tracing::warn!(path = %path.display(), offset, %detail, "a log is damaged");
            out.warnings.push(Warning::Damaged {
                path: path.to_path_buf(),
                detail,
                read: out.authentic.len(),
            });
        } else if !parsed.header_ok && !out.authentic.is_empty() && !file.conflict_copy {
            out.warnings.push(Warning::LogHeaderDamaged {
                path: path.to_path_buf(),
            });
        }
        out
    }

    /// Opens records in order, spread over the machine's cores when there
    /// are many (a first unlock of a large vault).
    fn open_records(&self, device: &DeviceId, records: &[&RawRecord]) -> Vec<Opened> {
        const PER_THREAD: usize = 2048;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if threads < 2 || records.len() < 2 * PER_THREAD {
            return records.iter().map(|r| self.open_one(device, r)).collect();
        }
        let chunk = records.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = records
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|r| self.open_one(device, r))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .zip(records.chunks(chunk))
                .flat_map(|(h, part)| {
                    h.join()
                        .unwrap_or_else(|_| part.iter().map(|_| Opened::Failed).collect())
                })
                .collect()
        })
    }

    fn open_one(&self, device: &DeviceId, rec: &RawRecord) -> Opened {
        match self.open_record(device, rec) {
            Ok(item) => Opened::Ok(item.map(Box::new)),
            Err(RecordError::Newer) => Opened::Newer,
            Err(RecordError::Failed) => Opened::Failed,
        }
    }

    /// Opens one record with its epoch's key.
    pub(super) fn open_record(
        &self,
        device: &DeviceId,
        rec: &RawRecord,
    ) -> Result<Option<Item>, RecordError> {
        let cipher = match self.keys.cipher(rec.epoch) {
            Some(c) => c,
            None if rec.epoch > self.keys.epoch() => return Err(RecordError::Newer),
            None => return Err(RecordError::Failed),
        };
        let aad = rec.aad(&self.locked.header.vault_id, device);
        let plain = cipher
            .open(&rec.nonce, &aad, &rec.sealed)
            .map_err(|_| RecordError::Failed)?;
        match rec.op {
            Op::Tombstone => Ok(None),
            Op::Upsert => codec::decode(rec.item, &plain)
                .map(Some)
                .map_err(|_| RecordError::Failed),
        }
    }

    /// Opens one record, as an error naming the file and place.
    pub(super) fn open_record_at(
        &self,
        device: &DeviceId,
        rec: &RawRecord,
        path: &Path,
    ) -> Result<Option<Item>> {
        self.open_record(device, rec).map_err(|_| {
            VaultError::corrupt(
                path,
                format!(
                    "record {} at byte {} failed authentication",
                    rec.seq, rec.offset
                ),
            )
        })
    }
}

/// Why a record did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RecordError {
    /// Sealed under a key epoch newer than this device holds.
    Newer,
    /// It does not authenticate (or its plaintext does not decode).
    Failed,
}

enum Opened {
    Ok(Option<Box<Item>>),
    Newer,
    Failed,
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
