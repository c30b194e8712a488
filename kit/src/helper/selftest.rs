//! `idp-kit sandbox-selftest LAYERS ATTEMPT [ARG]`: proof that the sandbox
//! holds, for the tests (not listed in the usage text).
//!
//! The child limits itself as `read` does, enters the sandbox layers named
//! by `LAYERS` (`both`, `landlock` or `seccomp`), prints `sandboxed`, then
//! makes one attempt that a decoder exploit would make:
//!
//! * `open PATH`: open a file for reading;
//! * `connect SOCKET`: connect to a Unix socket (the agent's, say);
//! * `exec PATH`: replace itself with another program.
//!
//! It prints `refused: ERRNO` (and exits 0) when the call failed, or
//! `allowed` (and exits 1) when it succeeded. Under seccomp none of these
//! calls returns: the kernel kills the process with `SIGSYS`, which the
//! caller sees as the exit status. `none` makes no attempt, to show that
//! entering the sandbox alone does not kill the process.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::Command;

use super::sandbox::{Layers, Policy, enter_layers};

pub(super) fn run(args: &[&str]) -> i32 {
    let (layers, attempt) = match args {
        ["both", attempt @ ..] => (Layers::Both, attempt),
        ["landlock", attempt @ ..] => (Layers::LandlockOnly, attempt),
        ["seccomp", attempt @ ..] => (Layers::SeccompOnly, attempt),
        _ => return usage(),
    };
    if !matches!(attempt, ["none"] | ["open" | "connect" | "exec", _]) {
        return usage();
    }
    if let Err(why) = enter_layers(layers, Policy::Required) {
        println!("no sandbox: {why}");
        return 4;
    }
    say("sandboxed");
    let outcome = match attempt {
        ["open", path] => std::fs::File::open(path).map(drop),
        ["connect", socket] => UnixStream::connect(socket).map(drop),
        // `exec` returns only when it failed.
        ["exec", path] => Err(Command::new(path).exec()),
        _ => Ok(()),
    };
    match outcome {
        Ok(()) if attempt == ["none"] => 0,
        Ok(()) => {
            say("allowed");
            1
        }
        Err(e) => {
            say(&format!("refused: {}", e.raw_os_error().unwrap_or(0)));
            0
        }
    }
}

/// One line on stdout, flushed before the next attempt can kill us.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

fn usage() -> i32 {
    eprintln!(
        "usage: idp-kit sandbox-selftest both|landlock|seccomp none|open PATH|connect SOCKET|exec PATH"
    );
    2
}
