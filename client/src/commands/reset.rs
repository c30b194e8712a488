//! `idp vault reset`: for when no device can unlock. Looks for kits of this
//! vault first (they make a reset unnecessary if the password is known),
//! says plainly what is lost, asks for a typed word, then has the agent
//! make a new vault and saves its emergency kit.

use std::io::BufRead;
use std::path::PathBuf;

use idp_proto::{KeyCheck, ResetRequest, State};

use crate::Env;
use crate::cli::ResetArgs;
use crate::connect::{Agent, connect, ctx};
use crate::error::{CliError, Exit};
use crate::{output, prompt};

/// The word the person types to confirm.
const CONFIRM_WORD: &str = "DELETE";

/// Kit files named on the command line and those in Downloads.
fn candidates(named: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = named.to_vec();
    if let Some(dir) = idp_proto::paths::download_dir()
        && let Ok(listing) = std::fs::read_dir(dir)
    {
        let mut found: Vec<PathBuf> = listing
            .filter_map(Result::ok)
            .filter(|e| idp_kit::name_kind(&e.file_name().to_string_lossy()).is_some())
            .map(|e| e.path())
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

/// The kits that hold this vault's current key.
async fn current_kits(agent: &Agent, named: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for file in candidates(named) {
        match super::kit::check(agent, &file).await {
            Ok((_, KeyCheck::Current)) => out.push(file),
            Ok(_) => {}
            // Unreadable or another vault's kit: not a way in.
            Err(e) if named.contains(&file) => eprintln!("{e}"),
            Err(_) => {}
        }
    }
    out
}

fn confirm() -> Result<(), CliError> {
    if !prompt::stdin_is_terminal() {
        return Err(CliError::new(
            Exit::Error,
            "a reset needs a typed confirmation, and there is no terminal to type it on",
            "run it in a terminal, or pass --yes-delete-everything",
        ));
    }
    eprint!("Type {CONFIRM_WORD} to delete every item: ");
    let mut typed = String::new();
    std::io::stdin().lock().read_line(&mut typed).map_err(|e| {
        CliError::new(
            Exit::Error,
            format!("cannot read the confirmation: {e}"),
            "run it again in a terminal, or pass --yes-delete-everything",
        )
    })?;
    if typed.trim() != CONFIRM_WORD {
        return Err(CliError::new(
            Exit::Error,
            "not confirmed; nothing was deleted",
            format!("type {CONFIRM_WORD} exactly to reset"),
        ));
    }
    Ok(())
}

pub async fn run(args: ResetArgs, env: &mut Env) -> Result<(), CliError> {
    let agent = connect().await?;
    let status = agent.client.status(ctx(30)).await??;
    let expected_vault = status.vault.as_ref().map(|v| v.id.clone());
    if let Some(v) = &status.vault {
        let kits = current_kits(&agent, &args.kit).await;
        for kit in &kits {
            eprintln!(
                "found an emergency kit of this vault: {}\n\
                 With it and your password the vault opens (`idp unlock --kit FILE`): \
                 a reset is not needed unless the password is lost too.",
                output::shown(&kit.display().to_string())
            );
        }
        if status.state == State::Unlocked {
            eprintln!(
                "the vault is unlocked on this device: `idp export` first if anything should \
                 be kept."
            );
        }
        eprintln!(
            "Resetting deletes every item of vault {} ({}) on this device and, once synced, on \
             every device. It cannot be undone.",
            output::name(&v.name),
            v.id
        );
    } else {
        eprintln!(
            "There is no readable vault in {}: a reset makes a new one there.",
            output::shown(&status.vault_dir)
        );
    }
    if !args.yes_delete_everything {
        confirm()?;
    }
    let password = env.new_password(args.password_stdin)?;
    if password.is_empty() {
        return Err(CliError::new(
            Exit::Error,
            "the new password is empty; nothing was deleted",
            "choose a password (`idp generate --words 6` suggests one)",
        ));
    }
    let request = ResetRequest {
        expected_vault,
        name: args.name,
        password,
        kdf: super::vault::kdf(&args.kdf),
    };
    let m = agent.client.reset(ctx(600), request).await??;
    output::line(&format!(
        "vault reset: every item was deleted. New vault {} is unlocked, with a new client key.",
        output::shown(&m.vault_id)
    ))?;
    super::kit::write_kit(args.kit_out.dir, args.kit_out.png, &m).await
}
