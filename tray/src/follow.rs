//! Following the agent: one outstanding long-poll `watch` call at a time.
//!
//! The agent answers `watch` as soon as its state changes, so the tray
//! changes icon at once without asking over and over. While unlocked the
//! call is given a one-minute deadline, which refreshes the countdown to
//! auto-lock (the idle timer moves on every use of an item, which is not a
//! change of state); otherwise it waits up to five minutes. When the agent
//! cannot be reached the tray retries, backing off from 1 s to a minute.

use std::time::{Duration, Instant};

use idp_connect::{connect, ctx};
use idp_proto::State;
use tokio::sync::watch;

use crate::view::Agent;

const WAIT_UNLOCKED: u64 = 60;
const WAIT_OTHERWISE: u64 = 300;
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(60);

/// Publishes every status the agent reports into `out`; never returns.
pub async fn follow(out: watch::Sender<Agent>) {
    let mut retry = RETRY_FIRST;
    loop {
        let reason = match session(&out).await {
            Ok(()) => "the agent closed the connection".to_owned(),
            Err(reason) => reason,
        };
        eprintln!("idp-tray: {reason}; trying again in {} s", retry.as_secs());
        out.send_replace(Agent::Down(reason));
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(RETRY_MAX);
    }
}

/// One connection's worth of following; returns when it breaks.
async fn session(out: &watch::Sender<Agent>) -> Result<(), String> {
    let agent = connect().await.map_err(|e| e.to_string())?;
    let mut status = agent
        .client
        .status(ctx(10))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    loop {
        let generation = status.generation;
        let wait = if status.state == State::Unlocked {
            WAIT_UNLOCKED
        } else {
            WAIT_OTHERWISE
        };
        out.send_replace(Agent::Up(Box::new(status), Instant::now()));
        status = match agent.client.watch(ctx(wait), generation).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(e.to_string()),
            Err(e) => return Err(format!("lost the agent: {e}")),
        };
    }
}
