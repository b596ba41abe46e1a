#!/usr/bin/env bash
# test-history.sh: `viperbench history SCENARIO` over real records.
# - The five imported fixtures (shared/fixtures/fio-text): one change
#   point, VM-1 -> VM-2 (+42%), marked on VM-2 and listed with its
#   interval, p and runs either side; no other run marked.
# - Six more runs at VM-1's level: a second change point at VM-6; then a
#   single outlier amid them is not one.
# - Records in number order (VM-10 after VM-9), with descriptions; one
#   trend chart per layer (SVG and PNG) with the change points drawn; the
#   table written to results/history-S.md.
# - Malformed, aborted and killed records are skipped with a warning,
#   never a crash; records of other scenarios are left out.
# - An unknown scenario, a bad --alpha: exit 2.
# Run alone: tests/test-history.sh
. "$(dirname "$0")/functions.sh"
requires jq gnuplot

fx=$top/../shared/fixtures/fio-text
[ -d "$fx" ] || skip "no shared/fixtures/fio-text beside the checkout"
r=$TMPDIR/results
imp() { for i in "$@"; do
    # The same outputs again on purpose (a run repeated): --force.
    "$VIPERBENCH" import --force --results "$r" --desc "from vm$i" "$fx/vm$i.txt" >/dev/null ||
        fail "import vm$i"
done; }
hist() {
    "$VIPERBENCH" history --results "$r" randrw_70_30 >"$TMPDIR/h.md" 2>"$TMPDIR/h.err" ||
        { cat "$TMPDIR/h.err"; fail "history failed"; }
}
# marked: the runs whose row carries a change point.
marked() { grep '^| VM-' "$TMPDIR/h.md" | grep '\*\*IOPS\|\*\*read p99' |
           cut -d'|' -f2 | tr -d ' ' | tr '\n' ' '; }

imp 1 2 3 4 5
hist
[ "$(marked)" = "VM-2 " ] || { cat "$TMPDIR/h.md"; fail "fixtures: change points at $(marked), not VM-2"; }
grep -q '^| VM-2 | 20[0-9T:-]*Z | - | from vm2 | 2.3k | 122.00 ms | - | \*\*IOPS +42.0%\*\* |$' "$TMPDIR/h.md" ||
    fail "VM-2's row does not carry the change"
grep -q '^| IOPS | VM-1 and VM-2 | +42.0% (95%: +[0-9.]*% .. +[0-9.]*%, p = 0.0[0-4][0-9]*) | 1 / 4 (one run on a side' "$TMPDIR/h.md" ||
    { cat "$TMPDIR/h.md"; fail "fixtures: the change point's figures"; }
echo "ok: fixtures: $(grep '^| IOPS | VM-1 and VM-2' "$TMPDIR/h.md")"

imp 1 1 1 1 1 1
hist
[ "$(marked)" = "VM-2 VM-6 " ] || { cat "$TMPDIR/h.md"; fail "change points at $(marked), not VM-2 VM-6"; }
grep -q '^| IOPS | VM-5 and VM-6 | -29.6% (95%: .*) | 4 / 6 |$' "$TMPDIR/h.md" ||
    { cat "$TMPDIR/h.md"; fail "VM-5 -> VM-6 change point"; }
echo "ok: second change: $(grep '^| IOPS | VM-5 and VM-6' "$TMPDIR/h.md")"

# VM-12: an outlier (vm3's level) amid VM-1's; VM-13..18 back at it.
imp 3 1 1 1 1 1 1
hist
[ "$(marked)" = "VM-2 VM-6 " ] || { cat "$TMPDIR/h.md"; fail "an outlier made a change point: $(marked)"; }
echo "ok: the outlier VM-12 is not a change point"

# VM-19: malformed; VM-20: killed mid-run (runner gone); VM-21: aborted;
# VM-22: another scenario.
mkdir "$r/VM-19"; echo '{"targets": [' >"$r/VM-19/run.json"
mkdir "$r/VM-20"; jq '.status = "running" | .runner_pid = 999999999' "$r/VM-1/run.json" >"$r/VM-20/run.json"
mkdir "$r/VM-21"; jq '.status = "aborted"' "$r/VM-1/run.json" >"$r/VM-21/run.json"
mkdir "$r/VM-22"; jq '.scenario.name = "lat1"' "$r/VM-1/run.json" >"$r/VM-22/run.json"

hist
rows=$(grep -o '^| VM-[0-9]* ' "$TMPDIR/h.md" | tr -d '| ' | tr '\n' ' ')
[ "$rows" = "VM-1 VM-2 VM-3 VM-4 VM-5 VM-6 VM-7 VM-8 VM-9 VM-10 VM-11 VM-12 VM-13 VM-14 VM-15 VM-16 VM-17 VM-18 " ] ||
    fail "rows: $rows"
grep -q "VM-19: no readable run.json, skipped" "$TMPDIR/h.err" || fail "no warning for VM-19"
grep -q "VM-20: its runner is gone (killed): treated as aborted" "$TMPDIR/h.err" ||
    fail "no warning for VM-20"
grep -q "VM-21: status aborted, skipped" "$TMPDIR/h.err" || fail "no warning for VM-21"
! grep -q "VM-22" "$TMPDIR/h.md" "$TMPDIR/h.err" || fail "VM-22 (lat1) listed"
cmp -s "$TMPDIR/h.md" "$r/history-randrw_70_30.md" || fail "history file differs"
[ -s "$r/history-randrw_70_30/guest.svg" ] && [ -s "$r/history-randrw_70_30/guest.png" ] ||
    fail "no trend chart"
# The chart draws both change points, between the runs either side.
grep -q "set arrow from 1.5, graph 0" "$r/history-randrw_70_30/trend.gp" &&
    grep -q "set arrow from 5.5, graph 0" "$r/history-randrw_70_30/trend.gp" ||
    fail "the chart does not mark the change points"
grep -q 'IOPS +42%' "$r/history-randrw_70_30/guest.svg" || fail "the SVG has no change point label"
echo "history: ok"

"$VIPERBENCH" history --results "$r" --alpha 2 randrw_70_30 >/dev/null 2>"$TMPDIR/e.txt"
[ $? -eq 2 ] && grep -q -- "--alpha '2'" "$TMPDIR/e.txt" || fail "--alpha 2 accepted"
"$VIPERBENCH" history --results "$r" nosuch >/dev/null 2>"$TMPDIR/e.txt"
[ $? -eq 2 ] && grep -q "no complete or imported record of scenario 'nosuch'" "$TMPDIR/e.txt" ||
    fail "unknown scenario"
echo "unknown scenario: ok"
