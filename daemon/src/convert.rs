//! Between the vault's types and the wire's. Secrets are copied from one
//! zeroizing type into another, never through a plain `String`.

use idp_proto::{
    ItemData, ItemPatch, ItemSummary, KdfSettings, ProtoError, Secret, SshKeyInfo, VaultSummary,
};
use idp_vault::ssh::SshError;
use idp_vault::{Item, ItemKind, KdfParams, SecretString, VaultError, VaultInfo};

pub fn kind_to_wire(k: ItemKind) -> idp_proto::ItemKind {
    match k {
        ItemKind::Login => idp_proto::ItemKind::Login,
        ItemKind::Note => idp_proto::ItemKind::Note,
        ItemKind::Card => idp_proto::ItemKind::Card,
        ItemKind::SshKey => idp_proto::ItemKind::SshKey,
    }
}

pub fn kind_from_wire(k: idp_proto::ItemKind) -> ItemKind {
    match k {
        idp_proto::ItemKind::Login => ItemKind::Login,
        idp_proto::ItemKind::Note => ItemKind::Note,
        idp_proto::ItemKind::Card => ItemKind::Card,
        idp_proto::ItemKind::SshKey => ItemKind::SshKey,
    }
}

/// The public parts of an SSH key item.
pub fn ssh_info(item: &Item) -> Result<SshKeyInfo, SshError> {
    let public = idp_vault::ssh::public_info(item.ssh_public.as_deref().unwrap_or(""))?;
    Ok(SshKeyInfo {
        id: item.id.to_hex(),
        name: item.name.clone(),
        key_type: public.key_type.into(),
        bits: public.bits,
        fingerprint: public.fingerprint,
        public: public.line,
        comment: public.comment,
    })
}

pub fn ssh_error(e: SshError) -> ProtoError {
    ProtoError::Invalid {
        reason: e.to_string(),
    }
}

pub fn to_wire(s: &SecretString) -> Secret {
    Secret::new(s.expose())
}

pub fn from_wire(s: &Secret) -> SecretString {
    SecretString::from_str_exact(s.expose())
}

fn opt_from_wire(s: Option<Secret>) -> Option<SecretString> {
    s.as_ref().filter(|s| !s.is_empty()).map(from_wire)
}

pub fn summary(item: &Item) -> ItemSummary {
    ItemSummary {
        id: item.id.to_hex(),
        kind: kind_to_wire(item.kind),
        name: item.name.clone(),
        username: item.username.clone(),
        urls: item.urls.clone(),
        tags: item.tags.clone(),
        modified: item.modified_ms,
    }
}

/// Summaries of `items`, by name (ignoring case), then id.
pub fn sorted_summaries<'a>(items: impl Iterator<Item = &'a Item>) -> Vec<ItemSummary> {
    let mut out: Vec<ItemSummary> = items.map(summary).collect();
    out.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    out
}

pub fn data(item: &Item) -> ItemData {
    ItemData {
        id: item.id.to_hex(),
        kind: kind_to_wire(item.kind),
        name: item.name.clone(),
        tags: item.tags.clone(),
        created: item.created_ms,
        modified: item.modified_ms,
        username: item.username.clone(),
        password: item.password.as_ref().map(to_wire),
        urls: item.urls.clone(),
        totp: item.totp.as_ref().map(to_wire),
        notes: item.notes.as_ref().map(to_wire),
        card_holder: item.card_holder.clone(),
        card_number: item.card_number.as_ref().map(to_wire),
        card_expiry: item.card_expiry.clone(),
        card_cvv: item.card_cvv.as_ref().map(to_wire),
    }
}

/// A new vault item from what the client sent.
pub fn new_item(d: ItemData) -> Item {
    let mut item = Item::new(kind_from_wire(d.kind), &d.name);
    item.tags = d.tags;
    item.username = d.username;
    item.password = opt_from_wire(d.password);
    item.urls = d.urls;
    item.totp = opt_from_wire(d.totp);
    item.notes = opt_from_wire(d.notes);
    item.card_holder = d.card_holder;
    item.card_number = opt_from_wire(d.card_number);
    item.card_expiry = d.card_expiry;
    item.card_cvv = opt_from_wire(d.card_cvv);
    item
}

