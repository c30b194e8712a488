//! Random add/edit/remove on 2–3 devices, with their logs copied between
//! folders at random moments (whole, or cut mid-record as a sync tool might
//! leave them), converge to the same items as an independent model of the
//! merge rule: for each item, the record with the highest (clock, device).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use idp_vault::{Device, DeviceId, ItemId, LockedVault, UnlockedVault};
use proptest::prelude::*;

use crate::common::{Fixture, login, new_vault};

#[derive(Debug, Clone)]
enum Step {
    /// Device `dev` adds, edits (pick) or removes (pick) an item.
    Add {
        dev: usize,
        value: u16,
    },
    Edit {
        dev: usize,
        pick: usize,
        value: u16,
    },
    Remove {
        dev: usize,
        pick: usize,
    },
    /// Copy `from`'s log into `to`'s folder: `frac` of its records, and when
    /// `torn`, part of the next record too.
    Sync {
        from: usize,
        to: usize,
        frac: u8,
        torn: bool,
    },
}

fn step(devs: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..devs, any::<u16>()).prop_map(|(dev, value)| Step::Add { dev, value }),
        4 => (0..devs, any::<usize>(), any::<u16>()).prop_map(|(dev, pick, value)| Step::Edit { dev, pick, value }),
        1 => (0..devs, any::<usize>()).prop_map(|(dev, pick)| Step::Remove { dev, pick }),
        3 => (0..devs, 0..devs, any::<u8>(), any::<bool>())
            .prop_map(|(from, to, frac, torn)| Step::Sync { from, to, frac, torn }),
    ]
}

/// One record as the model sees it.
#[derive(Debug, Clone)]
struct MRec {
    clock: u64,
    device: DeviceId,
    item: ItemId,
    value: Option<String>,
}

struct Node {
    dir: PathBuf,
    device: Device,
    vault: UnlockedVault,
    /// Records of each device's log that this node has read.
    known: BTreeMap<DeviceId, usize>,
}

fn model_state(
    logs: &BTreeMap<DeviceId, Vec<MRec>>,
    known: &BTreeMap<DeviceId, usize>,
) -> BTreeMap<ItemId, Option<String>> {
    let mut best: BTreeMap<ItemId, &MRec> = BTreeMap::new();
    for (dev, n) in known {
        for r in &logs[dev][..*n] {
            if best
                .get(&r.item)
                .is_none_or(|b| (r.clock, r.device) > (b.clock, b.device))
            {
                best.insert(r.item, r);
            }
        }
    }
    best.into_iter()
        .filter(|(_, r)| r.value.is_some())
        .map(|(k, r)| (k, r.value.clone()))
        .collect()
}

fn model_clock(logs: &BTreeMap<DeviceId, Vec<MRec>>, known: &BTreeMap<DeviceId, usize>) -> u64 {
    known
        .iter()
        .flat_map(|(d, n)| logs[d][..*n].iter().map(|r| r.clock))
        .max()
        .unwrap_or(0)
}

/// Adds a write of `node` (device `dev`) to the model, with the clock the
/// merge rule gives it: one more than the highest it has read.
fn record(
    logs: &mut BTreeMap<DeviceId, Vec<MRec>>,
    node: &mut Node,
    dev: DeviceId,
    item: ItemId,
    value: Option<String>,
) {
    let clock = model_clock(logs, &node.known) + 1;
    logs.get_mut(&dev).expect("log").push(MRec {
        clock,
        device: dev,
        item,
        value,
    });
    *node.known.get_mut(&dev).expect("own") += 1;
}

fn vault_state(v: &UnlockedVault) -> BTreeMap<ItemId, Option<String>> {
    v.items()
        .map(|i| (i.id, i.password.as_ref().map(|p| p.expose().to_string())))
        .collect()
}

/// Byte offsets where each frame of a log ends.
fn frame_ends(bytes: &[u8]) -> Vec<usize> {
    let mut at = 40;
    let mut ends = Vec::new();
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4")) as usize;
        if at + 8 + len > bytes.len() {
            break;
        }
        at += 8 + len;
        ends.push(at);
    }
    ends
}

fn log_of(dir: &Path, dev: &DeviceId) -> PathBuf {
    dir.join("logs").join(format!("{dev}.log"))
}

fn copy_log(from: &Node, to: &Node, records: usize, torn: bool) {
    let src = log_of(&from.dir, &from.device.id());
    let bytes = std::fs::read(&src).expect("read log");
    let ends = frame_ends(&bytes);
    let mut cut = if records == 0 { 40 } else { ends[records - 1] };
    if torn && records < ends.len() {
        cut += (ends[records] - cut) / 2;
    }
    let dst = log_of(&to.dir, &from.device.id());
    let tmp = dst.with_extension("sync-tmp");
    std::fs::write(&tmp, &bytes[..cut]).expect("write copy");
    std::fs::rename(&tmp, &dst).expect("rename copy");
}

