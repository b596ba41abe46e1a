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
