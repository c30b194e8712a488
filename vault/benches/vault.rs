//! Vault benchmarks: `cargo bench -p idp-vault`.
//!
//! - `kdf/default`: Argon2id at the default parameters (target 0.3–1 s).
//! - `open/10k`, `open/100k`: reading and decrypting every record of a vault
//!   after the key derivation (`reload`; targets 50 ms and 500 ms).
//! - `write/durable_add_10k` next to `write/bare_fsync_append`: one item added
//!   to a 10k-item vault against appending the same number of bytes to a
//!   plain file with fdatasync, in the same folder (target ≤ 2×).
//! - `search/10k`: a substring search over 10k items (target 5 ms).
//! - `import/csv_10k`: parsing a 10k-row browser CSV and adding it durably.

use std::fs::OpenOptions;
use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use idp_vault::{Device, Item, ItemKind, KdfParams, LockedVault, SecretString, UnlockedVault};

fn item(n: usize) -> Item {
    let mut i = Item::new(ItemKind::Login, &format!("site{n:06} account"));
    i.username = Some(format!("user{n}@example.com"));
    i.password = Some(SecretString::from(format!("pw-{n:08}-xK9#mQ2!vL").as_str()));
    i.urls = vec![format!("https://login.site{n:06}.example/auth")];
    i.tags = vec!["bench".into(), format!("group{}", n % 50)];
    i
}

fn vault_with(tmp: &tempfile::TempDir, n: usize) -> UnlockedVault {
    let device = Device::load_or_create(&tmp.path().join("state")).expect("device");
    let (mut v, _key) = LockedVault::create(
        &tmp.path().join("vault"),
        "bench",
        &SecretString::from("bench password"),
        KdfParams::FLOOR,
        &device,
    )
    .expect("create");
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        v.add_batch(chunk.iter().map(|&i| item(i)).collect())
            .expect("add");
    }
    v
}

fn kdf(c: &mut Criterion) {
    let mut g = c.benchmark_group("kdf");
    g.sample_size(10).measurement_time(Duration::from_secs(12));
    let tmp = tempfile::tempdir().expect("tmp");
    let device = Device::load_or_create(&tmp.path().join("state")).expect("device");
    let pw = SecretString::from("bench password");
    let (v, key) = LockedVault::create(
        &tmp.path().join("vault"),
        "kdf",
        &pw,
        KdfParams::DEFAULT,
        &device,
    )
    .expect("create");
    let locked = v.lock();
    let other = Device::load_or_create(&tmp.path().join("other")).expect("device");
    g.bench_function("default", |b| {
        b.iter(|| black_box(locked.unlock(&pw, &key, &other).expect("unlock")))
    });
    g.finish();
}

fn open(c: &mut Criterion) {
    let mut g = c.benchmark_group("open");
    g.sample_size(10);
    for (label, n) in [("10k", 10_000), ("100k", 100_000)] {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut v = vault_with(&tmp, n);
        g.bench_function(label, |b| {
            b.iter(|| {
                v.reload().expect("reload");
                assert_eq!(v.len(), n);
            })
        });
    }
    g.finish();
}

fn write(c: &mut Criterion) {
    let mut g = c.benchmark_group("write");
    g.sample_size(50);
    let tmp = tempfile::tempdir().expect("tmp");
    let mut v = vault_with(&tmp, 10_000);
    let mut n = 10_000;
    g.bench_function("durable_add_10k", |b| {
        b.iter(|| {
            n += 1;
            v.add(item(n)).expect("add")
        })
    });
    // The same number of bytes as one add's record, appended and fdatasync'd.
    let record_len = {
        let log = std::fs::read_dir(tmp.path().join("vault/logs"))
            .expect("logs")
            .next()
            .expect("one log")
            .expect("entry")
            .path();
        let before = std::fs::metadata(&log).expect("len").len();
        v.add(item(0)).expect("add");
        (std::fs::metadata(&log).expect("len").len() - before) as usize
    };
    let mut plain = OpenOptions::new()
        .create(true)
        .append(true)
        .open(tmp.path().join("vault/logs/bare-baseline"))
        .expect("baseline file");
    let buf = vec![0x5a; record_len];
    g.bench_function("bare_fsync_append", |b| {
        b.iter(|| {
            plain.write_all(&buf).expect("write");
            plain.sync_data().expect("sync");
        })
    });
    g.finish();
}

fn search(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tmp");
    let v = vault_with(&tmp, 10_000);
    c.bench_function("search/10k", |b| {
        b.iter(|| {
            let hits = v.search(black_box("SITE00123"));
            assert_eq!(hits.len(), 10);
        })
    });
}

fn import(c: &mut Criterion) {
    use idp_vault::interchange::{ImportFormat, parse};
    let mut csv = String::from("name,url,username,password,note\n");
    for n in 0..10_000 {
        csv.push_str(&format!(
            "site{n},https://site{n}.example/login,user{n},pw-{n}-Zx9!,note {n}\n"
        ));
    }
    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    g.bench_function("csv_10k", |b| {
        b.iter_batched(
            || {
                let tmp = tempfile::tempdir().expect("tmp");
                let v = vault_with(&tmp, 0);
                (tmp, v)
            },
            |(tmp, mut v)| {
                let parsed = parse(ImportFormat::Csv, csv.as_bytes()).expect("parse");
                assert_eq!(v.import(parsed).expect("import").imported, 10_000);
                (tmp, v)
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, kdf, open, write, search, import);
criterion_main!(benches);
