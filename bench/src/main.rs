//! Benchmark drivers for `bench/run.sh`.
//!
//! ```text
//! idp-bench floor-server SOCK     bare length-prefixed echo server
//! idp-bench floor-client SOCK     one round trip to it, then exit (the floor)
//! idp-bench fill N                add N items through the agent
//! idp-bench load CLIENTS SECS     calls/s with CLIENTS concurrent connections
//! idp-bench latency N SOCK        median single-call latency: agent vs bare
//! idp-bench sync-latency N SOCK_A SOCK_B
//!                                 edit on agent A until agent B serves it
//! idp-bench vault-import CSV DIR  parse + import straight into a new vault
//! ```
//!
//! The agent is found where `idp` finds it ($XDG_RUNTIME_DIR/idp/agent.sock).

mod sync;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use idp_proto::{AgentClient, ItemData, ItemKind, PROTOCOL_VERSION, Secret, framing, paths};
use tarpc::context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

pub(crate) type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub(crate) fn ctx() -> context::Context {
    let mut c = context::current();
    c.deadline = Instant::now() + Duration::from_secs(60);
    c
}

async fn agent() -> Res<AgentClient> {
    let uid = rustix::process::getuid().as_raw();
    let stream = idp_proto::socket::connect(&paths::socket_path(uid)).await?;
    let client =
        AgentClient::new(tarpc::client::Config::default(), framing::transport(stream)).spawn();
    client.hello(ctx(), PROTOCOL_VERSION).await??;
    Ok(client)
}

