#!/usr/bin/env bash
# test-fulldisk.sh: nothing half-written is called complete.  The
# results on a small tmpfs filled to a different level before each run,
# from "the record cannot even be made" to "everything fits": whatever
# the level, either the run exits 0 with status complete and every file
# whole (each PNG to its IEND, each SVG and page to its end, every JSON
# parsing, report.md and report.html there), or it exits non-zero and
# run.json, when there is one, says "failed" with the path and the cause
# (never "running", never "complete"), with no report beside it.  A gate
# on a full disk ends in an error, never a pass.
# Run alone: tests/test-fulldisk.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq gnuplot

mnt=$TMPDIR/small
mkdir -p "$mnt"
mount -t tmpfs -o size=3m tmpfs "$mnt" 2>/dev/null || skip "cannot mount a tmpfs here"
cleanup_add umount -l "$mnt"
write_stack "$TMPDIR/s.json" '["direct"]' '' '{ "threads": 2 }'

check_record() {   # DIR EXIT: the invariant
    local rec=$1 rc=$2 st
    st=$(jq -r .status "$rec/run.json" 2>/dev/null) || st=unreadable
    if [ "$rc" -eq 0 ]; then
        [ "$st" = complete ] || fail "exit 0 with status $st ($rec)"
        [ -s "$rec/report.md" ] && grep -q '</html>' "$rec/report.html" ||
            fail "exit 0 without its report ($rec)"
        find "$rec" -name '*.png' | while read -r f; do
            [ "$(tail -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 49454e44ae426082 ] ||
                fail "exit 0 with a PNG cut short: $f"
        done
        find "$rec" -name '*.json' | while read -r f; do
            jq -e . "$f" >/dev/null 2>&1 || fail "exit 0 with JSON cut short: $f"
        done
        ! find "$rec" -name '*.tmp' | grep -q . || fail "a .tmp left in a complete record"
    else
        [ "$st" = failed ] || [ ! -e "$rec/run.json" ] ||
            fail "exit $rc with status $st ($rec)"
        if [ "$st" = failed ]; then
            jq -e '.reason | test("No space left|cut short|not whole|write")' \
                "$rec/run.json" >/dev/null ||
                fail "a failed record without the cause: $(jq -r .reason "$rec/run.json")"
            [ ! -e "$rec/report.md" ] && [ ! -e "$rec/report.html" ] ||
                fail "a report beside a failed record ($rec)"
        fi
    fi
}

seen_ok=0 seen_fail=0
for free_k in 16 200 600 1000 1400 1700 1900 2100 2400 2900; do
    rm -rf "${mnt:?}"/*
    fill=$((3072 - free_k))
    [ $fill -gt 0 ] && head -c "${fill}K" /dev/zero >"$mnt/fill" 2>/dev/null
    out=$TMPDIR/out-$free_k
    (cd "$top" && timeout -k 5 300 "$VIPERBENCH" run --results "$mnt/results" \
        --scenario lat1 --stack "$TMPDIR/s.json" --runtime 1 --size 1M \
        --collect cpu) >"$out" 2>&1
    rc=$?
    [ $rc -ne 124 ] && [ $rc -ne 137 ] || { cat "$out"; fail "the run hung with $free_k K free"; }
    rec=$(ls -d "$mnt"/results/VM-* 2>/dev/null | tail -1)
    if [ -n "$rec" ]; then
        check_record "$rec" $rc
    else
        [ $rc -ne 0 ] || fail "exit 0 and no record with $free_k K free"
    fi
    if [ $rc -eq 0 ]; then seen_ok=$((seen_ok + 1)); else seen_fail=$((seen_fail + 1))
        grep -q "No space left\|cut short\|not whole" "$out" ||
            { cat "$out"; fail "exit $rc with $free_k K free, the cause not said"; }
    fi
    echo "free ${free_k}K: exit $rc${rec:+, $(jq -r .status "$rec/run.json" 2>/dev/null)}"
done
no_orphans "$mnt"
# Both ends were reached: else the levels prove nothing.
[ $seen_ok -ge 1 ] && [ $seen_fail -ge 1 ] ||
    fail "levels not spread: $seen_ok complete, $seen_fail failed"
echo "ok: every level complete and whole, or failed with the cause"

# A gate whose records fill the disk: an error, never a pass.
rm -rf "${mnt:?}"/*
head -c 2200K /dev/zero >"$mnt/fill"
(cd "$top" && timeout -k 5 300 "$VIPERBENCH" gate --baseline-stack "$TMPDIR/s.json" \
    --candidate-stack "$TMPDIR/s.json" --scenario lat1 --layers direct --repeat 2 \
    --runtime 1 --results "$mnt/results" --junit "$TMPDIR/junit.xml") \
    >"$TMPDIR/gate.out" 2>&1
rc=$?
[ $rc -ne 0 ] || { cat "$TMPDIR/gate.out"; fail "a gate on a full disk passed"; }
g=$(ls -d "$mnt"/results/GATE-* 2>/dev/null | tail -1)
if [ -n "$g" ] && [ -e "$g/gate.json" ]; then
    jq -e '.status != "complete" or .outcome != "pass"' "$g/gate.json" >/dev/null ||
        fail "gate.json says pass"
    jq -e '.status != "running"' "$g/gate.json" >/dev/null ||
        fail "gate.json left running"
fi
if [ -e "$TMPDIR/junit.xml" ]; then
    grep -q '<error\|<failure' "$TMPDIR/junit.xml" || fail "junit.xml without an error"
fi
echo "ok: a gate on a full disk is an error (exit $rc)"
