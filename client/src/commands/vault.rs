//! `idp vault info | change-password | rotate-key | reset`.
//!
//! Secrets on standard input (`--password-stdin`), one per line:
//! change-password reads the current password, then the new one;
//! rotate-key reads the password; reset reads the new password.

use idp_proto::{ChangePasswordRequest, KdfSettings, State, VaultDetails};
use idp_vault::KdfParams;

use crate::Env;
use crate::cli::{ChangePasswordArgs, KdfArgs, RotateKeyArgs, VaultCommand};
use crate::connect::{connect, ctx};
use crate::error::{CliError, Exit};
use crate::output;

pub async fn run(command: VaultCommand, env: &mut Env) -> Result<(), CliError> {
    match command {
        VaultCommand::Info(a) => info(a.json).await,
        VaultCommand::ChangePassword(a) => change_password(a, env).await,
        VaultCommand::RotateKey(a) => rotate_key(a, env).await,
        VaultCommand::Reset(a) => super::reset::run(a, env).await,
    }
}

/// The cost the flags ask for, `None` when no flag is given.
pub fn kdf(args: &KdfArgs) -> Option<KdfSettings> {
    if args.kdf_memory_mib.is_none()
        && args.kdf_iterations.is_none()
        && args.kdf_parallelism.is_none()
    {
        return None;
    }
    let d = KdfParams::DEFAULT;
    Some(KdfSettings {
        memory_kib: args
            .kdf_memory_mib
            .map_or(d.memory_kib, |m| m.saturating_mul(1024)),
        iterations: args.kdf_iterations.unwrap_or(d.iterations),
        parallelism: args.kdf_parallelism.unwrap_or(d.parallelism),
    })
}

fn empty_password() -> CliError {
    CliError::new(
        Exit::Error,
        "the new password is empty",
        "choose a password (`idp generate --words 6` suggests one)",
    )
}

async fn info(json: bool) -> Result<(), CliError> {
    let agent = connect().await?;
    let d: VaultDetails = agent.client.vault_info(ctx(30)).await??;
    if json {
        return output::json(&d);
    }
    let locked = matches!(
        agent.client.status(ctx(30)).await??.state,
        State::Locked { .. }
    );
    let v = &d.vault;
    let mut out = format!(
        "vault:      {} ({})\nfolder:     {}\ncreated:    {}\nkey:        fingerprint {}, made {}\n\
         kdf:        Argon2id {} MiB, {} passes, {} lanes\n",
        output::name(&v.name),
        output::shown(&v.id),
        output::shown(&d.vault_dir),
        output::time(v.created),
        output::shown(&v.key_fingerprint),
        output::time(d.key_created),
        v.kdf.memory_kib / 1024,
        v.kdf.iterations,
        v.kdf.parallelism
    );
    for (fp, when) in &d.retired_keys {
        out.push_str(&format!(
            "old key:    fingerprint {}, replaced {}\n",
            output::shown(fp),
            output::time(*when)
        ));
    }
    out.push_str("devices:\n");
    for dev in &d.devices {
        let last = dev.last_write.map_or("unknown".into(), output::time);
        out.push_str(&format!(
            "  {}{}  {} writes, last {last}\n",
            output::shown(&dev.device_id),
            if dev.this_device {
                " (this device)"
            } else {
                ""
            },
            dev.records
        ));
    }
    if locked {
        out.push_str("  (locked: writes are counted without the key, and checked at unlock)\n");
    }
    for (what, list) in [
        ("conflicted copy", &d.conflict_copies),
        ("temporary file", &d.temp_files),
        ("other file", &d.other_files),
        ("quarantined", &d.quarantined),
    ] {
        for f in list {
            out.push_str(&format!("{what}: {}\n", output::shown(f)));
        }
    }
    if d.conflict_copies.is_empty()
        && d.temp_files.is_empty()
        && d.other_files.is_empty()
        && d.quarantined.is_empty()
    {
        out.push_str("sync leftovers: none\n");
    }
    for n in &d.notices {
        out.push_str(&format!(
            "warning ({}): {}\n",
            output::shown(&n.kind),
            output::shown(&n.message)
        ));
    }
    output::line(out.trim_end())
}

async fn change_password(args: ChangePasswordArgs, env: &mut Env) -> Result<(), CliError> {
    let agent = connect().await?;
    let (current, new) = if args.password_stdin {
        (
            env.stdin.line("current password")?,
            env.stdin.line("new password")?,
        )
    } else {
        let current = env.prompter.ask(
            "Changing the password: type the current one.",
            "Current password:",
        )?;
        let new = env.prompter.ask_new(
            "Choose the new account password. It is never stored: forget it and the vault \
             cannot be opened.",
            "New password:",
        )?;
        (current, new)
    };
    if new.is_empty() {
        return Err(empty_password());
    }
    let request = ChangePasswordRequest {
        current,
        new,
        kdf: kdf(&args.kdf),
    };
    agent.client.change_password(ctx(600), request).await??;
    output::line(
        "password changed. Other devices unlock with the new password once the vault folder \
         has synced; the client key and emergency kits stay the same.",
    )
}

async fn rotate_key(args: RotateKeyArgs, env: &mut Env) -> Result<(), CliError> {
    let agent = connect().await?;
    let password = env.password(
        args.password_stdin,
        "Making a new client key needs your password again.",
    )?;
    let m = agent.client.rotate_key(ctx(600), password).await??;
    output::line(
        "new client key made: every older emergency kit is now stale, and other devices ask \
         for the new kit at their next unlock.",
    )?;
    super::kit::write_kit(args.kit.dir, args.kit.png, &m).await
}
