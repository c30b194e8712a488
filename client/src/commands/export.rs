//! `idp export --format json|bitwarden-json --plaintext FILE`: every item,
//! unencrypted. Refused without `--plaintext`; the password is asked again;
//! the file is created new with mode 0600 and never replaces another.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use zeroize::Zeroizing;

use crate::Env;
use crate::cli::{ExportArgs, ExportTo};
use crate::connect::{connect, ctx};
use crate::error::{CliError, Exit};
use crate::output;

pub async fn run(args: ExportArgs, env: &mut Env) -> Result<(), CliError> {
    if !args.plaintext {
        return Err(CliError::new(
            Exit::Error,
            "an export holds every password unencrypted, readable by anyone who gets the file",
            "add --plaintext to confirm, and delete the file once it has served",
        ));
    }
    let format = match args.format {
        ExportTo::Json => "json",
        ExportTo::BitwardenJson => "bitwarden-json",
    };
    let path = &args.file;
    let mut file = create_private(path)?;
    let result = fetch_and_write(&args, format, &mut file, env).await;
    if result.is_err() {
        let _ = std::fs::remove_file(path);
    }
    result
}

async fn fetch_and_write(
    args: &ExportArgs,
    format: &str,
    file: &mut std::fs::File,
    env: &mut Env,
) -> Result<(), CliError> {
    let agent = connect().await?;
    let password = env.password(
        args.password_stdin,
        "Exporting in plain text needs your password again.",
    )?;
    let total = agent
        .client
        .export_begin(ctx(600), password, format.into())
        .await??;
    let mut text = Zeroizing::new(String::with_capacity(total as usize));
    while (text.len() as u64) < total {
        let piece = agent
            .client
            .export_read(ctx(60), text.len() as u64)
            .await??;
        if piece.is_empty() {
            break;
        }
        text.push_str(piece.expose());
    }
    let io = |e: std::io::Error| {
        CliError::new(
            Exit::Error,
            format!("cannot write {}: {e}", args.file.display()),
            "free some space or choose another folder; the partial file was removed",
        )
    };
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io)?;
    eprintln!(
        "warning: {} holds every secret of the vault in plain text. Move it where it is needed \
         and delete it.",
        args.file.display()
    );
    output::line(&format!("exported to {}", args.file.display()))
}

/// Creates `path` new, readable by its owner only; an existing file (or
/// link) there is never replaced.
pub(crate) fn create_private(path: &Path) -> Result<std::fs::File, CliError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            CliError::new(
                Exit::Error,
                format!("cannot create {}: {e}", path.display()),
                "name a new file (an existing one is never replaced)",
            )
        })
}
