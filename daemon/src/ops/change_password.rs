//! `change_password`: the current password is checked (a full key
//! derivation, throttled like `unlock`), then the header is rewritten with
//! the new one. The vault key and every record stay as they are, so other
//! devices keep their items and unlock with the new password once the
//! header reaches them.

use std::time::Instant;

use idp_proto::{ChangePasswordRequest, ProtoError, Status};
use idp_vault::{KdfParams, VaultError};

use crate::convert::{from_wire, vault_error};
use crate::state::AgentState;

pub fn run(st: &mut AgentState, req: ChangePasswordRequest) -> Result<Status, ProtoError> {
    if req.new.is_empty() {
        return Err(ProtoError::Invalid {
            reason: "the new password is empty".into(),
        });
    }
    let params = match req.kdf {
        Some(k) => {
            Some(KdfParams::new(k.memory_kib, k.iterations, k.parallelism).map_err(vault_error)?)
        }
        None => None,
    };
    st.throttle
        .check(Instant::now())
        .map_err(|retry_after| ProtoError::Throttled { retry_after })?;
    let vault = st.unlocked()?;
    match vault.change_password(&from_wire(&req.current), &from_wire(&req.new), params) {
        Ok(()) => {}
        Err(VaultError::WrongPassword) => {
            st.throttle.failed(Instant::now());
            tracing::warn!("password change refused: the current password check failed");
            return Err(ProtoError::WrongPassword);
        }
        Err(e) => return Err(vault_error(e)),
    }
    st.throttle.succeeded();
    tracing::info!("password changed");
    st.bump();
    super::status::run(st)
}
