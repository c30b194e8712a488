//! Bounds on what connections may cost: how many, how long they may say
//! nothing, how long a frame may take to arrive.
//!
//! Every peer is a process of the same user, but a buggy or hostile one
//! must not starve `idp` and the tray. So:
//!
//! - At most [`MAX_CONNECTIONS`] are open (fewer when the descriptor limit is
//!   low). A new connection is always admitted: at the cap, the connection
//!   that has been quiet longest, with no call in progress, is closed to make
//!   room. A flood of silent connections thus costs the newest client
//!   nothing, while a long-poll `watch` or a running `unlock` (a call in
//!   progress) is never closed this way. Only when every open connection
//!   has a call in progress is the new one refused.
//! - A connection that has not sent a whole first frame within
//!   [`FIRST_FRAME`] is closed; one that has, after [`IDLE`] with no call in
//!   progress and nothing received (long enough for a person to answer a
//!   prompt between two calls of `idp`).
//! - Once the first byte of a frame has arrived, the rest must follow within
//!   [`FRAME_DEADLINE`]; a stalled partial frame closes the connection.
//! - Out of descriptors, `accept` fails: the longest-quiet connection is
//!   closed to make room ([`Registry::evict_one`]), and the failures are
//!   logged once per [`Burst`].
//! - Frames are buffered as their bytes arrive ([`FrameCodec`]), so an
//!   announced but unsent frame costs nothing, and the buffer goes with the
//!   connection.
//!
//! Each connection's state is a few atomics shared by its codec (bytes and
//! frames seen), its calls (in progress) and the registry (eviction); the
//! task serving it races the service against [`Conn::expired`].

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use idp_proto::framing::FrameCodec;
use tokio::sync::Notify;
use tokio_util::bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// The most connections open at once, when the descriptor limit allows.
/// A user's agent has a handful of clients at a time (the tray, a few
/// `idp` commands); each open connection costs some 45 KiB of buffers and
/// channel state, which under `mlockall` is locked memory.
pub const MAX_CONNECTIONS: usize = 128;
/// How long a new connection may take to send its first whole frame.
pub const FIRST_FRAME: Duration = Duration::from_secs(10);
/// How long a started frame may take to arrive whole.
pub const FRAME_DEADLINE: Duration = Duration::from_secs(10);
/// How long a connection that has spoken may stay silent with no call in
/// progress.
pub const IDLE: Duration = Duration::from_secs(15 * 60);

/// The cap for a process that may open `open_files` descriptors: a quarter
/// of them at most, leaving the rest to the vault, the watchers and the
/// buses.
pub fn cap(open_files: Option<u64>) -> usize {
    let quarter = open_files.map_or(usize::MAX, |n| usize::try_from(n / 4).unwrap_or(usize::MAX));
    MAX_CONNECTIONS.min(quarter).max(1)
}

/// Why a connection was closed by the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Closed to make room for a new connection at the cap.
    Evicted,
    /// No whole first frame in time.
    Silent,
    /// Nothing for [`IDLE`].
    Idle,
    /// A frame started and did not finish in time.
    StalledFrame,
}

/// One connection, as its codec, its calls and the registry see it.
#[derive(Debug)]
pub struct Conn {
    epoch: Instant,
    /// Milliseconds since `epoch` of the last frame received or call ended.
    last_active: AtomicU64,
    /// Milliseconds since `epoch`, plus one, when the buffered partial frame
    /// began; 0 when none is buffered.
    frame_started: AtomicU64,
    in_flight: AtomicU32,
    spoke: AtomicBool,
    close: Notify,
}

