//! Asking the person before a key signs (`[ssh_agent] confirm`), with the
//! pinentry named in config.toml, as `ssh-add -c` keys ask with
//! `ssh-askpass`. The question names the item and its fingerprint, and the
//! server's host key when the client bound its session
//! (`session-bind@openssh.com`; `ssh` does, `ssh-keygen -Y sign` and git
//! do not). The dialog runs on a blocking thread: a person taking their
//! time holds up only that connection.

use std::path::Path;

use idp_proto::text::shown;

use crate::ops::ssh_sign::Ask;

/// How long a question stays up before it counts as a refusal.
const TIMEOUT_SECS: u16 = 60;

/// The question shown.
pub fn question(ask: &Ask, host: Option<&str>) -> String {
    let target = match host {
        Some(host) => format!("to log in to the server whose host key is {host}"),
        None => "for a program that did not name a server (a file or commit signature, or a \
                 forwarded agent)"
            .to_owned(),
    };
    format!(
        "Allow the SSH key \u{201c}{}\u{201d} ({}) to sign {target}?",
        shown(&ask.name),
        ask.fingerprint
    )
}

/// `true` when the person chose OK; a cancel, a timeout or a pinentry that
/// cannot run is a no.
pub fn ask(pinentry: &Path, question: &str) -> bool {
    let Some(mut dialog) = pinentry::ConfirmationDialog::with_binary(pinentry) else {
        tracing::warn!(pinentry = %pinentry.display(), "SSH socket: the pinentry cannot be run");
        return false;
    };
    match dialog
        .with_title("idp-vault SSH agent")
        .with_ok("Allow")
        .with_cancel("Deny")
        .with_timeout(TIMEOUT_SECS)
        .confirm(question)
    {
        Ok(yes) => yes,
        Err(e) => {
            tracing::warn!(error = %e, "SSH socket: the confirmation dialog failed");
            false
        }
    }
}
