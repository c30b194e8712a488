//! The status icon's life on the bus: ksni serves it, registers it with the
//! StatusNotifierWatcher when there is one, and registers it again when a
//! watcher appears later (a panel that starts after the tray, a tray applet
//! added to the desktop).
//!
//! A watcher may take its bus name a moment before it serves its object, so
//! a registration right as it appears can be refused. ksni then waits for
//! the next change of owner, which may never come; here a refused
//! registration starts the service again, once a second, a few times.

use std::time::Duration;

use ksni::{Handle, TrayMethods};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::item::{Action, Item, Presence};
use crate::view::Agent;

/// Restarts after a refused registration, before waiting for a watcher to
/// come or go.
const RETRIES: u32 = 5;
const RETRY_AFTER: Duration = Duration::from_secs(1);

pub struct Icon {
    agent: watch::Receiver<Agent>,
    actions: UnboundedSender<Action>,
    /// `None`: no session bus to serve the icon on.
    handle: Option<Handle<Item>>,
    presence: watch::Receiver<Presence>,
    retries: u32,
    retry_at: Option<Instant>,
}

impl Icon {
    pub async fn start(agent: watch::Receiver<Agent>, actions: UnboundedSender<Action>) -> Icon {
        let (_, presence) = watch::channel(Presence::NoBus);
        let mut icon = Icon {
            agent,
            actions,
            handle: None,
            presence,
            retries: 0,
            retry_at: None,
        };
        icon.spawn().await;
        icon
    }

    async fn spawn(&mut self) {
        if let Some(old) = self.handle.take() {
            old.shutdown().await;
        }
        let (tx, rx) = watch::channel(Presence::Shown);
        let item = Item {
            agent: self.agent.borrow().clone(),
            actions: self.actions.clone(),
            presence: tx,
        };
        match item.assume_sni_available(true).spawn().await {
            Ok(handle) => {
                self.handle = Some(handle);
                self.presence = rx;
            }
            Err(e) => eprintln!("idp-tray: no session bus for a status icon ({e})"),
        }
        self.plan();
    }

    /// Whether the icon is shown, and if not, why.
    pub fn presence(&self) -> Presence {
        match self.handle {
            Some(_) => *self.presence.borrow(),
            None => Presence::NoBus,
        }
    }

    /// Schedules a restart after a refused registration.
    fn plan(&mut self) {
        match self.presence() {
            Presence::Shown => {
                self.retries = 0;
                self.retry_at = None;
            }
            Presence::Refused if self.retries < RETRIES => {
                self.retry_at = Some(Instant::now() + RETRY_AFTER);
            }
            _ => self.retry_at = None,
        }
    }

    /// Waits until the presence changes (`false`) or a planned restart is
    /// due (`true`: call [`Self::restart`]). Only waits, so it can be
    /// dropped at any point, as in `select!`.
    pub async fn wait(&mut self) -> bool {
        tokio::select! {
            Ok(()) = self.presence.changed(), if self.handle.is_some() => {
                self.presence.borrow_and_update();
                self.plan();
                false
            }
            () = sleep_until(self.retry_at) => true,
        }
    }

    /// Starts the service again, as planned after a refused registration.
    pub async fn restart(&mut self) {
        self.retries += 1;
        self.spawn().await;
    }

    pub async fn update(&self, agent: Agent) {
        if let Some(handle) = &self.handle {
            handle.update(|item| item.agent = agent).await;
        }
    }

    pub async fn shutdown(self) {
        if let Some(handle) = self.handle {
            handle.shutdown().await;
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
