//! The SSH agent socket's reads of the vault: the identities it offers and
//! signatures. Both run on the vault thread like every other operation, so
//! a locked vault offers no key and signs nothing.

use idp_proto::ProtoError;
use idp_proto::config::SshConfirm;
use idp_vault::ItemKind;
use idp_vault::ssh;

use crate::convert::ssh_error;
use crate::state::{AgentState, Vault};

/// A key offered to SSH clients: its public key blob and comment.
pub struct Identity {
    pub blob: Vec<u8>,
    pub comment: String,
}

/// The vault's SSH keys while it is unlocked, none while it is locked.
/// Listing keys is not a use of the vault (it does not push back the
/// idle lock): every `ssh` run asks for them, also for hosts that will
/// use no key of the vault.
pub fn identities(st: &mut AgentState) -> Vec<Identity> {
    let Vault::Unlocked(vault) = &st.vault else {
        return Vec::new();
    };
    let mut out: Vec<(String, Identity)> = vault
        .items()
        .filter(|i| i.kind == ItemKind::SshKey)
        .filter_map(|i| {
            let public = ssh::public_info(i.ssh_public.as_deref()?).ok()?;
            Some((
                i.name.to_lowercase(),
                Identity {
                    blob: public.blob,
                    comment: public.comment,
                },
            ))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, i)| i).collect()
}

/// A key a person must allow before it signs.
pub struct Ask {
    pub name: String,
    pub fingerprint: String,
}

/// Whether signing with the key `blob` must be allowed first: `None` when
/// `confirm` does not ask for it (or it was allowed since the unlock).
pub fn needs_asking(
    st: &mut AgentState,
    blob: &[u8],
    confirm: SshConfirm,
) -> Result<Option<Ask>, ProtoError> {
    let allowed = match confirm {
        SshConfirm::Never => return Ok(None),
        SshConfirm::OncePerUnlock => st.ssh_allowed.clone(),
        SshConfirm::EveryUse => Default::default(),
    };
    let item = super::ssh_add::holding(st, blob)?.ok_or_else(not_held)?;
    if allowed.contains(&item.id) {
        return Ok(None);
    }
    let public = ssh::public_info(item.ssh_public.as_deref().unwrap_or("")).map_err(ssh_error)?;
    Ok(Some(Ask {
        name: item.name.clone(),
        fingerprint: public.fingerprint,
    }))
}

/// Remembers until the next lock that the key `blob` was allowed.
pub fn allowed(st: &mut AgentState, blob: &[u8]) -> Result<(), ProtoError> {
    let id = super::ssh_add::holding(st, blob)?.ok_or_else(not_held)?.id;
    st.ssh_allowed.insert(id);
    Ok(())
}

fn not_held() -> ProtoError {
    ProtoError::NotFound {
        name: "(an SSH key not in the vault)".into(),
    }
}

/// Signs `data` with the vault's key whose public key is `blob`. The
/// answer names the item for the log.
pub fn sign(
    st: &mut AgentState,
    blob: &[u8],
    data: &[u8],
    flags: u32,
) -> Result<(Vec<u8>, String), ProtoError> {
    let item = super::ssh_add::holding(st, blob)?.ok_or_else(not_held)?;
    let private = item.ssh_private.as_ref().ok_or(ProtoError::Vault {
        message: "the SSH key item has no private key".into(),
    })?;
    let sig = ssh::sign(private, data, flags).map_err(ssh_error)?;
    Ok((sig, item.id.to_hex()))
}
