//! `ssh_export`: an SSH key item's private key as an unencrypted OpenSSH
//! file. The password is checked again first (a full key derivation,
//! throttled like `unlock`), as for `export`.

use idp_proto::{ProtoError, Secret};
use idp_vault::ItemKind;

use crate::convert::{from_wire, to_wire};
use crate::state::{AgentState, resolve};

pub fn run(st: &mut AgentState, name: &str, password: &Secret) -> Result<Secret, ProtoError> {
    let vault = st.unlocked()?;
    let id = resolve(vault, name)?;
    match vault.get(&id) {
        Some(item) if item.kind == ItemKind::SshKey => {}
        Some(_) => return Err(super::ssh_list::not_ssh(name)),
        None => return Err(ProtoError::NotFound { name: name.into() }),
    }
    super::password_checked(st, "ssh export", |v| {
        v.verify_password(&from_wire(password))
    })?;
    let private = st
        .unlocked()?
        .get(&id)
        .and_then(|i| i.ssh_private.as_ref())
        .map(to_wire)
        .ok_or_else(|| ProtoError::NotFound { name: name.into() })?;
    tracing::warn!(item = %id, "SSH private key handed out in plaintext");
    Ok(private)
}
