use std::path::{Path, PathBuf};

use idp_vault::{
    ClientKey, Device, Item, ItemKind, KdfParams, LockedVault, SecretString, UnlockedVault,
};

/// The cheapest parameters a vault may have, so tests run fast.
pub fn fast() -> KdfParams {
    KdfParams::FLOOR
}

pub struct Fixture {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub key: ClientKey,
    pub password: SecretString,
}

impl Fixture {
    pub fn device(&self, name: &str) -> Device {
        Device::load_or_create(&self.tmp.path().join("state").join(name)).expect("device")
    }

    pub fn unlock(&self, device: &Device) -> UnlockedVault {
        LockedVault::open(&self.dir)
            .expect("open")
            .unlock(&self.password, &self.key, device)
            .expect("unlock")
    }
}

pub fn new_vault() -> (Fixture, UnlockedVault) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("vault");
    let password = SecretString::from("correct horse battery staple");
    let device = Device::load_or_create(&tmp.path().join("state").join("a")).expect("device");
    let (vault, key) =
        LockedVault::create(&dir, "Personal", &password, fast(), &device).expect("create");
    (
        Fixture {
            tmp,
            dir,
            key,
            password,
        },
        vault,
    )
}

pub fn login(name: &str, password: &str) -> Item {
    let mut i = Item::new(ItemKind::Login, name);
    i.username = Some(format!("{name}-user"));
    i.password = Some(password.into());
    i.urls = vec![format!("https://{name}.example")];
    i
}

pub fn log_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("logs"))
        .expect("logs")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    v.sort();
    v
}
