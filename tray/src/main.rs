//! `idp-tray`: idp-vault's status icon.
//!
//! A StatusNotifierItem (ksni) whose icon, title and tooltip follow the
//! agent through its long-poll `watch` call, with a menu to unlock (pinentry),
//! lock, save the emergency kit and show the client key. Where the desktop
//! has no tray (no StatusNotifierWatcher, or no host showing items) it says
//! so once and carries on with notifications: one each time the vault locks
//! or unlocks.
//!
//! One thread: the tokio runtime runs the bus, the follower and the actions;
//! pinentry dialogs, which block, run on the blocking pool.
#![forbid(unsafe_code)]

mod actions;
mod follow;
mod item;
mod notify;
mod prompt;
mod view;

use std::process::ExitCode;

use clap::Parser;
use ksni::TrayMethods;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};

use crate::actions::Actions;
use crate::item::{Action, Item};
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
    let item = Item {
        agent: Agent::Connecting,
        actions: action_tx,
    };
    let tray = match item.spawn().await {
        Ok(handle) => {
            eprintln!("idp-tray: showing the status icon");
            Some(handle)
        }
        Err(e) => {
            eprintln!("idp-tray: no system tray ({e}); notifications only");
            notify::send(
                "idp-vault: no system tray",
                "This desktop shows no status icons: idp-tray will tell you by notification \
                 when the vault locks or unlocks. Use `idp unlock` and `idp lock` in a terminal.",
            )
            .await;
            None
        }
    };

    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut shown = Look::NoAgent;
    loop {
        tokio::select! {
            changed = agent_rx.changed() => {
                if changed.is_err() {
                    break;
                }
                let agent = agent_rx.borrow_and_update().clone();
                let look = agent.look();
                match &tray {
                    Some(handle) => {
                        handle.update(|item| item.agent = agent).await;
                    }
                    None if look != shown => notify::send(&agent.title(), &agent.description(std::time::Instant::now())).await,
                    None => {}
                }
                shown = look;
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
    if let Some(handle) = tray {
        handle.shutdown().await;
    }
    Ok(())
}
