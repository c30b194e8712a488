//! Process hardening, done first thing in `main` while the process has one
//! thread. It is all an unprivileged process can do for itself, so an agent
//! started on demand by `idp` gets it as well as one started by systemd
//! (whose unit adds what only a service manager can give; see
//! `docs/agent.md`).
//!
//! - No new privileges (`PR_SET_NO_NEW_PRIVS`): neither the agent nor any
//!   child it runs (the kit reader) can gain privileges through a setuid or
//!   file-capability binary.
//! - Not dumpable (`PR_SET_DUMPABLE` 0): no core file, and processes of the
//!   same user can neither ptrace the agent nor open its `/proc/PID/mem`.
//! - `RLIMIT_CORE` 0, for systems where a core handler ignores the flag.
//! - umask 077: every file the agent makes (vault records, device state, the
//!   lock file) is private to the user.
//! - Memory locked (`mlockall`, on fault, current and future) where the
//!   limit allows it: without `CAP_IPC_LOCK` the usual 8 MiB limit is far
//!   below what the KDF needs, and locking future mappings under it would
//!   make allocations fail, so the agent then warns and runs unlocked.
//! - The soft descriptor limit raised to the hard one, so that the cap on
//!   connections ([`crate::connections::cap`]) sits well below it.

use rustix::fs::Mode;
use rustix::mm::{MlockAllFlags, mlockall};
use rustix::process::{DumpableBehavior, Resource, Rlimit, getrlimit, set_dumpable_behavior};

/// Memory the agent may need at worst: the KDF cap (1 GiB) plus a vault.
const LOCK_NEEDS: u64 = 1536 * 1024 * 1024;

/// What hardening achieved; logged once logging is up.
#[derive(Debug)]
pub struct Hardening {
    pub no_new_privs: Result<(), rustix::io::Errno>,
    pub dumpable_off: Result<(), rustix::io::Errno>,
    pub core_off: Result<(), rustix::io::Errno>,
    pub memory: MemoryLock,
    /// The soft descriptor limit after raising it; `None` for unlimited.
    pub open_files: Option<u64>,
    pub open_files_raised: Result<(), rustix::io::Errno>,
}

#[derive(Debug)]
pub enum MemoryLock {
    Locked,
    LimitTooLow { limit: u64 },
    Failed(rustix::io::Errno),
}

/// Applies everything above. Call before any thread is started.
pub fn harden() -> Hardening {
    let no_new_privs = rustix::thread::set_no_new_privs(true);
    let dumpable_off = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    let core_off = rustix::process::setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    );
    rustix::process::umask(Mode::from_bits_truncate(0o077));
    let files = getrlimit(Resource::Nofile);
    let open_files_raised = rustix::process::setrlimit(
        Resource::Nofile,
        Rlimit {
            current: files.maximum,
            maximum: files.maximum,
        },
    );
    Hardening {
        no_new_privs,
        dumpable_off,
        core_off,
        memory: lock_memory(),
        open_files: getrlimit(Resource::Nofile).current,
        open_files_raised,
    }
}

fn lock_memory() -> MemoryLock {
    let privileged = rustix::process::geteuid().is_root();
    let limit = getrlimit(Resource::Memlock).current;
    if !privileged && limit.is_some_and(|l| l < LOCK_NEEDS) {
        return MemoryLock::LimitTooLow {
            limit: limit.unwrap_or(0),
        };
    }
    match mlockall(MlockAllFlags::CURRENT | MlockAllFlags::FUTURE | MlockAllFlags::ONFAULT) {
        Ok(()) => MemoryLock::Locked,
        Err(e) => MemoryLock::Failed(e),
    }
}

impl Hardening {
    /// Logs the outcome; failures are warnings, never fatal.
    pub fn report(&self) {
        if let Err(e) = self.no_new_privs {
            tracing::warn!(error = %e, "could not set no-new-privileges");
        }
        if let Err(e) = self.open_files_raised {
            tracing::warn!(
                error = %e,
                limit = ?self.open_files,
                "could not raise the descriptor limit; fewer connections will be admitted"
            );
        }
        if let Err(e) = self.dumpable_off {
            tracing::warn!(error = %e, "could not make the agent non-dumpable");
        }
        if let Err(e) = self.core_off {
            tracing::warn!(error = %e, "could not disable core dumps");
        }
        match &self.memory {
            MemoryLock::Locked => tracing::info!("memory locked: secrets stay out of swap"),
            MemoryLock::LimitTooLow { limit } => tracing::warn!(
                limit_kib = limit / 1024,
                "memory not locked: RLIMIT_MEMLOCK is below what the agent may need; secrets \
                 could reach swap (use encrypted swap, or raise LimitMEMLOCK for idp-agent)"
            ),
            MemoryLock::Failed(e) => {
                tracing::warn!(error = %e, "memory not locked: secrets could reach swap")
            }
        }
    }
}
