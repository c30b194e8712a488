//! `idp init`: creates the vault and shows the client key once.

use idp_proto::InitRequest;

use crate::Env;
use crate::cli::InitArgs;
use crate::connect::{connect, ctx};
use crate::error::{CliError, Exit};
use crate::output;

pub async fn run(args: InitArgs, env: &mut Env) -> Result<(), CliError> {
    let agent = connect().await?;
    let password = env.new_password(args.password_stdin)?;
    if password.is_empty() {
        return Err(CliError::new(
            Exit::Error,
            "the password is empty",
            "choose a password (`idp generate --words 6` suggests one)",
        ));
    }
    let kdf = super::vault::kdf(&args.kdf);
    let request = InitRequest {
        name: args.name,
        password,
        kdf,
    };
    let reply = agent.client.init(ctx(600), request).await??;
    output::line(&format!(
        "Vault created in {} and unlocked.\n\nYour client key:\n\n    {}\n",
        reply.status.vault_dir,
        reply.client_key.expose()
    ))?;
    output::line(
        "Write it down or print it now, and keep it apart from your password.\n\
         Opening this vault takes BOTH the password and this key: without either,\n\
         nobody, you included, can open it. A new device will ask for the key.",
    )
}
