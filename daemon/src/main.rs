//! `idp-agent`: holds the unlocked vault and serves it on a Unix socket.
//!
//! Start-up order matters. Hardening (non-dumpable, no core, umask, memory
//! lock) and the socket come first, while the process has one thread, so
//! that the umask used to make the socket 0600 cannot race anything. Then
//! the actor thread takes the vault state, the tokio runtime serves
//! connections, and readiness is reported (to systemd through
//! `NOTIFY_SOCKET`, and to `idp` on stdout with `--ready-stdout`). SIGTERM,
//! SIGINT, an orphaned agent (its socket or folders gone, see [`orphan`])
//! and a stop of the accept loop all lead to one shutdown path: lock, wipe,
//! remove the socket if it is still ours, exit 0.

mod actor;
mod connections;
mod convert;
mod folder_watch;
mod harden;
mod keycache;
mod keyring;
mod listen;
mod logging;
mod logind;
mod notice;
mod notices;
mod ops;
mod orphan;
mod server;
mod snapshot;
mod ssh_agent;
mod state;
mod sys;
mod throttle;
mod timeout;
mod watcher;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use idp_proto::config::{Config, KeyCacheBackend};
use idp_proto::paths;
use idp_vault::Device;
use tokio::signal::unix::{SignalKind, signal};

#[global_allocator]
static ALLOC: sys::WipingAllocator = sys::WipingAllocator;

/// The idp-vault agent: keeps the vault unlocked in memory and serves `idp`
/// and the tray over a Unix socket. Usually started by systemd or by `idp`.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Serve this vault folder instead of the configured one.
    #[arg(long, value_name = "DIR")]
    vault: Option<PathBuf>,
    /// Print `ready` on stdout once the socket accepts connections.
    #[arg(long)]
    ready_stdout: bool,
}

