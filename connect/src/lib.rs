//! Finding the agent, starting it when none answers, and the handshake:
//! what `idp` and `idp-tray` both do before their first call.
//!
//! Before sending anything the client checks that the process at the other
//! end of the socket runs as the same user (`SO_PEERCRED`), and, for the
//! `/tmp` fallback folder, that the folder is the user's own: otherwise a
//! socket planted by someone else would receive the password.
//!
//! Starting on demand: `idp` runs `idp-agent --ready-stdout` in its own
//! process group with stdout on a pipe, and waits for the line `ready`,
//! which the agent prints only once its socket accepts connections. If the
//! agent exits instead (another one won a race to start), the pipe closes and
//! `idp` connects to whichever agent holds the socket. No sleeping, no
//! polling for the file to appear.
#![forbid(unsafe_code)]

use std::fs::OpenOptions;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use idp_proto::config::Config;
use idp_proto::socket::Stream;
use idp_proto::{AgentClient, Hello, PROTOCOL_VERSION, ProtoError, framing, paths};
use tarpc::context;
use tokio::io::{AsyncBufReadExt, BufReader};

/// A connected, version-checked client.
#[derive(Debug)]
pub struct Agent {
    pub client: AgentClient,
    pub hello: Hello,
}

/// A call context with a deadline of `secs` from now.
pub fn ctx(secs: u64) -> context::Context {
    let mut c = context::current();
    c.deadline = Instant::now() + Duration::from_secs(secs);
    c
}

/// Why no conversation with the agent could begin.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The agent could not be found, trusted or started. `next` says what
    /// the person can do about it.
    #[error("{message}")]
    Agent { message: String, next: String },
    /// The agent answered the handshake with a refusal.
    #[error(transparent)]
    Refused(#[from] ProtoError),
    /// The handshake got no answer.
    #[error("the agent did not answer: {0}")]
    Rpc(#[from] tarpc::client::RpcError),
}

impl ConnectError {
    /// What to do next.
    pub fn next_step(&self) -> String {
        match self {
            Self::Agent { next, .. } => next.clone(),
            Self::Refused(e) => e.next_step(),
            Self::Rpc(_) => "check that idp-agent runs (`idp status`), and its log".into(),
        }
    }
}

fn agent_error(message: String) -> ConnectError {
    ConnectError::Agent {
        message,
        next: "start it by hand with `idp-agent` to see why, or check its log in ~/.local/state/idp/agent.log".into(),
    }
}

fn check_socket_dir(dir: &Path, uid: u32) -> Result<(), ConnectError> {
    if !paths::socket_dir_is_shared_fallback() {
        return Ok(());
    }
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() && m.uid() == uid && m.mode() & 0o077 == 0 => Ok(()),
        Ok(_) => Err(ConnectError::Agent {
            message: format!("{} is not a private folder of yours", dir.display()),
            next: "remove it (someone else may have made it), or set XDG_RUNTIME_DIR".into(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(agent_error(format!("cannot check {}: {e}", dir.display()))),
    }
}

async fn try_connect(socket: &Path, uid: u32) -> Result<Option<Stream>, ConnectError> {
    let stream = match idp_proto::socket::connect(socket).await {
        Ok(s) => s,
        Err(_) => return Ok(None),
    };
    let (server_uid, _) = idp_proto::socket::peer(&stream)
        .map_err(|e| agent_error(format!("cannot check who serves {}: {e}", socket.display())))?;
    if server_uid != uid {
        return Err(ConnectError::Agent {
            message: format!(
                "{} is served by uid {server_uid}, not by you (uid {uid}): refusing to talk to it",
                socket.display(),
            ),
            next: "stop that process, or set XDG_RUNTIME_DIR to a folder of your own".into(),
        });
    }
    Ok(Some(stream))
}

/// A sibling of the running binary (`idp-agent` next to `idp`), else the
/// name alone, for PATH to resolve.
pub fn sibling_binary(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(name)))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Starts the agent and waits until it is ready or has exited.
async fn start_agent() -> Result<(), ConnectError> {
    let log_path = paths::state_dir()
        .map_err(|e| agent_error(e.to_string()))?
        .join("agent.log");
    if let Some(dir) = log_path.parent() {
        // 0700, as the agent makes it: it holds the agent's log and the
        // device's identity.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| agent_error(format!("cannot create {}: {e}", dir.display())))?;
    }
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&log_path)
        .map_err(|e| agent_error(format!("cannot open {}: {e}", log_path.display())))?;
    let bin = sibling_binary("idp-agent");
    let mut child = tokio::process::Command::new(&bin)
        .arg("--ready-stdout")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .process_group(0)
        .spawn()
        .map_err(|e| agent_error(format!("cannot start {}: {e}", bin.display())))?;
    let Some(stdout) = child.stdout.take() else {
        return Err(agent_error("the agent's output pipe is missing".into()));
    };
    let mut line = String::new();
    let mut reader = BufReader::new(stdout);
    let read = reader.read_line(&mut line);
    match tokio::time::timeout(Duration::from_secs(30), read).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(agent_error(format!("cannot read from the agent: {e}"))),
        Err(_) => Err(agent_error(format!(
            "the agent did not become ready in 30 s (log: {})",
            log_path.display()
        ))),
    }
}

/// Connects once the agent we started is ready. If it exited because another
/// agent took the socket first, that one may still be a moment from
/// listening: a lost start race is the only case that retries.
async fn connect_after_start(socket: &Path, uid: u32) -> Result<Stream, ConnectError> {
    for _ in 0..100 {
        if let Some(s) = try_connect(socket, uid).await? {
            return Ok(s);
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    Err(agent_error(format!(
        "no agent answers on {}",
        socket.display()
    )))
}

/// Starts an agent and connects to it. An agent that just died (killed,
/// crashed) can still hold the agent lock for a moment after its socket
/// stopped answering, so the one started here exits as if another served:
/// then start again, a few times.
async fn start_and_connect(socket: &Path, uid: u32) -> Result<Stream, ConnectError> {
    let mut attempt = 1;
    loop {
        start_agent().await?;
        match connect_after_start(socket, uid).await {
            Err(_) if attempt < START_ATTEMPTS => attempt += 1,
            done => return done,
        }
    }
}

/// How many times `idp` starts an agent before it gives up.
const START_ATTEMPTS: u32 = 3;

/// Connects to the agent, starting it if needed, and checks the protocol.
pub async fn connect() -> Result<Agent, ConnectError> {
    let uid = rustix::process::getuid().as_raw();
    let socket = paths::socket_path(uid);
    if let Some(dir) = socket.parent() {
        check_socket_dir(dir, uid)?;
    }
    let stream = match try_connect(&socket, uid).await? {
        Some(s) => s,
        None => start_and_connect(&socket, uid).await?,
    };
    let client =
        AgentClient::new(tarpc::client::Config::default(), framing::transport(stream)).spawn();
    let hello = client.hello(ctx(10), PROTOCOL_VERSION).await??;
    Ok(Agent { client, hello })
}

/// A config file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigFileError(String);

/// `$XDG_CONFIG_HOME/idp/config.toml`, or the defaults when there is none.
pub fn load_config() -> Result<Config, ConfigFileError> {
    let path = paths::config_file().map_err(|e| ConfigFileError(e.to_string()))?;
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            Config::parse(&text).map_err(|e| ConfigFileError(format!("{}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(e) => Err(ConfigFileError(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}
