//! Resetting a vault: every item is deleted for good and the folder gets a
//! new vault id, salt, vault key and client key.
//!
//! The order makes a crash at any point safe:
//!
//! 1. The new header replaces the old one atomically (temp file, fsync,
//!    rename, folder fsync). This is the commit point: the old vault key was
//!    wrapped only in the old header, so from here on the old logs can never
//!    be opened again, by anyone.
//! 2. The old logs are deleted, then the folder is fsynced.
//!
//! A crash before step 1 leaves the old vault as it was; a crash between
//! the steps leaves logs that name the old vault id. Those are skipped (and
//! reported) by every reader, this device's own old log is started afresh
//! on its next unlock, and running the reset again removes them. Another
//! device still holding the old vault sees the vault id change on its next
//! refresh (`VaultError::VaultReplaced`) and stops instead of merging old
//! data into the new vault; anything it appends meanwhile goes to a log
//! of the old vault id, which is skipped in the same way.

use std::fs;
use std::io::Read;
use std::path::Path;

use crate::ClientKey;
use crate::device::{Device, write_atomic};
use crate::error::{Result, VaultError};
use crate::ids::VaultId;
use crate::kdf::KdfParams;
use crate::log::{self, fsync_dir};
use crate::secret::SecretString;
use crate::state::UnlockedVault;
use crate::vault::{HEADER_FILE, LockedVault, fresh_header, prepare_new};

/// The vault id a log file names in its header, if it has a whole one.
pub(crate) fn log_vault_id(bytes: &[u8]) -> Option<VaultId> {
    let id: [u8; 16] = bytes.get(8..24)?.try_into().ok()?;
    (bytes.get(..8)? == log::MAGIC).then(|| VaultId::from_bytes(id))
}

/// The vault id named by the log file at `path`, read from its first bytes.
fn file_vault_id(path: &Path) -> Option<VaultId> {
    let mut head = [0u8; log::FILE_HEADER_LEN];
    let mut f = fs::File::open(path).ok()?;
    f.read_exact(&mut head).ok()?;
    log_vault_id(&head)
}

impl LockedVault {
    /// Deletes every item of the vault in `dir` (there may be none, or a
    /// damaged one) and makes a new vault there, returned unlocked with its
    /// new client key. Nothing of the old vault can be recovered afterwards.
    pub fn reset(
        dir: &Path,
        name: &str,
        password: &SecretString,
        params: KdfParams,
        device: &Device,
    ) -> Result<(UnlockedVault, ClientKey)> {
        let logs = prepare_new(dir, name, &params)?;
        let (header, vault_key, key) = fresh_header(name, password, params)?;
        write_atomic(&dir.join(HEADER_FILE), &header.encode())?;
        tracing::info!(vault = %header.vault_id, "vault reset: new header written");
        remove_old_logs(&logs, &header.vault_id)?;
        let locked = LockedVault {
            dir: dir.to_path_buf(),
            header,
        };
        let unlocked = UnlockedVault::open(locked, vault_key, key.clone(), device.clone())?;
        Ok((unlocked, key))
    }
}

/// Deletes every device log (and sync-tool copy of one) in `logs` that does
/// not belong to `current`, then makes the deletions durable.
fn remove_old_logs(logs: &Path, current: &VaultId) -> Result<()> {
    let listing = fs::read_dir(logs).map_err(|e| VaultError::io(logs, e))?;
    for entry in listing {
        let entry = entry.map_err(|e| VaultError::io(logs, e))?;
        let path = entry.path();
        let name = entry.file_name();
        let is_log = crate::state::classify(&name.to_string_lossy()).is_some();
        let ours = file_vault_id(&path).is_some_and(|id| id == *current);
        if is_log && !ours {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(VaultError::io(&path, e)),
            }
        }
    }
    fsync_dir(logs)
}