fn main() -> ExitCode {
    let hardening = harden::harden();
    let args = Args::parse();
    logging::init();
    hardening.report();
    let connection_cap = connections::cap(hardening.open_files);
    match run(args, connection_cap) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config() -> anyhow::Result<Config> {
    let path = paths::config_file()?;
    match std::fs::read_to_string(&path) {
        Ok(text) => Config::parse(&text).with_context(|| format!("in {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn run(args: Args, connection_cap: usize) -> anyhow::Result<()> {
    let config = load_config()?;
    let vault_dir = match args.vault.or(config.vault_dir) {
        Some(d) => d,
        None => paths::default_vault_dir()?,
    };
    let uid = rustix::process::getuid().as_raw();
    let socket = paths::socket_path(uid);
    let mut bound = match listen::listen(&socket, uid)? {
        listen::Listen::Bound(b) => b,
        listen::Listen::AlreadyRunning => {
            eprintln!(
                "idp-agent: another agent already serves {}; nothing to do",
                socket.display()
            );
            return Ok(());
        }
    };
    // A socket systemd passed is served whatever `serve` says: enabling
    // its unit was the choice, and a client waiting on it must get answers.
    let ssh = match bound.ssh.take() {
        Some(passed) => Some(passed),
        None if config.ssh_agent.serve => {
            let path = bound.path.parent().map_or_else(
                || paths::ssh_socket_path(uid),
                |d| d.join(listen::SSH_SOCKET),
            );
            Some(listen::bind_beside(&path)?)
        }
        None => None,
    };
    let orphan = orphan::Watch {
        socket: bound.path.clone(),
        socket_file: bound.file,
        vault_parent: vault_dir.parent().map(PathBuf::from),
    };
    let device = Device::load_or_create(&paths::state_dir()?)
        .context("cannot load this device's identity")?;
    let throttle = throttle::Throttle::load(&paths::state_dir()?);
    tracing::info!(
        socket = %bound.path.display(),
        vault = %vault_dir.display(),
        device = %device.id(),
        "starting"
    );
    let choice = match config.key_cache.backend {
        KeyCacheBackend::Auto => keycache::Choice::Auto,
        KeyCacheBackend::SecretService => keycache::Choice::SecretService,
        KeyCacheBackend::Keyutils => keycache::Choice::Keyutils,
        KeyCacheBackend::None => keycache::Choice::None,
    };
    let keyring = keyring::spawn(choice).context("cannot start the keyring thread")?;
    let notices = notice::spawn().context("cannot start the notification thread")?;
    let (changed_tx, changed_rx) = tokio::sync::watch::channel(0);
    let timers = timeout::LockTimers::new(&config.lock);
    let published = snapshot::Published::default();
    let st = state::AgentState::new(
        vault_dir.clone(),
        device,
        timers,
        throttle,
        (changed_tx, published.clone()),
        notices.clone(),
    );
    let (actor, actor_thread) = actor::spawn(st).context("cannot start the vault thread")?;
    // Not joined: it blocks on the folder's events and ends with the process.
    folder_watch::spawn(vault_dir, actor.clone()).context("cannot start the folder watcher")?;
    let services = Services {
        actor: actor.clone(),
        keyring,
        notices,
        changed: changed_rx,
        published,
        downloads: config.downloads,
        orphan,
        connection_cap,
        ssh: ssh.as_ref(),
        ssh_config: (config.ssh_agent.clone(), config.pinentry.clone()),
    };

    // One thread moves bytes; the vault work runs on the actor's thread. A
    // single-threaded runtime saves a thread hop on every call.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let served = runtime.block_on(serve(&bound, services, uid, args.ready_stdout));
    actor.shutdown();
    let _ = actor_thread.join();
    bound.remove();
    if let Some(ssh) = &ssh {
        ssh.remove();
    }
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    tracing::info!("stopped");
    served
}

/// What the agent runs besides the vault thread.
struct Services<'a> {
    actor: actor::ActorHandle,
    keyring: keyring::Keyring,
    notices: notice::Notices,
    changed: tokio::sync::watch::Receiver<u64>,
    published: snapshot::Published,
    downloads: idp_proto::config::DownloadsConfig,
    orphan: orphan::Watch,
    connection_cap: usize,
    /// The SSH agent socket, its settings and the pinentry it asks with.
    ssh: Option<&'a listen::Beside>,
    ssh_config: (idp_proto::config::SshAgentConfig, Option<PathBuf>),
}

async fn serve(
    bound: &listen::Bound,
    services: Services<'_>,
    uid: u32,
    ready_stdout: bool,
) -> anyhow::Result<()> {
    let std_listener = bound
        .listener
        .try_clone()
        .context("cannot use the socket")?;
    let listener =
        idp_proto::socket::listen_on(std_listener.into()).context("cannot serve on the socket")?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let conn = server::Connection {
        actor: services.actor.clone(),
        keyring: services.keyring.clone(),
        changed: services.changed.clone(),
        published: services.published,
    };
    let registry = connections::Registry::new(services.connection_cap);
    let accept = tokio::spawn(server::accept_loop(listener, conn, uid, registry));
    if let Some(ssh) = services.ssh {
        let (ssh_config, pinentry) = services.ssh_config;
        let listener = ssh
            .listener
            .try_clone()
            .and_then(|l| {
                l.set_nonblocking(true)?;
                tokio::net::UnixListener::from_std(l)
            })
            .context("cannot serve on the SSH socket")?;
        let agent = ssh_agent::SshAgent {
            actor: services.actor.clone(),
            add_to_vault: ssh_config.add_to_vault,
            confirm: ssh_config.confirm,
            pinentry,
        };
        let registry = connections::Registry::new(services.connection_cap);
        tokio::spawn(ssh_agent::accept_loop(listener, agent, uid, registry));
        tracing::info!(socket = %ssh.path.display(), "serving the SSH agent protocol");
    }
    tokio::spawn(keyring::follow(
        services.actor.clone(),
        services.keyring.clone(),
        services.changed.clone(),
    ));
    tokio::spawn(logind::watch(services.actor.clone(), uid));
    if services.downloads.watch {
        tokio::spawn(watcher::run(watcher::Watcher {
            actor: services.actor,
            keyring: services.keyring,
            notices: services.notices,
            dir: services.downloads.dir.or_else(paths::download_dir),
            delete_imported: services.downloads.delete_imported,
            allow_unsandboxed: services.downloads.allow_unsandboxed,
        }));
    }

    if let Err(e) = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]) {
        tracing::warn!(error = %e, "could not notify systemd");
    }
    if ready_stdout {
        let mut out = std::io::stdout().lock();
        // `idp` reads this line and then stops reading; later writes to a
        // closed pipe are not an error worth stopping for.
        let _ = writeln!(out, "ready").and_then(|()| out.flush());
    }
    tracing::info!("ready");

    tokio::select! {
        _ = sigterm.recv() => tracing::info!("SIGTERM: locking and stopping"),
        _ = sigint.recv() => tracing::info!("SIGINT: locking and stopping"),
        r = accept => tracing::error!(result = ?r, "the accept loop stopped"),
        why = services.orphan.orphaned() => tracing::warn!(
            "{why}: no client can reach this agent any more; locking and stopping"
        ),
    }
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
    Ok(())
}
