//! Requests and replies. Every secret field is a [`Secret`].

use serde::{Deserialize, Serialize};

use crate::Secret;

/// The agent's answer to `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    /// The agent's package version, for `idp status`.
    pub agent_version: String,
    pub pid: u32,
}

/// What the agent holds. These are the states of its one state owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// No vault in the vault folder: `idp init` creates one.
    NoVault,
    /// The vault folder holds a vault whose header cannot be used (damaged,
    /// missing beside device logs, or of a newer format) and this device has
    /// no verified copy of it: the notices say what to do. `idp init` refuses.
    Damaged,
    /// A vault exists and is locked. `key_known` tells whether unlocking
    /// needs only the password or the client key too.
    Locked { key_known: bool },
    /// The vault is open in the agent's memory.
    Unlocked,
}

/// A snapshot of the agent, as `status` and `watch` return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub state: State,
    /// Increases on every change of `state`; `watch` waits for it to move.
    pub generation: u64,
    /// The vault folder the agent serves.
    pub vault_dir: String,
    /// The vault's public header, when there is a vault.
    pub vault: Option<VaultSummary>,
    /// Number of items while unlocked.
    pub items: Option<u64>,
    /// Seconds until the idle auto-lock, while unlocked.
    pub idle_lock_in: Option<u64>,
    /// Seconds until the absolute auto-lock, while unlocked.
    pub max_lock_in: Option<u64>,
    /// Seconds before another unlock attempt is accepted, after repeated
    /// failures.
    pub retry_after: Option<u64>,
    /// Whether this device's key cache holds the vault's current client
    /// key, so that the password alone unlocks.
    pub key_known: bool,
    /// Which cache backs it (`Secret Service`, `kernel keyutils …`), or
    /// `none (why)`.
    pub key_cache: String,
    /// Something to tell about the key: a stale cached key, a cache that
    /// failed, a kit found in Downloads.
    pub key_note: Option<String>,
    /// What the agent noticed about the vault folder (see [`Notice`]).
    pub notices: Vec<Notice>,
}

/// What anyone may know about a vault without unlocking it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultSummary {
    pub id: String,
    pub name: String,
    /// Unix milliseconds.
    pub created: i64,
    /// A short, non-reversible fingerprint of the current client key.
    pub key_fingerprint: String,
    pub kdf: KdfSettings,
}

/// Argon2id cost, as `idp init` asks for it and `idp status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfSettings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitRequest {
    pub name: String,
    pub password: Secret,
    /// `None` takes the vault's default cost.
    pub kdf: Option<KdfSettings>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitReply {
    /// The new client key, grouped for reading aloud and writing down.
    pub client_key: Secret,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockRequest {
    pub password: Secret,
    /// Needed when the agent does not know the key (`State::Locked {
    /// key_known: false }`); typed forms with spaces, dashes and look-alike
    /// letters are accepted.
    pub client_key: Option<Secret>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Login,
    Note,
    Card,
    /// An SSH key: made by `ssh_generate` and `ssh_import`, not by `add`.
    SshKey,
}

/// The kinds of SSH key `ssh_generate` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SshKeyType {
    Ed25519,
    EcdsaP256,
    EcdsaP384,
    Rsa,
}

/// An SSH key item, all of it public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshKeyInfo {
    pub id: String,
    pub name: String,
    /// `ED25519`, `ECDSA` or `RSA`.
    pub key_type: String,
    pub bits: u32,
    /// `SHA256:…`, as `ssh-keygen -l` shows it.
    pub fingerprint: String,
    /// The `authorized_keys` line.
    pub public: String,
    pub comment: String,
}

/// An item without its secrets, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemSummary {
    pub id: String,
    pub kind: ItemKind,
    pub name: String,
    pub username: Option<String>,
    pub urls: Vec<String>,
    pub tags: Vec<String>,
    /// Unix milliseconds.
    pub modified: i64,
}

/// A whole item. On `add`, `id`, `created` and `modified` are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemData {
    pub id: String,
    pub kind: ItemKind,
    pub name: String,
    pub tags: Vec<String>,
    pub created: i64,
    pub modified: i64,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub urls: Vec<String>,
    /// A base32 seed or an `otpauth://` URI.
    pub totp: Option<Secret>,
    pub notes: Option<Secret>,
    pub card_holder: Option<String>,
    pub card_number: Option<Secret>,
    pub card_expiry: Option<String>,
    pub card_cvv: Option<Secret>,
}

impl ItemData {
    /// An empty item of `kind` named `name`.
    pub fn new(kind: ItemKind, name: &str) -> Self {
        Self {
            id: String::new(),
            kind,
            name: name.to_owned(),
            tags: Vec::new(),
            created: 0,
            modified: 0,
            username: None,
            password: None,
            urls: Vec::new(),
            totp: None,
            notes: None,
            card_holder: None,
            card_number: None,
            card_expiry: None,
            card_cvv: None,
        }
    }
}

