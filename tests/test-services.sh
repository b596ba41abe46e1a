#!/usr/bin/env bash
# test-services.sh: a stack's services (runner/service.c), with the
# reference object store (nginx) and plain commands.
# - A complete run: nginx starts after the host layer (which does not
#   need it) and before the first that does, its CPU per I/O and profile
#   are in those layers' records (with its worker processes) and in the
#   report, its command and log in run.json; none is left after.
# - nginx killed mid-layer: the layer fails naming the service and its
#   log; SIGINT and SIGKILL of the runner mid-run: no nginx left.
# - A service that never becomes ready, or exits at once: the run fails
#   before the layer's fio, naming the service and its log.
# - Secrets in a service's argv or environment never reach the record.
# - Bad references and roles are bad input (exit 2, no record).
# Run alone: tests/test-services.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit nginx openssl jq python3

runtime=2
nothing_left() {
    no_orphans "nginx"
    no_orphans "viperbench\."
    no_orphans "$TMPDIR/results"
}
record_of() { sed -n 's|^record: \(.*\)/run.json$|\1|p' "$1"; }

# 1. A complete run.
write_objstore_stack "$TMPDIR/obj.json" '["host", "direct", "nbd-unix"]' '"pool": 4'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/obj.json" --runtime $runtime \
    --size 16M >"$TMPDIR/1.out" 2>&1 || { cat "$TMPDIR/1.out"; fail "objstore run failed"; }
rec=$(record_of "$TMPDIR/1.out")
# After the host layer, as the direct layer starts (its banner first).
grep -o '\[1/3\] host\|\[2/3\] direct\|service nginx: starting\|\[3/3\]' "$TMPDIR/1.out" \
    | tr '\n' ',' >"$TMPDIR/order"
[ "$(cat "$TMPDIR/order")" = "[1/3] host,[2/3] direct,service nginx: starting,[3/3]," ] ||
    { cat "$TMPDIR/order"; fail "nginx did not start after host, for direct"; }
jq -e '.services | length == 1 and .[0].role == "nginx" and .[0].kind == "objstore"
       and (.[0].command | startswith("nginx -p ")) and .[0].log == "services/nginx.log"
       and .[0].layers == ["direct", "nbd-unix"]' "$rec/run.json" >/dev/null ||
    { jq .services "$rec/run.json"; fail "run.json's services"; }
