//! `unlock`: both secrets in, the vault open. Throttled after repeated
//! wrong passwords; every attempt that gets past the key check runs the
//! full KDF. The key is the one typed, or the one the RPC handler read from
//! the key cache before sending this job (the vault thread never waits on
//! the keyring); `typed` tells which.

use std::time::Instant;

use idp_proto::{ProtoError, Secret, Status};
use idp_vault::{ClientKey, KeyMatch, VaultError};

use crate::convert::{from_wire, vault_error};
use crate::notices::from_warning;
use crate::state::{AgentState, Vault};

pub fn run(
    st: &mut AgentState,
    password: &Secret,
    key: Option<ClientKey>,
    typed: bool,
) -> Result<Status, ProtoError> {
    st.notice_vault();
    let locked = match &st.vault {
        Vault::Unlocked(_) => return super::status::run(st),
        Vault::None => {
            return Err(st.no_vault());
        }
        Vault::Locked(v) => v.clone(),
    };
    st.throttle
        .check(Instant::now())
        .map_err(|retry_after| ProtoError::Throttled { retry_after })?;
    let vault_id = locked.info().vault_id;
    let key = key.ok_or(ProtoError::KeyNeeded)?;
    match locked.check_key_for_unlock(&key) {
        KeyMatch::Current | KeyMatch::Unverified => {}
        // A cached key replaced on another device: ask for the new kit.
        KeyMatch::Stale { .. } if !typed => return Err(ProtoError::KeyNeeded),
        KeyMatch::Stale { .. } => return Err(ProtoError::StaleKey),
        KeyMatch::Foreign => return Err(ProtoError::ForeignKey),
    }
    let password = from_wire(password);
    match locked.unlock(&password, &key, &st.device) {
        Ok(vault) => {
            st.notices.clear();
            for w in vault.warnings() {
                tracing::warn!(warning = ?w, "vault opened with a warning");
                st.notice(from_warning(w));
            }
            if vault.read_only() {
                tracing::warn!(vault = %vault_id, "unlocked read-only: the vault folder cannot be written");
            }
            st.throttle.succeeded();
            st.vault = Vault::Unlocked(vault);
            st.recount();
            st.timers.start(Instant::now());
            st.bump();
            tracing::info!(vault = %vault_id, "unlocked");
            super::status::run(st)
        }
        Err(VaultError::WrongPassword) => {
            st.throttle.failed(Instant::now());
            tracing::warn!(vault = %vault_id, "unlock refused: the password check failed");
            Err(ProtoError::WrongPassword)
        }
        Err(e) => Err(vault_error(e)),
    }
}
