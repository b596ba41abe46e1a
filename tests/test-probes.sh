#!/usr/bin/env bash
# test-probes.sh: the probes measure real servers, and the report's
# verdicts follow from what they measured.
#   - qemu-nbd layer, randrw_70_30 (4 jobs x 32): nbdkit's boundary sees
#     at most 16 in flight (one QEMU connection) while fio asks 128, and
#     the bottleneck verdict (record and report) names QEMU's NBD client; the nbd-unix layer of the same
#     stack (-t 64) sees more than 16, so the check can fail.
#   - nbdkit's delay filter (1 ms on reads and writes) below the outer
#     probe: the
#     probe's read p50 is at least 1 ms, fio's is not below it, and the
#     inner probe (below the delay) sees under 1 ms.
#   - direct ran without the stack's filters: the ladder draws no ratio
#     from it to nbd-unix and says why.
#   - the probes' counts agree with what fio did (within the requests in
#     flight at the window's edges), at nbdkit and in the engine.
#   - a stack whose nbdkit loads noparallel (serialize=requests): the
#     bottleneck verdict names the thread model and the filter that set
#     it (4 connections: capacity 4).
# Run alone: tests/run.sh tests/test-probes.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit qemu-nbd jq

write_stack "$TMPDIR/delay.json" '["direct", "nbd-unix", "qemu-nbd"]' '' \
    '{ "threads": 64, "filters": ["delay"], "filter_args": { "rdelay": "1ms", "wdelay": "1ms" } }'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/delay.json" --runtime 2 \
    --size 16M --collect none >"$TMPDIR/out.txt" 2>&1 ||
    { cat "$TMPDIR/out.txt"; fail "viperbench run failed"; }
