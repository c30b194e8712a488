//! `ssh_generate`, `ssh_import`, and `ssh-add FILE` through the SSH agent
//! socket: a new SSH key item, durable before the reply. A key already in
//! the vault (the same public key) is not stored twice.

use idp_proto::{ProtoError, Secret, SshKeyInfo, SshKeyType};
use idp_vault::ssh::{self, NewSshKey};
use idp_vault::{Item, ItemKind};

use crate::convert::{from_wire, name_error, ssh_error, ssh_info, vault_error};
use crate::state::AgentState;

pub fn generate(
    st: &mut AgentState,
    name: &str,
    key_type: SshKeyType,
    comment: Option<&str>,
) -> Result<SshKeyInfo, ProtoError> {
    idp_vault::check_name(name).map_err(name_error)?;
    st.unlocked()?;
    let ty = match key_type {
        SshKeyType::Ed25519 => ssh::SshKeyType::Ed25519,
        SshKeyType::EcdsaP256 => ssh::SshKeyType::EcdsaP256,
        SshKeyType::EcdsaP384 => ssh::SshKeyType::EcdsaP384,
        SshKeyType::Rsa => ssh::SshKeyType::Rsa,
    };
    let key = ssh::generate(ty, comment.unwrap_or(name)).map_err(ssh_error)?;
    store(st, name, key)
}

pub fn import(st: &mut AgentState, name: &str, private: &Secret) -> Result<SshKeyInfo, ProtoError> {
    idp_vault::check_name(name).map_err(name_error)?;
    st.unlocked()?;
    let key = ssh::import(from_wire(private).expose().as_bytes(), None).map_err(ssh_error)?;
    if let Some(there) = holding(st, &key.public.blob)? {
        return Err(ProtoError::Invalid {
            reason: format!("this key is already in the vault as {:?}", there.name),
        });
    }
    store(st, name, key)
}

/// `SSH_AGENTC_ADD_IDENTITY`: stores the key unless the vault holds it
/// already. Its item is named after the key's comment, else its
/// fingerprint.
pub fn from_agent(st: &mut AgentState, key: NewSshKey) -> Result<(), ProtoError> {
    st.unlocked()?;
    if holding(st, &key.public.blob)?.is_some() {
        return Ok(());
    }
    let name = match key.public.comment.trim() {
        c if idp_vault::check_name(c).is_ok() => c.to_string(),
        _ => format!("ssh key {}", key.public.fingerprint),
    };
    store(st, &name, key).map(|_| ())
}

/// The SSH key item holding the public key `blob`, if any.
pub fn holding<'a>(st: &'a mut AgentState, blob: &[u8]) -> Result<Option<&'a Item>, ProtoError> {
    Ok(st.unlocked()?.items().find(|i| {
        i.kind == ItemKind::SshKey
            && i.ssh_public
                .as_deref()
                .and_then(|l| ssh::public_info(l).ok())
                .is_some_and(|p| p.blob == blob)
    }))
}

fn store(st: &mut AgentState, name: &str, key: NewSshKey) -> Result<SshKeyInfo, ProtoError> {
    let vault = st.unlocked()?;
    let id = vault.add(key.into_item(name)).map_err(vault_error)?;
    let item = vault.get(&id).ok_or(ProtoError::Vault {
        message: "the item just added is missing".into(),
    })?;
    let info = ssh_info(item).map_err(ssh_error)?;
    tracing::info!(item = %id, fingerprint = %info.fingerprint, "SSH key added");
    st.item_count += 1;
    Ok(info)
}
