//! What is in the vault folder, for `idp vault info`: each device's log
//! with how far it goes and when it last changed on this disk, and what
//! sync tools left behind (conflicted copies, temporary files, anything
//! else). Nothing here is secret.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::reading::classify;
use super::{QUARANTINE, UnlockedVault};
use crate::error::Result;
use crate::fsx::{Dir, Kind};
use crate::ids::DeviceId;
use crate::log;
use crate::vault::{HEADER_FILE, LockedVault};

/// One device's log as this device sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLog {
    pub device: DeviceId,
    /// Sequence number of its last record read (its count of writes).
    pub records: u64,
    /// When the file last changed on this disk (unix ms); a sync tool
    /// usually keeps the writing device's time.
    pub modified_ms: Option<i64>,
    pub this_device: bool,
}

/// The vault folder's contents besides the header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderReport {
    pub devices: Vec<DeviceLog>,
    /// Sync tools' conflicted copies (of a log, or of the header).
    pub conflict_copies: Vec<PathBuf>,
    /// Temporary files: ours from an interrupted write, or a sync tool's
    /// transfer in progress (`~syncthing~…`, `.syncthing.…`, `*.part`).
    pub temp_files: Vec<PathBuf>,
    /// Anything else, which is left alone.
    pub other_files: Vec<PathBuf>,
    /// What was moved into quarantine (by any device), never deleted.
    pub quarantined: Vec<PathBuf>,
}

fn is_temp(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with('.')
        || lower.starts_with('~')
        || [".tmp", ".part", ".partial", ".crdownload"]
            .iter()
            .any(|s| lower.ends_with(s))
}

fn modified_ms(path: &Path) -> Option<i64> {
    let t = std::fs::symlink_metadata(path).ok()?.modified().ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_millis() as i64)
}

/// Walks the vault folder in `dir` (the top level and `logs/`); `records`
/// says how far a device's log goes.
fn report(
    dir: &Path,
    own: DeviceId,
    records: impl Fn(DeviceId, &Dir, &str) -> u64,
) -> Result<FolderReport> {
    let mut r = FolderReport::default();
    let Some(root) = Dir::open_root(dir)? else {
        return Ok(r);
    };
    for (name, _) in root.entries()? {
        let path = root.join(&name);
        if name == HEADER_FILE || name == log::LOGS {
            continue;
        }
        if name == QUARANTINE {
            r.quarantined = quarantined(&root)?;
        } else if is_temp(&name) {
            r.temp_files.push(path);
        } else if name.to_ascii_lowercase().contains("conflict") {
            r.conflict_copies.push(path);
        } else {
            r.other_files.push(path);
        }
    }
    let logs = match root.sub(log::LOGS) {
        Ok(Some(l)) => l,
        Ok(None) => return Ok(r),
        Err(_) => {
            r.other_files.push(root.join(log::LOGS));
            return Ok(r);
        }
    };
    for (name, kind) in logs.entries()? {
        let path = logs.join(&name);
        match classify(&name) {
            Some((device, false)) if kind == Kind::File => r.devices.push(DeviceLog {
                device,
                records: records(device, &logs, &name),
                modified_ms: modified_ms(&path),
                this_device: device == own,
            }),
            Some((_, false)) => r.other_files.push(path),
            Some((_, true)) => r.conflict_copies.push(path),
            None if is_temp(&name) => r.temp_files.push(path),
            None => r.other_files.push(path),
        }
    }
    Ok(r)
}

/// Everything under `quarantine/<device>/`.
fn quarantined(root: &Dir) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let Ok(Some(q)) = root.sub(QUARANTINE) else {
        return Ok(out);
    };
    for (device, kind) in q.entries()? {
        match kind {
            Kind::Dir => match q.sub(&device) {
                Ok(Some(d)) => out.extend(d.entries()?.into_iter().map(|(n, _)| d.join(&n))),
                _ => out.push(q.join(&device)),
            },
            _ => out.push(q.join(&device)),
        }
    }
    Ok(out)
}

impl UnlockedVault {
    /// The vault folder, with each device's writes as read and verified.
    pub fn folder_report(&self) -> Result<FolderReport> {
        report(&self.locked.dir, self.device.id(), |device, _, _| {
            self.heads.get(&device).copied().unwrap_or(0)
        })
    }
}

impl LockedVault {
    /// The vault folder as device `own` sees it while locked. Each device's
    /// writes are counted from its log's frames, whose authenticity only
    /// the key can check: the counts are unverified until unlock, and a log
    /// that does not parse counts 0.
    pub fn folder_report(&self, own: DeviceId) -> Result<FolderReport> {
        let vault = self.header.vault_id;
        report(&self.dir, own, |device, logs, name| {
            let Ok(Some(c)) = logs.read(name, log::MAX_LOG_FILE) else {
                return 0;
            };
            log::parse(&c.bytes, &vault, &device)
                .records
                .last()
                .map_or(0, |r| r.seq)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_temp;

    #[test]
    fn temporary_names() {
        for t in [
            ".vault.idp.tmp-a1b2c3",
            "~syncthing~0123.log.tmp",
            ".syncthing.0123.log.tmp",
            "0123.log.part",
        ] {
            assert!(is_temp(t), "{t}");
        }
        assert!(!is_temp("0123456789abcdef0123456789abcdef.log"));
    }
}
