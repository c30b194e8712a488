//! The item flags shared by `add` and `edit`, turned into wire types.
//!
//! Secrets read from standard input come one per line in this fixed order:
//! password, TOTP secret, card number, card CVV; a note read with
//! `--note-stdin` takes everything after them.

use idp_proto::{ItemKind, Secret};

use crate::Env;
use crate::cli::{ItemFields, Kind};
use crate::error::{CliError, Exit};
use crate::prompt::stdin_is_terminal;

/// The secret fields a command was given.
#[derive(Debug, Default)]
pub struct Secrets {
    pub password: Option<Secret>,
    pub totp: Option<Secret>,
    pub card_number: Option<Secret>,
    pub card_cvv: Option<Secret>,
    pub notes: Option<Secret>,
}

pub fn kind(k: Kind) -> ItemKind {
    match k {
        Kind::Login => ItemKind::Login,
        Kind::Note => ItemKind::Note,
        Kind::Card => ItemKind::Card,
    }
}

fn generated(f: &ItemFields) -> Result<Secret, CliError> {
    let made = match f.words {
        Some(n) => idp_vault::generate::passphrase(n),
        None => idp_vault::generate::password(f.length.unwrap_or(20)),
    };
    made.map(|s| Secret::new(s.expose()))
        .map_err(|e| CliError::new(Exit::Error, e.to_string(), "pick a size in that range"))
}

/// Reads every secret the flags ask for. `ask_password` prompts for a
/// password when none was given and a person is at the terminal.
pub fn read(
    f: &ItemFields,
    env: &mut Env,
    ask_password: Option<&str>,
) -> Result<Secrets, CliError> {
    let mut s = Secrets::default();
    if f.generate {
        s.password = Some(generated(f)?);
    } else if f.password_stdin {
        s.password = Some(env.stdin.line("password")?);
    } else if let Some(name) = ask_password
        && stdin_is_terminal()
    {
        let p = env.prompter.ask(
            &format!("Password for {name} (leave empty for none)."),
            "Password:",
        )?;
        s.password = Some(p).filter(|p| !p.is_empty());
    }
    if f.totp_stdin {
        s.totp = Some(env.stdin.line("TOTP secret")?);
    }
    if f.card_number_stdin {
        s.card_number = Some(env.stdin.line("card number")?);
    }
    if f.card_cvv_stdin {
        s.card_cvv = Some(env.stdin.line("card CVV")?);
    }
    if f.note_stdin {
        s.notes = Some(env.stdin.rest()?);
    } else if let Some(n) = &f.note {
        s.notes = Some(Secret::new(n));
    }
    Ok(s)
}
