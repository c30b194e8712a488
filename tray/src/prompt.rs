//! Asking for the password (and the client key) with pinentry.
//!
//! The tray has no terminal, so it needs a graphical pinentry. It takes the
//! one named in config.toml (`pinentry = ...`), else the first of the usual
//! graphical ones that is installed. Never the bare `pinentry`: that is an
//! alternatives link which changes whenever a desktop package is installed.
//! pinentry talks over blocking pipes, so every dialog runs on the blocking
//! thread pool, never on the runtime's one thread.

use std::path::{Path, PathBuf};

use idp_proto::Secret;
use secrecy::ExposeSecret;

const GRAPHICAL: [&str; 5] = [
    "/usr/bin/pinentry-gnome3",
    "/usr/bin/pinentry-qt",
    "/usr/bin/pinentry-gtk2",
    "/usr/bin/pinentry-gtk-2",
    "/usr/bin/pinentry-fltk",
];

/// The pinentry to use, or why there is none.
pub fn choose(configured: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(p) = configured {
        return Ok(p);
    }
    GRAPHICAL
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            "no graphical pinentry found: install pinentry-gnome3 or pinentry-qt, \
             or set `pinentry` in ~/.config/idp/config.toml"
                .to_owned()
        })
}

/// What became of a question.
#[derive(Debug)]
pub enum Answer {
    Given(Secret),
    Cancelled,
    Failed(String),
}

/// Asks for one secret. `error` is shown above the field on a second try.
pub async fn ask(bin: &Path, description: &str, prompt: &str, error: Option<&str>) -> Answer {
    let (bin, description, prompt) = (bin.to_path_buf(), description.to_owned(), prompt.to_owned());
    let error = error.map(str::to_owned);
    let asked = tokio::task::spawn_blocking(move || {
        let Some(mut input) = pinentry::PassphraseInput::with_binary(&bin) else {
            return Answer::Failed(format!("the pinentry {} cannot be run", bin.display()));
        };
        input
            .with_title("idp-vault")
            .with_description(&description)
            .with_prompt(&prompt);
        if let Some(e) = &error {
            input.with_error(e);
        }
        match input.interact() {
            Ok(s) => Answer::Given(Secret::new(s.expose_secret())),
            Err(pinentry::Error::Cancelled) => Answer::Cancelled,
            Err(e) => Answer::Failed(format!("pinentry failed: {e}")),
        }
    })
    .await;
    asked.unwrap_or_else(|e| Answer::Failed(format!("the pinentry dialog stopped: {e}")))
}

/// Shows `message` in a pinentry message box; returns once it is closed.
/// Used for the client key, which must not go to a notification (servers
/// keep them in a history).
pub async fn show(bin: &Path, message: zeroize::Zeroizing<String>) -> Result<(), String> {
    let bin = bin.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let Some(mut dialog) = pinentry::MessageDialog::with_binary(&bin) else {
            return Err(format!("the pinentry {} cannot be run", bin.display()));
        };
        dialog
            .with_title("idp-vault")
            .show_message(&message)
            .map_err(|e| format!("pinentry failed: {e}"))
    })
    .await
    .map_err(|e| format!("the pinentry dialog stopped: {e}"))?
}
