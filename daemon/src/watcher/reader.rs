//! Reads a kit file in the `idp-kit read` child process.
//!
//! The agent never parses an untrusted file itself: a crafted PDF or image
//! could exhaust its memory or overflow its stack, and the agent holds the
//! unlocked vault. The agent opens the file (a regular file, never through
//! a symlink) and hands the descriptor to `idp-kit` from the same folder as
//! `idp-agent` (see `idp_kit::helper`). The child inherits none of the
//! agent's secrets, limits itself (address space, CPU time, no file writes,
//! no core dump), then sandboxes itself before it reads a byte: Landlock
//! with no filesystem or network access, and a seccomp allowlist with no
//! `open`, `socket`, `connect` or `execve`. It prints one JSON line and is
//! killed when it overruns its wall-clock timeout. Where the kernel cannot
//! sandbox it, the file is not read unless `[downloads] allow_unsandboxed`
//! is set. Blocking: call it off the async runtime.

use std::path::Path;

use idp_kit::helper::{Helper, HelperError, ReadKit};

/// Reads `path` in the child; the error says why the kit is unreadable.
pub fn read(path: &Path, allow_unsandboxed: bool) -> Result<ReadKit, String> {
    let kit = Helper::beside_current_exe()
        .allow_unsandboxed(allow_unsandboxed)
        .read(path)
        .map_err(|e| match e {
            HelperError::NoSandbox(_) => format!(
                "{e}; to read kits without the sandbox anyway, set allow_unsandboxed = true \
                 under [downloads] in the agent's config.toml"
            ),
            other => other.to_string(),
        })?;
    if !kit.sandboxed {
        tracing::warn!(
            path = %path.display(),
            "kit read without the full sandbox, as allow_unsandboxed permits"
        );
    }
    Ok(kit)
}
