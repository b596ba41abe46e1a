#!/usr/bin/env bash
# test-gate.sh: the CI regression gate's self-test, with real nbdkit and
# fio: bad input exits 2 before anything runs; A/A (a stack against a
# copy of itself) passes; a real injected regression (nbdkit's delay
# filter, which only the server layers load) is caught with exit 1 and
# the right layer named, in the summary and in JUnit XML; a CPU cost
# injected with tests/burn is caught by nbdkit's CPU per I/O alone; the
# runs are pinned and say so; a stored baseline (ratios to host) catches
# it too; a candidate that cannot run
# exits 2 saying why; an interrupted gate exits 130 with no process left
# behind.
# timeout: 600
# (Its A/A runs again when the machine is too noisy to decide: on a busy
# machine it has run past the suite's 300 s.)
# Thresholds here are wider than the defaults (IOPS -25%, p99 +60%, CPU
# per I/O +30%) so
# that the A/A trial stays a pass on a busy shared CI machine; the
# defaults are calibrated by runner/bench-gate.sh (figures in README).
# Run alone: tests/test-gate.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq python3

A=$TMPDIR/a.json
A2=$TMPDIR/a-copy.json
B=$TMPDIR/b-delay.json
write_stack "$A" '["host", "direct", "nbd-unix"]'
write_stack "$A2" '["host", "direct", "nbd-unix"]'
write_stack "$B" '["host", "direct", "nbd-unix"]' \
    '"description": "memory behind a 1 ms read delay"'
# The delay filter: nbd-unix regresses, direct (no server) must not.
sed -i 's/"threads": 4 }/"threads": 4, "filters": ["delay"], "filter_args": { "delay-read": "1ms" } }/' "$B"
grep -q delay-read "$B" || fail "could not write the delay stack"
RES=$TMPDIR/results
WIDE=(--threshold iops=-25%,p99=+60%,cpu=+30%)

gate() {
    (cd "$top" && timeout -k 5 "${GATE_TIMEOUT:-400}" \
        "$VIPERBENCH" gate --results "$RES" --scenario randrw_70_30 \
        --runtime 2 "$@")
}

# expect_bad MSG ARGS...: exit 2, MSG said, no new gate directory.
expect_bad() {
    local msg=$1 rc before; shift
    before=$(ls "$RES" 2>/dev/null | wc -l)
    gate "$@" >"$TMPDIR/out.txt" 2>&1
    rc=$?
    [ $rc -eq 2 ] || { cat "$TMPDIR/out.txt"; fail "exit $rc, not 2: $*"; }
    grep -qF -- "$msg" "$TMPDIR/out.txt" ||
        { cat "$TMPDIR/out.txt"; fail "no '$msg' for: $*"; }
    if [ "$(ls "$RES" 2>/dev/null | wc -l)" -ne "$before" ]; then
        fail "a gate directory was created for: $*"
    fi
    echo "ok: $(grep -F -- "$msg" "$TMPDIR/out.txt" | head -1)"
}

expect_bad "no candidate" --baseline-stack "$A"
expect_bad "not both" --baseline-stack "$A" --baseline "$TMPDIR" --candidate-stack "$B"
expect_bad "not neither" --candidate-stack "$B"
expect_bad "nosuch.json" --baseline-stack "$TMPDIR/nosuch.json" --candidate-stack "$B"
expect_bad "--threshold 'iops=+10%'" --baseline-stack "$A" --candidate-stack "$B" --threshold iops=+10%
expect_bad "--threshold 'p99'" --baseline-stack "$A" --candidate-stack "$B" --threshold p99
expect_bad "use at least 6" --baseline-stack "$A" --candidate-stack "$B" --repeat 3
expect_bad "--threshold 'cpu=-5%'" --baseline-stack "$A" --candidate-stack "$B" --threshold cpu=-5%
expect_bad "--pin 'sideways'" --baseline-stack "$A" --candidate-stack "$B" --pin sideways
expect_bad "--alpha '2'" --baseline-stack "$A" --candidate-stack "$B" --alpha 2
expect_bad "'qemu-nbd' is not a layer of both stacks" --baseline-stack "$A" --candidate-stack "$B" --layers qemu-nbd
expect_bad "unknown option" --baseline-stack "$A" --candidate-stack "$B" --bogus
expect_bad "unknown scenario" --baseline-stack "$A" --candidate-stack "$B" --scenario nosuch
printf '{ "name": "x", "plugin": "memory", "gate": { "iops": "10%%" } }\n' >"$TMPDIR/g.json"
expect_bad "key 'iops': expected a negative percentage" --baseline-stack "$A" --candidate-stack "$TMPDIR/g.json"

