#!/usr/bin/env bash
# test-pin.sh: where a run's processes run (runner/pin.c).
# - pin auto with fio and one nbdkit on two CPUs or more: each on CPUs of
#   its own, read from /proc while they run, and the record says the same.
# - pin off (--pin off over the stack's "pin": "on"): the scheduler's, all
#   our CPUs for both.
# - More processes than CPUs (qemu-nbd: fio, nbdkit, qemu-nbd), auto: not
#   pinned, and the record says why; "pin": "on": fio alone on one CPU.
# - A bad "pin" or --pin: exit 2 naming it.
# Run alone: tests/test-pin.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq

ncpu=$(nproc)
write_stack "$TMPDIR/s.json" '["nbd-unix"]'
write_stack "$TMPDIR/on.json" '["nbd-unix"]' '"pin": "on"'
write_stack "$TMPDIR/bad.json" '["nbd-unix"]' '"pin": "sideways"'

run() {  # run STACK RESULTS [ARGS]: in the background, its pid in $rpid
    local st=$1 res=$2; shift 2
    (cd "$top" && exec "$VIPERBENCH" run --scenario randrw_70_30 --stack "$st" \
        --collect none --no-report --results "$res" "$@" >"$TMPDIR/run.out" 2>&1) &
    rpid=$!
}

# allowed PID: its CPUs as the kernel holds them.
allowed() { awk '/^Cpus_allowed_list/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# watch: while the run lives, the CPUs of its fio and nbdkit children
# (the last seen: the checks before the layer, a captive nbdkit and fio
# --parse-only, are the run's own and not placed).
watch() {
    fio_seen= nbd_seen=
    for _ in $(seq 300); do
        kill -0 "$rpid" 2>/dev/null || break
        for c in $(pgrep -P "$rpid"); do
            case $(cat "/proc/$c/comm" 2>/dev/null) in
                fio) v=$(allowed "$c"); [ -n "$v" ] && fio_seen=$v ;;
                nbdkit) v=$(allowed "$c"); [ -n "$v" ] && nbd_seen=$v ;;
            esac
        done
        sleep 0.1
    done
    wait "$rpid" || { cat "$TMPDIR/run.out"; fail "run failed"; }
}

mine=$(allowed $$)
bad_input() {
    local msg=$1; shift
    (cd "$top" && "$VIPERBENCH" run --scenario randrw_70_30 --results "$TMPDIR/bad" "$@") \
        >"$TMPDIR/bad.out" 2>&1
    [ $? -eq 2 ] && grep -qF -- "$msg" "$TMPDIR/bad.out" ||
        { cat "$TMPDIR/bad.out"; fail "no exit 2 with '$msg' for: $*"; }
    echo "ok: $(grep -F -- "$msg" "$TMPDIR/bad.out" | head -1)"
}
bad_input "key 'pin': expected \"auto\", \"on\" or \"off\"" --stack "$TMPDIR/bad.json"
bad_input "--pin 'sideways': expected auto, on or off" --stack "$TMPDIR/s.json" --pin sideways

if [ "$ncpu" -lt 2 ]; then
    skip "one CPU: nothing to pin apart (bad input checked)"
fi

run "$TMPDIR/s.json" "$TMPDIR/r" --runtime 3
watch
rec=$TMPDIR/r/VM-1/run.json
[ "$(jq -r .cpus.pinned "$rec")" = true ] || fail "auto: not pinned: $(jq -c .cpus "$rec")"
[ -n "$fio_seen" ] && [ -n "$nbd_seen" ] || fail "auto: did not see fio ($fio_seen) and nbdkit ($nbd_seen) run"
[ "$fio_seen" != "$nbd_seen" ] || fail "auto: fio and nbdkit both on $fio_seen"
[ "$fio_seen" = "$(jq -r '.targets[0].fio_cpus' "$rec")" ] ||
    fail "auto: fio ran on $fio_seen, the record says $(jq -r '.targets[0].fio_cpus' "$rec")"
[ "$nbd_seen" = "$(jq -r '.targets[0].servers[0].cpus' "$rec")" ] ||
    fail "auto: nbdkit ran on $nbd_seen, the record says $(jq -r '.targets[0].servers[0].cpus' "$rec")"
echo "ok: auto: fio on $fio_seen, nbdkit on $nbd_seen (ours: $mine): $(jq -r .cpus.placement "$rec")"

run "$TMPDIR/on.json" "$TMPDIR/r" --runtime 3 --pin off
watch
rec=$TMPDIR/r/VM-2/run.json
[ "$(jq -r .cpus.pinned "$rec")" = false ] && [ "$(jq -r .cpus.pin "$rec")" = off ] ||
    fail "off: $(jq -c .cpus "$rec")"
[ "$fio_seen" = "$mine" ] && [ "$nbd_seen" = "$mine" ] ||
    fail "off: fio on $fio_seen, nbdkit on $nbd_seen, not all of $mine"
[ "$(jq -r '.targets[0].fio_cpus // "none"' "$rec")" = none ] || fail "off: the record names fio's CPUs"
echo "ok: off: fio and nbdkit on $mine"

if command -v qemu-nbd >/dev/null && [ "$ncpu" -eq 2 ]; then
    write_stack "$TMPDIR/q.json" '["qemu-nbd"]'
    write_stack "$TMPDIR/qon.json" '["qemu-nbd"]' '"pin": "on"'
    (cd "$top" && "$VIPERBENCH" run --scenario randrw_70_30 --stack "$TMPDIR/q.json" \
        --runtime 1 --collect none --no-report --results "$TMPDIR/q") >/dev/null 2>&1 ||
        fail "qemu-nbd run failed"
    rec=$TMPDIR/q/VM-1/run.json
    [ "$(jq -r .cpus.pinned "$rec")" = false ] &&
        jq -r .cpus.placement "$rec" | grep -q '^not pinned (pin: auto): 3 processes' ||
        fail "auto with 3 processes on 2 CPUs: $(jq -c .cpus "$rec")"
    echo "ok: $(jq -r .cpus.placement "$rec")"
    (cd "$top" && "$VIPERBENCH" run --scenario randrw_70_30 --stack "$TMPDIR/qon.json" \
        --runtime 1 --collect none --no-report --results "$TMPDIR/q") >/dev/null 2>&1 ||
        fail "qemu-nbd run (pin on) failed"
    rec=$TMPDIR/q/VM-2/run.json
    [ "$(jq -r .cpus.pinned "$rec")" = true ] &&
        [ "$(jq -r '.targets[0].servers | map(.cpus) | unique | join(" ")' "$rec")" = 1 ] &&
        [ "$(jq -r '.targets[0].fio_cpus' "$rec")" = 0 ] ||
        fail "on with 3 processes on 2 CPUs: $(jq -c '[.cpus, .targets[0].fio_cpus, [.targets[0].servers[].cpus]]' "$rec")"
    echo "ok: $(jq -r .cpus.placement "$rec")"
fi
no_orphans "$TMPDIR"