const RELAXED: Ordering = Ordering::Relaxed;

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Conn {
    fn now(&self) -> u64 {
        millis(self.epoch.elapsed())
    }

    fn touch(&self) {
        self.last_active.store(self.now(), RELAXED);
    }

    /// Marks a call in progress until the guard is dropped.
    pub fn call(self: &Arc<Self>) -> CallGuard {
        self.in_flight.fetch_add(1, RELAXED);
        CallGuard(self.clone())
    }

    fn evictable(&self) -> bool {
        self.in_flight.load(RELAXED) == 0
    }

    /// What to do now: close (and why), or check again after a while.
    fn check(&self) -> Result<Duration, Expiry> {
        let now = self.now();
        let until = |at: u64, why| {
            if now >= at {
                Err(why)
            } else {
                Ok(Duration::from_millis(at - now))
            }
        };
        let started = self.frame_started.load(RELAXED);
        if started != 0 {
            return until(started - 1 + millis(FRAME_DEADLINE), Expiry::StalledFrame);
        }
        if self.in_flight.load(RELAXED) > 0 {
            // A call may take as long as it takes (a long poll, a prompt);
            // look again later.
            return Ok(FRAME_DEADLINE);
        }
        let last = self.last_active.load(RELAXED);
        if self.spoke.load(RELAXED) {
            until(last + millis(IDLE), Expiry::Idle)
        } else {
            until(last + millis(FIRST_FRAME), Expiry::Silent)
        }
    }

    /// Resolves when the connection must close: evicted, silent or idle
    /// too long, or a frame stalled.
    pub async fn expired(&self) -> Expiry {
        loop {
            let wait = match self.check() {
                Ok(wait) => wait,
                Err(why) => return why,
            };
            tokio::select! {
                () = self.close.notified() => return Expiry::Evicted,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// A call in progress on a connection.
#[derive(Debug)]
pub struct CallGuard(Arc<Conn>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, RELAXED);
    }
}

/// [`FrameCodec`], telling its connection when frames start and end.
#[derive(Debug)]
pub struct WatchedCodec {
    inner: FrameCodec,
    conn: Arc<Conn>,
}

impl WatchedCodec {
    pub fn new(conn: Arc<Conn>) -> Self {
        WatchedCodec {
            inner: FrameCodec::default(),
            conn,
        }
    }

    /// Frames of at most `max` bytes (the SSH agent socket's cap).
    pub fn with_max(conn: Arc<Conn>, max: usize) -> Self {
        WatchedCodec {
            inner: FrameCodec::with_max(max),
            conn,
        }
    }
}

impl Decoder for WatchedCodec {
    type Item = BytesMut;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<BytesMut>> {
        let frame = self.inner.decode(src)?;
        let conn = &self.conn;
        if frame.is_some() {
            conn.spoke.store(true, RELAXED);
            conn.touch();
            conn.frame_started.store(0, RELAXED);
        } else if src.is_empty() {
            conn.frame_started.store(0, RELAXED);
        } else if conn.frame_started.load(RELAXED) == 0 {
            conn.frame_started.store(conn.now() + 1, RELAXED);
        }
        Ok(frame)
    }
}

impl Encoder<Bytes> for WatchedCodec {
    type Error = io::Error;

    fn encode(&mut self, data: Bytes, dst: &mut BytesMut) -> io::Result<()> {
        self.inner.encode(data, dst)
    }
}

/// The open connections. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Registry {
    inner: Arc<Mutex<Open>>,
    epoch: Instant,
    cap: usize,
}

#[derive(Debug, Default)]
struct Open {
    next_id: u64,
    conns: HashMap<u64, Arc<Conn>>,
    /// Connections closed to make room since the cap was last reached.
    evicted: u64,
}

/// A place in the registry, given up when dropped.
#[derive(Debug)]
pub struct Slot {
    registry: Registry,
    id: u64,
    pub conn: Arc<Conn>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.registry.lock().conns.remove(&self.id);
    }
}

