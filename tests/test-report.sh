#!/usr/bin/env bash
# test-report.sh: `viperbench report` on real runs.
# - A run writes report.md (ladder, where the time goes at each measured
#   boundary, concurrency, CPU per I/O, profiles, charts) and SVG/PNG
#   charts beside it.
# - Percentiles from fio's bins, as the report computes them, agree with
#   fio's own percentiles within the bucket resolution (fio keeps 64
#   buckets per power of two: 1/64 relative), for every layer, read and
#   write, p50/p99/p99.9.
# - compare: two runs whose stacks differ in nbdkit's threads: the
#   difference is named, every layer and metric has a row, one sample
#   per side gives no verdict, the differential profile is there, and
#   the comparison is written beside B.
# - A record with a missing fio.json still reports (with a warning); a
#   malformed run.json is refused with exit 2.
# Run alone: tests/test-report.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit gnuplot jq

write_stack "$TMPDIR/s.json" '["host", "direct", "nbd-unix"]'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/s.json" --runtime 2 \
    --size 32M --collect cpu,perf >"$TMPDIR/out.txt" 2>&1 ||
    { cat "$TMPDIR/out.txt"; fail "run failed"; }
rec=$TMPDIR/results/VM-1
md=$rec/report.md
[ -s "$md" ] || fail "no report.md"
for h in "## The ladder" "## Where the time goes" "## Bottlenecks and concurrency" "## CPU per I/O" "## Charts"; do
    grep -q "^$h" "$md" || fail "report lacks '$h'"
done
grep -q '^| nbd-unix | ' "$md" || fail "no nbd-unix row"
grep -q '^- nbd-unix: .* direct$' "$md" || fail "no sentence comparing nbd-unix to direct"
grep -q '^| nbd-unix | .*nbdkit [0-9.]* us' "$md" || fail "no nbdkit CPU per I/O"
grep -q '^|  | nbdkit | [0-9.]* [mun]*s |' "$md" || fail "no measured nbdkit boundary row"
for c in iops latency slowdown cpu; do
    [ -s "$rec/charts/$c.svg" ] || fail "no $c.svg"
    [ "$(head -c 4 "$rec/charts/$c.png" | od -An -c | tr -d ' ')" = "211PNG" ] ||
        fail "$c.png is not a PNG"
done
echo "report: ok"

# Percentiles from bins against fio's own.
for layer in host direct nbd-unix; do
    f=$rec/$layer/fio.json
    for d in read write; do
        for p in 50 99 99.9; do
            key=$(printf '%.6f' "$p")
            fio_v=$(json_get "$f" ".jobs[0].$d.lat_ns.percentile[\"$key\"]")
            ours=$("$VIPERBENCH" percentile "$f" "$d" "$p") ||
                fail "percentile $layer $d $p"
            awk -v a="$ours" -v b="$fio_v" 'BEGIN { d = a - b; if (d < 0) d = -d
                exit !(b > 0 && d <= b / 64) }' ||
                fail "$layer $d p$p: bins give $ours, fio says $fio_v"
        done
    done
    echo "percentiles: $layer agrees with fio"
done

# compare: B's nbdkit has 2 threads instead of 4.
sed 's/"threads": 4/"threads": 2/' "$TMPDIR/s.json" >"$TMPDIR/s2.json"
run_bench --scenario randrw_70_30 --stack "$TMPDIR/s2.json" --runtime 2 \
    --size 32M --collect cpu,perf --desc "two threads" >"$TMPDIR/out2.txt" 2>&1 ||
    { cat "$TMPDIR/out2.txt"; fail "second run failed"; }
"$VIPERBENCH" compare --results "$TMPDIR/results" VM-1 VM-2 >"$TMPDIR/cmp.md" 2>"$TMPDIR/cmp.err" ||
    { cat "$TMPDIR/cmp.err"; fail "compare failed"; }
grep -q '^- stack key `nbdkit` differs: `{"threads":4}` vs `{"threads":2}`' "$TMPDIR/cmp.md" ||
    fail "compare does not name the stack difference"
[ "$(grep -c '^| \(host\|direct\|nbd-unix\) | \(read\|write\) ' "$TMPDIR/cmp.md")" -eq 15 ] ||
    fail "not 3 layers x 5 metrics"
# CPU per I/O of every process, A beside B.
grep -q '^## CPU per I/O' "$TMPDIR/cmp.md" || fail "compare has no CPU per I/O table"
grep -q '^| nbd-unix | nbdkit | [0-9.]* | [0-9.]* | [-+][0-9.]*% |$' "$TMPDIR/cmp.md" ||
    { sed -n '/## CPU per I/O/,/## Diff/p' "$TMPDIR/cmp.md"; fail "no nbdkit row in compare's CPU table"; }
grep -q '| n=1 each: no verdict |$' "$TMPDIR/cmp.md" || fail "a verdict from one sample"
grep -q '^\*\*nbd-unix / nbdkit\*\*' "$TMPDIR/cmp.md" || fail "no differential profile"
cmp -s "$TMPDIR/cmp.md" "$TMPDIR/results/VM-2/compare-VM-1.md" ||
    fail "compare-VM-1.md differs from what was printed"
"$VIPERBENCH" compare --results "$TMPDIR/results" VM-1 VM-77 >/dev/null 2>"$TMPDIR/cmp.err"
[ $? -eq 2 ] && grep -q "VM-77/run.json" "$TMPDIR/cmp.err" || fail "compare with a missing run"
echo "compare: ok"

# A missing fio.json: the report is still written, with a warning.
rm "$rec/direct/fio.json"
"$VIPERBENCH" report --results "$TMPDIR/results" VM-1 >"$TMPDIR/r.txt" 2>&1 ||
    { cat "$TMPDIR/r.txt"; fail "report failed without a fio.json"; }
grep -q "warning: direct: no latency bins" "$TMPDIR/r.txt" || fail "no warning"

# A malformed record.
mkdir -p "$TMPDIR/results/VM-9"
echo '{"id": "VM-9", "targets": ' >"$TMPDIR/results/VM-9/run.json"
"$VIPERBENCH" report --results "$TMPDIR/results" VM-9 >"$TMPDIR/bad.txt" 2>&1
[ $? -eq 2 ] || fail "malformed record: not exit 2"
grep -q "VM-9/run.json is not a viperbench run record" "$TMPDIR/bad.txt" ||
    fail "no message for a malformed record"
echo "bad records: ok"
