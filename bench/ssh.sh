#!/usr/bin/env bash
# A signature through idp's SSH agent against the same through OpenSSH's
# own ssh-agent holding the same key, side by side (issue 14, part 5).
#
#   bench/ssh.sh [RUNS]        (default 300 per command)
#
# For each key type (Ed25519, RSA-3072) hyperfine times, interleaved in one
# run: `ssh-keygen -Y sign` through idp's socket, through ssh-agent's, and
# straight from the key file (no agent: the floor). Then the first
# signature after an unlock against later ones: the KDF runs in `unlock`,
# never in a signature.
#
# Installs what it needs (hyperfine, openssh-client: scripts/deps-debian
# bench). Everything runs in a private HOME/XDG tree and is stopped at the
# end.
set -euo pipefail
RUNS=${1:-300}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/deps-debian" bench
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
cd "$ROOT"
cargo build --release -q --locked -p idp-agent -p idp-cli

. "$ROOT/bench/lib.sh"
bench_workdir idp-ssh-bench
BIN=$W/bin
mkdir "$BIN"
install -m 755 "$TARGET/release/idp" "$TARGET/release/idp-agent" "$BIN/"
private_session
printf '[ssh_agent]\nserve = true\n\n[key_cache]\nbackend = "none"\n' >"$XDG_CONFIG_HOME/idp/config.toml"

# The default KDF cost, so that a KDF in the signing path would show.
KEY=$(echo bench-password | "$BIN/idp" init --password-stdin | grep -E '^ *[0-9A-Z]{6}(-[0-9A-Z]{6}){5} *$' | tr -d ' ')
AGENT=$("$BIN/idp" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["agent"]["pid"])')
PIDS+=("$AGENT")
IDP_SOCK=$XDG_RUNTIME_DIR/idp/ssh.sock

eval "$(ssh-agent -s -a "$W/openssh.sock")" >/dev/null
PIDS+=("$SSH_AGENT_PID")
OPENSSH_SOCK=$W/openssh.sock
unset SSH_AUTH_SOCK

echo "signed message: 1 KiB; $RUNS runs per command; $(nproc) cores"
head -c 1024 /dev/urandom >"$W/msg"
for type in ed25519 rsa; do
    "$BIN/idp" ssh generate "bench-$type" --type "$type" >/dev/null
    "$BIN/idp" ssh public "bench-$type" >"$W/$type.pub"
    echo bench-password | "$BIN/idp" ssh export "bench-$type" --plaintext "$W/$type" --password-stdin >/dev/null
    SSH_AUTH_SOCK=$OPENSSH_SOCK ssh-add -q "$W/$type"
    # Both agents hold the key and sign with it.
    echo "bench $(cat "$W/$type.pub")" >"$W/allowed"
    for s in "$IDP_SOCK" "$OPENSSH_SOCK"; do
        rm -f "$W/msg.sig"
        SSH_AUTH_SOCK=$s ssh-keygen -q -Y sign -f "$W/$type.pub" -n file "$W/msg" </dev/null
        ssh-keygen -q -Y verify -f "$W/allowed" -I bench -n file -s "$W/msg.sig" <"$W/msg" >/dev/null
    done
    echo
    echo "== $type"
    hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$W/$type.json" \
        --prepare "rm -f $W/msg.sig" \
        "env SSH_AUTH_SOCK=$IDP_SOCK ssh-keygen -q -Y sign -f $W/$type.pub -n file $W/msg" \
        "env SSH_AUTH_SOCK=$OPENSSH_SOCK ssh-keygen -q -Y sign -f $W/$type.pub -n file $W/msg" \
        "env SSH_AUTH_SOCK=/nonexistent ssh-keygen -q -Y sign -f $W/$type -n file $W/msg" >/dev/null
    python3 "$ROOT/bench/medians.py" "$W/$type.json" | sed 's/first \/ second/idp \/ ssh-agent/; s/first \/ third/idp \/ key file/'
done

# The first signature after an unlock, against the ones after it.
echo
echo "== first signature after unlock (ed25519), 10 unlocks"
first=()
for _ in $(seq 10); do
    "$BIN/idp" lock >/dev/null
    printf 'bench-password\n%s\n' "$KEY" | "$BIN/idp" unlock --password-stdin --client-key-stdin >/dev/null
    rm -f "$W/msg.sig"
    t0=$(date +%s%N)
    SSH_AUTH_SOCK=$IDP_SOCK ssh-keygen -q -Y sign -f "$W/ed25519.pub" -n file "$W/msg"
    first+=($(( ($(date +%s%N) - t0) / 1000 )))
done
python3 - "${first[@]}" <<'PY'
import statistics, sys
t = sorted(int(x) / 1000 for x in sys.argv[1:])
print(f"  first sign after unlock: median {statistics.median(t):.2f} ms, range {t[0]:.2f}-{t[-1]:.2f} ms")
PY
"$BIN/idp" lock >/dev/null
t0=$(date +%s%N)
printf 'bench-password\n%s\n' "$KEY" | "$BIN/idp" unlock --password-stdin --client-key-stdin >/dev/null
echo "  for scale, one unlock (the KDF at the default cost): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
