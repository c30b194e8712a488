//! What the agent noticed about the vault folder, as `status` and `vault
//! info` report it: one stable kind word for scripts and one sentence that
//! says what to do.

use idp_proto::Notice;
use idp_vault::Warning;

/// Kinds that describe the folder as it is now; each refresh replaces them.
/// The others (a rollback, a change made elsewhere) stay until this device
/// unlocks again.
const CURRENT_STATE: &[&str] = &[
    "torn_tail",
    "conflict_copy",
    "ignored_file",
    "old_vault_log",
    "refresh_failed",
];

pub fn notice(kind: &str, message: impl Into<String>) -> Notice {
    Notice {
        kind: kind.into(),
        message: message.into(),
    }
}

/// Whether a refresh replaces `n`.
pub fn is_current_state(n: &Notice) -> bool {
    CURRENT_STATE.contains(&n.kind.as_str())
}

pub fn from_warning(w: &Warning) -> Notice {
    match w {
        Warning::Rollback {
            device,
            seen,
            found,
        } => notice(
            "rollback",
            format!(
                "rollback: device {device}'s log went back from record {seen} to {found}, an \
                 older copy replaced it (a backup restore or a sync fault); check that device, \
                 then copy its newest log back"
            ),
        ),
        Warning::TornTail { path } => notice(
            "torn_tail",
            format!(
                "{} ends in a partly written record (a sync in progress?); the whole records \
                 were read, the rest will be once it arrives",
                path.display()
            ),
        ),
        Warning::IgnoredFile { path } => notice(
            "ignored_file",
            format!(
                "{} is not a vault file and was not read; move it out of the vault folder",
                path.display()
            ),
        ),
        Warning::ConflictCopy { path } => notice(
            "conflict_copy",
            format!(
                "{} is a sync tool's conflicted copy: it was merged and nothing in it is lost; \
                 delete it once every device has synced",
                path.display()
            ),
        ),
        Warning::KeyRotatedElsewhere => notice(
            "key_rotated_elsewhere",
            "another device made a new client key: this device's key no longer opens the vault; \
             after locking, unlock with the new emergency kit",
        ),
        Warning::PasswordChangedElsewhere => notice(
            "password_changed_elsewhere",
            "the password was changed on another device: the next unlock needs the new one",
        ),
        Warning::OldVaultLog { path } => notice(
            "old_vault_log",
            format!(
                "{} belongs to the vault as it was before a reset and was not read; delete it",
                path.display()
            ),
        ),
        other => notice("other", format!("{other:?}")),
    }
}
