#!/usr/bin/env bash
# test-sweep.sh: `viperbench sweep` on real servers finds QEMU's cap.
# qdtest (1 job) at iodepth 4, 16 and 64 on nbd-unix and qemu-nbd over
# nbdkit -t 64 with a 1 ms delay on every request: both layers grow to
# 16, then qemu-nbd stops there (QEMU's NBD client) while nbd-unix goes
# on; the report puts the knee of qemu-nbd at 16 and names the plateau.
# The record is one SWEEP-N; compare refuses it, history skips it; bad
# depths exit 2 before any record is made.
# Run alone: tests/run.sh tests/test-sweep.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit qemu-nbd jq

sweep() {
    (cd "$top" && timeout -k 5 300 "$VIPERBENCH" sweep \
        --results "$TMPDIR/results" "$@")
}
write_stack "$TMPDIR/s.json" '["nbd-unix", "qemu-nbd"]' '' \
    '{ "threads": 64, "filters": ["delay"], "filter_args": { "rdelay": "1ms", "wdelay": "1ms" } }'

# Bad depths: exit 2, no record.
for d in "" "0,4" "4,2" "4,,8" "1,x" "4," "99999999999"; do
    sweep --scenario qdtest --stack "$TMPDIR/s.json" --depths "$d" \
        >"$TMPDIR/bad.txt" 2>&1 && fail "--depths '$d' accepted"
    [ $? = 2 ] || fail "--depths '$d': exit $?, not 2"
    grep -q "depth" "$TMPDIR/bad.txt" || fail "--depths '$d': $(cat "$TMPDIR/bad.txt")"
done
[ ! -e "$TMPDIR/results/SWEEP-1" ] || fail "a record was made for bad depths"

sweep --scenario qdtest --stack "$TMPDIR/s.json" --depths 4,16,64 \
    --runtime 2 --size 16M --collect none >"$TMPDIR/out.txt" 2>&1 ||
    { cat "$TMPDIR/out.txt"; fail "viperbench sweep failed"; }
cat "$TMPDIR/out.txt"
rec=$TMPDIR/results/SWEEP-1
j() { jq -r "$1" "$rec/run.json"; }
[ "$(j .kind)" = sweep ] || fail "kind $(j .kind)"
[ "$(j .status)" = complete ] || fail "status $(j .status)"
[ "$(j '[.targets[] | .points | length] | join(",")')" = "3,3" ] || fail "points"
[ "$(j '[.targets[0].points[].iodepth] | join(",")')" = "4,16,64" ] || fail "depths"
for t in nbd-unix qemu-nbd; do
    for d in 4 16 64; do
        [ -f "$rec/$t/qd$d/fio.json" ] || fail "$t qd$d: no fio.json"
        got=$(json_get "$rec/$t/qd$d/fio.json" '.jobs[0]["job options"].iodepth // ."global options".iodepth')
        [ "$got" = "$d" ] || fail "$t qd$d ran at iodepth $got"
    done
done
m() { j ".targets[] | select(.name==\"$1\") | .points[] | select(.iodepth==$2) | .boundaries[] | select(.name==\"nbdkit\") | .in_flight.max"; }
q=$(m qemu-nbd 64); u=$(m nbd-unix 64)
awk -v q="$q" 'BEGIN { exit !(q >= 12 && q <= 16) }' || fail "qemu-nbd at 64: nbdkit max $q, not QEMU's 16"
awk -v u="$u" 'BEGIN { exit !(u > 24) }' || fail "nbd-unix at 64: nbdkit max $u (the cap is QEMU's, not nbdkit's)"
sed -n '/^## qemu-nbd/,/^## /p' "$rec/report.md" >"$TMPDIR/q.md"
grep -q "Knee at iodepth 16" "$TMPDIR/q.md" || { cat "$TMPDIR/q.md"; fail "no knee at 16 for qemu-nbd"; }
grep -q "nbdkit stops growing at 1[2-6]\*\*.*QEMU's NBD" "$TMPDIR/q.md" ||
    { cat "$TMPDIR/q.md"; fail "QEMU's cap not named"; }
sed -n '/^## nbd-unix/,/^## /p' "$rec/report.md" | grep -q "stops growing at 16" &&
    fail "nbd-unix reported stuck at 16"
for c in iops inflight latency; do
    [ -s "$rec/charts/$c.png" ] || fail "no $c chart"
done

# Readers of runs do not take it for one.
"$VIPERBENCH" compare --results "$TMPDIR/results" SWEEP-1 SWEEP-1 >"$TMPDIR/c.txt" 2>&1 &&
    fail "compare took a sweep"
grep -q "sweep" "$TMPDIR/c.txt" || fail "compare: $(cat "$TMPDIR/c.txt")"
no_orphans nbdkit
no_orphans qemu-nbd
