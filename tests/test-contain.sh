#!/usr/bin/env bash
# test-contain.sh: nothing the run starts outlives it, nothing else is
# measured in its place, and its logs are whole, ordered and bounded.
# - A service whose children leave its session (setsid) or daemonise
#   (fork twice): none is left when the run ends, nor after SIGINT.
# - A fixed port another process holds: exit 2 naming it, before
#   anything starts, the other server untouched; a ready check answered
#   by someone else's socket: the run fails naming that process.
# - ready.tcp "80abc": exit 2 naming the key.
# - A service's stdout and stderr in one log, in order; the failure
#   message quotes its real last line.
# - A service writing as fast as it can: its log stops at the stack's
#   log_max, the cut said in the log and in run.json.
# Run alone: tests/test-contain.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq python3

tok=$((900000 + RANDOM))
gone() {   # PATTERN: no process anywhere matches, within 5 s
    local i
    for i in $(seq 50); do
        pgrep -f -- "$1" >/dev/null || return 0
        sleep 0.1
    done
    pgrep -af -- "$1" >&2
    pkill -9 -f -- "$1"
    fail "left running: $1"
}
record_of() { sed -n 's|^record: \(.*\)/run.json$|\1|p' "$1"; }

# 1. Escaping children.
cat >"$TMPDIR/escape.sh" <<EOS
#!/bin/sh
setsid sleep $tok &
( setsid sh -c 'sleep $((tok + 1))' & ) &
exec python3 -m http.server --bind 127.0.0.1 "\$1"
EOS
chmod +x "$TMPDIR/escape.sh"
write_stack "$TMPDIR/esc.json" '["direct"]' \
  "\"services\": [ { \"role\": \"esc\", \"argv\": [\"$TMPDIR/escape.sh\", \"\${esc.port}\"],
      \"ready\": { \"tcp\": \"\${esc.port}\", \"timeout_s\": 10 } } ]"
run_bench --scenario lat1 --stack "$TMPDIR/esc.json" --runtime 1 --size 1M \
    >"$TMPDIR/1.out" 2>&1 || { cat "$TMPDIR/1.out"; fail "the run with escaping children failed"; }
gone "sleep $tok"
gone "sleep $((tok + 1))"
echo "ok: a setsid child and a daemon of a service end with the run"

# ... and with `viperbench services` around a command.
"$VIPERBENCH" services --stack "$TMPDIR/esc.json" -- true >"$TMPDIR/1s.out" 2>&1 ||
    { cat "$TMPDIR/1s.out"; fail "viperbench services with escaping children failed"; }
gone "sleep $tok"
gone "sleep $((tok + 1))"
echo "ok: and with viperbench services"

# ... and after SIGINT mid-run.
run_bench --scenario lat1 --stack "$TMPDIR/esc.json" --runtime 20 --size 1M \
    >"$TMPDIR/1b.out" 2>&1 &
bench=$!
for i in $(seq 100); do pgrep -f "sleep $((tok + 1))" >/dev/null && break; sleep 0.1; done
pgrep -f "sleep $((tok + 1))" >/dev/null || { cat "$TMPDIR/1b.out"; fail "the daemon never started"; }
sleep 1
rpid=$(own_pgrep -f -- "--runtime 20" | while read -r p; do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = viperbench ] && echo "$p"; done)
[ -n "$rpid" ] || fail "runner process not found"
kill -INT $rpid
wait $bench; rc=$?
[ $rc -eq 130 ] || { cat "$TMPDIR/1b.out"; fail "SIGINT: exit $rc, expected 130"; }
gone "sleep $tok"
gone "sleep $((tok + 1))"
echo "ok: and after SIGINT"

# ... and after SIGKILL, where no cgroup can hold them (the runner's
# guard finds them by the run's mark in their environment).
run_bench --scenario lat1 --stack "$TMPDIR/esc.json" --runtime 20 --size 1M \
    >"$TMPDIR/1c.out" 2>&1 &
bench=$!
for i in $(seq 100); do pgrep -f "sleep $((tok + 1))" >/dev/null && break; sleep 0.1; done
pgrep -f "sleep $((tok + 1))" >/dev/null || { cat "$TMPDIR/1c.out"; fail "the daemon never started"; }
rpid=$(own_pgrep -f -- "--runtime 20" | while read -r p; do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = viperbench ] && echo "$p"; done)
[ -n "$rpid" ] || fail "runner process not found"
grep -qz '^VIPERBENCH_RUN_MARK=' /proc/"$(pgrep -f "sleep $((tok + 1))" | head -1)"/environ ||
    fail "the daemon does not carry the run's mark"
kill -KILL $rpid
wait $bench
gone "sleep $tok"
gone "sleep $((tok + 1))"
gone "http.server --bind 127.0.0.1"
pgrep -x viperbench-guard >/dev/null && fail "the guard outlived its work"
echo "ok: and after SIGKILL, with or without cgroups"

# 2. Someone else's server on a fixed port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1 &
other=$!
cleanup_add kill $other
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
write_stack "$TMPDIR/taken.json" '["direct"]' \
  "\"services\": [ { \"role\": \"web\", \"port\": $port,
      \"argv\": [\"python3\", \"-m\", \"http.server\", \"--bind\", \"127.0.0.1\", \"$port\"],
      \"ready\": { \"tcp\": \"\${web.port}\", \"timeout_s\": 10 } } ]"
