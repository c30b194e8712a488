//! `ssh_list` and `ssh_key`: SSH key items, public parts only.

use idp_proto::{ProtoError, SshKeyInfo};
use idp_vault::ItemKind;

use crate::convert::{ssh_error, ssh_info};
use crate::state::{AgentState, resolve};

pub fn list(st: &mut AgentState) -> Result<Vec<SshKeyInfo>, ProtoError> {
    let vault = st.unlocked()?;
    let mut out = Vec::new();
    for item in vault.items().filter(|i| i.kind == ItemKind::SshKey) {
        match ssh_info(item) {
            Ok(info) => out.push(info),
            Err(e) => tracing::warn!(item = %item.id, error = %e, "an SSH key item cannot be read"),
        }
    }
    out.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    Ok(out)
}

pub fn key(st: &mut AgentState, name: &str) -> Result<SshKeyInfo, ProtoError> {
    let vault = st.unlocked()?;
    let id = resolve(vault, name)?;
    let item = vault
        .get(&id)
        .ok_or_else(|| ProtoError::NotFound { name: name.into() })?;
    if item.kind != ItemKind::SshKey {
        return Err(not_ssh(name));
    }
    ssh_info(item).map_err(ssh_error)
}

pub fn not_ssh(name: &str) -> ProtoError {
    ProtoError::Invalid {
        reason: format!("{name:?} is not an SSH key: `idp ssh list` shows them"),
    }
}
