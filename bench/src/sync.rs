//! Sync latency between two agents on one vault folder, and the vault-level
//! import that `idp import` is measured against.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use idp_proto::{AgentClient, ItemData, ItemKind, ItemPatch, PROTOCOL_VERSION, Secret, framing};

use crate::{Res, ctx};

async fn agent_at(socket: &Path) -> Res<AgentClient> {
    let stream = idp_proto::socket::connect(socket).await?;
    let client =
        AgentClient::new(tarpc::client::Config::default(), framing::transport(stream)).spawn();
    client.hello(ctx(), PROTOCOL_VERSION).await??;
    Ok(client)
}

fn spread(label: &str, mut v: Vec<Duration>) {
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    println!(
        "  {label:<34} median {:>8.3} ms  (p10 {:.3}, p90 {:.3}, max {:.3}; n={})",
        at(0.5),
        at(0.1),
        at(0.9),
        at(1.0),
        v.len()
    );
}

/// Edits an item on agent A `n` times; after each edit waits (with the
/// `watch` long poll, no busy polling) until agent B serves the new value.
/// Baselines in the same run: the edit's own round trip on A, and a `get`
/// round trip on B.
pub async fn latency(n: usize, a: PathBuf, b: PathBuf) -> Res<()> {
    let (a, b) = (agent_at(&a).await?, agent_at(&b).await?);
    let mut item = ItemData::new(ItemKind::Login, "sync-probe");
    item.password = Some(Secret::new("start"));
    a.add(ctx(), item).await??;
    let (mut seen, mut edit_rt, mut get_rt) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        // Wait until b has the previous state, so each round starts even.
        let want = format!("value-{i}");
        let mut generation = b.status(ctx()).await??.generation;
        let t = Instant::now();
        let patch = ItemPatch {
            password: Some(Secret::new(&want)),
            ..ItemPatch::default()
        };
        a.edit(ctx(), "sync-probe".into(), patch).await??;
        edit_rt.push(t.elapsed());
        loop {
            let g = Instant::now();
            let got = b.get(ctx(), "sync-probe".into()).await?;
            get_rt.push(g.elapsed());
            if let Ok(data) = got
                && data.password.as_ref().map(Secret::expose) == Some(want.as_str())
            {
                break;
            }
            generation = b.watch(ctx(), generation).await??.generation;
            if t.elapsed() > Duration::from_secs(10) {
                return Err(format!("edit {i} not seen by the other agent in 10 s").into());
            }
        }
        seen.push(t.elapsed());
    }
    println!("sync latency between two agents on one local folder, {n} edits:");
    spread("edit on A until B serves it", seen);
    spread("baseline: edit round trip on A", edit_rt);
    spread("baseline: get round trip on B", get_rt);
    Ok(())
}

/// Parses and imports `file` (CSV) straight into a new vault in `dir`, as
/// the agent does after receiving it: the floor for `idp import`.
pub fn vault_import(file: &Path, dir: &Path) -> Res<()> {
    use idp_vault::interchange::{self, ImportFormat};
    use idp_vault::{Device, KdfParams, LockedVault, SecretString};
    let device = Device::load_or_create(&dir.join("state"))?;
    let params = KdfParams::new(19 * 1024, 2, 1)?;
    let password = SecretString::from("bench");
    let (mut vault, _) =
        LockedVault::create(&dir.join("vault"), "bench", &password, params, &device)?;
    let t = Instant::now();
    let bytes = std::fs::read(file)?;
    let parsed = interchange::parse(ImportFormat::Csv, &bytes)?;
    let report = vault.import(parsed)?;
    println!(
        "vault-level import of {} entries: {:.1} ms",
        report.imported,
        t.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
