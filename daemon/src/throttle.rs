//! Unlock throttling. The first five failures cost only their KDF; after
//! that each attempt must wait 2, 4, 8 ... s (at most 15 min) after the last
//! failure. A success resets it. The count lives in memory: restarting the
//! agent costs an attacker a process start per five guesses, each still a
//! full KDF.

use std::time::{Duration, Instant};

const FREE_ATTEMPTS: u32 = 5;
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Default)]
pub struct Throttle {
    failures: u32,
    not_before: Option<Instant>,
}

impl Throttle {
    /// `Err(seconds)` when an attempt now must be refused.
    pub fn check(&self, now: Instant) -> Result<(), u64> {
        seconds_until(self.not_before, now).map_or(Ok(()), Err)
    }

    /// When the next attempt is accepted, if it must wait.
    pub fn not_before(&self) -> Option<Instant> {
        self.not_before
    }

    pub fn failed(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        if self.failures >= FREE_ATTEMPTS {
            let exp = (self.failures - FREE_ATTEMPTS + 1).min(20);
            let delay = Duration::from_secs(1u64 << exp).min(MAX_DELAY);
            self.not_before = Some(now + delay);
        }
    }

    pub fn succeeded(&mut self) {
        *self = Self::default();
    }
}

/// Whole seconds (rounded up) from `now` until `at`, if `at` is later.
pub fn seconds_until(at: Option<Instant>, now: Instant) -> Option<u64> {
    let left = at.filter(|t| *t > now)? - now;
    Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_free_failures_then_doubling_waits() {
        let mut t = Throttle::default();
        let now = Instant::now();
        for _ in 0..4 {
            t.failed(now);
            assert_eq!(t.check(now), Ok(()));
        }
        t.failed(now);
        assert_eq!(t.check(now), Err(2));
        assert_eq!(t.check(now + Duration::from_secs(2)), Ok(()));
        t.failed(now);
        assert_eq!(t.check(now), Err(4));
        for _ in 0..30 {
            t.failed(now);
        }
        assert_eq!(t.check(now), Err(900));
        t.succeeded();
        assert_eq!(t.not_before(), None);
        assert_eq!(t.check(now), Ok(()));
    }
}
