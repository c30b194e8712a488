//! `idp edit NAME`.

use idp_proto::ItemPatch;

use super::fields;
use crate::Env;
use crate::cli::EditArgs;
use crate::connect::{connect, ctx};
use crate::error::{CliError, Exit};
use crate::output;

pub async fn run(args: EditArgs, env: &mut Env) -> Result<(), CliError> {
    let f = &args.fields;
    let agent = connect().await?;
    let secrets = fields::read(f, env, None)?;
    let patch = ItemPatch {
        name: args.rename.clone(),
        kind: f.kind.map(fields::kind),
        username: f.username.clone(),
        password: secrets.password,
        urls: (!f.url.is_empty()).then(|| f.url.clone()),
        tags: (!f.tag.is_empty()).then(|| f.tag.clone()),
        totp: secrets.totp,
        notes: secrets.notes,
        card_holder: f.card_holder.clone(),
        card_number: secrets.card_number,
        card_expiry: f.card_expiry.clone(),
        card_cvv: secrets.card_cvv,
    };
    if patch == ItemPatch::default() {
        return Err(CliError::new(
            Exit::Error,
            "nothing to change",
            "give at least one field, e.g. `idp edit NAME --generate`",
        ));
    }
    let edited = agent.client.edit(ctx(60), args.name, patch).await??;
    output::line(&format!(
        "edited {} ({})",
        output::name(&edited.name),
        edited.id
    ))
}
