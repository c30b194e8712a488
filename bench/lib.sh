# Sourced by the bench scripts.

# bench_workdir NAME: a new folder $W (/tmp/NAME.XXXXXX), removed at exit
# after the processes whose pids the script adds to PIDS are stopped.
bench_workdir() {
    W=$(mktemp -d "/tmp/$1.XXXXXX")
    PIDS=()
    trap bench_cleanup EXIT
}

bench_cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$W"
}

# private_session: HOME and the XDG folders under $W, as a fresh user's
# session, so that nothing of the user running the bench is seen or touched.
private_session() {
    export HOME=$W/home XDG_RUNTIME_DIR=$W/run XDG_CONFIG_HOME=$W/config \
        XDG_DATA_HOME=$W/data XDG_STATE_HOME=$W/state
    mkdir -p "$HOME" "$XDG_CONFIG_HOME/idp" "$XDG_DATA_HOME" "$XDG_STATE_HOME"
    mkdir -m 700 "$XDG_RUNTIME_DIR"
}
