//! The StatusNotifierItem: ksni asks this struct for every property and
//! menu entry; menu clicks become [`Action`]s for the main loop, so nothing
//! here blocks the bus.

use std::time::Instant;

use ksni::menu::{MenuItem, StandardItem};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;

use crate::view::Agent;

/// What a person asked for from the tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Unlock,
    Lock,
    SaveKit,
    ShowKey,
    Quit,
}

/// The tray's state as the bus sees it.
#[derive(Debug)]
pub struct Item {
    pub agent: Agent,
    pub actions: UnboundedSender<Action>,
    /// What ksni last said of the StatusNotifierWatcher.
    pub presence: watch::Sender<Presence>,
}

/// Whether the icon is shown, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Registered with a watcher (or about to be: ksni says a watcher is
    /// there before it registers).
    Shown,
    /// The watcher went away; ksni registers again when one comes.
    NoWatcher,
    /// Registering was refused: no watcher, or one not ready yet.
    Refused,
    /// No session bus to serve the icon on.
    NoBus,
}

impl Item {
    fn send(&self, action: Action) {
        // The main loop is gone only while the tray is quitting.
        let _ = self.actions.send(action);
    }

    fn entry(label: &str, enabled: bool, action: Action) -> MenuItem<Self> {
        StandardItem {
            label: label.into(),
            enabled,
            activate: Box::new(move |item: &mut Self| item.send(action)),
            ..Default::default()
        }
        .into()
    }
}

impl ksni::Tray for Item {
    fn watcher_online(&self) {
        self.presence.send_replace(Presence::Shown);
    }

    fn watcher_offline(&self, reason: ksni::OfflineReason) -> bool {
        let presence = match reason {
            ksni::OfflineReason::No => Presence::NoWatcher,
            _ => Presence::Refused,
        };
        eprintln!("idp-tray: the status icon is not shown ({reason:?})");
        self.presence.send_replace(presence);
        // Keep the service: the icon comes back when a watcher appears.
        true
    }

    fn id(&self) -> String {
        "idp-vault".into()
    }

    fn title(&self) -> String {
        self.agent.title()
    }

    fn category(&self) -> ksni::Category {
        ksni::Category::ApplicationStatus
    }

    fn icon_name(&self) -> String {
        self.agent.icon_name().into()
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            icon_name: self.agent.icon_name().into(),
            title: self.agent.title(),
            description: self.agent.description(Instant::now()),
            icon_pixmap: Vec::new(),
        }
    }

    /// A click on the icon unlocks when locked; otherwise the menu is the
    /// way (a stray click must not lock).
    fn activate(&mut self, _x: i32, _y: i32) {
        if self.agent.can_unlock() {
            self.send(Action::Unlock);
        }
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        let unlocked = self.agent.is_unlocked();
        vec![
            Self::entry("Unlock…", self.agent.can_unlock(), Action::Unlock),
            Self::entry("Lock", unlocked, Action::Lock),
            MenuItem::Separator,
            Self::entry("Save emergency kit (PDF)…", unlocked, Action::SaveKit),
            Self::entry("Show client key…", unlocked, Action::ShowKey),
            MenuItem::Separator,
            Self::entry("Quit", true, Action::Quit),
        ]
    }
}
