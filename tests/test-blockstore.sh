#!/usr/bin/env bash
# test-blockstore.sh: the reference block store (plugins/blockstore) on
# the reference object store (nginx), both real.
# - verify=crc32c with mixed block sizes passes in nbdkit over NBD
#   (nbd-unix) and in-process (direct), through the runner, with the pool
#   and with none, HTTPS and HTTP, HTTP/1.1 and HTTP/2, TCP and a Unix
#   socket, whole-object caching and range reads, connections the store
#   closes after 50 requests.
# - Data written survives a restart of the plugin (the objects are in
#   the store); the same check against an empty store fails, so it can.
# - A store that refuses connections, or hangs, gives an error naming
#   the request within the request timeout; one that vanishes the same.
# Run alone: tests/test-blockstore.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit nginx openssl jq qemu-io

[ -r "$BLOCKSTORE" ] || fail "no $BLOCKSTORE: make builds it"
mkdir -p "$TMPDIR/scen"

# A scenario of random writes of mixed sizes, each read back and checked.
cat >"$TMPDIR/scen/verify.fio" <<'EOS'
[global]
rw=randwrite
bssplit=4k/40:8k/20:16k/15:48k/15:128k/10
verify=crc32c
verify_fatal=1
size=12M
iodepth=16
[verify]
EOS

# 1. Through the runner: in-process and over NBD, in several settings.
check_verify() {   # NAME PLUGIN-ARGS OBJSTORE
    write_objstore_stack "$TMPDIR/$1.json" '["direct", "nbd-unix"]' "$2" "$3"
    run_bench --scenario verify --scenarios "$TMPDIR/scen" \
        --stack "$TMPDIR/$1.json" --collect none --no-report \
        >"$TMPDIR/$1.out" 2>&1 ||
        { cat "$TMPDIR/$1.out"; fail "verify ($1: $2 / $3) failed"; }
    rec=$(sed -n 's|^record: \(.*\)/run.json$|\1|p' "$TMPDIR/$1.out")
    [ "$(jq -r .status "$rec/run.json")" = complete ] || fail "$1: record not complete"
    for l in direct nbd-unix; do
        w=$(jq -r '.jobs[0].write.total_ios' "$rec/$l/fio.json")
        r=$(jq -r '.jobs[0].read.total_ios' "$rec/$l/fio.json")
        [ "$w" -gt 100 ] && [ "$r" -eq "$w" ] ||
            fail "$1/$l: $w writes, $r verifying reads"
    done
    echo "ok: verify $1"
}
check_verify pooled '"pool": 8' ''
check_verify nopool-h2 '"pool": 0, "http": "2"' '"http2": true'
check_verify http-unix-range '"cache-size": 0, "unix-socket": "${nginx.socket}"' '"tls": false, "listen": "unix"'
check_verify h2-small '"object-size": "4K", "http": "2", "pool": 2, "unix-socket": "${nginx.socket}"' '"http2": true, "listen": "unix", "keepalive_requests": 50'

# 2. Survives a restart: write with one nbdkit, check with another.
write_objstore_stack "$TMPDIR/s.json" '["nbd-unix"]' '"pool": 4'
cat >"$TMPDIR/restart.sh" <<'EOS'
# restart.sh PLUGIN ARGS...: writes with one nbdkit, checks with a new one.
set -e
p=$1; shift
job="--name=r --ioengine=nbd --rw=randwrite --bssplit=4k/50:64k/50 --size=8M --iodepth=8 --verify=crc32c"
nbdkit -U - "$p" "$@" --run "fio $job --do_verify=0 --uri=\"\$uri\" --output=w.out"
nbdkit -U - "$p" "$@" --run "fio $job --verify_only=1 --uri=\"\$uri\" --output=v.out"
EOS
(cd "$TMPDIR" && timeout 120 "$VIPERBENCH" services --stack "$TMPDIR/s.json" -- \
    bash "$TMPDIR/restart.sh" "$BLOCKSTORE" '${plugin_args}') \
    >"$TMPDIR/restart.out" 2>&1 || { cat "$TMPDIR/restart.out"; fail "data did not survive a restart of the plugin"; }
grep -q 'err= 0' "$TMPDIR/v.out" || fail "no verifying pass in $TMPDIR/v.out"
echo "ok: data survives a restart of the plugin"

