//! `idp kit show | save | verify`: the emergency kit that carries the client
//! key to a new device.
//!
//! Showing or saving the key needs the vault unlocked and the password typed
//! again: the agent checks it with a full key derivation. Verifying a kit
//! needs no password: the vault header's key fingerprints answer it. Kit
//! files are read and drawn by the `idp-kit` helper process, under its own
//! limits, so a hostile file cannot take `idp` down with it.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use idp_kit::helper::{Helper, HelperError, ReadKit, RenderRequest};
use idp_kit::{KitFormat, QrModules};
use idp_proto::{KeyCheck, KitMaterial, Secret};
use idp_vault::{ClientKey, VaultId};
use serde::Serialize;

use crate::Env;
use crate::cli::{KitCommand, KitSaveArgs, KitShowArgs, KitVerifyArgs};
use crate::connect::{Agent, connect, ctx};
use crate::error::{CliError, Exit};
use crate::output;

pub async fn run(command: KitCommand, env: &mut Env) -> Result<(), CliError> {
    match command {
        KitCommand::Show(a) => show(a, env).await,
        KitCommand::Save(a) => save(a, env).await,
        KitCommand::Verify(a) => verify(a).await,
    }
}

/// Asks for the password again and fetches the key and kit details.
async fn material(
    agent: &Agent,
    password_stdin: bool,
    env: &mut Env,
    why: &str,
) -> Result<(KitMaterial, ClientKey, VaultId), CliError> {
    let password = env.password(password_stdin, why)?;
    let m = agent.client.kit(ctx(600), password).await??;
    let (key, vault_id) = parse_material(&m)?;
    Ok((m, key, vault_id))
}

/// The key and vault id of a kit's material, as the agent sent them.
fn parse_material(m: &KitMaterial) -> Result<(ClientKey, VaultId), CliError> {
    let bad = |what: &str| {
        CliError::new(
            Exit::Error,
            format!("the agent sent a {what} that does not parse"),
            "restart the agent (`idp lock`, then run idp again)",
        )
    };
    let key = ClientKey::parse(m.key.expose()).map_err(|_| bad("client key"))?;
    let vault_id: VaultId = m.vault_id.parse().map_err(|_| bad("vault id"))?;
    Ok((key, vault_id))
}

/// The QR code in the terminal: two modules per character cell, with a
/// quiet zone, dark on light whatever the terminal's colours.
fn terminal_qr(qr: &QrModules, colour: bool) -> String {
    const QUIET: usize = 2;
    let w = qr.width() + 2 * QUIET;
    let dark = |x: usize, y: usize| {
        x >= QUIET
            && y >= QUIET
            && x < w - QUIET
            && y < w - QUIET
            && qr.is_dark(x - QUIET, y - QUIET)
    };
    let mut out = String::new();
    for row in (0..w).step_by(2) {
        if colour {
            out.push_str("\x1b[30;47m"); // black on white
        }
        for x in 0..w {
            let (top, bottom) = (dark(x, row), row + 1 < w && dark(x, row + 1));
            out.push(match (colour, top, bottom) {
                // With colours set, draw dark modules; without, light ones,
                // which suits the usual dark terminal background.
                (true, true, true) | (false, false, false) => '█',
                (true, true, false) | (false, false, true) => '▀',
                (true, false, true) | (false, true, false) => '▄',
                _ => ' ',
            });
        }
        if colour {
            out.push_str("\x1b[0m");
        }
        out.push('\n');
    }
    out
}

async fn show(args: KitShowArgs, env: &mut Env) -> Result<(), CliError> {
    let agent = connect().await?;
    let (m, key, vault_id) = material(
        &agent,
        args.password_stdin,
        env,
        "Showing the client key needs your password again.",
    )
    .await?;
    let qr = QrModules::new(&vault_id, &key)
        .map_err(|e| CliError::new(Exit::Error, e.to_string(), "use `idp kit save` instead"))?;
    let colour = std::io::stdout().is_terminal();
    // Printed piece by piece, so no formatted copy of the key is left behind.
    output::line(&format!(
        "Client key of vault {} ({vault_id}):\n",
        output::name(&m.vault_name)
    ))?;
    output::line(&format!("    {}\n", key.expose_grouped().expose()))?;
    output::line(&terminal_qr(&qr, colour))?;
    output::line(&format!(
        "check: {}\nAnyone with this key and your password can open the vault: clear the screen when done.",
        key.fingerprint(&vault_id).short()
    ))
}

/// Writes the kit for `m` into `dir` (default: Downloads) and says where:
/// `idp kit save`, `idp vault rotate-key` and `idp vault reset` all save
/// through here.
pub async fn write_kit(dir: Option<PathBuf>, png: bool, m: &KitMaterial) -> Result<(), CliError> {
    let format = if png { KitFormat::Png } else { KitFormat::Pdf };
    let Some(dir) = dir.or_else(idp_proto::paths::download_dir) else {
        return Err(CliError::new(
            Exit::Error,
            "no Downloads folder: HOME is not set",
            "name a folder with --dir",
        ));
    };
    std::fs::create_dir_all(&dir).map_err(|e| {
        CliError::new(
            Exit::Error,
            format!("cannot make {}: {e}", dir.display()),
            "name another folder with --dir",
        )
    })?;
    let (key, vault_id) = parse_material(m)?;
    let created = UNIX_EPOCH + Duration::from_millis(u64::try_from(m.key_created).unwrap_or(0));
    let request = RenderRequest::new(&m.vault_name, &vault_id, &key, created);
    drop(key);
    let path = tokio::task::spawn_blocking(move || {
        Helper::beside_current_exe().render(format, &dir, &request)
    })
    .await
    .map_err(|e| CliError::new(Exit::Error, e.to_string(), "try again"))?
    .map_err(|e| CliError::new(Exit::Error, e.to_string(), "name another folder with --dir"))?;
    output::line(&format!(
        "saved {}\n\
         Print it or keep it offline (with the password apart), then delete this copy:\n\
         with your password it opens the vault.",
        output::shown(&path.display().to_string())
    ))
}