# last_gate: the newest results/GATE-N.
last_gate() { ls -d "$RES"/GATE-* | sort -V | tail -1; }

# A/A: the same stack against a copy of itself never raises a false
# alarm (exit 1), and passes.  On a machine whose neighbours make the
# noise hide a threshold-sized change the gate must say "too noisy"
# (exit 3) instead, with the noise and the repetitions it would need:
# then the trial is repeated once, and a second exit 3 is accepted with
# a warning (the gate did what it must), never a 1.
for try in 1 2; do
    gate --baseline-stack "$A" --candidate-stack "$A2" --layers nbd-unix \
        "${WIDE[@]}" >"$TMPDIR/aa.md" 2>"$TMPDIR/aa.err"
    rc=$?
    G=$(last_gate)
    [ $rc -eq 0 ] || [ $rc -eq 3 ] ||
        { cat "$TMPDIR/aa.md" "$TMPDIR/aa.err"; fail "A/A: exit $rc (a false alarm or an error)"; }
    [ "$(jq -r .status "$G/gate.json")" = complete ] || fail "A/A: gate.json not complete"
    # IOPS, the p99s, and CPU per I/O of fio and of nbdkit.
    [ "$(jq -c '[.series[] | [.metric, .process // ""]]' "$G/gate.json")" = \
      '[["iops",""],["read_p99",""],["write_p99",""],["cpu","fio"],["cpu","nbdkit"]]' ] ||
        fail "A/A: series $(jq -c '[.series[] | [.metric, .process]]' "$G/gate.json")"
    [ "$(jq -r .mode "$G/gate.json")" = paired ] || fail "A/A: not paired"
    n=$(jq '.series[0].baseline | length' "$G/gate.json")
    [ "$n" -ge 8 ] && [ "$n" -le 24 ] || fail "A/A: $n pairs, not 8 to 24"
    # Pinned (two CPUs or more): each run's fio and nbdkit on CPUs of
    # their own, and the summary says where.
    if [ "$(nproc)" -ge 2 ]; then
        rec=$G/candidate/R-1/run.json
        [ "$(jq -r .cpus.pinned "$rec")" = true ] || fail "A/A: runs not pinned: $(jq -c .cpus "$rec")"
        fc=$(jq -r '.targets[] | select(.name == "nbd-unix") | .fio_cpus' "$rec")
        sc=$(jq -r '.targets[] | select(.name == "nbd-unix") | .servers[0].cpus' "$rec")
        [ -n "$fc" ] && [ -n "$sc" ] && [ "$fc" != null ] && [ "$sc" != null ] && [ "$fc" != "$sc" ] ||
            fail "A/A: fio on '$fc', nbdkit on '$sc'"
        grep -q '^- CPUs: pinned: ' "$G/summary.md" || fail "A/A: the summary does not say where the runs ran"
    fi
    # Interleaved: each side has its own records, as many as the other.
    [ "$(ls -d "$G"/baseline/R-* | wc -l)" -eq "$n" ] || fail "A/A: not $n baseline records"
    [ "$(ls -d "$G"/candidate/R-* | wc -l)" -eq "$n" ] || fail "A/A: not $n candidate records"
    grep -q 'failures="0"' "$G/junit.xml" || fail "A/A: junit has failures"
    if [ $rc -eq 0 ]; then
        grep -q "^# $(basename "$G"): PASS" "$G/summary.md" || fail "A/A: summary does not say PASS"
        echo "ok: A/A passed: $(grep -c '| pass |' "$G/summary.md") metrics pass"
        break
    fi
    grep -q "^# $(basename "$G"): TOO NOISY TO DECIDE" "$G/summary.md" ||
        fail "A/A: exit 3 but the summary does not say too noisy"
    grep -q 'pairs needed' "$G/summary.md" ||
        fail "A/A: too noisy without the pairs needed"
    echo "warning: A/A trial $try: too noisy to decide on this machine now: $(grep -m1 'noise' "$G/summary.md")"
done

# A/B: the delay filter is caught, on nbd-unix and not on direct.
gate --baseline-stack "$A" --candidate-stack "$B" --layers direct,nbd-unix \
    --repeat 6 --max-repeat 6 "${WIDE[@]}" >"$TMPDIR/ab.md" 2>"$TMPDIR/ab.err"
