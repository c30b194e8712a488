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
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use super::reading::LogFile;
use super::{Cursor, UnlockedVault, Warning};
use crate::error::{Result, VaultError};
use crate::ids::ItemId;
use crate::log::{self, OwnLog, RawRecord, fsync_dir};

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
        let (logs, mut warnings) = self.list_logs()?;
        let mut records = 0;
        for LogFile { device, path, .. } in &logs {
            let bytes = fs::read(path).map_err(|e| VaultError::io(path, e))?;
            let parsed = log::parse(&bytes, path, &vault_id, device)?;
            for rec in &parsed.records {
                self.open_record(device, rec, path)?;
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

    /// Rewrites this device's log keeping only each item's newest record.
    pub fn compact(&mut self) -> Result<CompactReport> {
        let device = self.device.id();
        let vault_id = self.locked.header.vault_id;
        let path = self.own.path().to_path_buf();
        let bytes = fs::read(&path).map_err(|e| VaultError::io(&path, e))?;
        let parsed = log::parse(&bytes, &path, &vault_id, &device)?;

        let mut newest: BTreeMap<ItemId, &RawRecord> = BTreeMap::new();
        for rec in &parsed.records {
            newest.insert(rec.item, rec);
        }
        let mut keep: Vec<&RawRecord> = newest.into_values().collect();
        keep.sort_by_key(|r| r.seq);

        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(&log::file_header(&vault_id, &device));
        let mut prev = 0u64;
        for rec in &keep {
            let plain = self.open_record(&device, rec, &path)?;
            let plain = match plain {
                Some(item) => crate::item::codec::encode(&item),
                None => zeroize::Zeroizing::new(Vec::new()),
            };
            let resealed = RawRecord::seal(
                &self.cipher,
                &vault_id,
                &device,
                rec.seq,
                prev,
                rec.clock,
                rec.item,
                rec.op,
                &plain,
            )?;
            out.extend_from_slice(&resealed.frame());
            prev = rec.seq;
        }

        let dir = log::logs_dir(&self.locked.dir);
        let tmp = dir.join(format!(".{}.log.compact", device.to_hex()));
        let io = |e| VaultError::io(&tmp, e);
        let _ = fs::remove_file(&tmp);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io)?;
        file.try_lock()
            .map_err(|_| VaultError::LogBusy { path: tmp.clone() })?;
        if let Err(e) = file.write_all(&out).and_then(|()| file.sync_all()) {
            let _ = fs::remove_file(&tmp);
            return Err(io(e));
        }
        fs::rename(&tmp, &path).map_err(|e| VaultError::io(&path, e))?;
        fsync_dir(&dir)?;
        self.own = OwnLog::from_locked(file, path, out.len() as u64);
        let own = self.own.path().to_path_buf();
        self.cursors
            .insert(own, Cursor::at(&out, out.len(), self.own_seq));
        Ok(CompactReport {
            records_before: parsed.records.len(),
            records_after: keep.len(),
            bytes_before: bytes.len() as u64,
            bytes_after: out.len() as u64,
        })
    }
}
