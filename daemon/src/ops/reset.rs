//! `reset`: deletes every item and makes a new vault in the same folder
//! (new vault id, client key and vault key; see `idp_vault::LockedVault::
//! reset` for the crash-safe order). The client confirmed the vault id it
//! shows the person; a folder that changed in between is not reset.

use std::time::Instant;

use idp_proto::{KitMaterial, ProtoError, ResetRequest};
use idp_vault::{KdfParams, LockedVault};

use crate::convert::{from_wire, kit_material, vault_error};
use crate::state::{AgentState, Vault};
use crate::timeout::LockReason;

pub fn run(st: &mut AgentState, req: ResetRequest) -> Result<KitMaterial, ProtoError> {
    st.notice_vault();
    let current = match &st.vault {
        Vault::None => None,
        Vault::Locked(v) => Some(v.info()),
        Vault::Unlocked(v) => Some(v.info()),
    };
    if req.expected_vault != current.as_ref().map(|i| i.vault_id.to_hex()) {
        return Err(ProtoError::Invalid {
            reason: "the vault folder changed since the reset was confirmed; nothing was deleted"
                .into(),
        });
    }
    if req.password.is_empty() {
        return Err(ProtoError::Invalid {
            reason: "the new password is empty".into(),
        });
    }
    let params = match req.kdf {
        Some(k) => {
            KdfParams::new(k.memory_kib, k.iterations, k.parallelism).map_err(vault_error)?
        }
        None => KdfParams::DEFAULT,
    };
    let name = req
        .name
        .or_else(|| current.map(|i| i.name))
        .unwrap_or_else(|| "Personal".into());
    // The old vault's own log is locked while it is open: close it first.
    st.lock(LockReason::Reset);
    st.vault = Vault::None;
    let password = from_wire(&req.password);
    let (vault, key) = match LockedVault::reset(&st.vault_dir, &name, &password, params, &st.device)
    {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "vault reset failed");
            st.notice_vault();
            st.bump();
            return Err(vault_error(e));
        }
    };
    let info = vault.info();
    tracing::warn!(vault = %info.vault_id, "vault reset: every item was deleted");
    st.notices.clear();
    st.vault = Vault::Unlocked(vault);
    st.recount();
    st.timers.start(Instant::now());
    st.bump();
    Ok(kit_material(info, &key))
}