rec=$TMPDIR/results/VM-1
j() { jq -r "$1" "$rec/run.json"; }
b() { j ".targets[] | select(.name==\"$1\") | .boundaries[] | select(.name==\"$2\") | $3"; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

[ "$(j '[.targets[] | .boundaries | length] | join(",")')" = "2,3,3" ] ||
    fail "boundaries per layer: $(j '[.targets[] | .boundaries | length] | join(",")')"
[ "$(b qemu-nbd fio .in_flight.requested)" = 128 ] || fail "fio's requested"

# QEMU's cap: one connection to nbdkit, at most 16 in flight on it.
q=$(b qemu-nbd nbdkit .in_flight.max)
ge 16 "$q" || fail "qemu-nbd: nbdkit saw $q in flight, more than QEMU's 16"
ge "$q" 8 || fail "qemu-nbd: nbdkit saw only $q in flight (the delay should fill 16)"
u=$(b nbd-unix nbdkit .in_flight.max)
ge "$u" 24 || fail "nbd-unix: nbdkit saw only $u in flight with -t 64 and 128 asked"
sed -n '/^## Bottlenecks and concurrency/,/^## /p' "$rec/report.md" >"$TMPDIR/conc.md"
# The verdict: QEMU's 16, named when the probe sees its slots busy, else
# "cannot decide" at that same stage (the slots are also held in
# qemu-nbd, where no probe is): never another stage, never null.
v=$(j '.targets[] | select(.name=="qemu-nbd") | .bottleneck |
    .kind + " " + .boundary + " " + (.capacity // 16 | tostring)')
case $v in
"capacity nbdkit 16"|"undecided nbdkit 16") ;;
*) fail "qemu-nbd verdict: $(j '.targets[] | select(.name=="qemu-nbd") | .bottleneck')" ;;
esac
grep -q "qemu-nbd\*\*: \*\*.*QEMU's NBD client (qemu-nbd): at most 16 requests" \
    "$TMPDIR/conc.md" || { cat "$TMPDIR/conc.md"; fail "the report does not name QEMU's NBD client"; }
grep -q "^Little\|Serialization check" "$rec/report.md" && fail "the old check is still there"

# Direct loads the plugin without the stack's filters: its record says
# so, and no ratio is drawn between it and nbd-unix (which ran delay).
[ "$(j '[.targets[] | .filters | length] | join(",")')" = "0,1,1" ] ||
    fail "filters per layer: $(j '[.targets[] | .filters] | tostring')"
grep -q '^| nbd-unix |.*| not like for like |' "$rec/report.md" ||
    fail "the ladder draws a ratio between direct and nbd-unix"
grep -q '^- nbd-unix: not like for like with direct, no ratio drawn: nbd-unix ran the plugin under nbdkit filters delay, direct under none' \
    "$rec/report.md" || fail "the report does not say why there is no ratio"
grep -q '^| qemu-nbd |.*x slower |' "$rec/report.md" ||
    fail "nbd-unix to qemu-nbd (same filters) lost its ratio"

# The delay sits below the outer probe and above the inner one.
for t in nbd-unix qemu-nbd; do
    o=$(b $t nbdkit .ops.read.p50_ns)
    i=$(b $t plugin .ops.read.p50_ns)
    f=$(b $t fio .ops.read.p50_ns)
    ge "$o" 1000000 || fail "$t: nbdkit read p50 $o ns, under the 1 ms delay"
    ge "$f" "$o" || fail "$t: fio's read p50 $f ns is below nbdkit's $o ns"
    ge 1000000 "$i" || fail "$t: the inner probe's read p50 $i ns includes the delay"
done

# Counts: what fio did reached nbdkit and the plugin (nbd-unix asks no
# block status, so reads are reads), give or take what was in flight.
for t in direct nbd-unix; do
    for bd in $(j ".targets[] | select(.name==\"$t\") | .boundaries[1:][] | .name"); do
        for d in read write; do
            f=$(b $t fio ".ops.$d.count")
            p=$(b $t "$bd" ".ops.$d.count")
            awk -v f="$f" -v p="$p" 'BEGIN { d = f - p; if (d < 0) d = -d; exit !(f > 0 && d <= 128) }' ||
                fail "$t/$bd $d: fio did $f, the probe counted $p"
        done
    done
done
# ...and the fio JSON the record holds says the same.
[ "$(b direct fio .ops.read.count)" = "$(json_get "$rec/direct/fio.json" '.jobs[0].read.total_ios')" ] ||
    fail "fio boundary count differs from fio.json"

# A serializing filter: noparallel serialize=requests, one request per
# connection; 4 jobs, 4 connections: at most 4 reach nbdkit, kept busy
# by the delay, and the verdict says which thread model did it.
write_stack "$TMPDIR/nopar.json" '["nbd-unix"]' '' \
    '{ "threads": 16, "filters": ["noparallel", "delay"], "filter_args": { "serialize": "requests", "rdelay": "1ms" } }'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/nopar.json" --runtime 2 \
    --size 16M --collect none >"$TMPDIR/out2.txt" 2>&1 ||
    { cat "$TMPDIR/out2.txt"; fail "viperbench run (noparallel) failed"; }
rec=$TMPDIR/results/VM-2
n=$(b nbd-unix nbdkit .in_flight.max)
ge 4 "$n" || fail "noparallel: nbdkit saw $n in flight over 4 connections"
[ "$(j .stack.thread_model.nbdkit)" = serialize_requests ] ||
    fail "thread model recorded as $(j .stack.thread_model.nbdkit)"
[ "$(j '.targets[0].bottleneck.capacity')" = 4 ] ||
    fail "noparallel verdict: $(j '.targets[0].bottleneck')"
grep -q "nbd-unix\*\*: \*\*bottleneck: nbdkit's thread model serialize\\\\_requests (set by filter noparallel): one request per connection x 4 connections" \
    "$rec/report.md" || { sed -n '/^## Bottlenecks/,/^## /p' "$rec/report.md"; fail "noparallel not named"; }

no_orphans nbdkit
no_orphans qemu-nbd
echo "probes: qemu-nbd nbdkit max $q, nbd-unix $u, noparallel $n"