# The check itself can fail: only the second half, on a new, empty store.
cat >"$TMPDIR/verify-only.sh" <<'EOS'
p=$1; shift
nbdkit -U - "$p" "$@" --run "fio --name=r --ioengine=nbd --rw=randwrite --bssplit=4k/50:64k/50 --size=8M --iodepth=8 --verify=crc32c --verify_only=1 --uri=\"\$uri\""
EOS
if (cd "$TMPDIR" && timeout 120 "$VIPERBENCH" services --stack "$TMPDIR/s.json" -- \
        bash "$TMPDIR/verify-only.sh" "$BLOCKSTORE" '${plugin_args}') >"$TMPDIR/empty.out" 2>&1; then
    fail "verify_only passed on an empty store: the restart check proves nothing"
fi
grep -q 'verify' "$TMPDIR/empty.out" || { cat "$TMPDIR/empty.out"; fail "no verify failure on an empty store"; }
echo "ok: the same check fails on an empty store"

# 3. A store that refuses: nothing listens on the port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s)
if nbdkit -U - "$BLOCKSTORE" url=http://127.0.0.1:$port/vol size=16M timeout=3 \
        --run 'qemu-io -f raw -c "read 0 4k" "$uri"' >"$TMPDIR/refused.out" 2>&1; then
    fail "a read from a store that refuses succeeded"
fi
grep -q "blockstore: GET http://127.0.0.1:$port/vol/0000000000000000: .*" "$TMPDIR/refused.out" ||
    { cat "$TMPDIR/refused.out"; fail "no error naming the request when the store refuses"; }
[ $(( $(date +%s) - start )) -le 10 ] || fail "a refusing store took more than 10 s to fail"
echo "ok: a refusing store: $(grep -m1 'blockstore: GET' "$TMPDIR/refused.out")"

# 4. A store that hangs (SIGSTOP), then one that vanishes (SIGKILL): the
# read fails within timeout=3, naming the request.
cat >"$TMPDIR/gone.sh" <<'EOS'
# gone.sh NGINX-PID PLUGIN ARGS...
pid=$1 p=$2; shift 2
nbdkit -U - "$p" "$@" timeout=3 --run '
  qemu-io -f raw -c "write 0 4k" "$uri" || exit 10
  /bin/kill -s STOP -- -'"$pid"'
  s=$(date +%s)
  qemu-io -f raw -c "read 1M 4k" "$uri" | grep -q "read 4096/4096" && exit 11
  echo "hung store failed after $(( $(date +%s) - s )) s"
  /bin/kill -s KILL -- -'"$pid"'; /bin/kill -s CONT -- -'"$pid"' 2>/dev/null
  s=$(date +%s)
  qemu-io -f raw -c "read 2M 4k" "$uri" | grep -q "read 4096/4096" && exit 12
  echo "vanished store failed after $(( $(date +%s) - s )) s"'
EOS
(cd "$TMPDIR" && timeout 120 "$VIPERBENCH" services --stack "$TMPDIR/s.json" -- \
    bash "$TMPDIR/gone.sh" '${nginx.pid}' "$BLOCKSTORE" '${plugin_args}') >"$TMPDIR/gone.out" 2>&1
rc=$?
cat "$TMPDIR/gone.out"
# The command passed; the store it killed makes the exit 1.
[ $rc -eq 1 ] || fail "hung/vanished store: exit $rc (1: the service died)"
h=$(sed -n 's/^hung store failed after \([0-9]*\) s$/\1/p' "$TMPDIR/gone.out")
v=$(sed -n 's/^vanished store failed after \([0-9]*\) s$/\1/p' "$TMPDIR/gone.out")
[ -n "$h" ] && [ "$h" -ge 2 ] && [ "$h" -le 6 ] || fail "a hung store failed after '$h' s (timeout=3)"
[ -n "$v" ] && [ "$v" -le 6 ] || fail "a vanished store failed after '$v' s"
grep -q 'blockstore: GET https://127.0.0.1:[0-9]*/vol/0000000000000040: .*[Tt]imeout\|timed out' "$TMPDIR/gone.out" ||
    fail "the hung store's error does not name the request and the timeout"
grep -q 'service nginx (nginx): .*killed by signal 9' "$TMPDIR/gone.out" ||
    fail "viperbench services did not say the store died"
no_orphans nginx
echo "ok: a hung store fails in ${h} s, a vanished one in ${v} s"