rc=$?
[ $rc -eq 1 ] || { cat "$TMPDIR/ab.md" "$TMPDIR/ab.err"; fail "A/B: exit $rc, not 1"; }
G=$(last_gate)
AB=$G
grep -q "^# $(basename "$G"): REGRESSION" "$G/summary.md" || fail "A/B: summary does not say REGRESSION"
grep -q '^- \*\*nbd-unix\*\*: IOPS (read+write) -[0-9.]*% ([0-9]*% interval' "$G/summary.md" ||
    { cat "$G/summary.md"; fail "A/B: nbd-unix IOPS not named as regressed"; }
grep -q '^- \*\*direct\*\*' "$G/summary.md" && { sed -n '/Regressions/,/^## [^R]/p' "$G/summary.md" | grep -q direct; } &&
    fail "A/B: direct (no server, no delay) named as regressed"
[ "$(jq -r '.series[] | select(.layer == "direct") | .verdict' "$G/gate.json" | grep -c REGRESSION)" -eq 0 ] ||
    fail "A/B: direct marked as a regression"
python3 - "$G/junit.xml" <<'EOF' || fail "A/B: junit.xml"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
fails = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")
         if c.find("failure") is not None]
assert ("gate.randrw_70_30.nbd-unix", "iops") in fails, fails
assert not any(cls.endswith(".direct") for cls, _ in fails), fails
print("ok: junit.xml parses; failures:", fails)
EOF
# The symbols that grew, or the reason there is no profile.
if grep -q '^- no profile of the regressed layers: ' "$G/summary.md"; then
    echo "ok: no profile, and the summary says why: $(grep -m1 'no profile of' "$G/summary.md")"
else
    grep -q '^## Profile: symbols whose share of CPU grew most' "$G/summary.md" ||
        fail "A/B: neither a profile nor the reason for none"
    grep -q '^\*\*nbd-unix / nbdkit\*\*' "$G/summary.md" || fail "A/B: no nbdkit profile"
    # Both profile runs loaded: the largest changes in CPU per I/O head
    # the summary, and summary.html draws nbdkit's differential graph.
    grep -q '^## Largest changes in CPU per I/O' "$G/summary.md" &&
        grep -q '^| nbd-unix | `' "$G/summary.md" ||
        fail "A/B: no largest changes in CPU per I/O"
    grep -q 'data-kind="diff"' "$G/summary.html" ||
        fail "A/B: summary.html has no differential flame graph"
    echo "ok: profile of the regressed layer in the summary"
fi
echo "ok: A/B caught: $(grep -m1 '^- \*\*nbd-unix' "$G/summary.md")"
# `viperbench report GATE-N` writes the same summary and JUnit XML
# again from gate.json and the profile runs' records.
for f in summary.md junit.xml; do cp "$G/$f" "$TMPDIR/orig.$f"; done
rm "$G/summary.md" "$G/junit.xml" "$G/summary.html"
(cd "$top" && "$VIPERBENCH" report "$G") >"$TMPDIR/rep.out" 2>&1 ||
    { cat "$TMPDIR/rep.out"; fail "report of a gate failed"; }
for f in summary.md junit.xml; do
    cmp -s "$TMPDIR/orig.$f" "$G/$f" ||
        { diff "$TMPDIR/orig.$f" "$G/$f" | head -20; fail "report of a gate: $f differs"; }
done
[ -s "$G/summary.html" ] || fail "report of a gate: no summary.html"
echo "ok: the gate's summary written again from gate.json, byte for byte"

# compare with repetitions on both sides: a statistical verdict.
(cd "$top" && "$VIPERBENCH" compare "$G/baseline" "$G/candidate") >"$TMPDIR/cmp.md" 2>&1 ||
    { cat "$TMPDIR/cmp.md"; fail "compare of the gate's sides failed"; }
grep -q '^| nbd-unix | read IOPS | .* | \*\*worse\*\* (p=0.00[0-9]*; 95% interval' "$TMPDIR/cmp.md" ||
    { cat "$TMPDIR/cmp.md"; fail "compare: nbd-unix read IOPS not tested worse"; }
grep -q 'n=1 each' "$TMPDIR/cmp.md" && fail "compare: repetitions not used"
echo "ok: compare of 6 vs 6 records: $(grep -m1 '^| nbd-unix | read IOPS' "$TMPDIR/cmp.md")"

