//! Errors the agent reports, each with what to do next.

use serde::{Deserialize, Serialize};

/// Everything a call can fail with. `Display` says what went wrong;
/// [`ProtoError::next_step`] says what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum ProtoError {
    #[error("the agent speaks protocol {agent}, this client speaks {client}")]
    ProtocolMismatch { agent: u32, client: u32 },
    #[error("there is no vault in {dir}")]
    NoVault { dir: String },
    #[error("a vault already exists in {dir}")]
    VaultExists { dir: String },
    #[error("the vault is locked")]
    Locked,
    #[error("this device does not know the vault's client key")]
    KeyNeeded,
    #[error("wrong password")]
    WrongPassword,
    #[error("this client key belongs to another vault")]
    ForeignKey,
    #[error("this client key was replaced by a newer one")]
    StaleKey,
    #[error("{reason}")]
    BadKey { reason: String },
    #[error("too many failed unlock attempts: try again in {retry_after} s")]
    Throttled { retry_after: u64 },
    #[error("no item named {name:?}")]
    NotFound { name: String },
    #[error("{count} items are named {name:?}")]
    Ambiguous { name: String, count: u64 },
    #[error("{reason}")]
    Invalid { reason: String },
    #[error("{message}")]
    Vault { message: String },
    #[error("this device cannot cache the client key: {reason}")]
    NoKeyCache { reason: String },
    #[error("this kit belongs to another vault")]
    OtherVault,
}

impl ProtoError {
    /// One sentence telling a person what to do next.
    pub fn next_step(&self) -> String {
        match self {
            Self::ProtocolMismatch { .. } => {
                "restart the agent so that it matches this idp: `idp lock` then stop `idp-agent` \
                 (or `systemctl --user restart idp-agent`)"
                    .into()
            }
            Self::NoVault { .. } => "create one with `idp init`".into(),
            Self::VaultExists { .. } => {
                "unlock it with `idp unlock`, or set another `vault_dir` in config.toml".into()
            }
            Self::Locked => "unlock it with `idp unlock`".into(),
            Self::KeyNeeded => {
                "run `idp unlock` and type the client key from your emergency kit when asked \
                 (or pass it with --client-key-stdin)"
                    .into()
            }
            Self::WrongPassword => {
                "check the password and try again; the client key was accepted".into()
            }
            Self::ForeignKey => {
                "use the emergency kit made for this vault (compare the fingerprint in `idp status`)"
                    .into()
            }
            Self::StaleKey => "use the client key from your newest emergency kit".into(),
            Self::BadKey { .. } => "type the key again from your emergency kit".into(),
            Self::Throttled { retry_after } => format!("wait {retry_after} s, then unlock again"),
            Self::NotFound { .. } => "list the names with `idp list` or `idp search`".into(),
            Self::Ambiguous { .. } => {
                "name the item by its id, shown by `idp search NAME --json`".into()
            }
            Self::Invalid { .. } => "see `idp help` for what each option accepts".into(),
            Self::NoKeyCache { .. } => {
                "unlock with the key typed (`idp unlock`), or start a Secret Service \
                 (gnome-keyring) in your session; `idp status` shows the cache"
                    .into()
            }
            Self::OtherVault => {
                "find the kit made for this vault (`idp status` shows its key fingerprint)".into()
            }
            Self::Vault { .. } => {
                "check the vault folder and the agent's log (journalctl --user -u idp-agent, or \
                 the state folder's agent.log)"
                    .into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_message_and_a_next_step() {
        let all = [
            ProtoError::ProtocolMismatch {
                agent: 2,
                client: 1,
            },
            ProtoError::NoVault { dir: "/v".into() },
            ProtoError::VaultExists { dir: "/v".into() },
            ProtoError::Locked,
            ProtoError::KeyNeeded,
            ProtoError::WrongPassword,
            ProtoError::ForeignKey,
            ProtoError::StaleKey,
            ProtoError::BadKey {
                reason: "typo".into(),
            },
            ProtoError::Throttled { retry_after: 8 },
            ProtoError::NotFound { name: "x".into() },
            ProtoError::Ambiguous {
                name: "x".into(),
                count: 2,
            },
            ProtoError::Invalid {
                reason: "bad".into(),
            },
            ProtoError::Vault {
                message: "disk full".into(),
            },
            ProtoError::NoKeyCache {
                reason: "no session bus".into(),
            },
            ProtoError::OtherVault,
        ];
        for e in all {
            assert!(!e.to_string().is_empty());
            assert!(e.next_step().len() > 10, "{e:?}");
        }
        assert_eq!(
            ProtoError::Throttled { retry_after: 8 }.to_string(),
            "too many failed unlock attempts: try again in 8 s"
        );
    }
}
