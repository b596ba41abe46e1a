#!/usr/bin/env bash
# test-fio-errors.sh: each bad target makes the viper job fail with one
# line naming the cause, a non-zero exit, in bounded time, and no process
# left behind: bad URI, unknown scheme, missing socket, refused TCP
# connection, missing plugin, plugin config error, missing uri=, an
# unknown engine option, engine options out of range (fio itself reports
# those and runs the job anyway), a read-only export written to.
# Run alone: tests/test-fio-errors.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit

# expect_fail MSG FIO-ARGS...: fio fails within 30 s, and exactly one
# "fio: viper:" line (or fio's own option error) contains MSG.
expect_fail() {
    local msg=$1; shift
    local out=$TMPDIR/out.txt rc
    FIO_TIMEOUT=30 run_fio --name=t --rw=randrw --size=1M "$@" >"$out" 2>&1
    rc=$?
    [ $rc -ne 0 ] || fail "fio succeeded: $*"
    [ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "fio hung: $*"
    grep -qF -- "$msg" "$out" || { cat "$out"; fail "no '$msg' for: $*"; }
    n=$(grep -c '^fio: viper:' "$out")
    [ "$n" -le 1 ] || { cat "$out"; fail "$n viper error lines for: $*"; }
    echo "ok: $* -> $(grep -F -- "$msg" "$out" | head -1)"
}

expect_fail "unknown scheme in 'http://x'" --uri=http://x
expect_fail "needs ?socket=PATH" --uri=nbd+unix:///
expect_fail "port 'abc' is not a number" --uri=nbd://127.0.0.1:abc
expect_fail "$TMPDIR/none.sock: connection 0" --uri="nbd+unix:///?socket=$TMPDIR/none.sock"
expect_fail "Connection refused" --uri=nbd://127.0.0.1:1
expect_fail "nbdkit-nosuch-plugin.so: No such file" --uri=plugin:nosuch
expect_fail "config 'size': could not parse size string (abc)" --uri='plugin:memory?size=abc'
expect_fail "plugin memory: config 'bogus'" --uri='plugin:memory?bogus=1'
expect_fail "uri= is required" --conns=2
expect_fail "unrecognized option '--bogus=1'" --uri=plugin:memory?size=1M --bogus=1
expect_fail "conns=0: expected 1 to 64" --uri=plugin:memory?size=1M --conns=0
expect_fail "conns=-1: expected 1 to 64" --uri=plugin:memory?size=1M --conns=-1
expect_fail "conns=65: expected 1 to 64" --uri=plugin:memory?size=1M --conns=65
expect_fail "request_timeout=-1: expected 0 to 3600000" --uri=plugin:memory?size=1M --request_timeout=-1
expect_fail "workers=-2: expected 0 to 1024" --uri=plugin:memory?size=1M --workers=-2

start_nbdkit ro -r memory 1M
expect_fail "read-only but the job writes" --uri="$NBD_URI"

# Nothing of ours is left running.
sleep 0.2
if own_pgrep -f "external:$ENGINE" >/dev/null; then
    own_pgrep -af "external:$ENGINE" >&2
    fail "fio processes left behind"
fi
