#!/usr/bin/env bash
# Sync and import benchmarks, with figures for the issue note.
#
#   bench/sync.sh [EDITS] [ENTRIES]      (default 100 and 10000)
#
# 1. Sync latency: two agents (two HOMEs, two device ids) on one local
#    vault folder; an edit on one until the other serves it, with the
#    edit's and a get's own round trips as baselines in the same run.
# 2. Import of ENTRIES CSV rows through `idp import` (file read, pieces
#    over the socket, parse and one durable write in the agent), against
#    the vault-level parse + import of the same file in one process.
# Everything runs in a private folder tree that is removed at the end.
set -euo pipefail
EDITS=${1:-100}
ENTRIES=${2:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build --release -q -p idp-cli -p idp-agent -p idp-bench --manifest-path "$ROOT/Cargo.toml"
BIN=$TARGET/release

. "$ROOT/bench/lib.sh"
bench_workdir idp-sync-bench

# device NAME [VAULT]: the environment of one device, on vault folder VAULT
# (default: $W/shared-vault, which devices a and b share).
device() {
    local d=$W/$1
    mkdir -p "$d/home" "$d/config/idp" "$d/data" "$d/state"
    [ -d "$d/run" ] || mkdir -m 700 "$d/run"
    echo "vault_dir = \"${2:-$W/shared-vault}\"" >"$d/config/idp/config.toml"
    echo "HOME=$d/home XDG_RUNTIME_DIR=$d/run XDG_CONFIG_HOME=$d/config XDG_DATA_HOME=$d/data XDG_STATE_HOME=$d/state"
}
on() { local name=$1; shift; env $(device "$name") "$@"; }

FAST=(--kdf-memory-mib 19 --kdf-iterations 2 --kdf-parallelism 1)
KEY=$(echo bench-password | on a "$BIN/idp" init --password-stdin "${FAST[@]}" |
    awk 'NF == 1 && length($1) == 41 {print $1}')
printf 'bench-password\n%s\n' "$KEY" | on b "$BIN/idp" unlock --password-stdin --client-key-stdin >/dev/null
for d in a b; do
    PIDS+=("$(on $d "$BIN/idp" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["agent"]["pid"])')")
done

echo "== sync latency"
"$BIN/idp-bench" sync-latency "$EDITS" "$W/a/run/idp/agent.sock" "$W/b/run/idp/agent.sock"

echo
echo "== import of $ENTRIES CSV entries"
python3 - "$ENTRIES" >"$W/import.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("name,url,username,password,note")
for i in range(n):
    print(f'entry {i} ✓,https://site{i}.example/login,user{i}@example.org,pw-{i:06}-{"x"*16},"note {i}\nsecond line"')
PY
echo "file: $(stat -c %s "$W/import.csv") bytes"
for run in 1 2 3; do
    rm -rf "$W/floor"
    "$BIN/idp-bench" vault-import "$W/import.csv" "$W/floor"
done
for run in 1 2 3; do
    # A fresh device and vault per run, so every run imports everything.
    ENV=$(device "imp$run" "$W/imp$run-vault")
    echo bench-password | env $ENV "$BIN/idp" init --password-stdin "${FAST[@]}" >/dev/null
    PIDS+=("$(env $ENV "$BIN/idp" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["agent"]["pid"])')")
    start=$(date +%s.%N)
    env $ENV "$BIN/idp" import --from csv "$W/import.csv" --json |
        python3 -c 'import json,sys; r=json.load(sys.stdin); print("imported", r["imported"], end=" ")'
    echo "through idp import: $(echo "($(date +%s.%N) - $start) * 1000" | bc | cut -d. -f1) ms"
done
