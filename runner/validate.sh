#!/usr/bin/env bash
# validate.sh: the known-answer suite of the bottleneck verdict.  Each
# case is a stack with one limit injected where we know it is, run RUNS
# times with `viperbench run` on one layer; the record's
# targets[].bottleneck must name that limit every time.  Controls have no
# injected limit and must never be named a capacity (a serialization).
#
#   make validate                       (RUNS=3 RUNTIME=3 by default)
#   RUNS=1 CASES="t1 noparallel" runner/validate.sh
#
# Printed: case, layer, expected, named right (k of the runs judged),
# what was named the last time, and IOPS.  A run during which processes
# outside the layer used over half a CPU (the host's /proc/stat against
# the layer's own) is run again, up to 3 times, else left unjudged: a
# known answer holds on a quiet machine.  Exit 0 only when every case
# was named right in every run judged (a case whose tools are missing is
# said to be skipped).
#
# The injected limits (randrw_70_30: 4 jobs x iodepth 32, 128 asked):
#   t1            nbdkit -t 1 over a plugin taking 500 us a request (sleep)
#   noparallel    filter noparallel serialize=all-requests over 200 us
#   plugin-serial tests/slow with thread model serialize_all_requests
#   python        a Python plugin (its thread model: serialize_all_requests)
#   delay         filter delay at 1 ms (rdelay, wdelay), below nbdkit's probe
#   qemu16        qemu-nbd over a plugin taking 4 ms, nbdkit -t 64: QEMU's
#                 NBD client lets 16 through (at 1 ms the three processes'
#                 CPU on 2 cores held it near half busy: not a known answer)
#   burn          filter tests/burn at 100 us of CPU a request: nbdkit
#                 saturated on CPU
#   nopool        the block store with pool=0 on nginx over HTTPS (a TLS
#                 handshake a request, the reference investigation's
#                 finding): nbdkit's CPU (the plugin's TLS) saturates
#   ctl-memory    control: nbdkit's memory plugin, nbd-unix
#   ctl-direct    control: the memory plugin in-process
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
VIPERBENCH=${VIPERBENCH:-$top/build/viperbench}
BUILD=$(dirname "$VIPERBENCH")
RUNS=${RUNS:-3}
RUNTIME=${RUNTIME:-3}
ALL="t1 noparallel plugin-serial python delay qemu16 burn nopool ctl-memory ctl-direct"
CASES=${CASES:-$ALL}
work=$(mktemp -d /tmp/viper-validate.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

for f in "$VIPERBENCH" "$BUILD/tests/slow.so" "$BUILD/tests/burn.so"; do
    [ -f "$f" ] || { echo "validate: no $f: run make" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "validate: jq is missing" >&2; exit 2; }

# stack NAME PLUGIN PLUGIN-ARGS NBDKIT-JSON LAYER: writes $work/NAME.json.
stack() {
    cat >"$work/$1.json" <<EOS
{ "name": "validate-$1", "dir": "$work/data", "size": "64M",
  "plugin": "$2", "plugin_args": $3, "nbdkit": $4,
  "engine": { "request_timeout_ms": 30000 }, "layers": ["$5"] }
EOS
}

SLOW=$BUILD/tests/slow.so
# case NAME: sets LAYER, EXPECT (a jq test on .bottleneck, as text) and
# SAYS (the expected verdict in words); writes the stack.  1 when the
# case cannot run here.
setup() {
    case $1 in
    t1) LAYER=nbd-unix
        stack t1 "$SLOW" '{ "size": "64M", "service-us": "500" }' \
            '{ "threads": 1 }' $LAYER
        SAYS="capacity: nbdkit -t 1 x 4 connections"
        EXPECT='.kind == "capacity" and (.what | test("-t 1 x 4 connections"))' ;;
    noparallel) LAYER=nbd-unix
        stack noparallel "$SLOW" '{ "size": "64M", "service-us": "200" }' \
            '{ "threads": 16, "filters": ["noparallel"], "filter_args": { "serialize": "all-requests" } }' $LAYER
        SAYS="capacity: serialize_all_requests set by filter noparallel"
        EXPECT='.kind == "capacity" and (.what | test("serialize_all_requests \\(set by filter noparallel\\)"))' ;;
    plugin-serial) LAYER=nbd-unix
        stack plugin-serial "$SLOW" '{ "size": "64M", "model": "serialize_all_requests", "service-us": "200" }' \
            '{ "threads": 16 }' $LAYER
        SAYS="capacity: the plugin's own serialize_all_requests"
        EXPECT='.kind == "capacity" and (.what | test("serialize_all_requests \\(the plugin.s own\\)"))' ;;
    python) LAYER=nbd-unix
        [ -f /usr/lib/x86_64-linux-gnu/nbdkit/plugins/nbdkit-python-plugin.so ] ||
            return 1
        stack python python "{ \"script\": \"$top/tests/pyplug/disk.py\", \"size\": \"67108864\" }" \
            '{ "threads": 16 }' $LAYER
        SAYS="capacity: the plugin's own serialize_all_requests"
        EXPECT='.kind == "capacity" and (.what | test("serialize_all_requests \\(the plugin.s own\\)"))' ;;
    delay) LAYER=nbd-unix
        stack delay memory '{ "size": "64M" }' \
            '{ "threads": 4, "filters": ["delay"], "filter_args": { "rdelay": "1ms", "wdelay": "1ms" } }' $LAYER
        SAYS="capacity: -t 4 x 4 connections, the time in filter delay"
        EXPECT='.kind == "capacity" and (.what | test("-t 4 x 4 connections")) and (.time_in | test("delay"))' ;;
    qemu16) LAYER=qemu-nbd
        command -v qemu-nbd >/dev/null || return 1
        stack qemu16 "$SLOW" '{ "size": "64M", "service-us": "4000" }' \
            '{ "threads": 64 }' $LAYER
        SAYS="capacity: QEMU's NBD client, 16 per connection"
        EXPECT='.kind == "capacity" and (.what | test("QEMU.s NBD client")) and .capacity == 16' ;;
    burn) LAYER=nbd-unix
        stack burn memory '{ "size": "64M" }' \
            "{ \"threads\": 16, \"filters\": [\"$BUILD/tests/burn.so\"], \"filter_args\": { \"burn-ns\": \"100000\" } }" $LAYER
        SAYS="cpu: nbdkit saturated"
        EXPECT='.kind == "cpu" and .process == "nbdkit"' ;;
    nopool) LAYER=nbd-unix
        command -v nginx >/dev/null && command -v openssl >/dev/null || return 1
        [ -f "$BUILD/blockstore.so" ] || return 1
        cat >"$work/nopool.json" <<EOS
{ "name": "validate-nopool", "dir": "$work/data", "size": "64M",
  "plugin": "\${build}/blockstore.so",
  "plugin_args": { "url": "\${nginx.url}/vol", "cacert": "\${nginx.cacert}",
    "size": "\${size}", "object-size": "64K", "cache-size": "1M",
    "pool": 0, "http": "1.1", "timeout": 30 },
  "services": [ { "role": "nginx", "objstore": { "tls": true, "workers": 1 } } ],
  "nbdkit": { "threads": 16 }, "engine": { "request_timeout_ms": 30000 },
  "layers": ["nbd-unix"] }