async fn save(args: KitSaveArgs, env: &mut Env) -> Result<(), CliError> {
    let agent = connect().await?;
    let (m, _, _) = material(
        &agent,
        args.password_stdin,
        env,
        "Saving the emergency kit needs your password again.",
    )
    .await?;
    write_kit(args.dir, args.png, &m).await
}

/// How `idp kit verify --json` reports.
#[derive(Serialize)]
struct Verdict {
    file: String,
    vault_id: String,
    read_from: String,
    #[serde(flatten)]
    check: KeyCheck,
}

/// Reads a kit file through the helper process, always sandboxed: unlike
/// the agent, `idp` has no switch to read kits without the sandbox (see
/// docs/kit.md).
async fn read_kit(file: &Path) -> Result<ReadKit, CliError> {
    let owned = file.to_path_buf();
    tokio::task::spawn_blocking(move || Helper::beside_current_exe().read(&owned))
        .await
        .map_err(|e| CliError::new(Exit::Error, e.to_string(), "try again"))?
        .map_err(|e| read_error(file, &e))
}

fn read_error(file: &Path, e: &HelperError) -> CliError {
    let next = match e {
        HelperError::NoSandbox(_) => {
            "type the key from the kit with `idp unlock` (idp reads kit files only in the \
             sandbox, which needs Landlock and seccomp)"
        }
        _ => "use another copy of the kit, or type the key with `idp unlock`",
    };
    CliError::new(Exit::Error, format!("{}: {e}", file.display()), next)
}

/// Reads a kit file and asks the agent whether it is this vault's key.
pub async fn check(agent: &Agent, file: &Path) -> Result<(ReadKit, KeyCheck), CliError> {
    let found = read_kit(file).await?;
    let check = agent
        .client
        .check_key(
            ctx(30),
            found.vault_id.to_hex(),
            Secret::new(found.key.expose_canonical().expose()),
        )
        .await??;
    Ok((found, check))
}

/// A sentence for each answer, with what to do next when it is not a match.
pub fn explain(check: &KeyCheck) -> Result<&'static str, CliError> {
    let (message, next) = match check {
        KeyCheck::Current => return Ok("this kit holds the vault's current client key"),
        KeyCheck::Stale { .. } => (
            "this kit is stale: its key was replaced (rotated) and no longer opens the vault",
            "use the newest kit, or save one on a device that can unlock (`idp kit save`)",
        ),
        KeyCheck::Foreign => (
            "this kit names this vault but holds a key that never belonged to it: it was altered",
            "use another copy of your kit",
        ),
        KeyCheck::OtherVault { .. } => (
            "this kit belongs to another vault",
            "find the kit made for this vault (`idp status` shows its key fingerprint)",
        ),
    };
    Err(CliError::new(Exit::KitMismatch, message, next))
}

async fn verify(args: KitVerifyArgs) -> Result<(), CliError> {
    let agent = connect().await?;
    let (found, check) = check(&agent, &args.file).await?;
    let verdict = explain(&check);
    if args.json {
        output::json(&Verdict {
            file: args.file.display().to_string(),
            vault_id: found.vault_id.to_hex(),
            read_from: found.method.clone(),
            check,
        })?;
        return verdict.map(drop);
    }
    let sentence = verdict?;
    let retired = match check {
        KeyCheck::Stale { retired } => format!(" (replaced {})", output::time(retired)),
        _ => String::new(),
    };
    output::line(&format!(
        "{sentence}{retired}\nread from: {}\nvault:     {}\nkey check: {}",
        output::shown(&found.method),
        found.vault_id,
        found.key.fingerprint(&found.vault_id).short()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_qr_is_square_with_a_quiet_zone() {
        let key = ClientKey::generate().expect("rng");
        let id = VaultId::from_bytes([1; 16]);
        let qr = QrModules::new(&id, &key).expect("qr");
        let plain = terminal_qr(&qr, false);
        let rows: Vec<&str> = plain.lines().collect();
        let w = qr.width() + 4;
        assert_eq!(rows.len(), w.div_ceil(2));
        assert!(rows.iter().all(|r| r.chars().count() == w));
        assert!(rows[0].chars().all(|c| c == '█'), "light quiet zone first");
        assert!(terminal_qr(&qr, true).contains("\x1b[30;47m"));
    }

    #[test]
    fn a_kit_refused_for_want_of_a_sandbox_says_to_type_the_key() {
        let file = Path::new("/home/me/kit.pdf");
        let no_sandbox = read_error(file, &HelperError::NoSandbox("no Landlock".into()));
        let text = no_sandbox.to_string();
        assert!(text.contains("no Landlock"), "{text}");
        assert!(text.contains("type the key"), "{text}");
        assert!(!text.contains("another copy"), "{text}");
        let other = read_error(file, &HelperError::Garbled).to_string();
        assert!(other.contains("another copy"), "{other}");
    }
}
