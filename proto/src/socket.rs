//! The agent's socket, through `interprocess` local sockets: on Linux a
//! Unix socket at a file path, never an abstract name (those have no file
//! permissions, so any local user could connect).
//!
//! The agent makes the listening socket itself (bound with its mode already
//! 0600, next to the lock that keeps one agent per user) or takes it from
//! systemd, and serves on it here; dropping the listener never removes the
//! socket file, which is the agent's to remove, or systemd's.

use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;

use interprocess::local_socket::traits::StreamCommon;
use interprocess::local_socket::traits::tokio::{Listener as _, Stream as _};
use interprocess::local_socket::{GenericFilePath, ToFsName};
use interprocess::os::unix::uds_local_socket::tokio::Listener as UdsListener;

pub use interprocess::local_socket::tokio::{Listener, Stream};

/// Connects to the socket at `path`.
pub async fn connect(path: &Path) -> io::Result<Stream> {
    Stream::connect(path.to_fs_name::<GenericFilePath>()?).await
}

/// Serves on a listening socket made elsewhere. Needs the async runtime.
pub fn listen_on(fd: OwnedFd) -> io::Result<Listener> {
    let mut listener = Listener::from(UdsListener::try_from(fd)?);
    listener.do_not_reclaim_name_on_drop();
    Ok(listener)
}

/// The next connection.
pub async fn accept(listener: &Listener) -> io::Result<Stream> {
    listener.accept().await
}

/// The effective uid and the pid of the process at the other end
/// (`SO_PEERCRED`), read before a byte of it is.
pub fn peer(stream: &Stream) -> io::Result<(u32, Option<u32>)> {
    let creds = stream.peer_creds()?;
    let uid = creds
        .euid()
        .ok_or_else(|| io::Error::other("the socket did not say who is at the other end"))?;
    Ok((uid, creds.pid().map(|p| p as u32)))
}
