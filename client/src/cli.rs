//! The command line, as clap sees it. Names here are promised to scripts and
//! docs: change them only with a deprecation.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  error (see the message)
  2  usage: unknown command, flag or value
  3  the vault is locked, or this device needs the client key
  4  no such item, or the item has no such field
  5  there is no vault: create one with `idp init`
  6  unlock refused: wrong password or client key, or too many attempts
  7  the agent could not be reached or started
  8  `idp kit verify`, `idp key import`: the kit is readable but is not this
     vault's current key

Secrets are never taken from arguments or the environment: they come from
pinentry (set `pinentry` in ~/.config/idp/config.toml), a terminal prompt,
or standard input with --password-stdin.";

/// idp-vault: a password vault that needs two secrets, your account password
/// and a 36-symbol client key.
#[derive(Debug, Parser)]
#[command(name = "idp", version, after_help = EXIT_CODES, after_long_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show whether the agent runs, the vault's state and time to auto-lock.
    Status(JsonFlag),
    /// Create a vault; prints the new client key.
    Init(InitArgs),
    /// Unlock the vault with your password (and the client key if needed).
    Unlock(UnlockArgs),
    /// Lock the vault and wipe every secret from the agent.
    Lock,
    /// The emergency kit: show the client key, save the kit, check a kit file.
    #[command(subcommand)]
    Kit(KitCommand),
    /// The client key cached on this device: import it from a kit, forget it.
    #[command(subcommand)]
    Key(KeyCommand),
    /// The vault itself: info, change the password, rotate the client key,
    /// reset.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Import another password manager's export file.
    Import(ImportArgs),
    /// Write every item to a plaintext file (asks for the password again).
    Export(ExportArgs),
    /// Add an item.
    Add(AddArgs),
    /// Print an item's secret (its password by default).
    ///
    /// To a pipe or a file the value is written exactly as stored, with one
    /// newline. On a terminal, control characters other than newline and
    /// tab are shown escaped, and a note on stderr says so.
    Get(GetArgs),
    /// Put an item's secret on the clipboard (its password by default).
    ///
    /// The clipboard is cleared after 30 s (`[clipboard] clear` in
    /// ~/.config/idp/config.toml), unless something else was copied in the
    /// meantime. Uses wl-copy on Wayland and xclip on X11.
    Copy(CopyArgs),
    /// List every item.
    List(JsonFlag),
    /// Find items whose name, username, URL or tag contains QUERY.
    Search(SearchArgs),
    /// Change an item; replaced secrets are kept in its history.
    Edit(EditArgs),
    /// Remove an item.
    Rm(NameArg),
    /// Print a new random password or passphrase.
    Generate(GenerateArgs),
    /// Print an item's current TOTP code.
    Totp(NameArg),
    /// Show an item's earlier passwords and other secrets.
    History(HistoryArgs),
    /// SSH keys in the vault, and the SSH agent that serves them.
    ///
    /// Without a subcommand: prints how to point ssh at idp's SSH agent.
    Ssh(SshArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    Man,
    /// Internal: keeps a copied secret on the clipboard, then clears it.
    /// `idp copy` runs it, with the secret on standard input.
    #[command(hide = true)]
    ClipboardHold(ClipboardHoldArgs),
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// Item name or id.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// A name for the vault, shown in status and on the emergency kit (at most
    /// 255 bytes, no control characters).
    #[arg(long, default_value = "Personal")]
    pub name: String,
    /// Read the new password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub kdf: KdfArgs,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Read the client key from standard input, on the line after the
    /// password when --password-stdin is also given.
    #[arg(long, conflicts_with = "kit")]
    pub client_key_stdin: bool,
    /// Take the client key from an emergency kit file (PDF or PNG).
    #[arg(long, value_name = "FILE")]
    pub kit: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum KitCommand {
    /// Print the client key and a QR code of it (asks for the password again).
    Show(KitShowArgs),
    /// Save the emergency kit as a PDF or PNG (asks for the password again).
    Save(KitSaveArgs),
    /// Check, without the password, whether a kit file is this vault's
    /// current key; exits 0 only then.
    Verify(KitVerifyArgs),
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Cache the client key from an emergency kit file on this device, after
    /// checking that it is this vault's current key (no password needed).
    /// Afterwards the password alone unlocks. Exits 8 when the kit is stale
    /// or another vault's, 1 when it cannot be read.
    Import(KeyImportArgs),
    /// Remove the vault's client key from this device's key cache; the next
    /// unlock asks for it again.
    Forget,
}

#[derive(Debug, Args)]
pub struct KeyImportArgs {
    /// The kit file (PDF or PNG), under any name.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct KitShowArgs {
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct KitSaveArgs {
    /// Save the printable A4 PDF (the default).
    #[arg(long, conflicts_with = "png")]
    pub pdf: bool,
    /// Save the phone-screen PNG image.
    #[arg(long)]
    pub png: bool,
    /// Folder to save in (default: your Downloads folder).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct KitVerifyArgs {
    /// The kit file: `ID Protection client key NNNNN.pdf` or
    /// `IDP_CLIENT_KEY_EMERGENCY_KITNNNNNNN.png`, under any name.
    pub file: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Show the vault id, creation date, devices and their last writes, key
    /// derivation cost, key fingerprint, and what sync tools left behind.
    Info(JsonFlag),
    /// Change the account password. Asks for the current one, then the new
    /// one twice; other devices unlock with the new one once it has synced.
    ChangePassword(ChangePasswordArgs),
    /// Make a new client key and save its emergency kit; every older kit
    /// stops working. Asks for the password again.
    RotateKey(RotateKeyArgs),
    /// Delete every item for good and start again with a new client key and
    /// kit: for when no device can unlock any more.
    Reset(ResetArgs),
}

/// Key-derivation cost of a new password.
#[derive(Debug, Args)]
pub struct KdfArgs {
    /// Argon2id memory in MiB (default 256, at least 19).
    #[arg(long, value_name = "MIB")]
    pub kdf_memory_mib: Option<u32>,
    /// Argon2id passes (default 3, at least 2).
    #[arg(long, value_name = "N")]
    pub kdf_iterations: Option<u32>,
    /// Argon2id lanes (default 4, at least 1).
    #[arg(long, value_name = "N")]
    pub kdf_parallelism: Option<u32>,
}

#[derive(Debug, Args)]
pub struct ChangePasswordArgs {
    /// Read the passwords from standard input: the current one on the first
    /// line, the new one on the second.
    #[arg(long)]
    pub password_stdin: bool,
    /// A new cost; without these flags the current cost is kept.
    #[command(flatten)]
    pub kdf: KdfArgs,
}

/// Where and how the new emergency kit is saved.
#[derive(Debug, Args)]
pub struct KitOutArgs {
    /// Save the phone-screen PNG instead of the printable PDF.
    #[arg(long)]
    pub png: bool,
    /// Folder to save the kit in (default: your Downloads folder).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RotateKeyArgs {
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub kit: KitOutArgs,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// A kit file to check first: if it holds this vault's key, the vault
    /// can be unlocked with it and your password instead. Kits in your
    /// Downloads folder are checked too.
    #[arg(long, value_name = "FILE")]
    pub kit: Vec<PathBuf>,
    /// Skip the typed confirmation (for scripts). Every item is deleted.
    #[arg(long)]
    pub yes_delete_everything: bool,
    /// Read the new password from the first line of standard input (then
    /// pass --yes-delete-everything: the confirmation is typed on a terminal).
    #[arg(long)]
    pub password_stdin: bool,
    /// A name for the new vault (default: the old vault's name).
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub kdf: KdfArgs,
    #[command(flatten)]
    pub kit_out: KitOutArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFrom {
    /// Bitwarden's unencrypted JSON export.
    BitwardenJson,
    /// A browser's CSV export (Chrome, Edge, Firefox, Safari) or Bitwarden's.
    Csv,
    /// A KeePass 2 / KeePassXC XML export.
    KeepassXml,
    /// idp-vault's own JSON export (`idp export --format json`).
    Json,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The format of FILE.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: ImportFrom,
    /// The export file. It holds your secrets in plain text: delete it after.
    pub file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTo {
    /// idp-vault's own JSON: every field and the history, for `idp import
    /// --from json`.
    Json,
    /// Bitwarden's unencrypted JSON (password history only).
    BitwardenJson,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format to write.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "json")]
    pub format: ExportTo,
    /// Confirm that FILE will hold every secret unencrypted (required).
    #[arg(long)]
    pub plaintext: bool,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// The file to write (created with mode 0600; an existing file is not
    /// replaced).
    pub file: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Login,
    Note,
    Card,
}

/// Fields shared by `add` and `edit`. Secrets read from standard input come
/// one per line, in this order: password, TOTP, card number, card CVV.
#[derive(Debug, Args)]
pub struct ItemFields {
    /// Login name.
    #[arg(long, value_name = "U")]
    pub username: Option<String>,
    /// Web address; repeat for several (on edit, replaces the list).
    #[arg(long, value_name = "URL")]
    pub url: Vec<String>,
    /// Tag; repeat for several (on edit, replaces the list).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Generate the password (see --length and --words).
    #[arg(long, conflicts_with = "password_stdin")]
    pub generate: bool,
    /// Generated password length.
    #[arg(
        long,
        value_name = "N",
        requires = "generate",
        conflicts_with = "words"
    )]
    pub length: Option<usize>,
    /// Generate a passphrase of N words instead.
    #[arg(long, value_name = "N", requires = "generate")]
    pub words: Option<usize>,
    /// Read the password from standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// A note (visible to other local processes while idp runs; for secret
    /// notes edit the item with a note read from standard input instead).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Read the note from standard input (all remaining lines).
    #[arg(long, conflicts_with = "note")]
    pub note_stdin: bool,
    /// Read a TOTP secret (base32 or otpauth:// URI) from standard input.
    #[arg(long)]
    pub totp_stdin: bool,
    /// Item type.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub kind: Option<Kind>,
    /// Card holder's name.
    #[arg(long, value_name = "NAME")]
    pub card_holder: Option<String>,
    /// Card expiry, e.g. 04/29.
    #[arg(long, value_name = "MM/YY")]
    pub card_expiry: Option<String>,
    /// Read the card number from standard input.
    #[arg(long)]
    pub card_number_stdin: bool,
    /// Read the card's CVV from standard input.
    #[arg(long)]
    pub card_cvv_stdin: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Item name: at most 1024 bytes, no control characters.
    pub name: String,
    #[command(flatten)]
    pub fields: ItemFields,
    /// Print the new item as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Item name or id.
    pub name: String,
    /// Rename the item (at most 1024 bytes, no control characters).
    #[arg(long, value_name = "NEW")]
    pub rename: Option<String>,
    #[command(flatten)]
    pub fields: ItemFields,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Field {
    Password,
    Username,
    Url,
    Notes,
    Totp,
    CardHolder,
    CardNumber,
    CardExpiry,
    CardCvv,
    Name,
    Id,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Item name or id.
    pub name: String,
    /// Print this field instead of the item's main secret.
    #[arg(long, value_enum, value_name = "F")]
    pub field: Option<Field>,
    /// Print the whole item, secrets included, as JSON.
    #[arg(long, conflicts_with = "field")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Item name or id.
    pub name: String,
    /// Copy this field instead of the item's main secret.
    #[arg(long, value_enum, value_name = "F")]
    pub field: Option<Field>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClipboardBackend {
    Wayland,
    X11,
}

#[derive(Debug, Args)]
pub struct ClipboardHoldArgs {
    #[arg(long, value_enum)]
    pub backend: ClipboardBackend,
    /// Seconds before the clipboard is cleared (at most a day, as in
    /// config.toml).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=idp_proto::config::MAX_CLIPBOARD.as_secs()))]
    pub clear_after: u64,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    pub query: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Item name or id.
    pub name: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Characters (default 20).
    #[arg(long, value_name = "N", conflicts_with = "words")]
    pub length: Option<usize>,
    /// Words from the EFF list instead of characters.
    #[arg(long, value_name = "N")]
    pub words: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct SshArgs {
    #[command(subcommand)]
    pub command: Option<SshCommand>,
}

#[derive(Debug, Subcommand)]
pub enum SshCommand {
    /// Make a new SSH key and store it in the vault.
    Generate(SshGenerateArgs),
    /// Store a private key file (OpenSSH, or PEM: PKCS#8, PKCS#1, SEC1) in
    /// the vault (asks for its passphrase if it has one).
    Import(SshImportArgs),
    /// List the vault's SSH keys: name, type and SHA256 fingerprint.
    List(JsonFlag),
    /// Print a key's public key as an `authorized_keys` line.
    Public(NameArg),
    /// Write a key's private key, unencrypted, to a new file (mode 0600;
    /// asks for the password again).
    Export(SshExportArgs),
}

/// The kinds of key `idp ssh generate` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SshType {
    Ed25519,
    Ecdsa,
    Rsa,
}

#[derive(Debug, Args)]
pub struct SshGenerateArgs {
    /// A name for the new item.
    pub name: String,
    /// The kind of key.
    #[arg(long = "type", value_enum, default_value = "ed25519")]
    pub key_type: SshType,
    /// ECDSA only: the curve's size, 256 (P-256) or 384 (P-384). RSA keys
    /// have 3072 bits.
    #[arg(long, value_name = "BITS", value_parser = ["256", "384"])]
    pub bits: Option<String>,
    /// The key's comment (default: the name).
    #[arg(long)]
    pub comment: Option<String>,
}

#[derive(Debug, Args)]
pub struct SshImportArgs {
    /// A private key file: OpenSSH's format (as `ssh-keygen` writes), or
    /// PEM (PKCS#8, PKCS#1, SEC1).
    pub file: PathBuf,
    /// A name for the new item (default: the file's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Read the file's passphrase from the first line of standard input.
    #[arg(long)]
    pub passphrase_stdin: bool,
}

#[derive(Debug, Args)]
pub struct SshExportArgs {
    /// Item name or id.
    pub name: String,
    /// Confirm that FILE will hold the private key unencrypted (required).
    #[arg(long)]
    pub plaintext: bool,
    /// The new file to write (an existing one is never replaced).
    pub file: PathBuf,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}