/// The floor's server: answers each frame with the same bytes, every
/// whole frame read answered by one write, so that it costs one read and
/// one write per call.
async fn echo(mut s: UnixStream) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut have = 0;
    loop {
        match s.read(&mut buf[have..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
        let mut whole = 0;
        while have - whole >= 4 {
            let len = u32::from_be_bytes(buf[whole..whole + 4].try_into().expect("4 bytes"));
            let end = whole + 4 + len as usize;
            if end > have {
                break;
            }
            whole = end;
        }
        if whole > 0 {
            if s.write_all(&buf[..whole]).await.is_err() {
                return;
            }
            buf.copy_within(whole..have, 0);
            have -= whole;
        }
        if have == buf.len() {
            return;
        }
    }
}

async fn floor_server(path: PathBuf) -> Res<()> {
    let _ = std::fs::remove_file(&path);
    let l = UnixListener::bind(&path)?;
    println!("ready");
    loop {
        let (s, _) = l.accept().await?;
        tokio::spawn(echo(s));
    }
}

/// One call of the floor: an 8-byte frame out, the same back.
async fn round_trip(s: &mut UnixStream) -> Res<()> {
    const FRAME: [u8; 12] = [0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8];
    s.write_all(&FRAME).await?;
    let mut back = [0u8; 12];
    s.read_exact(&mut back).await?;
    if back != FRAME {
        return Err("the floor server answered another frame".into());
    }
    Ok(())
}

async fn fill(n: usize) -> Res<()> {
    let client = agent().await?;
    for i in 0..n {
        let mut item = ItemData::new(ItemKind::Login, &format!("item-{i:05}"));
        item.username = Some(format!("user{i}@example.com"));
        item.urls = vec![format!("https://site{i}.example.com/login")];
        item.password = Some(Secret::new(&format!("password-{i:05}-xxxxxxxx")));
        client.add(ctx(), item).await??;
    }
    Ok(())
}

/// What `load` calls.
#[derive(Clone, Copy)]
enum Call {
    Bare,
    Hello,
    Status,
    Get,
}

const CALLS: [(Call, &str); 4] = [
    (Call::Bare, "bare ping (floor server)"),
    (Call::Hello, "hello (no vault thread)"),
    (Call::Status, "status (published snapshot)"),
    (Call::Get, "get item-00500 (vault thread)"),
];

/// Calls per second that `clients` connections, each one call at a time,
/// make of `call` in `secs`.
async fn throughput(call: Call, clients: usize, secs: f64, bare: &Path) -> Res<f64> {
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (mut bare, agent) = match call {
            Call::Bare => (Some(UnixStream::connect(bare).await?), None),
            _ => (None, Some(agent().await?)),
        };
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < until {
                let ok = match (&mut bare, &agent, call) {
                    (Some(s), _, _) => round_trip(s).await.is_ok(),
                    (_, Some(c), Call::Hello) => {
                        matches!(c.hello(ctx(), PROTOCOL_VERSION).await, Ok(Ok(_)))
                    }
                    (_, Some(c), Call::Status) => matches!(c.status(ctx()).await, Ok(Ok(_))),
                    (_, Some(c), _) => {
                        matches!(c.get(ctx(), "item-00500".into()).await, Ok(Ok(_)))
                    }
                    (None, None, _) => false,
                };
                if !ok {
                    return Err("a call failed (is item-00500 there, and the vault unlocked?)");
                }
                n += 1;
            }
            Ok(n)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}

/// `rounds` rounds of each kind of call in turn, so that whatever else the
/// machine does falls on every kind alike; then median [min, max] of each.
async fn load(clients: usize, secs: f64, rounds: usize, bare: PathBuf) -> Res<()> {
    let mut rates: [Vec<f64>; 4] = Default::default();
    for _ in 0..rounds {
        for (i, (call, _)) in CALLS.iter().enumerate() {
            rates[i].push(throughput(*call, clients, secs, &bare).await?);
        }
    }
    for r in &mut rates {
        r.sort_by(f64::total_cmp);
    }
    let median = |r: &[f64]| r[r.len() / 2];
    println!("{clients} clients, {rounds} rounds of {secs} s (calls/s: median [min, max]):");
    for (r, (_, label)) in rates.iter().zip(CALLS) {
        println!(
            "  {label:<30} {:>7.0} [{:.0}, {:.0}]  {:.2}x bare",
            median(r),
            r[0],
            r[r.len() - 1],
            median(r) / median(&rates[0])
        );
    }
    Ok(())
}

/// Median, 10th and 90th percentile.
fn spread(mut v: Vec<Duration>) -> [Duration; 3] {
    v.sort();
    let at = |q: usize| v[(v.len() - 1) * q / 100];
    [at(50), at(10), at(90)]
}

/// One call of each kind in turn, `n` times, so that whatever else the
/// machine does falls on every kind alike.
async fn latency(n: usize, bare: PathBuf) -> Res<()> {
    let client = agent().await?;
    let mut s = UnixStream::connect(&bare).await?;
    let mut times: [Vec<Duration>; 4] = Default::default();
    for _ in 0..n {
        let t = Instant::now();
        round_trip(&mut s).await?;
        times[0].push(t.elapsed());
        let t = Instant::now();
        client.hello(ctx(), PROTOCOL_VERSION).await??;
        times[1].push(t.elapsed());
        let t = Instant::now();
        client.status(ctx()).await??;
        times[2].push(t.elapsed());
        let t = Instant::now();
        // An error (no such item, a locked vault) is a round trip too.
        let _ = client.get(ctx(), "item-00500".into()).await?;
        times[3].push(t.elapsed());
    }
    let [bare, hello, status, get] = times.map(spread);
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!("single-call latency over {n} calls each (median [p10, p90]):");
    println!(
        "  bare ping     {:>6.1} us [{:.1}, {:.1}]",
        us(bare[0]),
        us(bare[1]),
        us(bare[2])
    );
    for (label, t) in [
        ("agent hello", hello),
        ("agent status", status),
        ("agent get", get),
    ] {
        println!(
            "  {label:<13} {:>6.1} us [{:.1}, {:.1}]  {:.2}x bare",
            us(t[0]),
            us(t[1]),
            us(t[2]),
            us(t[0]) / us(bare[0])
        );
    }
    Ok(())
}

fn usage() -> Res<()> {
    Err("usage: idp-bench floor-server SOCK | floor-client SOCK | fill N | load CLIENTS SECS ROUNDS SOCK | latency N SOCK | sync-latency N SOCK_A SOCK_B | vault-import CSV DIR".into())
}

/// One round trip with no async runtime: what a minimal client costs.
fn floor_client(path: &str) -> Res<()> {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(path)?;
    s.write_all(&[0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])?;
    let mut buf = [0u8; 12];
    s.read_exact(&mut buf)?;
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("floor-client") {
        return floor_client(args.get(1).map_or("", String::as_str));
    }
    // One thread, as in `idp` and the tray: the clients under test are
    // what a real client is. (A two-thread pool spent more time waking its
    // threads than calling: 61k against 92k calls/s of `hello`.)
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let num = |i: usize| {
        arg(i)
            .parse::<usize>()
            .map_err(|e| format!("argument {i}: {e}"))
    };
    match arg(0).as_str() {
        "floor-server" => rt.block_on(floor_server(arg(1).into())),
        "fill" => rt.block_on(fill(num(1)?)),
        "load" => rt.block_on(load(
            num(1)?,
            arg(2).parse().map_err(|e| format!("SECS: {e}"))?,
            num(3)?,
            arg(4).into(),
        )),
        "latency" => rt.block_on(latency(num(1)?, arg(2).into())),
        "sync-latency" => rt.block_on(sync::latency(num(1)?, arg(2).into(), arg(3).into())),
        "vault-import" => sync::vault_import(arg(1).as_ref(), arg(2).as_ref()),
        _ => usage(),
    }
}
