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
    "unreadable_file",
    "damaged_log",
    "log_header_damaged",
    "newer_key",
    "read_only",
    "header_unverified",
    "header_rolled_back",
    "header_altered",
    "header_damaged",
];

/// Kinds worth a desktop notification when they first appear: something
/// was lost, moved, refused or changed underneath the person.
const ALERTS: &[&str] = &[
    "rollback",
    "damaged_log",
    "quarantined",
    "repaired",
    "read_only",
    "header_rolled_back",
    "header_altered",
    "header_damaged",
    "header_restored",
    "key_rotated_elsewhere",
    "password_changed_elsewhere",
    "vault_reset_elsewhere",
];

/// Whether `n` deserves a desktop notification when it first appears.
pub fn is_alert(n: &Notice) -> bool {
    ALERTS.contains(&n.kind.as_str())
}

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
            now,
        } => notice(
            "rollback",
            format!(
                "rollback: device {device}'s log went back from record {seen} to {found} \
                 ({now}): an older copy replaced it, or it was cut, deleted or renamed (a \
                 backup restore, a sync fault, or tampering); what was read before is kept \
                 while unlocked; check that device and its sync tool's history"
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
            "another device made a new client key (and vault key): this device locked; unlock \
             with the new emergency kit (`idp unlock --kit FILE`) and your password",
        ),
        Warning::PasswordChangedElsewhere => notice(
            "password_changed_elsewhere",
            "the password was changed on another device (with a new vault key): this device \
             locked; unlock with the new password",
        ),
        Warning::OldVaultLog { path } => notice(
            "old_vault_log",
            format!(
                "{} belongs to the vault as it was before a reset and was not read; delete it",
                path.display()
            ),
        ),
        Warning::Unreadable { path, reason } => notice(
            "unreadable_file",
            format!("{} was not read: {reason}", path.display()),
        ),
        Warning::Damaged { path, detail, read } => notice(
            "damaged_log",
            format!(
                "{} is damaged ({detail}); its {read} records that authenticate were read and \
                 nothing was changed; restore it from its device or your sync tool's history",
                path.display()
            ),
        ),
        Warning::LogHeaderDamaged { path } => notice(
            "log_header_damaged",
            format!(
                "{} has a damaged file header, but its records authenticate and were read; \
                 its device repairs it when it next unlocks",
                path.display()
            ),
        ),
        Warning::NewerKey { path } => notice(
            "newer_key",
            format!(
                "{} holds records sealed under a newer vault key (a password change or key \
                 rotation on another device whose vault.idp has not arrived yet); they are \
                 read once it arrives and this device unlocks again",
                path.display()
            ),
        ),
        Warning::Quarantined { from, to, why } => notice(
            "quarantined",
            format!(
                "{} was moved to {} ({why}); nothing was deleted",
                from.display(),
                to.display()
            ),
        ),
        Warning::Repaired { path, kept } => notice(
            "repaired",
            format!(
                "this device's log {} was rebuilt from its {kept} records that authenticate; \
                 the damaged original is in quarantine",
                path.display()
            ),
        ),
        Warning::ReadOnly { path } => notice(
            "read_only",
            format!(
                "the vault folder {} is read-only: the vault is open for reading, and changes \
                 are refused until it is writable again",
                path.display()
            ),
        ),
        Warning::HeaderUnverified { path } => notice(
            "header_unverified",
            format!(
                "{} changed since this device last verified it (a password change or key \
                 rotation on another device?); it is checked at the next unlock, and until \
                 then this device trusts its verified copy",
                path.display()
            ),
        ),
        Warning::HeaderRolledBack { path, found, seen } => notice(
            "header_rolled_back",
            format!(
                "{} is an older vault header (key generation {found}; this device verified \
                 {seen}), from before a password change or key rotation: it is not used; this \
                 device keeps using its verified copy and puts it back at its next unlock",
                path.display()
            ),
        ),
        Warning::HeaderAltered { path } => notice(
            "header_altered",
            format!(
                "{} differs from the header this device verified for the same key \
                 generation (altered or damaged): it is not used; this device keeps its \
                 verified copy and puts it back at its next unlock",
                path.display()
            ),
        ),
        Warning::HeaderDamaged { path, detail } => notice(
            "header_damaged",
            format!(
                "the vault header {} is damaged ({detail}): this device uses its verified copy \
                 and puts it back at its next unlock",
                path.display()
            ),
        ),
        Warning::HeaderRestored { path, moved } => notice(
            "header_restored",
            match moved {
                Some(m) => format!(
                    "{} was put back from this device's verified copy; what stood there was \
                     moved to {}",
                    path.display(),
                    m.display()
                ),
                None => format!(
                    "{} was missing and was put back from this device's verified copy",
                    path.display()
                ),
            },
        ),
        other => notice("other", format!("{other:?}")),
    }
}
