#!/usr/bin/env bash
# test-clients.sh: the clients layer: fio's client/server mode against
# nbdkit's memory plugin over TCP.
# - 3 namespace clients x 2 jobs: the merged IOPS are the sum of the
#   clients', the merged read p99 is the percentile of the clients' jobs'
#   summed bins (computed here with jq, not by viperbench), each client's
#   figures and the fairness are in the record and the report.
# - A volume sweep of 1, 4 and 16 volumes: one record (kind sweep, axis
#   scale) whose server-side descriptors, sockets and threads grow.
# - A client's fio server killed mid-run: an error naming the client;
#   the runner SIGKILLed mid-run: in both, no process and no network
#   namespace left, no link in ours.
# - Real hosts: a fio server this test starts on 127.0.0.1 named in
#   the stack's hosts; an unreachable one refused, naming it.
# - Bad "clients" objects: exit 2 naming the key, no record.
# Needs root (namespaces).  Run alone: tests/run.sh tests/test-clients.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq ip
[ "$(id -u)" = 0 ] || skip "namespace clients need root (unshare)"
unshare --net true 2>/dev/null || skip "this machine refuses network namespaces"

run() {
    (cd "$top" && timeout -k 5 300 "$VIPERBENCH" run \
        --results "$TMPDIR/results" "$@")
}
# Network namespaces in use on this machine, and our links.
netns_count() { lsns -n -t net -o NS 2>/dev/null | sort -u | wc -l; }
ns_before=$(netns_count)
no_ns_left() {
    local i
    for i in $(seq 50); do
        [ "$(netns_count)" -le "$ns_before" ] && break
        sleep 0.1
    done
    [ "$(netns_count)" -le "$ns_before" ] ||
        { lsns -t net >&2; fail "$1: network namespaces left behind"; }
    ! ip -o link show | grep -E ' (vbhub|vb-c[0-9]+)[@:]' ||
        fail "$1: links left in the runner's namespace"
    no_orphans "fio --server=ip:10.77"
    no_orphans "nbdkit"
}

cat >"$TMPDIR/two.fio" <<'EOF'
[global]
rw=randrw
rwmixread=70
bs=4k
size=32M
time_based=1
runtime=2
iodepth=4
[two]
numjobs=2
EOF
sed 's/runtime=2/runtime=60/' "$TMPDIR/two.fio" >"$TMPDIR/long.fio"
write_stack "$TMPDIR/c3.json" '["fio-clients"]' '"clients": { "count": 3 }' \
    '{ "threads": 4 }'

# --- 3 clients x 2 jobs --------------------------------------------------
run --scenario "$TMPDIR/two.fio" --stack "$TMPDIR/c3.json" --size 64M \
    --collect cpu,resources --desc three >"$TMPDIR/out.txt" 2>&1 ||
    { cat "$TMPDIR/out.txt"; fail "3 clients: run failed"; }
rec=$TMPDIR/results/VM-1
j() { jq -r "$1" "$rec/run.json"; }
[ "$(j .status)" = complete ] || fail "status $(j .status)"
[ "$(j '.targets[0].clients | length')" = 3 ] || fail "clients: $(j '.targets[0].clients')"
[ "$(j '[.targets[0].clients[].name] | join(",")')" = "c1,c2,c3" ] ||
    fail "client names $(j '[.targets[0].clients[].name]')"
[ "$(j '[.targets[0].clients[].jobs] | join(",")')" = "2,2,2" ] || fail "jobs per client"
# Three distinct fio servers, one per namespace.
[ "$(j '[.targets[0].clients[].fio_server] | unique | length')" = 3 ] || fail "servers"
# Merged IOPS = the clients' sum (each direction).
for d in read write; do
    jq -e --arg d "$d" '.targets[0] | (.[$d].iops - ([.clients[][$d].iops] | add)) | fabs < 1e-6 * (. + 1)' \
        "$rec/run.json" >/dev/null || fail "$d IOPS are not the clients' sum"
    jq -e --arg d "$d" '.targets[0] | [.clients[][$d].iops] | all(. > 0)' \
        "$rec/run.json" >/dev/null || fail "a client did no $d I/O"
