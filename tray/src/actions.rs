//! What the menu entries do. Each runs as its own task, so a pinentry
//! dialog left open does not stop the icon from following the agent; one
//! dialog at a time.
//!
//! Unlock and Show client key talk to the agent directly. Save emergency kit
//! runs `idp kit save --pdf --password-stdin` (the kit renderer lives in the
//! CLI; the tray stays small), handing it the password on a pipe, and opens
//! the saved PDF with `xdg-open`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use idp_connect::{connect, ctx, sibling_binary};
use idp_proto::{ProtoError, Secret, UnlockRequest};
use tokio::io::AsyncWriteExt;
use zeroize::Zeroizing;

use crate::item::Action;
use crate::notify;
use crate::prompt::{self, Answer};

/// What every action needs.
#[derive(Debug, Clone)]
pub struct Actions {
    pinentry: Result<PathBuf, String>,
    one_dialog: Arc<tokio::sync::Mutex<()>>,
}

/// `Ok(None)`: the person cancelled; `Ok(Some)`: the answer.
type Asked = Result<Option<Secret>, String>;

async fn ask(pin: &Path, description: &str, prompt: &str, error: Option<&str>) -> Asked {
    match prompt::ask(pin, description, prompt, error).await {
        Answer::Given(s) => Ok(Some(s)),
        Answer::Cancelled => Ok(None),
        Answer::Failed(e) => Err(e),
    }
}

fn explain(e: &ProtoError) -> String {
    format!("{e}. {}", e.next_step())
}

impl Actions {
    pub fn new(pinentry: Result<PathBuf, String>) -> Self {
        Self {
            pinentry,
            one_dialog: Arc::default(),
        }
    }

    /// Runs `action`; a dialog action only when no other dialog is open.
    /// Failures are reported by notification.
    pub async fn run(&self, action: Action, key_needed: bool) {
        let what = match action {
            Action::Unlock => "unlock",
            Action::SaveKit => "save the emergency kit",
            Action::ShowKey => "show the client key",
            Action::Lock => return self.lock().await,
            Action::Quit => return,
        };
        let Ok(_open) = self.one_dialog.try_lock() else {
            return;
        };
        let pin = match &self.pinentry {
            Ok(p) => p.clone(),
            Err(e) => return notify::send(&format!("Cannot {what}"), e).await,
        };
        let done = match action {
            Action::Unlock => unlock(&pin, key_needed).await,
            Action::SaveKit => save_kit(&pin).await,
            _ => show_key(&pin).await,
        };
        if let Err(e) = done {
            notify::send(&format!("Cannot {what}"), &e).await;
        }
    }

    async fn lock(&self) {
        let locked = async {
            let agent = connect().await.map_err(|e| e.to_string())?;
            match agent.client.lock(ctx(30)).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(explain(&e)),
                Err(e) => Err(e.to_string()),
            }
        };
        if let Err(e) = locked.await {
            notify::send("Cannot lock", &e).await;
        }
    }
}

async fn unlock(pin: &Path, key_needed: bool) -> Result<(), String> {
    let agent = connect().await.map_err(|e| e.to_string())?;
    let client_key = if key_needed {
        let asked = ask(
            pin,
            "This device does not know the vault's client key. Type it from your emergency kit \
             (36 letters and digits; spaces and dashes are fine).",
            "Client key:",
            None,
        );
        match asked.await? {
            Some(k) => Some(k),
            None => return Ok(()),
        }
    } else {
        None
    };
    let mut error = None;
    for _ in 0..3 {
        let Some(password) = ask(pin, "Unlock the idp-vault.", "Password:", error).await? else {
            return Ok(());
        };
        let request = UnlockRequest {
            password,
            client_key: client_key.clone(),
        };
        match agent.client.unlock(ctx(600), request).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(ProtoError::WrongPassword)) => {
                error = Some("Wrong password or client key; try again.");
            }
            Ok(Err(e)) => return Err(explain(&e)),
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("three wrong tries. Check the password (and the client key), then unlock again.".into())
}

async fn show_key(pin: &Path) -> Result<(), String> {
    let Some(password) = ask(
        pin,
        "Showing the client key needs your password again.",
        "Password:",
        None,
    )
    .await?
    else {
        return Ok(());
    };
    let agent = connect().await.map_err(|e| e.to_string())?;
    let m = match agent.client.kit(ctx(600), password).await {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return Err(explain(&e)),
        Err(e) => return Err(e.to_string()),
    };
    let mut message = Zeroizing::new(format!(
        "Client key of the vault {}:\n\n",
        idp_proto::text::shown(&m.vault_name)
    ));
    for (i, c) in m.key.expose().chars().enumerate() {
        if i > 0 && i % 6 == 0 {
            message.push('-');
        }
        message.push(c);
    }
    message.push_str("\n\nAnyone with this key and your password can open the vault.");
    prompt::show(pin, message).await
}

async fn save_kit(pin: &Path) -> Result<(), String> {
    let Some(password) = ask(
        pin,
        "Saving the emergency kit needs your password again.",
        "Password:",
        None,
    )
    .await?
    else {
        return Ok(());
    };
    let idp = sibling_binary("idp");
    let mut child = tokio::process::Command::new(&idp)
        .args(["kit", "save", "--pdf", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", idp.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // Two writes, so no copy of the password with its newline is made.
        let written = async {
            stdin.write_all(password.expose().as_bytes()).await?;
            stdin.write_all(b"\n").await
        };
        written
            .await
            .map_err(|e| format!("cannot hand the password to idp: {e}"))?;
    }
    drop(password);
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| format!("idp kit save failed: {e}"))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        return Err(said
            .lines()
            .map(|l| l.trim_start_matches("idp: "))
            .collect::<Vec<_>>()
            .join(" "));
    }
    let said = String::from_utf8_lossy(&out.stdout);
    let path = said
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("saved "))
        .ok_or_else(|| format!("idp kit save said {said:?}"))?
        .to_owned();
    notify::send(
        "Emergency kit saved",
        &format!("{path}\nPrint it or keep it offline, then delete this copy."),
    )
    .await;
    open(&path);
    Ok(())
}

/// Opens a file with the desktop's viewer, in the background.
fn open(path: &str) {
    match tokio::process::Command::new("xdg-open")
        .arg(path)
        .stdin(Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
        }
        Err(e) => eprintln!("idp-tray: cannot run xdg-open: {e}"),
    }
}
