//! A write the vault folder refuses (here: this device's log made
//! immutable, as a full disk or a read-only mount would) reaches the CLI and
//! the agent's log, with the file and the operating system's error.

use std::path::Path;
use std::process::Command;

use crate::harness::World;

const PASSWORD: &str = "correct horse";

/// Makes a file immutable (`chattr +i`) and mutable again on drop, so the
/// test's folder can be removed.
struct Immutable<'a>(&'a Path);

impl<'a> Immutable<'a> {
    fn set(path: &'a Path) -> Immutable<'a> {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .expect("chattr (e2fsprogs) must be installed")
            .success();
        assert!(
            ok,
            "chattr +i {} failed: the test needs root on ext4, xfs or btrfs",
            path.display()
        );
        Immutable(path)
    }
}

impl Drop for Immutable<'_> {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(self.0).status();
    }
}

#[test]
fn write_failures_are_in_the_agents_log_with_the_file_and_the_os_error() {
    let w = World::new();
    w.init(PASSWORD);
    w.idp(&["add", "first", "--password-stdin"], "pw\n").ok();
    let logs = w.path("data/idp/vault/logs");
    let own = std::fs::read_dir(&logs)
        .expect("logs")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "log"))
        .expect("this device's log");
    let _guard = Immutable::set(&own);

    let err = w
        .idp(&["add", "second", "--password-stdin"], "pw\n")
        .fails(1);
    assert!(err.contains("agent's log"), "{err}");
    let log = w.log();
    let line = log
        .lines()
        .find(|l| l.contains("could not be read or written"))
        .unwrap_or_else(|| panic!("no failure logged:\n{log}"));
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains(&own.display().to_string()), "{line}");
    assert!(line.contains("Operation not permitted"), "{line}");
}
