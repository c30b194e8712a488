//! The clipboard tool dies with the holder that started it.
//!
//! `idp clipboard-hold` keeps the clipboard tool (`xclip`, `wl-copy`)
//! running until the clear time is up, then stops it, which empties the
//! clipboard. If the holder itself is killed first (`kill -9`, the session's
//! OOM killer), nobody would stop the tool and the secret would stay on the
//! clipboard for good. So the tool is started with a parent-death signal
//! (`prctl(PR_SET_PDEATHSIG, SIGTERM)`): the kernel sends it SIGTERM the
//! moment the holder's thread that started it exits, and the clipboard
//! owner is gone with it.
//!
//! This is the crate's only `unsafe`: a hook that runs in the forked child
//! before `exec`.
#![allow(unsafe_code)]

use rustix::process::{Signal, getpid, getppid, set_parent_process_death_signal};
use tokio::process::Command;

/// Makes the program `command` starts receive SIGTERM when this process
/// dies. The command must be spawned from the thread that lives as long as
/// the process (the holder's single runtime thread): the signal follows
/// the thread that forked.
pub fn terminate_with_parent(command: &mut Command) {
    let parent = getpid();
    // SAFETY: the hook runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed. It makes two raw system calls
    // (prctl and getppid) through rustix, which neither allocates nor takes
    // locks, and builds an io::Error from a plain error number.
    unsafe {
        command.pre_exec(move || {
            set_parent_process_death_signal(Some(Signal::TERM))
                .map_err(|e| std::io::Error::from_raw_os_error(e.raw_os_error()))?;
            // The holder may have died between fork and prctl: then no
            // signal would ever come, so the tool must not start at all.
            if getppid() != Some(parent) {
                return Err(std::io::Error::from_raw_os_error(
                    rustix::io::Errno::SRCH.raw_os_error(),
                ));
            }
            Ok(())
        });
    }
}