EOS
        SAYS="cpu: nbdkit (the plugin's TLS handshakes)"
        EXPECT='.kind == "cpu" and .process == "nbdkit"' ;;
    ctl-memory) LAYER=nbd-unix
        stack ctl-memory memory '{ "size": "64M" }' '{ "threads": 16 }' $LAYER
        SAYS="not a capacity (control)"
        EXPECT='. == null or .kind != "capacity"' ;;
    ctl-direct) LAYER=direct
        stack ctl-direct memory '{ "size": "64M" }' '{ "threads": 16 }' $LAYER
        SAYS="not a capacity (control)"
        EXPECT='. == null or .kind != "capacity"' ;;
    *) echo "validate: unknown case '$1' (cases: $ALL)" >&2; exit 2 ;;
    esac
    return 0
}

# others FILE LAYER: the CPUs' worth that processes outside the layer
# used during its window (the host's busy share of every CPU, summed,
# less the layer's own processes): a known answer holds on a quiet
# machine only.
others() {
    jq -r --arg t "$2" '.targets[] | select(.name == $t) | .collectors.cpu |
        ([.host_busy[]? // 0] | add // 0) - ([.processes[].cpu_utilisation // 0] | add // 0)' "$1"
}

printf '%-14s %-9s %-58s %-7s %s\n' case layer expected right "named (last run), IOPS"
bad=0 judged=0 disturbed=0
for c in $CASES; do
    if ! setup "$c"; then
        printf '%-14s %-9s %-58s %-7s %s\n' "$c" "$LAYER" "$SAYS" skipped "tools missing"
        continue
    fi
    ok=0 n=0 last=- iops=-
    for r in $(seq "$RUNS"); do
        # A run disturbed by other tenants (over half a CPU of theirs)
        # is run again, up to 3 times, and else left unjudged.
        for attempt in 1 2 3; do
            out=$work/$c.$r.out
            if ! (cd "$top" && timeout -k 5 300 "$VIPERBENCH" run \
                    --scenario randrw_70_30 --stack "$work/$c.json" \
                    --runtime "$RUNTIME" --size 16M --results "$work/results" \
                    --collect cpu --no-report) >"$out" 2>&1; then
                last="run failed: $(tail -1 "$out")"
                rec=
                break
            fi
            rec=$(sed -n 's|^record: \(.*\)/run.json$|\1|p' "$out")
            o=$(others "$rec/run.json" "$LAYER")
            awk -v o="$o" 'BEGIN { exit !(o > 0.5) }' || break
            echo "validate: $c run $r: other processes used $o CPUs; again" >&2
            rec=
        done
        if [ -z "$rec" ]; then
            case $last in "run failed"*) n=$((n + 1)) ;; *) disturbed=$((disturbed + 1)) ;; esac
            continue
        fi
        n=$((n + 1))
        t=".targets[] | select(.name == \"$LAYER\")"
        if [ "$(jq "$t | .bottleneck | $EXPECT" "$rec/run.json")" = true ]; then
            ok=$((ok + 1))
        fi
        last=$(jq -r "$t | .bottleneck | if . == null then \"null\" else
            .kind + \": \" + (.what // .process // .boundary // \"\") end" "$rec/run.json")
        iops=$(jq -r "$t | .read.iops + .write.iops | floor" "$rec/run.json")
        [ -n "${VALIDATE_KEEP:-}" ] && cp "$rec/run.json" "$VALIDATE_KEEP/$c.$r.json"
    done
    [ "$ok" -eq "$n" ] || bad=$((bad + 1))
    [ "$n" -gt 0 ] && judged=$((judged + 1))
    printf '%-14s %-9s %-58s %-7s %s, %s IOPS\n' "$c" "$LAYER" "$SAYS" \
        "$ok/$n" "$last" "$iops"
done
echo "validate: $bad case(s) not named right in every run; $judged judged;" \
    "$disturbed run(s) left unjudged (the machine was busy)"
[ "$bad" -eq 0 ]
