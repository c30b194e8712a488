//! `idp status`.

use idp_proto::{Hello, State, Status};
use serde::Serialize;

use crate::connect::{connect, ctx};
use crate::error::CliError;
use crate::output;

#[derive(Serialize)]
struct StatusJson<'a> {
    agent: &'a Hello,
    #[serde(flatten)]
    status: &'a Status,
}

pub async fn run(json: bool) -> Result<(), CliError> {
    let agent = connect().await?;
    let status = agent.client.status(ctx(30)).await??;
    if json {
        return output::json(&StatusJson {
            agent: &agent.hello,
            status: &status,
        });
    }
    let h = &agent.hello;
    output::line(&format!(
        "agent:      running, pid {} (idp-agent {})",
        h.pid, h.agent_version
    ))?;
    let Some(vault) = &status.vault else {
        if status.state == State::Damaged {
            output::line(&format!(
                "vault:      in {}, but its header cannot be used",
                output::shown(&status.vault_dir)
            ))?;
            output::line("state:      vault header damaged")?;
            for n in &status.notices {
                output::line(&format!("warning:    {}", output::shown(&n.message)))?;
            }
            return output::line(
                "next:       restore vault.idp from your sync tool's history or another \
                 device (an emergency kit does not help here; `idp init` refuses)",
            );
        }
        output::line(&format!(
            "vault:      none in {}",
            output::shown(&status.vault_dir)
        ))?;
        for n in &status.notices {
            output::line(&format!("warning:    {}", output::shown(&n.message)))?;
        }
        return output::line("next:       create one with `idp init`");
    };
    output::line(&format!(
        "vault:      {} in {}",
        output::name(&vault.name),
        output::shown(&status.vault_dir)
    ))?;
    match status.state {
        State::Unlocked => {
            output::line(&format!(
                "state:      unlocked, {} items",
                status.items.unwrap_or(0)
            ))?;
            if let (Some(idle), Some(max)) = (status.idle_lock_in, status.max_lock_in) {
                output::line(&format!(
                    "auto-lock:  in {} if idle, at the latest in {}",
                    output::duration(idle),
                    output::duration(max)
                ))?;
            }
        }
        State::Locked { key_known } => {
            output::line("state:      locked")?;
            output::line(if key_known {
                "next:       `idp unlock` (password only)"
            } else {
                "next:       `idp unlock` (password and the client key from your emergency kit)"
            })?;
        }
        State::NoVault => output::line("state:      no vault")?,
        State::Damaged => output::line("state:      vault header damaged")?,
    }
    for n in &status.notices {
        output::line(&format!("warning:    {}", output::shown(&n.message)))?;
    }
    if let Some(wait) = status.retry_after {
        output::line(&format!("throttled:  next unlock attempt in {wait} s"))?;
    }
    output::line(&format!(
        "key:        fingerprint {}; {}",
        output::shown(&vault.key_fingerprint),
        if status.key_known {
            "known on this device"
        } else {
            "not known on this device"
        }
    ))?;
    output::line(&format!("key cache:  {}", output::shown(&status.key_cache)))?;
    if let Some(note) = &status.key_note {
        output::line(&format!("note:       {}", output::shown(note)))?;
    }
    output::line(&format!(
        "kdf:        Argon2id {} MiB, {} passes, {} lanes",
        vault.kdf.memory_kib / 1024,
        vault.kdf.iterations,
        vault.kdf.parallelism
    ))
}
