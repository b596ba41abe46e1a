#!/usr/bin/env bash
# test-fio-plugin.sh: the viper engine runs nbdkit's memory and file
# plugins in-process (plugin:NAME and plugin:/path/to/plugin.so), with
# verify=crc32c over mixed block sizes, and checks that every job of a
# fio process shares one plugin instance, as clients of one nbdkit do.
# Run alone: tests/test-fio-plugin.sh
. "$(dirname "$0")/functions.sh"
requires jq

plugindir=$(pkg-config --variable=plugindir nbdkit)

run_fio --uri='plugin:memory?size=256M' \
    --name=a --rw=randrw --bsrange=512-128k --size=64M --iodepth=16 \
    --numjobs=2 --offset_increment=64M --verify=crc32c \
    --output-format=json --output="$TMPDIR/mem.json" ||
    fail "memory: $(head -20 "$TMPDIR/mem.json")"
[ "$(json_get "$TMPDIR/mem.json" '[.jobs[].error] | add')" = 0 ] ||
    fail "memory: job error"
echo "memory plugin: ok"

# Served inline (iodepth 1, no workers), a request's service is its
# completion latency: the engine stamps fio's issue time before the work
# (fio's histogram logs, the runs over time, hold completion latency
# only).  A sleeping sh plugin makes the service time unmistakable.
cat >"$TMPDIR/slow.sh" <<'EOS'
#!/bin/sh
case "$1" in
get_size) echo 1048576 ;;
pread) sleep 0.01; head -c "$3" /dev/zero ;;
*) exit 2 ;;
esac
EOS
chmod +x "$TMPDIR/slow.sh"
run_fio --uri="plugin:sh?script=$TMPDIR/slow.sh" --name=i --rw=randread \
    --bs=4k --size=1M --number_ios=20 --iodepth=1 \
    --output-format=json --output="$TMPDIR/inline.json" ||
    fail "inline: $(head -20 "$TMPDIR/inline.json")"
c=$(json_get "$TMPDIR/inline.json" '.jobs[0].read.clat_ns.mean')
l=$(json_get "$TMPDIR/inline.json" '.jobs[0].read.lat_ns.mean')
awk -v c="$c" -v l="$l" 'BEGIN { exit !(l >= 10000000 && c >= 0.9 * l) }' ||
    fail "inline: completion latency $c ns of a total $l ns"
echo "inline service is completion latency: clat $c ns of lat $l ns"

truncate -s 128M "$TMPDIR/disk.img"
run_fio --uri="plugin:$plugindir/nbdkit-file-plugin.so?file=$TMPDIR/disk.img" \
    --name=f --rw=randwrite --bssplit=4k/60:16k/30:1m/10 --size=96M \
    --iodepth=8 --verify=crc32c --do_verify=1 --fsync=16 \
    --output-format=json --output="$TMPDIR/file.json" ||
    fail "file: $(head -20 "$TMPDIR/file.json")"
# fsync=16 reached the plugin as flushes: fio counts them.
syncs=$(json_get "$TMPDIR/file.json" '.jobs[0].sync.total_ios')
[ "$syncs" -gt 0 ] || fail "file: no flush issued (sync total_ios=$syncs)"
# The data really is in the file: bytes other than zero were written.
[ "$(od -An -tx1 -N 65536 "$TMPDIR/disk.img" | tr -d ' 0\n' | wc -c)" -gt 0 ] ||
    fail "file: disk.img is still zero"
echo "file plugin: ok ($syncs flushes)"

# One instance for all jobs: job w writes a pattern, job r (started after
# w by stonewall, in the same fio process) reads and verifies it.
run_fio --uri='plugin:memory?size=64M' \
    --name=w --rw=write --bs=64k --size=16M --verify=crc32c --do_verify=0 \
    --name=r --stonewall --rw=read --bs=64k --size=16M --verify=crc32c \
    --verify_only=1 --output-format=json --output="$TMPDIR/share.json" ||
    fail "shared instance: $(head -20 "$TMPDIR/share.json")"
[ "$(json_get "$TMPDIR/share.json" '[.jobs[].error] | add')" = 0 ] ||
    fail "shared instance: the second job did not see the first's data"
echo "shared instance: ok"