[ -f "$rec/services/nginx.log" ] || fail "no nginx log in the record"
for l in direct nbd-unix; do
    us=$(jq -r --arg l $l '.targets[] | select(.name == $l) | .collectors.cpu.processes[]
          | select(.role == "nginx") | .cpu_us_per_io' "$rec/run.json")
    awk -v u="$us" 'BEGIN { exit !(u > 1) }' || fail "$l: nginx's CPU per I/O '$us'"
done
jq -e '.targets[] | select(.name == "host") | .collectors.cpu.processes
       | all(.role != "nginx")' "$rec/run.json" >/dev/null ||
    fail "nginx billed to the host layer, which does not use it"
if jq -e '.collectors.enabled | index("perf")' "$rec/run.json" >/dev/null; then
    n=$(jq -r '.targets[] | select(.name == "nbd-unix") | .collectors.perf.processes[]
          | select(.role == "nginx") | .samples' "$rec/run.json")
    [ "${n:-0}" -gt 0 ] || fail "no perf samples of nginx (its worker does the work)"
    grep -q '^nginx;' "$rec/nbd-unix/perf.folded" || fail "no nginx stacks in perf.folded"
fi
grep -q '| direct | .*nginx [0-9.]* us' "$rec/report.md" || fail "report's CPU table lacks nginx"
grep -q '^## Services' "$rec/report.md" || fail "report has no Services section"
nothing_left
echo "ok: a complete run with nginx, billed and profiled (nginx $us us per I/O)"

# 2. nginx killed mid-layer: the layer fails naming it.
write_objstore_stack "$TMPDIR/obj1.json" '["direct"]' '"pool": 4'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/obj1.json" --runtime 20 \
    --size 16M --desc killed >"$TMPDIR/2.out" 2>&1 &
bg=$!
for i in $(seq 100); do
    # The oldest: a worker being forked shows the master's title until
    # it renames itself, so two may match for a moment.
    m=$(own_pgrep -o -f 'nginx: master') && [ -n "$m" ] && grep -q '\[1/1\]' "$TMPDIR/2.out" && break
    sleep 0.1
done
[ -n "$m" ] || { cat "$TMPDIR/2.out"; fail "nginx never started"; }
sleep 2
kill -9 "$m"
wait $bg
rc=$?
[ $rc -eq 1 ] || { cat "$TMPDIR/2.out"; fail "a run whose nginx died exited $rc, not 1"; }
grep -q 'service nginx (nginx): was killed by signal 9 during layer direct; its log .*/services/nginx.log' \
    "$TMPDIR/2.out" || { cat "$TMPDIR/2.out"; fail "no message naming the dead service and its log"; }
rec=$(sed -n 's|^viperbench: \(VM-[0-9]*\): failed.*|\1|p' "$TMPDIR/2.out")
jq -e '.status == "failed" and (.reason | test("service nginx")) and (.services[0].ended | test("signal 9"))' \
    "$TMPDIR/results/$rec/run.json" >/dev/null || { jq "del(.targets)" "$TMPDIR/results/$rec/run.json"; fail "the failed record does not say nginx died"; }
nothing_left
echo "ok: nginx killed mid-layer fails the layer, naming it"

# 3. SIGINT, then SIGKILL, of the runner mid-run: no nginx left.
for sig in INT KILL; do
    run_bench --scenario randrw_70_30 --stack "$TMPDIR/obj1.json" --runtime 20 \
        --size 16M --desc "sig-$sig" >"$TMPDIR/3$sig.out" 2>&1 &
    bg=$!
    for i in $(seq 100); do
        own_pgrep -f 'nginx: worker' >/dev/null && grep -q '\[1/1\]' "$TMPDIR/3$sig.out" && break
        sleep 0.1
    done
    sleep 1.5
    p=$(own_pgrep -x viperbench | head -1)
    [ -n "$p" ] || fail "no runner to signal"
    kill -$sig "$p"
    wait $bg
    rc=$?
    case $sig in
    INT) [ $rc -eq 130 ] || { cat "$TMPDIR/3$sig.out"; fail "SIGINT: exit $rc, not 130"; } ;;
    KILL) [ $rc -eq 137 ] || fail "SIGKILL: exit $rc" ;;
    esac
    no_orphans nginx
    no_orphans fio
    no_orphans nbdkit
    echo "ok: SIGINT and SIGKILL mid-run leave no nginx ($sig)"
done

# 4. A service that never becomes ready, one that exits at once.
write_stack "$TMPDIR/slow.json" '["direct", "nbd-unix"]' \
  '"services": [ { "role": "slow", "argv": ["sleep", "600"],
                   "ready": { "tcp": "${slow.port}", "timeout_s": 2 } } ]'
start=$(date +%s)
run_bench --scenario randrw_70_30 --stack "$TMPDIR/slow.json" --runtime $runtime \
    >"$TMPDIR/4.out" 2>&1 && fail "a run whose service never got ready passed"
[ $(( $(date +%s) - start )) -le 30 ] || fail "a service that never got ready took too long"
grep -q "service slow (sleep): not ready within 2 s (ready.timeout_s); its log .*/services/slow.log" \
    "$TMPDIR/4.out" || { cat "$TMPDIR/4.out"; fail "no message naming the unready service and its log"; }
grep -q '\[2/2\]' "$TMPDIR/4.out" && fail "the run went on past a failed service"
[ -d "$(dirname "$(sed -n 's|.*its log \(.*/services/slow.log\).*|\1|p' "$TMPDIR/4.out")")" ] ||
    fail "the named log's directory does not exist"
rec=$(sed -n 's|^viperbench: \(VM-[0-9]*\): failed.*|\1|p' "$TMPDIR/4.out")
[ -n "$rec" ] && [ ! -e "$TMPDIR/results/$rec/direct/fio.json" ] ||
    fail "fio ran although the service never got ready ($rec)"
no_orphans "sleep 600"
write_stack "$TMPDIR/false.json" '["direct"]' \
  '"services": [ { "role": "quits", "argv": ["sh", "-c", "echo no store here >&2; exit 3"],
                   "ready": { "unix": "${quits.dir}/sock", "timeout_s": 5 } } ]'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/false.json" --runtime $runtime \
    >"$TMPDIR/4b.out" 2>&1 && fail "a run whose service exited passed"
