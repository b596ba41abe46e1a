#!/usr/bin/env bash
# test-history.sh: `viperbench history SCENARIO` over real records.
# - Records in number order (VM-10 after VM-9), with descriptions; IOPS
#   moves beyond the noise band marked better/worse; one trend chart per
#   layer (SVG and PNG); the table written to results/history-S.md.
# - Malformed, aborted and killed records are skipped with a warning,
#   never a crash; records of other scenarios are left out.
# - An unknown scenario: exit 2.
# Run alone: tests/test-history.sh
. "$(dirname "$0")/functions.sh"
requires jq gnuplot

fx=$top/../shared/fixtures/fio-text
[ -d "$fx" ] || skip "no shared/fixtures/fio-text beside the checkout"
r=$TMPDIR/results
for i in 1 2 3 4 5 1 1 1 1 1 1; do
    "$VIPERBENCH" import --results "$r" --desc "from vm$i" "$fx/vm$i.txt" >/dev/null ||
        fail "import vm$i"
done
# VM-12: malformed; VM-13: killed mid-run (runner gone); VM-14: aborted;
# VM-15: another scenario.
mkdir "$r/VM-12"; echo '{"targets": [' >"$r/VM-12/run.json"
mkdir "$r/VM-13"; jq '.status = "running" | .runner_pid = 999999999' "$r/VM-1/run.json" >"$r/VM-13/run.json"
mkdir "$r/VM-14"; jq '.status = "aborted"' "$r/VM-1/run.json" >"$r/VM-14/run.json"
mkdir "$r/VM-15"; jq '.scenario.name = "lat1"' "$r/VM-1/run.json" >"$r/VM-15/run.json"

"$VIPERBENCH" history --results "$r" randrw_70_30 >"$TMPDIR/h.md" 2>"$TMPDIR/h.err" ||
    { cat "$TMPDIR/h.err"; fail "history failed"; }
rows=$(grep -o '^| VM-[0-9]* ' "$TMPDIR/h.md" | tr -d '| ' | tr '\n' ' ')
[ "$rows" = "VM-1 VM-2 VM-3 VM-4 VM-5 VM-6 VM-7 VM-8 VM-9 VM-10 VM-11 " ] ||
    fail "rows: $rows"
grep -q '^| VM-2 | from vm2 | 2.3k | 122.00 ms | - | +41.5% \*\*better\*\* |$' "$TMPDIR/h.md" ||
    fail "VM-2 not marked better"
grep -q '^| VM-6 | from vm1 | 1.6k | .* \*\*worse\*\* |$' "$TMPDIR/h.md" ||
    fail "VM-6 not marked worse"
grep -q '^| VM-3 | from vm3 | .* +5.0% |$' "$TMPDIR/h.md" || fail "VM-3: small change marked"
grep -q "VM-12: no readable run.json, skipped" "$TMPDIR/h.err" || fail "no warning for VM-12"
grep -q "VM-13: its runner is gone (killed): treated as aborted" "$TMPDIR/h.err" ||
    fail "no warning for VM-13"
grep -q "VM-14: status aborted, skipped" "$TMPDIR/h.err" || fail "no warning for VM-14"
! grep -q "VM-15" "$TMPDIR/h.md" "$TMPDIR/h.err" || fail "VM-15 (lat1) listed"
cmp -s "$TMPDIR/h.md" "$r/history-randrw_70_30.md" || fail "history file differs"
[ -s "$r/history-randrw_70_30/guest.svg" ] && [ -s "$r/history-randrw_70_30/guest.png" ] ||
    fail "no trend chart"
echo "history: ok"

"$VIPERBENCH" history --results "$r" nosuch >/dev/null 2>"$TMPDIR/e.txt"
[ $? -eq 2 ] && grep -q "no complete or imported record of scenario 'nosuch'" "$TMPDIR/e.txt" ||
    fail "unknown scenario"
echo "unknown scenario: ok"
