#!/usr/bin/env bash
# test-fio-nbd.sh: Debian's fio drives nbdkit memory through the viper
# engine over a Unix socket and over TCP on 127.0.0.1, with conns=1 and
# conns=4, mixed block sizes over a region far larger than one request,
# and verify=crc32c.  A negative control proves verify is real: data
# changed behind fio's back must fail the verify pass.
# Run alone: tests/test-fio-nbd.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit qemu-io jq

# check_run LABEL URI CONNS: write+verify, then a randrw verify run.
check_run() {
    local label=$1 uri=$2 conns=$3 out=$TMPDIR/$1.json
    run_fio --uri="$uri" --conns="$conns" \
        --name=seq --rw=write --bssplit=4k/50:64k/30:512/10:256k/10 \
        --size=48M --iodepth=16 --verify=crc32c --do_verify=1 \
        --name=rand --stonewall --rw=randrw --bsrange=512-128k --size=48M \
        --offset=64M --iodepth=32 --verify=crc32c \
        --output-format=json+ --output="$out" ||
        fail "$label: fio failed: $(cat "$out" 2>/dev/null | head -20)"
    local err wrote read
    err=$(json_get "$out" '[.jobs[].error] | add')
    wrote=$(json_get "$out" '[.jobs[].write.io_bytes] | add')
    read=$(json_get "$out" '[.jobs[].read.io_bytes] | add')
    [ "$err" = 0 ] || fail "$label: job error $err"
    # Both jobs wrote all 48M each, and verify read it all back.
    [ "$wrote" -ge $((48 * 1024 * 1024)) ] || fail "$label: wrote only $wrote"
    [ "$read" -ge $((48 * 1024 * 1024)) ] || fail "$label: read only $read"
    echo "$label: ok (wrote $wrote, read $read)"
}

start_nbdkit mem memory 128M
check_run unix-1 "$NBD_URI" 1
check_run unix-4 "$NBD_URI" 4
unix_uri=$NBD_URI

start_nbdkit_tcp tcp memory 128M
check_run tcp-1 "$NBD_URI" 1
check_run tcp-4 "$NBD_URI" 4

# Trim: fio's trims reach nbdkit as NBD trims and complete without
# error, every one counted.
run_fio --uri="$unix_uri" --name=t --rw=randtrim --bs=64k --size=8M \
    --offset=96M --output-format=json --output="$TMPDIR/trim.json" ||
    fail "trim: $(head "$TMPDIR/trim.json")"
[ "$(json_get "$TMPDIR/trim.json" '.jobs[0].trim.total_ios')" -eq 128 ] ||
    fail "trim: not 128 trims"
echo "trim: ok"

# Negative control: write a verifiable pattern, corrupt 4k of it with
# qemu-io, and the verify-only pass must fail.
run_fio --uri="$unix_uri" --name=w --rw=write --bs=64k --size=8M \
    --verify=crc32c --do_verify=0 >/dev/null || fail "pattern write"
qemu-io -f raw -c "write -P 0xff $((3 * 65536 + 512)) 4096" "$unix_uri" >/dev/null ||
    fail "qemu-io corruption"
if run_fio --uri="$unix_uri" --name=w --rw=write --bs=64k --size=8M \
    --verify=crc32c --verify_only=1 >"$TMPDIR/neg.txt" 2>&1; then
    fail "verify passed on corrupted data"
fi
grep -q "crc32c: verify failed at file w.0.0 offset 196608" "$TMPDIR/neg.txt" || fail "no verify error reported"
echo "negative control: corruption detected"
