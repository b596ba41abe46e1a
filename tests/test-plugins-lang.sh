#!/usr/bin/env bash
# test-plugins-lang.sh: plugins this project did not write, in other
# languages, on the layers that load a plugin: direct (in-process),
# nbd-unix (nbdkit) and qemu-nbd.  A Go plugin (tests/goplug, cgo against
# Debian's nbdkit-plugin.h, built here with Debian's golang-go) must pass
# 10 runs of 10: the Go runtime does not survive a fork, so neither the
# runner's plugin check nor any layer may serve it from a forked nbdkit.
# A Python plugin (nbdkit-plugin-python) and a shell one (nbdkit's sh
# plugin) run the same ladder once; both serialize all requests, which
# the record's thread model must say; the sh plugin's CPU per I/O must
# include the shells nbdkit forks.
# Run alone: tests/test-plugins-lang.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit qemu-nbd jq go

# ladder NAME PLUGIN PLUGIN-ARGS-JSON LAYERS-JSON [COLLECT]: one run,
# checked; prints the record's directory.
ladder() {
    local name=$1 rec
    cat >"$TMPDIR/$name.json" <<EOS
{ "name": "$name", "dir": "$TMPDIR/data", "size": "16M",
  "plugin": "$2", "plugin_args": $3,
  "nbdkit": { "threads": 4 }, "engine": { "request_timeout_ms": 20000 },
  "layers": $4 }
EOS
    run_bench --scenario randrw_70_30 --stack "$TMPDIR/$name.json" \
        --runtime 1 --size 16M --collect "${5:-none}" --no-report \
        >"$TMPDIR/$name.out" 2>&1 ||
        { cat "$TMPDIR/$name.out" >&2; fail "$name: viperbench run failed"; }
    rec=$(sed -n 's|^record: \(.*\)/run.json$|\1|p' "$TMPDIR/$name.out")
    [ -f "$rec/run.json" ] || fail "$name: no record"
    [ "$(jq -r .status "$rec/run.json")" = complete ] || fail "$name: status"
    for t in $(jq -r '.[]' <<<"$4"); do
        iops=$(jq -r ".targets[] | select(.name==\"$t\") | .read.iops + .write.iops" \
            "$rec/run.json")
        awk -v v="$iops" 'BEGIN { exit !(v > 0) }' || fail "$name: $t did no I/O"
    done
    echo "$rec"
}

# Go: built from tests/goplug with Debian's toolchain, offline.
export GOCACHE=$TMPDIR/gocache GOPATH=$TMPDIR/gopath GOFLAGS=-mod=mod \
    GOTOOLCHAIN=local GOPROXY=off
(cd "$top/tests/goplug" && go build -buildmode=c-shared \
    -o "$TMPDIR/goplug.so" .) >"$TMPDIR/go.log" 2>&1 ||
    { cat "$TMPDIR/go.log"; fail "go build of tests/goplug"; }
ok=0
for i in $(seq 10); do
    ladder "go$i" "$TMPDIR/goplug.so" '{ "size": "16777216" }' \
        '["direct", "nbd-unix", "qemu-nbd"]' >/dev/null
    ok=$((ok + 1))
done
echo "Go plugin: $ok of 10 runs complete on direct, nbd-unix, qemu-nbd"
no_orphans goplug.so

# Python (tests/pyplug): nbdkit's python plugin is serialize_all_requests.
if [ -f /usr/lib/x86_64-linux-gnu/nbdkit/plugins/nbdkit-python-plugin.so ]; then
    rec=$(ladder py python "{ \"script\": \"$top/tests/pyplug/disk.py\", \"size\": \"16777216\" }" \
        '["direct", "nbd-unix", "qemu-nbd"]')
    m=$(jq -r .stack.thread_model.plugin "$rec/run.json")
    [ "$m" = serialize_all_requests ] || fail "python: thread model $m"
    echo "Python plugin: complete on direct, nbd-unix, qemu-nbd ($m)"
else
    echo "Python plugin: not run (nbdkit-plugin-python is not installed)"
fi

# Shell: nbdkit's sh plugin forks a shell per request.
cat >"$TMPDIR/disk.sh" <<'EOS'
#!/bin/sh
case "$1" in
get_size) echo 16777216 ;;
pread) head -c "$3" /dev/zero ;;
pwrite) cat >/dev/null ;;
can_write) exit 0 ;;
*) exit 2 ;;
esac
EOS
chmod +x "$TMPDIR/disk.sh"
rec=$(ladder sh sh "{ \"script\": \"$TMPDIR/disk.sh\" }" \
    '["direct", "nbd-unix", "qemu-nbd"]' cpu)
m=$(jq -r .stack.thread_model.plugin "$rec/run.json")
[ "$m" = serialize_all_requests ] || fail "sh: thread model $m"
echo "sh plugin: complete on direct, nbd-unix, qemu-nbd ($m)"
# nbdkit's CPU per I/O includes the shells it forks and reaps: a fork
# and exec of sh and head is well over 300 us of CPU, nbdkit's own part
# (as billed before children counted) about 200 us.
c=$(jq -r '.targets[] | select(.name=="nbd-unix") | .collectors.cpu.processes[] |
    select(.role=="nbdkit") | .cpu_us_per_io' "$rec/run.json")
awk -v c="$c" 'BEGIN { exit !(c >= 600) }' ||
    fail "sh: nbdkit's CPU per I/O $c us leaves out its children"
echo "sh plugin: nbdkit $c us of CPU per I/O, its children included"
no_orphans nbdkit
