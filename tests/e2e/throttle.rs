//! The failed-unlock throttle is kept in the device's state folder, so
//! killing the agent and starting another does not reset the backoff.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::harness::{World, signal};

#[test]
fn the_unlock_throttle_survives_killing_the_agent() {
    let w = World::new();
    let key = w.init("right password");
    w.idp(&["lock"], "").ok();

    // Five failures are free; the sixth must wait 2 s after the fifth.
    for _ in 0..5 {
        let err = w.unlock("wrong password", &key).fails(6);
        assert!(err.contains("wrong password"), "{err}");
    }
    std::thread::sleep(Duration::from_millis(2100));
    w.unlock("wrong password", &key).fails(6);
    // Now a 4 s wait, from this failure.
    let last_failure = Instant::now();
    let file = w.path("state/idp/unlock-throttle");
    let mode = std::fs::metadata(&file)
        .expect("throttle file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let old = w.agent_pid();
    signal(old, rustix::process::Signal::KILL);
    w.wait_for(10, "the old agent to die", || {
        !std::path::Path::new(&format!("/proc/{old}")).exists()
    });
    // `idp unlock` starts a new agent, which must still refuse, even with
    // the right password.
    let err = w.unlock("right password", &key).fails(6);
    assert!(err.contains("try again in"), "{err}");
    assert_ne!(w.agent_pid(), old, "a new agent answered");
    assert!(
        w.log().contains("carried over from before the restart"),
        "{}",
        w.log()
    );

    let wait = Duration::from_millis(4100).saturating_sub(last_failure.elapsed());
    std::thread::sleep(wait);
    w.unlock("right password", &key).ok();
    assert!(!file.exists(), "a success clears the count");
}
