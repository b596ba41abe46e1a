#!/usr/bin/env bash
# test-runner-ladder.sh: `viperbench run` on the whole ladder (host,
# direct, nbd-unix, nbd-tcp, qemu-nbd) with a short RUNTIME/SIZE on the
# memory plugin, and the record checked against fio's own JSON: IOPS,
# bandwidth and percentiles per layer, ratio_to_host, the scenario text,
# versions, status; no server left running.  Then without standard
# input (as CI starts it) and with stdout and stderr closed: records as
# complete, every log the layers keep written.
# Run alone: tests/test-runner-ladder.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit qemu-nbd jq

write_stack "$TMPDIR/stack.json" \
    '["host", "direct", "nbd-unix", "nbd-tcp", "qemu-nbd"]'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/stack.json" \
    --runtime 2 --size 32M --desc "ladder test" >"$TMPDIR/out.txt" 2>&1 ||
    { cat "$TMPDIR/out.txt"; fail "viperbench run failed"; }
cat "$TMPDIR/out.txt"
rec=$TMPDIR/results/VM-1
[ -f "$rec/run.json" ] || fail "no VM-1/run.json"
j() { jq -r "$1" "$rec/run.json"; }

[ "$(j .schema)" = "viperbench.run/1" ] || fail "schema"
[ "$(j .id)" = VM-1 ] || fail "id"
[ "$(j .status)" = complete ] || fail "status $(j .status)"
[ "$(j .description)" = "ladder test" ] || fail "description"
[ "$(j .scenario.name)" = randrw_70_30 ] || fail "scenario name"
[ "$(j .scenario.text)" = "$(cat "$top/scenarios/randrw_70_30.fio")" ] ||
    fail "scenario text differs from the file"
[ "$(j '.targets | length')" = 5 ] || fail "not 5 targets"
[ "$(j '[.targets[].name] | join(",")')" = "host,direct,nbd-unix,nbd-tcp,qemu-nbd" ] ||
    fail "target order"
for k in fio nbdkit qemu viperbench; do
    [ "$(j ".versions.$k")" != null ] || fail "versions.$k missing"
done
[ "$(j .host.cores)" -ge 1 ] || fail "host.cores"
[ "$(j .started)" != null ] && [ "$(j .finished)" != null ] || fail "times"

host_r=$(json_get "$rec/host/fio.json" '.jobs[0].read.iops')
for t in host direct nbd-unix nbd-tcp qemu-nbd; do
    f=$rec/$t/fio.json
    [ -f "$rec/$t/job.fio" ] || fail "$t: no job.fio"
    ls "$rec/$t"/hist_clat_hist.*.log >/dev/null 2>&1 || fail "$t: no histogram log"
    # The record's figures are fio's (group_reporting: one job entry).
    for d in read write; do
        a=$(j ".targets[] | select(.name==\"$t\") | .$d.iops")
        b=$(json_get "$f" ".jobs[0].$d.iops")
        [ "$a" = "$b" ] || fail "$t $d iops: record $a, fio $b"
        a=$(j ".targets[] | select(.name==\"$t\") | .$d.bw_bytes")
        b=$(json_get "$f" ".jobs[0].$d.bw_bytes")
        [ "$a" = "$b" ] || fail "$t $d bw: record $a, fio $b"
        a=$(j ".targets[] | select(.name==\"$t\") | .$d.lat_ns.p99")
        b=$(json_get "$f" ".jobs[0].$d.lat_ns.percentile[\"99.000000\"]")
        [ "$a" = "$b" ] || fail "$t $d p99: record $a, fio $b"
        awk -v a="$a" 'BEGIN { exit !(a > 0) }' || fail "$t $d p99 is $a"
    done
    r=$(j ".targets[] | select(.name==\"$t\") | .read.ratio_to_host")
    want=$(json_get "$f" ".jobs[0].read.iops / $host_r")
    awk -v a="$r" -v b="$want" 'BEGIN { exit !(a - b < 1e-9 && b - a < 1e-9) }' ||
        fail "$t ratio_to_host $r, expected $want"
done
grep -q "^qemu-nbd .*slower\|^qemu-nbd .*faster\|^qemu-nbd .*as fast" "$TMPDIR/out.txt" ||
    fail "no ladder table"
no_orphans "$TMPDIR"
echo "ladder: ok"

# Closed standard streams: files the runner opens must not take their
# numbers (a log pump's pipe dup'ed over one lost fio's stderr).
write_stack "$TMPDIR/short.json" '["host", "nbd-unix"]'
for how in stdin out+err; do
    case $how in
    stdin) run_bench --scenario randrw_70_30 --stack "$TMPDIR/short.json" \
               --runtime 1 --size 16M --collect none --desc "$how" 0<&- \
               >"$TMPDIR/closed.txt" 2>&1 ;;
    out+err) run_bench --scenario randrw_70_30 --stack "$TMPDIR/short.json" \
               --runtime 1 --size 16M --collect none --desc "$how" >&- 2>&- ;;
    esac || { cat "$TMPDIR/closed.txt" 2>/dev/null; fail "a run with $how closed failed"; }
    r=$(ls -d "$TMPDIR"/results/VM-* | sort -V | tail -1)
    [ "$(jq -r .description "$r/run.json")" = "$how" ] &&
        [ "$(jq -r .status "$r/run.json")" = complete ] || fail "$how closed: $(jq -r .status "$r/run.json")"
    for t in host nbd-unix; do
        [ -f "$r/$t/fio.stderr" ] && [ -s "$r/$t/fio.json" ] || fail "$how closed: $t kept no fio output"
    done
    [ -f "$r/nbd-unix/nbdkit.log" ] || fail "$how closed: no nbdkit.log"
done
no_orphans "$TMPDIR"
echo "closed standard streams: ok"
