//! Desktop notifications, sent from a thread of their own.
//!
//! notify-rust talks D-Bus with blocking calls, and a notification server
//! may be slow or absent, so the agent only queues a [`Notice`] here; the
//! thread shows it. No notification server (no session bus, or nothing
//! owning `org.freedesktop.Notifications`) is a log line, not an error.
//! Notices never carry a secret: only what was found and what to do.

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
            while let Ok(n) = rx.recv() {
                let shown = notify_rust::Notification::new()
                    .appname("idp-vault")
                    .summary(&n.summary)
                    .body(&n.body)
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
