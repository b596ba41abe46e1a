#!/usr/bin/env bash
# test-kept-reports.sh: the reports of the kept records (tests/kept/: a
# ladder and its twin with fewer threads, an object store, a guest, load
# clients, a depth sweep, a scale sweep, an import, a gate) are what
# they were: report.md, report.html (less the libraries and gnuplot's
# drawings), charts.gp, the gate's summary and junit.xml, compare and
# history, byte for byte.  A difference is
# either a fix (tests/kept/expect.sh, committed with the reason) or a
# defect.  Run alone: tests/run.sh tests/test-kept-reports.sh
. "$(dirname "$0")/functions.sh"
requires gnuplot jq
[ -d "$top/tests/kept/expected" ] || fail "no tests/kept/expected"
VIPERBENCH=$VIPERBENCH "$top/tests/kept/reports.sh" "$TMPDIR/now" ||
    fail "the reports of the kept records could not be made"
diff -r "$top/tests/kept/expected" "$TMPDIR/now" >"$TMPDIR/diff" ||
    { head -60 "$TMPDIR/diff"; fail "the reports of the kept records changed"; }
# ...and the comparison can fail.
sed -i '1s/^/x/' "$TMPDIR/now/ladder.report.md"
! diff -rq "$top/tests/kept/expected" "$TMPDIR/now" >/dev/null ||
    fail "the comparison cannot fail"
# A record from before the targets' facts lists its layer's setup.
old=$TMPDIR/old/VM-4
mkdir -p "$(dirname "$old")"
cp -r "$top/tests/kept/guest" "$old"
jq 'del(.targets[].facts)' "$top/tests/kept/guest/run.json" >"$old/run.json"
"$VIPERBENCH" report "$old" >/dev/null 2>&1 || fail "the report of a record without facts failed"
grep -q '^| guest | accel | tcg |$' "$old/report.md" ||
    { grep -A5 'Layer setup' "$old/report.md"; fail "a record without facts does not list its setup"; }
grep -q '^|  | guest-disk busy | ' "$old/report.md" ||
    fail "the guest's disk's busy share is not listed"
echo "PASS: $(ls "$TMPDIR/now" | wc -l) files as kept"
