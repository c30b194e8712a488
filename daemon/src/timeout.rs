//! Auto-lock timers: idle (since the last use of an item) and absolute
//! (since unlocking). The actor sleeps until the nearer of the two.

use std::time::{Duration, Instant};

use idp_proto::config::LockConfig;

/// Why the vault was locked, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockReason {
    Asked,
    Idle,
    Max,
    Shutdown,
    /// `vault reset` on this device, or the vault id changed on disk (reset
    /// on another device).
    Reset,
    /// logind announced a suspend.
    Sleep,
    /// logind asked the session to lock its screen.
    ScreenLock,
    /// Another device changed the password or rotated the key: the vault
    /// key changed, and the next unlock takes the new one.
    KeyChanged,
}

#[derive(Debug)]
pub struct LockTimers {
    idle: Duration,
    max: Duration,
    /// `Some` while unlocked: (unlocked at, last use).
    running: Option<(Instant, Instant)>,
}

impl LockTimers {
    pub fn new(cfg: &LockConfig) -> Self {
        Self {
            idle: cfg.idle,
            max: cfg.max,
            running: None,
        }
    }

    pub fn start(&mut self, now: Instant) {
        self.running = Some((now, now));
    }

    pub fn stop(&mut self) {
        self.running = None;
    }

    /// Records a use of the vault, pushing the idle lock back.
    pub fn touch(&mut self, now: Instant) {
        if let Some((_, last)) = &mut self.running {
            *last = now;
        }
    }

    /// When to lock next, and why.
    pub fn deadline(&self) -> Option<(Instant, LockReason)> {
        let (start, last) = self.running?;
        let idle = last + self.idle;
        let max = start + self.max;
        Some(if idle <= max {
            (idle, LockReason::Idle)
        } else {
            (max, LockReason::Max)
        })
    }

    /// When the idle and the absolute lock fall due, while unlocked.
    pub fn due(&self) -> Option<(Instant, Instant)> {
        let (start, last) = self.running?;
        Some((last + self.idle, start + self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timers(idle: u64, max: u64) -> LockTimers {
        LockTimers::new(&LockConfig {
            idle: Duration::from_secs(idle),
            max: Duration::from_secs(max),
        })
    }

    #[test]
    fn idle_comes_first_until_use_pushes_it_past_max() {
        let mut t = timers(10, 25);
        assert_eq!(t.deadline(), None);
        let t0 = Instant::now();
        t.start(t0);
        assert_eq!(
            t.deadline(),
            Some((t0 + Duration::from_secs(10), LockReason::Idle))
        );
        t.touch(t0 + Duration::from_secs(9));
        assert_eq!(
            t.deadline(),
            Some((t0 + Duration::from_secs(19), LockReason::Idle))
        );
        t.touch(t0 + Duration::from_secs(20));
        assert_eq!(
            t.deadline(),
            Some((t0 + Duration::from_secs(25), LockReason::Max))
        );
        assert_eq!(
            t.due(),
            Some((t0 + Duration::from_secs(30), t0 + Duration::from_secs(25)))
        );
        t.stop();
        assert_eq!(t.due(), None);
    }
}
