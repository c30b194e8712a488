//! Maintenance of a vault folder.
//!
//! Compaction rewrites this device's own log keeping each item's newest
//! record from this device, re-chained, and replaces the file atomically
//! (temp file, fsync, rename, folder fsync). Sequence numbers are kept, so
//! other devices never see this log go backwards, and the newest record
//! always survives.
//!
//! Verification re-reads every log from the start and authenticates every
//! record, as a full unlock would, without running the KDF again.

use std::collections::BTreeMap;
use std::io::Write;

use super::reading::LogFile;
use super::{UnlockedVault, Warning};
use crate::error::{Result, VaultError};
use crate::ids::ItemId;
use crate::log::{self, RawRecord};
use crate::vault::root_dir;

/// What a compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactReport {
    pub records_before: usize,
    pub records_after: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// What a verification read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub logs: usize,
    pub records: usize,
    pub warnings: Vec<Warning>,
}

impl UnlockedVault {
    /// Re-reads and authenticates every record of every log. An error names
    /// the first damaged file and record; the open vault is left as it was.
    pub fn verify(&self) -> Result<VerifyReport> {
        let vault_id = self.locked.header.vault_id;
        let Some((dir, logs, mut warnings)) = self.list_logs()? else {
            return Ok(VerifyReport {
                logs: 0,
                records: 0,
                warnings: Vec::new(),
            });
        };
        let mut records = 0;
        for LogFile { device, name, .. } in &logs {
            let path = dir.join(name);
            let Some(c) = dir.read(name, log::MAX_LOG_FILE)? else {
                continue;
            };
            let parsed = log::parse(&c.bytes, &vault_id, device);
            let first_opens = parsed
                .records
                .first()
                .is_some_and(|r| self.open_record(device, r).is_ok());
            if !first_opens && log::file_vault_id(&c.bytes).is_some_and(|id| id != vault_id) {
                warnings.push(Warning::OldVaultLog { path });
                continue;
            }
            if let Some((offset, what)) = parsed.damage {
                return Err(VaultError::corrupt(
                    &path,
                    format!("{what} at byte {offset}"),
                ));
            }
            if !parsed.header_ok && c.bytes.len() >= log::FILE_HEADER_LEN {
                return Err(VaultError::corrupt(
                    &path,
                    "the log's file header is damaged",
                ));
            }
            let mut last = 0;
            for rec in &parsed.records {
                self.open_record_at(device, rec, &path)?;
                if rec.prev != last || rec.seq <= last {
                    return Err(VaultError::corrupt(
                        &path,
                        format!(
                            "record out of sequence at byte {} (a record is missing or was moved)",
                            rec.offset
                        ),
                    ));
                }
                last = rec.seq;
            }
            records += parsed.records.len();
            if parsed.torn {
                warnings.push(Warning::TornTail { path: path.clone() });
            }
        }
        Ok(VerifyReport {
            logs: logs.len(),
            records,
            warnings,
        })
    }

    /// Rewrites this device's log keeping only each item's newest record,
    /// sealed under the current key. Only a log read whole and
    /// authenticated is rewritten.
    pub fn compact(&mut self) -> Result<CompactReport> {
        self.ready_own()?;
        let device = self.device.id();
        let vault_id = self.locked.header.vault_id;
        let root = root_dir(&self.locked.dir)?;
        let logs = root
            .sub(log::LOGS)?
            .ok_or_else(|| VaultError::corrupt(root.join(log::LOGS), "the logs folder is gone"))?;
        let name = log::log_name(&device);
        let path = logs.join(&name);
        let bytes = logs
            .read(&name, log::MAX_LOG_FILE)?
            .ok_or_else(|| VaultError::corrupt(&path, "this device's log is gone"))?
            .bytes;
        let parsed = log::parse(&bytes, &vault_id, &device);
        if parsed.damage.is_some() || parsed.torn || !parsed.header_ok {
            return Err(VaultError::corrupt(
                &path,
                "this device's log is damaged; lock and unlock to repair it, then compact",
            ));
        }
        let mut newest: BTreeMap<ItemId, &RawRecord> = BTreeMap::new();
        for rec in &parsed.records {
            newest.insert(rec.item, rec);
        }
        let mut keep: Vec<&RawRecord> = newest.into_values().collect();
        keep.sort_by_key(|r| r.seq);
        let mut records = Vec::with_capacity(keep.len());
        for rec in &keep {
            let item = self.open_record_at(&device, rec, &path)?;
            records.push((rec.seq, rec.clock, rec.item, item));
        }
        let (out, last) = self.encode_log(&device, records)?;

        let tmp = crate::fsx::temp_name(&name)?;
        let mut file = logs.create_new(&tmp)?;
        if let Err(e) = file.write_all(&out).and_then(|()| file.sync_all()) {
            let _ = logs.unlink(&tmp);
            return Err(VaultError::io(logs.join(&tmp), e));
        }
        logs.rename_over(&tmp, &name)?;
        self.own = Some(super::OwnLog::adopt_file(
            file,
            &name,
            &logs,
            out.len() as u64,
        )?);
        self.own_prev = last;
        self.cursors
            .insert(path, super::Cursor::at(&out, out.len(), self.own_seq));
        Ok(CompactReport {
            records_before: parsed.records.len(),
            records_after: keep.len(),
            bytes_before: bytes.len() as u64,
            bytes_after: out.len() as u64,
        })
    }
}
