//! Connections cannot starve the agent: a cap with the longest-quiet
//! connection closed to admit a new one, a deadline for a first frame and
//! for every started frame, and buffers that grow only with the bytes that
//! arrive and go with their connection.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crate::harness::{World, random_token};

/// The agent's resident memory in KiB.
fn rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

fn open_descriptors(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// This process needs a descriptor per connection it opens.
fn raise_own_descriptor_limit(need: u64) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let lim = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: lim.maximum,
            maximum: lim.maximum,
        },
    );
    let now = getrlimit(Resource::Nofile).current;
    assert!(
        now.is_none_or(|n| n >= need),
        "this test needs {need} descriptors, the limit is {now:?}"
    );
}

/// Milliseconds of `idp get` runs, in order of measurement.
fn time_gets(w: &World, runs: usize, secret: &str) -> Vec<f64> {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            let out = w.idp(&["get", "github"], "").ok();
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(out.trim(), secret);
            ms
        })
        .collect()
}

/// Median, 90th percentile and maximum.
fn summary(ms: &[f64]) -> (f64, f64, f64) {
    let mut v = ms.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9), at(1.0))
}

/// 1,000 connections that send nothing and 1,000 that announce a frame just
/// under the 1 MiB cap and send one byte of it: `idp get` still answers
/// within 50 ms, and once they are closed the agent's memory is back.
/// Prints the figures (`cargo test -p idp-e2e --test e2e -- --nocapture
/// two_thousand`).
#[test]
fn two_thousand_idle_and_slow_connections_do_not_starve_idp_get() {
    const IDLE: usize = 1000;
    const SLOW: usize = 1000;
    raise_own_descriptor_limit((IDLE + SLOW + 64) as u64);
    let w = World::new();
    w.init("pw");
    let secret = random_token(24);
    w.idp(
        &["add", "github", "--password-stdin"],
        &format!("{secret}\n"),
    )
    .ok();
    let pid = w.agent_pid();
    // Warm up, then the baseline.
    let quiet = time_gets(&w, 20, &secret);
    let rss_before = rss_kib(pid);
    let fds_before = open_descriptors(pid);

    let announce = ((1 << 20) - 16u32).to_be_bytes();
    let t = Instant::now();
    let mut conns = Vec::with_capacity(IDLE + SLOW);
    for i in 0..IDLE + SLOW {
        let mut s = UnixStream::connect(w.socket()).expect("connect");
        if i % 2 == 1 {
            // Slow: a big frame announced, one byte of it sent.
            s.write_all(&announce).expect("announce");
            s.write_all(b"x").expect("one byte");
        }
        conns.push(s);
    }
    let opened = t.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    let rss_during = rss_kib(pid);
    let fds_during = open_descriptors(pid);
    let loaded = time_gets(&w, 30, &secret);
    let rss_loaded = rss_kib(pid);

    drop(conns);
    std::thread::sleep(Duration::from_secs(2));
    let rss_after = rss_kib(pid);
    let fds_after = open_descriptors(pid);
    let after = time_gets(&w, 10, &secret);

    let (q50, q90, qmax) = summary(&quiet);
    let (l50, l90, lmax) = summary(&loaded);
    let (a50, _, amax) = summary(&after);
    eprintln!(
        "connections: {IDLE} idle + {SLOW} slow (1 MiB announced, 1 byte sent) opened in {opened:?}"
    );
    eprintln!(
        "idp get, no extra connections:   median {q50:.2} ms, p90 {q90:.2} ms, max {qmax:.2} ms (20 runs)"
    );
    eprintln!(
        "idp get, 2,000 connections open: median {l50:.2} ms, p90 {l90:.2} ms, max {lmax:.2} ms (30 runs)"
    );
    eprintln!("idp get, after they closed:      median {a50:.2} ms, max {amax:.2} ms (10 runs)");
    eprintln!(
        "agent RSS: before {rss_before} KiB, with the connections open {rss_during} KiB \
         ({rss_loaded} KiB after the gets), after they closed {rss_after} KiB"
    );
    eprintln!(
        "agent descriptors: before {fds_before}, with 2,000 connections open {fds_during}, \
         after {fds_after}"
    );

    assert!(
        l50 < 50.0 && l90 < 50.0,
        "idp get under load: median {l50:.2} ms, p90 {l90:.2} ms"
    );
    assert!(
        rss_after <= 2 * rss_before,
        "RSS {rss_before} KiB before, {rss_after} KiB after"
    );
    assert!(
        fds_during < fds_before + 150,
        "the cap holds: {fds_during} descriptors open"
    );
    let log = w.log();
    assert!(log.contains("connection cap reached"), "{log}");
    assert!(!log.contains("accept failed"), "{log}");
    assert!(
        log.matches("connection cap reached").count() <= 2,
        "logged once per burst: {log}"
    );
}

/// Reads until the agent closes the connection; how long that took.
fn closed_after(mut s: UnixStream, limit: Duration) -> Duration {
    let t = Instant::now();
    s.set_read_timeout(Some(limit)).expect("timeout");
    let mut buf = [0u8; 64];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return t.elapsed(),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return t.elapsed(),
            Err(e) => panic!("not closed within {limit:?}: {e}"),
        }
    }
}

/// A connection that says nothing, and one that starts a frame and stalls,
/// are closed after 10 s; a client that talks is not.
#[test]
fn silent_connections_and_stalled_frames_are_closed() {
    let w = World::new();
    w.idp(&["status"], "").ok();
    let silent = UnixStream::connect(w.socket()).expect("connect");
    let mut stalled = UnixStream::connect(w.socket()).expect("connect");
    stalled
        .write_all(&[0, 0, 0, 200, 1, 2, 3])
        .expect("partial frame");
    let limit = Duration::from_secs(15);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| closed_after(silent, limit));
        let b = s.spawn(|| closed_after(stalled, limit));
        (a.join().expect("silent"), b.join().expect("stalled"))
    });
    eprintln!("closed: silent after {a:?}, stalled frame after {b:?}");
    for took in [a, b] {
        assert!(
            took >= Duration::from_secs(9) && took < Duration::from_secs(14),
            "{took:?}"
        );
    }
    assert!(w.idp(&["status"], "").ok().contains("idp init"));
}

/// An agent out of descriptors closes its longest-quiet connection to
/// accept the next one, and says so once, not once per attempt.
#[test]
fn out_of_descriptors_the_agent_still_answers_and_logs_once() {
    use rustix::process::{Pid, Resource, Rlimit, prlimit};
    let w = World::new();
    let pid = w.agent_pid();
    // Room for three more descriptors, no more.
    let limit = (open_descriptors(pid) + 3) as u64;
    prlimit(
        Pid::from_raw(pid),
        Resource::Nofile,
        Rlimit {
            current: Some(limit),
            maximum: Some(limit),
        },
    )
    .expect("prlimit");
    let flood: Vec<UnixStream> = (0..40)
        .map(|_| UnixStream::connect(w.socket()).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(1000));
    let t = Instant::now();
    assert!(w.idp(&["status"], "").ok().contains("idp init"));
    eprintln!(
        "idp status with the agent out of descriptors: {:?}",
        t.elapsed()
    );
    drop(flood);
    let log = w.log();
    assert_eq!(log.matches("accept failed").count(), 1, "{log}");
}
