//! `idp add NAME`.

use idp_proto::{ItemData, ItemKind};

use super::fields;
use crate::Env;
use crate::cli::AddArgs;
use crate::connect::{connect, ctx};
use crate::error::CliError;
use crate::output;

pub async fn run(args: AddArgs, env: &mut Env) -> Result<(), CliError> {
    let f = &args.fields;
    let kind = f.kind.map_or(ItemKind::Login, fields::kind);
    let ask = (kind == ItemKind::Login).then_some(args.name.as_str());
    let agent = connect().await?;
    let secrets = fields::read(f, env, ask)?;
    let mut item = ItemData::new(kind, &args.name);
    item.username = f.username.clone();
    item.urls = f.url.clone();
    item.tags = f.tag.clone();
    item.card_holder = f.card_holder.clone();
    item.card_expiry = f.card_expiry.clone();
    item.password = secrets.password;
    item.totp = secrets.totp;
    item.notes = secrets.notes;
    item.card_number = secrets.card_number;
    item.card_cvv = secrets.card_cvv;
    let added = agent.client.add(ctx(60), item).await??;
    if args.json {
        return output::json(&added);
    }
    output::line(&format!(
        "added {} ({})",
        output::name(&added.name),
        added.id
    ))
}
