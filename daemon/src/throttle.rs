//! Unlock throttling. The first five failures cost only their KDF; after
//! that each attempt must wait 2, 4, 8 ... s (at most 15 min) after the last
//! failure. A success resets it.
//!
//! The count and the wall-clock time of the last failure are kept in
//! `unlock-throttle` in the device's state folder, written atomically (a
//! 0600 temporary file, fsync, rename, fsync of the folder) at every
//! failure and read when the agent starts, so killing the agent does not
//! reset the backoff. The file is only as trusted as the folder it is in:
//! whatever it says, the wait it can impose is bounded. A count above
//! [`MAX_COUNTED`] is read as that, a last failure later than now (a clock
//! set back, or a planted file) is read as now, so the first attempt after
//! a start never waits longer than 15 min; a file that does not parse is
//! logged and ignored (whoever can write it can delete it as well).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustix::fs::OFlags;

const FREE_ATTEMPTS: u32 = 5;
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Failures counted beyond this add nothing: the delay is long capped.
const MAX_COUNTED: u32 = 1000;
/// The file's name in the state folder.
const FILE_NAME: &str = "unlock-throttle";
/// More than a valid file can hold.
const MAX_FILE_LEN: u64 = 128;
/// The first word of the file: its format.
const FORMAT: &str = "idp-unlock-throttle-1";

#[derive(Debug)]
pub struct Throttle {
    failures: u32,
    not_before: Option<Instant>,
    /// Where the count is kept; `None` keeps it in memory only.
    file: Option<PathBuf>,
}

impl Throttle {
    /// The throttle kept in `state_dir`, as the last agent left it.
    pub fn load(state_dir: &Path) -> Self {
        let path = state_dir.join(FILE_NAME);
        let saved = match read(&path) {
            Ok(saved) => saved,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring the unlock throttle file");
                None
            }
        };
        let mut throttle = Self {
            failures: 0,
            not_before: None,
            file: Some(path),
        };
        if let Some(saved) = saved {
            throttle.restore(saved, SystemTime::now(), Instant::now());
        }
        throttle
    }

    /// Takes over a saved count, the time of its last failure turned into
    /// an instant of this process's clock.
    fn restore(&mut self, saved: Saved, wall: SystemTime, now: Instant) {
        self.failures = saved.failures.min(MAX_COUNTED);
        // A last failure in the future counts as now.
        let ago = wall.duration_since(saved.last_failure).unwrap_or_default();
        self.not_before = delay(self.failures)
            .and_then(|d| d.checked_sub(ago))
            .map(|left| now + left.min(MAX_DELAY));
        if self.failures > 0 {
            tracing::info!(
                failures = self.failures,
                wait_s = seconds_until(self.not_before, now).unwrap_or(0),
                "failed unlock attempts carried over from before the restart"
            );
        }
    }

    /// `Err(seconds)` when an attempt now must be refused.
    pub fn check(&self, now: Instant) -> Result<(), u64> {
        seconds_until(self.not_before, now).map_or(Ok(()), Err)
    }

    /// When the next attempt is accepted, if it must wait.
    pub fn not_before(&self) -> Option<Instant> {
        self.not_before
    }

    pub fn failed(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1).min(MAX_COUNTED);
        if let Some(d) = delay(self.failures) {
            self.not_before = Some(now + d);
        }
        self.save(Some(Saved {
            failures: self.failures,
            last_failure: SystemTime::now(),
        }));
    }

    pub fn succeeded(&mut self) {
        let had_failures = self.failures > 0;
        self.failures = 0;
        self.not_before = None;
        if had_failures {
            self.save(None);
        }
    }

    /// Writes the count (or removes the file when there is none). A write
    /// that fails is logged; the count still holds in memory.
    fn save(&self, saved: Option<Saved>) {
        let Some(path) = &self.file else { return };
        let result = match saved {
            Some(saved) => write_atomic(path, saved.to_text().as_bytes()),
            None => match fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
        };
        if let Err(e) = result {
            tracing::warn!(path = %path.display(), error = %e, "cannot save the unlock throttle");
        }
    }
}

/// The wait after `failures` failures, if any.
fn delay(failures: u32) -> Option<Duration> {
    let exp = failures.checked_sub(FREE_ATTEMPTS)? + 1;
    Some(Duration::from_secs(1u64 << exp.min(20)).min(MAX_DELAY))
}

/// Whole seconds (rounded up) from `now` until `at`, if `at` is later.
pub fn seconds_until(at: Option<Instant>, now: Instant) -> Option<u64> {
    let left = at.filter(|t| *t > now)? - now;
    Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
}

/// What the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Saved {
    failures: u32,
    last_failure: SystemTime,
}

