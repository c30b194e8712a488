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

use std::path::PathBuf;
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
    let stream = UnixStream::connect(paths::socket_path(uid)).await?;
    let client =
        AgentClient::new(tarpc::client::Config::default(), framing::transport(stream)).spawn();
    client.hello(ctx(), PROTOCOL_VERSION).await??;
    Ok(client)
}

async fn echo(mut s: UnixStream) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let Ok(len) = s.read_u32().await else { return };
        let len = len as usize;
        if len > buf.len() || s.read_exact(&mut buf[..len]).await.is_err() {
            return;
        }
        if s.write_u32(len as u32).await.is_err() || s.write_all(&buf[..len]).await.is_err() {
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

async fn round_trip(s: &mut UnixStream) -> Res<()> {
    s.write_all(&[0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]).await?;
    let len = s.read_u32().await? as usize;
    let mut buf = [0u8; 8];
    s.read_exact(&mut buf[..len.min(8)]).await?;
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

async fn load(clients: usize, secs: u64) -> Res<()> {
    for (label, use_status) in [
        ("hello (no state)", false),
        ("status (through the actor)", true),
    ] {
        let until = Instant::now() + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let client = agent().await?;
            tasks.push(tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < until {
                    let ok = if use_status {
                        client.status(ctx()).await.map(|r| r.is_ok())
                    } else {
                        client
                            .hello(ctx(), PROTOCOL_VERSION)
                            .await
                            .map(|r| r.is_ok())
                    };
                    if ok.unwrap_or(false) {
                        n += 1;
                    }
                }
                n
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await?;
        }
        println!(
            "{clients} clients, {label}: {:.0} calls/s",
            total as f64 / secs as f64
        );
    }
    Ok(())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn latency(n: usize, bare: PathBuf) -> Res<()> {
    let client = agent().await?;
    let mut hello = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        client.hello(ctx(), PROTOCOL_VERSION).await??;
        hello.push(t.elapsed());
        let t = Instant::now();
        client.status(ctx()).await??;
        status.push(t.elapsed());
    }
    let mut s = UnixStream::connect(&bare).await?;
    let mut ping = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        round_trip(&mut s).await?;
        ping.push(t.elapsed());
    }
    let (h, st, p) = (median(hello), median(status), median(ping));
    println!("median single-call latency over {n} calls:");
    println!(
        "  agent hello   {:>7.1} us ({:.2}x bare)",
        h.as_secs_f64() * 1e6,
        h.as_secs_f64() / p.as_secs_f64()
    );
    println!(
        "  agent status  {:>7.1} us ({:.2}x bare)",
        st.as_secs_f64() * 1e6,
        st.as_secs_f64() / p.as_secs_f64()
    );
    println!("  bare ping     {:>7.1} us", p.as_secs_f64() * 1e6);
    Ok(())
}

fn usage() -> Res<()> {
    Err("usage: idp-bench floor-server SOCK | floor-client SOCK | fill N | load CLIENTS SECS | latency N SOCK | sync-latency N SOCK_A SOCK_B | vault-import CSV DIR".into())
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
    let threads: usize = std::env::var("IDP_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let rt = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let num = |i: usize| {
        arg(i)
            .parse::<usize>()
            .map_err(|e| format!("argument {i}: {e}"))
    };
    match arg(0).as_str() {
        "floor-server" => rt.block_on(floor_server(arg(1).into())),
        "fill" => rt.block_on(fill(num(1)?)),
        "load" => rt.block_on(load(num(1)?, num(2)? as u64)),
        "latency" => rt.block_on(latency(num(1)?, arg(2).into())),
        "sync-latency" => rt.block_on(sync::latency(num(1)?, arg(2).into(), arg(3).into())),
        "vault-import" => sync::vault_import(arg(1).as_ref(), arg(2).as_ref()),
        _ => usage(),
    }
}
