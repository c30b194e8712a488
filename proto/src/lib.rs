//! The agent protocol of idp-vault.
//!
//! `idp-agent` holds the unlocked vault; `idp` and the tray talk to it over a
//! Unix socket. This crate is everything both ends must agree on and nothing
//! else: the wire types, the tarpc service, the framing and its limits, the
//! protocol version, and where the socket and the config file live. It has
//! no runtime, no crypto and does no file IO.
//!
//! Wire format: each frame is a 4-byte big-endian length followed by that many
//! bytes of MessagePack (tarpc's envelope around the types below). A frame
//! longer than [`MAX_FRAME`] is refused before anything is allocated for it.
//! The first call on every connection is [`Agent::hello`], which carries
//! [`PROTOCOL_VERSION`]; an agent that speaks another version answers with
//! [`ProtoError::ProtocolMismatch`].
//!
//! Secrets travel in [`Secret`], which is wiped on drop and never printed by
//! `Debug`, so logging a request or a reply cannot leak one.
#![forbid(unsafe_code)]

pub mod config;
mod error;
pub mod framing;
pub mod paths;
mod secret;
pub mod socket;
pub mod ssh_wire;
pub mod text;
mod types;

pub use error::ProtoError;
pub use secret::Secret;
pub use types::{
    ChangePasswordRequest, DeviceInfo, Hello, HistoryRecord, ImportChunk, ImportSummary, InitReply,
    InitRequest, ItemData, ItemKind, ItemPatch, ItemSummary, KdfSettings, KeyCheck, KitMaterial,
    Notice, ResetRequest, SkippedEntry, SshKeyInfo, SshKeyType, State, Status, TotpCode,
    UnlockRequest, VaultDetails, VaultSummary,
};

/// The protocol this build speaks. Bump it on any incompatible change to the
/// service or the types; both ends refuse to talk across versions.
pub const PROTOCOL_VERSION: u32 = 3;

/// The largest frame either end accepts, in bytes.
pub const MAX_FRAME: usize = 1024 * 1024;

/// The agent's RPC service. Every call that needs the unlocked vault answers
/// [`ProtoError::Locked`] while it is locked.
#[tarpc::service]
pub trait Agent {
    /// First call on a connection: checks the protocol version.
    async fn hello(client_protocol: u32) -> Result<Hello, ProtoError>;
    /// The state of the agent and its vault, with time left before auto-lock.
    async fn status() -> Result<Status, ProtoError>;
    /// Long poll: returns once the state's generation differs from
    /// `generation`, or shortly before the call's deadline with the current
    /// state. Lets a tray follow the agent without busy polling.
    async fn watch(generation: u64) -> Result<Status, ProtoError>;
    /// Creates a vault and leaves it unlocked; returns the new client key.
    async fn init(request: InitRequest) -> Result<InitReply, ProtoError>;
    /// Unlocks with the password and, when the agent does not know it, the
    /// client key.
    async fn unlock(request: UnlockRequest) -> Result<Status, ProtoError>;
    /// Locks and wipes every secret the agent holds.
    async fn lock() -> Result<Status, ProtoError>;
    /// Adds an item; durable when it returns.
    async fn add(item: ItemData) -> Result<ItemSummary, ProtoError>;
    /// One item by name or id, with its secrets.
    async fn get(name: String) -> Result<ItemData, ProtoError>;
    /// Every item, without secrets.
    async fn list() -> Result<Vec<ItemSummary>, ProtoError>;
    /// Items whose name, URL or tag contains `query` (any case).
    async fn search(query: String) -> Result<Vec<ItemSummary>, ProtoError>;
    /// Changes the named item; replaced secrets go to its history.
    async fn edit(name: String, patch: ItemPatch) -> Result<ItemSummary, ProtoError>;
    /// Removes the named item.
    async fn remove(name: String) -> Result<ItemSummary, ProtoError>;
    /// Earlier values of the named item's secret fields, newest first.
    async fn history(name: String) -> Result<Vec<HistoryRecord>, ProtoError>;
    /// The current TOTP code of the named item; the seed stays in the agent.
    async fn totp(name: String) -> Result<TotpCode, ProtoError>;
    /// The client key and what an emergency kit shows. The vault must be
    /// unlocked and `password` is checked again (a full key derivation,
    /// throttled like `unlock`).
    async fn kit(password: Secret) -> Result<KitMaterial, ProtoError>;
    /// Whether `key`, read from a kit naming `vault_id`, belongs to this
    /// vault; needs no password, works while locked.
    async fn check_key(vault_id: String, key: Secret) -> Result<KeyCheck, ProtoError>;
    /// Removes this vault's client key from this device's key cache.
    async fn forget_key() -> Result<Status, ProtoError>;
    /// Caches `key`, read from a kit naming `vault_id`, after checking that
    /// it is this vault's current key; needs no password.
    async fn import_key(vault_id: String, key: Secret) -> Result<Status, ProtoError>;
    /// The vault, its devices and what sync tools left in its folder.
    async fn vault_info() -> Result<VaultDetails, ProtoError>;
    /// Replaces the password; other devices unlock with the new one once
    /// the header has synced.
    async fn change_password(request: ChangePasswordRequest) -> Result<Status, ProtoError>;
    /// Makes a new client key (the password is checked again); every older
    /// kit becomes stale. Returns what the new kit shows.
    async fn rotate_key(password: Secret) -> Result<KitMaterial, ProtoError>;
    /// Deletes every item and makes a new vault id and client key, leaving
    /// the new vault unlocked. Returns what the new kit shows.
    async fn reset(request: ResetRequest) -> Result<KitMaterial, ProtoError>;
    /// Receives an export file piece by piece (frames are capped at
    /// [`MAX_FRAME`]); on the last piece parses it and imports it in one
    /// durable write. `None` until then.
    async fn import(chunk: ImportChunk) -> Result<Option<ImportSummary>, ProtoError>;
    /// Checks the password again and prepares a plaintext export in
    /// `format` (`json` or `bitwarden-json`); returns its length in bytes.
    async fn export_begin(password: Secret, format: String) -> Result<u64, ProtoError>;
    /// The prepared export from byte `offset` on, at most [`EXPORT_CHUNK`]
    /// bytes (whole characters). Reading the end wipes the agent's copy.
    async fn export_read(offset: u64) -> Result<Secret, ProtoError>;
    /// Makes a new SSH key of `key_type` and stores it as the item `name`
    /// (the comment is `comment`, else the name).
    async fn ssh_generate(
        name: String,
        key_type: SshKeyType,
        comment: Option<String>,
    ) -> Result<SshKeyInfo, ProtoError>;
    /// Stores `private`, an unencrypted OpenSSH private key file, as the
    /// item `name`.
    async fn ssh_import(name: String, private: Secret) -> Result<SshKeyInfo, ProtoError>;
    /// Every SSH key item, by name.
    async fn ssh_list() -> Result<Vec<SshKeyInfo>, ProtoError>;
    /// The SSH key item `name` (a name or an id).
    async fn ssh_key(name: String) -> Result<SshKeyInfo, ProtoError>;
    /// The private key of the SSH key item `name`, as an unencrypted
    /// OpenSSH file; `password` is checked again (throttled like `unlock`).
    async fn ssh_export(name: String, password: Secret) -> Result<Secret, ProtoError>;
}

/// The largest piece of a file `import` and `export_read` carry, so that a
/// frame with its envelope stays under [`MAX_FRAME`].
pub const EXPORT_CHUNK: usize = 512 * 1024;