impl Saved {
    /// `idp-unlock-throttle-1 FAILURES LAST_FAILURE_UNIX_MS`
    fn to_text(self) -> String {
        let ms = self
            .last_failure
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        format!("{FORMAT} {} {ms}\n", self.failures)
    }

    fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_ascii_whitespace();
        if words.next()? != FORMAT {
            return None;
        }
        let failures = words.next()?.parse().ok()?;
        let ms: u64 = words.next()?.parse().ok()?;
        if words.next().is_some() {
            return None;
        }
        Some(Self {
            failures,
            last_failure: UNIX_EPOCH.checked_add(Duration::from_millis(ms))?,
        })
    }
}

/// The saved count, `None` when there is no file; an error for a file that
/// is not a small regular file holding a count.
fn read(path: &Path) -> std::io::Result<Option<Saved>> {
    let invalid = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why);
    // No symlink is followed and no FIFO can make the open wait.
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(flags(OFlags::NOFOLLOW | OFlags::NONBLOCK))
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if !file.metadata()?.is_file() {
        return Err(invalid("not a regular file"));
    }
    let mut text = String::new();
    file.take(MAX_FILE_LEN).read_to_string(&mut text)?;
    Saved::parse(&text)
        .map(Some)
        .ok_or_else(|| invalid("not an unlock throttle count"))
}

/// Replaces `path` with `bytes`: a fresh 0600 file beside it, synced, then
/// renamed over it, then the folder synced.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    match fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(flags(OFlags::NOFOLLOW))
        .open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path)?;
    File::open(dir)?.sync_all()
}

/// `open(2)` flags as `OpenOptionsExt::custom_flags` takes them.
fn flags(f: OFlags) -> i32 {
    f.bits() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder of this test's own under the system's temporary one.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("idp-throttle-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch folder");
        dir
    }

    #[test]
    fn five_free_failures_then_doubling_waits() {
        let dir = scratch("doubling");
        let mut t = Throttle::load(&dir);
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
        assert!(!dir.join(FILE_NAME).exists(), "a success removes the file");
        fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn the_count_survives_a_restart_in_a_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("restart");
        let mut t = Throttle::load(&dir);
        for _ in 0..6 {
            t.failed(Instant::now());
        }
        let path = dir.join(FILE_NAME);
        let mode = fs::metadata(&path).expect("saved").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Throttle::load(&dir);
        assert_eq!(again.failures, 6);
        // Six failures: a 4 s wait from the last one, just now.
        let left = again.check(Instant::now()).expect_err("still throttled");
        assert!((3..=4).contains(&left), "{left}");
        fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn a_planted_or_damaged_file_cannot_lock_out_for_long() {
        let wall = SystemTime::now();
        let now = Instant::now();
        let restored = |failures, last_failure| {
            let mut t = Throttle {
                failures: 0,
                not_before: None,
                file: None,
            };
            t.restore(
                Saved {
                    failures,
                    last_failure,
                },
                wall,
                now,
            );
            t
        };
        // A last failure a century ahead counts as now: 15 min at most.
        let far = wall + Duration::from_secs(100 * 365 * 86_400);
        let t = restored(u32::MAX, far);
        assert_eq!(t.failures, MAX_COUNTED);
        assert_eq!(t.check(now), Err(900));
        assert_eq!(t.check(now + MAX_DELAY), Ok(()));
        // An old failure has served its wait.
        let t = restored(12, wall - Duration::from_secs(3600));
        assert_eq!(t.check(now), Ok(()));
        // Half of an 8 s wait (seven failures) is left.
        let t = restored(7, wall - Duration::from_secs(4));
        assert_eq!(t.check(now), Err(4));

        let dir = scratch("damaged");
        let path = dir.join(FILE_NAME);
        for text in [
            "",
            "garbage",
            "idp-unlock-throttle-1 5",
            "idp-unlock-throttle-1 -1 0",
        ] {
            fs::write(&path, text).expect("plant");
            let t = Throttle::load(&dir);
            assert_eq!((t.failures, t.check(now)), (0, Ok(())), "{text:?}");
        }
        fs::remove_file(&path).expect("remove");
        std::os::unix::fs::symlink("/dev/zero", &path).expect("symlink");
        assert_eq!(Throttle::load(&dir).failures, 0);
        fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn the_file_format_reads_back() {
        let saved = Saved {
            failures: 9,
            last_failure: UNIX_EPOCH + Duration::from_millis(1_764_800_000_123),
        };
        assert_eq!(saved.to_text(), "idp-unlock-throttle-1 9 1764800000123\n");
        assert_eq!(Saved::parse(&saved.to_text()), Some(saved));
    }
}
