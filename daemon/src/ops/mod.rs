//! One file per operation. Each runs on the actor thread with the state
//! borrowed mutably, and returns what the RPC answers. The key-cache
//! operations (`import_key`, `forget_key`) are async: they pass between the
//! vault thread and the keyring thread.

pub mod add;
pub mod change_password;
pub mod check_key;
pub mod edit;
pub mod export;
pub mod forget_key;
pub mod get;
pub mod history;
pub mod import;
pub mod import_key;
pub mod init;
pub mod kit;
pub mod list;
pub mod lock;
pub mod refresh;
pub mod remove;
pub mod reset;
pub mod rotate_key;
pub mod search;
pub mod ssh_add;
pub mod ssh_export;
pub mod ssh_list;
pub mod ssh_sign;
pub mod status;
pub mod totp;
pub mod unlock;
pub mod vault_info;

/// Runs `check` on the unlocked vault as a password check: throttled like
/// `unlock`, a wrong password counted and logged as `what` refused.
pub fn password_checked<T>(
    st: &mut crate::state::AgentState,
    what: &str,
    check: impl FnOnce(&mut idp_vault::UnlockedVault) -> Result<T, idp_vault::VaultError>,
) -> Result<T, idp_proto::ProtoError> {
    use std::time::Instant;
    st.throttle
        .check(Instant::now())
        .map_err(|retry_after| idp_proto::ProtoError::Throttled { retry_after })?;
    match check(st.unlocked()?) {
        Ok(v) => {
            st.throttle.succeeded();
            Ok(v)
        }
        Err(idp_vault::VaultError::WrongPassword) => {
            st.throttle.failed(Instant::now());
            tracing::warn!("{what} refused: the password check failed");
            Err(idp_proto::ProtoError::WrongPassword)
        }
        Err(e) => Err(crate::convert::vault_error(e)),
    }
}
