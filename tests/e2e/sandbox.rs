//! The kit reader's sandbox, proven on the real `idp-kit` next to a real
//! agent: once sandboxed, the reader cannot open a file, connect to the
//! agent's socket or run a program, and a real kit still reads.
//!
//! With both layers (as `idp-kit read` runs) and with seccomp alone, each
//! attempt is answered by the kernel killing the reader with `SIGSYS` at
//! the first forbidden call (`openat`, `socket`, `execve`). With Landlock
//! alone, opening and running are refused with `EACCES`; connecting to a
//! Unix socket by path is not a Landlock right on kernels before its ABI 9,
//! which is why seccomp forbids `socket` itself.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};

use crate::harness::World;

/// `idp-kit sandbox-selftest ARGS`, with nothing but its arguments.
fn selftest(w: &World, args: &[&str]) -> Output {
    Command::new(w.bins.join("idp-kit"))
        .arg("sandbox-selftest")
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .expect("run idp-kit")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_sandboxed_reader_cannot_open_connect_or_exec() {
    let w = World::new();
    w.init("sandbox password");
    let socket = w.socket();
    let socket = socket.to_str().expect("utf8");
    // What the attempts aim at is there and usable outside the sandbox:
    // the agent's socket answers, the device's identity can be read.
    let file = w.path("state/idp/device-id");
    let file = file.to_str().expect("utf8");
    std::os::unix::net::UnixStream::connect(socket).expect("the agent's socket answers");
    std::fs::read(file).expect("the file can be read");
    let program = "/bin/true";
    assert!(Command::new(program).status().expect("run").success());

    // Entering the sandbox alone does not kill the reader.
    for layers in ["both", "landlock", "seccomp"] {
        let out = selftest(&w, &[layers, "none"]);
        assert!(out.status.success(), "{layers}: {:?}", out);
        assert_eq!(text(&out.stdout), "sandboxed\n", "{layers}");
    }

    let attempts = [["open", file], ["connect", socket], ["exec", program]];
    let sigsys = rustix::process::Signal::SYS.as_raw();
    for layers in ["both", "seccomp"] {
        for attempt in attempts {
            let mut args = vec![layers];
            args.extend(attempt);
            let out = selftest(&w, &args);
            assert_eq!(
                out.status.signal(),
                Some(sigsys),
                "{layers} {attempt:?}: {:?} {}",
                out.status,
                text(&out.stdout)
            );
            assert_eq!(text(&out.stdout), "sandboxed\n", "{layers} {attempt:?}");
        }
    }
    for attempt in [["open", file], ["exec", program]] {
        let mut args = vec!["landlock"];
        args.extend(attempt);
        let out = selftest(&w, &args);
        assert!(out.status.success(), "landlock {attempt:?}: {:?}", out);
        assert_eq!(
            text(&out.stdout),
            format!(
                "sandboxed\nrefused: {}\n",
                rustix::io::Errno::ACCESS.raw_os_error()
            ),
            "landlock {attempt:?}"
        );
    }
    // The agent noticed nothing and still serves.
    assert_eq!(w.state(), "unlocked");
}

#[test]
fn a_real_kit_reads_in_the_sandbox() {
    let w = World::new();
    let key = w.init("sandbox password");
    let out = w
        .idp(
            &["kit", "save", "--pdf", "--password-stdin"],
            "sandbox password\n",
        )
        .ok();
    let kit = out
        .lines()
        .find_map(|l| l.strip_prefix("saved "))
        .expect("saved line")
        .to_owned();
    // As the agent and `idp` run it: the open file as stdin, no argument
    // naming it, an empty environment.
    let read = Command::new(w.bins.join("idp-kit"))
        .arg("read")
        .env_clear()
        .stdin(std::fs::File::open(&kit).expect("open kit"))
        .output()
        .expect("run idp-kit");
    assert!(read.status.success(), "{read:?}");
    let answer: serde_json::Value = serde_json::from_slice(&read.stdout).expect("json");
    let ok = &answer["Ok"];
    assert_eq!(ok["sandboxed"], true, "{answer}");
    assert_eq!(ok["key"].as_str().map(str::len), Some(36), "{answer}");
    assert_eq!(ok["key"].as_str(), Some(key.replace('-', "").as_str()));
    // And through `idp`, which runs the same reader.
    let verdict = w.idp(&["kit", "verify", &kit], "").ok();
    assert!(verdict.contains("current client key"), "{verdict}");
}
