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

use std::path::Path;

use crate::ClientKey;
use crate::device::Device;
use crate::error::Result;
use crate::fsx::Dir;
use crate::ids::VaultId;
use crate::kdf::KdfParams;
use crate::log;
use crate::secret::SecretString;
use crate::state::UnlockedVault;
use crate::vault::{LockedVault, fresh_header, prepare_new, root_dir, write_header};

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
        prepare_new(dir, name, &params)?;
        let (header, vault_key, key) = fresh_header(name, password, params)?;
        write_header(dir, &header)?;
        device.save_verified_header(&header)?;
        tracing::info!(vault = %header.vault_id, "vault reset: new header written");
        let root = root_dir(dir)?;
        if let Some(logs) = root.sub(log::LOGS)? {
            remove_old_logs(&logs, &header.vault_id)?;
        }
        let locked = LockedVault::from_new_header(dir, header);
        let unlocked = UnlockedVault::open(locked, vault_key, key.clone(), device.clone())?;
        Ok((unlocked, key))
    }
}

/// Deletes every device log (and sync-tool copy of one) in `logs` that does
/// not belong to `current` (links are removed, never followed), then makes
/// the deletions durable. The person confirmed deleting every item.
fn remove_old_logs(logs: &Dir, current: &VaultId) -> Result<()> {
    for (name, _) in logs.entries()? {
        if crate::state::classify(&name).is_none() {
            continue;
        }
        let head = logs.read(&name, log::MAX_LOG_FILE).ok().flatten();
        let ours = head.is_some_and(|c| log::file_vault_id(&c.bytes) == Some(*current));
        if !ours {
            logs.unlink(&name)?;
        }
    }
    logs.sync()
}
