#!/usr/bin/env bash
# make.sh: makes the kept records tests/test-kept-reports.sh reports
# again, from real runs on this machine (not part of make check: run it
# by hand when a record's shape changes on purpose, and commit what it
# writes with the reason).
#
#   tests/kept/make.sh            every kind
#   tests/kept/make.sh ladder     one
#
# Each kind is one record, kept as the report reads it: run.json, each
# layer's fio.json (the latency bins) and perf.folded cut to its 25
# heaviest stacks; perf.data, logs, charts and the reports themselves
# are dropped.  Then tests/kept/expect.sh writes what the reports of
# these records are today (expected/).
. "$(dirname "$0")/../functions.sh"
requires nbdkit jq
out=$top/tests/kept
VIPERBENCH=${VIPERBENCH:-$top/build/viperbench}
KINDS=${*:-ladder ladder-b objstore guest clients sweep scale import gate}

# keep NAME RECORD-DIR: trims the record into $out/NAME.
keep() {
    local d=$out/$1 f id
    # A kind made again keeps its id: the kept records' ids are distinct
    # (reports.sh files them under it) and history orders them by it.
    id=$(jq -r '.id // empty' "$d/run.json" 2>/dev/null || true)
    rm -rf "$d"
    mkdir -p "$d"
    if [ -n "$id" ]; then
        jq --arg id "$id" '.id = $id' "$2/run.json" >"$d/run.json"
    else
        cp "$2/run.json" "$d/"
    fi
    for f in "$2"/*/fio.json "$2"/*/perf.folded "$2"/fio-output.*; do
        [ -f "$f" ] || continue
        mkdir -p "$d/$(basename "$(dirname "$f")")"
        case $f in
        */perf.folded) sort -t' ' -k2,2nr "$f" | head -25 >"$d/${f#$2/}" ;;
        *) cp "$f" "$d/${f#$2/}" ;;
        esac
    done
    find "$d" -type d -empty -delete
    echo "kept: $1 ($(du -sk "$d" | cut -f1) KiB)"
}

last() { ls -dt "$TMPDIR"/results/*-[0-9]* | head -1; }

# keep_gate RECORD-DIR: a gate's gate.json and its profile runs' records
# (what `viperbench report GATE-N` writes its summary from), trimmed;
# the repetitions' own records are dropped.
keep_gate() {
    local d=$out/gate r
    rm -rf "$d"
    mkdir -p "$d"
    cp "$1/gate.json" "$d/"
    for r in "$1"/profile-*/R-1; do
        [ -f "$r/run.json" ] || continue
        keep "gate/${r#$1/}" "$r" >/dev/null
    done
    echo "kept: gate ($(du -sk "$d" | cut -f1) KiB)"
}
run() {
    (cd "$top" && timeout -k 5 300 "$VIPERBENCH" "$@" --results "$TMPDIR/results") \
        >"$TMPDIR/out" 2>&1 || { cat "$TMPDIR/out"; fail "$*"; }
}

for k in $KINDS; do
    case $k in
    ladder|ladder-b)
        t=4; [ $k = ladder-b ] && t=2
        write_stack "$TMPDIR/s.json" '["host", "direct", "nbd-unix"]' '' "{ \"threads\": $t }"
        run run --scenario randrw_70_30 --stack "$TMPDIR/s.json" --runtime 2 \
            --size 16M --collect cpu,perf --desc "kept $k" ;;
    objstore)
        write_objstore_stack "$TMPDIR/o.json" '["nbd-unix"]'
        run run --scenario randrw_70_30 --stack "$TMPDIR/o.json" --runtime 2 \
            --size 16M --collect cpu,resources --desc "kept objstore" ;;
    guest)
        write_stack "$TMPDIR/g.json" '["guest"]' '"ready_timeout_s": 60, "qemu": { "accel": "tcg", "vcpus": 2, "iothread": true, "cache": "none" }'
        run run --scenario randrw_70_30 --stack "$TMPDIR/g.json" --runtime 3 \
            --size 16M --collect cpu --desc "kept guest" ;;
    clients)
        write_stack "$TMPDIR/c.json" '["fio-clients"]' '"clients": { "count": 2 }'
        run run --scenario randrw_70_30 --stack "$TMPDIR/c.json" --runtime 2 \
            --size 16M --collect cpu,resources --desc "kept clients" ;;
    sweep)
        write_stack "$TMPDIR/w.json" '["nbd-unix", "qemu-nbd"]' '' \
            '{ "threads": 64, "filters": ["delay"], "filter_args": { "rdelay": "1ms", "wdelay": "1ms" } }'
        run sweep --scenario qdtest --stack "$TMPDIR/w.json" --depths 4,16,64 \
            --runtime 2 --size 16M --collect none --desc "kept sweep" ;;
    scale)
        write_stack "$TMPDIR/v.json" '["fio-clients"]' \
            '"clients": { "count": 1, "volumes": [1, 4] }' '{ "threads": 4 }'
        run run --scenario randrw_70_30 --stack "$TMPDIR/v.json" --runtime 2 \
            --size 16M --collect cpu,resources --desc "kept scale" ;;
    import)
        fx=$top/../shared/fixtures/fio-text
        "$VIPERBENCH" import --results "$TMPDIR/results" \
            --desc-file "$fx/vm1.desc" "$fx/vm1.txt" >"$TMPDIR/out" ||
            fail "import" ;;
    gate)
        # The delay filter on the candidate: a regression, and the
        # profile runs after it.
        write_stack "$TMPDIR/ga.json" '["nbd-unix"]'
        write_stack "$TMPDIR/gb.json" '["nbd-unix"]' \
            '"description": "memory behind a 1 ms read delay"' \
            '{ "threads": 4, "filters": ["delay"], "filter_args": { "delay-read": "1ms" } }'
        (cd "$top" && timeout -k 5 500 "$VIPERBENCH" gate --results "$TMPDIR/results" \
            --scenario randrw_70_30 --runtime 1 --baseline-stack "$TMPDIR/ga.json" \
            --candidate-stack "$TMPDIR/gb.json" --repeat 6 --max-repeat 6 \
            --threshold iops=-25%,p99=+60%,cpu=+30%) >"$TMPDIR/out" 2>&1
        [ $? = 1 ] || { cat "$TMPDIR/out"; fail "the kept gate found no regression"; }
        keep_gate "$(last)"
        continue ;;
    *) fail "no kind '$k' (kinds: ladder ladder-b objstore guest clients sweep scale import gate)" ;;
    esac
    keep "$k" "$(last)"
done
"$out/expect.sh"
