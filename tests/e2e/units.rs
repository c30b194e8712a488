//! The systemd user units in `systemd/` pass `systemd-analyze --user verify`
//! with no output at all (it exits 0 on some warnings, so output fails too).

use std::process::Command;

use crate::harness::World;

#[test]
fn systemd_units_verify_without_a_word() {
    let w = World::new();
    let units = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../systemd");
    let agent = w.bins.join("idp-agent");
    let names = [
        "idp-agent.socket",
        "idp-ssh-agent.socket",
        "idp-agent.service",
    ];
    for name in names {
        let text = std::fs::read_to_string(units.join(name)).expect("unit");
        // Verify checks that ExecStart exists: point it at the binary built here.
        let text = text.replace("/usr/bin/idp-agent", agent.to_str().expect("utf8 path"));
        std::fs::write(w.path(name), text).expect("write unit");
    }
    let out = Command::new("systemd-analyze")
        .args(["--user", "verify", "--man=no"])
        .args(names.map(|n| w.path(n)))
        .env("XDG_RUNTIME_DIR", w.path("run"))
        .output()
        .expect("systemd-analyze (package systemd) must be installed");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
}

#[test]
fn tray_autostart_entry_validates_without_a_word() {
    let entry =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../systemd/idp-tray.desktop");
    let out = Command::new("desktop-file-validate")
        .arg(&entry)
        .output()
        .expect("desktop-file-validate (package desktop-file-utils) must be installed");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
    let text = std::fs::read_to_string(&entry).expect("entry");
    assert!(text.lines().any(|l| l == "Exec=idp-tray"), "{text}");
}