grep -q "service quits (sh): exited with status 3 before it was ready; its log .*: no store here" \
    "$TMPDIR/4b.out" || { cat "$TMPDIR/4b.out"; fail "no message for a service that exited"; }
nothing_left
echo "ok: a service that never gets ready, or exits, fails the run naming it"

# 5. Secrets in a service's argv and environment stay out of the record.
write_stack "$TMPDIR/web.json" '["direct"]' \
  '"services": [ { "role": "web",
      "argv": ["sh", "-c", "exec python3 -m http.server --bind 127.0.0.1 \"$1\"", "sh",
               "${web.port}", "--password", "hunter2swordfish", "api_token=tok3nv4lue99"],
      "env": { "STORE_SECRET": "s3cr3tenvvalue", "PLAIN": "visible" },
      "dirs": ["data"], "files": { "index.html": "ok" },
      "ready": { "http": "http://127.0.0.1:${web.port}/", "timeout_s": 10 } } ]'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/web.json" --runtime $runtime \
    >"$TMPDIR/5.out" 2>&1 || { cat "$TMPDIR/5.out"; fail "run with a plain service failed"; }
rec=$(record_of "$TMPDIR/5.out")
jq -e '.services[0].env == ["STORE_SECRET", "PLAIN"] and (.services[0].command | test("python3"))' \
    "$rec/run.json" >/dev/null || { jq .services "$rec/run.json"; fail "the plain service's record"; }
if grep -rlE 'hunter2swordfish|tok3nv4lue99|s3cr3tenvvalue' "$rec" "$TMPDIR/5.out"; then
    fail "a service's secret reached the record"
fi
jq -e '.targets[0].collectors.cpu.processes | any(.role == "web")' "$rec/run.json" >/dev/null ||
    fail "the plain service is not billed"
nothing_left
echo "ok: secrets in a service's argv and environment stay out of the record"

# 6. Bad input: exit 2, no record, the key named.
bad() {   # NAME EXPECTED-MESSAGE EXTRA-MEMBERS [NBDKIT-JSON]
    write_stack "$TMPDIR/bad.json" '["direct"]' "$3" "${4:-}"
    before=$(ls "$TMPDIR/results" | wc -l)
    run_bench --scenario randrw_70_30 --stack "$TMPDIR/bad.json" >"$TMPDIR/bad.out" 2>&1
    rc=$?
    [ $rc -eq 2 ] || { cat "$TMPDIR/bad.out"; fail "$1: exit $rc, not 2"; }
    grep -q -- "$2" "$TMPDIR/bad.out" || { cat "$TMPDIR/bad.out"; fail "$1: no message '$2'"; }
    [ "$(ls "$TMPDIR/results" | wc -l)" = "$before" ] || fail "$1: a record was made"
}
bad unknown-ref "bad.json:[0-9]*: key 'argv'.*'\${nope.port}' names no service" \
  '"services": [ { "role": "a", "argv": ["sleep", "9", "${nope.port}"], "ready": { "tcp": "${a.port}" } } ]'
bad filter-ref "key 'filter_args'.*'\${store.url}' names no service" \
  '"probes": "all"' '{ "threads": 4, "filter_args": { "x": "${store.url}" } }'
bad taken-role "key 'role'.*'nbdkit' is a layer's own process" \
  '"services": [ { "role": "nbdkit", "argv": ["true"], "ready": { "tcp": "1" } } ]'
bad no-ready "key 'ready'" '"services": [ { "role": "a", "argv": ["true"] } ]'
bad h2c "key 'http2'.*needs \"tls\"" \
  '"services": [ { "role": "s", "objstore": { "tls": false, "http2": true } } ]'
bad objstore-argv "an objstore service makes its own argv" \
  '"services": [ { "role": "s", "objstore": {}, "argv": ["x"] } ]'
bad not-installed "service a: 'no-such-prog' is not installed" \
  '"services": [ { "role": "a", "argv": ["no-such-prog"], "ready": { "tcp": "${a.port}" } } ]'
echo "ok: bad services are bad input"
