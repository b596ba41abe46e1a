#!/usr/bin/env bash
# test-runner-bad-input.sh: each kind of bad input to `viperbench run`
# gives a clear message naming the file, line, key or tool, exit 2, and
# no VM-N record: unknown scenario, malformed scenario, a scenario that
# sets the engine, malformed stack JSON, unknown key, bad value, unknown
# layer, a plugin that fails to load, a server that never becomes ready,
# a port in use, a missing tool, a bad option.
# Run alone: tests/test-runner-bad-input.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit

# expect_bad MSG ARGS...: exit 2, MSG in the output, no record.
expect_bad() {
    local msg=$1 rc; shift
    run_bench "$@" >"$TMPDIR/out.txt" 2>&1
    rc=$?
    [ $rc -eq 2 ] || { cat "$TMPDIR/out.txt"; fail "exit $rc, not 2: $*"; }
    grep -qF -- "$msg" "$TMPDIR/out.txt" ||
        { cat "$TMPDIR/out.txt"; fail "no '$msg' for: $*"; }
    if ls "$TMPDIR/results" 2>/dev/null | grep -q .; then
        fail "a record was created for: $*"
    fi
    echo "ok: $(grep -F -- "$msg" "$TMPDIR/out.txt" | head -1)"
}

good=$TMPDIR/good.json
write_stack "$good" '["direct", "nbd-unix"]'

expect_bad "unknown scenario 'nosuch'" --scenario nosuch --stack "$good"
expect_bad "no scenario" --stack "$good"

printf '[global]\nbs=4k\n[broken\n' >"$TMPDIR/bad1.fio"
expect_bad "bad1.fio:3: malformed section header" --scenario "$TMPDIR/bad1.fio" --stack "$good"
printf '[global]\nioengine=libaio\n[j]\n' >"$TMPDIR/bad2.fio"
expect_bad "bad2.fio:2: 'ioengine' is set by the runner" --scenario "$TMPDIR/bad2.fio" --stack "$good"
printf 'bs=4k\n' >"$TMPDIR/bad3.fio"
expect_bad "bad3.fio:1: option 'bs=4k' before any [section]" --scenario "$TMPDIR/bad3.fio" --stack "$good"

printf '{\n  "plugin": "memory",\n  "size": "1G"\n  "layers": []\n}\n' >"$TMPDIR/s1.json"
expect_bad "s1.json:4: malformed JSON" --scenario lat1 --stack "$TMPDIR/s1.json"
write_stack "$TMPDIR/s2.json" '["direct"]' '"colour": "blue"'
expect_bad "s2.json:9: key 'colour': unknown key" --scenario lat1 --stack "$TMPDIR/s2.json"
write_stack "$TMPDIR/s3.json" '["direct", "warp-drive"]'
expect_bad "key 'layers': unknown layer 'warp-drive'" --scenario lat1 --stack "$TMPDIR/s3.json"
write_stack "$TMPDIR/s4.json" '["direct"]' '"qemu": { "shared": 0 }'
expect_bad "key 'shared': expected a whole number from 1 to 1024" --scenario lat1 --stack "$TMPDIR/s4.json"
write_stack "$TMPDIR/s5.json" '["direct"]' '"engine": { "conns": 2 }'
expect_bad "key 'engine': duplicate key" --scenario lat1 --stack "$TMPDIR/s5.json"
expect_bad "stack $TMPDIR/none.json: No such file" --scenario lat1 --stack "$TMPDIR/none.json"

# The plugin fails to load: a missing plugin, a bad argument.
sed 's/"plugin": "memory"/"plugin": "nosuchplugin"/' "$good" >"$TMPDIR/p1.json"
expect_bad "plugin 'nosuchplugin' failed to load" --scenario lat1 --stack "$TMPDIR/p1.json"
sed 's/"size": "\${size}"/"size": "lots"/' "$good" >"$TMPDIR/p2.json"
expect_bad "could not parse size string (lots)" --scenario lat1 --stack "$TMPDIR/p2.json"

# A server that never becomes ready: get_ready sleeps past the bound.
cat >"$TMPDIR/slow.sh" <<'EOS'
#!/bin/sh
case "$1" in
get_ready) sleep 30 ;;
get_size) echo 1048576 ;;
*) exit 2 ;;
esac
EOS
chmod +x "$TMPDIR/slow.sh"
cat >"$TMPDIR/slow.json" <<EOS
{ "plugin": "sh", "plugin_args": { "script": "$TMPDIR/slow.sh" },
  "dir": "$TMPDIR/data", "size": "16M", "ready_timeout_s": 2,
  "layers": ["nbd-unix"] }
EOS
start=$(date +%s)
expect_bad "did not become ready within 2 s" --scenario lat1 --size 8M --stack "$TMPDIR/slow.json"
[ $(( $(date +%s) - start )) -lt 20 ] || fail "the bounded wait took too long"
no_orphans "$TMPDIR/slow.sh"

# Ctrl-C while the plugin is being probed: interrupted (130), not bad
# input, no record, nothing left running.
sed 's/"ready_timeout_s": 2/"ready_timeout_s": 60/' "$TMPDIR/slow.json" >"$TMPDIR/slow60.json"
(cd "$top" && exec "$VIPERBENCH" run --results "$TMPDIR/results" --scenario lat1 \
    --size 8M --stack "$TMPDIR/slow60.json" >"$TMPDIR/probe-int.txt" 2>&1) &
rpid=$!
for _ in $(seq 100); do
    own_pgrep -f "$TMPDIR/slow.sh get_ready" >/dev/null && break
    sleep 0.1
done
kill -INT "$rpid"
wait "$rpid"
rc=$?
[ $rc -eq 130 ] || { cat "$TMPDIR/probe-int.txt"; fail "Ctrl-C during the probe: exit $rc, not 130"; }
ls "$TMPDIR/results" 2>/dev/null | grep -q VM- && fail "Ctrl-C during the probe: a record was claimed"
no_orphans "$TMPDIR/slow.sh"
echo "ok: Ctrl-C during the plugin probe: exit 130, no record, nothing left"

# A port in use.
start_nbdkit_tcp busy memory 1M
write_stack "$TMPDIR/port.json" '["nbd-tcp"]' "\"tcp_port\": $NBD_PORT"
expect_bad "tcp_port $NBD_PORT on 127.0.0.1 is in use" --scenario lat1 --stack "$TMPDIR/port.json"

# A missing tool: a PATH with fio and nbdkit but no qemu-nbd.
mkdir "$TMPDIR/bin"
for p in fio nbdkit git; do ln -s "$(command -v $p)" "$TMPDIR/bin/$p"; done
write_stack "$TMPDIR/q.json" '["qemu-nbd"]'
BENCH_PATH=$TMPDIR/bin expect_bad "needs 'qemu-nbd', which is not installed (Debian package qemu-utils" \
    --scenario lat1 --stack "$TMPDIR/q.json"

expect_bad "unknown option '--bogus'" --scenario lat1 --stack "$good" --bogus
expect_bad "--runtime 'abc'" --scenario lat1 --stack "$good" --runtime abc
