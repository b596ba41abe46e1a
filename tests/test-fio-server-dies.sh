#!/usr/bin/env bash
# test-fio-server-dies.sh: a server that dies or hangs mid-run.  Killed
# (SIGKILL) under a running viper job: the job ends with an error within
# a few seconds.  Frozen (SIGSTOP): with request_timeout=1000 the job fails with
# ETIMEDOUT in bounded time instead of hanging.  No fio is left behind.
# Run alone: tests/test-fio-server-dies.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit

# run_until_gone SIGNAL TIMEOUT-OPTION: starts a 60 s job, sends SIGNAL to
# the server after it has run a second, and returns fio's exit code and
# how long fio took to notice ($took).
run_and_break() {
    local sig=$1; shift
    local out=$TMPDIR/$sig.txt t0 pid rc
    run_fio --uri="$NBD_URI" --conns=2 "$@" --name=t --rw=randrw --bs=4k \
        --size=32M --iodepth=16 --time_based --runtime=60 >"$out" 2>&1 &
    pid=$!
    sleep 1
    kill -0 $pid 2>/dev/null || { cat "$out"; fail "fio ended early"; }
    t0=$(date +%s%N)
    kill -s "$sig" "$NBD_PID"
    wait $pid
    rc=$?
    took=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ $rc -ne 0 ] || { cat "$out"; fail "fio succeeded after $sig"; }
    [ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "fio hung after $sig"
    [ $took -lt 10000 ] || fail "fio took $took ms to notice $sig"
    echo "$sig: fio exited $rc after $took ms: $(grep -m1 'fio: viper' "$out")"
    LAST_OUT=$out
}

start_nbdkit a memory 64M
run_and_break KILL
grep -q "connection . lost\|Transport endpoint\|not connected" "$LAST_OUT" ||
    { cat "$LAST_OUT"; fail "no lost-connection message"; }

start_nbdkit b memory 64M
stopped=$NBD_PID
cleanup_add kill -CONT "$stopped"
run_and_break STOP --request_timeout=1000
grep -q "no answer in 1000 ms" "$LAST_OUT" || fail "no timeout message"
grep -q "Connection timed out" "$LAST_OUT" || fail "no ETIMEDOUT"
kill -CONT "$stopped"

sleep 0.2
! own_pgrep -f "external:$ENGINE" >/dev/null || fail "fio left behind"
