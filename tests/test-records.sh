#!/usr/bin/env bash
# test-records.sh: `viperbench note` and `viperbench rm` change records
# after the fact, and nothing else.
# - note: a dated note kept apart from the figures (ID/notes.json), the
#   report written again with a "Notes" section under its header (a
#   run, a depth sweep, a scale sweep); markup in a note is text in
#   both pages; a second note is added, not replacing; run.json is
#   untouched.  A gate, a missing record, an empty note: exit 2.
# - rm: each record whole; every id checked before any is removed (one
#   bad id, none removed); never a path (../x, /abs), a symbolic link
#   named like a record, a directory that is no record, or a record a
#   live runner is writing; a symbolic link inside a record is removed,
#   never followed; a gate that says running only with --force.
# Run alone: tests/test-records.sh
. "$(dirname "$0")/functions.sh"
requires jq

R=$TMPDIR/results
mkdir -p "$R"
cp -r "$top/tests/kept/ladder" "$R/VM-1"
cp -r "$top/tests/kept/sweep" "$R/SWEEP-1"
cp -r "$top/tests/kept/scale" "$R/VM-6"
cp -r "$top/tests/kept/gate" "$R/GATE-1"
vb() { "$VIPERBENCH" "$@" --results "$R"; }
for id in VM-1 SWEEP-1 VM-6; do
    vb report "$id" >/dev/null 2>&1 || fail "report $id (test premise)"
done

# 1. Notes.
before=$(sha256sum "$R/VM-1/run.json")
vb note VM-1 'cache=none was set by hand <script>alert(1)</script> *not bold*' >"$TMPDIR/o" 2>&1 ||
    { cat "$TMPDIR/o"; fail "note VM-1"; }
[ "$(jq -r .schema "$R/VM-1/notes.json")" = viperbench.notes/1 ] || fail "notes.json schema"
jq -e '.notes[0].at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' "$R/VM-1/notes.json" >/dev/null ||
    fail "the note is not dated"
grep -q '^## Notes$' "$R/VM-1/report.md" || fail "report.md has no Notes section"
grep -q 'cache=none was set by hand' "$R/VM-1/report.md" || fail "the note is not in report.md"
grep -qF '<script>alert(1)' "$R/VM-1/report.md" "$R/VM-1/report.html" &&
    fail "a note's markup reached a page as markup"
grep -q 'cache=none was set by hand &lt;script&gt;' "$R/VM-1/report.html" ||
    fail "the note is not in report.html as text"
# Under the header: before the ladder.
[ "$(grep -n '^## Notes$' "$R/VM-1/report.md" | cut -d: -f1)" -lt \
  "$(grep -n '^## The ladder$' "$R/VM-1/report.md" | cut -d: -f1)" ] || fail "Notes is not under the header"
vb note VM-1 'second thoughts' >/dev/null 2>&1 || fail "a second note"
[ "$(jq '.notes | length' "$R/VM-1/notes.json")" = 2 ] || fail "the second note replaced the first"
[ "$(sha256sum "$R/VM-1/run.json")" = "$before" ] || fail "note changed run.json"
for id in SWEEP-1 VM-6; do
    vb note "$id" "a sweep's note" >/dev/null 2>&1 || fail "note $id"
    grep -q "a sweep's note" "$R/$id/report.md" || fail "$id: the note is not in its report"
done
echo "ok: notes dated, apart from the figures, in the reports as text"

bad() {   # WHAT PATTERN ARGS...: exit 2 and PATTERN said
    local what=$1 pat=$2; shift 2
    vb "$@" >"$TMPDIR/o" 2>&1; rc=$?
    [ $rc -eq 2 ] && grep -q -- "$pat" "$TMPDIR/o" || { cat "$TMPDIR/o"; fail "$what: exit $rc"; }
}
bad "note on a gate" "GATE-1 is a gate" note GATE-1 text
bad "note on nothing" "VM-99: no such record" note VM-99 text
bad "an empty note" "an empty note" note VM-1 '  '
echo "ok: a gate, a missing record, an empty note refused"

# 2. rm.
mkdir -p "$TMPDIR/outside"
echo keep >"$TMPDIR/outside/file"
cp -r "$top/tests/kept/ladder" "$R/VM-2"
jq '.id = "VM-2"' "$top/tests/kept/ladder/run.json" >"$R/VM-2/run.json"
ln -s "$TMPDIR/outside/file" "$R/VM-2/link"
ln -s "$TMPDIR/outside" "$R/VM-2/dirlink"
ln -s "$R/VM-1" "$R/VM-8"
mkdir -p "$R/history-lat1"
bad "one bad id among good" "VM-99: no such record" rm VM-2 VM-99
[ -d "$R/VM-2" ] || fail "a good record was removed beside a bad id"
bad "a path" "not a record's name" rm ../outside
bad "an absolute path" "not a record's name" rm /tmp
bad "a link named like a record" "VM-8: not a record's directory" rm VM-8
bad "a directory that is no record" "history-lat1: neither run.json nor gate.json" rm history-lat1
bad "a record named twice" "named twice" rm VM-2 VM-2
vb rm VM-2 >"$TMPDIR/o" 2>&1 || { cat "$TMPDIR/o"; fail "rm VM-2"; }
[ ! -e "$R/VM-2" ] || fail "VM-2 is still there"
[ "$(cat "$TMPDIR/outside/file")" = keep ] || fail "rm followed a link out of the record"
[ -d "$R/VM-1" ] && [ -L "$R/VM-8" ] && [ -d "$R/history-lat1" ] || fail "rm removed more than it was named"
# Running: a live runner's record is never removed; a gone one's is.
cp -r "$top/tests/kept/ladder" "$R/VM-3"
jq --argjson p $$ '.id = "VM-3" | .status = "running" | .runner_pid = $p' \
    "$top/tests/kept/ladder/run.json" >"$R/VM-3/run.json"
bad "a live run" "VM-3 is running (its runner is alive)" rm VM-3
jq '.runner_pid = 4194000' "$R/VM-3/run.json" >"$TMPDIR/j" && cp "$TMPDIR/j" "$R/VM-3/run.json"
vb rm VM-3 >/dev/null 2>&1 || fail "rm of an aborted run"
[ ! -e "$R/VM-3" ] || fail "the aborted run is still there"
jq '.status = "running"' "$R/GATE-1/gate.json" >"$TMPDIR/j" && cp "$TMPDIR/j" "$R/GATE-1/gate.json"
bad "a running gate" "GATE-1 is running: a gate's runner cannot be checked" rm GATE-1
vb rm --force GATE-1 >/dev/null 2>&1 || fail "rm --force GATE-1"
[ ! -e "$R/GATE-1" ] || fail "the gate is still there"
vb rm SWEEP-1 VM-6 >/dev/null 2>&1 || fail "rm of two records"
[ "$(ls "$R")" = "$(printf 'VM-1\nVM-8\nhistory-lat1')" ] || fail "left: $(ls "$R")"
echo "ok: rm removes records whole, and nothing else"
