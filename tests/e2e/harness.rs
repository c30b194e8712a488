//! A private world per test: its own HOME, XDG folders and agent.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The folder holding the built `idp`, `idp-agent` and `idp-kit`.
pub fn bin_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("IDP_BIN_DIR") {
        return PathBuf::from(d);
    }
    // target/<profile>/deps/e2e-HASH -> target/<profile>
    let exe = std::env::current_exe().expect("test exe");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target folder")
        .to_path_buf();
    assert!(
        ["idp", "idp-agent", "idp-kit"]
            .iter()
            .all(|b| dir.join(b).is_file()),
        "build the binaries first: cargo build --workspace (looked in {})",
        dir.display()
    );
    dir
}

/// Options for a test vault: the cheapest KDF the vault accepts.
pub const FAST_KDF: [&str; 6] = [
    "--kdf-memory-mib",
    "19",
    "--kdf-iterations",
    "2",
    "--kdf-parallelism",
    "1",
];

pub struct World {
    pub dir: tempfile::TempDir,
    pub bins: PathBuf,
    /// More environment for `idp` and the agent it starts (a test session
    /// bus, for one).
    pub env: Vec<(String, String)>,
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["home", "run", "config/idp", "data", "state"] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        let w = World {
            dir,
            bins: bin_dir(),
            env: Vec::new(),
        };
        w.config("");
        w
    }

    /// A world whose agent serves the vault folder `vault` (a folder that
    /// other worlds may share, as devices do through a sync tool).
    pub fn with_vault(vault: &Path) -> World {
        let w = World::new();
        w.config(&format!("vault_dir = {:?}\n", vault.display().to_string()));
        w
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The Downloads folder the agent watches (no user-dirs.dirs here).
    pub fn downloads(&self) -> PathBuf {
        self.path("home/Downloads")
    }

    pub fn socket(&self) -> PathBuf {
        self.path("run/idp/agent.sock")
    }

    /// Writes config.toml. Unless `text` has a `[key_cache]` section, the
    /// agent caches no key, so that a test's outcome does not depend on the
    /// kernel keyring of the user running it; tests of the cache use a
    /// private [`crate::session::Session`] and say so.
    pub fn config(&self, text: &str) {
        let mut text = text.to_owned();
        if !text.contains("[key_cache]") {
            text.push_str("\n[key_cache]\nbackend = \"none\"\n");
        }
        std::fs::write(self.path("config/idp/config.toml"), text).expect("config");
    }

    pub fn envs(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.path("home"))
            .env("XDG_RUNTIME_DIR", self.path("run"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env("IDP_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
    }

    /// Waits up to `secs` for `done`, checking every 20 ms.
    #[track_caller]
    pub fn wait_for(&self, secs: u64, what: &str, mut done: impl FnMut() -> bool) {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while !done() {
            assert!(
                std::time::Instant::now() < end,
                "{what}: not within {secs} s\nagent log:\n{}",
                self.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The state `idp status --json` reports: `unlocked`, `locked`, ...
    pub fn state(&self) -> String {
        let v: serde_json::Value =
            serde_json::from_str(&self.idp(&["status", "--json"], "").ok()).expect("status json");
        let state = &v["state"];
        state
            .as_str()
            .map(str::to_owned)
            .or_else(|| state.as_object().and_then(|o| o.keys().next().cloned()))
            .unwrap_or_else(|| state.to_string())
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(self.bins.join("idp"));
        c.args(args);
        self.envs(&mut c);
        c
    }

    /// Runs `idp ARGS` with `stdin` piped in.
    pub fn idp(&self, args: &[&str], stdin: &str) -> Run {
        let mut c = self.cmd(args);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn idp");
        let written = child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes());
        // A command that fails before it reads its input closes the pipe.
        if let Err(e) = written {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
        }
        Run(child.wait_with_output().expect("wait idp"))
    }

    /// `idp init` with a fast KDF; returns the client key.
    pub fn init(&self, password: &str) -> String {
        let mut args = vec!["init", "--password-stdin"];
        args.extend(FAST_KDF);
        let out = self.idp(&args, &format!("{password}\n")).ok();
        out.lines()
            .map(str::trim)
            .find(|l| l.len() == 41 && l.matches('-').count() == 5)
            .expect("client key in init output")
            .to_string()
    }

    pub fn unlock(&self, password: &str, key: &str) -> Run {
        self.idp(
            &["unlock", "--password-stdin", "--client-key-stdin"],
            &format!("{password}\n{key}\n"),
        )
    }

    /// The agent's pid, from `idp status --json`.
    pub fn agent_pid(&self) -> i32 {
        let v: serde_json::Value =
            serde_json::from_str(&self.idp(&["status", "--json"], "").ok()).expect("status json");
        v["agent"]["pid"].as_i64().expect("pid") as i32
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("state/idp/agent.log")).unwrap_or_default()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // Stop this world's agent so tests leave no process behind. Only
        // when one listens: `idp status` would otherwise start one.
        if std::os::unix::net::UnixStream::connect(self.socket()).is_ok()
            && let Ok(out) = self.cmd(&["status", "--json"]).output()
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout)
            && let Some(pid) = v["agent"]["pid"].as_i64()
        {
            signal(pid as i32, rustix::process::Signal::TERM);
        }
    }
}

pub fn signal(pid: i32, sig: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, sig);
    }
}

/// A finished `idp`.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> String {
        assert_eq!(
            self.code(),
            0,
            "stdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr()
        );
        self.stdout()
    }

    /// Asserts exit `code` and returns stderr.
    #[track_caller]
    pub fn fails(&self, code: i32) -> String {
        assert_eq!(
            self.code(),
            code,
            "stdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr()
        );
        self.stderr()
    }
}

/// A small random source for test data (not for secrets of the product).
pub fn random_token(len: usize) -> String {
    let mut b = vec![0u8; len];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .expect("urandom");
    const A: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    b.iter()
        .map(|x| A[usize::from(*x) % A.len()] as char)
        .collect()
}