done
# Merged read p99 = the percentile of the summed bins of every job of
# every client, computed here from the stored fio.json.
p99=$(jq '[.jobs[] | select(.hostname) | .read.lat_ns.bins | to_entries[]]
          | group_by(.key | tonumber)
          | map({ns: (.[0].key | tonumber), n: (map(.value) | add)})
          | sort_by(.ns) as $b | ($b | map(.n) | add) as $tot
          | reduce $b[] as $x ({c: 0, v: null};
              if .v == null then .c += $x.n | (if .c >= $tot * 0.99 then .v = $x.ns else . end) else . end)
          | .v' "$rec/fio-clients/fio.json")
[ "$p99" != null ] && [ "$p99" = "$(j '.targets[0].read.lat_ns.p99')" ] ||
    fail "merged read p99 $(j '.targets[0].read.lat_ns.p99') is not the summed bins' $p99"
# fio's own "All clients" sum is not among the jobs.
[ "$(jq '[.jobs[] | select(.jobname == "All clients")] | length' "$rec/fio-clients/fio.json")" = 0 ] ||
    fail "fio's All clients entry kept as a job"
jq -e '.targets[0].fairness | .jain > 0.33 and .jain <= 1.000001 and .min_over_max > 0' \
    "$rec/run.json" >/dev/null || fail "fairness $(j .targets[0].fairness)"
[ "$(j .targets[0].setup.connections)" = 6 ] || fail "connections $(j .targets[0].setup.connections)"
# nbdkit held a socket per connection (and its listener).
jq -e '.targets[0].collectors.resources.processes[0].sockets_max >= 7' "$rec/run.json" \
    >/dev/null || fail "nbdkit's sockets: $(j .targets[0].collectors.resources)"
grep -q "## Load clients" "$rec/report.md" || fail "report: no Load clients section"
grep -q "Jain's index" "$rec/report.md" || fail "report: no fairness"
no_ns_left "3 clients"

# --- a volume sweep -------------------------------------------------------
write_stack "$TMPDIR/sw.json" '["fio-clients"]' \
    '"clients": { "count": 1, "volumes": [1, 4, 16] }' '{ "threads": 4 }'
run --scenario "$TMPDIR/two.fio" --stack "$TMPDIR/sw.json" --size 64M \
    --collect cpu,resources --desc sweep >"$TMPDIR/sw.txt" 2>&1 ||
    { cat "$TMPDIR/sw.txt"; fail "volume sweep failed"; }
cat "$TMPDIR/sw.txt"
rec=$TMPDIR/results/VM-2
[ "$(j .kind)/$(j .axis)/$(j .status)" = sweep/scale/complete ] ||
    fail "sweep record: $(j .kind) $(j .axis) $(j .status)"
[ "$(j '[.targets[0].points[].volumes] | join(",")')" = "1,4,16" ] || fail "volumes"
[ "$(j '[.targets[0].points[].connections] | join(",")')" = "2,8,32" ] || fail "connections"
for k in fds_max sockets_max threads_max; do
    jq -e --arg k "$k" '[.targets[0].points[].collectors.resources.processes[0][$k]]
        | .[0] < .[1] and .[1] < .[2]' "$rec/run.json" >/dev/null ||
        fail "nbdkit's $k did not grow: $(j "[.targets[0].points[].collectors.resources.processes[0].$k]")"
done
grep -q "Per connection" "$rec/report.md" || fail "sweep report: no cost per connection"
if command -v gnuplot >/dev/null; then
    for c in iops latency resources memory cpu; do
        [ -s "$rec/charts/$c.svg" ] || fail "sweep chart $c.svg missing"
    done
fi
no_ns_left "volume sweep"

# --- a client's fio server dies mid-run -----------------------------------
run --scenario "$TMPDIR/long.fio" --stack "$TMPDIR/c3.json" --size 64M \
    --collect none --desc dies >"$TMPDIR/dies.txt" 2>&1 &
runner=$!
for _ in $(seq 100); do
    victim=$(own_pgrep -f "fio --server=ip:10.77.0.3," | head -1)
    [ -n "$victim" ] && [ -s "$TMPDIR/results/VM-3/fio-clients/job.fio" ] && break
    sleep 0.1
done
[ -n "$victim" ] || { cat "$TMPDIR/dies.txt"; fail "client c2's fio server never ran"; }
sleep 2
kill -9 "$victim"
wait "$runner" && fail "the run went on without client c2"
grep -q "client c2's fio server (10.77.0.3:8765) killed by signal 9" "$TMPDIR/dies.txt" ||
    { cat "$TMPDIR/dies.txt"; fail "the error does not name client c2"; }
[ "$(jq -r .status "$TMPDIR/results/VM-3/run.json")" = failed ] || fail "record not failed"
no_ns_left "client killed"

# --- the runner SIGKILLed mid-run -------------------------------------------
run --scenario "$TMPDIR/long.fio" --stack "$TMPDIR/c3.json" --size 64M \
    --collect none --desc sigkill >"$TMPDIR/kill.txt" 2>&1 &
for _ in $(seq 100); do
    [ "$(own_pgrep -f 'fio --server=ip:10.77.0' | wc -l)" -ge 6 ] && break
    sleep 0.1
done
sleep 1
[ "$(netns_count)" -gt "$ns_before" ] || fail "no client namespaces while running"
pkill -9 -s "$SESSION" -f "viperbench run" || fail "no runner to kill"
wait
no_ns_left "runner SIGKILLed"

# --- real hosts: a fio server on 127.0.0.1 ----------------------------------
# A free port for it: bind-test ports until one is free.
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 12000))   # below the ephemeral ports
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    fail "no free port"
}
port=$(free_port)
"${FIO_ENV[@]}" "$FIO" --server="ip:127.0.0.1,$port" >"$TMPDIR/host-fio.log" 2>&1 &
_pids+=($!)
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
write_stack "$TMPDIR/h.json" '["fio-clients"]' \
    "\"clients\": { \"hosts\": [\"ip:127.0.0.1,$port\"], \"listen\": \"127.0.0.1\", \"volumes\": 2, \"port\": $(free_port) }" \
    '{ "threads": 4 }'
