//! Desktop notifications (freedesktop `Notify` through notify-rust). They
//! carry states and errors, never a secret. Errors may quote names and paths
//! from the vault folder, so control and direction characters are escaped
//! (`idp_proto::text`); the body keeps its line breaks.

use notify_rust::{Hint, Notification, Timeout};

/// Sends a notification; a desktop without a notification server gets the
/// text on stderr instead.
pub async fn send(summary: &str, body: &str) {
    let summary = idp_proto::text::shown(summary);
    let body = idp_proto::text::multiline(body);
    let shown = Notification::new()
        .appname("idp-vault")
        .summary(&summary)
        .body(&body)
        .icon("idp-vault-locked")
        .hint(Hint::Transient(true))
        .timeout(Timeout::Milliseconds(8000))
        .show_async()
        .await;
    if let Err(e) = shown {
        eprintln!("idp-tray: {summary}: {body} (no notification: {e})");
    }
}
