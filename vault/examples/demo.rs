//! A walk through the vault crate: create, add, lock, fail with the wrong
//! password and with another vault's key, unlock, read.
//!
//! `cargo run --release -p idp-vault --example demo [FOLDER]`

use std::path::PathBuf;

use idp_vault::{ClientKey, Device, Item, ItemKind, KdfParams, LockedVault, SecretString};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = std::env::temp_dir().join(format!("idp-vault-demo-{}", std::process::id()));
    let base = std::env::args_os().nth(1).map(PathBuf::from).unwrap_or(tmp);
    let dir = base.join("vault");
    let device = Device::load_or_create(&base.join("state"))?;
    let password = SecretString::from("demo password, not a real one");

    println!(
        "creating a vault in {} ({})",
        dir.display(),
        KdfParams::DEFAULT
    );
    let started = std::time::Instant::now();
    let (mut vault, key) =
        LockedVault::create(&dir, "Demo", &password, KdfParams::DEFAULT, &device)?;
    println!(
        "created in {:.0?}; client key {}",
        started.elapsed(),
        key.expose_grouped().expose()
    );

    let mut github = Item::new(ItemKind::Login, "github");
    github.username = Some("octocat".into());
    github.password = Some("hunter2-demo".into());
    github.urls = vec!["https://github.com".into()];
    vault.add(github)?;
    let locked = vault.lock();
    println!("added 1 item and locked");

    match locked.unlock(&"not the password".into(), &key, &device) {
        Err(e) => println!("wrong password -> {e}"),
        Ok(_) => return Err("a wrong password opened the vault".into()),
    }
    match locked.unlock(&password, &ClientKey::generate()?, &device) {
        Err(e) => println!("another vault's key -> {e}"),
        Ok(_) => return Err("a foreign key opened the vault".into()),
    }
    let mut typo = key.expose_canonical().expose().to_string();
    typo.replace_range(3..4, if &typo[3..4] == "A" { "B" } else { "A" });
    if let Err(e) = ClientKey::parse(&typo) {
        println!("key with a typo -> {e}");
    }

    let vault = locked.unlock(&password, &key, &device)?;
    for item in vault.search("git") {
        println!(
            "found {} ({}), user {}",
            item.name,
            item.kind,
            item.username.as_deref().unwrap_or("-")
        );
    }
    println!("vault folder: {}", dir.display());
    Ok(())
}
