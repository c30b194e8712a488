//! `refresh`: not an RPC; the vault folder watcher queues it when files in
//! the folder change. Reads what other devices wrote (the vault re-reads
//! only logs that changed), updates the notices, and bumps the generation
//! when anything a client sees changed, so `watch` callers hear of it.
//!
//! A vault id that changed on disk means the vault was reset on another
//! device: this device locks (nothing of the old vault is merged into the
//! new one) and says so.

use idp_vault::{LockedVault, VaultError, VaultInfo};

use crate::keyring::Known;
use crate::notices::{from_warning, is_current_state, notice};
use crate::state::{AgentState, Vault};
use crate::timeout::LockReason;

pub fn run(st: &mut AgentState) {
    st.notice_vault();
    if let Vault::Locked(v) = &st.vault {
        match LockedVault::open_for(&st.vault_dir, &st.device) {
            // A new header (password, key or reset elsewhere): `status` and
            // the next unlock must use it; what this device trusts until an
            // unlock verifies it is what `info` shows.
            Ok(fresh) if fresh.info() != v.info() || fresh.findings() != v.findings() => {
                recheck_key_if_rotated(st, &v.info(), &fresh.info());
                st.notices.retain(|n| !is_current_state(n));
                for f in fresh.findings() {
                    st.notice(from_warning(f));
                }
                st.vault = Vault::Locked(fresh);
                st.bump();
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the vault header");
                st.notice(notice("header_damaged", e.to_string()));
            }
        }
        return;
    }
    let (result, changed) = match &mut st.vault {
        Vault::None | Vault::Locked(_) => return,
        Vault::Unlocked(v) => {
            let before = (v.heads().clone(), v.info());
            let result = v.refresh();
            let after = (v.heads().clone(), v.info());
            recheck_key_if_rotated(st, &before.1, &after.1);
            (result, before != after)
        }
    };
    let old = st.notices.clone();
    match result {
        Ok(warnings) => {
            st.notices.retain(|n| !is_current_state(n));
            for w in &warnings {
                st.notice(from_warning(w));
            }
            if matches!(&st.vault, Vault::Unlocked(v) if v.key_changed()) {
                // Another device re-keyed the vault (its header is
                // authenticated): nothing more is written under the old key.
                st.lock(LockReason::KeyChanged);
                st.bump();
                return;
            }
        }
        Err(VaultError::VaultReplaced { expected, found }) => {
            tracing::warn!(%expected, %found, "the vault was reset on another device");
            st.lock(LockReason::Reset);
            st.vault = Vault::None;
            st.notices.clear();
            st.notice(notice(
                "vault_reset_elsewhere",
                format!(
                    "the vault was reset on another device (vault {expected} is now {found}): \
                     this device locked and merged nothing; unlock with the new vault's \
                     emergency kit"
                ),
            ));
            st.notice_vault();
            st.bump();
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "refresh failed");
            st.notices.retain(|n| n.kind != "refresh_failed");
            st.notice(notice(
                "refresh_failed",
                format!("reading the vault folder failed: {e}"),
            ));
        }
    }
    if changed {
        tracing::debug!("merged changes from the vault folder");
        st.recount();
    }
    if changed || old != st.notices {
        st.bump();
    }
}

/// The client key was rotated on another device: what the key cache holds
/// must be looked up again (it is now stale, unless the new kit was
/// imported), so `status` does not keep saying the key is known.
fn recheck_key_if_rotated(st: &mut AgentState, before: &VaultInfo, after: &VaultInfo) {
    if before.vault_id == after.vault_id && before.key_fingerprint != after.key_fingerprint {
        tracing::info!(vault = %after.vault_id, "the client key was rotated elsewhere");
        st.key_view.set(after.vault_id, Known::Unchecked);
    }
}
