//! The protocol itself, spoken directly: version check and the long poll.

use std::time::{Duration, Instant};

use idp_proto::{AgentClient, PROTOCOL_VERSION, ProtoError, State, framing};
use tarpc::context;

use crate::harness::World;

fn ctx(secs: u64) -> context::Context {
    let mut c = context::current();
    c.deadline = Instant::now() + Duration::from_secs(secs);
    c
}

fn client(w: &World, rt: &tokio::runtime::Runtime) -> AgentClient {
    rt.block_on(async {
        let s = tokio::net::UnixStream::connect(w.socket())
            .await
            .expect("connect");
        AgentClient::new(tarpc::client::Config::default(), framing::transport(s)).spawn()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn other_protocol_versions_are_refused() {
    let w = World::new();
    w.idp(&["status"], "").ok();
    let rt = runtime();
    let c = client(&w, &rt);
    let r = rt
        .block_on(c.hello(ctx(5), PROTOCOL_VERSION + 1))
        .expect("rpc");
    assert_eq!(
        r,
        Err(ProtoError::ProtocolMismatch {
            agent: PROTOCOL_VERSION,
            client: PROTOCOL_VERSION + 1
        })
    );
    let hello = rt
        .block_on(c.hello(ctx(5), PROTOCOL_VERSION))
        .expect("rpc")
        .expect("hello");
    assert_eq!(hello.protocol, PROTOCOL_VERSION);
}

#[test]
fn watch_returns_when_the_state_changes() {
    let w = World::new();
    w.init("pw");
    let rt = runtime();
    let c = client(&w, &rt);
    // Let the agent's start-up work (first read of the vault folder, the
    // key cache opening) settle: a generation unchanged for 600 ms.
    let mut now = rt.block_on(c.status(ctx(5))).expect("rpc").expect("status");
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(600));
        let again = rt.block_on(c.status(ctx(5))).expect("rpc").expect("status");
        if again.generation == now.generation {
            break;
        }
        now = again;
    }
    assert_eq!(now.state, State::Unlocked);

    // Nothing changes: the call answers shortly before its deadline.
    let t = Instant::now();
    let same = rt
        .block_on(c.watch(ctx(2), now.generation))
        .expect("rpc")
        .expect("watch");
    assert_eq!(same.generation, now.generation);
    assert!(
        t.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        t.elapsed()
    );

    // A lock from elsewhere wakes the call at once.
    let t = Instant::now();
    let mut lock = w.cmd(&["lock"]);
    let locker = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        lock.output()
    });
    let changed = rt
        .block_on(c.watch(ctx(30), now.generation))
        .expect("rpc")
        .expect("watch");
    assert!(
        locker
            .join()
            .expect("lock")
            .expect("idp lock")
            .status
            .success()
    );
    assert_eq!(changed.state, State::Locked { key_known: false });
    assert!(changed.generation > now.generation);
    assert!(t.elapsed() >= Duration::from_millis(500));
    assert!(t.elapsed() < Duration::from_secs(10));
}