before=$(ls "$TMPDIR/results" | wc -l)
run_bench --scenario lat1 --stack "$TMPDIR/taken.json" --runtime 1 --size 1M \
    >"$TMPDIR/2.out" 2>&1; rc=$?
[ $rc -eq 2 ] || { cat "$TMPDIR/2.out"; fail "a taken port: exit $rc, expected 2"; }
grep -q "port $port on 127.0.0.1 is taken by another process" "$TMPDIR/2.out" ||
    { cat "$TMPDIR/2.out"; fail "no message naming the taken port"; }
[ "$(ls "$TMPDIR/results" | wc -l)" -eq "$before" ] || fail "a record for bad input"
kill -0 $other || fail "the other server was touched"
# A ready socket someone else serves.
python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
while True: c,_=s.accept(); c.close()' "$TMPDIR/other.sock" &
osock=$!
cleanup_add kill $osock
for i in $(seq 50); do [ -S "$TMPDIR/other.sock" ] && break; sleep 0.1; done
write_stack "$TMPDIR/osock.json" '["direct"]' \
  "\"services\": [ { \"role\": \"idle\", \"argv\": [\"sleep\", \"$((tok + 2))\"],
      \"ready\": { \"unix\": \"$TMPDIR/other.sock\", \"timeout_s\": 5 } } ]"
run_bench --scenario lat1 --stack "$TMPDIR/osock.json" --runtime 1 --size 1M \
    >"$TMPDIR/2b.out" 2>&1 && { cat "$TMPDIR/2b.out"; fail "a run measured someone else's server"; }
grep -q "served by pid $osock (python3), a process this run did not start" "$TMPDIR/2b.out" ||
    { cat "$TMPDIR/2b.out"; fail "no message naming the other process"; }
gone "sleep $((tok + 2))"
echo "ok: a taken port is refused before anything starts; a socket not ours fails the run"

# 3. ready.tcp that is not a port.
write_stack "$TMPDIR/abc.json" '["direct"]' \
  '"services": [ { "role": "web", "argv": ["sleep", "5"], "ready": { "tcp": "80abc" } } ]'
run_bench --scenario lat1 --stack "$TMPDIR/abc.json" --runtime 1 --size 1M \
    >"$TMPDIR/3.out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "ready.tcp '80abc' is not a port" "$TMPDIR/3.out" ||
    { cat "$TMPDIR/3.out"; fail "ready.tcp 80abc: exit $rc"; }
echo "ok: ready.tcp 80abc is bad input"

# 4. Both streams, in order, in one log.
write_stack "$TMPDIR/order.json" '["direct"]' \
  '"services": [ { "role": "talk", "argv": ["sh", "-c", "echo one; echo two >&2; echo three; echo four >&2; exit 3"],
      "ready": { "unix": "${talk.dir}/sock", "timeout_s": 5 } } ]'
run_bench --scenario lat1 --stack "$TMPDIR/order.json" --runtime 1 --size 1M \
    >"$TMPDIR/4.out" 2>&1 && fail "a service that exits passed"
grep -q "exited with status 3 before it was ready; its log .*: four$" "$TMPDIR/4.out" ||
    { cat "$TMPDIR/4.out"; fail "the message does not quote the log's last line"; }
rec=$(ls -d "$TMPDIR"/results/VM-* | tail -1)
[ "$(cat "$rec/services/talk.log")" = "$(printf 'one\ntwo\nthree\nfour')" ] ||
    { cat "$rec/services/talk.log"; fail "the log lost or reordered a line"; }
echo "ok: stdout and stderr in one log, in order"

# 5. A log at its bound.
write_stack "$TMPDIR/spew.json" '["direct"]' \
  "\"log_max\": \"1M\",
   \"services\": [ { \"role\": \"spew\",
      \"argv\": [\"sh\", \"-c\", \"yes spewspewspewspew & exec python3 -m http.server --bind 127.0.0.1 \\\"\$1\\\"\", \"sh\", \"\${spew.port}\"],
      \"ready\": { \"tcp\": \"\${spew.port}\", \"timeout_s\": 10 } } ]"
run_bench --scenario lat1 --stack "$TMPDIR/spew.json" --runtime 1 --size 1M \
    >"$TMPDIR/5.out" 2>&1 || { cat "$TMPDIR/5.out"; fail "the spewing run failed"; }
rec=$(record_of "$TMPDIR/5.out")
size=$(stat -c %s "$rec/services/spew.log")
[ "$size" -le $((1048576 + 200)) ] || fail "the log grew to $size bytes past log_max 1M"
tail -2 "$rec/services/spew.log" | grep -q "^\[viperbench: log cut at 1048576 bytes\]" ||
    { tail -c 300 "$rec/services/spew.log"; fail "no cut note in the log"; }
jq -e '.services[0].log_cut.at_bytes == 1048576 and .services[0].log_cut.dropped_bytes > 1048576' \
    "$rec/run.json" >/dev/null || { jq .services "$rec/run.json"; fail "no log_cut in the record"; }
gone "yes spewspewspewspew"
echo "ok: a log stops at log_max, the cut said in it and in run.json"