impl Registry {
    pub fn new(cap: usize) -> Self {
        Registry {
            inner: Arc::default(),
            epoch: Instant::now(),
            cap,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        // The map stays consistent whatever a panicking holder did.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes the connection that has been quiet longest with no call in
    /// progress; `false` when there is none.
    fn evict(open: &mut Open) -> bool {
        let victim = open
            .conns
            .iter()
            .filter(|(_, c)| c.evictable())
            .min_by_key(|(_, c)| c.last_active.load(RELAXED))
            .map(|(id, _)| *id);
        match victim.and_then(|id| open.conns.remove(&id)) {
            Some(conn) => {
                conn.close.notify_one();
                true
            }
            None => false,
        }
    }

    /// Frees a descriptor when the process has run out: closes the
    /// longest-quiet connection. `false` when every one has a call in
    /// progress.
    pub fn evict_one(&self) -> bool {
        Self::evict(&mut self.lock())
    }

    /// A place for a new connection, closing the longest-quiet one at the
    /// cap; `None` when every open connection has a call in progress.
    pub fn admit(&self) -> Option<Slot> {
        let mut open = self.lock();
        if open.conns.len() >= self.cap {
            if !Self::evict(&mut open) {
                return None;
            }
            if open.evicted == 0 {
                tracing::warn!(
                    cap = self.cap,
                    "connection cap reached: closing the longest-quiet connections to admit new \
                     ones (a client opens connections and leaves them unused)"
                );
            }
            open.evicted += 1;
        } else if open.evicted > 0 && open.conns.len() < self.cap / 2 {
            tracing::info!(evicted = open.evicted, "below the connection cap again");
            open.evicted = 0;
        }
        let id = open.next_id;
        open.next_id += 1;
        let conn = Arc::new(Conn {
            epoch: self.epoch,
            last_active: AtomicU64::new(millis(self.epoch.elapsed())),
            frame_started: AtomicU64::new(0),
            in_flight: AtomicU32::new(0),
            spoke: AtomicBool::new(false),
            close: Notify::new(),
        });
        open.conns.insert(id, conn.clone());
        Some(Slot {
            registry: self.clone(),
            id,
            conn,
        })
    }
}

/// Counts failures that come in bursts (out of descriptors, say), so that
/// each burst is logged once, not once per attempt. A burst ends after
/// [`Burst::QUIET`] without a failure.
#[derive(Debug, Default)]
pub struct Burst {
    failures: u64,
    last: Option<Instant>,
}

impl Burst {
    pub const QUIET: Duration = Duration::from_secs(10);

    /// Records a failure; `true` for the first of a burst.
    pub fn failed(&mut self, now: Instant) -> bool {
        let starts = self
            .last
            .is_none_or(|t| now.saturating_duration_since(t) > Self::QUIET);
        if starts {
            self.failures = 0;
        }
        self.failures += 1;
        self.last = Some(now);
        starts
    }

    /// Records a success; once the last failure is [`Self::QUIET`] ago, the
    /// length of the burst that ended (once).
    pub fn succeeded(&mut self, now: Instant) -> Option<u64> {
        let last = self.last?;
        if now.saturating_duration_since(last) <= Self::QUIET {
            return None;
        }
        self.last = None;
        Some(std::mem::take(&mut self.failures))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_most_descriptors_free() {
        assert_eq!(cap(None), MAX_CONNECTIONS);
        assert_eq!(cap(Some(1_048_576)), MAX_CONNECTIONS);
        assert_eq!(cap(Some(1024)), MAX_CONNECTIONS);
        assert_eq!(cap(Some(400)), 100);
        assert_eq!(cap(Some(256)), 64);
        assert_eq!(cap(Some(0)), 1);
    }

    #[test]
    fn at_the_cap_the_longest_quiet_connection_without_a_call_goes() {
        let reg = Registry::new(3);
        let a = reg.admit().expect("a");
        let b = reg.admit().expect("b");
        let c = reg.admit().expect("c");
        let _busy = a.conn.call();
        // `a` is oldest but busy; `b` is the oldest quiet one.
        b.conn.last_active.store(0, RELAXED);
        c.conn.last_active.store(5, RELAXED);
        let d = reg.admit().expect("d");
        assert_eq!(reg.lock().conns.len(), 3);
        assert!(!reg.lock().conns.contains_key(&b.id));
        assert!(reg.lock().conns.contains_key(&a.id));
        let _c_busy = c.conn.call();
        let _d_busy = d.conn.call();
        assert!(
            reg.admit().is_none(),
            "every connection has a call in progress"
        );
        drop(d);
        assert_eq!(reg.lock().conns.len(), 2);
    }

    #[test]
    fn a_partial_frame_starts_the_frame_clock_and_a_whole_one_stops_it() {
        let reg = Registry::new(4);
        let slot = reg.admit().expect("slot");
        let mut codec = WatchedCodec::new(slot.conn.clone());
        let mut buf = BytesMut::from(&[0u8, 0, 0, 3, b'a'][..]);
        assert!(codec.decode(&mut buf).expect("decode").is_none());
        assert_ne!(slot.conn.frame_started.load(RELAXED), 0);
        assert!(!slot.conn.spoke.load(RELAXED));
        buf.extend_from_slice(b"bc");
        assert!(codec.decode(&mut buf).expect("decode").is_some());
        assert_eq!(slot.conn.frame_started.load(RELAXED), 0);
        assert!(slot.conn.spoke.load(RELAXED));
        assert!(slot.conn.check().is_ok());
    }

    #[test]
    fn bursts_are_counted() {
        let mut b = Burst::default();
        let t0 = Instant::now();
        let later = |s| t0 + Duration::from_secs(s);
        assert!(b.failed(t0));
        assert!(!b.failed(later(1)));
        assert_eq!(b.succeeded(later(2)), None, "still in the burst");
        assert!(!b.failed(later(3)));
        assert_eq!(b.succeeded(later(20)), Some(3));
        assert_eq!(b.succeeded(later(21)), None);
        assert!(b.failed(later(22)));
        assert!(b.failed(later(40)), "a new burst after a quiet spell");
    }

    #[test]
    fn out_of_descriptors_closes_the_longest_quiet_connection() {
        let reg = Registry::new(8);
        let a = reg.admit().expect("a");
        let b = reg.admit().expect("b");
        let _busy = b.conn.call();
        assert!(reg.evict_one());
        assert!(!reg.lock().conns.contains_key(&a.id));
        assert!(!reg.evict_one(), "the other one has a call in progress");
    }
}
