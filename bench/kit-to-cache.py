"""Kit copied into Downloads -> key cached, over RUNS runs. Called by
kit-to-cache.sh inside a private D-Bus session with gnome-keyring running.

Each run forgets the cached key (`idp key forget`), copies the kit into the
watched Downloads folder under a fresh name (a plain copy, as a file
manager does), and polls `idp status --json` until `key_known` is true.
The figure includes one status round trip (about 1 ms)."""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time

BIN, W, RUNS, FORMAT = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]


def world(name):
    root = os.path.join(W, name)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": os.path.join(root, "home"),
        "XDG_RUNTIME_DIR": os.path.join(root, "run"),
        "XDG_CONFIG_HOME": os.path.join(root, "config"),
        "XDG_DATA_HOME": os.path.join(root, "data"),
        "XDG_STATE_HOME": os.path.join(root, "state"),
        "DBUS_SESSION_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"],
    }
    for d in ("home/Downloads", "config/idp", "data", "state"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
    return root, env


def idp(env, *args, stdin=""):
    out = subprocess.run([f"{BIN}/idp", *args], env=env, input=stdin.encode(),
                         capture_output=True, check=True)
    return out.stdout.decode()


origin, oenv = world("origin")
with open(os.path.join(origin, "config/idp/config.toml"), "w") as f:
    f.write('[key_cache]\nbackend = "none"\n[downloads]\nwatch = false\n')
idp(oenv, "init", "--password-stdin", "--kdf-memory-mib", "19", "--kdf-iterations", "2",
    "--kdf-parallelism", "1", stdin="bench password\n")
saved = idp(oenv, "kit", "save", f"--{FORMAT}", "--dir", os.path.join(origin, "kits"),
            "--password-stdin", stdin="bench password\n")
kit = next(l for l in saved.splitlines() if l.startswith("saved "))[len("saved "):]
idp(oenv, "lock")

device, denv = world("device")
shutil.copytree(os.path.join(origin, "data/idp/vault"), os.path.join(device, "data/idp/vault"))
status = json.loads(idp(denv, "status", "--json"))
agent = status["agent"]["pid"]
vault_id = status["vault"]["id"]
downloads = os.path.join(device, "home/Downloads")
ext = os.path.splitext(kit)[1]

times = []
for run in range(RUNS):
    idp(denv, "key", "forget")
    for old in os.listdir(downloads):
        os.remove(os.path.join(downloads, old))
    name = (f"ID Protection client key {run:05d}{ext}" if FORMAT == "pdf"
            else f"IDP_CLIENT_KEY_EMERGENCY_KIT{run:07d}{ext}")
    start = time.perf_counter()
    shutil.copyfile(kit, os.path.join(downloads, name))
    while True:
        if json.loads(idp(denv, "status", "--json"))["key_known"]:
            break
        if time.perf_counter() - start > 10:
            sys.exit(f"run {run}: the key was not cached within 10 s")
        time.sleep(0.002)
    times.append((time.perf_counter() - start) * 1000)

times.sort()
p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
print(f"kit ({FORMAT}) in Downloads -> key cached, {RUNS} runs: "
      f"median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, "
      f"min {times[0]:.0f} ms, max {times[-1]:.0f} ms")
with open(f"/proc/{agent}/status") as f:
    rss = next(l for l in f if l.startswith("VmRSS")).split()[1]
print(f"agent RSS after the runs: {int(rss) // 1024} MiB")

subprocess.run(["hyperfine", "-N", "--warmup", "10", "--runs", "100",
                f"secret-tool lookup application idp-vault vault {vault_id}",
                f"{BIN}/idp status --json"], check=True,
               env={**os.environ, "PATH": "/usr/bin:/bin", **{k: v for k, v in denv.items() if k != "PATH"}})
