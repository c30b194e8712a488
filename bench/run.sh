#!/usr/bin/env bash
# Benchmarks of idp-agent and idp, with figures for the issue note.
#
#   bench/run.sh [ITEMS]        (default 10000)
#
# Needs: hyperfine, gnome-keyring, libsecret-tools (secret-tool), dbus
# (dbus-run-session), python3-secretstorage. Everything runs in a private
# HOME/XDG tree and a private D-Bus session, and is stopped at the end.
set -euo pipefail
bash "$(dirname "$0")/../scripts/deps-debian" bench
ITEMS=${1:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
cd "$ROOT"
cargo build --release -q --locked -p idp-agent -p idp-kit -p idp-bench
# `idp` as it is installed and shipped: statically linked (the `build-idp`
# alias in .cargo/config.toml).
cargo build-idp -q

. "$ROOT/bench/lib.sh"
bench_workdir idp-bench
# The programs side by side, as installed: `idp` starts the `idp-agent`
# next to it.
BIN=$W/bin
mkdir "$BIN"
install -m 755 "$TARGET/x86_64-unknown-linux-gnu/release/idp" \
    "$TARGET/release/idp-agent" "$TARGET/release/idp-kit" "$TARGET/release/idp-bench" "$BIN/"
private_session

# The vault's KDF cost is not what is measured here: use the floor.
echo bench-password | "$BIN/idp" init --password-stdin \
    --kdf-memory-mib 19 --kdf-iterations 2 --kdf-parallelism 1 >/dev/null
AGENT=$("$BIN/idp" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["agent"]["pid"])')
PIDS+=("$AGENT")
start=$(date +%s.%N)
"$BIN/idp-bench" fill "$ITEMS"
echo "filled $ITEMS items in $(echo "$(date +%s.%N) - $start" | bc) s"
echo "agent RSS unlocked with $ITEMS items: $(awk '/VmRSS/ {print $2, $3}' "/proc/$AGENT/status")"

"$BIN/idp-bench" floor-server "$W/floor.sock" >/dev/null &
PIDS+=("$!")
for _ in $(seq 100); do [ -S "$W/floor.sock" ] && break; sleep 0.05; done

echo
"$BIN/idp-bench" latency 5000 "$W/floor.sock"
echo
"$BIN/idp-bench" load 16 2 5 "$W/floor.sock"
echo

# gnome-keyring with the same number of entries, in a private D-Bus session.
export BIN W ITEMS ROOT
dbus-run-session -- bash -c '
    set -euo pipefail
    echo -n keyring-password | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null &
    GKD=$!
    trap "kill $GKD 2>/dev/null || true" EXIT
    for _ in $(seq 100); do
        secret-tool search --all nothing nothing >/dev/null 2>&1 && break; sleep 0.1
    done
    /usr/bin/python3 "$ROOT/bench/keyring-fill.py" "$ITEMS"
    test "$(secret-tool lookup bench item-05000)" = "password-05000-xxxxxxxx"
    test "$("$BIN/idp" get item-05000)" = "password-05000-xxxxxxxx"
    echo "gnome-keyring-daemon RSS: $(awk "/VmRSS/ {print \$2, \$3}" /proc/$GKD/status)"
    hyperfine -N --warmup 20 --runs 300 --export-json "$W/get.json" \
        "$BIN/idp get item-05000" \
        "secret-tool lookup bench item-05000" \
        "$BIN/idp-bench floor-client $W/floor.sock"
    python3 "$ROOT/bench/medians.py" "$W/get.json"
'
