#!/usr/bin/env bash
# test-explore.sh: `viperbench explore` with real nbdkit and fio, the
# short form of the delay known answer: nbdkit -t 1 behind a 1 ms delay
# on every request, where more threads must rank first with a large,
# significant gain and the probes (no effect next to the delay) must
# rank last with a change inside +-10%; with three knobs the factorial
# runs and says whether the two largest interact; the bottleneck verdict
# moves off nbdkit's threads at the level that lifts them.  Bad input
# exits 2 before any record is made, naming the key; a secret's key is
# refused; `viperbench report` writes the same report again; compare,
# history and export refuse or skip the record by name; an interrupted
# exploration exits 130 with its record aborted and nothing left
# running; one killed reads as aborted; the levels' stacks do not
# outlive it.  The full known answers (and how often explore is right)
# are `make bench-explore` (README).
# timeout: 600
# Run alone: tests/run.sh tests/test-explore.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq

RES=$TMPDIR/results
S=$TMPDIR/delay.json
write_stack "$S" '["host", "nbd-unix"]' '' \
    '{ "threads": 1, "filters": ["delay"], "filter_args": { "delay-read": "1ms", "delay-write": "1ms" } }'

explore() {
    (cd "$top" && timeout -k 5 "${EXPLORE_TIMEOUT:-400}" "$VIPERBENCH" explore \
        --results "$RES" --scenario randrw_70_30 --runtime 1 --size 32M "$@")
}

# expect_bad MSG ARGS...: exit 2, MSG said, no record made.
expect_bad() {
    local msg=$1 rc; shift
    explore "$@" >"$TMPDIR/out.txt" 2>&1
    rc=$?
    [ $rc -eq 2 ] || { cat "$TMPDIR/out.txt"; fail "exit $rc, not 2: $*"; }
    grep -qF -- "$msg" "$TMPDIR/out.txt" ||
        { cat "$TMPDIR/out.txt"; fail "no '$msg' for: $*"; }
    [ ! -e "$RES" ] || [ -z "$(ls "$RES")" ] || fail "a record was made for: $*"
    echo "ok: $(grep -m1 -F -- "$msg" "$TMPDIR/out.txt")"
}

expect_bad "no stack" --knob nbdkit.threads=4
expect_bad "nosuch.json" --stack "$TMPDIR/nosuch.json"
expect_bad "expected KEY=V1,V2" --stack "$S" --knob nbdkit.threads
expect_bad "expected KEY=V1,V2" --stack "$S" --knob '=4'
expect_bad "a path into the stack" --stack "$S" --knob 'nbdkit..threads=4'
expect_bad "a path into the stack" --stack "$S" --knob 'nbdkit.$(id)=4'
expect_bad "key 'thredas': unknown key" --stack "$S" --knob nbdkit.thredas=4
expect_bad "--knob nbdkit.threads=many" --stack "$S" --knob nbdkit.threads=many
expect_bad "a secret's key" --stack "$S" --knob plugin_args.password=hunter2
expect_bad "no level other than the stack's own" --stack "$S" --knob nbdkit.threads=1
expect_bad "given twice" --stack "$S" --knob nbdkit.threads=4 --knob nbdkit.threads=8
expect_bad "not a layer of stack" --stack "$S" --layers qemu-nbd --knob nbdkit.threads=4
expect_bad "one layer at a time" --stack "$S" --layers host,nbd-unix --knob nbdkit.threads=4
expect_bad "use at least" --stack "$S" --knob nbdkit.threads=4 --repeat 3
expect_bad "--precision" --stack "$S" --knob nbdkit.threads=4 --precision 0
expect_bad "--budget-s" --stack "$S" --knob nbdkit.threads=4 --budget-s abc
expect_bad "unknown scenario" --stack "$S" --knob nbdkit.threads=4 --scenario nosuch
expect_bad "unknown option" --stack "$S" --bogus
grep -q hunter2 -r "$TMPDIR/out.txt" "$RES" 2>/dev/null && fail "a secret's level was kept"

# A secret inside a level (a URL's password) is never kept: the run
# fails (the memory plugin takes no url), the record says so, scrubbed.
explore --stack "$S" --layers nbd-unix --repeat 6 --max-repeat 6 \
    --knob 'plugin_args.url=https://u:hunter3@127.0.0.1/x' >"$TMPDIR/sec.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$TMPDIR/sec.txt"; fail "a failing level: exit $rc, not 1"; }
