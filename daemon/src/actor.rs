//! The actor: one thread owns [`AgentState`]; every RPC is a job sent to it.
//!
//! A dedicated OS thread rather than a task, because most jobs block
//! (Argon2 runs for half a second, writes wait for fsync) and the timers
//! fall out of `recv_timeout`: the thread waits for the next job or the
//! next auto-lock, whichever comes first. Jobs are closures, so each RPC
//! handler stays typed and the state has exactly one owner. After each job
//! the thread publishes what `status` answers (see [`crate::snapshot`]).

use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use idp_proto::ProtoError;
use tokio::sync::oneshot;

use crate::state::AgentState;
use crate::timeout::LockReason;

type Job = Box<dyn FnOnce(&mut AgentState) + Send>;

enum Msg {
    Job(Job),
    Shutdown,
}

/// Sends jobs to the actor. Cheap to clone.
#[derive(Clone)]
pub struct ActorHandle {
    tx: mpsc::Sender<Msg>,
}

impl std::fmt::Debug for ActorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ActorHandle")
    }
}

fn gone() -> ProtoError {
    ProtoError::Vault {
        message: "the agent's vault owner has stopped; restart idp-agent".into(),
    }
}

impl ActorHandle {
    /// Runs `f` on the state and returns its result.
    pub async fn call<T, F>(&self, f: F) -> Result<T, ProtoError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AgentState) -> Result<T, ProtoError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |st| {
            let answer = f(st);
            // Before the answer: a client that saw it must find it in the
            // next `status`.
            st.publish();
            // The caller may have hung up; its answer is then dropped here.
            let _ = tx.send(answer);
        });
        self.tx.send(Msg::Job(job)).map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// Queues `f` on the state without waiting for it; `false` once the
    /// actor has stopped.
    pub fn post(&self, f: impl FnOnce(&mut AgentState) + Send + 'static) -> bool {
        let job: Job = Box::new(move |st| {
            f(st);
            st.publish();
        });
        self.tx.send(Msg::Job(job)).is_ok()
    }

    /// Asks the actor to lock and stop.
    pub fn shutdown(&self) {
        let _ = self.tx.send(Msg::Shutdown);
    }
}

/// Starts the actor thread.
pub fn spawn(state: AgentState) -> std::io::Result<(ActorHandle, thread::JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel();
    let join = thread::Builder::new()
        .name("idp-vault".into())
        .spawn(move || run(state, rx))?;
    Ok((ActorHandle { tx }, join))
}

fn run(mut st: AgentState, rx: mpsc::Receiver<Msg>) {
    loop {
        let msg = match st.timers.deadline() {
            Some((at, reason)) => {
                let now = Instant::now();
                if at <= now {
                    st.lock(reason);
                    st.publish();
                    continue;
                }
                match rx.recv_timeout(at - now) {
                    Ok(m) => m,
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            None => match rx.recv() {
                Ok(m) => m,
                Err(_) => break,
            },
        };
        match msg {
            Msg::Job(job) => job(&mut st),
            Msg::Shutdown => break,
        }
    }
    st.lock(LockReason::Shutdown);
}
