#!/usr/bin/env bash
# test-fio-thread-model.sh: the in-process transport honours a plugin's
# thread model as nbdkit does.  nbdkit's sh plugin runs a script that
# fails a read when another read is running at the same moment (a lock
# directory); 4 jobs (4 "connections") read with continue_on_error.
# Serializing models must see no overlap; parallel and serialize_requests
# (which serializes per connection only) must see some.
# Run alone: tests/test-fio-thread-model.sh
. "$(dirname "$0")/functions.sh"
requires jq

script=$TMPDIR/probe.sh
cat >"$script" <<'EOS'
#!/bin/sh
case "$1" in
get_size) echo 1048576 ;;
thread_model) echo "$VIPER_TEST_MODEL" ;;
pread)
    mkdir "$VIPER_TEST_LOCK" 2>/dev/null || { echo "EIO overlapping call" >&2; exit 1; }
    sleep 0.02
    rmdir "$VIPER_TEST_LOCK"
    head -c "$3" /dev/zero ;;
*) exit 2 ;;
esac
EOS
chmod +x "$script"

# overlaps MODEL [FIO-ARGS]: how many reads failed because another was
# running (4 jobs by default).
overlaps() {
    local out=$TMPDIR/$1.json m=$1
    shift
    VIPER_TEST_MODEL=$m VIPER_TEST_LOCK=$TMPDIR/lock \
    run_fio --uri="plugin:sh?script=$script" --name=t --rw=randread \
        --bs=4k --size=1M --numjobs=4 --number_ios=15 "$@" \
        --continue_on_error=all --group_reporting \
        --output-format=json --output="$out" 2>"$TMPDIR/$m.err" ||
        fail "$m: fio failed: $(cat "$TMPDIR/$m.err")"
    json_get "$out" '.jobs[0].total_err'
}

for m in serialize_all_requests serialize_connections; do
    n=$(overlaps $m)
    [ "$n" -eq 0 ] || fail "$m: $n overlapping calls"
    r=$(json_get "$TMPDIR/$m.json" '.jobs[0].read.total_ios')
    [ "$r" -eq 60 ] || fail "$m: $r reads, not 60"
    echo "$m: no overlap in $r reads"
done
for m in parallel serialize_requests; do
    n=$(overlaps $m)
    [ "$n" -gt 0 ] || fail "$m: calls never overlapped (test has no power)"
    echo "$m: $n overlapping calls, as allowed"
done
# One job (one connection) with 4 workers: serialize_requests now
# serializes, parallel still overlaps.
n=$(overlaps serialize_requests --numjobs=1 --iodepth=8 --workers=4)
[ "$n" -eq 0 ] || fail "serialize_requests, workers=4: $n overlapping calls"
echo "serialize_requests, 1 job x 4 workers: no overlap"
n=$(overlaps parallel --numjobs=1 --iodepth=8 --workers=4)
[ "$n" -gt 0 ] || fail "parallel, workers=4: calls never overlapped"
echo "parallel, 1 job x 4 workers: $n overlapping calls"
grep -q "plugin sh: error: .*overlapping call" "$TMPDIR/parallel.err" ||
    fail "the plugin's nbdkit_error text did not reach the user"