[ "$(jq -r .status "$RES/EXPLORE-1/explore.json")" = failed ] || fail "a failing level: not marked failed"
grep -rq hunter3 "$RES" && { grep -rl hunter3 "$RES"; fail "a level's secret was kept"; }
echo "ok: a failing level: exit 1, failed: $(jq -r .failure "$RES/EXPLORE-1/explore.json" | cut -c1-120)"
rm -rf "$RES"

# The known answer, short: 6 rounds, one look.
explore --stack "$S" --layers nbd-unix --knob nbdkit.threads=8 \
    --knob probes=off --knob engine.conns=2 --repeat 6 --max-repeat 6 \
    >"$TMPDIR/x.md" 2>"$TMPDIR/x.err" ||
    { cat "$TMPDIR/x.err"; fail "explore: exit $?"; }
X=$RES/EXPLORE-1
J=$X/explore.json
[ "$(jq -r .status "$J")" = complete ] || fail "status $(jq -r .status "$J")"
[ "$(jq -r .rounds "$J")" = 6 ] || fail "rounds $(jq -r .rounds "$J")"
[ "$(jq -r '.effects[0].knob' "$J")" = nbdkit.threads ] ||
    { jq -c '.effects[] | [.knob, .iops.change, .iops.significant]' "$J"; fail "threads do not rank first"; }
jq -e '.effects[0].significant and .effects[0].iops.change > 1' "$J" >/dev/null ||
    fail "threads 1 -> 8 behind a 1 ms delay: $(jq -c '.effects[0].iops' "$J")"
jq -e '[.effects[] | select(.knob == "probes")][0] | .iops.change > -0.1 and .iops.change < 0.1' "$J" >/dev/null ||
    fail "probes: $(jq -c '.effects[] | select(.knob == "probes") | .iops' "$J")"
jq -e '.effects[0].samples.iops | length == 6 and all(. > 0)' "$J" >/dev/null ||
    fail "the samples are not kept"
echo "ok: ranked: $(jq -r '[.effects[] | "\(.knob)=\(.level) \(.iops.change * 100 | floor)% sig=\(.significant)"] | join("; ")' "$J")"
# Every run measured is a record of its own, complete, of the layer.
[ "$(ls -d "$X"/base/R-* | wc -l)" -eq 6 ] || fail "base runs: $(ls "$X/base")"
jq -e '.status == "complete" and ([.targets[].name] == ["nbd-unix"])' "$X/knob1-level1/R-1/run.json" >/dev/null ||
    fail "a level's run record"
# The verdict moves off nbdkit's threads where they are lifted.
jq -r '.effects[0].verdict_base' "$J" | grep -q "nbdkit's threads: -t 1" ||
    fail "base verdict: $(jq -r '.effects[0].verdict_base' "$J")"
jq -r '.effects[0].verdict_level' "$J" | grep -q "nbdkit's threads: -t 1" &&
    fail "the verdict at threads=8 still names -t 1"
echo "ok: verdict: $(jq -r '.effects[0] | "\(.verdict_base) -> \(.verdict_level)"' "$J")"
# The factorial ran: 3 knobs, 8 cells, 2 replicates; an interaction said.
jq -e '.factorial.cells | length == 8' "$J" >/dev/null || fail "no factorial: $(jq -c .notes "$J")"
jq -e '.factorial.interaction | has("interact") and (.knobs | length == 2)' "$J" >/dev/null ||
    fail "no interaction in the factorial"
grep -q '^## Do the largest interact?' "$X/report.md" || fail "report: no interaction section"
grep -qE '`nbdkit.threads` and `[a-z.]+` (interact|do not interact measurably)' "$X/report.md" ||
    fail "report: the interaction is not said"
jq -e '.best.settings["nbdkit.threads"] == 8 and .best.change > 1' "$J" >/dev/null ||
    fail "best: $(jq -c .best "$J")"
