//! `idp get NAME`: prints one field, the item's main secret by default.

use idp_proto::{ItemData, ItemKind, Secret};
use zeroize::Zeroizing;

use crate::cli::{Field, GetArgs};
use crate::connect::{connect, ctx};
use crate::error::{CliError, Exit};
use crate::output;

fn main_field(kind: ItemKind) -> Field {
    match kind {
        ItemKind::Login => Field::Password,
        ItemKind::Note => Field::Notes,
        ItemKind::Card => Field::CardNumber,
        ItemKind::SshKey => Field::Name,
    }
}

fn pick(item: &ItemData, field: Field) -> Option<String> {
    let secret = |s: &Option<Secret>| s.as_ref().map(|s| s.expose().to_owned());
    match field {
        Field::Password => secret(&item.password),
        Field::Username => item.username.clone(),
        Field::Url => (!item.urls.is_empty()).then(|| item.urls.join("\n")),
        Field::Notes => secret(&item.notes),
        Field::Totp => secret(&item.totp),
        Field::CardHolder => item.card_holder.clone(),
        Field::CardNumber => secret(&item.card_number),
        Field::CardExpiry => item.card_expiry.clone(),
        Field::CardCvv => secret(&item.card_cvv),
        Field::Name => Some(item.name.clone()),
        Field::Id => Some(item.id.clone()),
    }
}

/// The value of `field` (the item's main secret when `None`), and the field.
pub fn field_value(
    item: &ItemData,
    field: Option<Field>,
) -> Result<(Field, Zeroizing<String>), CliError> {
    if field.is_none() && item.kind == ItemKind::SshKey {
        return Err(CliError::new(
            Exit::NotFound,
            format!("{} is an SSH key", output::name(&item.name)),
            "`idp ssh public NAME` prints its public key; `idp ssh export NAME --plaintext FILE` \
             writes its private key",
        ));
    }
    let field = field.unwrap_or(main_field(item.kind));
    let value = pick(item, field).ok_or_else(|| {
        CliError::new(
            Exit::NotFound,
            format!(
                "{} has no {} field",
                output::name(&item.name),
                format!("{field:?}").to_lowercase()
            ),
            "see the item's fields with `idp get NAME --json`",
        )
    })?;
    Ok((field, Zeroizing::new(value)))
}

pub async fn run(args: GetArgs) -> Result<(), CliError> {
    let agent = connect().await?;
    let item = agent.client.get(ctx(30), args.name).await??;
    if args.json {
        return output::json(&item);
    }
    let (_, value) = field_value(&item, args.field)?;
    output::value(&value)
}
