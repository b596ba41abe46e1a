#!/usr/bin/env bash
# test-aliases.sh: a scenario is checked on fio's own names for its
# options (runner/scenario.c scenario_resolve, from fio --cmdhelp), so
# that an alias cannot beat what the runner sets: timeout= (fio's alias
# of runtime=) with --runtime 1 runs 1 s and the record says 1, and
# readwrite= or blocksize= still mean rw= and bs=.
# Run alone: tests/test-aliases.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq

write_stack "$TMPDIR/s.json" '["direct"]'
cat >"$TMPDIR/alias.fio" <<'EOS'
[global]
readwrite=randread
blocksize=4k
time_based
timeout=20
size=1M
[a]
iodepth=1
[b]
timeout=30
EOS
t0=$(date +%s)
run_bench --scenario "$TMPDIR/alias.fio" --stack "$TMPDIR/s.json" --runtime 1 \
    --collect none >"$TMPDIR/out" 2>&1 || { cat "$TMPDIR/out"; fail "the run failed"; }
took=$(( $(date +%s) - t0 ))
rec=$(sed -n 's|^record: \(.*\)/run.json$|\1|p' "$TMPDIR/out")
[ $took -lt 15 ] || fail "an alias beat --runtime: the run took $took s"
jq -e '.targets[0].runtime_s < 3' "$rec/run.json" >/dev/null ||
    fail "the record says $(jq .targets[0].runtime_s "$rec/run.json") s"
grep -q "^runtime=1$" "$rec/direct/job.fio" && ! grep -q "^timeout=" "$rec/direct/job.fio" ||
    { cat "$rec/direct/job.fio"; fail "the job file keeps the alias"; }
# fio ran what the aliases asked: random reads of 4k only.
jq -e '[.jobs[] | .read.io_bytes > 0 and .write.io_bytes == 0 and
        (.["job options"].bs // "4k") == "4k"] | all' "$rec/direct/fio.json" >/dev/null ||
    fail "readwrite=/blocksize= lost their meaning"
echo "ok: timeout= is runtime= (--runtime 1 ran $took s), readwrite= and blocksize= kept"
