#!/usr/bin/env bash
# test-runner-records.sh: record numbering and interruption.
# - Two runs started at once claim different numbers (VM-1, VM-2), both
#   complete; a third gets VM-3.
# - SIGINT mid-run: the runner stops within seconds, exit 130, status
#   "aborted" with the reason, run.json whole, no process left.
# - SIGKILL mid-run: run.json still parses, status "running" with a
#   runner_pid that is gone (readers treat it as aborted), and no nbdkit
#   or fio outlives the runner.
# - Secrets in plugin arguments never reach the record.
# Run alone: tests/test-runner-records.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq

write_stack "$TMPDIR/quick.json" '["direct"]'
run_bench --scenario lat1 --stack "$TMPDIR/quick.json" --runtime 2 \
    --desc one >"$TMPDIR/a.txt" 2>&1 &
a=$!
run_bench --scenario lat1 --stack "$TMPDIR/quick.json" --runtime 2 \
    --desc two >"$TMPDIR/b.txt" 2>&1 &
b=$!
wait $a || { cat "$TMPDIR/a.txt"; fail "run a failed"; }
wait $b || { cat "$TMPDIR/b.txt"; fail "run b failed"; }
ids=$(jq -r .id "$TMPDIR"/results/VM-*/run.json | sort | tr '\n' ' ')
[ "$ids" = "VM-1 VM-2 " ] || fail "concurrent runs got: $ids"
descs=$(jq -r .description "$TMPDIR"/results/VM-*/run.json | sort | tr '\n' ' ')
[ "$descs" = "one two " ] || fail "descriptions: $descs"
for r in "$TMPDIR"/results/VM-*/run.json; do
    [ "$(jq -r .status "$r")" = complete ] || fail "$r not complete"
done
echo "concurrent numbering: $ids"

# wait_layer FILE N: until the runner's progress shows layer N started.
wait_layer() {
    local i
    for i in $(seq 600); do
        grep -q "\[$2/" "$1" && return 0
        sleep 0.1
    done
    cat "$1"
    fail "the run never reached layer $2"
}

write_stack "$TMPDIR/long.json" '["direct", "nbd-unix", "nbd-tcp"]'
run_bench --scenario lat1 --stack "$TMPDIR/long.json" --runtime 6 \
    --desc interrupted >"$TMPDIR/int.txt" 2>&1 &
pid=$!
wait_layer "$TMPDIR/int.txt" 2
sleep 1
t0=$(date +%s)
# The runner is the child of the subshell and timeout: signal it itself.
rpid=$(own_pgrep -f -- "--desc interrupted" | while read -r p; do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = viperbench ] && echo "$p"; done)
[ -n "$rpid" ] || fail "runner process not found"
kill -INT "$rpid"
wait $pid
rc=$?
[ $rc -eq 130 ] || { cat "$TMPDIR/int.txt"; fail "SIGINT: exit $rc, not 130"; }
[ $(( $(date +%s) - t0 )) -le 10 ] || fail "SIGINT took more than 10 s"
rec=$TMPDIR/results/VM-3/run.json
[ "$(jq -r .status "$rec")" = aborted ] || fail "status $(jq -r .status "$rec")"
jq -r .reason "$rec" | grep -q "interrupted by signal 2" || fail "no reason"
[ "$(jq -r '.targets | length' "$rec")" = 1 ] || fail "the finished layer is lost"
no_orphans "$TMPDIR/results"
no_orphans "viperbench\."
echo "SIGINT: aborted cleanly, exit 130"

run_bench --scenario lat1 --stack "$TMPDIR/long.json" --runtime 6 \
    --desc killed >"$TMPDIR/kill.txt" 2>&1 &
pid=$!
wait_layer "$TMPDIR/kill.txt" 2
sleep 1
rpid=$(own_pgrep -f -- "--desc killed" | while read -r p; do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = viperbench ] && echo "$p"; done)
kill -KILL "$rpid"
wait $pid
rec=$TMPDIR/results/VM-4/run.json
jq . "$rec" >/dev/null || fail "run.json does not parse after SIGKILL"
[ "$(jq -r .status "$rec")" = running ] || fail "status after SIGKILL"
[ "$(jq -r .runner_pid "$rec")" = "$rpid" ] || fail "runner_pid"
! kill -0 "$rpid" 2>/dev/null || fail "runner still alive"
no_orphans "viperbench\."
no_orphans "$TMPDIR/results"
ls "$TMPDIR"/results/VM-4/*.tmp 2>/dev/null && fail "half-written file left"
# Its private directory (sockets, fio's raw output with secrets) could
# not be removed by the runner; the next run removes it.
leftover=$(dirname "$(grep -lx "$rpid" /tmp/viperbench.*/runner.pid 2>/dev/null | head -1)")
[ -d "$leftover" ] && [ "$leftover" != . ] || fail "no private directory of the killed runner"
echo "SIGKILL: record says running with a dead runner, nothing left behind"

# Secrets: a plugin argument named like a password never reaches results/.
cat >"$TMPDIR/secret.sh" <<'EOS'
#!/bin/sh
case "$1" in
config) exit 0 ;;
get_size) echo 1048576 ;;
pread) head -c "$3" /dev/zero ;;
pwrite) cat >/dev/null ;;
can_write) exit 0 ;;
*) exit 2 ;;
esac
EOS
chmod +x "$TMPDIR/secret.sh"
cat >"$TMPDIR/secret.json" <<EOS
{ "plugin": "sh",
  "plugin_args": { "script": "$TMPDIR/secret.sh", "password": "hunter2-s3cret",
                   "api_key": "AKIA-very-secret" },
  "dir": "$TMPDIR/data", "size": "16M", "layers": ["direct", "nbd-unix"] }
EOS
run_bench --scenario lat1 --stack "$TMPDIR/secret.json" --runtime 1 \
    --size 1M >"$TMPDIR/sec.txt" 2>&1 || { cat "$TMPDIR/sec.txt"; fail "secret run"; }
if grep -rq "hunter2\|very-secret" "$TMPDIR/results"; then
    grep -rl "hunter2\|very-secret" "$TMPDIR/results" >&2
    fail "a secret reached results/"
fi
grep -q "redacted\|\*\*\*" "$TMPDIR"/results/VM-5/run.json || fail "no redaction marker"
echo "secrets: redacted"
[ ! -e "$leftover" ] || fail "the killed runner's private directory is still there"
grep -q "removing $leftover, left by runner $rpid" "$TMPDIR/sec.txt" ||
    fail "the next run did not say it removed $leftover"
echo "SIGKILL: the next run removed the killed runner's private directory"

# A relative results directory (make bench's default, results/): fio runs
# in the layer's directory, and its files still land where they belong.
(cd "$TMPDIR" && "$VIPERBENCH" run --scenario lat1 --scenarios "$top/scenarios" \
    --stack "$TMPDIR/quick.json" --runtime 1 --size 1M --results rel \
    --collect none) >"$TMPDIR/rel.txt" 2>&1 || { cat "$TMPDIR/rel.txt"; fail "relative --results"; }
[ "$(jq -r .status "$TMPDIR/rel/VM-1/run.json")" = complete ] || fail "relative --results: not complete"
[ -f "$TMPDIR/rel/VM-1/direct/fio.stderr" ] || fail "relative --results: no fio.stderr in the layer"
[ -f "$TMPDIR/rel/VM-1/charts/gnuplot.log" ] || [ ! -d "$TMPDIR/rel/VM-1/charts" ] ||
    fail "relative --results: gnuplot.log not beside the charts"
echo "relative results directory: complete"