# A CPU regression alone: tests/burn spends 20 us of CPU per request in
# nbdkit (a few times its own cost).  With IOPS and p99 thresholds out
# of reach, nbdkit's CPU per I/O is what catches it.
BURN=$top/${VIPER_BUILD:-build}/tests/burn.so
[ -f "$BURN" ] || fail "no $BURN (make tests)"
write_stack "$TMPDIR/burn.json" '["nbd-unix"]' '"description": "memory, 20 us of CPU per request"' \
    "{ \"threads\": 4, \"filters\": [\"$BURN\"], \"filter_args\": { \"burn-ns\": \"20000\" } }"
gate --baseline-stack "$A" --candidate-stack "$TMPDIR/burn.json" --layers nbd-unix \
    --repeat 6 --max-repeat 6 --no-profile --threshold iops=-95%,p99=+900%,cpu=+30% \
    >"$TMPDIR/burn.md" 2>"$TMPDIR/burn.err"
rc=$?
[ $rc -eq 1 ] || { cat "$TMPDIR/burn.md" "$TMPDIR/burn.err"; fail "CPU regression: exit $rc, not 1"; }
G=$(last_gate)
grep -q '^- \*\*nbd-unix\*\*: CPU per I/O (nbdkit) +[0-9.]*% (' "$G/summary.md" ||
    { cat "$G/summary.md"; fail "CPU regression: nbdkit's CPU per I/O not named"; }
# (fio's own CPU per I/O may rise too: a slower server gives it fewer
# completions per wakeup.  nbdkit's is the larger change.)
reg=$(jq -r '[.series[] | select(.verdict == "REGRESSION") | .metric + "." + (.process // "")] | join(" ")' "$G/gate.json")
case " $reg " in
    *" cpu.nbdkit "*) ;;
    *) fail "CPU regression: nbdkit's CPU per I/O not regressed ($reg)" ;;
esac
case " $reg " in
    *" iops. "*|*p99*) fail "CPU regression: caught by $reg, past thresholds out of reach" ;;
esac
jq -e '([.series[] | select(.metric == "cpu" and .process == "nbdkit")][0].change) >
       ([.series[] | select(.metric == "cpu" and .process == "fio")][0].change)' "$G/gate.json" >/dev/null ||
    fail "CPU regression: fio's CPU per I/O grew more than nbdkit's"
grep -q '<testcase classname="gate.randrw_70_30.nbd-unix" name="cpu.nbdkit">' "$G/junit.xml" &&
    grep -A1 'name="cpu.nbdkit"' "$G/junit.xml" | grep -q '<failure type="regression"' ||
    fail "CPU regression: junit.xml has no cpu.nbdkit failure"
echo "ok: CPU regression caught: $(grep -m1 '^- \*\*nbd-unix' "$G/summary.md")"

# A stored baseline, compared by ratios to host.
(cd "$top" && "$VIPERBENCH" run --scenario randrw_70_30 --stack "$A" --runtime 2 \
    --results "$TMPDIR/stored" --layers host,nbd-unix --collect none --no-report) \
    >/dev/null 2>&1 || fail "could not make the stored baseline"
expect_bad "has no host layer" --baseline "$AB/baseline" --candidate-stack "$B"
# The stored baseline ran unpinned and once, the candidate runs pinned,
# so the ratio moves by more than the delay alone: the candidate here is
# a 10 ms delay on reads and writes, far past any such drift (a 1 ms read
# delay measured -24.5% in CI's pristine root, a hair inside -25%).
B10=$TMPDIR/b-delay10.json
sed 's/"delay-read": "1ms"/"delay-read": "10ms", "delay-write": "10ms"/' "$B" >"$B10"
grep -q '"delay-write": "10ms"' "$B10" || fail "could not write the 10 ms delay stack"
gate --baseline "$TMPDIR/stored/VM-1" --candidate-stack "$B10" --layers nbd-unix \
    --repeat 6 --no-profile "${WIDE[@]}" >"$TMPDIR/st.md" 2>"$TMPDIR/st.err"
rc=$?
[ $rc -eq 1 ] || { cat "$TMPDIR/st.md" "$TMPDIR/st.err"; fail "stored baseline: exit $rc, not 1"; }
G=$(last_gate)
grep -q 'mode: stored baseline; each layer as a ratio to the \*\*host\*\*' "$G/summary.md" ||
    fail "stored baseline: the summary does not say it compares ratios"