/// A change to an item: each `Some` replaces that field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemPatch {
    pub name: Option<String>,
    pub kind: Option<ItemKind>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub urls: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub totp: Option<Secret>,
    pub notes: Option<Secret>,
    pub card_holder: Option<String>,
    pub card_number: Option<Secret>,
    pub card_expiry: Option<String>,
    pub card_cvv: Option<Secret>,
}

/// An earlier value of a secret field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRecord {
    /// `password`, `totp`, `notes`, `card_number` or `card_cvv`.
    pub field: String,
    pub value: Secret,
    /// When it was replaced, unix milliseconds.
    pub replaced: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpCode {
    pub code: Secret,
    /// Seconds the code stays valid.
    pub valid_for: u64,
}

/// What an emergency kit shows, for `idp kit show` and `idp kit save`.
/// The agent hands it out only after checking the password again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KitMaterial {
    pub vault_id: String,
    pub vault_name: String,
    /// When the current client key was made (unix milliseconds).
    pub key_created: i64,
    /// The client key, canonical (36 symbols).
    pub key: Secret,
}

/// How a client key (typed, or read from a kit) relates to this vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "match", rename_all = "snake_case")]
pub enum KeyCheck {
    /// This vault's current key.
    Current,
    /// A key of this vault that was replaced (rotated); it opens nothing.
    Stale { retired: i64 },
    /// Not a key of this vault, though the kit names this vault's id.
    Foreign,
    /// A kit of another vault.
    OtherVault { vault_id: String },
}

/// Something the agent noticed about the vault folder that did not stop it
/// working: a rollback, a sync tool's conflicted copy, a change made on
/// another device (password, client key, reset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// A stable word for scripts: `rollback`, `torn_tail`, `conflict_copy`,
    /// `ignored_file`, `old_vault_log`, `key_rotated_elsewhere`,
    /// `password_changed_elsewhere`, `vault_reset_elsewhere`,
    /// `stale_cached_key`, `refresh_failed`, `unreadable_file`,
    /// `damaged_log`, `log_header_damaged`, `newer_key`, `quarantined`,
    /// `repaired`, `read_only`, `header_unverified`, `header_rolled_back`,
    /// `header_altered`, `header_damaged`, `header_restored`.
    pub kind: String,
    /// One sentence for a person, with what to do.
    pub message: String,
}

/// A password change: the current password, the new one, optionally a new
/// key-derivation cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePasswordRequest {
    pub current: Secret,
    pub new: Secret,
    pub kdf: Option<KdfSettings>,
}

/// A reset: a new, empty vault in place of the old one. The old vault's
/// password is not asked (a reset is for when it, or the key, is lost).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequest {
    /// The vault id the person confirmed deleting (from `status`), so a
    /// vault that changed in between is not deleted by mistake; `None` when
    /// the folder holds no readable vault.
    pub expected_vault: Option<String>,
    /// `None` keeps the old vault's name.
    pub name: Option<String>,
    pub password: Secret,
    pub kdf: Option<KdfSettings>,
}

/// A device's log as `vault info` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub device_id: String,
    pub this_device: bool,
    /// Records written (the sequence number of its last record).
    pub records: u64,
    /// When its log last changed on this disk (unix ms).
    pub last_write: Option<i64>,
}

/// `vault info`: everything about the vault and its folder, nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultDetails {
    pub vault_dir: String,
    pub vault: VaultSummary,
    /// When the current client key was made (unix ms).
    pub key_created: i64,
    /// Replaced client keys, by fingerprint, with when (unix ms).
    pub retired_keys: Vec<(String, i64)>,
    pub devices: Vec<DeviceInfo>,
    pub conflict_copies: Vec<String>,
    pub temp_files: Vec<String>,
    pub other_files: Vec<String>,
    /// What was moved into the vault folder's quarantine, never deleted.
    #[serde(default)]
    pub quarantined: Vec<String>,
    pub notices: Vec<Notice>,
}

/// One piece of an export file being sent to the agent for `import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportChunk {
    /// Chosen by the client; a new id starts a new upload and drops any
    /// unfinished one.
    pub upload: u64,
    /// `bitwarden-json`, `csv`, `keepass-xml` or `idp-json`.
    pub format: String,
    /// The next piece of the file (whole characters; the file is UTF-8).
    pub data: Secret,
    /// The file is complete: parse and import it.
    pub last: bool,
}

/// An entry of an export file that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedEntry {
    pub entry: String,
    pub reason: String,
}

/// What an import did. Either every importable entry went in, in one
/// durable write, or (on error) none did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub imported: u64,
    /// Names of entries already in the vault (or earlier in the file).
    pub duplicates: Vec<String>,
    pub skipped: Vec<SkippedEntry>,
}
