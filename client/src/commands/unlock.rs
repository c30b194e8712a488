//! `idp unlock`.

use idp_proto::{ProtoError, Secret, State, UnlockRequest};
use idp_vault::ClientKey;

use crate::Env;
use crate::cli::UnlockArgs;
use crate::connect::{connect, ctx};
use crate::error::{CliError, Exit};
use crate::output;

/// Checks a typed key here, so a typo is reported before any password is
/// sent, and sends it in canonical form.
fn check_key(typed: &Secret) -> Result<Secret, CliError> {
    let key = ClientKey::parse(typed.expose()).map_err(|e| {
        CliError::new(
            Exit::Refused,
            e.to_string(),
            "type the key again from your emergency kit",
        )
    })?;
    Ok(Secret::new(key.expose_canonical().expose()))
}

pub async fn run(args: UnlockArgs, env: &mut Env) -> Result<(), CliError> {
    let agent = connect().await?;
    let status = agent.client.status(ctx(30)).await??;
    let key_known = match status.state {
        State::Unlocked => return output::line("already unlocked"),
        State::NoVault => {
            return Err(ProtoError::NoVault {
                dir: status.vault_dir,
            }
            .into());
        }
        State::Damaged => {
            let why = status
                .notices
                .iter()
                .find(|n| n.kind == "header_damaged")
                .map_or_else(
                    || "the vault header cannot be used".to_string(),
                    |n| n.message.clone(),
                );
            return Err(ProtoError::Vault { message: why }.into());
        }
        State::Locked { key_known } => key_known,
    };
    let password = if args.password_stdin {
        Some(env.stdin.line("password")?)
    } else {
        None
    };
    let client_key = if let Some(file) = &args.kit {
        let (found, check) = super::kit::check(&agent, file).await?;
        super::kit::explain(&check)?;
        Some(Secret::new(found.key.expose_canonical().expose()))
    } else if args.client_key_stdin {
        Some(check_key(&env.stdin.line("client key")?)?)
    } else if !key_known {
        let typed = env.prompter.ask(
            "This device does not know the vault's client key. Type it from your emergency kit \
             (36 letters and digits; spaces and dashes are fine).",
            "Client key:",
        )?;
        Some(check_key(&typed)?)
    } else {
        None
    };
    let password = match password {
        Some(p) => p,
        None => env.prompter.ask("Unlock the idp-vault.", "Password:")?,
    };
    let status = agent
        .client
        .unlock(
            ctx(600),
            UnlockRequest {
                password,
                client_key,
            },
        )
        .await??;
    let idle = status
        .idle_lock_in
        .map(output::duration)
        .unwrap_or_default();
    output::line(&format!(
        "unlocked, {} items; locks after {idle} idle",
        status.items.unwrap_or(0)
    ))
}
