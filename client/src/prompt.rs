//! Where secrets come from: pinentry, a no-echo terminal prompt, or stdin.
//!
//! Never from arguments or the environment, which other local processes can
//! read. pinentry is used only when config.toml names its binary: the
//! `pinentry` on PATH is whatever the alternatives system last pointed at,
//! which changes when a desktop package is installed.
//!
//! Standard input is read once, whole (up to 64 KiB), into a buffer sized up
//! front and wiped on drop, then handed out line by line in the order the
//! command documents.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use idp_proto::Secret;
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use crate::error::{CliError, Exit};

const STDIN_MAX: usize = 64 * 1024;

/// Secret lines from standard input, read on first use.
#[derive(Debug, Default)]
pub struct StdinSecrets {
    buf: Option<Zeroizing<Vec<u8>>>,
    pos: usize,
}

impl StdinSecrets {
    fn fill(&mut self) -> Result<&[u8], CliError> {
        if self.buf.is_none() {
            let mut buf = Zeroizing::new(vec![0u8; STDIN_MAX]);
            let mut len = 0;
            let mut stdin = std::io::stdin().lock();
            while len < STDIN_MAX {
                match stdin.read(&mut buf[len..]) {
                    Ok(0) => break,
                    Ok(n) => len += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        return Err(CliError::new(
                            Exit::Error,
                            format!("cannot read standard input: {e}"),
                            "pipe the secret into idp, one per line",
                        ));
                    }
                }
            }
            if len == STDIN_MAX {
                return Err(CliError::new(
                    Exit::Error,
                    "standard input is larger than 64 KiB",
                    "pipe only the secrets idp asks for, one per line",
                ));
            }
            buf.truncate(len);
            self.buf = Some(buf);
        }
        Ok(self.buf.as_deref().map(Vec::as_slice).unwrap_or_default())
    }

    /// The next line, without its line ending. `what` names it in errors.
    pub fn line(&mut self, what: &str) -> Result<Secret, CliError> {
        let pos = self.pos;
        let buf = self.fill()?;
        let rest = &buf[pos.min(buf.len())..];
        if rest.is_empty() {
            return Err(CliError::new(
                Exit::Error,
                format!("standard input ended before the {what}"),
                "give each secret on its own line, in the order `idp help` lists",
            ));
        }
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let mut line = &rest[..end];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        let text = std::str::from_utf8(line).map_err(|_| {
            CliError::new(
                Exit::Error,
                format!("the {what} is not UTF-8"),
                "check the input",
            )
        })?;
        let secret = Secret::new(text);
        self.pos = pos + end + 1;
        Ok(secret)
    }

    /// Everything not read yet, trailing newline removed.
    pub fn rest(&mut self) -> Result<Secret, CliError> {
        let pos = self.pos;
        let buf = self.fill()?;
        let rest = &buf[pos.min(buf.len())..];
        let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
        let text = std::str::from_utf8(rest).map_err(|_| {
            CliError::new(
                Exit::Error,
                "standard input is not UTF-8",
                "check the input",
            )
        })?;
        let secret = Secret::new(text);
        self.pos = buf.len();
        Ok(secret)
    }
}

/// Asks a person for secrets.
#[derive(Debug)]
pub struct Prompter {
    pinentry: Option<PathBuf>,
}

impl Prompter {
    pub fn new(pinentry: Option<PathBuf>) -> Self {
        Self { pinentry }
    }

    /// Asks once. `description` explains why; `prompt` labels the field.
    pub fn ask(&self, description: &str, prompt: &str) -> Result<Secret, CliError> {
        if let Some(bin) = &self.pinentry {
            let mut input = pinentry::PassphraseInput::with_binary(bin).ok_or_else(|| {
                CliError::new(
                    Exit::Error,
                    format!("the pinentry {} cannot be run", bin.display()),
                    "fix `pinentry` in ~/.config/idp/config.toml, or remove it to be asked in the terminal",
                )
            })?;
            let answer = input
                .with_title("idp-vault")
                .with_description(description)
                .with_prompt(prompt)
                .interact()
                .map_err(|e| match e {
                    pinentry::Error::Cancelled => {
                        CliError::new(Exit::Error, "cancelled", "run the command again when ready")
                    }
                    e => CliError::new(
                        Exit::Error,
                        format!("pinentry failed: {e}"),
                        "check the `pinentry` binary in config.toml, or use --password-stdin",
                    ),
                })?;
            return Ok(Secret::new(answer.expose_secret()));
        }
        if std::fs::File::open("/dev/tty").is_err() {
            return Err(CliError::new(
                Exit::Error,
                "no terminal to ask for the secret on",
                "pass it on standard input (--password-stdin), or set `pinentry` in ~/.config/idp/config.toml",
            ));
        }
        eprintln!("{description}");
        let typed = rpassword::prompt_password(format!("{prompt} ")).map_err(|e| {
            CliError::new(
                Exit::Error,
                format!("cannot read from the terminal: {e}"),
                "use --password-stdin",
            )
        })?;
        Ok(Secret::from_string(typed))
    }

    /// Asks twice, for a new secret.
    pub fn ask_new(&self, description: &str, prompt: &str) -> Result<Secret, CliError> {
        let first = self.ask(description, prompt)?;
        let second = self.ask("Type it again to confirm.", "Again:")?;
        if first != second {
            return Err(CliError::new(
                Exit::Error,
                "the two entries differ",
                "run the command again",
            ));
        }
        Ok(first)
    }
}

/// `true` when standard input is a terminal (a person, not a pipe).
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}
