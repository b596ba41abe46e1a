#!/usr/bin/env bash
# test-fuzz.sh: the fuzz targets (tests/fuzz/, libFuzzer) each run for
# FUZZ_SECONDS (default 6) from a corpus of real files: records made
# here by a real run, fio's json+ from a real fio, the fio text outputs
# in ../shared/fixtures, the repo's scenarios and stacks, and the seeds in
# tests/fuzz/seeds.  Any crash, leak, undefined behaviour or hang (over
# 10 s for one input) fails the test and leaves the input in the log.
#   make fuzz FUZZ_SECONDS=600      longer
# Run alone: tests/run.sh tests/test-fuzz.sh
. "$(dirname "$0")/functions.sh"
requires fio jq nbdkit
F=$top/build/fuzz
secs=${FUZZ_SECONDS:-6}
for t in fuzz_record fuzz_fio fuzz_stack fuzz_uri; do
    [ -x "$F/$t" ] || fail "$F/$t is not built (make fuzzers)"
done

# The corpus.
for c in record fio stack uri; do mkdir -p "$TMPDIR/corpus-$c"; done
cp "$top"/tests/fuzz/seeds/uri/* "$TMPDIR/corpus-uri/"
# Inputs the fuzzers once found (each a regression test from then on).
cp "$top"/tests/fuzz/seeds/fio/* "$TMPDIR/corpus-fio/"
cp "$top"/tests/fuzz/seeds/stack/* "$TMPDIR/corpus-stack/"
cp "$top"/scenarios/*.fio "$top"/scenarios/stacks/*.json "$TMPDIR/corpus-stack/"
for f in "$top"/../shared/fixtures/fio-text/*.txt; do
    [ -f "$f" ] && cp "$f" "$TMPDIR/corpus-fio/"
done
(cd "$TMPDIR" && timeout 60 fio --name=seed --ioengine=null --size=4M --bs=4k \
    --rw=randrw --numjobs=2 --output-format=json+ --output=corpus-fio/json-plus.json \
    >/dev/null 2>&1) || fail "fio made no json+ seed"
(cd "$TMPDIR" && timeout 60 fio --name=seed --ioengine=null --size=4M --bs=4k \
    --rw=read >corpus-fio/normal.txt 2>&1) || fail "fio made no text seed"
write_stack "$TMPDIR/stack.json" '["direct"]'
run_bench --scenario lat1 --stack "$TMPDIR/stack.json" --runtime 1 --collect cpu \
    >"$TMPDIR/run.out" 2>&1 || { cat "$TMPDIR/run.out"; fail "no record for the corpus"; }
cp "$TMPDIR/results/VM-1/run.json" "$TMPDIR/corpus-record/run.json"
(cd "$top" && timeout -k 5 120 "$VIPERBENCH" sweep --results "$TMPDIR/results" \
    --scenario lat1 --stack "$TMPDIR/stack.json" --depths 1,2 --runtime 1 \
    --collect none) >"$TMPDIR/sweep.out" 2>&1 ||
    { cat "$TMPDIR/sweep.out"; fail "no sweep record for the corpus"; }
cp "$TMPDIR/results/SWEEP-1/run.json" "$TMPDIR/corpus-record/sweep.json"
cp "$TMPDIR/results/VM-1/run.json" "$TMPDIR/corpus-stack/run.json"
for f in "$top"/tests/fuzz/seeds/uri/*; do cp "$f" "$TMPDIR/corpus-stack/"; done
for f in "$top"/tests/fuzz/seeds/record/*; do cp "$f" "$TMPDIR/corpus-record/"; done

# Each target in turn; -fork would hide which input did what.
for t in record fio stack uri; do
    mkdir -p "$TMPDIR/art-$t"
    (cd "$TMPDIR/art-$t" && timeout -k 5 $((secs + 60)) "$F/fuzz_$t" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$TMPDIR/art-$t/" "$TMPDIR/corpus-$t" \
        >"$TMPDIR/fuzz-$t.log" 2>&1)
    rc=$?
    runs=$(grep -o 'Done [0-9]* runs' "$TMPDIR/fuzz-$t.log" | grep -o '[0-9]*')
    if [ $rc -ne 0 ] || [ -n "$(ls "$TMPDIR/art-$t")" ]; then
        grep -v '^#\|^INFO\|^viperbench' "$TMPDIR/fuzz-$t.log" | tail -40 >&2
        for a in "$TMPDIR/art-$t"/*; do
            [ -f "$a" ] && { echo "input $a:" >&2; head -c 2000 "$a" | od -c | head -30 >&2; }
        done
        fail "fuzz_$t: exit $rc"
    fi
    [ "${runs:-0}" -gt 100 ] || fail "fuzz_$t ran only ${runs:-0} inputs"
    echo "ok: fuzz_$t: $runs inputs in ${secs}s, no crash"
done
echo PASS