grep -q '^- \*\*nbd-unix\*\*: IOPS' "$G/summary.md" || fail "stored baseline: nbd-unix not named"
# The stored baseline ran without the cpu collector: not gated, and said.
grep -q 'CPU per I/O of nbdkit in layer nbd-unix not gated: only the candidate has it' "$G/summary.md" ||
    fail "stored baseline: no note on the CPU per I/O it cannot gate"
[ "$(ls -d "$G"/baseline 2>/dev/null | wc -l)" -eq 0 ] || fail "stored baseline: ran the baseline"
echo "ok: stored baseline: $(grep -m1 '^- \*\*nbd-unix' "$G/summary.md")"

# A candidate whose plugin does not load: exit 2, the summary and JUnit
# say which run failed and why, gate.json is marked failed.
sed 's/"plugin": "memory"/"plugin": "nosuchplugin"/' "$A2" >"$TMPDIR/broken.json"
gate --baseline-stack "$A" --candidate-stack "$TMPDIR/broken.json" --layers nbd-unix \
    --junit "$TMPDIR/broken-junit.xml" >"$TMPDIR/br.md" 2>"$TMPDIR/br.err"
rc=$?
[ $rc -eq 2 ] || { cat "$TMPDIR/br.md" "$TMPDIR/br.err"; fail "broken candidate: exit $rc, not 2"; }
G=$(last_gate)
[ "$(jq -r .status "$G/gate.json")" = failed ] || fail "broken candidate: gate.json not failed"
grep -q "candidate run 1 (stack $TMPDIR/broken.json) failed: .*nosuchplugin" "$G/summary.md" ||
    { cat "$G/summary.md"; fail "broken candidate: the summary does not say why"; }
grep -q '<error type="setup"' "$TMPDIR/broken-junit.xml" || fail "broken candidate: no JUnit error"
echo "ok: broken candidate: $(grep -m1 'Could not measure' "$G/summary.md")"

# Interrupted: exit 130, gate.json aborted, nothing left running.
next=$RES/GATE-$(( $(basename "$(last_gate)" | cut -d- -f2) + 1 ))
(cd "$top" && exec "$VIPERBENCH" gate --results "$RES" --scenario randrw_70_30 \
    --runtime 2 --baseline-stack "$A" --candidate-stack "$A2" --layers nbd-unix \
    >"$TMPDIR/int.md" 2>"$TMPDIR/int.err") &
gpid=$!
for _ in $(seq 100); do
    [ -d "$next/baseline/R-1" ] && break
    sleep 0.1
done
sleep 1
kill -TERM "$gpid" 2>/dev/null
for _ in $(seq 150); do kill -0 "$gpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$gpid" 2>/dev/null && { kill -9 "$gpid"; fail "gate ignored SIGTERM"; }
wait "$gpid"
rc=$?
[ $rc -eq 130 ] || { cat "$TMPDIR/int.err"; fail "interrupted gate: exit $rc, not 130"; }
[ "$(jq -r .status "$next/gate.json")" = aborted ] || fail "interrupted gate: not marked aborted"
grep -q '<error type="aborted"' "$next/junit.xml" || fail "interrupted gate: junit.xml has no error"
no_orphans "$TMPDIR/a"
echo "ok: interrupted gate exits 130, marked aborted, no orphans"

# Killed (SIGKILL) while running: what it leaves reads as no verdict,
# never as a pass.
next=$RES/GATE-$(( $(basename "$next" | cut -d- -f2) + 1 ))
(cd "$top" && exec "$VIPERBENCH" gate --results "$RES" --scenario randrw_70_30 \
    --runtime 2 --baseline-stack "$A" --candidate-stack "$A2" --layers nbd-unix \
    >/dev/null 2>&1) &
gpid=$!
for _ in $(seq 100); do
    [ -s "$next/gate.json" ] && break
    sleep 0.1
done
kill -9 "$gpid"
wait "$gpid" 2>/dev/null
[ "$(jq -r .status "$next/gate.json")" = running ] || fail "killed gate: status not running"
[ "$(jq -r .exit_code "$next/gate.json")" = null ] ||
    fail "killed gate: gate.json has exit_code $(jq -r .exit_code "$next/gate.json")"
[ ! -e "$next/junit.xml" ] || fail "killed gate: a junit.xml without a verdict"
no_orphans "$TMPDIR/a"
echo "ok: a gate killed while running leaves no exit code and no JUnit file"
