//! The header as it arrives while the vault is open, and putting it back.
//!
//! A header found in the folder is adopted only once authenticated: a
//! header of the next key epoch carries a MAC under this epoch's key, which
//! this device holds. Until then the header this device authenticated last
//! decides. An older header (from before a password change or key
//! rotation), one that differs from the same epoch's, or a damaged one is
//! reported and not used; at unlock, this device's verified copy is put
//! back in its place, the other moved into quarantine.

use super::{UnlockedVault, Warning};
use crate::error::{Result, VaultError};
use crate::vault::{HEADER_FILE, OnDisk, read_disk, root_dir};

impl UnlockedVault {
    /// Compares the folder's header with the one in use (see the module docs).
    pub(super) fn check_header(&mut self) -> Result<Vec<Warning>> {
        let path = self.locked.dir.join(HEADER_FILE);
        let ours = &self.locked.header;
        let h = match read_disk(&self.locked.dir)? {
            OnDisk::Found(h) => *h,
            OnDisk::Absent => {
                return Ok(vec![Warning::HeaderDamaged {
                    path,
                    detail: "vault.idp is missing".into(),
                }]);
            }
            OnDisk::Damaged(e) => {
                return Ok(vec![Warning::HeaderDamaged {
                    path,
                    detail: e.to_string(),
                }]);
            }
        };
        if h.vault_id != ours.vault_id {
            return Err(VaultError::VaultReplaced {
                expected: ours.vault_id.to_hex(),
                found: h.vault_id.to_hex(),
            });
        }
        let bytes = h.encode();
        if bytes == ours.encode() {
            return Ok(Vec::new());
        }
        let rotated = h.key_fp != ours.key_fp;
        let changed = if rotated {
            Warning::KeyRotatedElsewhere
        } else {
            Warning::PasswordChangedElsewhere
        };
        if self
            .newer_header
            .as_ref()
            .is_some_and(|n| n.encode() == bytes)
        {
            return Ok(vec![changed]);
        }
        if h.epoch == ours.epoch + 1 && h.verify_prev_mac(self.keys.current_key()) {
            tracing::warn!(
                epoch = h.epoch,
                rotated,
                "an authenticated header of the next key epoch arrived; this device stops writing"
            );
            self.device.save_verified_header(&h)?;
            self.key_changed = true;
            self.newer_header = Some(h);
            return Ok(vec![changed]);
        }
        let finding = if h.epoch > ours.epoch {
            // Epochs further on carry a MAC under a key this device never
            // had: only an unlock can verify them. The vault key has moved
            // on either way, so nothing more is written under the old one.
            self.key_changed = true;
            Warning::HeaderUnverified { path }
        } else if h.version == 1 && ours.version == 1 {
            // An older idp-vault changed a version 1 header (same vault
            // key): nothing here can check it; the next unlock does.
            Warning::HeaderUnverified { path }
        } else if h.epoch < ours.epoch {
            Warning::HeaderRolledBack {
                path,
                found: h.epoch,
                seen: ours.epoch,
            }
        } else {
            Warning::HeaderAltered { path }
        };
        tracing::warn!(finding = ?finding, "the vault header in the folder is not used");
        Ok(vec![finding])
    }

    /// At unlock with this device's verified copy in place of an older,
    /// altered, damaged or missing header: puts the verified copy back.
    pub(super) fn restore_header(&mut self) -> Result<Vec<Warning>> {
        let replaced = self.locked.findings.iter().any(|f| {
            matches!(
                f,
                Warning::HeaderRolledBack { .. }
                    | Warning::HeaderAltered { .. }
                    | Warning::HeaderDamaged { .. }
            )
        });
        self.locked.findings.clear();
        if !replaced || self.own.is_none() {
            return Ok(Vec::new());
        }
        let root = root_dir(&self.locked.dir)?;
        let moved = match root.kind(HEADER_FILE)? {
            None => None,
            Some(_) => {
                let (dir, to) = self.quarantine_place(&root, HEADER_FILE)?;
                root.move_to(HEADER_FILE, &dir, &to)?;
                Some(dir.join(&to))
            }
        };
        root.write_atomic(HEADER_FILE, &self.locked.header.encode())?;
        let path = root.join(HEADER_FILE);
        tracing::warn!(path = %path.display(), moved = ?moved, "put this device's verified vault header back");
        Ok(vec![Warning::HeaderRestored { path, moved }])
    }
}