fn run(devs: usize, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let (fx, first): (Fixture, UnlockedVault) = new_vault();
    drop(first);
    std::fs::remove_dir_all(fx.dir.join("logs")).expect("fresh logs");
    let mut nodes = Vec::new();
    for n in 0..devs {
        let dir = fx.tmp.path().join(format!("folder{n}"));
        std::fs::create_dir_all(dir.join("logs")).expect("mkdir");
        std::fs::copy(fx.dir.join("vault.idp"), dir.join("vault.idp")).expect("copy header");
        let device = fx.device(&format!("dev{n}"));
        let vault = LockedVault::open(&dir)
            .expect("open")
            .unlock(&fx.password, &fx.key, &device)
            .expect("unlock");
        nodes.push(Node {
            dir,
            device,
            vault,
            known: BTreeMap::new(),
        });
    }
    let ids: Vec<DeviceId> = nodes.iter().map(|n| n.device.id()).collect();
    let mut logs: BTreeMap<DeviceId, Vec<MRec>> = ids.iter().map(|d| (*d, Vec::new())).collect();
    for (n, node) in nodes.iter_mut().enumerate() {
        node.known.insert(ids[n], 0);
    }

    for s in steps {
        match s {
            Step::Add { dev, value } => {
                let node = &mut nodes[dev];
                let v = format!("a{value}");
                let id = node.vault.add(login(name_of(value), &v)).expect("add");
                record(&mut logs, node, ids[dev], id, Some(v));
            }
            Step::Edit { dev, pick, value } => {
                let node = &mut nodes[dev];
                let live: Vec<ItemId> = node.vault.items().map(|i| i.id).collect();
                if live.is_empty() {
                    continue;
                }
                let id = live[pick % live.len()];
                let v = format!("e{value}");
                node.vault
                    .edit(&id, |i| {
                        i.password = Some(v.as_str().into());
                        i.name = name_of(value).into();
                    })
                    .expect("edit");
                record(&mut logs, node, ids[dev], id, Some(v));
            }
            Step::Remove { dev, pick } => {
                let node = &mut nodes[dev];
                let live: Vec<ItemId> = node.vault.items().map(|i| i.id).collect();
                if live.is_empty() {
                    continue;
                }
                let id = live[pick % live.len()];
                node.vault.remove(&id).expect("remove");
                record(&mut logs, node, ids[dev], id, None);
            }
            Step::Sync {
                from,
                to,
                frac,
                torn,
            } => {
                if from == to {
                    continue;
                }
                let have = nodes[to].known.get(&ids[from]).copied().unwrap_or(0);
                let total = logs[&ids[from]].len();
                // A sync tool only ever moves a log forward.
                let records = have + (total - have) * usize::from(frac) / 255;
                copy_log(&nodes[from], &nodes[to], records, torn);
                nodes[to].vault.refresh().expect("refresh");
                nodes[to].known.insert(ids[from], records);
            }
        }
        for node in &nodes {
            prop_assert_eq!(vault_state(&node.vault), model_state(&logs, &node.known));
            check_names(&node.vault)?;
        }
    }

    // Everyone gets everything: all converge to the one model state.
    let all: BTreeMap<DeviceId, usize> = logs.iter().map(|(d, l)| (*d, l.len())).collect();
    let expected = model_state(&logs, &all);
    for to in 0..devs {
        for from in 0..devs {
            if from != to {
                let total = logs[&ids[from]].len();
                copy_log(&nodes[from], &nodes[to], total, false);
            }
        }
        nodes[to].vault.refresh().expect("final refresh");
    }
    for node in &nodes {
        prop_assert_eq!(&vault_state(&node.vault), &expected);
        check_names(&node.vault)?;
    }
    Ok(())
}

/// Few names, so that several items share one and edits rename.
fn name_of(value: u16) -> &'static str {
    ["mail", "bank", "shop", "work"][usize::from(value % 4)]
}

/// Finding by name (through the vault's name index) agrees with walking
/// every item.
fn check_names(v: &UnlockedVault) -> Result<(), TestCaseError> {
    for name in ["mail", "bank", "shop", "work", "none"] {
        let indexed: Vec<ItemId> = v.find_by_name(name).iter().map(|i| i.id).collect();
        let walked: Vec<ItemId> = v.items().filter(|i| i.name == name).map(|i| i.id).collect();
        prop_assert_eq!(indexed, walked, "name {}", name);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn devices_converge_to_the_model_whatever_the_sync_order(
        devs in 2usize..=3,
        steps in proptest::collection::vec(step(3), 1..60),
    ) {
        let steps = steps.into_iter().map(|s| match s {
            Step::Add { dev, value } => Step::Add { dev: dev % devs, value },
            Step::Edit { dev, pick, value } => Step::Edit { dev: dev % devs, pick, value },
            Step::Remove { dev, pick } => Step::Remove { dev: dev % devs, pick },
            Step::Sync { from, to, frac, torn } => Step::Sync { from: from % devs, to: to % devs, frac, torn },
        }).collect();
        run(devs, steps)?;
    }
}
