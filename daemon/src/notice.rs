//! Desktop notifications, sent from a thread of their own.
//!
//! notify-rust talks D-Bus with blocking calls, and a notification server
//! may be slow or absent, so the agent only queues a [`Notice`] here; the
//! thread shows it. No notification server (no session bus, or nothing
//! owning `org.freedesktop.Notifications`) is a log line, not an error.
//! Notices never carry a secret: only what was found and what to do.
//!
//! Their texts can name files anyone who writes to the vault folder or
//! Downloads can name, so they are shown through [`body_text`]: controls
//! escaped, and `&`, `<` and `>` as entities where the notification server
//! renders markup in the body (a planted `<a href=...>` shows as text).

use std::sync::mpsc;
use std::thread;

/// One notification: a summary line and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub summary: String,
    pub body: String,
}

/// Queues notices for the notification thread. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Notices {
    tx: mpsc::Sender<Notice>,
}

impl Notices {
    /// Queues `notice`; never blocks.
    pub fn send(&self, summary: &str, body: &str) {
        tracing::info!(summary, body, "notification");
        let _ = self.tx.send(Notice {
            summary: summary.into(),
            body: body.into(),
        });
    }
}

pub fn spawn() -> std::io::Result<Notices> {
    let (tx, rx) = mpsc::channel::<Notice>();
    thread::Builder::new()
        .name("idp-notify".into())
        .spawn(move || {
            let mut warned = false;
            let mut markup: Option<bool> = None;
            while let Ok(n) = rx.recv() {
                // Asked until a server answers; escaped while unsure.
                if markup.is_none() {
                    markup = notify_rust::get_capabilities()
                        .ok()
                        .map(|caps| caps.iter().any(|c| c == "body-markup"));
                }
                let shown = notify_rust::Notification::new()
                    .appname("idp-vault")
                    .summary(&idp_proto::text::shown(&n.summary))
                    .body(&body_text(&n.body, markup.unwrap_or(true)))
                    .icon("dialog-password")
                    .show();
                match shown {
                    Ok(_) => warned = false,
                    Err(e) if !warned => {
                        warned = true;
                        tracing::warn!(error = %e, "no notification server; notices go to this log only");
                    }
                    Err(_) => {}
                }
            }
        })?;
    Ok(Notices { tx })
}

/// `body` as a notification body: controls and direction characters
/// escaped, and with `markup` (the server renders the body's markup) the
/// characters markup is made of written as entities.
fn body_text(body: &str, markup: bool) -> String {
    let safe = idp_proto::text::shown(body);
    if !markup {
        return safe.into_owned();
    }
    let mut out = String::with_capacity(safe.len());
    for c in safe.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::body_text;

    #[test]
    fn bodies_show_planted_names_as_text() {
        let planted = "<a href=\"https://example.org\">logs/x\n\u{1b}[2J</a> & more";
        assert_eq!(
            body_text(planted, true),
            "&lt;a href=\"https://example.org\"&gt;logs/x\\n\\x1b[2J&lt;/a&gt; &amp; more"
        );
        assert_eq!(
            body_text(planted, false),
            "<a href=\"https://example.org\">logs/x\\n\\x1b[2J</a> & more"
        );
        assert_eq!(body_text("plain words", true), "plain words");
    }
}
