//! `import`: an export file arrives in pieces (each frame is capped), is
//! parsed whole, and goes into the vault in one durable write: a file is
//! imported completely or not at all. The pieces are kept in a zeroizing
//! buffer; the agent's wiping allocator clears the copies left when it
//! grows. Locking drops an unfinished upload.

use idp_proto::{ImportChunk, ImportSummary, ProtoError, SkippedEntry};
use idp_vault::interchange::{self, ImportFormat, MAX_IMPORT_BYTES};
use zeroize::Zeroizing;

use crate::convert::vault_error;
use crate::state::{AgentState, Upload};

pub fn run(st: &mut AgentState, chunk: ImportChunk) -> Result<Option<ImportSummary>, ProtoError> {
    st.unlocked()?;
    let format: ImportFormat = chunk
        .format
        .parse()
        .map_err(|reason| ProtoError::Invalid { reason })?;
    if st.upload.as_ref().is_none_or(|u| u.id != chunk.upload) {
        st.upload = Some(Upload {
            id: chunk.upload,
            format: chunk.format.clone(),
            text: Zeroizing::new(String::new()),
        });
    }
    let Some(upload) = st.upload.as_mut() else {
        return Err(ProtoError::Invalid {
            reason: "no import in progress".into(),
        });
    };
    if upload.format != chunk.format {
        st.upload = None;
        return Err(ProtoError::Invalid {
            reason: "the format changed in the middle of an import; nothing was imported".into(),
        });
    }
    if upload.text.len() + chunk.data.expose().len() > MAX_IMPORT_BYTES {
        st.upload = None;
        return Err(ProtoError::Invalid {
            reason: format!(
                "the file is larger than {MAX_IMPORT_BYTES} bytes; nothing was imported"
            ),
        });
    }
    upload.text.push_str(chunk.data.expose());
    if !chunk.last {
        return Ok(None);
    }
    let Some(upload) = st.upload.take() else {
        return Ok(None);
    };
    let parsed =
        interchange::parse(format, upload.text.as_bytes()).map_err(|e| ProtoError::Invalid {
            reason: e.to_string(),
        })?;
    drop(upload);
    let vault = st.unlocked()?;
    let report = vault.import(parsed).map_err(vault_error)?;
    tracing::info!(
        format = %format,
        imported = report.imported,
        duplicates = report.duplicates.len(),
        skipped = report.skipped.len(),
        "import done"
    );
    st.recount();
    st.bump();
    Ok(Some(ImportSummary {
        imported: report.imported as u64,
        duplicates: report.duplicates,
        skipped: report
            .skipped
            .into_iter()
            .map(|s| SkippedEntry {
                entry: s.entry,
                reason: s.reason,
            })
            .collect(),
    }))
}
