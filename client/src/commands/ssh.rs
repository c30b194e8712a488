//! `idp ssh`: SSH keys in the vault, and how to reach the agent's SSH
//! socket.
//!
//! An imported key file (OpenSSH or PEM) is read and, if it has a passphrase, decrypted
//! here; the agent receives the unencrypted key over its socket (as it
//! receives passwords) and stores it. Export writes a new file, mode 0600,
//! never over another, after the password is asked again.

use std::io::{Read, Write};
use std::path::Path;

use idp_proto::config::SshAgentConfig;
use idp_proto::{Secret, SshKeyInfo, SshKeyType, paths};
use idp_vault::ssh::SshError;
use zeroize::Zeroizing;

use crate::Env;
use crate::cli::{SshArgs, SshCommand, SshExportArgs, SshGenerateArgs, SshImportArgs, SshType};
use crate::connect::{connect, ctx};
use crate::error::{CliError, Exit};
use crate::output;

/// Larger than any OpenSSH private key file (an RSA-16384 one is ~12 KiB).
const MAX_KEY_FILE: u64 = 64 * 1024;

pub async fn run(args: SshArgs, config: &SshAgentConfig, env: &mut Env) -> Result<(), CliError> {
    match args.command {
        None => setup(config),
        Some(SshCommand::Generate(a)) => generate(a).await,
        Some(SshCommand::Import(a)) => import(a, env).await,
        Some(SshCommand::List(a)) => list(a.json).await,
        Some(SshCommand::Public(a)) => {
            let agent = connect().await?;
            let key = agent.client.ssh_key(ctx(30), a.name).await??;
            output::value(&key.public)
        }
        Some(SshCommand::Export(a)) => export(a, env).await,
    }
}

/// Where the SSH socket is, and the lines that point ssh at it.
fn setup(config: &SshAgentConfig) -> Result<(), CliError> {
    let uid = rustix::process::getuid().as_raw();
    let sock = paths::ssh_socket_path(uid);
    let sock = sock.display();
    if config.serve {
        output::line(&format!("idp's SSH agent socket: {sock}"))?;
    } else {
        output::line(&format!(
            "idp's SSH agent is off. Turn it on in ~/.config/idp/config.toml and restart \
             idp-agent (`idp lock` keeps the vault as it is; stop the agent, the next idp \
             command starts it):\n\n    [ssh_agent]\n    serve = true\n\nIt will then listen on \
             {sock}."
        ))?;
    }
    output::line(&format!(
        "\nFor every host, in ~/.ssh/config:\n\n    Host *\n        IdentityAgent {sock}\n\nor \
         in the shell (~/.bashrc):\n\n    export SSH_AUTH_SOCK={sock}"
    ))
}

fn show_error(e: SshError) -> CliError {
    CliError::new(
        Exit::Error,
        e.to_string(),
        "check the file, or make a new key with `idp ssh generate NAME`",
    )
}

async fn generate(a: SshGenerateArgs) -> Result<(), CliError> {
    let key_type = match (a.key_type, a.bits.as_deref()) {
        (SshType::Ed25519, None) => SshKeyType::Ed25519,
        (SshType::Rsa, None) => SshKeyType::Rsa,
        (SshType::Ecdsa, None | Some("256")) => SshKeyType::EcdsaP256,
        (SshType::Ecdsa, Some(_)) => SshKeyType::EcdsaP384,
        (_, Some(_)) => {
            return Err(CliError::new(
                Exit::Error,
                "--bits is for ECDSA keys only",
                "leave it out: Ed25519 keys have 256 bits, RSA keys 3072",
            ));
        }
    };
    let agent = connect().await?;
    let key = agent
        .client
        .ssh_generate(ctx(120), a.name, key_type, a.comment)
        .await??;
    print_added(&key)
}

fn print_added(key: &SshKeyInfo) -> Result<(), CliError> {
    output::line(&format!(
        "added {} ({} {}, {})\n{}",
        output::name(&key.name),
        key.key_type,
        key.bits,
        key.fingerprint,
        output::name(&key.public)
    ))
}

/// Reads at most [`MAX_KEY_FILE`] bytes into a buffer wiped on drop.
fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let fail = |e: std::io::Error| {
        CliError::new(
            Exit::Error,
            format!("cannot read {}: {e}", path.display()),
            "name a private key file",
        )
    };
    let file = std::fs::File::open(path).map_err(fail)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE as usize + 1));
    file.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut buf)
        .map_err(fail)?;
    if buf.len() as u64 > MAX_KEY_FILE {
        return Err(CliError::new(
            Exit::Error,
            format!("{} is larger than any SSH key file", path.display()),
            "name a private key file",
        ));
    }
    Ok(buf)
}

async fn import(a: SshImportArgs, env: &mut Env) -> Result<(), CliError> {
    let file = read_key_file(&a.file)?;
    let key = if idp_vault::ssh::is_encrypted(&file).map_err(show_error)? {
        let pass = if a.passphrase_stdin {
            env.stdin.line("passphrase")?
        } else {
            env.prompter.ask(
                &format!("{} is protected by a passphrase.", a.file.display()),
                "Passphrase:",
            )?
        };
        idp_vault::ssh::import(&file, Some(pass.expose().as_bytes()))
    } else {
        idp_vault::ssh::import(&file, None)
    }
    .map_err(show_error)?;
    let name = match a.name {
        Some(n) => n,
        None => a
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| key.public.fingerprint.clone()),
    };
    let agent = connect().await?;
    let private = Secret::new(key.private.expose());
    let added = agent.client.ssh_import(ctx(60), name, private).await??;
    print_added(&added)
}

async fn list(json: bool) -> Result<(), CliError> {
    let agent = connect().await?;
    let keys = agent.client.ssh_list(ctx(60)).await??;
    if json {
        return output::json(&keys);
    }
    let width = keys
        .iter()
        .map(|k| output::clipped(&k.name, 100).chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for k in &keys {
        let name = output::clipped(&k.name, 100);
        let pad = width.saturating_sub(name.chars().count());
        output::line(&format!(
            "{name}{:pad$}  {:<7} {:>4}  {}",
            "", k.key_type, k.bits, k.fingerprint
        ))?;
    }
    Ok(())
}

async fn export(a: SshExportArgs, env: &mut Env) -> Result<(), CliError> {
    if !a.plaintext {
        return Err(CliError::new(
            Exit::Error,
            "the exported file holds the private key unencrypted",
            "add --plaintext to confirm (or encrypt it afterwards with `ssh-keygen -p -f FILE`)",
        ));
    }
    let agent = connect().await?;
    // The key is checked to exist before a password is asked for.
    agent.client.ssh_key(ctx(30), a.name.clone()).await??;
    let password = env.password(
        a.password_stdin,
        "Exporting a private key in plain text needs your password again.",
    )?;
    let private = agent
        .client
        .ssh_export(ctx(600), a.name, password)
        .await??;
    let path = &a.file;
    let mut file = super::export::create_private(path)?;
    let written = file
        .write_all(private.expose().as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(path);
        return Err(CliError::new(
            Exit::Error,
            format!("cannot write {}: {e}", path.display()),
            "free some space or choose another folder; the partial file was removed",
        ));
    }
    output::line(&format!(
        "wrote {} (unencrypted; `ssh-keygen -p -f {}` adds a passphrase)",
        path.display(),
        path.display()
    ))
}