grep -q '^\*\*nbdkit.threads=8' "$X/report.md" || fail "report: best not said"
echo "ok: factorial: $(grep -m1 '^A two-level' "$X/report.md" | sed 's/.*)\.  //')"
# The report: written, its chart drawn, and the same again from the record.
grep -q 'src="data:image/svg+xml;base64,' "$X/report.html" || fail "report.html has no chart"
grep -q 'nbdkit.threads' "$X/charts/effects.svg" || fail "effects.svg does not name the knobs"
cp "$X/report.md" "$TMPDIR/report.md"
(cd "$top" && "$VIPERBENCH" report --results "$RES" EXPLORE-1) >/dev/null || fail "report EXPLORE-1"
cmp -s "$X/report.md" "$TMPDIR/report.md" || fail "report EXPLORE-1 wrote another report"
echo "ok: report written again byte for byte"
# The levels' stacks lived in the run's private directory: gone.
ls -d /tmp/viperbench.* 2>/dev/null | while read -r d; do
    grep -qs "threads" "$d"/stack-*.json && [ "$(cat "$d/runner.pid" 2>/dev/null)" = "" ] &&
        fail "a level's stack left in $d"
done
# list shows it; compare, history and export refuse or skip it.
(cd "$top" && "$VIPERBENCH" list --results "$RES") | grep -q '^EXPLORE-1 *explore *complete' ||
    fail "list: $(cd "$top" && "$VIPERBENCH" list --results "$RES")"
(cd "$top" && "$VIPERBENCH" compare --results "$RES" EXPLORE-1 "$X/base/R-1") >"$TMPDIR/c.txt" 2>&1 &&
    fail "compare took an exploration"
grep -q "EXPLORE-1 is an exploration (explore.json), not a run record" "$TMPDIR/c.txt" ||
    fail "compare: $(cat "$TMPDIR/c.txt")"
(cd "$top" && "$VIPERBENCH" history --results "$RES" --prefix EXPLORE- randrw_70_30) >"$TMPDIR/h.txt" 2>&1 &&
    fail "history took an exploration"
grep -q "EXPLORE-1 is an exploration (explore.json), not a run: skipped" "$TMPDIR/h.txt" ||
    fail "history: $(cat "$TMPDIR/h.txt")"
(cd "$top" && "$VIPERBENCH" export --format csv --results "$RES" EXPLORE-1) >"$TMPDIR/e.txt" 2>&1 &&
    fail "export took an exploration"
grep -q "EXPLORE-1 is an exploration" "$TMPDIR/e.txt" || fail "export: $(cat "$TMPDIR/e.txt")"
echo "ok: compare, history and export refuse or skip it by name"

# Interrupted: exit 130, explore.json aborted, nothing left running.
(cd "$top" && exec "$VIPERBENCH" explore --results "$RES" --scenario randrw_70_30 \
    --runtime 2 --size 32M --stack "$S" --layers nbd-unix --knob nbdkit.threads=4 \
    >"$TMPDIR/int.md" 2>"$TMPDIR/int.err") &
xpid=$!
for _ in $(seq 100); do
    [ -d "$RES/EXPLORE-2/base/R-1" ] && break
    sleep 0.1
done
sleep 1
kill -INT "$xpid" 2>/dev/null
for _ in $(seq 150); do kill -0 "$xpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$xpid" 2>/dev/null && { kill -9 "$xpid"; fail "explore ignored SIGINT"; }
wait "$xpid"
rc=$?
[ $rc -eq 130 ] || { cat "$TMPDIR/int.err"; fail "interrupted: exit $rc, not 130"; }
[ "$(jq -r .status "$RES/EXPLORE-2/explore.json")" = aborted ] || fail "interrupted: not marked aborted"
no_orphans "$S"
no_orphans nbdkit
echo "ok: interrupted: exit 130, aborted, no orphans"

# Killed: what it leaves reads as aborted, not as running.
(cd "$top" && exec "$VIPERBENCH" explore --results "$RES" --scenario randrw_70_30 \
    --runtime 2 --size 32M --stack "$S" --layers nbd-unix --knob nbdkit.threads=4 \
    >/dev/null 2>&1) &
xpid=$!
for _ in $(seq 100); do
    [ -d "$RES/EXPLORE-3/base" ] && break
    sleep 0.1
done
kill -9 "$xpid"
wait "$xpid" 2>/dev/null
no_orphans "$S"
(cd "$top" && "$VIPERBENCH" list --results "$RES") | grep -q '^EXPLORE-3 *explore *aborted' ||
    fail "killed: $(cd "$top" && "$VIPERBENCH" list --results "$RES" | grep EXPLORE-3)"
(cd "$top" && "$VIPERBENCH" rm --results "$RES" EXPLORE-3) || fail "rm EXPLORE-3"
[ ! -e "$RES/EXPLORE-3" ] || fail "rm left EXPLORE-3"
echo "ok: killed: reads as aborted; rm removes it"
