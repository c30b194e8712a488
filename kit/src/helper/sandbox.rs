//! The reader's sandbox, entered after the kit file is open and before a
//! byte of it is read.
//!
//! Two independent layers, each enough on its own to stop a decoder bug
//! from reaching the agent's socket or the user's files:
//!
//! * **Landlock** handles every filesystem and network access right the
//!   running kernel's ABI knows and allows none of them, and scopes
//!   abstract Unix sockets and signals to this process. Descriptors
//!   opened before (the kit on stdin, the reply pipe) keep working; no
//!   path can be opened, created, removed or executed.
//! * **seccomp** allows only the system calls listed in [`allowed`]: memory
//!   management, reading the kit (fd 0), writing the reply (fd 1; fd 2 for
//!   a panic message), clocks, futexes, signal returns, closing and exiting.
//!   Any other call kills the process with `SIGSYS`; the parent reports
//!   that as a crash and the file as unreadable. No `open`, `socket`,
//!   `connect`, `execve`, `fork`, `ptrace`, and no new executable memory.
//!
//! Both are set by the single thread the helper has at that point, and both
//! are inherited by any thread made later. Where the kernel has neither
//! Landlock nor seccomp filters, [`enter`] fails, and the reader refuses the
//! file unless its caller asked for [`Policy::BestEffort`].

use std::collections::BTreeMap;

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, LandlockStatus, Ruleset,
    RulesetAttr, RulesetStatus, Scope,
};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// The newest Landlock ABI whose rights are asked for; a kernel that knows
/// fewer gets all of those it knows (the crate's best-effort mode).
const LANDLOCK_ABI: ABI = ABI::V10;

/// What to do when the kernel cannot sandbox the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Refuse to read the file.
    Required,
    /// Read it with whatever layers the kernel offers, maybe none.
    BestEffort,
}

/// The layers in force after [`enter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entered {
    /// The Landlock ABI enforced, `None` when the kernel has no Landlock.
    pub landlock: Option<i32>,
    pub seccomp: bool,
}

impl Entered {
    /// Both layers are in force.
    pub fn complete(&self) -> bool {
        self.landlock.is_some() && self.seccomp
    }
}

/// Which layers to set (the self-test sets each alone, too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layers {
    Both,
    LandlockOnly,
    SeccompOnly,
}

/// Sandboxes this process for good. `Err` says why it could not be done
/// under `policy`; under [`Policy::BestEffort`] it never fails.
pub fn enter(policy: Policy) -> Result<Entered, String> {
    enter_layers(Layers::Both, policy)
}

pub(super) fn enter_layers(layers: Layers, policy: Policy) -> Result<Entered, String> {
    let mut why = Vec::new();
    let landlock = if layers == Layers::SeccompOnly {
        None
    } else {
        landlock().map_err(|e| why.push(e)).ok()
    };
    let seccomp = layers != Layers::LandlockOnly && seccomp().map_err(|e| why.push(e)).is_ok();
    let entered = Entered { landlock, seccomp };
    match policy {
        Policy::Required if !why.is_empty() => Err(why.join("; ")),
        _ => Ok(entered),
    }
}

/// Restricts this thread (and later ones) with Landlock; returns the ABI.
fn landlock() -> Result<i32, String> {
    let status = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(LANDLOCK_ABI))
        .and_then(|r| r.handle_access(AccessNet::from_all(LANDLOCK_ABI)))
        .and_then(|r| r.scope(Scope::from_all(LANDLOCK_ABI)))
        .and_then(|r| r.create())
        .and_then(|r| r.restrict_self())
        .map_err(|e| format!("Landlock could not be set: {e}"))?;
    let abi = match status.landlock {
        LandlockStatus::Available { effective_abi, .. } => effective_abi as i32,
        LandlockStatus::NotEnabled => {
            return Err(
                "this kernel has Landlock but it is not enabled (add landlock to the lsm= boot parameter)"
                    .into(),
            );
        }
        LandlockStatus::NotImplemented => {
            return Err(
                "this kernel has no Landlock (Linux 5.13 or later built with it is needed)".into(),
            );
        }
    };
    match status.ruleset {
        RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced => Ok(abi),
        RulesetStatus::NotEnforced => Err("Landlock is not enforced by this kernel".into()),
    }
}