/// Applies `patch`; an empty secret clears the field.
pub fn apply(item: &mut Item, patch: ItemPatch) {
    let ItemPatch {
        name,
        kind,
        username,
        password,
        urls,
        tags,
        totp,
        notes,
        card_holder,
        card_number,
        card_expiry,
        card_cvv,
    } = patch;
    if let Some(v) = name {
        item.name = v;
    }
    if let Some(v) = kind {
        item.kind = kind_from_wire(v);
    }
    if let Some(v) = username {
        item.username = Some(v).filter(|s| !s.is_empty());
    }
    if let Some(v) = urls {
        item.urls = v;
    }
    if let Some(v) = tags {
        item.tags = v;
    }
    if let Some(v) = card_holder {
        item.card_holder = Some(v).filter(|s| !s.is_empty());
    }
    if let Some(v) = card_expiry {
        item.card_expiry = Some(v).filter(|s| !s.is_empty());
    }
    for (field, value) in [
        (&mut item.password, password),
        (&mut item.totp, totp),
        (&mut item.notes, notes),
        (&mut item.card_number, card_number),
        (&mut item.card_cvv, card_cvv),
    ] {
        if value.is_some() {
            *field = opt_from_wire(value);
        }
    }
}

pub fn vault_summary(info: &VaultInfo) -> VaultSummary {
    VaultSummary {
        id: info.vault_id.to_hex(),
        name: info.name.clone(),
        created: info.created_ms,
        key_fingerprint: info.key_fingerprint.short(),
        kdf: kdf_to_wire(info.kdf),
    }
}

pub fn kdf_to_wire(k: KdfParams) -> KdfSettings {
    KdfSettings {
        memory_kib: k.memory_kib,
        iterations: k.iterations,
        parallelism: k.parallelism,
    }
}

/// The wire error for a vault error. Crypto failures stay as vague as the
/// vault made them; the rest keep the vault's own advice.
///
/// Every operation's vault error passes through here, so this is where the
/// agent logs what went wrong with the folder: the CLI's advice for these
/// errors points at the agent's log.
pub fn vault_error(e: VaultError) -> ProtoError {
    log_folder_failure(&e);
    match e {
        VaultError::NoVault { path } => ProtoError::NoVault {
            dir: path.display().to_string(),
        },
        VaultError::AlreadyExists { path } => ProtoError::VaultExists {
            dir: path.display().to_string(),
        },
        VaultError::WrongPassword => ProtoError::WrongPassword,
        VaultError::ForeignKey => ProtoError::ForeignKey,
        VaultError::StaleKey { .. } => ProtoError::StaleKey,
        e @ (VaultError::KdfOutOfBounds { .. }
        | VaultError::WeakKdf { .. }
        | VaultError::ItemTooLarge { .. }
        | VaultError::NameTooLong { .. }
        | VaultError::NameControl { .. }) => ProtoError::Invalid {
            reason: e.to_string(),
        },
        other => ProtoError::Vault {
            message: other.to_string(),
        },
    }
}

/// Logs a failure to read or write the vault folder, with the file and the
/// operating system's error (a full disk, a read-only or immutable file).
/// Paths and OS errors only: no item data reaches these variants. Paths
/// are escaped: a conflicted copy's name is chosen by whoever wrote it.
fn log_folder_failure(e: &VaultError) {
    let shown = |p: &std::path::Path| idp_proto::text::shown(&p.to_string_lossy()).into_owned();
    match e {
        VaultError::Io { path, source } => tracing::error!(
            file = %shown(path),
            error = %source,
            "a vault file could not be read or written"
        ),
        VaultError::LogBusy { path } => tracing::error!(
            file = %shown(path),
            "this device's log is in use by another idp process"
        ),
        VaultError::Corrupt { path, detail } => tracing::warn!(
            file = %shown(path),
            detail = %idp_proto::text::shown(detail),
            "a vault file is damaged"
        ),
        _ => {}
    }
}

/// The wire error for a name refused at `add` or `edit`.
pub fn name_error(e: idp_vault::NameError) -> ProtoError {
    ProtoError::Invalid {
        reason: e.to_string(),
    }
}

/// What an emergency kit of `key` shows, for the client to draw.
pub fn kit_material(info: VaultInfo, key: &idp_vault::ClientKey) -> idp_proto::KitMaterial {
    idp_proto::KitMaterial {
        vault_id: info.vault_id.to_hex(),
        vault_name: info.name,
        key_created: info.key_created_ms,
        key: Secret::new(key.expose_canonical().expose()),
    }
}
