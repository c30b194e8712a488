#!/usr/bin/env bash
# Time from an emergency kit landing in Downloads to its key being cached
# by the agent (Secret Service), and `secret-tool lookup` of the cached item.
#
#   bench/kit-to-cache.sh [RUNS] [pdf|png]     (default 50 pdf)
#
# PROFILE=debug uses the dev build (the workspace's dependencies and the
# kit crate are optimised there too) instead of building a release.
#
# Needs: dbus-daemon (dbus-run-session), gnome-keyring, libsecret-tools,
# hyperfine. Everything runs in private HOME/XDG trees and a private D-Bus
# session, and is stopped at the end.
set -euo pipefail
bash "$(dirname "$0")/../scripts/deps-debian" bench
RUNS=${1:-50}
FORMAT=${2:-pdf}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then
    cargo build --release -q -p idp-cli -p idp-agent -p idp-kit --manifest-path "$ROOT/Cargo.toml"
else
    cargo build -q -p idp-cli -p idp-agent -p idp-kit --manifest-path "$ROOT/Cargo.toml"
fi
export BIN=$TARGET/$PROFILE RUNS FORMAT ROOT
W=$(mktemp -d /tmp/idp-bench-kit.XXXXXX)
export W
trap 'rm -rf "$W"' EXIT

# The session's own services (and any the bus would activate) see only
# private folders.
mkdir -m 700 "$W/krun"
HOME=$W XDG_RUNTIME_DIR=$W/krun XDG_DATA_HOME=$W/kdata dbus-run-session -- bash -c '
    set -euo pipefail
    echo -n keyring-password |
        gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null &
    GKD=$!
    trap "kill $GKD 2>/dev/null || true" EXIT
    # Wait for its name without a call that would activate another one.
    for _ in $(seq 100); do
        dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets |
            grep -q "boolean true" && break
        sleep 0.05
    done
    /usr/bin/python3 "$ROOT/bench/kit-to-cache.py" "$BIN" "$W" "$RUNS" "$FORMAT"
'
