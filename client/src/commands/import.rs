//! `idp import --from FORMAT FILE`: sends the file to the agent in pieces
//! (a frame is capped at 1 MiB); the agent parses it whole and imports it
//! in one durable write, so a file goes in completely or not at all.

use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

use idp_proto::{EXPORT_CHUNK, ImportChunk, ImportSummary, Secret};
use idp_vault::interchange::MAX_IMPORT_BYTES;
use zeroize::Zeroizing;

use crate::cli::{ImportArgs, ImportFrom};
use crate::connect::{connect, ctx};
use crate::error::{CliError, Exit};
use crate::output;

fn format_name(f: ImportFrom) -> &'static str {
    match f {
        ImportFrom::BitwardenJson => "bitwarden-json",
        ImportFrom::Csv => "csv",
        ImportFrom::KeepassXml => "keepass-xml",
        ImportFrom::Json => "idp-json",
    }
}

/// Reads the whole file into a buffer sized once, wiped on drop.
fn read_file(args: &ImportArgs) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let path = &args.file;
    let cannot = |e: std::io::Error| {
        CliError::new(
            Exit::Error,
            format!("cannot read {}: {e}", path.display()),
            "check the file name; nothing was imported",
        )
    };
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let len = file.metadata().map_err(cannot)?.len();
    if len > MAX_IMPORT_BYTES as u64 {
        return Err(CliError::new(
            Exit::Error,
            format!("{} is larger than {MAX_IMPORT_BYTES} bytes", path.display()),
            "split the export; nothing was imported",
        ));
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(len as usize + 1));
    file.read_to_end(&mut buf).map_err(cannot)?;
    Ok(buf)
}

/// Splits `text` into pieces of at most `max` bytes on character boundaries.
fn pieces(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut end = max;
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out.push(rest);
    out
}

fn report(s: &ImportSummary) -> String {
    let mut out = format!("imported {} items", s.imported);
    if !s.duplicates.is_empty() {
        out.push_str(&format!(
            "\n{} already in the vault, not added again: {}",
            s.duplicates.len(),
            s.duplicates
                .iter()
                .map(|d| output::name(d))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !s.skipped.is_empty() {
        out.push_str(&format!("\n{} skipped:", s.skipped.len()));
        for k in &s.skipped {
            out.push_str(&format!(
                "\n  {}: {}",
                output::name(&k.entry),
                output::shown(&k.reason)
            ));
        }
    }
    out.push_str("\nThe export file holds your secrets in plain text: delete it now.");
    out
}

pub async fn run(args: ImportArgs) -> Result<(), CliError> {
    let bytes = read_file(&args)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        CliError::new(
            Exit::Error,
            format!(
                "{} is not UTF-8 text (near byte {})",
                args.file.display(),
                e.valid_up_to()
            ),
            "export again as UTF-8; nothing was imported",
        )
    })?;
    let agent = connect().await?;
    // Tells this upload from an earlier unfinished one; not a secret.
    let upload = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id());
    let parts = pieces(text, EXPORT_CHUNK);
    let count = parts.len();
    let mut summary = None;
    for (n, part) in parts.into_iter().enumerate() {
        let chunk = ImportChunk {
            upload,
            format: format_name(args.from).into(),
            data: Secret::new(part),
            last: n + 1 == count,
        };
        summary = agent.client.import(ctx(600), chunk).await??;
    }
    let Some(summary) = summary else {
        return Err(CliError::new(
            Exit::Error,
            "the agent did not report the import",
            "check `idp list`, and the agent's log",
        ));
    };
    if args.json {
        return output::json(&summary);
    }
    output::line(&report(&summary))
}

#[cfg(test)]
mod tests {
    use super::pieces;

    #[test]
    fn pieces_keep_whole_characters() {
        let text = "aé€😀".repeat(100);
        for max in [4, 5, 7, 64] {
            let p = pieces(&text, max);
            assert!(p.iter().all(|s| s.len() <= max));
            assert_eq!(p.concat(), text);
        }
        assert_eq!(pieces("", 8), vec![""]);
    }
}