run --scenario "$TMPDIR/two.fio" --stack "$TMPDIR/h.json" --size 64M \
    --collect none --desc hosts >"$TMPDIR/h.txt" 2>&1 ||
    { cat "$TMPDIR/h.txt"; fail "hosts run failed"; }
rec=$(ls -d "$TMPDIR"/results/VM-* | sort -V | tail -1)
[ "$(j .description)" = hosts ] || fail "hosts: record $rec"
[ "$(j .status)" = complete ] || fail "hosts: status $(j .status)"
[ "$(j '.targets[0].clients[0].name')" = c1 ] || fail "hosts: client $(j '.targets[0].clients')"
[ "$(j '.targets[0].clients[0].jobs')" = 4 ] || fail "hosts: 2 volumes x 2 jobs"
# An unreachable host: refused before any record, naming it.
n=$(ls "$TMPDIR/results" | wc -l)
write_stack "$TMPDIR/h2.json" '["fio-clients"]' \
    "\"clients\": { \"hosts\": [\"ip:127.0.0.1,$port\", \"ip:127.0.0.1,1\"], \"listen\": \"127.0.0.1\" }"
run --scenario "$TMPDIR/two.fio" --stack "$TMPDIR/h2.json" >"$TMPDIR/h2.txt" 2>&1 &&
    fail "an unreachable fio server accepted"
grep -q "clients.hosts\[1\]: fio server ip:127.0.0.1,1 cannot be reached" "$TMPDIR/h2.txt" ||
    fail "unreachable: $(cat "$TMPDIR/h2.txt")"
[ "$(ls "$TMPDIR/results" | wc -l)" = "$n" ] || fail "a record was made for an unreachable host"

# --- bad clients objects: exit 2, the key named, no record --------------------
bad() {
    write_stack "$TMPDIR/b.json" "${3:-[\"fio-clients\"]}" "$1"
    run --scenario "$TMPDIR/two.fio" --stack "$TMPDIR/b.json" >"$TMPDIR/b.txt" 2>&1 &&
        fail "accepted: $1"
    [ $? = 2 ] || fail "$1: exit not 2"
    grep -q -- "$2" "$TMPDIR/b.txt" || fail "$1: $(cat "$TMPDIR/b.txt")"
}
bad '"clients": 3' 'clients.*expected an object'
bad '"clients": { "count": 0 }' 'count.*from 1 to 64'
bad '"clients": { "count": 65 }' 'count.*from 1 to 64'
bad '"clients": { "count": [4, 2] }' 'count.*must grow'
bad '"clients": { "count": 3, "volumes": 2 }' '2 volumes for 3 clients'
bad '"clients": { "count": 2, "hosts": ["a"] }' 'either count'
bad '"clients": { "hosts": ["a b"], "listen": "127.0.0.1" }' 'hosts.*item 1'
bad '"clients": { "hosts": ["-x"], "listen": "127.0.0.1" }' 'hosts.*item 1'
bad '"clients": { "hosts": ["a"] }' 'needs "listen"'
bad '"clients": { "hosts": ["a"], "listen": "x;y" }' 'listen.*IPv4'
bad '"clients": { "count": 2, "listen": "127.0.0.1" }' 'only with hosts'
bad '"clients": { "count": 2, "colour": 1 }' 'unknown key'
bad '"clients": { "count": [1, 2] }' 'runs that layer alone' '["nbd-tcp", "fio-clients"]'
bad '"tcp_port": 0' 'needs a "clients" object'
[ "$(ls "$TMPDIR/results" | wc -l)" = "$n" ] || fail "a record was made for bad input"
no_ns_left "the end"
echo "PASS: clients"
