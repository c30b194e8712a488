//! Crash safety: a child process writes to the vault and reports each write
//! before ("try") and after ("ack") it returns; the test kills it with
//! SIGKILL at random moments. After each kill the vault must open and hold
//! every acknowledged write, plus at most the one write that was in flight.
//!
//! 200 kills by default; `IDP_CRASH_RUNS=10000` for a long run.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use idp_vault::{Device, ItemId, LockedVault, SecretString};

use crate::common::{fast, login};

const PASSWORD: &str = "crash test password";

/// The writer, run as a child process by `writes_survive_sigkill`.
#[test]
#[ignore = "child process of writes_survive_sigkill"]
fn crash_child_writer() {
    let Ok(dir) = std::env::var("IDP_CRASH_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let key =
        idp_vault::ClientKey::parse(&std::env::var("IDP_CRASH_KEY").expect("key")).expect("key");
    let device = Device::load_or_create(&dir.join("state")).expect("device");
    let mut v = LockedVault::open(&dir.join("vault"))
        .expect("open")
        .unlock(&SecretString::from(PASSWORD), &key, &device)
        .expect("unlock");
    let mut out = std::io::stdout().lock();
    let mut n: u64 = std::env::var("IDP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    loop {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let live: Vec<ItemId> = v.items().map(|i| i.id).collect();
        let value = format!("v{n:016x}");
        if live.len() < 5 || n.is_multiple_of(3) {
            let mut item = login("crash", &value);
            item.id = ItemId::random().expect("rng");
            writeln!(out, "try add {} {value}", item.id).expect("pipe");
            out.flush().expect("pipe");
            let id = v.add(item).expect("add");
            writeln!(out, "ack add {id} {value}").expect("pipe");
        } else if n.is_multiple_of(7) {
            let id = live[(n >> 8) as usize % live.len()];
            writeln!(out, "try rm {id} -").expect("pipe");
            out.flush().expect("pipe");
            v.remove(&id).expect("rm");
            writeln!(out, "ack rm {id} -").expect("pipe");
        } else {
            let id = live[(n >> 8) as usize % live.len()];
            writeln!(out, "try edit {id} {value}").expect("pipe");
            out.flush().expect("pipe");
            v.edit(&id, |i| i.password = Some(value.as_str().into()))
                .expect("edit");
            writeln!(out, "ack edit {id} {value}").expect("pipe");
        }
        out.flush().expect("pipe");
    }
}

type State = BTreeMap<String, String>;

fn apply(state: &mut State, op: &str, id: &str, value: &str) {
    match op {
        "rm" => {
            state.remove(id);
        }
        _ => {
            state.insert(id.to_string(), value.to_string());
        }
    }
}

#[test]
fn writes_survive_sigkill() {
    let runs: usize = std::env::var("IDP_CRASH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let tmp = tempfile::tempdir().expect("tmp");
    let device = Device::load_or_create(&tmp.path().join("state")).expect("device");
    let (v, key) = LockedVault::create(
        &tmp.path().join("vault"),
        "crash",
        &PASSWORD.into(),
        fast(),
        &device,
    )
    .expect("create");
    drop(v);
    let exe = std::env::current_exe().expect("exe");
    let mut acked = State::new();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut total_acks = 0usize;
    for run in 0..runs {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "crash::crash_child_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("IDP_CRASH_DIR", tmp.path())
            .env("IDP_CRASH_KEY", key.expose_canonical().expose())
            .env("IDP_CRASH_SEED", rng.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Let it write for a random moment after its first acknowledged write.
        let mut in_flight: Option<(String, String, String)> = None;
        let mut state = acked.clone();
        let deadline = Duration::from_micros(rng % 40_000);
        let mut started = None;
        loop {
            let wait = match started {
                None => Duration::from_secs(30),
                Some(t) => deadline.saturating_sub(std::time::Instant::elapsed(&t)),
            };
            match rx.recv_timeout(wait) {
                Ok(line) => {
                    let parts: Vec<&str> = line.split(' ').collect();
                    if parts.len() != 4 {
                        continue;
                    }
                    let (op, id, value) = (
                        parts[1].to_string(),
                        parts[2].to_string(),
                        parts[3].to_string(),
                    );
                    if parts[0] == "try" {
                        in_flight = Some((op, id, value));
                    } else {
                        apply(&mut state, &op, &id, &value);
                        in_flight = None;
                        total_acks += 1;
                        started.get_or_insert_with(std::time::Instant::now);
                    }
                }
                Err(_) => break,
            }
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        reader.join().expect("reader");
        // Acks that were already in the pipe were acknowledged too.
        for line in rx.try_iter() {
            let parts: Vec<&str> = line.split(' ').collect();
            if parts.len() == 4 {
                if parts[0] == "try" {
                    in_flight = Some((parts[1].into(), parts[2].into(), parts[3].into()));
                } else {
                    apply(&mut state, parts[1], parts[2], parts[3]);
                    in_flight = None;
                    total_acks += 1;
                }
            }
        }

        let v = LockedVault::open(&tmp.path().join("vault"))
            .expect("opens after kill")
            .unlock(&PASSWORD.into(), &key, &device)
            .unwrap_or_else(|e| panic!("run {run}: vault does not unlock after SIGKILL: {e}"));
        let found: State = v
            .items()
            .map(|i| {
                (
                    i.id.to_hex(),
                    i.password
                        .as_ref()
                        .map(|p| p.expose().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect();
        let mut with_flight = state.clone();
        if let Some((op, id, value)) = &in_flight {
            apply(&mut with_flight, op, id, value);
        }
        assert!(
            found == state || found == with_flight,
            "run {run}: acknowledged writes lost\nacked: {state:?}\nfound: {found:?}\nin flight: {in_flight:?}"
        );
        acked = found;
    }
    assert!(
        total_acks >= runs,
        "children wrote too little to test anything ({total_acks} acks)"
    );
}
