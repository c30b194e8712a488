//! Reads a kit file in the `idp-kit read` child process.
//!
//! The agent never parses an untrusted file itself: a crafted PDF or image
//! could exhaust its memory or overflow its stack, and the agent holds the
//! unlocked vault. The child, `idp-kit` from the same folder as
//! `idp-agent` (see `idp_kit::helper`), inherits none of the agent's
//! secrets, limits itself (address space, CPU time, no file writes, no core
//! dump), refuses anything but a regular file, and prints one JSON line; it
//! is killed when it overruns its wall-clock timeout. Blocking: call it off
//! the async runtime.

use std::path::Path;

use idp_kit::helper::{Helper, ReadKit};

/// Reads `path` in the child; the error says why the kit is unreadable.
pub fn read(path: &Path) -> Result<ReadKit, String> {
    Helper::beside_current_exe()
        .read(path)
        .map_err(|e| e.to_string())
}