/// Installs the system call allowlist on every thread of the process.
fn seccomp() -> Result<(), String> {
    let arch = TargetArch::try_from(std::env::consts::ARCH)
        .map_err(|_| format!("no seccomp allowlist for {}", std::env::consts::ARCH))?;
    let filter = SeccompFilter::new(
        allowed().map_err(|e| format!("the seccomp allowlist is invalid: {e}"))?,
        SeccompAction::KillProcess,
        SeccompAction::Allow,
        arch,
    )
    .map_err(|e| format!("the seccomp allowlist is invalid: {e}"))?;
    let program: BpfProgram = filter
        .try_into()
        .map_err(|e| format!("the seccomp allowlist does not compile: {e}"))?;
    seccompiler::apply_filter_all_threads(&program)
        .map_err(|e| format!("this kernel refused the seccomp filter: {e}"))
}

/// A rule that holds when every condition holds.
fn when(conditions: Vec<SeccompCondition>) -> Result<SeccompRule, seccompiler::BackendError> {
    SeccompRule::new(conditions)
}

/// Argument `arg` compared with `op` against `value`.
fn arg(
    arg: u8,
    op: SeccompCmpOp,
    value: u64,
) -> Result<SeccompCondition, seccompiler::BackendError> {
    SeccompCondition::new(arg, SeccompCmpArgLen::Qword, op, value)
}

/// The system calls the reader may make, with conditions on their
/// arguments where one narrows what they can do. Kept in step with the list
/// in `docs/kit.md`; the integration tests read real and damaged kits under
/// this filter, so a call missing here shows up as a crash there.
fn allowed() -> Result<BTreeMap<i64, Vec<SeccompRule>>, seccompiler::BackendError> {
    use SeccompCmpOp::{Eq, MaskedEq};
    let no_exec = || arg(2, MaskedEq(libc::PROT_EXEC as u64), 0);
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    // Calls allowed whatever their arguments.
    for call in [
        libc::SYS_brk,
        libc::SYS_munmap,
        libc::SYS_mremap,
        libc::SYS_madvise,
        libc::SYS_futex,
        libc::SYS_sigaltstack,
        libc::SYS_rt_sigreturn,
        libc::SYS_rt_sigprocmask,
        libc::SYS_rt_sigaction,
        libc::SYS_clock_gettime,
        libc::SYS_sched_yield,
        libc::SYS_sched_getaffinity,
        libc::SYS_getrandom,
        libc::SYS_close,
        libc::SYS_exit,
        libc::SYS_exit_group,
    ] {
        rules.insert(call, Vec::new());
    }
    // The kit comes in on fd 0; the reply goes out on fd 1, a panic
    // message on fd 2 (the parent points it at /dev/null).
    rules.insert(libc::SYS_read, vec![when(vec![arg(0, Eq, 0)?])?]);
    rules.insert(
        libc::SYS_write,
        vec![when(vec![arg(0, Eq, 1)?])?, when(vec![arg(0, Eq, 2)?])?],
    );
    // Memory, but never executable: no code can be brought in.
    rules.insert(libc::SYS_mmap, vec![when(vec![no_exec()?])?]);
    rules.insert(libc::SYS_mprotect, vec![when(vec![no_exec()?])?]);
    // An abort (a failed allocation, a stack overflow) signals this process
    // only.
    let pid = std::process::id().into();
    rules.insert(libc::SYS_getpid, Vec::new());
    rules.insert(libc::SYS_gettid, Vec::new());
    rules.insert(libc::SYS_tgkill, vec![when(vec![arg(0, Eq, pid)?])?]);
    Ok(rules)
}
