//! `check_key`: whether a key read from a kit belongs to this vault, is an
//! older (rotated) key of it, or another vault's. No password: the vault
//! header's key fingerprints answer it, locked or unlocked.

use idp_proto::{KeyCheck, ProtoError, Secret};
use idp_vault::{ClientKey, KeyMatch, VaultId};

use crate::state::{AgentState, Vault};

pub fn run(st: &mut AgentState, vault_id: &str, key: &Secret) -> Result<KeyCheck, ProtoError> {
    st.notice_vault();
    let key = ClientKey::parse(key.expose()).map_err(|e| ProtoError::BadKey {
        reason: e.to_string(),
    })?;
    let kit_vault: VaultId = vault_id.parse().map_err(|_| ProtoError::Invalid {
        reason: format!("{vault_id:?} is not a vault id"),
    })?;
    let (ours, matched) = match &st.vault {
        Vault::Locked(v) => (v.info().vault_id, v.check_key(&key)),
        Vault::Unlocked(v) => (v.info().vault_id, v.check_key(&key)),
        Vault::None => {
            return Err(st.no_vault());
        }
    };
    if kit_vault != ours {
        return Ok(KeyCheck::OtherVault {
            vault_id: kit_vault.to_hex(),
        });
    }
    Ok(match matched {
        KeyMatch::Current => KeyCheck::Current,
        KeyMatch::Stale { retired_ms } => KeyCheck::Stale {
            retired: retired_ms,
        },
        KeyMatch::Foreign => KeyCheck::Foreign,
        KeyMatch::Unverified => {
            return Err(ProtoError::Invalid {
                reason: "this key belongs to a vault header that changed since this device \
                         last verified it (a key rotated on another device?): unlock with \
                         `idp unlock --kit FILE` and your password to check it"
                    .into(),
            });
        }
    })
}
