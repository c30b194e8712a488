//! The child's side: limit this process, do one job, print one line.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use idp_vault::{ClientKey, VaultId};
use rustix::process::{DumpableBehavior, Resource, Rlimit, set_dumpable_behavior, setrlimit};
use serde::Serialize;
use zeroize::Zeroizing;

use super::sandbox::{self, Policy};
use super::{Answer, RenderRequest, WireRead};
use crate::info::KitInfo;
use crate::naming::KitFormat;
use crate::recognise::{Limits, check_open, read_open, recognise_bytes};

/// Address space: the decoders' own caps (256 MiB of image memory, 64 MiB
/// decompressed, a 20 MiB file) with room to spare.
const MAX_ADDRESS_SPACE: u64 = 1024 * 1024 * 1024;
/// CPU seconds; the reader checks its own 5 s budget between steps.
const MAX_CPU_SECONDS: u64 = 10;
/// The largest file a render may write (a kit is under 1 MiB).
const MAX_WRITTEN: u64 = 16 * 1024 * 1024;
/// Largest render request accepted on stdin.
const MAX_REQUEST: u64 = 64 * 1024;

/// The helper's `main`: runs the job named by `args` (without the program
/// name) and returns the exit code. The answer goes to stdout.
pub fn serve(args: Vec<OsString>) -> i32 {
    let args: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    match args.as_slice() {
        ["read"] => {
            limit(0);
            reply(read(Policy::Required))
        }
        ["read", "--allow-unsandboxed"] => {
            limit(0);
            reply(read(Policy::BestEffort))
        }
        ["render", format, dir] => {
            limit(MAX_WRITTEN);
            reply(render(format, Path::new(dir)).into())
        }
        ["sandbox-selftest", rest @ ..] => {
            limit(0);
            super::selftest::run(rest)
        }
        _ => {
            eprintln!(
                "usage: idp-kit read [--allow-unsandboxed] < KIT | idp-kit render pdf|png DIR < request.json\n\
                 idp-kit is the kit reader and renderer that idp and idp-agent run; \
                 use `idp kit` instead."
            );
            2
        }
    }
}

/// Caps this process before it touches anything untrusted. A limit that
/// cannot be set is not fatal: the parent's timeout still holds.
pub(super) fn limit(max_written: u64) {
    let cap = |resource, value| {
        let _ = setrlimit(
            resource,
            Rlimit {
                current: Some(value),
                maximum: Some(value),
            },
        );
    };
    let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    let _ = rustix::thread::set_no_new_privs(true);
    cap(Resource::Core, 0);
    cap(Resource::As, MAX_ADDRESS_SPACE);
    cap(Resource::Cpu, MAX_CPU_SECONDS);
    cap(Resource::Fsize, max_written);
    cap(Resource::Nofile, 16);
}

fn reply<T: Serialize>(answer: Answer<T>) -> i32 {
    let code = match answer {
        Answer::Ok(_) => 0,
        Answer::Err(_) => 1,
        Answer::NoSandbox(_) => 4,
    };
    let line = match serde_json::to_vec(&answer) {
        Ok(line) => Zeroizing::new(line),
        Err(_) => return 3,
    };
    let mut out = std::io::stdout().lock();
    if out
        .write_all(&line)
        .and_then(|()| out.write_all(b"\n"))
        .is_err()
    {
        return 3;
    }
    code
}

/// Reads the kit the parent opened and passed as stdin. The descriptor is
/// checked (a regular file within the size limit) before the sandbox is
/// entered, and not a byte is read before.
fn read(policy: Policy) -> Answer<WireRead> {
    let limits = Limits::default();
    let label = Path::new("the kit file");
    let stdin = std::io::stdin();
    // A duplicate, only to look at the file; closed before the sandbox.
    let len = match stdin.as_fd().try_clone_to_owned() {
        Ok(fd) => check_open(&File::from(fd), label, &limits),
        Err(e) => return Answer::Err(format!("no kit file was passed: {e}")),
    };
    let len = match len {
        Ok(len) => len,
        Err(e) => return Answer::Err(e.to_string()),
    };
    let entered = match sandbox::enter(policy) {
        Ok(entered) => entered,
        Err(why) => return Answer::NoSandbox(why),
    };
    let found =
        read_open(stdin.lock(), len, label).and_then(|bytes| recognise_bytes(&bytes, &limits));
    match found {
        Ok(found) => Answer::Ok(WireRead {
            vault_id: found.vault_id.to_hex(),
            key: Zeroizing::new(found.key.expose_canonical().expose().to_owned()),
            format: found.format,
            method: found.method.to_string(),
            sandboxed: entered.complete(),
        }),
        Err(e) => Answer::Err(e.to_string()),
    }
}

fn render(format: &str, dir: &Path) -> Result<String, String> {
    let format = KitFormat::from_arg(format).ok_or("the format is pdf or png")?;
    let mut input = Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(MAX_REQUEST)
        .read_to_end(&mut input)
        .map_err(|e| format!("cannot read the request: {e}"))?;
    let request: RenderRequest =
        serde_json::from_slice(&input).map_err(|_| "the request does not parse".to_owned())?;
    let key = ClientKey::parse(&request.key).map_err(|_| "the request holds no client key")?;
    let vault_id: VaultId = request
        .vault_id
        .parse()
        .map_err(|_| "the request holds no vault id")?;
    let info = KitInfo {
        vault_name: &request.vault_name,
        vault_id,
        created: UNIX_EPOCH + Duration::from_millis(request.created_ms),
        key: &key,
    };
    let path = crate::save(dir, format, &info).map_err(|e| e.to_string())?;
    path.into_os_string()
        .into_string()
        .map_err(|_| "the saved kit's path is not UTF-8".to_owned())
}
