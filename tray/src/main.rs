//! `idp-tray`: idp-vault's status icon.
//!
//! A StatusNotifierItem (ksni) whose icon, title and tooltip follow the
//! agent through its long-poll `watch` call, with a menu to unlock (pinentry),
//! lock, save the emergency kit and show the client key. Where the desktop
//! has no tray (no StatusNotifierWatcher) it says so once and carries on
//! with notifications, one each time the vault locks or unlocks, until a
//! tray appears; then the icon shows, and notifications stop.
//!
//! One thread: the tokio runtime runs the bus, the follower and the actions;
//! pinentry dialogs, which block, run on the blocking pool.
#![forbid(unsafe_code)]

mod actions;
mod follow;
mod icon;
mod item;
mod notify;
mod prompt;
mod view;

use std::process::ExitCode;

use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};

use crate::actions::Actions;
use crate::icon::Icon;
use crate::item::{Action, Presence};
use crate::view::{Agent, Look};

/// idp-vault's status icon: shows whether the vault is locked, unlocks it
/// (asking with pinentry), locks it, saves the emergency kit and shows the
/// client key. Started at login by its autostart entry.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {}

fn main() -> ExitCode {
    Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("idp-tray: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idp-tray: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let config = match idp_connect::load_config() {
        Ok(c) => c,
        Err(e) => {
            notify::send(
                "idp-vault: config.toml is not usable",
                &format!("{e}. Using the defaults."),
            )
            .await;
            Default::default()
        }
    };
    let actions = Actions::new(prompt::choose(config.pinentry));
    let (agent_tx, mut agent_rx) = watch::channel(Agent::Connecting);
    tokio::spawn(follow::follow(agent_tx));

    let (action_tx, mut action_rx) = mpsc::unbounded_channel();
    let mut icon = Icon::start(agent_rx.clone(), action_tx).await;
    let mut told = false;
    let mut presence = icon.presence();
    report(presence, None, &mut told).await;

    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut look = Look::NoAgent;
    loop {
        tokio::select! {
            changed = agent_rx.changed() => {
                if changed.is_err() {
                    break;
                }
                let agent = agent_rx.borrow_and_update().clone();
                let now = agent.look();
                if presence != Presence::Shown && now != look {
                    notify::send(&agent.title(), &agent.description(std::time::Instant::now())).await;
                }
                icon.update(agent).await;
                look = now;
            }
            due = icon.wait() => {
                if due {
                    icon.restart().await;
                }
                let now = icon.presence();
                report(now, Some(presence), &mut told).await;
                presence = now;
            }
            Some(action) = action_rx.recv() => {
                if action == Action::Quit {
                    break;
                }
                let key_needed = agent_rx.borrow().key_needed();
                let actions = actions.clone();
                tokio::spawn(async move { actions.run(action, key_needed).await });
            }
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    icon.shutdown().await;
    Ok(())
}

/// Says when the icon shows, and once that there is no tray.
async fn report(now: Presence, before: Option<Presence>, told: &mut bool) {
    if before == Some(now) {
        return;
    }
    if now == Presence::Shown {
        eprintln!("idp-tray: showing the status icon");
    } else {
        tell_no_tray(told).await;
    }
}

/// Says once that there is no tray, and that notifications stand in.
async fn tell_no_tray(told: &mut bool) {
    if std::mem::replace(told, true) {
        return;
    }
    notify::send(
        "idp-vault: no system tray",
        "This desktop shows no status icons: idp-tray will tell you by notification when the \
         vault locks or unlocks, and shows its icon if a tray appears. Use `idp unlock` and \
         `idp lock` in a terminal.",
    )
    .await;
}
