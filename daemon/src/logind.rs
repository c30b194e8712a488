//! Lock triggers from logind: suspend (`PrepareForSleep(true)`) and screen
//! lock (a session's `Lock` signal), both on the system bus.
//!
//! This runs as a task on the IO runtime, never on the vault thread: it only
//! waits for signals and sends the vault thread a lock job. A machine without
//! a system bus (a container, a CI box) costs one log line; the agent then
//! locks on its timers and on request only.
//!
//! Signals are trusted only when they come from the current owner of
//! `org.freedesktop.login1` (asked again for each signal, so a restarted
//! logind is followed): any local process may emit a signal that *claims*
//! logind's interface. A `Lock` for a session of another user is ignored when
//! logind can tell whose it is; when it cannot, the vault locks anyway, since
//! locking too often loses nothing.
//!
//! logind suspends as soon as `PrepareForSleep` is sent unless someone holds
//! a *delay* inhibitor, so the agent holds one while awake: logind then
//! waits (up to its `InhibitDelayMaxSec`) until the vault is locked and the
//! inhibitor released, and no secret goes into a hibernation image. A new
//! inhibitor is taken on resume.

use futures::StreamExt;
use zbus::message::Type;
use zbus::zvariant::{OwnedFd, OwnedObjectPath};
use zbus::{Connection, MatchRule, Message, MessageStream};

use crate::actor::ActorHandle;
use crate::timeout::LockReason;

const LOGIND: &str = "org.freedesktop.login1";
const MANAGER_PATH: &str = "/org/freedesktop/login1";
const MANAGER: &str = "org.freedesktop.login1.Manager";
const SESSION: &str = "org.freedesktop.login1.Session";

/// What a logind signal asks of the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Sleep,
    Resume,
    SessionLock(OwnedObjectPath),
}

/// Follows logind until the bus goes away; logs and returns when there is
/// no system bus.
pub async fn watch(actor: ActorHandle, uid: u32) {
    let conn = match Connection::system().await {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(
                error = %e,
                "no system bus: suspend and screen lock will not lock the vault"
            );
            return;
        }
    };
    let mut stream = match subscribe(&conn).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot follow logind: suspend and screen lock will not lock the vault");
            return;
        }
    };
    tracing::info!("lock triggers: following logind on the system bus");
    let mut inhibitor = inhibit(&conn).await;
    while let Some(msg) = stream.next().await {
        let Ok(msg) = msg else { continue };
        let Some(event) = parse(&msg) else { continue };
        if !from_logind(&conn, &msg).await {
            tracing::warn!(?event, "ignored a logind signal sent by another process");
            continue;
        }
        let reason = match event {
            Event::Sleep => LockReason::Sleep,
            Event::Resume => {
                tracing::debug!("resumed from sleep");
                inhibitor = inhibit(&conn).await;
                continue;
            }
            Event::SessionLock(path) => {
                if !session_is_ours(&conn, &path, uid).await {
                    tracing::info!(session = %path.as_str(), "ignored a screen lock of another user's session");
                    continue;
                }
                LockReason::ScreenLock
            }
        };
        let locked = actor
            .call(move |st| {
                st.lock(reason);
                Ok(())
            })
            .await;
        if reason == LockReason::Sleep {
            // Locked: the suspend may go ahead.
            inhibitor = None;
        }
        if locked.is_err() {
            return;
        }
    }
    drop(inhibitor);
    tracing::info!("the system bus closed: suspend and screen lock no longer lock the vault");
}

/// A delay inhibitor for sleep: logind waits for it to close before
/// suspending. `None` (logged) when logind refuses or is not there.
async fn inhibit(conn: &Connection) -> Option<OwnedFd> {
    let args = (
        "sleep",
        "idp-vault",
        "Lock the password vault first",
        "delay",
    );
    let reply = conn
        .call_method(Some(LOGIND), MANAGER_PATH, Some(MANAGER), "Inhibit", &args)
        .await;
    match reply.and_then(|r| r.body().deserialize::<OwnedFd>()) {
        Ok(fd) => Some(fd),
        Err(e) => {
            tracing::info!(error = %e, "no sleep inhibitor: a suspend may begin before the vault is locked");
            None
        }
    }
}

/// One stream for both signals, filtered by the bus.
async fn subscribe(
    conn: &Connection,
) -> zbus::Result<futures::stream::Select<MessageStream, MessageStream>> {
    let sleep = MatchRule::builder()
        .msg_type(Type::Signal)
        .interface(MANAGER)?
        .member("PrepareForSleep")?
        .path(MANAGER_PATH)?
        .build();
    let lock = MatchRule::builder()
        .msg_type(Type::Signal)
        .interface(SESSION)?
        .member("Lock")?
        .build();
    let sleep = MessageStream::for_match_rule(sleep, conn, Some(16)).await?;
    let lock = MessageStream::for_match_rule(lock, conn, Some(16)).await?;
    Ok(futures::stream::select(sleep, lock))
}

fn parse(msg: &Message) -> Option<Event> {
    let header = msg.header();
    let interface = header.interface()?.as_str();
    let member = header.member()?.as_str();
    match (interface, member) {
        (MANAGER, "PrepareForSleep") => {
            let start: bool = msg.body().deserialize().ok()?;
            Some(if start { Event::Sleep } else { Event::Resume })
        }
        (SESSION, "Lock") => Some(Event::SessionLock(header.path()?.to_owned().into())),
        _ => None,
    }
}

/// Whether `msg` was sent by the process that owns logind's name now.
async fn from_logind(conn: &Connection, msg: &Message) -> bool {
    let Some(sender) = msg.header().sender().map(|s| s.to_owned()) else {
        return false;
    };
    let Ok(dbus) = zbus::fdo::DBusProxy::new(conn).await else {
        return false;
    };
    let Ok(name) = zbus::names::BusName::try_from(LOGIND) else {
        return false;
    };
    match dbus.get_name_owner(name).await {
        Ok(owner) => *owner == sender,
        Err(_) => false,
    }
}

/// Whether the session at `path` is one of `uid`'s, by logind's
/// `ListSessions`. `true` when logind does not say.
async fn session_is_ours(conn: &Connection, path: &OwnedObjectPath, uid: u32) -> bool {
    type Row = (String, u32, String, String, OwnedObjectPath);
    let reply = conn
        .call_method(
            Some(LOGIND),
            MANAGER_PATH,
            Some(MANAGER),
            "ListSessions",
            &(),
        )
        .await;
    let rows: Vec<Row> = match reply.and_then(|r| r.body().deserialize()) {
        Ok(rows) => rows,
        Err(e) => {
            tracing::debug!(error = %e, "cannot list sessions; locking anyway");
            return true;
        }
    };
    match rows.iter().find(|r| r.4 == *path) {
        Some(row) => row.1 == uid,
        None => true,
    }
}
