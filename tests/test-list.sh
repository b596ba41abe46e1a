#!/usr/bin/env bash
# test-list.sh: `viperbench list` lists the records of a results
# directory through the record's model.
# - The kept records (runs, sweeps, an import, a gate) each get a row:
#   id, kind, status, date, scenario, stack and description, in order
#   of prefix and number (VM-2 before VM-10), as a table and as JSON.
# - A record whose runner is gone reads "aborted"; a directory named like
#   a record with nothing readable is listed as unreadable, with why;
#   files and other names are skipped.
# - A description with a terminal escape sequence is shown with '?' for
#   its control characters; a missing directory is exit 2, named.
# Run alone: tests/test-list.sh
. "$(dirname "$0")/functions.sh"
requires jq

R=$TMPDIR/results
mkdir -p "$R"
for d in "$top"/tests/kept/*/; do
    if [ -f "$d/run.json" ]; then id=$(jq -r .id "$d/run.json")
    elif [ -f "$d/gate.json" ]; then id=$(jq -r .id "$d/gate.json")
    else continue
    fi
    cp -r "$d" "$R/$id"
done
# VM-10 (after VM-2), killed while running, with an escape sequence in
# its description.
cp -r "$top/tests/kept/ladder" "$R/VM-10"
jq '.id = "VM-10" | .status = "running" | .runner_pid = 4194000 |
    .description = "evil \u001b[2J desc"' "$top/tests/kept/ladder/run.json" >"$R/VM-10/run.json"
cp -r "$top/tests/kept/ladder" "$R/VM-14"
jq '.id = "VM-14" | .system_under_test = {id: "v1.2-3-gabc-dirty"}' \
    "$top/tests/kept/ladder/run.json" >"$R/VM-14/run.json"
mkdir -p "$R/VM-11"
echo '{ not json' >"$R/VM-11/run.json"
mkdir -p "$R/VM-12" "$R/notes" "$R/VM-x1"
touch "$R/VM-13"

"$VIPERBENCH" list --results "$R" >"$TMPDIR/out" 2>"$TMPDIR/err" ||
    { cat "$TMPDIR/out" "$TMPDIR/err"; fail "list failed"; }
cat "$TMPDIR/out"
row() { grep "^$1 " "$TMPDIR/out" || fail "no row for $1"; }
head -1 "$TMPDIR/out" | grep -q '^id  *kind  *status  *date  *scenario  *stack  *system  *description$' ||
    fail "no header"
row VM-1 | grep -q ' run  *complete  *2026-[0-9T:-]*Z  *randrw_70_30  *test-memory  *-  *kept ladder$' ||
    fail "VM-1's row"
row VM-14 | grep -q ' test-memory  *v1.2-3-gabc-dirty  *kept ladder$' ||
    fail "VM-14's system under test"
kinds=$(awk 'NR > 1 { print $1 "=" $2 }' "$TMPDIR/out" | sort | tr '\n' ' ')
for k in GATE-1=gate VM-4=run; do
    case " $kinds " in *" $k "*) ;; *) fail "kind: $k not in $kinds" ;; esac
done
row "$(jq -r .id "$top/tests/kept/sweep/run.json")" | grep -q ' depth sweep ' || fail "sweep's kind"
row "$(jq -r .id "$top/tests/kept/scale/run.json")" | grep -q ' scale sweep ' || fail "scale's kind"
row "$(jq -r .id "$top/tests/kept/import/run.json")" | grep -q ' import  *imported ' || fail "import's row"
row GATE-1 | grep -q ' gate  *complete: REGRESSION ' || fail "gate's status"
row VM-10 | grep -q ' aborted .*evil ?\[2J desc$' || fail "VM-10: aborted, escape shown as '?'"
grep -q $'\033' "$TMPDIR/out" && fail "an escape sequence reached the terminal"
row VM-11 | grep -q 'unreadable: ' || fail "VM-11 not listed as unreadable"
row VM-12 | grep -q 'unreadable: neither run.json, gate.json nor explore.json' || fail "VM-12"
grep -q '^VM-13 \|^notes \|^VM-x1 ' "$TMPDIR/out" && fail "a file or another name listed"
# Order: by prefix, then number.
order=$(awk 'NR > 1 && $1 ~ /^VM-/ { print $1 }' "$TMPDIR/out" | tr '\n' ' ')
[ "$order" = "$(awk 'NR > 1 && $1 ~ /^VM-/ { print $1 }' "$TMPDIR/out" | sort -t- -k2,2n | tr '\n' ' ')" ] ||
    fail "rows not in number order: $order"

# The same as JSON.
"$VIPERBENCH" list --results "$R" --json >"$TMPDIR/j" || fail "list --json failed"
[ "$(jq length "$TMPDIR/j")" = "$(($(wc -l <"$TMPDIR/out") - 1))" ] || fail "JSON and table differ in rows"
[ "$(jq -r '.[] | select(.id == "VM-10") | .description' "$TMPDIR/j")" = $'evil \033[2J desc' ] ||
    fail "JSON keeps the description as it is"
jq -e '.[] | select(.id == "GATE-1") | .date | test("^20[0-9-]+T") or . == "-"' "$TMPDIR/j" >/dev/null ||
    fail "gate's date"

# Bad input.
"$VIPERBENCH" list --results "$TMPDIR/nosuch" >"$TMPDIR/out" 2>&1 && fail "a missing directory listed"
grep -q "nosuch" "$TMPDIR/out" || fail "the missing directory not named"
"$VIPERBENCH" list extra >/dev/null 2>&1 && fail "an extra argument accepted"
"$VIPERBENCH" list --results "$TMPDIR/empty" >/dev/null 2>&1 && fail "missing dir passed"
mkdir -p "$TMPDIR/empty"
"$VIPERBENCH" list --results "$TMPDIR/empty" | grep -q '^no records in ' || fail "an empty directory"
echo "PASS: $(($(jq length "$TMPDIR/j"))) records listed"
